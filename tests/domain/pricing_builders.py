"""Small builders for pricing tests: lines, rules, categories and a context."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from itertools import count

from app.domain.money import CURRENCIES, Currency, TaxMode
from app.domain.pricing import PricingContext, PricingLine
from app.domain.promotions import (
    AttachLevel,
    Attachment,
    CategoryRules,
    Composition,
    RuleKind,
    RuleScope,
    SalesRule,
)

EUR = CURRENCIES["EUR"]
DRINKS, FOOD, MERCH = 1, 2, 3  # menu groups
FRIDAY_EVENING = datetime(2025, 6, 13, 18, 30)  # a Friday, in happy hour
_ids = count(1)


def line(
    name: str = "Pale ale",
    price: int = 500,
    quantity: int = 1,
    *,
    item_id: int = 101,
    group_id: int = DRINKS,
    tax: str = "0.20",
    uuid: str | None = None,
    order_no: int | None = None,
    discountable: bool = True,
    earns_points: bool = True,
    ordered_at: datetime | None = None,
) -> PricingLine:
    return PricingLine(
        uuid=uuid or f"line-{next(_ids)}",
        item_id=item_id,
        group_id=group_id,
        name=name,
        quantity=quantity,
        unit_price_minor=price,
        tax_rate=Decimal(tax),
        discountable=discountable,
        earns_points=earns_points,
        order_no=order_no,
        ordered_at=ordered_at,
    )


def percent_off(
    percent: str, name: str = "Discount", *, groups: set[int] | None = None, **fields: object
) -> SalesRule:
    if groups:
        fields["scope"] = RuleScope(group_ids=frozenset(groups))
    return sales_rule(RuleKind.PERCENT_DISCOUNT, name, percent=Decimal(percent), **fields)


def points(rate: str, name: str = "Points", **fields: object) -> SalesRule:
    return sales_rule(RuleKind.POINTS_ACCRUAL, name, points_per_unit=Decimal(rate), **fields)


def sales_rule(kind: RuleKind, name: str, **fields: object) -> SalesRule:
    return SalesRule(f"rule-{next(_ids)}", name, kind, **fields)  # type: ignore[arg-type]


def category(
    name: str,
    *rules: SalesRule,
    priority: int = 0,
    composition: Composition = Composition.BEST_OF,
    max_percent: str | None = None,
    tab_limit_minor: int | None = None,
) -> CategoryRules:
    return CategoryRules(
        uuid=f"cat-{name.lower().replace(' ', '-')}",
        name=name,
        priority=priority,
        composition=composition,
        max_percent=None if max_percent is None else Decimal(max_percent),
        tab_limit_minor=tab_limit_minor,
        rules=rules,
    )


def attach(level: AttachLevel, rules: CategoryRules, target: str | None = None) -> Attachment:
    return Attachment(level, rules, target)


def context(
    *,
    at: datetime = FRIDAY_EVENING,
    currency: Currency = EUR,
    tax_mode: TaxMode = TaxMode.INCLUDED,
    birthday: date | None = None,
    visit_number: int = 1,
    purchases: dict[str, int] | None = None,
    venue: Composition = Composition.BEST_OF,
    venue_max_percent: str | None = None,
) -> PricingContext:
    return PricingContext(
        local_time=at,
        currency=currency,
        tax_mode=tax_mode,
        birthday=birthday,
        visit_number=visit_number,
        purchases_in_scope=purchases or {},
        venue_composition=venue,
        venue_max_percent=None if venue_max_percent is None else Decimal(venue_max_percent),
    )
