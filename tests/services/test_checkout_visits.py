"""Closing a tab records the customer's visit and moves their statistics, once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from app.domain.loyalty import CustomerStats, TierLadder
from app.domain.payments import PaymentMethod, Tender
from app.domain.promotions import RuleKind, RuleScope
from app.domain.tabs import IdentifiedBy, TabStatus
from tests.support.directory import CASHIER, MANAGER
from tests.support.venue import WAITER, Venue, rule, venue_on_disk


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


def _sitting(
    venue: Venue,
    customer: int | None,
    found: IdentifiedBy,
    items: list[tuple[int, int]],
    tender: Tender,
    *,
    table: int | None = None,
    guests: int = 2,
) -> str:
    tab = venue.tabs.open(
        WAITER,
        table_id=table or venue.table_1,
        guests=guests,
        customer_id=customer,
        identified_by=found,
    )
    for item, quantity in items:
        venue.tabs.add_item(WAITER, tab.uuid, item, quantity)
    venue.checkout.pay_and_close(CASHIER, tab.uuid, [tender])
    return tab.uuid


def _stats(venue: Venue, customer: int) -> CustomerStats:
    with venue.uow() as uow:
        return uow.stats.get(customer)


def test_each_closed_tab_is_a_visit_and_the_statistics_add_up(venue: Venue) -> None:
    ada = venue.customer()
    monday = venue.clock.now  # 23 November, 12:00
    first = _sitting(
        venue,
        ada,
        IdentifiedBy.CARD,
        [(venue.beer, 2), (venue.burger, 1)],  # 25.00
        Tender.by_card(2_500),
    )
    venue.clock.now = wednesday = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    second = _sitting(
        venue,
        ada,
        IdentifiedBy.PHONE,
        [(venue.beer, 3), (venue.coffee, 1)],  # 15.00 + 2.50 = 17.50
        Tender.in_cash(2_000),  # 2.50 change
        table=venue.table_t1,
        guests=4,
    )

    fields = ("tab_uuid", "visited_at", "spent_minor", "guests", "division_name", "identified_by")
    visits = [tuple(v[f] for f in fields) for v in venue.rows("visits")]
    assert visits == [
        (first, monday, 2_500, 2, "Bar", "card"),
        (second, wednesday, 1_750, 4, "Terrace", "phone"),
    ]
    stats = _stats(venue, ada)
    assert (stats.visits, stats.total_spent_minor, stats.first_visit, stats.last_visit) == (
        2,
        4_250,  # 25.00 + 17.50, what she paid (the change is not spent)
        monday,
        wednesday,
    )
    assert stats.average_check_minor == 2_125  # 42.50 / 2
    # Ale 2 + 3 = 5 units; burger and coffee one each, the lower item id first on a tie.
    assert stats.favourite_items == ((venue.beer, 5), (venue.coffee, 1), (venue.burger, 1))
    # One tab by card, one in cash: a tie goes to cash, first in the methods' order ...
    assert stats.preferred_payment_method is PaymentMethod.CASH
    [row] = venue.rows("customers", id=ada)
    assert (row["last_visit_at"], row["total_spent_minor"], row["order_count"]) == (
        wednesday,
        4_250,
        2,
    )

    venue.clock.now = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    _sitting(venue, ada, IdentifiedBy.SEARCH, [(venue.coffee, 2)], Tender.by_card(500))
    stats = _stats(venue, ada)
    # ... until a second tab by card: 2 card, 1 cash.
    assert stats.preferred_payment_method is PaymentMethod.CARD
    assert (stats.visits, stats.total_spent_minor, stats.average_check_minor) == (3, 4_750, 1_583)
    assert [v["identified_by"] for v in venue.rows("visits")] == ["card", "phone", "search"]


def test_a_tab_without_a_customer_is_no_ones_visit(venue: Venue) -> None:
    _sitting(venue, None, IdentifiedBy.NONE, [(venue.beer, 1)], Tender.in_cash(500))
    assert (venue.count("visits"), venue.count("customer_stats")) == (0, 0)
    assert [o["kind"] for o in venue.rows("outbox")] == ["tab.closed"]
    assert [j["kind"] for j in venue.rows("print_jobs")] == ["receipt"]


def test_every_fifth_coffee_is_free_across_visits(venue: Venue) -> None:
    card = rule(
        "Coffee card",
        RuleKind.FREE_EVERY_N,
        every_n=5,
        scope=RuleScope(item_ids=frozenset({venue.coffee})),
    )
    coffee_club = venue.category("Coffee club", [card])
    ada = venue.customer(promotion_category_id=coffee_club)

    _sitting(venue, ada, IdentifiedBy.CARD, [(venue.coffee, 3)], Tender.by_card(750))
    assert _stats(venue, ada).rule_units == {card.uuid: 3}

    venue.clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    tab = venue.tabs.open(
        WAITER, table_id=venue.table_1, customer_id=ada, identified_by=IdentifiedBy.CARD
    )
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.coffee, 2)
    # 3 bought before + 2 now: the 5th is free, one of these two. 5.00 - 2.50 = 2.50.
    assert (tab.total_minor, tab.lines[0].why) == (
        250,
        ("Coffee card: 1 of 2 × Flat white free (every 5th) (Coffee club)",),
    )
    closed = venue.checkout.pay_and_close(CASHIER, tab.uuid, [Tender.by_card(250)])
    assert closed.total_minor == 250
    assert _stats(venue, ada).rule_units == {card.uuid: 5}
    # Looking back at the closed tab shows what it closed at, not a coffee to pay.
    looked = venue.tabs.view(WAITER, tab.uuid)
    assert (looked.status, looked.total_minor, looked.due_minor) == (TabStatus.CLOSED, 250, 0)

    venue.clock.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    third = venue.tabs.open(
        WAITER, table_id=venue.table_1, customer_id=ada, identified_by=IdentifiedBy.CARD
    )
    third = venue.tabs.add_item(WAITER, third.uuid, venue.coffee, 4)
    # Units 6 to 9: none is a 5th. 4 × 2.50 = 10.00.
    assert third.total_minor == 1_000
    third = venue.tabs.add_item(WAITER, third.uuid, venue.coffee, 1)
    # The 10th is free: 12.50 - 2.50.
    assert third.total_minor == 1_000


def test_a_reopened_tab_gives_its_visit_back_and_counts_once_when_closed_again(
    venue: Venue,
) -> None:
    ada = venue.customer(promotion_category_id=venue.vip)
    tab_uuid = _sitting(
        venue, ada, IdentifiedBy.CARD, [(venue.burger, 2)], Tender.by_card(2_700)
    )  # 30.00 - 10 % = 27.00, 27 points
    assert (venue.balances(ada).points, _stats(venue, ada).visits) == (27, 1)

    reopened = venue.checkout.reopen(MANAGER, tab_uuid, "wrong customer's card")
    assert (reopened.status, reopened.paid_minor, reopened.due_minor) == (TabStatus.OPEN, 2_700, 0)
    stats = _stats(venue, ada)
    assert (stats.visits, stats.total_spent_minor, stats.item_counts) == (0, 0, {})
    assert (venue.balances(ada).points, venue.count("visits")) == (0, 0)
    [row] = venue.rows("customers", id=ada)
    assert (row["last_visit_at"], row["total_spent_minor"], row["order_count"]) == (None, 0, 0)

    venue.checkout.close(CASHIER, tab_uuid)
    stats = _stats(venue, ada)
    assert (stats.visits, stats.total_spent_minor, venue.balances(ada).points) == (1, 2_700, 27)
    assert venue.count("visits") == 1


def test_a_tab_that_lifts_its_customer_to_silver_stays_priced_as_it_closed(
    venue: Venue,
) -> None:
    perks = venue.category(
        "Silver perks",
        [rule("Silver 15 %", RuleKind.PERCENT_DISCOUNT, percent=Decimal("15"))],
        priority=20,
    )
    with venue.uow() as uow:
        perks_uuid = uow.catalogue.promotion_category(perks).uuid  # type: ignore[union-attr]
    venue = venue.with_settings(
        tiers=TierLadder.bronze_silver_gold(categories={"Silver": perks_uuid})
    )
    ada = venue.customer(promotion_category_id=venue.vip)
    venue.earn(ada, 990)  # 10 short of Silver
    tab = venue.tabs.open(
        WAITER, table_id=venue.table_1, customer_id=ada, identified_by=IdentifiedBy.CARD
    )
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.burger, 2)
    # Bronze: VIP's 10 % off 30.00 = 27.00, and 27 points: 1,017 lifetime, Silver.
    assert (tab.tier_name, tab.total_minor, tab.points_to_earn) == ("Bronze", 2_700, 27)
    venue.checkout.pay_and_close(CASHIER, tab.uuid, [Tender.by_card(2_700)])

    looked = venue.tabs.view(WAITER, tab.uuid)
    assert (looked.tier_name, looked.total_minor, looked.due_minor) == ("Bronze", 2_700, 0)

    nxt = venue.tabs.open(
        WAITER, table_id=venue.table_1, customer_id=ada, identified_by=IdentifiedBy.CARD
    )
    nxt = venue.tabs.add_item(WAITER, nxt.uuid, venue.burger)
    # Silver now: the best of VIP 10 % and Silver 15 % off 15.00 is 2.25: 12.75.
    assert (nxt.tier_name, nxt.total_minor) == ("Silver", 1_275)

    # Reopening the first tab takes its 27 points back: Ada is Bronze again.
    venue.checkout.reopen(MANAGER, tab.uuid, "billed to the wrong customer")
    assert venue.tabs.view(WAITER, nxt.uuid).tier_name == "Bronze"
    assert _stats(venue, ada).visits == 0
