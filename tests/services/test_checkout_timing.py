"""When a tab is priced: lines keep the happy hour they were ordered in; a settled bill
stands after midnight; a part payment or a change reprices it now."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from app.domain.payments import Tender
from app.domain.promotions import AttachLevel, RuleKind, RuleScope, ValidityWindow
from app.domain.tabs import IdentifiedBy, TabStatus
from tests.support.directory import CASHIER
from tests.support.venue import WAITER, Venue, rule, venue_on_disk

HAPPY = datetime(2026, 11, 23, 18, 50, tzinfo=UTC)  # Monday, London on UTC: happy hour
AFTER = datetime(2026, 11, 23, 19, 5, tzinfo=UTC)


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


def _happy_hour_ales(venue: Venue, customer: int | None = None) -> str:
    venue.clock.now = HAPPY
    found = IdentifiedBy.NONE if customer is None else IdentifiedBy.SEARCH
    tab = venue.tabs.open(WAITER, table_id=venue.table_1, customer_id=customer, identified_by=found)
    venue.tabs.attach_category(WAITER, tab.uuid, AttachLevel.TAB, venue.happy_hour)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.beer, 2)
    assert tab.total_minor == 800  # 2 × 5.00 - 20 %
    return tab.uuid


def test_a_bill_paid_in_happy_hour_closes_at_its_prices_after_it_ends(venue: Venue) -> None:
    tab_uuid = _happy_hour_ales(venue)
    venue.checkout.pay(CASHIER, tab_uuid, [Tender.by_card(800)])
    venue.clock.now = AFTER

    shown = venue.tabs.view(WAITER, tab_uuid)
    assert (shown.total_minor, shown.due_minor) == (800, 0)
    closed = venue.checkout.close(CASHIER, tab_uuid)

    assert (closed.status, closed.total_minor, closed.closed_at) == (TabStatus.CLOSED, 800, AFTER)
    [receipt] = venue.rows("print_jobs", kind="receipt")
    payload = json.loads(receipt["payload"])
    assert (payload["total_minor"], payload["paid_minor"], payload["discount_minor"]) == (
        800,
        800,
        200,
    )
    assert payload["lines"][0]["why"] == [
        "Happy hour drinks: −20 % on Pale ale (Happy hour)",
    ]
    [row] = venue.rows("guest_tabs")
    assert (row["total_minor"], row["discount_minor"], row["points_earned"]) == (800, 200, 0)


def test_ales_ordered_in_happy_hour_keep_its_price_on_a_part_paid_tab(venue: Venue) -> None:
    tab_uuid = _happy_hour_ales(venue)
    venue.checkout.pay(CASHIER, tab_uuid, [Tender.by_card(400)])
    venue.clock.now = AFTER
    # Not settled, so priced now; but the ales were ordered at 18:50, in happy hour, and
    # keep its price: 8.00, of which 4.00 is paid.
    shown = venue.tabs.view(WAITER, tab_uuid)
    assert (shown.total_minor, shown.due_minor) == (800, 400)
    closed = venue.checkout.pay_and_close(CASHIER, tab_uuid, [Tender.in_cash(400)])
    assert (closed.total_minor, closed.paid_minor) == (800, 800)


def test_a_line_added_after_the_bill_was_paid_is_priced_when_it_was_ordered(
    venue: Venue,
) -> None:
    tab_uuid = _happy_hour_ales(venue)
    venue.checkout.pay(CASHIER, tab_uuid, [Tender.by_card(800)])
    venue.clock.now = AFTER
    tab = venue.tabs.add_item(WAITER, tab_uuid, venue.coffee)
    # The ales keep the happy-hour price they were ordered at (8.00); the coffee, ordered
    # at 19:05, is full price (2.50): 10.50, of which 8.00 is paid.
    assert (tab.total_minor, tab.due_minor) == (1_050, 250)
    assert [ln.discount_minor for ln in tab.lines] == [200, 0]
    venue.checkout.pay(CASHIER, tab_uuid, [Tender.by_card(250)])
    assert venue.checkout.close(CASHIER, tab_uuid).total_minor == 1_050


def _birthday_burger(venue: Venue) -> tuple[int, str]:
    """Ada's burger at 23:50 on her birthday: 15.00 - 10 % = 13.50, and 50 bonus points
    (the category has no points rate)."""
    party = venue.category(
        "Birthday club",
        [rule("Birthday", RuleKind.BIRTHDAY_REWARD, percent=Decimal("10"), bonus_points=50)],
    )
    ada = venue.customer(promotion_category_id=party, date_of_birth=date(1990, 11, 23))
    venue.clock.now = datetime(2026, 11, 23, 23, 50, tzinfo=UTC)  # her birthday, London
    tab = venue.tabs.open(
        WAITER, table_id=venue.table_1, customer_id=ada, identified_by=IdentifiedBy.CARD
    )
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.burger)
    assert (tab.total_minor, tab.points_to_earn) == (1_350, 50)
    return ada, tab.uuid


def test_a_birthday_bill_paid_before_midnight_keeps_its_reward_after_it(venue: Venue) -> None:
    ada, tab_uuid = _birthday_burger(venue)
    venue.checkout.pay(CASHIER, tab_uuid, [Tender.by_card(1_350)])

    venue.clock.now = datetime(2026, 11, 24, 0, 5, tzinfo=UTC)
    closed = venue.checkout.close(CASHIER, tab_uuid)

    assert (closed.total_minor, closed.points_to_earn) == (1_350, 50)
    assert venue.balances(ada).points == 50


def test_a_part_payment_does_not_hold_the_birthday_reward_past_midnight(venue: Venue) -> None:
    # A birthday is judged on the day of the pricing, not of the order: only a settled
    # bill keeps it once the day is over.
    ada, tab_uuid = _birthday_burger(venue)
    venue.checkout.pay(CASHIER, tab_uuid, [Tender.by_card(1_000)])

    venue.clock.now = datetime(2026, 11, 24, 0, 5, tzinfo=UTC)
    shown = venue.tabs.view(WAITER, tab_uuid)
    # Priced now, the day after: 15.00 and no bonus, of which 10.00 is paid.
    assert (shown.total_minor, shown.due_minor, shown.points_to_earn) == (1_500, 500, 0)
    closed = venue.checkout.pay_and_close(CASHIER, tab_uuid, [Tender.by_card(500)])
    assert (closed.total_minor, closed.points_to_earn) == (1_500, 0)
    assert venue.balances(ada).points == 0


def test_a_coffee_card_counts_only_the_days_it_is_valid(venue: Venue) -> None:
    weekdays = ValidityWindow(weekdays=frozenset(range(5)))
    card = rule(
        "Coffee card",
        RuleKind.FREE_EVERY_N,
        every_n=3,
        scope=RuleScope(item_ids=frozenset({venue.coffee})),
        window=weekdays,
    )
    ada = venue.customer(promotion_category_id=venue.category("Coffee club", [card]))

    def coffees(at: datetime, count: int) -> int:
        venue.clock.now = at
        tab = venue.tabs.open(
            WAITER, table_id=venue.table_1, customer_id=ada, identified_by=IdentifiedBy.CARD
        )
        tab = venue.tabs.add_item(WAITER, tab.uuid, venue.coffee, count)
        venue.checkout.pay_and_close(CASHIER, tab.uuid, [Tender.by_card(tab.total_minor)])
        return tab.total_minor

    def units() -> dict[str, int]:
        with venue.uow() as uow:
            return dict(uow.stats.get(ada).rule_units)

    assert coffees(datetime(2026, 11, 23, 9, tzinfo=UTC), 2) == 500  # Monday: 2 counted
    assert units() == {card.uuid: 2}
    # Saturday: the card does not apply, so these 4 are neither free nor counted.
    assert coffees(datetime(2026, 11, 28, 9, tzinfo=UTC), 4) == 1_000
    assert units() == {card.uuid: 2}
    # Monday again: the 3rd counted coffee is free. 2 × 2.50 - 2.50 = 2.50.
    assert coffees(datetime(2026, 11, 30, 9, tzinfo=UTC), 2) == 250
    assert units() == {card.uuid: 4}
