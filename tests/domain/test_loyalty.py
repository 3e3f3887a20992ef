from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import ValidationError
from app.domain.loyalty import (
    DEFAULT_TIERS,
    CustomerStats,
    Tier,
    TierLadder,
    VisitFacts,
    add_visit,
)
from app.domain.payments import PaymentMethod

DAY = datetime(2025, 5, 1, 20, tzinfo=UTC)
CASH, CARD, PURSE, POINTS = PaymentMethod


@pytest.mark.parametrize(
    ("points", "tier"),
    [
        (0, "Bronze"),
        (999, "Bronze"),
        (1000, "Silver"),
        (4999, "Silver"),
        (5000, "Gold"),
        (10**9, "Gold"),
        (-5, "Bronze"),
    ],
)
def test_default_tiers(points: int, tier: str) -> None:
    assert TierLadder().tier_for(points).name == tier
    assert TierLadder().tiers == DEFAULT_TIERS


def test_next_tier_and_points_to_go() -> None:
    ladder = TierLadder()
    assert ladder.next_tier(250) == Tier("Silver", 1000)
    assert ladder.points_to_next(250) == 750
    assert ladder.points_to_next(4999) == 1
    assert ladder.next_tier(5000) is None and ladder.points_to_next(7000) is None


def test_thresholds_and_categories_are_configurable() -> None:
    ladder = TierLadder.bronze_silver_gold(
        500, 2000, categories={"Silver": "cat-silver", "Gold": "cat-gold"}
    )
    assert ladder.tier_for(499) == Tier("Bronze", 0, None)
    assert ladder.tier_for(500) == Tier("Silver", 500, "cat-silver")
    assert ladder.tier_for(2000).category_uuid == "cat-gold"
    custom = TierLadder((Tier("Regular", 0), Tier("Friend", 10), Tier("Family", 20, "c")))
    assert custom.tier_for(25).name == "Family"


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ((), "start at 0"),
        ((Tier("Silver", 100),), "start at 0"),
        ((Tier("Bronze", 0), Tier("Silver", 0)), "Silver must start above Bronze's 0 points"),
        ((Tier("Bronze", 0), Tier("bronze", 10)), "its own name"),
        ((Tier("Bronze", 0), Tier(" ", 10)), "its own name"),
    ],
)
def test_a_ladder_must_make_sense(tiers: tuple[Tier, ...], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TierLadder(tiers)


def test_statistics_grow_visit_by_visit() -> None:
    stats = CustomerStats(customer_id=4)
    assert stats.average_check_minor == 0 and stats.preferred_payment_method is None
    stats = add_visit(
        stats, VisitFacts(at=DAY, spent_minor=3000, items={1: 2, 2: 1}, payment_methods=[CARD])
    )
    stats = add_visit(
        stats,
        VisitFacts(
            at=DAY + timedelta(days=3),
            spent_minor=4001,
            items={2: 3, 3: 1},
            payment_methods=[CASH, CARD, CARD],
        ),
    )
    stats = add_visit(
        stats,
        VisitFacts(at=DAY - timedelta(days=10), spent_minor=0, payment_methods=[CASH]),
    )
    assert stats.customer_id == 4 and stats.visits == 3
    assert stats.total_spent_minor == 7001
    assert stats.average_check_minor == 2334  # 2333.67 rounds half up
    assert stats.first_visit == DAY - timedelta(days=10)
    assert stats.last_visit == DAY + timedelta(days=3)
    assert dict(stats.item_counts) == {1: 2, 2: 4, 3: 1}
    assert stats.favourite_items == ((2, 4), (1, 2), (3, 1))
    assert dict(stats.payment_counts) == {CARD: 2, CASH: 2}  # each tab counts a method once
    assert stats.preferred_payment_method is CASH  # tie: PaymentMethod's order decides


def test_adding_a_visit_leaves_the_old_figures_alone() -> None:
    before = CustomerStats(customer_id=1, item_counts={5: 1}, favourite_items=((5, 1),))
    after = add_visit(before, VisitFacts(at=DAY, spent_minor=100, items={5: 2}))
    assert before.item_counts == {5: 1} and before.visits == 0
    assert after.item_counts == {5: 3}


def test_average_check_rounds_half_up() -> None:
    stats = CustomerStats(customer_id=1, visits=2, total_spent_minor=5)
    assert stats.average_check_minor == 3


def test_rule_units_accumulate_for_free_every_n() -> None:
    stats = add_visit(
        CustomerStats(customer_id=1), VisitFacts(at=DAY, spent_minor=0, rule_units={"r": 3})
    )
    stats = add_visit(stats, VisitFacts(at=DAY, spent_minor=0, rule_units={"r": 2, "s": 0}))
    assert stats.rule_units == {"r": 5}


@pytest.mark.parametrize(
    "facts",
    [
        VisitFacts(at=DAY, spent_minor=-1),
        VisitFacts(at=DAY, spent_minor=1, items={1: 0}),
        VisitFacts(at=DAY, spent_minor=1, rule_units={"r": -1}),
        VisitFacts(at=datetime(2025, 1, 1), spent_minor=1),
    ],
)
def test_nonsense_facts_are_refused(facts: VisitFacts) -> None:
    with pytest.raises(ValidationError):
        add_visit(CustomerStats(customer_id=1), facts)


visits = st.lists(st.dictionaries(st.integers(1, 30), st.integers(1, 5), max_size=6), max_size=40)


@settings(max_examples=200)
@given(visits, st.integers(1, 8))
def test_incremental_favourites_match_a_full_count(baskets: list[dict[int, int]], top: int) -> None:
    stats = CustomerStats(customer_id=1)
    totals: Counter[int] = Counter()
    for basket in baskets:
        stats = add_visit(stats, VisitFacts(at=DAY, spent_minor=1, items=basket), top=top)
        totals.update(basket)
    expected = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    assert list(stats.favourite_items) == expected
    assert stats.item_counts == dict(totals)
    assert stats.visits == len(baskets)
