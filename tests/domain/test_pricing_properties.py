"""Properties price_tab keeps for any tab, any rules and any attachments."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.domain.money import CURRENCIES, TaxMode, tax_on_net
from app.domain.pricing import PricedTab, PricingContext, PricingLine, price_tab
from app.domain.promotions import (
    AttachLevel,
    Attachment,
    CategoryRules,
    Composition,
    RuleKind,
    RuleScope,
    SalesRule,
    ValidityWindow,
)

ITEMS = {item: 1 + item % 3 for item in range(1, 10)}  # item id -> its menu group (1-3)
TAX_RATES = [Decimal(r) for r in ("0", "0.05", "0.077", "0.10", "0.20", "0.25")]
CURRENCY_LIST = sorted(CURRENCIES.values(), key=lambda c: c.code)
# Local times cross a new year and London's clock changes; birthdays include 29 February.
VENUE_ZONE = ZoneInfo("Europe/London")
START = datetime(2024, 12, 25, tzinfo=VENUE_ZONE)

# Prebuilt so one draw picks a whole scope or window: generation stays cheap.
SCOPES = [
    RuleScope(),
    RuleScope(group_ids=frozenset({1})),
    RuleScope(group_ids=frozenset({2, 3})),
    RuleScope(item_ids=frozenset({1, 4})),
    RuleScope(group_ids=frozenset({3}), item_ids=frozenset({2})),
]
WINDOWS = [
    ValidityWindow(),
    ValidityWindow(starts=time(17), ends=time(19)),
    ValidityWindow(starts=time(22), ends=time(2)),  # wraps midnight
    ValidityWindow(weekdays=frozenset({0, 1, 2, 3, 4})),
    ValidityWindow(weekdays=frozenset({4, 5}), starts=time(20)),
    ValidityWindow(ends=time(12)),
    ValidityWindow(first_day=date(2025, 1, 1), last_day=date(2025, 12, 31)),
]

percents = st.integers(1, 10_000).map(lambda hundredths: Decimal(hundredths) / 100)
caps = st.none() | st.integers(0, 100).map(Decimal) | percents
bonuses = st.integers(1, 1000)
rewards = st.one_of(  # percent and/or bonus points
    st.tuples(percents, st.none()), st.tuples(st.none(), bonuses), st.tuples(percents, bonuses)
)
_scope, _window = st.sampled_from(SCOPES), st.sampled_from(WINDOWS)


def _kind(
    kind: RuleKind, **fields: st.SearchStrategy[object]
) -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries(
        {"kind": st.just(kind), "scope": _scope, "window": _window, **fields}
    )


rule_fields = st.one_of(
    _kind(RuleKind.PERCENT_DISCOUNT, percent=percents),
    _kind(RuleKind.FIXED_PRICE, fixed_price_minor=st.integers(0, 3000)),
    _kind(RuleKind.POINTS_ACCRUAL, points_per_unit=percents.map(lambda p: p / 10)),
    _kind(RuleKind.FREE_EVERY_N, every_n=st.integers(2, 6)),
    _kind(RuleKind.BIRTHDAY_REWARD, reward=rewards, birthday_days=st.integers(0, 7)),
    _kind(
        RuleKind.NTH_VISIT_BONUS, reward=rewards, every_n=st.integers(1, 5), repeats=st.booleans()
    ),
)
category_specs = st.tuples(
    st.integers(0, 3),  # priority
    st.sampled_from(Composition),
    caps,
    st.none() | st.integers(0, 100_000),  # tab limit
    st.lists(rule_fields, max_size=3),
    st.sets(st.sampled_from(AttachLevel), min_size=1, max_size=2),
    st.integers(1, 3),  # the order an ORDER attachment names
    st.integers(0, 9),  # the line a LINE attachment names
)
line_specs = st.tuples(
    st.sampled_from(sorted(ITEMS)),
    st.integers(1, 6),  # quantity
    st.integers(0, 5000) | st.sampled_from([1, 5, 99, 100]),  # unit price
    st.sampled_from(TAX_RATES),
    st.booleans(),  # discountable
    st.booleans(),  # earns points
    st.none() | st.integers(1, 3),  # order number
    st.none() | st.integers(-12 * 60, 60),  # ordered, in minutes from the moment of pricing
)
context_specs = st.tuples(
    st.integers(0, 376 * 24 * 60),  # minutes after START
    st.sampled_from(CURRENCY_LIST),
    st.sampled_from(TaxMode),
    st.none() | st.integers(0, 60 * 366),  # birthday: days after 1950-01-01
    st.integers(1, 30),  # visit number
    st.sampled_from(Composition),
    caps,
    st.integers(0, 20),  # past purchases: rule i had (this + i) % 21 units
)


def _rule(uuid: str, fields: dict[str, object]) -> SalesRule:
    fields = dict(fields)
    if "reward" in fields:
        fields["percent"], fields["bonus_points"] = fields.pop("reward")  # type: ignore[misc]
    kind = fields.pop("kind")
    return SalesRule(uuid, f"Rule {uuid}", kind, **fields)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Case:
    lines: list[PricingLine]
    attachments: list[Attachment]
    context: PricingContext


def _case(lines: list[tuple], specs: list[tuple], ctx: tuple) -> Case:  # type: ignore[type-arg]
    local_time = START + timedelta(minutes=ctx[0])  # the moment of pricing
    priced = [
        PricingLine(
            f"line-{i}",
            item,
            ITEMS[item],
            f"Item {item}",
            qty,
            price,
            rate,
            d,
            e,
            order,
            None if ordered is None else (local_time + timedelta(minutes=ordered)).astimezone(UTC),
        )
        for i, (item, qty, price, rate, d, e, order, ordered) in enumerate(lines)
    ]
    attachments: list[Attachment] = []
    for index, (priority, composition, cap, limit, rules, levels, order, at) in enumerate(specs):
        category = CategoryRules(
            uuid=f"cat-{index}",
            name=f"Category {index}",
            priority=priority,
            composition=composition,
            max_percent=cap,
            tab_limit_minor=limit,
            rules=tuple(_rule(f"r{index}-{n}", fields) for n, fields in enumerate(rules)),
        )
        for level in sorted(levels):
            target = None
            if level is AttachLevel.ORDER:
                target = str(order)
            elif level is AttachLevel.LINE:
                target = priced[at % len(priced)].uuid if priced else "no-such-line"
            attachments.append(Attachment(level, category, target))
    _, currency, tax_mode, born, visit, venue, venue_cap, history = ctx
    rule_uuids = sorted({r.uuid for a in attachments for r in a.category.rules})
    context = PricingContext(
        local_time=local_time,
        currency=currency,
        tax_mode=tax_mode,
        birthday=None if born is None else date(1950, 1, 1) + timedelta(days=born),
        visit_number=visit,
        purchases_in_scope={u: (history + i) % 21 for i, u in enumerate(rule_uuids)},
        venue_composition=venue,
        venue_max_percent=venue_cap,
    )
    return Case(priced, attachments, context)


cases = st.builds(
    _case, st.lists(line_specs, max_size=8), st.lists(category_specs, max_size=7), context_specs
)


def price(case: Case, **changes: object) -> PricedTab:
    return price_tab(case.lines, case.attachments, replace(case.context, **changes))  # type: ignore[arg-type]


fast = settings(max_examples=100, deadline=None)


@fast
@given(cases)
def test_nothing_is_ever_negative_and_no_discount_exceeds_its_line(case: Case) -> None:
    tab = price(case)
    assert min(tab.gross_minor, tab.discount_minor, tab.tax_minor, tab.total_minor) >= 0
    for line, priced in zip(case.lines, tab.lines, strict=True):
        assert priced.uuid == line.uuid
        assert priced.gross_minor == line.quantity * line.unit_price_minor
        assert 0 <= priced.discount_minor <= priced.gross_minor
        assert priced.net_minor >= 0 and priced.tax_minor >= 0
        assert all(a.amount_minor >= 0 and a.points >= 0 for a in priced.adjustments)
        assert sum(a.amount_minor for a in priced.adjustments) == priced.discount_minor
        if not line.discountable:
            assert priced.discount_minor == 0


@fast
@given(cases)
def test_the_parts_sum_to_the_total(case: Case) -> None:
    tab = price(case)
    nets = sum(p.net_minor for p in tab.lines)
    assert all(p.net_minor == p.gross_minor - p.discount_minor for p in tab.lines)
    assert tab.gross_minor == sum(p.gross_minor for p in tab.lines)
    assert tab.discount_minor == sum(p.discount_minor for p in tab.lines)
    added = case.context.tax_mode is TaxMode.ADDED
    assert tab.total_minor == (nets + tab.tax_minor if added else nets)
    assert tab.tax_minor == sum(t.tax_minor for t in tab.taxes)
    assert tab.tax_minor == sum(p.tax_minor for p in tab.lines)
    for tax_line in tab.taxes:
        at_rate = [
            p for p, ln in zip(tab.lines, case.lines, strict=True) if ln.tax_rate == tax_line.rate
        ]
        assert sum(p.tax_minor for p in at_rate) == tax_line.tax_minor
        base = sum(p.net_minor for p in at_rate)
        if added:
            assert (tax_line.base_minor, tax_line.tax_minor) == (
                base,
                tax_on_net(base, tax_line.rate),
            )
        else:
            assert tax_line.base_minor + tax_line.tax_minor == base


@fast
@given(cases)
def test_points_are_whole_and_add_up(case: Case) -> None:
    tab = price(case)
    for line, priced in zip(case.lines, tab.lines, strict=True):
        assert isinstance(priced.points, int) and priced.points >= 0
        assert priced.points == sum(a.points for a in priced.adjustments)
        if not line.earns_points:
            assert priced.points == 0
    assert tab.points_earned == sum(p.points for p in tab.lines)
    assert tab.bonus_points == sum(a.points for a in tab.adjustments)
    assert all(isinstance(a.points, int) and a.points > 0 for a in tab.adjustments)


@fast
@given(cases)
def test_caps_hold(case: Case) -> None:
    tab = price(case)
    venue_cap = case.context.venue_max_percent
    caps = {a.category.uuid: a.category.max_percent for a in case.attachments}
    for priced in tab.lines:
        if venue_cap is not None:
            assert priced.discount_minor * 100 <= priced.gross_minor * venue_cap
        by_category: dict[str, int] = {}
        for adjustment in priced.adjustments:
            uuid = adjustment.category_uuid
            by_category[uuid] = by_category.get(uuid, 0) + adjustment.amount_minor
        for uuid, amount in by_category.items():
            cap = caps[uuid]
            if cap is not None:
                assert amount * 100 <= priced.gross_minor * cap


@fast
@given(cases)
def test_deterministic_whatever_order_the_attachments_come_in(case: Case) -> None:
    tab = price(case)
    assert price(case) == tab
    reversed_order = price_tab(case.lines, case.attachments[::-1], case.context)
    assert reversed_order == tab


@fast
@given(cases)
def test_best_of_gives_at_least_the_first_that_applies_and_sum_at_least_best_of(
    case: Case,
) -> None:
    first = price(case, venue_composition=Composition.FIRST_APPLIES)
    best = price(case, venue_composition=Composition.BEST_OF)
    summed = price(case, venue_composition=Composition.SUM)
    for a, b, c in zip(first.lines, best.lines, summed.lines, strict=True):
        assert a.discount_minor <= b.discount_minor <= c.discount_minor


@fast
@given(cases)
def test_every_adjustment_explains_itself(case: Case) -> None:
    tab = price(case)
    names = {r.uuid: r.name for a in case.attachments for r in a.category.rules}
    for adjustment in [a for p in tab.lines for a in p.adjustments] + list(tab.adjustments):
        assert adjustment.rule_name == names[adjustment.rule_uuid]
        assert adjustment.explanation.startswith(adjustment.rule_name + ": ")
        assert f"({adjustment.category_name}" in adjustment.explanation


@fast
@given(cases)
def test_a_line_at_a_zero_percent_venue_cap_gets_nothing(case: Case) -> None:
    tab = price(case, venue_max_percent=Decimal(0))
    assert tab.discount_minor == 0
    assert all(a.amount_minor == 0 for p in tab.lines for a in p.adjustments)


@fast
@given(cases, st.integers(0, 24 * 60 - 1))
def test_lines_ordered_together_on_the_day_price_as_if_priced_then(case: Case, minute: int) -> None:
    day = case.context.local_time
    moment = day.replace(hour=minute // 60, minute=minute % 60).astimezone(UTC)
    local = moment.astimezone(VENUE_ZONE)
    assume(local.date() == day.date())  # birthdays and visits are judged on the day
    together = [replace(ln, ordered_at=moment) for ln in case.lines]
    unordered = [replace(ln, ordered_at=None) for ln in case.lines]
    assert price_tab(together, case.attachments, case.context) == price_tab(
        unordered, case.attachments, replace(case.context, local_time=local)
    )
