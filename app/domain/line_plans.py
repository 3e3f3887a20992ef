"""What reaches each line of a tab: attached categories, prepared once, and line plans.

Step 1 of the stacking model (docs/PRICING.md) and the groundwork for the rest. Pricing is
on the till's hot path, so the work is split:

- once per tab, each attached category's rules for this visit (birthday, visit number)
  are *prepared*, percentages turned into exact integer ratios; the rules with a validity
  window are told apart by the windows open when each line was ordered
  (``app.domain.rule_windows``);
- once per distinct (open windows, order, line attachments, item, group), a line *plan*
  lists the collected categories in order with the rules that cover the item, and the
  best points rule; lines whose item and group no rule names share one plan;
- per line, ``app.domain.stacking`` then does only integer arithmetic on the plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from itertools import repeat
from typing import TYPE_CHECKING

from app.domain.money import Currency
from app.domain.prepared_rules import ZERO, PreparedCategory, PreparedRule
from app.domain.promotions import (
    LEVEL_RANK,
    TAB_WIDE_LEVELS,
    AttachLevel,
    Attachment,
    CategoryRules,
    RuleKind,
    SalesRule,
    ValidityWindow,
)
from app.domain.rule_windows import WindowClock

if TYPE_CHECKING:
    from app.domain.pricing import PricingLine


# (category, level it was collected at, its discount rules covering the item, and the
# only one of them when it is a percentage: the usual case, worked out inline)
CategoryPlan = tuple[PreparedCategory, AttachLevel, tuple[PreparedRule, ...], PreparedRule | None]


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


class _Attached:
    """An attached category's rules for this visit, each with the bit of its window
    (0 when always open); a ``PreparedCategory`` per set of open windows."""

    __slots__ = ("category", "prepared", "rules", "timed")

    def __init__(self, category: CategoryRules, rules: list[tuple[PreparedRule, int]]) -> None:
        self.category, self.rules = category, rules
        self.timed = 0
        for _, bit in rules:
            self.timed |= bit
        self.prepared: dict[int, PreparedCategory] = {}

    def open(self, mask: int) -> PreparedCategory:
        """The category with the rules whose windows are open in ``mask``."""
        mask &= self.timed
        found = self.prepared.get(mask)
        if found is None:
            found = self.prepared[mask] = PreparedCategory(
                self.category, [rule for rule, bit in self.rules if bit & mask == bit]
            )
        return found


class _Reach:
    """What reaches the lines ordered while one set of windows was open."""

    __slots__ = ("by_line", "by_order", "collections", "tab_wide")

    def __init__(self, attached: list[tuple[_Attached, AttachLevel, str]], mask: int) -> None:
        self.tab_wide: dict[str, _Collected] = {}
        self.by_order: dict[int, dict[str, _Collected]] = {}  # by kitchen order number
        self.by_line: dict[str, dict[str, _Collected]] = {}  # by line uuid
        self.collections: dict[tuple[int | None, str | None], list[_Collected]] = {}
        for found, level, target in attached:
            category = found.open(mask)
            if level in TAB_WIDE_LEVELS:
                _keep_most_specific(self.tab_wide, category, level)
            elif level is AttachLevel.LINE:
                _keep_most_specific(self.by_line.setdefault(target, {}), category, level)
            else:  # ORDER: Attachment checked that the target is a number
                _keep_most_specific(self.by_order.setdefault(int(target), {}), category, level)

    def collect(self, order_no: int | None, line_key: str | None) -> list[_Collected]:
        key = (order_no, line_key)
        found = self.collections.get(key)
        if found is None:
            merged = dict(self.tab_wide)
            extras = (
                self.by_order.get(order_no) if order_no is not None else None,
                self.by_line.get(line_key) if line_key is not None else None,
            )
            for extra in extras:
                for category, level in (extra or {}).values():
                    _keep_most_specific(merged, category, level)
            found = self.collections[key] = sorted(
                merged.values(),
                key=lambda c: (-c[0].category.priority, LEVEL_RANK[c[1]], c[0].uuid),
            )
        return found


_PlanKey = tuple[int, int | None, str | None, int, int]


class ScopeClasses:
    """Items (or menu groups) that every rule of the tab names alike, told apart by a small
    number: lines of the same class are covered by the same rules, so they share a plan.
    Class 0 is named by no rule."""

    __slots__ = ("_classes", "_scopes", "known")

    def __init__(self, scopes: Iterable[frozenset[int]]) -> None:
        self._scopes = tuple(scopes)  # the distinct sets the rules name
        self._classes: dict[tuple[bool, ...], int] = {(False,) * len(self._scopes): 0}
        self.known: dict[int, int] = {}  # item or group id -> its class

    def add(self, member: int) -> int:
        """The class of an item or group not seen yet."""
        named = tuple([member in scope for scope in self._scopes])
        found = self.known[member] = self._classes.setdefault(named, len(self._classes))
        return found


class Planner:
    """Collects the attached categories once per tab and plans each distinct line.

    A rule's validity window is judged when each line was ordered (``ordered_at``, read on
    the clock of ``local_time``), or at ``local_time`` for a line with no ordering time;
    birthdays and visits are judged on ``local_time``, the day of the visit.
    """

    def __init__(
        self,
        attachments: Iterable[Attachment],
        local_time: datetime,
        currency: Currency,
        birthday: date | None,
        visit_number: int,
    ) -> None:
        self.tab_limit_minor: int | None = None
        attached: list[tuple[_Attached, AttachLevel, str]] = []
        by_uuid: dict[str, _Attached] = {}
        windows: dict[ValidityWindow, int] = {}  # timed window -> its bit
        # Lines share a plan unless rules tell their items or groups apart (ScopeClasses).
        item_scopes: set[frozenset[int]] = set()
        group_scopes: set[frozenset[int]] = set()
        self._orders: set[int] = set()  # order numbers with a category of their own
        self._lines: set[str] = set()  # line uuids with a category of their own
        eligible = _Eligibility(local_time.date(), birthday, visit_number)
        for attachment in attachments:
            category = attachment.category
            found = by_uuid.get(category.uuid)
            if found is None:
                rules: list[tuple[PreparedRule, int]] = []
                for rule in category.rules:
                    if rule.kind in _OCCASIONS and not eligible(rule):
                        continue
                    window, bit = rule.window, 0
                    if not window.always:
                        bit = windows.setdefault(window, 1 << len(windows))
                    rules.append((PreparedRule(rule, currency, visit_number), bit))
                    if rule.scope.item_ids:
                        item_scopes.add(rule.scope.item_ids)
                    if rule.scope.group_ids:
                        group_scopes.add(rule.scope.group_ids)
                found = by_uuid[category.uuid] = _Attached(category, rules)
            level, target = attachment.level, attachment.target or ""
            attached.append((found, level, target))
            if level is AttachLevel.ORDER:
                self._orders.add(int(target))
            elif level is AttachLevel.LINE:
                self._lines.add(target)
            limit = category.tab_limit_minor
            if limit is not None and (self.tab_limit_minor is None or limit < self.tab_limit_minor):
                self.tab_limit_minor = limit
        self._attached = attached
        self._items, self._groups = ScopeClasses(item_scopes), ScopeClasses(group_scopes)
        self._clock = WindowClock(list(windows), local_time) if windows else None
        self._reaches: dict[int, _Reach] = {}
        self._plans: dict[_PlanKey, LinePlan] = {}
        self._interned: dict[tuple[object, ...], LinePlan] = {}

    def plans(self, lines: Sequence[PricingLine]) -> list[LinePlan]:
        """The plan of every line, in order; lines alike in reach and scope share one."""
        orders, lined, clock, known = self._orders, self._lines, self._clock, self._plans
        items, groups = self._items, self._groups
        item_classes, group_classes = items.known, groups.known
        if clock is None:
            masks: Iterable[int] = repeat(0, len(lines))
        else:
            masks = clock.open_when_ordered([line.ordered_at for line in lines])
        found: list[LinePlan] = []
        for line, mask in zip(lines, masks, strict=True):
            order_no = line.order_no
            item_id, group_id = line.item_id, line.group_id
            item_class = item_classes.get(item_id)
            if item_class is None:
                item_class = items.add(item_id)
            group_class = group_classes.get(group_id)
            if group_class is None:
                group_class = groups.add(group_id)
            key = (
                mask,
                order_no if order_no in orders else None,
                line.uuid if lined and line.uuid in lined else None,
                item_class,
                group_class,
            )
            plan = known.get(key)
            if plan is None:
                plan = known[key] = self._plan(key, item_id, group_id)
            found.append(plan)
        return found

    def _plan(self, key: _PlanKey, item_id: int, group_id: int) -> LinePlan:
        mask, order_no, line_key = key[0], key[1], key[2]
        reach = self._reaches.get(mask)
        if reach is None:
            reach = self._reaches[mask] = _Reach(self._attached, mask)
        plan = _build(reach.collect(order_no, line_key), item_id, group_id)
        # Plans alike in content are one plan, so their lines can price alike: an order's
        # own category, say, changes nothing for the items it does not cover.
        content = (
            plan.discounts,
            plan.accrual,
            plan.bonuses,
            tuple([rule.uuid for rule in plan.free_every_n]),
        )
        return self._interned.setdefault(content, plan)


def _keep_most_specific(
    into: dict[str, _Collected],
    category: PreparedCategory,
    level: AttachLevel,
) -> None:
    held = into.get(category.uuid)
    if held is None or LEVEL_RANK[level] < LEVEL_RANK[held[1]]:
        into[category.uuid] = (category, level)


_OCCASIONS = frozenset({RuleKind.BIRTHDAY_REWARD, RuleKind.NTH_VISIT_BONUS})


class _Eligibility:
    """Whether a birthday or visit rule applies on this visit, worked out once per
    distinct condition (many categories carry the same birthday reward)."""

    __slots__ = ("birthday", "known", "today", "visit_number")

    def __init__(self, today: date, birthday: date | None, visit_number: int) -> None:
        self.today, self.birthday, self.visit_number = today, birthday, visit_number
        self.known: dict[tuple[RuleKind, int, int | None, bool], bool] = {}

    def __call__(self, rule: SalesRule) -> bool:
        key = (rule.kind, rule.birthday_days, rule.every_n, rule.repeats)
        found = self.known.get(key)
        if found is None:
            if rule.kind is RuleKind.BIRTHDAY_REWARD:
                found = rule.is_birthday(self.today, self.birthday)
            else:
                found = rule.is_bonus_visit(self.visit_number)
            self.known[key] = found
        return found


def _build(collected: list[_Collected], item_id: int, group_id: int) -> LinePlan:
    discounts: list[CategoryPlan] = []
    accrual: tuple[PreparedRule, PreparedCategory, AttachLevel] | None = None
    best_rate = ZERO
    bonuses: list[tuple[PreparedRule, PreparedCategory, AttachLevel]] = []
    free: dict[str, SalesRule] = {}
    for category, level in collected:
        key = (
            item_id if item_id in category.named_items else None,
            group_id if group_id in category.named_groups else None,
        )
        coverage = category.coverage.get(key) or category.covering(item_id, group_id)
        rules, single, best, bonus_rules, free_rules = coverage
        if rules:
            discounts.append((category, level, rules, single))
            for rule in free_rules:
                free.setdefault(rule.uuid, rule.rule)
        if best is not None and best.rate > best_rate:
            accrual, best_rate = (best, category, level), best.rate
        if bonus_rules:
            bonuses += [(rule, category, level) for rule in bonus_rules]
    return LinePlan(tuple(discounts), accrual, tuple(bonuses), tuple(free.values()))
