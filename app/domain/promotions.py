"""Promotion categories as pricing sees them: sales rules, scopes, validity windows.

A ``PromotionCategory`` (``app.domain.catalogue``) is what staff file customers and cards
under; ``CategoryRules`` is the same category with its sales rules, ready to price. How
rules and categories stack is documented in docs/PRICING.md.

Percentages are percent points: ``Decimal("20")`` is 20 %, unlike tax rates (0.20).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from app.domain.errors import FieldProblem, ValidationError


class AttachLevel(StrEnum):
    """Where a category is attached; all that apply are collected into the tab."""

    CUSTOMER = "customer"
    CARD = "card"  # an impersonal card (a company card, a staff card)
    TAB = "tab"
    ORDER = "order"
    LINE = "line"
    DIVISION = "division"
    TABLE = "table"


# Precedence between categories of equal priority: the most specific to this sale first.
LEVEL_PRECEDENCE: tuple[AttachLevel, ...] = (
    AttachLevel.LINE,
    AttachLevel.ORDER,
    AttachLevel.TAB,
    AttachLevel.TABLE,
    AttachLevel.DIVISION,
    AttachLevel.CARD,
    AttachLevel.CUSTOMER,
)
LEVEL_RANK: dict[AttachLevel, int] = {level: rank for rank, level in enumerate(LEVEL_PRECEDENCE)}
TAB_WIDE_LEVELS = frozenset(
    {AttachLevel.CUSTOMER, AttachLevel.CARD, AttachLevel.TAB, AttachLevel.DIVISION}
    | {AttachLevel.TABLE}
)


class Composition(StrEnum):
    """How several discounts combine (rules in a category, or categories in a venue)."""

    BEST_OF = "best_of"  # the largest discount wins
    FIRST_APPLIES = "first_applies"  # the first, in order, that gives a discount
    SUM = "sum"  # every discount on the full price, added up
    SEQUENTIAL = "sequential"  # each on what the previous ones left


class RuleKind(StrEnum):
    PERCENT_DISCOUNT = "percent_discount"
    FIXED_PRICE = "fixed_price"
    POINTS_ACCRUAL = "points_accrual"
    FREE_EVERY_N = "free_every_n"
    BIRTHDAY_REWARD = "birthday_reward"
    NTH_VISIT_BONUS = "nth_visit_bonus"


DISCOUNT_KINDS = frozenset(
    {RuleKind.PERCENT_DISCOUNT, RuleKind.FIXED_PRICE, RuleKind.FREE_EVERY_N}
    | {RuleKind.BIRTHDAY_REWARD, RuleKind.NTH_VISIT_BONUS}
)


@dataclass(frozen=True, slots=True)
class RuleScope:
    """What a rule covers: menu groups and single items. Both empty means everything."""

    group_ids: frozenset[int] = frozenset()
    item_ids: frozenset[int] = frozenset()

    @property
    def is_everything(self) -> bool:
        return not self.group_ids and not self.item_ids

    def covers(self, item_id: int, group_id: int) -> bool:
        """Whether an item (of a menu group) is in scope."""
        if not self.group_ids and not self.item_ids:
            return True
        return item_id in self.item_ids or group_id in self.group_ids


@dataclass(frozen=True, slots=True)
class ValidityWindow:
    """When a rule is valid, in venue local time. Every part left empty means always.

    ``starts`` is inclusive and ``ends`` exclusive. A time window may wrap midnight
    (22:00–02:00); its small hours then belong to the evening it opened: Friday 22:00–02:00
    is open at 01:00 on Saturday, and the weekday and date range are checked against
    Friday.
    """

    weekdays: frozenset[int] = frozenset()  # 0 = Monday … 6 = Sunday
    starts: time | None = None
    ends: time | None = None
    first_day: date | None = None
    last_day: date | None = None

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValidationError(problems)

    def problems(self) -> list[FieldProblem]:
        found: list[FieldProblem] = []
        if any(not 0 <= day <= 6 for day in self.weekdays):
            found.append(FieldProblem("weekdays", "Weekdays run from 0 (Monday) to 6 (Sunday)"))
        if self.starts is not None and self.starts == self.ends:
            found.append(FieldProblem("ends", "The time window starts and ends at the same time"))
        if self.first_day and self.last_day and self.first_day > self.last_day:
            found.append(
                FieldProblem(
                    "last_day",
                    f"The last day ({self.last_day}) is before the first ({self.first_day})",
                )
            )
        return found

    @property
    def always(self) -> bool:
        """Whether the window has no part, and so is always open."""
        return (
            self.starts is None
            and self.ends is None
            and not self.weekdays
            and self.first_day is None
            and self.last_day is None
        )

    @property
    def wraps_midnight(self) -> bool:
        return self.starts is not None and self.ends is not None and self.ends < self.starts

    def is_open(self, local: datetime) -> bool:
        """Whether the window is open at a venue-local instant."""
        starts, ends = self.starts, self.ends
        no_clock = starts is None and ends is None
        if no_clock and not self.weekdays and self.first_day is None and self.last_day is None:
            return True
        day = local.date()
        clock = local.time()  # wall clock, without the zone
        if starts is not None and ends is not None and ends < starts:
            if clock >= starts:
                pass
            elif clock < ends:
                day -= timedelta(days=1)  # the small hours of the evening before
            else:
                return False
        else:
            if starts is not None and clock < starts:
                return False
            if ends is not None and clock >= ends:
                return False
        if self.weekdays and day.weekday() not in self.weekdays:
            return False
        if self.first_day is not None and day < self.first_day:
            return False
        return self.last_day is None or day <= self.last_day


ALWAYS = ValidityWindow()
EVERYTHING = RuleScope()


@dataclass(frozen=True, slots=True)
class SalesRule:
    """One sales rule. Which fields it takes depends on its kind:

    - PERCENT_DISCOUNT: ``percent`` off the lines in scope.
    - FIXED_PRICE: each unit in scope costs ``fixed_price_minor`` (never more than its price).
    - POINTS_ACCRUAL: ``points_per_unit`` points per major currency unit of net spend.
    - FREE_EVERY_N: every ``every_n``-th unit bought in scope (history + this tab) is free.
    - BIRTHDAY_REWARD: within ``birthday_days`` of the birthday, ``percent`` off and/or
      ``bonus_points``.
    - NTH_VISIT_BONUS: on every ``every_n``-th visit (only the ``every_n``-th when
      ``repeats`` is false), ``percent`` off and/or ``bonus_points``.
    """

    uuid: str
    name: str
    kind: RuleKind
    scope: RuleScope = EVERYTHING
    window: ValidityWindow = ALWAYS
    percent: Decimal | None = None
    fixed_price_minor: int | None = None
    points_per_unit: Decimal | None = None
    every_n: int | None = None
    bonus_points: int | None = None
    birthday_days: int = 0
    repeats: bool = True

    def __post_init__(self) -> None:
        problems = _rule_problems(self)
        if problems:
            raise ValidationError(problems)

    @property
    def gives_discount(self) -> bool:
        return self.kind in DISCOUNT_KINDS and (
            self.kind not in (RuleKind.BIRTHDAY_REWARD, RuleKind.NTH_VISIT_BONUS)
            or self.percent is not None
        )

    def is_birthday(self, today: date, birthday: date | None) -> bool:
        """Within ``birthday_days`` of the birthday; 29 February is kept on 28 February
        in other years."""
        if birthday is None:
            return False
        for year in (today.year - 1, today.year, today.year + 1):
            if abs((today - anniversary(birthday, year)).days) <= self.birthday_days:
                return True
        return False

    def is_bonus_visit(self, visit_number: int) -> bool:
        """Whether this visit (1-based) earns the visit bonus."""
        n = self.every_n or 1
        if self.repeats:
            return visit_number >= 1 and visit_number % n == 0
        return visit_number == n


def anniversary(birthday: date, year: int) -> date:
    """The birthday in ``year``; 29 February falls on 28 February in common years."""
    try:
        return birthday.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def _rule_problems(rule: SalesRule) -> list[FieldProblem]:
    label = f"“{rule.name}”" if rule.name.strip() else "A sales rule"
    found: list[FieldProblem] = []

    def problem(field_name: str, message: str) -> None:
        found.append(FieldProblem(field_name, f"{label}: {message}"))

    if not rule.name.strip():
        problem("name", "needs a name")
    kind = rule.kind
    takes_percent = kind in (
        RuleKind.PERCENT_DISCOUNT,
        RuleKind.BIRTHDAY_REWARD,
        RuleKind.NTH_VISIT_BONUS,
    )
    takes_bonus = kind in (RuleKind.BIRTHDAY_REWARD, RuleKind.NTH_VISIT_BONUS)
    takes_every_n = kind in (RuleKind.FREE_EVERY_N, RuleKind.NTH_VISIT_BONUS)
    if rule.percent is not None:
        if not takes_percent:
            problem("percent", "only discounts, birthday and visit rewards take a percentage")
        elif not rule.percent.is_finite() or not 0 < rule.percent <= 100:
            problem(
                "percent", f"the percentage must be above 0 and at most 100, not {rule.percent}"
            )
    elif kind is RuleKind.PERCENT_DISCOUNT:
        problem("percent", "a percentage discount needs a percentage")
    if rule.fixed_price_minor is not None:
        if kind is not RuleKind.FIXED_PRICE:
            problem("fixed_price_minor", "only a fixed-price rule takes a fixed price")
        elif rule.fixed_price_minor < 0:
            problem("fixed_price_minor", "the fixed price cannot be negative")
    elif kind is RuleKind.FIXED_PRICE:
        problem("fixed_price_minor", "a fixed-price rule needs the price")
    if rule.points_per_unit is not None:
        if kind is not RuleKind.POINTS_ACCRUAL:
            problem("points_per_unit", "only a points rule takes points per unit")
        elif not rule.points_per_unit.is_finite() or rule.points_per_unit <= 0:
            problem("points_per_unit", "points per currency unit must be above 0")
    elif kind is RuleKind.POINTS_ACCRUAL:
        problem("points_per_unit", "a points rule needs the points per currency unit")
    if rule.every_n is not None:
        if not takes_every_n:
            problem("every_n", "only free-every-N and visit bonuses take N")
        elif kind is RuleKind.FREE_EVERY_N and rule.every_n < 2:
            problem("every_n", f"every N-th unit free needs N of 2 or more, not {rule.every_n}")
        elif rule.every_n < 1:
            problem("every_n", f"the visit number must be 1 or more, not {rule.every_n}")
    elif takes_every_n:
        problem("every_n", "needs N (every how many)")
    if rule.bonus_points is not None:
        if not takes_bonus:
            problem("bonus_points", "only birthday and visit rewards give bonus points")
        elif rule.bonus_points <= 0:
            problem("bonus_points", "bonus points must be above 0")
    if takes_bonus and rule.percent is None and rule.bonus_points is None:
        problem("percent", "a reward needs a percentage, bonus points, or both")
    if rule.birthday_days:
        if kind is not RuleKind.BIRTHDAY_REWARD:
            problem("birthday_days", "only a birthday reward takes days around the birthday")
        elif not 0 <= rule.birthday_days <= 31:
            problem("birthday_days", "days around the birthday must be 0 to 31")
    return found


@dataclass(frozen=True, slots=True)
class CategoryRules:
    """A promotion category with its rules, as pricing needs it.

    ``rules`` are in the category's order: FIRST_APPLIES and SEQUENTIAL follow it.
    ``max_percent`` caps the category's discount on a line at that share of its gross.
    """

    uuid: str
    name: str
    priority: int = 0
    composition: Composition = Composition.BEST_OF
    max_percent: Decimal | None = None
    tab_limit_minor: int | None = None
    rules: tuple[SalesRule, ...] = ()

    def __post_init__(self) -> None:
        label = f"Category “{self.name}”"
        found: list[FieldProblem] = []
        if not self.name.strip():
            found.append(FieldProblem("name", "A promotion category needs a name"))
        cap = self.max_percent
        if cap is not None and (not cap.is_finite() or not 0 <= cap <= 100):
            found.append(
                FieldProblem("max_percent", f"{label}: the cap must be 0 to 100 %, not {cap}")
            )
        if self.tab_limit_minor is not None and self.tab_limit_minor < 0:
            found.append(FieldProblem("tab_limit_minor", f"{label}: the tab limit is negative"))
        seen: set[str] = set()
        for rule in self.rules:
            if rule.uuid in seen:
                found.append(FieldProblem("rules", f"{label}: rule “{rule.name}” is listed twice"))
            seen.add(rule.uuid)
        if found:
            raise ValidationError(found)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A category attached at one level. ``target`` names the order (its number, as
    text) for ORDER and the line's uuid for LINE; the other levels cover the whole tab."""

    level: AttachLevel
    category: CategoryRules
    target: str | None = None

    def __post_init__(self) -> None:
        needs_target = self.level in (AttachLevel.ORDER, AttachLevel.LINE)
        if needs_target and not self.target:
            what = (
                "an order needs the order number"
                if self.level is AttachLevel.ORDER
                else "a line needs the line's uuid"
            )
            raise ValidationError.single("target", f"“{self.category.name}” attached to {what}")
        if self.level is AttachLevel.ORDER and not (self.target or "").isdigit():
            raise ValidationError.single(
                "target",
                f"“{self.category.name}”: order number “{self.target}” is not a number",
            )
        if not needs_target and self.target is not None:
            raise ValidationError.single(
                "target",
                f"“{self.category.name}” attached at {self.level.value} level covers the "
                "whole tab and takes no target",
            )
