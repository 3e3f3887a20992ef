"""Price a guest tab: discounts, points, taxes and the total, with a "why this price" trace.

``price_tab`` is pure and deterministic. The stacking model (which categories a line
collects, how rules and categories compose, the caps) is in docs/PRICING.md,
``app.domain.line_plans`` and ``app.domain.stacking``; so is the rounding rule per
currency.

In a priced line, ``net_minor`` is the price after discounts, on the tab's own basis:
tax-inclusive under ``TaxMode.INCLUDED``, before tax under ``TaxMode.ADDED``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from app.domain.errors import FieldProblem, ValidationError
from app.domain.line_plans import LinePlan, Planner, PreparedCategory, PreparedRule, ordinal
from app.domain.money import (
    Currency,
    TaxMode,
    allocate,
    percent_text,
    ratio,
    tax_from_gross,
    tax_on_net,
)
from app.domain.promotions import AttachLevel, Attachment, Composition, RuleKind, SalesRule
from app.domain.stacking import accrued_points, explain, line_discounts


@dataclass(frozen=True, slots=True)
class PricingLine:
    """An order line as pricing sees it."""

    uuid: str
    item_id: int
    group_id: int
    name: str
    quantity: int
    unit_price_minor: int
    tax_rate: Decimal  # 0.20 for 20 %
    discountable: bool = True
    earns_points: bool = True
    order_no: int | None = None  # set once the line is sent to the kitchen

    def __post_init__(self) -> None:
        found: list[FieldProblem] = []
        if self.quantity < 1:
            found.append(FieldProblem("quantity", f"{self.name}: the quantity must be 1 or more"))
        if self.unit_price_minor < 0:
            found.append(FieldProblem("unit_price_minor", f"{self.name}: the price is negative"))
        if not self.tax_rate.is_finite() or self.tax_rate < 0:
            found.append(FieldProblem("tax_rate", f"{self.name}: the tax rate is not valid"))
        if found:
            raise ValidationError(found)


@dataclass(frozen=True)
class PricingContext:
    """Everything about the sitting that pricing needs besides the lines."""

    local_time: datetime  # venue local time: validity windows are read on its clock
    currency: Currency
    tax_mode: TaxMode = TaxMode.INCLUDED
    birthday: date | None = None
    visit_number: int = 1  # this visit, 1-based
    purchases_in_scope: Mapping[str, int] = field(default_factory=dict)  # rule uuid -> units
    venue_composition: Composition = Composition.BEST_OF
    venue_max_percent: Decimal | None = None

    def __post_init__(self) -> None:
        found: list[FieldProblem] = []
        if self.visit_number < 1:
            found.append(FieldProblem("visit_number", "The visit number starts at 1"))
        cap = self.venue_max_percent
        if cap is not None and (not cap.is_finite() or not 0 <= cap <= 100):
            found.append(FieldProblem("venue_max_percent", "The venue cap must be 0 to 100 %"))
        if any(units < 0 for units in self.purchases_in_scope.values()):
            found.append(FieldProblem("purchases_in_scope", "Past purchases cannot be negative"))
        if found:
            raise ValidationError(found)


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One thing a rule did: a discount on a line, points, or a bonus on the tab."""

    rule_uuid: str
    rule_name: str
    category_uuid: str
    category_name: str
    level: AttachLevel
    amount_minor: int  # discount, >= 0; 0 for points
    points: int  # whole points
    explanation: str  # "why this price", ready for the screen or the receipt
    kind: RuleKind | None = None


@dataclass(frozen=True, slots=True)
class PricedLine:
    uuid: str
    gross_minor: int  # quantity × unit price
    discount_minor: int
    net_minor: int  # gross - discount
    tax_minor: int  # this line's share of its rate's tax
    points: int
    adjustments: tuple[Adjustment, ...]


@dataclass(frozen=True, slots=True)
class TaxLine:
    """Tax at one rate over the whole tab. ``base_minor`` excludes the tax."""

    rate: Decimal
    base_minor: int
    tax_minor: int

    @property
    def gross_minor(self) -> int:
        return self.base_minor + self.tax_minor


@dataclass(frozen=True, slots=True)
class PricedTab:
    lines: tuple[PricedLine, ...]
    gross_minor: int
    discount_minor: int
    tax_minor: int
    total_minor: int  # what the guest pays (before cash rounding: money.round_cash)
    taxes: tuple[TaxLine, ...]
    points_earned: int  # accrual on the lines
    bonus_points: int  # birthday and visit bonuses
    tab_limit_minor: int | None  # the tightest limit of the attached categories
    adjustments: tuple[Adjustment, ...]  # tab-level: bonus points

    @property
    def total_points(self) -> int:
        return self.points_earned + self.bonus_points


