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

from app.domain.bill_taxes import TaxLine, taxes_by_rate
from app.domain.errors import FieldProblem, ValidationError
from app.domain.free_every_n import collecting, free_units, units
from app.domain.line_plans import LinePlan, Planner
from app.domain.money import Currency, TaxMode, ratio
from app.domain.prepared_rules import PreparedCategory, PreparedRule
from app.domain.pricing_texts import (
    WORDED_BY_UNITS,
    bonus_text,
    discount_text,
    points_text,
    venue_cap_note,
)
from app.domain.promotions import AttachLevel, Attachment, Composition, RuleKind
from app.domain.stacking import line_discounts

__all__ = [
    "Adjustment",
    "PricedLine",
    "PricedTab",
    "PricingContext",
    "PricingLine",
    "TaxLine",
    "price_tab",
    "units_in_scope",
]


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
    # When the line was ordered (aware): its validity windows are judged then, on the
    # venue's clock. None (a line priced ad hoc) judges them at the context's local time.
    ordered_at: datetime | None = None

    def __post_init__(self) -> None:
        found: list[FieldProblem] = []
        if self.quantity < 1:
            found.append(FieldProblem("quantity", f"{self.name}: the quantity must be 1 or more"))
        if self.unit_price_minor < 0:
            found.append(FieldProblem("unit_price_minor", f"{self.name}: the price is negative"))
        if not self.tax_rate.is_finite() or self.tax_rate < 0:
            found.append(FieldProblem("tax_rate", f"{self.name}: the tax rate is not valid"))
        if self.ordered_at is not None and self.ordered_at.utcoffset() is None:
            found.append(
                FieldProblem("ordered_at", f"{self.name}: the time it was ordered needs its zone")
            )
        if found:
            raise ValidationError(found)


@dataclass(frozen=True)
class PricingContext:
    """Everything about the sitting that pricing needs besides the lines."""

    # The moment of pricing on the venue's clock (aware, in the venue's zone): birthdays and
    # visits are judged on its day, and the windows of lines with no ``ordered_at``.
    local_time: datetime
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
    # (FREE_EVERY_N rule uuid, units on this tab that count towards it), by uuid: what
    # the customer's statistics add up for the next free unit
    free_every_n_units: tuple[tuple[str, int], ...] = ()

    @property
    def total_points(self) -> int:
        return self.points_earned + self.bonus_points


# Pricing builds a few hundred adjustments and a line per order line on the till's hot
# path, and a frozen dataclass's __init__ sets each field through object.__setattr__. A
# draft with the same slots is filled in plainly, then becomes the frozen class (CPython
# allows __class__ assignment between classes of the same layout): the very same objects,
# in under half the time. Tests compare them with ones built the ordinary way.
class _AdjustmentDraft:
    rule_uuid: str
    rule_name: str
    category_uuid: str
    category_name: str
    level: AttachLevel
    amount_minor: int
    points: int
    explanation: str
    kind: RuleKind | None
    __slots__ = (
        "amount_minor",
        "category_name",
        "category_uuid",
        "explanation",
        "kind",
        "level",
        "points",
        "rule_name",
        "rule_uuid",
    )


class _PricedLineDraft:
    uuid: str
    gross_minor: int
    discount_minor: int
    net_minor: int
    tax_minor: int
    points: int
    adjustments: tuple[Adjustment, ...]
    __slots__ = (
        "adjustments",
        "discount_minor",
        "gross_minor",
        "net_minor",
        "points",
        "tax_minor",
        "uuid",
    )


def _new_adjustment(
    rule: PreparedRule,
    category: PreparedCategory,
    level: AttachLevel,
    amount_minor: int,
    points: int,
    explanation: str,
) -> Adjustment:
    """``Adjustment(...)`` for a prepared rule, without the frozen dataclass's overhead."""
    made = _AdjustmentDraft()
    made.rule_uuid = rule.uuid
    made.rule_name = rule.name
    made.category_uuid = category.uuid
    made.category_name = category.name
    made.level = level
    made.amount_minor = amount_minor
    made.points = points
    made.explanation = explanation
    made.kind = rule.kind
    made.__class__ = Adjustment  # type: ignore[assignment]
    return made  # type: ignore[return-value]  # an Adjustment now (typing.cast costs a call)


