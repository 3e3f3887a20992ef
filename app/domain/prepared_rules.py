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

FIXED, FREE, POINTS = RuleKind.FIXED_PRICE, RuleKind.FREE_EVERY_N, RuleKind.POINTS_ACCRUAL
ZERO = Decimal(0)


class PreparedRule:
    """A rule valid for this tab, ready for integer arithmetic."""

    __slots__ = (
        "by_rate",
        "currency",
        "den",
        "den2",
        "discounts",
        "everything",
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
        self.everything = not scope.item_ids and not scope.group_ids
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
        # Whether it gives a discount: birthday and visit rewards only with a percentage.
        self.discounts = kind is not POINTS and (self.by_rate or kind in _DISCOUNTS_ALWAYS)
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
        "cap",
        "category",
        "composition",
        "coverage",
        "name",
        "named_groups",
        "named_items",
        "rules",
        "uuid",
    )

    def __init__(self, category: CategoryRules, rules: list[PreparedRule]) -> None:
        self.category, self.uuid, self.name = category, category.uuid, category.name
        self.composition = category.composition
        self.rules = rules  # in the category's order
        named_items: set[int] = set()
        named_groups: set[int] = set()
        for rule in rules:
            named_items.update(rule.item_ids)
            named_groups.update(rule.group_ids)
        self.named_items, self.named_groups = named_items, named_groups
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
        """This category's rules that cover an item, worked out once per distinct scope:
        its discount rules in order, the best points rule (the highest rate, a tie to the
        earlier), its bonus rules and its FREE_EVERY_N rules."""
        key = (
            item_id if item_id in self.named_items else None,
            group_id if group_id in self.named_groups else None,
        )
        found = self.coverage.get(key)
        if found is None:
            discounts: list[PreparedRule] = []
            accrual: PreparedRule | None = None
            bonuses: list[PreparedRule] = []
            for r in self.rules:
                if r.everything or item_id in r.item_ids or group_id in r.group_ids:
                    if r.discounts:
                        discounts.append(r)
                    elif r.kind is POINTS and (accrual is None or r.rate > accrual.rate):
                        accrual = r
                    if r.rule.bonus_points:
                        bonuses.append(r)
            single = discounts[0] if len(discounts) == 1 and discounts[0].by_rate else None
            free = tuple([r for r in discounts if r.kind is FREE]) if discounts else ()
            found = self.coverage[key] = (
                tuple(discounts),
                single,
                accrual,
                tuple(bonuses),
                free,
            )
        return found


_DISCOUNTS_ALWAYS = frozenset({RuleKind.PERCENT_DISCOUNT, FIXED, FREE})
