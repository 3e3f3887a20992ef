"""A guest tab from opening to its last line, on a real store: every step is in the store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.domain.errors import ConflictError, PermissionDeniedError, ValidationError
from app.domain.identifiers import IdentifierKind
from app.domain.payments import PaymentMethod, Tender
from app.domain.promotions import AttachLevel
from app.domain.tabs import IdentifiedBy, TabStatus
from app.services.identifiers import CardRequest
from app.services.tab_views import TabView
from tests.support.directory import CASHIER, MANAGER
from tests.support.venue import WAITER, Venue, reopen_venue, venue_on_disk


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


def _lines(view: TabView) -> list[tuple[str, int, int, int, int | None, bool]]:
    return [
        (ln.name, ln.quantity, ln.discount_minor, ln.net_minor, ln.order_no, ln.voided)
        for ln in view.lines
    ]


def test_a_tab_opens_at_a_table_without_a_customer(venue: Venue) -> None:
    tab = venue.tabs.open(WAITER, table_id=venue.table_1, guests=2)

    assert (tab.number, tab.status, tab.terminal, tab.waiter_uuid) == (
        1,
        TabStatus.OPEN,
        "Till 1",
        WAITER.staff_uuid,
    )
    # The division follows the table when only the table is given.
    assert (tab.division_id, tab.division_name, tab.table_number) == (venue.bar, "Bar", "1")
    assert (tab.guests, tab.customer_id, tab.customer_name, tab.total_minor) == (2, None, None, 0)
    [row] = venue.rows("guest_tabs")
    assert (row["identified_by"], row["customer_id"], row["opened_at"]) == (
        "none",
        None,
        venue.clock.now,
    )
    assert venue.tabs.open(WAITER, division_id=venue.terrace).number == 2


def test_a_tab_opens_on_a_customer_found_by_their_card(venue: Venue) -> None:
    ada = venue.customer(promotion_category_id=venue.vip)
    card = venue.identifiers.issue(MANAGER, CardRequest(IdentifierKind.SMART_CARD, "04A23B11", ada))

    tab = venue.tabs.open(
        WAITER,
        table_id=venue.table_1,
        customer_id=ada,
        identified_by=IdentifiedBy.CARD,
        card_identifier_id=card.id,
    )
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.burger)

    assert (tab.customer_id, tab.customer_name, tab.tier_name) == (ada, "Ada Lovelace", "Bronze")
    # VIP, on the customer: 15.00 - 10 % = 13.50, and 1 point per 1.00 of it = 13.
    assert _lines(tab) == [("Burger", 1, 150, 1350, None, False)]
    assert (tab.total_minor, tab.points_to_earn) == (1350, 13)
    [row] = venue.rows("guest_tabs")
    assert (row["identified_by"], row["card_identifier_id"]) == ("card", card.id)


def test_a_customer_on_a_tab_says_how_they_were_found(venue: Venue) -> None:
    ada = venue.customer()
    with pytest.raises(ValidationError, match="Say how the customer was found"):
        venue.tabs.open(WAITER, table_id=venue.table_1, customer_id=ada)
    tab = venue.tabs.open(WAITER, table_id=venue.table_1)
    with pytest.raises(ValidationError, match="Say how the customer was found"):
        venue.tabs.attach_customer(WAITER, tab.uuid, ada, IdentifiedBy.NONE)
    assert venue.count("guest_tabs") == 1  # only the second open went in


def test_lines_go_on_and_come_off_with_a_reason(venue: Venue) -> None:
    tab = venue.tabs.open(WAITER, table_id=venue.table_1)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.beer, 2)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.burger)
    # 2 × 5.00 + 15.00 = 25.00, VAT included: 25.00 × 20/120 = 4.17 (4.1666… half up).
    assert (tab.gross_minor, tab.total_minor, tab.tax_minor, tab.due_minor) == (
        2500,
        2500,
        417,
        2500,
    )
    beer = tab.lines[0].uuid

    with pytest.raises(ValidationError, match="Say why Pale ale is voided"):
        venue.tabs.void_line(WAITER, tab.uuid, beer, "  ")
    tab = venue.tabs.void_line(WAITER, tab.uuid, beer, "spilt")

    # The line stays, marked, and counts for nothing: 15.00 left, of which 2.50 VAT.
    assert _lines(tab) == [
        ("Pale ale", 2, 0, 0, None, True),
        ("Burger", 1, 0, 1500, None, False),
    ]
    assert (tab.lines[0].void_reason, tab.total_minor, tab.tax_minor) == ("spilt", 1500, 250)
    [voided, _] = venue.rows("tab_lines")
    assert (voided["void_reason"], voided["voided_by"]) == ("spilt", WAITER.staff_uuid)
    with pytest.raises(ConflictError, match="Pale ale is already voided"):
        venue.tabs.void_line(WAITER, tab.uuid, beer, "again")
    assert venue.audit() == []  # an unsent line is the waiter's to void


def test_orders_are_numbered_as_they_go_to_the_kitchen(venue: Venue) -> None:
    tab = venue.tabs.open(WAITER, table_id=venue.table_1)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.beer, 2)
    tab = venue.tabs.send_order(WAITER, tab.uuid)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.burger)
    assert [ln.order_no for ln in tab.lines] == [1, None]
    tab = venue.tabs.send_order(WAITER, tab.uuid)
    assert [ln.order_no for ln in tab.lines] == [1, 2]
    with pytest.raises(ConflictError, match="Nothing new to send to the kitchen"):
        venue.tabs.send_order(WAITER, tab.uuid)
    assert [(r["order_no"], r["sent_at"]) for r in venue.rows("tab_lines")] == [
        (1, venue.clock.now),
        (2, venue.clock.now),
    ]


def test_a_line_the_kitchen_has_is_voided_by_a_manager_and_audited(venue: Venue) -> None:
    tab = venue.tabs.open(WAITER, table_id=venue.table_1)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.burger)
    tab = venue.tabs.send_order(WAITER, tab.uuid)
    burger = tab.lines[0].uuid

    for refused in (WAITER, CASHIER):
        with pytest.raises(PermissionDeniedError) as denied:
            venue.tabs.void_line(refused, tab.uuid, burger, "sent back")
        assert str(denied.value) == (
            "Burger went to the kitchen with order 1; a manager must void it"
        )
    assert venue.rows("tab_lines")[0]["voided_at"] is None

    tab = venue.tabs.void_line(MANAGER, tab.uuid, burger, "sent back cold")
    assert (tab.lines[0].voided, tab.total_minor) == (True, 0)
    assert venue.audit() == [
        (
            "tab.line_voided",
            "Maria Manager",
            "Tab 1: 1 × Burger voided after order 1 went to the kitchen: sent back cold",
        )
    ]


def test_the_customer_comes_and_goes_and_the_prices_follow(venue: Venue) -> None:
    ada = venue.customer(promotion_category_id=venue.vip)
    bob = venue.customer("Bob Stone")
    tab = venue.tabs.open(WAITER, table_id=venue.table_1)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.beer, 2)
    assert tab.total_minor == 1000

    tab = venue.tabs.attach_customer(WAITER, tab.uuid, ada, IdentifiedBy.PHONE)
    # VIP: 10.00 - 10 % = 9.00; 9 points; the VIP limit 150.00 leaves 141.00.
    assert (tab.customer_name, tab.total_minor, tab.points_to_earn) == ("Ada Lovelace", 900, 9)
    assert (tab.limit_minor, tab.headroom_minor) == (15_000, 14_100)
    assert venue.rows("guest_tabs")[0]["identified_by"] == "phone"
    with pytest.raises(ConflictError, match="already has a customer; detach them first"):
        venue.tabs.attach_customer(WAITER, tab.uuid, bob, IdentifiedBy.SEARCH)

    tab = venue.tabs.detach_customer(WAITER, tab.uuid)
    assert (tab.customer_id, tab.total_minor, tab.points_to_earn, tab.limit_minor) == (
        None,
        1000,
        0,
        None,
    )
    assert (venue.rows("guest_tabs")[0]["identified_by"]) == "none"
    with pytest.raises(ConflictError, match="Tab 1 has no customer"):
        venue.tabs.detach_customer(WAITER, tab.uuid)


def test_an_impersonal_card_brings_its_category_to_the_tab(venue: Venue) -> None:
    house = venue.impersonal_card("AABBCCDD", venue.vip)  # issued by a manager
    tab = venue.tabs.open(WAITER, table_id=venue.table_1)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.burger, 2)
    assert tab.total_minor == 3000

    tab = venue.tabs.present_card(WAITER, tab.uuid, house)
    # VIP at the card level: 30.00 - 10 % = 27.00; no customer, so no points to earn.
    assert (tab.total_minor, tab.discount_minor, tab.points_to_earn) == (2700, 300, 0)
    assert tab.lines[0].why == ("VIP 10 %: −10 % on Burger (VIP)",)
    assert venue.rows("guest_tabs")[0]["card_identifier_id"] == house

    tab = venue.tabs.present_card(WAITER, tab.uuid, None)
    assert tab.total_minor == 3000


def test_guests_are_counted(venue: Venue) -> None:
    tab = venue.tabs.open(WAITER, table_id=venue.table_1, guests=2)
    assert venue.tabs.set_guests(WAITER, tab.uuid, 5).guests == 5
    with pytest.raises(ValidationError, match="at least one guest"):
        venue.tabs.set_guests(WAITER, tab.uuid, 0)
    assert venue.rows("guest_tabs")[0]["guests"] == 5


def test_nothing_lives_only_in_memory(venue: Venue) -> None:
    ada = venue.customer(promotion_category_id=venue.vip)
    tab = venue.tabs.open(WAITER, table_id=venue.table_1, guests=3)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.beer, 2)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.burger)
    tab = venue.tabs.send_order(WAITER, tab.uuid)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.coffee)
    tab = venue.tabs.void_line(WAITER, tab.uuid, tab.lines[2].uuid, "changed their mind")
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.coffee, 2)
    tab = venue.tabs.attach_customer(WAITER, tab.uuid, ada, IdentifiedBy.SEARCH)
    tab = venue.tabs.attach_category(WAITER, tab.uuid, AttachLevel.ORDER, venue.terrace_promo, 1)
    tab = venue.tabs.attach_category(
        WAITER, tab.uuid, AttachLevel.LINE, venue.happy_hour, tab.lines[3].uuid
    )
    tab = venue.tabs.move(WAITER, tab.uuid, None, venue.table_t1)
    tab = venue.tabs.override_limit(MANAGER, tab.uuid, "regular")
    last = venue.checkout.pay(CASHIER, tab.uuid, [Tender.by_card(500)])

    with reopen_venue(venue.path, venue.ids) as restarted:
        again = restarted.tabs.view(WAITER, tab.uuid)
        with restarted.uow() as uow:
            stored = uow.tabs.get(tab.uuid)
    assert again == last
    assert stored is not None
    assert (stored.next_order_no, stored.limit_override_by, stored.identified_by) == (
        2,
        MANAGER.staff_uuid,
        IdentifiedBy.SEARCH,
    )
    assert [tuple(a) for a in stored.attachments] == [
        (AttachLevel.ORDER, venue.terrace_promo, "1"),
        (AttachLevel.LINE, venue.happy_hour, tab.lines[3].uuid),
    ]
    assert [(p.method, p.amount_minor) for p in stored.payments] == [(PaymentMethod.CARD, 500)]


@pytest.mark.xfail(
    strict=True,
    reason="GuestTab keeps one card: the customer's own card replaces the house card "
    "(needs a separate column for the presented impersonal card; see the tabs report)",
)
def test_the_house_card_stays_when_the_customer_swipes_their_own(venue: Venue) -> None:
    house = venue.impersonal_card("AABBCCDD", venue.vip)
    ada = venue.customer()
    own = venue.identifiers.issue(MANAGER, CardRequest(IdentifierKind.SMART_CARD, "04A23B11", ada))
    tab = venue.tabs.open(WAITER, table_id=venue.table_1)
    tab = venue.tabs.present_card(WAITER, tab.uuid, house)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.burger)
    assert tab.total_minor == 1350  # VIP 10 % off 15.00

    tab = venue.tabs.attach_customer(WAITER, tab.uuid, ada, IdentifiedBy.CARD, own.id)

    assert tab.total_minor == 1350