def price_tab(
    lines: Sequence[PricingLine], attachments: Sequence[Attachment], context: PricingContext
) -> PricedTab:
    """Price every line of a tab under the attached promotion categories.

    A rule's validity window is judged when each line was ordered (``ordered_at``, on the
    venue's clock), birthdays and visits on the day of ``context.local_time``.
    """
    _check_clock(lines, context)
    planner = _planner(attachments, context)
    plans = planner.plans(lines)
    counted = collecting(lines, plans)
    free = free_units(lines, counted, context.purchases_in_scope)
    venue = context.venue_composition
    cap = context.venue_max_percent
    venue_cap = None if cap is None else (ratio(cap)[0], ratio(cap)[1] * 100)
    cap_note = "" if cap is None else venue_cap_note(cap)
    # (discount, points, adjustments) per line. Alike lines (same plan, price, quantity,
    # name and flags) price alike: the first one's result is reused.
    results: list[tuple[int, int, tuple[Adjustment, ...]]] = []
    alike: dict[tuple[object, ...], tuple[int, int, tuple[Adjustment, ...]]] = {}
    for line, plan, line_free in zip(lines, plans, free, strict=True):
        if line_free:  # some of its units go free: priced on its own
            results.append(_price_line(line, plan, line_free, venue, venue_cap, cap_note))
            continue
        key = (
            plan,
            line.unit_price_minor,
            line.quantity,
            line.name,
            line.discountable,
            line.earns_points,
        )
        found = alike.get(key)
        if found is None:
            found = alike[key] = _price_line(line, plan, line_free, venue, venue_cap, cap_note)
        results.append(found)
    bonuses: dict[str, Adjustment] = {}
    for plan in dict.fromkeys(plans):
        for rule, category, level in plan.bonuses:
            if rule.uuid not in bonuses:
                bonuses[rule.uuid] = _bonus(rule, category, level, context.visit_number)
    nets = [
        line.quantity * line.unit_price_minor - result[0]
        for line, result in zip(lines, results, strict=True)
    ]
    line_tax, taxes = taxes_by_rate([line.tax_rate for line in lines], nets, context.tax_mode)
    priced_lines = _priced_lines(lines, results, nets, line_tax)
    net_total = sum(nets)
    discount_total = sum([result[0] for result in results])
    tax_total = sum(t.tax_minor for t in taxes)
    tab_adjustments = tuple(bonuses.values())
    return PricedTab(
        lines=priced_lines,
        gross_minor=net_total + discount_total,
        discount_minor=discount_total,
        tax_minor=tax_total,
        total_minor=net_total + tax_total if context.tax_mode is TaxMode.ADDED else net_total,
        taxes=taxes,
        points_earned=sum([result[1] for result in results]),
        bonus_points=sum(a.points for a in tab_adjustments),
        tab_limit_minor=planner.tab_limit_minor,
        adjustments=tab_adjustments,
        free_every_n_units=units(lines, counted),
    )


def _check_clock(lines: Sequence[PricingLine], context: PricingContext) -> None:
    if context.local_time.utcoffset() is None and any(ln.ordered_at for ln in lines):
        raise ValidationError.single(
            "local_time", "Lines carry when they were ordered: the venue's clock needs its zone"
        )


def _planner(attachments: Sequence[Attachment], context: PricingContext) -> Planner:
    return Planner(
        attachments,
        context.local_time,
        context.currency,
        context.birthday,
        context.visit_number,
    )