_NO_FREE: Mapping[str, int] = {}

# Pricing builds a few hundred of these per tab on the till's hot path. A frozen
# dataclass's __init__ calls object.__setattr__ per field; setting the slots directly is
# over twice as fast and builds the very same object (tests compare the two).
_new = object.__new__
_ADJUSTMENT_SLOTS = [Adjustment.__dict__[f].__set__ for f in Adjustment.__slots__]
_LINE_SLOTS = [PricedLine.__dict__[f].__set__ for f in PricedLine.__slots__]


def _new_adjustment(
    rule: PreparedRule,
    category: PreparedCategory,
    level: AttachLevel,
    amount_minor: int,
    points: int,
    explanation: str,
) -> Adjustment:
    """``Adjustment(...)`` for a prepared rule, without the frozen dataclass's overhead."""
    a0, a1, a2, a3, a4, a5, a6, a7, a8 = _ADJUSTMENT_SLOTS
    made: Adjustment = _new(Adjustment)
    a0(made, rule.uuid)
    a1(made, rule.name)
    a2(made, category.uuid)
    a3(made, category.name)
    a4(made, level)
    a5(made, amount_minor)
    a6(made, points)
    a7(made, explanation)
    a8(made, rule.kind)
    return made


def _new_priced_line(
    uuid: str,
    gross_minor: int,
    discount_minor: int,
    net_minor: int,
    tax_minor: int,
    points: int,
    adjustments: tuple[Adjustment, ...],
) -> PricedLine:
    """``PricedLine(...)`` without the frozen dataclass's per-field overhead."""
    l0, l1, l2, l3, l4, l5, l6 = _LINE_SLOTS
    made: PricedLine = _new(PricedLine)
    l0(made, uuid)
    l1(made, gross_minor)
    l2(made, discount_minor)
    l3(made, net_minor)
    l4(made, tax_minor)
    l5(made, points)
    l6(made, adjustments)
    return made


def price_tab(
    lines: Sequence[PricingLine], attachments: Sequence[Attachment], context: PricingContext
) -> PricedTab:
    """Price every line of a tab under the attached promotion categories."""
    planner = Planner(
        attachments,
        context.local_time,
        context.currency,
        context.birthday,
        context.visit_number,
    )
    plans = planner.plans(lines)
    free = _free_units(lines, plans, context.purchases_in_scope)
    venue = context.venue_composition
    cap = context.venue_max_percent
    venue_cap = None if cap is None else (ratio(cap)[0], ratio(cap)[1] * 100)
    cap_note = "" if cap is None else f"capped at {percent_text(cap)} by the venue"
    grosses: list[int] = []
    discounts: list[int] = []
    points: list[int] = []
    adjustments: list[tuple[Adjustment, ...]] = []
    # Alike lines (same plan, price, quantity, name, free units) price alike: reuse the first.
    alike: dict[tuple[object, ...], tuple[int, int, tuple[Adjustment, ...]]] = {}
    for line, plan, line_free in zip(lines, plans, free, strict=True):
        quantity, price = line.quantity, line.unit_price_minor
        key = (
            plan,
            price,
            quantity,
            line.name,
            line.discountable,
            line.earns_points,
            tuple(line_free.items()) if line_free else None,
        )
        found = alike.get(key)
        if found is None:
            found = alike[key] = _price_line(line, plan, line_free, venue, venue_cap, cap_note)
        grosses.append(quantity * price)
        discounts.append(found[0])
        points.append(found[1])
        adjustments.append(found[2])
    bonuses: dict[str, Adjustment] = {}
    for plan in dict.fromkeys(plans):
        for rule, category, level in plan.bonuses:
            if rule.uuid not in bonuses:
                bonuses[rule.uuid] = _bonus(rule, category, level, context.visit_number)
    nets = [gross - discount for gross, discount in zip(grosses, discounts, strict=True)]
    line_tax, taxes = _taxes([line.tax_rate for line in lines], nets, context.tax_mode)
    priced_lines = tuple(
        map(
            _new_priced_line,
            [line.uuid for line in lines],
            grosses,
            discounts,
            nets,
            line_tax,
            points,
            adjustments,
        )
    )
    net_total = sum(nets)
    tax_total = sum(t.tax_minor for t in taxes)
    tab_adjustments = tuple(bonuses.values())
    return PricedTab(
        lines=priced_lines,
        gross_minor=sum(grosses),
        discount_minor=sum(discounts),
        tax_minor=tax_total,
        total_minor=net_total + tax_total if context.tax_mode is TaxMode.ADDED else net_total,
        taxes=taxes,
        points_earned=sum(points),
        bonus_points=sum(a.points for a in tab_adjustments),
        tab_limit_minor=planner.tab_limit_minor,
        adjustments=tab_adjustments,
    )


