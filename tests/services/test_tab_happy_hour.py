"""Happy hour per line: a drink keeps the price of the moment it was ordered, whenever the
tab is settled. Every figure is worked out by hand in the comments."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.domain.payments import Tender
from app.domain.tabs import IdentifiedBy, TabStatus
from tests.support.directory import CASHIER
from tests.support.venue import WAITER, Venue, venue_on_disk

# Monday 23 November 2026; London is on UTC in November. Happy hour is 17:00-19:00.
ORDERED_IN_HAPPY_HOUR = datetime(2026, 11, 23, 18, 50, tzinfo=UTC)
ORDERED_AFTER_IT = datetime(2026, 11, 23, 19, 5, tzinfo=UTC)
SETTLED = datetime(2026, 11, 23, 19, 30, tzinfo=UTC)


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


def _two_rounds(venue: Venue, customer_id: int | None = None) -> tuple[str, int]:
    """Two rounds of two pale ales (5.00 each) at the happy bar's table: at 18:50 and at
    19:05. Returns the tab and its table."""
    happy_bar = venue.division("Happy bar", venue.happy_hour)
    table = venue.table(happy_bar, "H1")
    venue.clock.now = ORDERED_IN_HAPPY_HOUR
    found = IdentifiedBy.NONE if customer_id is None else IdentifiedBy.CARD
    tab = venue.tabs.open(WAITER, table_id=table, customer_id=customer_id, identified_by=found)
    venue.tabs.add_item(WAITER, tab.uuid, venue.beer, 2)
    venue.clock.now = ORDERED_AFTER_IT
    venue.tabs.add_item(WAITER, tab.uuid, venue.beer, 2)
    return tab.uuid, table


def test_the_round_ordered_at_18_50_keeps_happy_hour_at_19_30_the_one_at_19_05_does_not(
    venue: Venue,
) -> None:
    tab_uuid, _ = _two_rounds(venue)
    venue.clock.now = SETTLED

    tab = venue.tabs.view(WAITER, tab_uuid)
    # 18:50: 2 × 5.00 = 10.00 - 20 % = 8.00. 19:05: 10.00, full price. 18.00 to pay,
    # holding 18.00 / 6 = 3.00 VAT.
    assert [(ln.quantity, ln.discount_minor, ln.net_minor) for ln in tab.lines] == [
        (2, 200, 800),
        (2, 0, 1_000),
    ]
    assert (tab.gross_minor, tab.discount_minor, tab.total_minor, tab.tax_minor) == (
        2_000,
        200,
        1_800,
        300,
    )
    assert [ln.why for ln in tab.lines] == [
        ("Happy hour drinks: −20 % on Pale ale (Happy hour)",),
        (),
    ]

    closed = venue.checkout.pay_and_close(CASHIER, tab_uuid, [Tender.by_card(1_800)])
    assert (closed.status, closed.total_minor, closed.paid_minor) == (
        TabStatus.CLOSED,
        1_800,
        1_800,
    )
    [row] = venue.rows("guest_tabs")
    assert (row["total_minor"], row["discount_minor"]) == (1_800, 200)
    [receipt] = venue.rows("print_jobs", kind="receipt")
    payload = json.loads(receipt["payload"])
    assert (payload["total_minor"], payload["discount_minor"]) == (1_800, 200)
    # Reprinted or viewed later, the closed tab keeps its figures.
    venue.clock.now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert venue.tabs.view(WAITER, tab_uuid).total_minor == 1_800


def test_a_vip_gets_the_better_of_happy_hour_and_the_card_per_line(venue: Venue) -> None:
    ada = venue.customer(promotion_category_id=venue.vip)
    tab_uuid, _ = _two_rounds(venue, ada)
    venue.clock.now = SETTLED

    tab = venue.tabs.view(WAITER, tab_uuid)
    # Best of per line. 18:50: VIP 10 % (1.00) or happy hour 20 % (2.00): 2.00 off, 8.00.
    # 19:05: VIP only, 1.00 off, 9.00. 17.00 to pay, VAT 17.00 / 6 = 2.8333, 2.83.
    # VIP points, 1 per 1.00 of net, floored: 8 + 9.
    assert [(ln.discount_minor, ln.points) for ln in tab.lines] == [(200, 8), (100, 9)]
    assert (tab.total_minor, tab.tax_minor, tab.points_to_earn) == (1_700, 283, 17)

    venue.checkout.pay(CASHIER, tab_uuid, [Tender.by_card(1_700)])
    venue.clock.now = datetime(2026, 11, 23, 19, 45, tzinfo=UTC)
    closed = venue.checkout.close(CASHIER, tab_uuid)
    assert (closed.total_minor, closed.points_to_earn) == (1_700, 17)
    assert venue.balances(ada).points == 17


def test_a_line_split_off_after_happy_hour_keeps_its_price(venue: Venue) -> None:
    tab_uuid, _ = _two_rounds(venue)
    venue.clock.now = SETTLED
    first_round = venue.tabs.view(WAITER, tab_uuid).lines[0].uuid

    split = venue.tabs.split(WAITER, tab_uuid, [first_round])

    # The 18:50 round moves with when it was ordered: still 8.00 on its own tab.
    assert (split.total_minor, split.discount_minor) == (800, 200)
    assert venue.tabs.view(WAITER, tab_uuid).total_minor == 1_000
