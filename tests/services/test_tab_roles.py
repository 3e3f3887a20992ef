"""Who may do what with a tab: every TabService and CheckoutService action, every role.

The services enforce it, whatever a screen shows; a refusal says in words what is
missing, and writes nothing.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.domain.errors import PermissionDeniedError
from app.domain.payments import Tender
from app.domain.promotions import AttachLevel
from app.domain.staff import Actor, Role
from app.domain.tabs import IdentifiedBy
from app.services.checkout import CheckoutService
from app.services.tabs import TabService
from tests.support.directory import CASHIER, MANAGER
from tests.support.venue import WAITER, Venue, venue_on_disk

YES = "allowed"
ACTORS = {Role.WAITER: WAITER, Role.CASHIER: CASHIER, Role.MANAGER: MANAGER}

# action: (waiter, cashier, manager); a refusal is the message the person reads, with
# {who} standing for "Wendy Waiter (waiter)" or "Carl Cashier (cashier)".
EXPECTED: dict[str, tuple[str, str, str]] = {
    "view": (YES, YES, YES),
    "open_tabs": (YES, YES, YES),
    "open": (YES, YES, YES),
    "add_item": (YES, YES, YES),
    "void_line": (YES, YES, YES),  # not yet sent to the kitchen
    "void_sent_line": (
        "Pale ale went to the kitchen with order 1; a manager must void it",
        "Pale ale went to the kitchen with order 1; a manager must void it",
        YES,
    ),
    "send_order": (YES, YES, YES),
    "attach_customer": (YES, YES, YES),
    "detach_customer": (YES, YES, YES),
    "present_card": (YES, YES, YES),
    "move": (YES, YES, YES),
    "set_guests": (YES, YES, YES),
    "attach_category": (YES, YES, YES),
    "detach_category": (YES, YES, YES),
    "override_limit": (
        "{who} may not let a tab go over its limit; ask a manager.",
        "{who} may not let a tab go over its limit; ask a manager.",
        YES,
    ),
    "split": (YES, YES, YES),
    "merge": (YES, YES, YES),
    "guest_check": (YES, YES, YES),
    "pay": ("{who} may not take payments; ask a manager.", YES, YES),
    "close": ("{who} may not close tabs; ask a manager.", YES, YES),
    "pay_and_close": ("{who} may not take payments; ask a manager.", YES, YES),
    "reopen": (
        "{who} may not reopen a closed tab; ask a manager.",
        "{who} may not reopen a closed tab; ask a manager.",
        YES,
    ),
}

Action = Callable[[Actor], object]


def _tab(venue: Venue, *items: int, sent: bool = False, customer: int | None = None) -> str:
    """A tab set up by a manager, so that only the action under test is checked."""
    found = IdentifiedBy.NONE if customer is None else IdentifiedBy.SEARCH
    tab = venue.tabs.open(
        MANAGER, table_id=venue.table_1, customer_id=customer, identified_by=found
    )
    for item in items:
        venue.tabs.add_item(MANAGER, tab.uuid, item)
    if sent:
        venue.tabs.send_order(MANAGER, tab.uuid)
    return tab.uuid


def _line(venue: Venue, tab_uuid: str, index: int = 0) -> str:
    return venue.tabs.view(MANAGER, tab_uuid).lines[index].uuid


def _prepare(venue: Venue, action: str) -> Action:
    """Set the world up for ``action`` and return it, to run as one actor."""
    tabs, checkout = venue.tabs, venue.checkout
    if action == "view":
        tab = _tab(venue)
        return lambda who: tabs.view(who, tab)
    if action == "open_tabs":
        return lambda who: tabs.open_tabs(who)
    if action == "open":
        return lambda who: tabs.open(who, table_id=venue.table_2)
    if action == "add_item":
        tab = _tab(venue)
        return lambda who: tabs.add_item(who, tab, venue.beer)
    if action in ("void_line", "void_sent_line"):
        tab = _tab(venue, venue.beer, sent=action == "void_sent_line")
        line = _line(venue, tab)
        return lambda who: tabs.void_line(who, tab, line, "spilt")
    if action == "send_order":
        tab = _tab(venue, venue.beer)
        return lambda who: tabs.send_order(who, tab)
    if action == "attach_customer":
        tab, ada = _tab(venue), venue.customer()
        return lambda who: tabs.attach_customer(who, tab, ada, IdentifiedBy.PHONE)
    if action == "detach_customer":
        tab = _tab(venue, customer=venue.customer())
        return lambda who: tabs.detach_customer(who, tab)
    if action == "present_card":
        serial = f"{0xC0FFEE00 + venue.count('identifiers'):08X}"  # a new card each time
        tab, card = _tab(venue), venue.impersonal_card(serial, venue.vip)
        return lambda who: tabs.present_card(who, tab, card)
    if action == "move":
        tab = _tab(venue)
        return lambda who: tabs.move(who, tab, None, venue.table_t1)
    if action == "set_guests":
        tab = _tab(venue)
        return lambda who: tabs.set_guests(who, tab, 4)
    if action == "attach_category":
        tab = _tab(venue)
        return lambda who: tabs.attach_category(who, tab, AttachLevel.TAB, venue.vip)
    if action == "detach_category":
        tab = _tab(venue)
        tabs.attach_category(MANAGER, tab, AttachLevel.TAB, venue.vip)
        return lambda who: tabs.detach_category(who, tab, AttachLevel.TAB, venue.vip)
    if action == "override_limit":
        tab = _tab(venue)
        return lambda who: tabs.override_limit(who, tab, "a regular")
    if action == "split":
        tab = _tab(venue, venue.beer, venue.burger)
        line = _line(venue, tab, 1)
        return lambda who: tabs.split(who, tab, [line])
    if action == "merge":
        into, other = _tab(venue, venue.beer), _tab(venue, venue.burger)
        return lambda who: tabs.merge(who, into, other)
    if action == "guest_check":
        tab = _tab(venue, venue.beer)
        return lambda who: tabs.guest_check(who, tab)
    if action == "pay":
        tab = _tab(venue, venue.beer)
        return lambda who: checkout.pay(who, tab, [Tender.by_card(200)])
    if action == "close":
        tab = _tab(venue, venue.beer)
        checkout.pay(MANAGER, tab, [Tender.by_card(500)])
        return lambda who: checkout.close(who, tab)
    if action == "pay_and_close":
        tab = _tab(venue, venue.beer)
        return lambda who: checkout.pay_and_close(who, tab, [Tender.in_cash(1_000)])
    if action == "reopen":
        tab = _tab(venue, venue.beer)
        checkout.pay_and_close(MANAGER, tab, [Tender.by_card(500)])
        return lambda who: checkout.reopen(who, tab, "rang up on the wrong table")
    raise AssertionError(f"no set-up for {action}")


@pytest.fixture(scope="module")
def venue(tmp_path_factory: pytest.TempPathFactory, store_template: Path) -> Iterator[Venue]:
    # One store for the module: every case sets up tabs of its own.
    with venue_on_disk(tmp_path_factory.mktemp("roles") / "store.db", store_template) as seeded:
        yield seeded


@pytest.mark.parametrize("role", list(ACTORS))
@pytest.mark.parametrize("action", list(EXPECTED))
def test_each_role_may_do_what_the_matrix_says(venue: Venue, action: str, role: Role) -> None:
    actor = ACTORS[role]
    expected = EXPECTED[action][[Role.WAITER, Role.CASHIER, Role.MANAGER].index(role)]
    run = _prepare(venue, action)
    if expected == YES:
        run(actor)
        return
    before = venue.counts()
    with pytest.raises(PermissionDeniedError) as refused:
        run(actor)
    assert str(refused.value) == expected.format(who=f"{actor.name} ({role.value})")
    assert venue.counts() == before  # a refusal writes nothing


def test_the_matrix_covers_every_action_of_both_services() -> None:
    public = {
        name
        for service in (TabService, CheckoutService)
        for name, member in inspect.getmembers(service, inspect.isfunction)
        if not name.startswith("_")
    }
    assert public == set(EXPECTED) - {"void_sent_line"}
