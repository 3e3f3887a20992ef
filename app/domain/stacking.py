"""How promotion categories stack on one line: collection, composition and caps.

The model is documented in docs/PRICING.md; this module is its executable form, used by
``app.domain.pricing.price_tab``. Pricing is on the till's hot path, so the work is split:

- once per tab, each attached category is *prepared*: its rules valid now (window,
  birthday, visit), percentages turned into exact integer ratios, texts started;
- once per distinct (order, line attachments, item, group), a line *plan* lists the
  collected categories in order with the rules that cover the item;
- per line, only integer arithmetic on that plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

from app.domain.money import Currency, format_money, percent_text
from app.domain.promotions import (
    LEVEL_RANK,
    TAB_WIDE_LEVELS,
    AttachLevel,
    Attachment,
    CategoryRules,
    Composition,
    RuleKind,
    SalesRule,
)

BEST_OF, FIRST, SUM, SEQUENTIAL = (
    Composition.BEST_OF,
    Composition.FIRST_APPLIES,
    Composition.SUM,
    Composition.SEQUENTIAL,
)
FIXED, FREE = RuleKind.FIXED_PRICE, RuleKind.FREE_EVERY_N
LINE_PRICE_NOTE = "limited to the line's price"


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
        "num",
        "num2",
        "rule",
        "uuid",
        "visit_number",
    )

    def __init__(self, rule: SalesRule, currency: Currency, visit_number: int) -> None:
        kind = rule.kind
        self.rule, self.uuid, self.kind = rule, rule.uuid, kind
        self.item_ids, self.group_ids = rule.scope.item_ids, rule.scope.group_ids
        self.fixed = rule.fixed_price_minor or 0
        accrues = kind is RuleKind.POINTS_ACCRUAL
        rate = rule.points_per_unit if accrues else rule.percent
        num, den = rate.as_integer_ratio() if rate is not None else (0, 1)
        den *= currency.minor_per_major if accrues else 100
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
        "_coverage",
        "accruals",
        "bonuses",
        "cap",
        "category",
        "composition",
        "discounts",
        "named_groups",
        "named_items",
        "uuid",
    )

    def __init__(self, category: CategoryRules, rules: list[PreparedRule]) -> None:
        self.category, self.uuid, self.composition = category, category.uuid, category.composition
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
        self.accruals = tuple(sorted(accruals, key=lambda r: -(r.rule.points_per_unit or 0)))
        cap = category.max_percent
        self.cap = (
            None if cap is None else (cap.as_integer_ratio()[0], cap.as_integer_ratio()[1] * 100)
        )
        self._coverage: dict[tuple[int | None, int | None], Coverage] = {}

    @property
    def cap_note(self) -> str:
        return f"capped at {percent_text(self.category.max_percent or Decimal(0))} by the category"

    def covering(self, item_id: int, group_id: int) -> Coverage:
        """This category's rules that cover an item, worked out once per distinct scope."""
        key = (
            item_id if item_id in self.named_items else None,
            group_id if group_id in self.named_groups else None,
        )
        found = self._coverage.get(key)
        if found is None:
            discounts = tuple([r for r in self.discounts if r.covers(item_id, group_id)])
            accrual = next((r for r in self.accruals if r.covers(item_id, group_id)), None)
            bonuses = tuple([r for r in self.bonuses if r.covers(item_id, group_id)])
            free = tuple([r for r in discounts if r.kind is FREE])
            found = self._coverage[key] = (discounts, accrual, bonuses, free)
        return found


_DISCOUNTS_ALWAYS = frozenset({RuleKind.PERCENT_DISCOUNT, FIXED, FREE})