def _price_line(
    line: PricingLine,
    plan: LinePlan,
    free: Mapping[str, int],
    venue: Composition,
    venue_cap: tuple[int, int] | None,
    cap_note: str,
) -> tuple[int, int, tuple[Adjustment, ...]]:
    """A line's discount, points and their adjustments."""
    gross = line.quantity * line.unit_price_minor
    adjustments: list[Adjustment] = []
    discount = 0
    if line.discountable and plan.discounts:
        granted, discount = line_discounts(
            plan, gross, line.quantity, free, venue, venue_cap, cap_note
        )
        for entry in granted:
            text = explain(entry, line.name, line.quantity, free)
            adjustments.append(_new_adjustment(entry[0], entry[1], entry[2], entry[3], 0, text))
    points = 0
    if line.earns_points and plan.accrual is not None:
        rule, category, level = plan.accrual
        points = accrued_points(rule, gross - discount)
        if points > 0:
            text = f"{rule.head}{line.name} = {points} points ({category.category.name})"
            adjustments.append(_new_adjustment(rule, category, level, 0, points, text))
    return discount, points, tuple(adjustments)


def _free_units(
    lines: Sequence[PricingLine], plans: Sequence[LinePlan], before: Mapping[str, int]
) -> list[Mapping[str, int]]:
    """Free units per line and FREE_EVERY_N rule: the cheapest units of the tab go free.

    A rule frees ``(before + here) // n - before // n`` units, where ``before`` is the
    units bought in scope on earlier tabs and ``here`` those on this tab's discountable
    lines that collect the rule. They are taken from the cheapest unit price up, ties to
    the earlier line.
    """
    counted: dict[str, tuple[SalesRule, list[int]]] = {}
    for index, (line, plan) in enumerate(zip(lines, plans, strict=True)):
        if line.discountable:
            for rule in plan.free_every_n:
                counted.setdefault(rule.uuid, (rule, []))[1].append(index)
    chosen: dict[int, dict[str, int]] = {}
    for uuid, (rule, indexes) in counted.items():
        every_n = rule.every_n or 1
        past = before.get(uuid, 0)
        here = sum(lines[i].quantity for i in indexes)
        left = (past + here) // every_n - past // every_n
        for index in sorted(indexes, key=lambda i: (lines[i].unit_price_minor, i)):
            if left <= 0:
                break
            take = min(left, lines[index].quantity)
            left -= take
            chosen.setdefault(index, {})[uuid] = take
    return [chosen.get(index, _NO_FREE) for index in range(len(lines))]


def _bonus(
    rule: PreparedRule, category: PreparedCategory, level: AttachLevel, visit_number: int
) -> Adjustment:
    points = rule.rule.bonus_points or 0
    occasion = (
        "the birthday"
        if rule.kind is RuleKind.BIRTHDAY_REWARD
        else f"the {ordinal(visit_number)} visit"
    )
    text = f"{rule.rule.name}: {points} bonus points for {occasion} ({category.category.name})"
    return _new_adjustment(rule, category, level, 0, points, text)


def _taxes(
    rates: Sequence[Decimal], nets: Sequence[int], mode: TaxMode
) -> tuple[list[int], tuple[TaxLine, ...]]:
    """Tax per rate on the tab's total at that rate, then shared out to the lines."""
    by_rate: dict[Decimal, list[int]] = {}
    for index, rate in enumerate(rates):
        found = by_rate.get(rate)
        if found is None:
            by_rate[rate] = [index]
        else:
            found.append(index)
    line_tax = [0] * len(nets)
    taxes: list[TaxLine] = []
    for rate in sorted(by_rate):
        indexes = by_rate[rate]
        weights = [nets[i] for i in indexes]
        amount = sum(weights)
        if mode is TaxMode.INCLUDED:
            tax = tax_from_gross(amount, rate)
            base = amount - tax
        else:
            tax = tax_on_net(amount, rate)
            base = amount
        if len(indexes) == len(nets):
            line_tax = allocate(tax, weights)
        else:
            for index, part in zip(indexes, allocate(tax, weights), strict=True):
                line_tax[index] = part
        taxes.append(TaxLine(rate, base, tax))
    return line_tax, tuple(taxes)