def _priced_lines(
    lines: Sequence[PricingLine],
    results: Sequence[tuple[int, int, tuple[Adjustment, ...]]],
    nets: Sequence[int],
    line_tax: Sequence[int],
) -> tuple[PricedLine, ...]:
    """The priced lines, without the frozen dataclass's per-field overhead (see above)."""
    made: list[PricedLine] = []
    for line, (discount, points, adjustments), net, tax in zip(
        lines, results, nets, line_tax, strict=True
    ):
        draft = _PricedLineDraft()
        draft.uuid = line.uuid
        draft.gross_minor = net + discount
        draft.discount_minor = discount
        draft.net_minor = net
        draft.tax_minor = tax
        draft.points = points
        draft.adjustments = adjustments
        draft.__class__ = PricedLine  # type: ignore[assignment]
        made.append(draft)  # type: ignore[arg-type]  # a PricedLine now
    return tuple(made)


def _price_line(
    line: PricingLine,
    plan: LinePlan,
    free: Mapping[str, int],
    venue: Composition,
    venue_cap: tuple[int, int] | None,
    cap_note: str,
) -> tuple[int, int, tuple[Adjustment, ...]]:
    """A line's discount, points and their adjustments.

    The hot path of pricing: the adjustments are filled in here as drafts (see
    ``_new_adjustment``), and the plain discount sentence is ``discount_text``'s own
    plain case, written out.
    """
    quantity, name = line.quantity, line.name
    gross = quantity * line.unit_price_minor
    adjustments: list[Adjustment] = []
    discount = 0
    if line.discountable and plan.discounts:
        granted, discount = line_discounts(plan, gross, quantity, free, venue, venue_cap, cap_note)
        for rule, category, level, amount, on_rest, note in granted:
            texts = rule.texts or rule.words()
            kind = rule.kind
            if on_rest or note or kind in WORDED_BY_UNITS:
                units = free.get(rule.uuid, 0) if free else 0
                text = discount_text(
                    texts, kind, name, quantity, units, category.name, on_rest, note
                )
            else:
                text = f"{texts[0]}{name}{texts[1]} ({category.name})"
            made = _AdjustmentDraft()
            made.rule_uuid, made.rule_name, made.kind = rule.uuid, rule.name, kind
            made.category_uuid, made.category_name = category.uuid, category.name
            made.level, made.amount_minor, made.points, made.explanation = level, amount, 0, text
            made.__class__ = Adjustment  # type: ignore[assignment]
            adjustments.append(made)  # type: ignore[arg-type]
    points = 0
    if line.earns_points and plan.accrual is not None:
        rule, category, level = plan.accrual
        points = (gross - discount) * rule.num // rule.den  # floored to whole points
        if points > 0:
            text = points_text((rule.texts or rule.words())[0], name, points, category.name)
            made = _AdjustmentDraft()
            made.rule_uuid, made.rule_name, made.kind = rule.uuid, rule.name, rule.kind
            made.category_uuid, made.category_name = category.uuid, category.name
            made.level, made.amount_minor, made.points, made.explanation = level, 0, points, text
            made.__class__ = Adjustment  # type: ignore[assignment]
            adjustments.append(made)  # type: ignore[arg-type]
    return discount, points, tuple(adjustments)


def units_in_scope(
    lines: Sequence[PricingLine], attachments: Sequence[Attachment], context: PricingContext
) -> dict[str, int]:
    """The units of the tab that count towards each FREE_EVERY_N rule, as ``price_tab``
    counts them (``PricedTab.free_every_n_units``), without pricing the tab: they do not
    depend on the customer's past purchases or visits."""
    _check_clock(lines, context)
    plans = _planner(attachments, context).plans(lines)
    return dict(units(lines, collecting(lines, plans)))


def _bonus(
    rule: PreparedRule, category: PreparedCategory, level: AttachLevel, visit_number: int
) -> Adjustment:
    points = rule.rule.bonus_points or 0
    text = bonus_text(rule.rule, points, visit_number, category.name)
    return _new_adjustment(rule, category, level, 0, points, text)
