"""What reaches each line of a tab: attached categories, prepared once, and line plans.

Step 1 of the stacking model (docs/PRICING.md) and the groundwork for the rest. Pricing is
on the till's hot path, so the work is split:

- once per tab, each attached category is *prepared*: its rules valid now (window,
  birthday, visit), percentages turned into exact integer ratios;
- once per distinct (order, line attachments, item, group), a line *plan* lists the
  collected categories in order with the rules that cover the item, and the best points
  rule; lines whose item and group no rule names share one plan;
- per line, ``app.domain.stacking`` then does only integer arithmetic on the plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from app.domain.money import Currency, format_money, percent_text
from app.domain.promotions import (
    LEVEL_RANK,
    TAB_WIDE_LEVELS,
    AttachLevel,
    Attachment,
    CategoryRules,
    RuleKind,
    SalesRule,
)

if TYPE_CHECKING:
    from app.domain.pricing import PricingLine

FIXED, FREE = RuleKind.FIXED_PRICE, RuleKind.FREE_EVERY_N


class PreparedRule:
    """A rule valid for this tab, ready for integer arithmetic."""

    __slots__ = (
        "_texts",
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
        "uuid",
        "visit_number",
    )

    def __init__(self, rule: SalesRule, currency: Currency, visit_number: int) -> None:
        kind = rule.kind
        self.rule, self.uuid, self.kind, self.name = rule, rule.uuid, kind, rule.name
        self.item_ids, self.group_ids = rule.scope.item_ids, rule.scope.group_ids
        self.fixed = rule.fixed_price_minor or 0
        accrues = kind is RuleKind.POINTS_ACCRUAL
        rate = rule.points_per_unit if accrues else rule.percent
        num, den = rate.as_integer_ratio() if rate is not None else (0, 1)
        den *= currency.minor_per_major if accrues else 100
        self.rate = rate or Decimal(0)
        self.num, self.den = num, den
        # Half-up of base × num / den for base >= 0 is (2 × base × num + den) // (2 × den).
        self.num2, self.den2 = 2 * num, 2 * den
        self.by_rate = rule.percent is not None
        self.currency, self.visit_number = currency, visit_number
        self._texts: tuple[str, str] | None = None  # made when a discount is explained

    @property
    def head(self) -> str:
        """The explanation up to the line's name."""
        if self._texts is None:
            self._texts = _texts(self.rule, self.currency, self.visit_number)
        return self._texts[0]

    @property
    def tail(self) -> str:
        """The explanation after the line's name."""
        if self._texts is None:
            self._texts = _texts(self.rule, self.currency, self.visit_number)
        return self._texts[1]

    def covers(self, item_id: int, group_id: int) -> bool:
        item_ids, group_ids = self.item_ids, self.group_ids
        if not item_ids and not group_ids:
            return True
        return item_id in item_ids or group_id in group_ids


