"""What the tab services refuse: unknown records, closed tabs, unusable cards and customers.

Every refusal is a DomainError with words a person can act on, and leaves the store as
it was: the same rows, the same tab.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from app.domain.customers import CustomerStatus
from app.domain.errors import ConflictError, DomainError, NotFoundError, ValidationError
from app.domain.identifiers import IdentifierKind, IdentifierStatus
from app.domain.payments import Tender
from app.domain.promotions import AttachLevel
from app.domain.tabs import IdentifiedBy
from app.services.identifiers import CardRequest
from app.services.merge import MergeService
from app.store.ledger import SqlPrintJobs
from tests.support.directory import CASHIER, MANAGER
from tests.support.venue import WAITER, Venue, venue_on_disk

NO_TAB = "01900000-0000-7000-8000-000000000000"
NO_ID = 9_999


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


def _refused(
    venue: Venue, error: type[DomainError], message: str, attempt: Callable[[], object]
) -> None:
    """``attempt`` raises ``error`` saying exactly ``message``, and changes no row."""
    before = venue.counts()
    with pytest.raises(error) as refused:
        attempt()
    assert str(refused.value) == message
    assert venue.counts() == before


def _open_tab(venue: Venue) -> str:
    tab = venue.tabs.open(WAITER, table_id=venue.table_1)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.beer)
    return tab.uuid


def test_an_unknown_tab_is_not_found_by_any_action(venue: Venue) -> None:
    other = _open_tab(venue)
    line = venue.tabs.view(WAITER, other).lines[0].uuid
    attempts: list[Callable[[], object]] = [
        lambda: venue.tabs.view(WAITER, NO_TAB),
        lambda: venue.tabs.add_item(WAITER, NO_TAB, venue.beer),
        lambda: venue.tabs.void_line(WAITER, NO_TAB, line, "spilt"),
        lambda: venue.tabs.send_order(WAITER, NO_TAB),
        lambda: venue.tabs.attach_customer(WAITER, NO_TAB, 1, IdentifiedBy.SEARCH),
        lambda: venue.tabs.detach_customer(WAITER, NO_TAB),
        lambda: venue.tabs.present_card(WAITER, NO_TAB, None),
        lambda: venue.tabs.move(WAITER, NO_TAB, None, venue.table_2),
        lambda: venue.tabs.set_guests(WAITER, NO_TAB, 2),
        lambda: venue.tabs.attach_category(WAITER, NO_TAB, AttachLevel.TAB, venue.vip),
        lambda: venue.tabs.detach_category(WAITER, NO_TAB, AttachLevel.TAB, venue.vip),
        lambda: venue.tabs.override_limit(MANAGER, NO_TAB, "regular"),
        lambda: venue.tabs.split(WAITER, NO_TAB, [line]),
        lambda: venue.tabs.merge(WAITER, NO_TAB, other),
        lambda: venue.tabs.merge(WAITER, other, NO_TAB),
        lambda: venue.tabs.guest_check(WAITER, NO_TAB),
        lambda: venue.checkout.pay(CASHIER, NO_TAB, [Tender.by_card(100)]),
        lambda: venue.checkout.close(CASHIER, NO_TAB),
        lambda: venue.checkout.pay_and_close(CASHIER, NO_TAB, [Tender.by_card(100)]),
        lambda: venue.checkout.reopen(MANAGER, NO_TAB, "mistake"),
    ]
    for attempt in attempts:
        _refused(venue, NotFoundError, "That tab is not in this terminal's store", attempt)


def test_unknown_items_tables_divisions_customers_categories_lines_and_cards(
    venue: Venue,
) -> None:
    tab = _open_tab(venue)
    checks: list[tuple[type[DomainError], str, Callable[[], object]]] = [
        (
            NotFoundError,
            "That item is not on the menu any more",
            lambda: venue.tabs.add_item(WAITER, tab, NO_ID),
        ),
        (
            NotFoundError,
            "That table is not on the floor plan",
            lambda: venue.tabs.open(WAITER, table_id=NO_ID),
        ),
        (
            NotFoundError,
            "That table is not on the floor plan",
            lambda: venue.tabs.move(WAITER, tab, None, NO_ID),
        ),
        (
            NotFoundError,
            "That division is not on the floor plan",
            lambda: venue.tabs.open(WAITER, division_id=NO_ID),
        ),
        (
            NotFoundError,
            "That division is not on the floor plan",
            lambda: venue.tabs.move(WAITER, tab, NO_ID, None),
        ),
        (
            NotFoundError,
            "That customer is not in the directory any more",
            lambda: venue.tabs.open(WAITER, customer_id=NO_ID, identified_by=IdentifiedBy.PHONE),
        ),
        (
            NotFoundError,
            "That customer is not in the directory any more",
            lambda: venue.tabs.attach_customer(WAITER, tab, NO_ID, IdentifiedBy.SEARCH),
        ),
        (
            NotFoundError,
            "That promotion category is not active",
            lambda: venue.tabs.attach_category(WAITER, tab, AttachLevel.TAB, NO_ID),
        ),
        (
            NotFoundError,
            "That category is not attached there",
            lambda: venue.tabs.detach_category(WAITER, tab, AttachLevel.TAB, venue.vip),
        ),
        (
            NotFoundError,
            "That line is not on tab 1 any more",
            lambda: venue.tabs.void_line(WAITER, tab, "no-such-line", "spilt"),
        ),
        (
            NotFoundError,
            "That line is not on tab 1 any more",
            lambda: venue.tabs.split(WAITER, tab, ["no-such-line"]),
        ),
        (
            NotFoundError,
            "That card is not known here; a manager can issue it",
            lambda: venue.tabs.present_card(WAITER, tab, NO_ID),
        ),
        (
            NotFoundError,
            "That card is not known here; a manager can issue it",
            lambda: venue.tabs.open(WAITER, table_id=venue.table_2, card_identifier_id=NO_ID),
        ),
    ]
    for error, message, attempt in checks:
        _refused(venue, error, message, attempt)


def test_a_closed_tab_refuses_every_edit(venue: Venue) -> None:
    tab = _open_tab(venue)
    line = venue.tabs.view(WAITER, tab).lines[0].uuid
    other = _open_tab(venue)
    ada = venue.customer()
    card = venue.impersonal_card("AABBCCDD", venue.vip)
    venue.checkout.pay_and_close(CASHIER, tab, [Tender.in_cash(500)])
    closed = venue.tabs.view(WAITER, tab)
    attempts: list[Callable[[], object]] = [
        lambda: venue.tabs.add_item(WAITER, tab, venue.beer),
        lambda: venue.tabs.void_line(MANAGER, tab, line, "spilt"),
        lambda: venue.tabs.send_order(WAITER, tab),
        lambda: venue.tabs.attach_customer(WAITER, tab, ada, IdentifiedBy.SEARCH),
        lambda: venue.tabs.detach_customer(WAITER, tab),
        lambda: venue.tabs.present_card(WAITER, tab, card),
        lambda: venue.tabs.move(WAITER, tab, None, venue.table_2),
        lambda: venue.tabs.set_guests(WAITER, tab, 3),
        lambda: venue.tabs.attach_category(WAITER, tab, AttachLevel.TAB, venue.vip),
        lambda: venue.tabs.override_limit(MANAGER, tab, "regular"),
        lambda: venue.tabs.split(WAITER, tab, [line]),
        lambda: venue.tabs.merge(WAITER, tab, other),
        lambda: venue.tabs.merge(WAITER, other, tab),
        lambda: venue.tabs.guest_check(WAITER, tab),
        lambda: venue.checkout.pay(CASHIER, tab, [Tender.by_card(100)]),
        lambda: venue.checkout.close(CASHIER, tab),
        lambda: venue.checkout.pay_and_close(CASHIER, tab, [Tender.by_card(100)]),
    ]
    for attempt in attempts:
        _refused(venue, ConflictError, "Tab 1 is closed; a manager can reopen it", attempt)
    assert venue.tabs.view(WAITER, tab) == closed
    assert venue.tabs.view(WAITER, other).lines[0].name == "Pale ale"  # untouched


def test_cards_that_cannot_price_a_tab(venue: Venue) -> None:
    ada, bob = venue.customer(), venue.customer("Bob Stone")
    tab = _open_tab(venue)

    def issue(value: str, **fields: object) -> int:
        request = CardRequest(IdentifierKind.SMART_CARD, value, **fields)  # type: ignore[arg-type]
        return venue.identifiers.issue(MANAGER, request).id

    lost = issue("01010101", promotion_category_id=venue.vip)
    venue.identifiers.set_status(MANAGER, lost, IdentifierStatus.LOST)
    blocked = issue("02020202", promotion_category_id=venue.vip)
    venue.identifiers.set_status(MANAGER, blocked, IdentifierStatus.BLOCKED)
    expiring = issue(
        "03030303",
        promotion_category_id=venue.vip,
        expires_at=venue.clock.now + timedelta(days=1),
    )
    adas = issue("04040404", customer_id=ada)
    venue.clock.now += timedelta(days=2)
    label = "Smart card or contactless key"
    checks: list[tuple[str, Callable[[], object]]] = [
        (
            f"{label} reported lost; keep it and ask a manager",
            lambda: venue.tabs.present_card(WAITER, tab, lost),
        ),
        (
            f"{label} is blocked; ask a manager",
            lambda: venue.tabs.present_card(WAITER, tab, blocked),
        ),
        (
            f"{label} is expired; ask a manager",
            lambda: venue.tabs.present_card(WAITER, tab, expiring),
        ),
        (
            f"{label} is a customer's own card; attach the customer instead",
            lambda: venue.tabs.present_card(WAITER, tab, adas),
        ),
        (
            f"{label} is not this customer's card",
            lambda: venue.tabs.attach_customer(WAITER, tab, bob, IdentifiedBy.CARD, adas),
        ),
    ]
    for message, attempt in checks:
        _refused(venue, ConflictError, message, attempt)
    attached = venue.tabs.attach_customer(WAITER, tab, ada, IdentifiedBy.CARD, adas)
    assert attached.customer_id == ada


def test_blocked_and_merged_customers_are_not_put_on_a_tab(venue: Venue) -> None:
    tab = _open_tab(venue)
    blocked = venue.customer(
        "Eve Black", status=CustomerStatus.BLOCKED, status_reason="unpaid bills"
    )
    survivor = venue.customer("Ada Lovelace")
    duplicate = venue.customer("Ada Lovelace (old)")
    MergeService(venue.uow, venue.clock).merge(MANAGER, survivor, duplicate)
    _refused(
        venue,
        ConflictError,
        "Eve Black is blocked: unpaid bills",
        lambda: venue.tabs.attach_customer(WAITER, tab, blocked, IdentifiedBy.SEARCH),
    )
    _refused(
        venue,
        ConflictError,
        "Ada Lovelace (old) was merged into another record (Merged into Ada Lovelace); "
        "put the tab on that one",
        lambda: venue.tabs.open(WAITER, customer_id=duplicate, identified_by=IdentifiedBy.PHONE),
    )


def test_bad_amounts_and_quantities_are_refused_in_words(venue: Venue) -> None:
    tab = _open_tab(venue)
    checks: list[tuple[type[DomainError], str, Callable[[], object]]] = [
        (
            ValidationError,
            "Pale ale: the quantity must be 1 or more",
            lambda: venue.tabs.add_item(WAITER, tab, venue.beer, 0),
        ),
        (
            ValidationError,
            "Pale ale: at most 9999 on one line",  # not an OverflowError from SQLite
            lambda: venue.tabs.add_item(WAITER, tab, venue.beer, 10**19),
        ),
        (
            ValidationError,
            "A tab has at least one guest",
            lambda: venue.tabs.open(WAITER, table_id=venue.table_2, guests=0),
        ),
        (
            ValidationError,
            "A tab has at most 9999 guests",
            lambda: venue.tabs.set_guests(WAITER, tab, 10**19),
        ),
        (
            ValidationError,
            "Card amount must be above zero",
            lambda: venue.checkout.pay(CASHIER, tab, [Tender.by_card(0)]),
        ),
        (
            ConflictError,
            "Card 6.00 is more than the 5.00 left to pay",
            lambda: venue.checkout.pay(CASHIER, tab, [Tender.by_card(600)]),
        ),
        (
            ConflictError,
            "Payments come to 3.00 of the 5.00 due; 2.00 short",
            lambda: venue.checkout.pay_and_close(CASHIER, tab, [Tender.in_cash(300)]),
        ),
        (
            ConflictError,
            "Tab 1 still has 5.00 to pay",
            lambda: venue.checkout.close(CASHIER, tab),
        ),
        (
            ValidationError,
            "Choose how the guest pays",
            lambda: venue.checkout.pay(CASHIER, tab, []),
        ),
    ]
    for error, message, attempt in checks:
        _refused(venue, error, message, attempt)


def test_a_close_that_fails_half_way_leaves_nothing_behind(
    venue: Venue, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = venue.customer(promotion_category_id=venue.vip)
    venue.earn(ada, 200)
    tab = venue.tabs.open(
        WAITER, table_id=venue.table_1, customer_id=ada, identified_by=IdentifiedBy.SEARCH
    )
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.burger)
    before, shown = venue.counts(), venue.tabs.view(WAITER, tab.uuid)

    def printer_queue_broken(*args: object, **kwargs: object) -> str:
        raise OSError("disk full")

    # The receipt is the close's last write: payment, ledger, visit, statistics and
    # outbox are all in the transaction by then.
    monkeypatch.setattr(SqlPrintJobs, "add", printer_queue_broken)
    with pytest.raises(OSError, match="disk full"):
        venue.checkout.pay_and_close(
            CASHIER, tab.uuid, [Tender.in_points(100), Tender.in_cash(500)]
        )

    assert venue.counts() == before
    assert venue.tabs.view(WAITER, tab.uuid) == shown
    assert venue.balances(ada).points == 200