# (category, level it was collected at, its discount rules covering the item)
CategoryPlan = tuple[PreparedCategory, AttachLevel, tuple[PreparedRule, ...]]
# (rule, category, level, amount, computed on what was left, why it was cut)
Granted = tuple[PreparedRule, PreparedCategory, AttachLevel, int, bool, str]


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
        self._tab_wide: dict[str, tuple[PreparedCategory, AttachLevel]] = {}
        self._by_order: dict[str, dict[str, tuple[PreparedCategory, AttachLevel]]] = {}
        self._by_line: dict[str, dict[str, tuple[PreparedCategory, AttachLevel]]] = {}
        self._collections: dict[
            tuple[str | None, str | None], list[tuple[PreparedCategory, AttachLevel]]
        ] = {}
        self._plans: dict[tuple[str | None, str | None, int | None, int | None], LinePlan] = {}
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
            if attachment.level in TAB_WIDE_LEVELS:
                into = self._tab_wide
            elif attachment.level is AttachLevel.ORDER:
                into = self._by_order.setdefault(attachment.target or "", {})
            else:
                into = self._by_line.setdefault(attachment.target or "", {})
            _keep_most_specific(into, found, attachment.level)
            limit = category.tab_limit_minor
            if limit is not None and (self.tab_limit_minor is None or limit < self.tab_limit_minor):
                self.tab_limit_minor = limit

    def plan(self, order_no: int | None, line_uuid: str, item_id: int, group_id: int) -> LinePlan:
        """The plan of a line; lines alike in order, attachments and item share one."""
        order_key = str(order_no) if order_no is not None and self._by_order else None
        if order_key not in self._by_order:
            order_key = None
        line_key = line_uuid if line_uuid in self._by_line else None
        key = (
            order_key,
            line_key,
            item_id if item_id in self._named_items else None,
            group_id if group_id in self._named_groups else None,
        )
        found = self._plans.get(key)
        if found is None:
            collected = self._collect(order_key, line_key)
            found = self._plans[key] = _build(collected, item_id, group_id)
        return found

    def _collect(
        self, order_key: str | None, line_key: str | None
    ) -> list[tuple[PreparedCategory, AttachLevel]]:
        key = (order_key, line_key)
        found = self._collections.get(key)
        if found is None:
            merged = dict(self._tab_wide)
            for extra in (self._by_order.get(order_key or ""), self._by_line.get(line_key or "")):
                for category, level in (extra or {}).values():
                    _keep_most_specific(merged, category, level)
            found = self._collections[key] = sorted(
                merged.values(),
                key=lambda c: (-c[0].category.priority, LEVEL_RANK[c[1]], c[0].uuid),
            )
        return found