# What a category gives one item: discount rules, the best points rule, bonus rules and
# the FREE_EVERY_N rules among the discounts.
Coverage = tuple[
    tuple[PreparedRule, ...],
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
        self.named_items: frozenset[int] = frozenset()
        self.named_groups: frozenset[int] = frozenset()
        for rule in rules:
            self.named_items |= rule.item_ids
            self.named_groups |= rule.group_ids
            if rule.kind is RuleKind.POINTS_ACCRUAL:
                accruals.append(rule)
            elif rule.kind in _DISCOUNTS_ALWAYS or rule.by_rate:
                discounts.append(rule)
            if rule.rule.bonus_points:
                bonuses.append(rule)
        self.discounts, self.bonuses = tuple(discounts), tuple(bonuses)
        # Highest rate first; the sort is stable, so equal rates keep the category's order.
        self.accruals = tuple(sorted(accruals, key=lambda r: -r.rate))
        cap = category.max_percent
        self.cap = (
            None if cap is None else (cap.as_integer_ratio()[0], cap.as_integer_ratio()[1] * 100)
        )
        self.coverage: dict[tuple[int | None, int | None], Coverage] = {}  # see covering()

    @property
    def cap_note(self) -> str:
        return f"capped at {percent_text(self.category.max_percent or Decimal(0))} by the category"

    def covering(self, item_id: int, group_id: int) -> Coverage:
        """This category's rules that cover an item, worked out once per distinct scope."""
        key = (
            item_id if item_id in self.named_items else None,
            group_id if group_id in self.named_groups else None,
        )
        found = self.coverage.get(key)
        if found is None:
            discounts = tuple([r for r in self.discounts if r.covers(item_id, group_id)])
            accrual = next((r for r in self.accruals if r.covers(item_id, group_id)), None)
            bonuses = tuple([r for r in self.bonuses if r.covers(item_id, group_id)])
            free = tuple([r for r in discounts if r.kind is FREE])
            found = self.coverage[key] = (discounts, accrual, bonuses, free)
        return found


_DISCOUNTS_ALWAYS = frozenset({RuleKind.PERCENT_DISCOUNT, FIXED, FREE})


# (category, level it was collected at, its discount rules covering the item)
CategoryPlan = tuple[PreparedCategory, AttachLevel, tuple[PreparedRule, ...]]


class LinePlan:
    """Everything about a line's promotions that does not depend on its price."""

    __slots__ = ("accrual", "bonuses", "discounts", "free_every_n")

    def __init__(
        self,
        discounts: tuple[CategoryPlan, ...],
        accrual: tuple[PreparedRule, PreparedCategory, AttachLevel] | None,
        bonuses: tuple[tuple[PreparedRule, PreparedCategory, AttachLevel], ...],
        free_every_n: tuple[SalesRule, ...],
    ) -> None:
        self.discounts = discounts  # priority desc, then level precedence, then uuid
        self.accrual = accrual  # the best points rate among the categories
        self.bonuses = bonuses  # birthday and visit rules with bonus points
        self.free_every_n = free_every_n  # FREE_EVERY_N rules whose units this line counts


_Collected = tuple[PreparedCategory, AttachLevel]


class Planner:
    """Collects the attached categories once per tab and plans each distinct line."""

    def __init__(
        self,
        attachments: Iterable[Attachment],
        local_time: datetime,
        currency: Currency,
        birthday: date | None,
        visit_number: int,
    ) -> None:
        self._tab_wide: dict[str, _Collected] = {}
        self._by_order: dict[int, dict[str, _Collected]] = {}  # by kitchen order number
        self._by_line: dict[str, dict[str, _Collected]] = {}  # by line uuid
        self._collections: dict[tuple[int | None, str | None], list[_Collected]] = {}
        self._plans: dict[tuple[int | None, str | None, int | None, int | None], LinePlan] = {}
        self.tab_limit_minor: int | None = None
        # Lines share a plan unless a rule names their item or group: the key drops the rest.
        self._named_items: set[int] = set()
        self._named_groups: set[int] = set()
        prepared: dict[str, PreparedCategory] = {}
        today = local_time.date()
        for attachment in attachments:
            category = attachment.category
            found = prepared.get(category.uuid)
            if found is None:
                found = prepared[category.uuid] = PreparedCategory(
                    category,
                    [
                        PreparedRule(rule, currency, visit_number)
                        for rule in category.rules
                        if rule.window.is_open(local_time)
                        and _eligible(rule, today, birthday, visit_number)
                    ],
                )
                self._named_items |= found.named_items
                self._named_groups |= found.named_groups
            level, target = attachment.level, attachment.target or ""
            if level in TAB_WIDE_LEVELS:
                _keep_most_specific(self._tab_wide, found, level)
            elif level is AttachLevel.LINE:
                _keep_most_specific(self._by_line.setdefault(target, {}), found, level)
            else:  # ORDER: Attachment checked that the target is a number
                _keep_most_specific(self._by_order.setdefault(int(target), {}), found, level)
            limit = category.tab_limit_minor
            if limit is not None and (self.tab_limit_minor is None or limit < self.tab_limit_minor):
                self.tab_limit_minor = limit

    def plans(self, lines: Iterable[PricingLine]) -> list[LinePlan]:
        """The plan of every line, in order; lines alike in reach and scope share one."""
        by_order, by_line = self._by_order, self._by_line
        items, groups, known = self._named_items, self._named_groups, self._plans
        found: list[LinePlan] = []
        for line in lines:
            order_no = line.order_no if line.order_no in by_order else None
            line_key = line.uuid if by_line and line.uuid in by_line else None
            item_id, group_id = line.item_id, line.group_id
            key = (
                order_no,
                line_key,
                item_id if item_id in items else None,
                group_id if group_id in groups else None,
            )
            plan = known.get(key)
            if plan is None:
                plan = known[key] = _build(self._collect(order_no, line_key), item_id, group_id)
            found.append(plan)
        return found

    def _collect(self, order_no: int | None, line_key: str | None) -> list[_Collected]:
        key = (order_no, line_key)
        found = self._collections.get(key)
        if found is None:
            merged = dict(self._tab_wide)
            extras = (
                self._by_order.get(order_no) if order_no is not None else None,
                self._by_line.get(line_key) if line_key is not None else None,
            )
            for extra in extras:
                for category, level in (extra or {}).values():
                    _keep_most_specific(merged, category, level)
            found = self._collections[key] = sorted(
                merged.values(),
                key=lambda c: (-c[0].category.priority, LEVEL_RANK[c[1]], c[0].uuid),
            )
        return found


def _keep_most_specific(
    into: dict[str, _Collected],
    category: PreparedCategory,
    level: AttachLevel,
) -> None:
    held = into.get(category.uuid)
    if held is None or LEVEL_RANK[level] < LEVEL_RANK[held[1]]:
        into[category.uuid] = (category, level)


def _eligible(rule: SalesRule, today: date, birthday: date | None, visit_number: int) -> bool:
    if rule.kind is RuleKind.BIRTHDAY_REWARD:
        return rule.is_birthday(today, birthday)
    if rule.kind is RuleKind.NTH_VISIT_BONUS:
        return rule.is_bonus_visit(visit_number)
    return True


def _build(collected: list[_Collected], item_id: int, group_id: int) -> LinePlan:
    discounts: list[CategoryPlan] = []
    accrual: tuple[PreparedRule, PreparedCategory, AttachLevel] | None = None
    best_rate = Decimal(0)
    bonuses: list[tuple[PreparedRule, PreparedCategory, AttachLevel]] = []
    free: dict[str, SalesRule] = {}
    for category, level in collected:
        key = (
            item_id if item_id in category.named_items else None,
            group_id if group_id in category.named_groups else None,
        )
        coverage = category.coverage.get(key) or category.covering(item_id, group_id)
        rules, best, bonus_rules, free_rules = coverage
        if rules:
            discounts.append((category, level, rules))
            for rule in free_rules:
                free.setdefault(rule.uuid, rule.rule)
        if best is not None and best.rate > best_rate:
            accrual, best_rate = (best, category, level), best.rate
        if bonus_rules:
            bonuses += [(rule, category, level) for rule in bonus_rules]
    return LinePlan(tuple(discounts), accrual, tuple(bonuses), tuple(free.values()))


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st…"""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _texts(rule: SalesRule, currency: Currency, visit_number: int) -> tuple[str, str]:
    """The parts of the rule's explanation around the line's name."""
    kind = rule.kind
    if kind is FIXED:
        return f"{rule.name}: ", f" at {format_money(rule.fixed_price_minor or 0, currency)} each"
    if kind is FREE:
        return f"{rule.name}: ", f" free (every {ordinal(rule.every_n or 0)})"
    if kind is RuleKind.POINTS_ACCRUAL:
        unit = format_money(currency.minor_per_major, currency)
        rate = f"{(rule.points_per_unit or Decimal(0)).normalize():f}"
        return f"{rule.name}: {rate} points per {unit} on ", ""
    occasion = {
        RuleKind.BIRTHDAY_REWARD: "birthday ",
        RuleKind.NTH_VISIT_BONUS: f"{ordinal(visit_number)} visit ",
    }.get(kind, "")
    return f"{rule.name}: {occasion}−{percent_text(rule.percent or Decimal(0))} on ", ""
