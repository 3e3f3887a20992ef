"""Attached categories made ready to price: their rules as integer ratios, split by what
they give, and which of them cover an item.

Made once per tab by ``app.domain.line_plans.Planner``; the per-line work in
``app.domain.stacking`` then only reads them.
"""

from __future__ import annotations

from decimal import Decimal

from app.domain.money import Currency
from app.domain.pricing_texts import category_cap_note, rule_texts
from app.domain.promotions import CategoryRules, RuleKind, SalesRule

FIXED, FREE = RuleKind.FIXED_PRICE, RuleKind.FREE_EVERY_N
ZERO = Decimal(0)


class PreparedRule:
    """A rule valid for this tab, ready for integer arithmetic."""

    __slots__ = (
        "by_rate",
        "currency",
        "den",
        "den2",
        "fixed",
        "group_ids",
        "item_ids",
        "kind",
        "name",
        "num",
        "num2",
        "rate",
        "rule",
        "texts",
        "uuid",
        "visit_number",
    )

    def __init__(self, rule: SalesRule, currency: Currency, visit_number: int) -> None:
        self.rule, self.uuid, self.name = rule, rule.uuid, rule.name
        self.kind = kind = rule.kind
        scope = rule.scope
        self.item_ids, self.group_ids = scope.item_ids, scope.group_ids
        self.fixed = rule.fixed_price_minor or 0
        percent = rule.percent
        self.by_rate = percent is not None
        if percent is not None:
            self.rate = percent
            num, den = percent.as_integer_ratio()
            den *= 100
        elif kind is RuleKind.POINTS_ACCRUAL and rule.points_per_unit is not None:
            self.rate = rule.points_per_unit
            num, den = self.rate.as_integer_ratio()
            den *= currency.minor_per_major
        else:
            self.rate, num, den = ZERO, 0, 1
        self.num, self.den = num, den
        # Half-up of base × num / den for base >= 0 is (2 × base × num + den) // (2 × den).
        self.num2, self.den2 = 2 * num, 2 * den
        self.currency, self.visit_number = currency, visit_number
        # The explanation's parts around the line's name, made when first needed: read
        # ``rule.texts or rule.words()``.
        self.texts: tuple[str, str] | None = None

    def words(self) -> tuple[str, str]:
        """The parts of this rule's explanation around the line's name."""
        if self.texts is None:
            self.texts = rule_texts(self.rule, self.currency, self.visit_number)
        return self.texts

    def covers(self, item_id: int, group_id: int) -> bool:
        item_ids, group_ids = self.item_ids, self.group_ids
        if not item_ids and not group_ids:
            return True
        return item_id in item_ids or group_id in group_ids


# What a category gives one item: discount rules (and the only one when it is a
# percentage, see CategoryPlan), the best points rule, bonus rules and the FREE_EVERY_N
# rules among the discounts.
Coverage = tuple[
    tuple[PreparedRule, ...],
    PreparedRule | None,
    PreparedRule | None,
    tuple[PreparedRule, ...],
    tuple[PreparedRule, ...],
]


class PreparedCategory:
    """An attached category with its rules valid now, split by what they give."""

    __slots__ = (
        "accruals",
        "bonuses",
        "cap",
        "category",
        "composition",
        "coverage",
        "discounts",
        "name",
        "named_groups",
        "named_items",
        "uuid",
    )

    def __init__(self, category: CategoryRules, rules: list[PreparedRule]) -> None:
        self.category, self.uuid, self.name = category, category.uuid, category.name
        self.composition = category.composition
        discounts, accruals, bonuses = [], [], []
        named_items: set[int] = set()
        named_groups: set[int] = set()
        for rule in rules:
            named_items.update(rule.item_ids)
            named_groups.update(rule.group_ids)
            kind = rule.kind
            if kind is RuleKind.POINTS_ACCRUAL:
                accruals.append(rule)
            elif rule.by_rate or kind in _DISCOUNTS_ALWAYS:
                discounts.append(rule)
            if rule.rule.bonus_points:
                bonuses.append(rule)
        self.named_items, self.named_groups = named_items, named_groups
        self.discounts, self.bonuses = tuple(discounts), tuple(bonuses)
        if len(accruals) > 1:
            # Highest rate first; the sort is stable: equal rates keep the category's order.
            accruals.sort(key=lambda r: -r.rate)
        self.accruals = tuple(accruals)
        cap = category.max_percent
        if cap is None:
            self.cap: tuple[int, int] | None = None
        else:
            num, den = cap.as_integer_ratio()
            self.cap = (num, den * 100)
        self.coverage: dict[tuple[int | None, int | None], Coverage] = {}  # see covering()

    @property
    def cap_note(self) -> str:
        return category_cap_note(self.category.max_percent or Decimal(0))

    def covering(self, item_id: int, group_id: int) -> Coverage:
        """This category's rules that cover an item, worked out once per distinct scope."""
        key = (
            item_id if item_id in self.named_items else None,
            group_id if group_id in self.named_groups else None,
        )
        found = self.coverage.get(key)
        if found is None:
            discounts = tuple([r for r in self.discounts if r.covers(item_id, group_id)])
            accruals = [r for r in self.accruals if r.covers(item_id, group_id)]
            accrual = accruals[0] if accruals else None
            bonuses = tuple([r for r in self.bonuses if r.covers(item_id, group_id)])
            free = tuple([r for r in discounts if r.kind is FREE])
            single = discounts[0] if len(discounts) == 1 and discounts[0].by_rate else None
            found = self.coverage[key] = (discounts, single, accrual, bonuses, free)
        return found


_DISCOUNTS_ALWAYS = frozenset({RuleKind.PERCENT_DISCOUNT, FIXED, FREE})