def _keep_most_specific(
    into: dict[str, tuple[PreparedCategory, AttachLevel]],
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


def _build(
    collected: list[tuple[PreparedCategory, AttachLevel]], item_id: int, group_id: int
) -> LinePlan:
    discounts: list[CategoryPlan] = []
    accrual: tuple[PreparedRule, PreparedCategory, AttachLevel] | None = None
    best_rate = Decimal(0)
    bonuses: list[tuple[PreparedRule, PreparedCategory, AttachLevel]] = []
    free: dict[str, SalesRule] = {}
    for category, level in collected:
        rules, best, bonus_rules, free_rules = category.covering(item_id, group_id)
        if rules:
            discounts.append((category, level, rules))
        if best is not None and (best.rule.points_per_unit or best_rate) > best_rate:
            accrual, best_rate = (best, category, level), best.rule.points_per_unit or best_rate
        for rule in bonus_rules:
            bonuses.append((rule, category, level))
        for rule in free_rules:
            free.setdefault(rule.uuid, rule.rule)
    return LinePlan(tuple(discounts), accrual, tuple(bonuses), tuple(free.values()))


def _amount(rule: PreparedRule, base: int, quantity: int, free: Mapping[str, int]) -> int:
    """What one rule takes off ``base``, the part of the line's price it works on."""
    if rule.by_rate:
        return (base * rule.num2 + rule.den) // rule.den2
    if rule.kind is FIXED:
        return max(0, base - rule.fixed * quantity)
    units = free.get(rule.uuid, 0)  # FREE_EVERY_N: the value of its free units
    return (2 * base * units + quantity) // (2 * quantity) if units else 0


def _in_category(
    plan: CategoryPlan, base: int, gross: int, quantity: int, free: Mapping[str, int]
) -> tuple[list[Granted], int]:
    category, level, rules = plan
    composition = category.composition
    on_rest = base < gross
    granted: list[Granted] = []
    total = 0
    if composition is SEQUENTIAL:
        for rule in rules:
            left = base - total
            if rule.by_rate:
                amount = (left * rule.num2 + rule.den) // rule.den2
            else:
                amount = _amount(rule, left, quantity, free)
            if amount > 0:
                granted.append((rule, category, level, amount, left < gross, ""))
                total += amount
    elif composition is SUM:
        for rule in rules:
            if rule.by_rate:
                amount = (base * rule.num2 + rule.den) // rule.den2
            else:
                amount = _amount(rule, base, quantity, free)
            if amount > 0:
                granted.append((rule, category, level, amount, on_rest, ""))
                total += amount
    else:
        best = None
        for rule in rules:
            if rule.by_rate:
                amount = (base * rule.num2 + rule.den) // rule.den2
            else:
                amount = _amount(rule, base, quantity, free)
            if amount > total:
                best, total = rule, amount
                if composition is FIRST:
                    break
        if best is not None:
            granted.append((best, category, level, total, on_rest, ""))
    cap = category.cap
    if cap is not None:
        limit = gross * cap[0] // cap[1]  # caps round down: never exceeded
        if limit < base:
            if total > limit:
                return _trim(granted, total - limit, category.cap_note), limit
            return granted, total
    if total > base:
        return _trim(granted, total - base, LINE_PRICE_NOTE), base
    return granted, total


def _trim(granted: list[Granted], excess: int, note: str) -> list[Granted]:
    """Take ``excess`` off the discounts, from the last granted backwards."""
    kept = list(granted)
    for index in range(len(kept) - 1, -1, -1):
        if excess <= 0:
            break
        rule, category, level, amount, on_rest, _ = kept[index]
        cut = min(amount, excess)
        excess -= cut
        if cut == amount:
            del kept[index]
        else:
            kept[index] = (rule, category, level, amount - cut, on_rest, note)
    return kept


def line_discounts(
    plan: LinePlan,
    gross: int,
    quantity: int,
    free: Mapping[str, int],
    venue: Composition,
    venue_cap: tuple[int, int] | None,
    venue_cap_note: str,
) -> tuple[list[Granted], int]:
    """The discounts a line gets from its categories, composed and capped, and their sum."""
    granted: list[Granted] = []
    total = 0
    if venue is SEQUENTIAL or venue is SUM:
        for category in plan.discounts:
            base = gross - total if venue is SEQUENTIAL else gross
            found, amount = _in_category(category, base, gross, quantity, free)
            granted += found
            total += amount
    else:
        for category in plan.discounts:
            found, amount = _in_category(category, gross, gross, quantity, free)
            if amount > total:
                granted, total = found, amount
                if venue is FIRST:
                    break
    limit, note = gross, LINE_PRICE_NOTE
    if venue_cap is not None:
        capped = gross * venue_cap[0] // venue_cap[1]
        if capped < limit:
            limit, note = capped, venue_cap_note
    if total > limit:
        return _trim(granted, total - limit, note), limit
    return granted, total


def accrued_points(rule: PreparedRule, net: int) -> int:
    """Points for a net spend (minor units) at the rule's rate, floored to whole points."""
    return net * rule.num // rule.den


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


def explain(granted: Granted, line_name: str, quantity: int, free: Mapping[str, int]) -> str:
    """The "why this price" text of one discount on a line."""
    rule, category, _, _, on_rest, note = granted
    what = line_name
    if rule.kind is FREE:
        what = f"{free.get(rule.uuid, 0)} of {quantity} × {line_name}"
    notes = category.category.name
    if on_rest:
        notes += ", on what was left"
    if note:
        notes += ", " + note
    return f"{rule.head}{what}{rule.tail} ({notes})"
