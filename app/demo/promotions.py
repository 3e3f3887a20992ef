"""The demo venue's promotion categories and their sales rules.

Together they use every rule kind and every kind of validity window (weekdays, time of
day, a window past midnight, a date range) and can be attached at all seven levels:
customers, impersonal cards, the Bar and Terrace divisions and one table get theirs when
the store is seeded; staff attach the tab, order and line ones at the till.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import sqlite

from app.demo.catalogue import BAR, FOOD, ids_by_name
from app.domain.ids import new_uuid7
from app.domain.promotions import (
    Composition,
    RuleKind,
    RuleScope,
    SalesRule,
    ValidityWindow,
)
from app.store.promotion_rules import rule_row
from app.store.tab_schema import sales_rules

WEEKDAYS = frozenset(range(5))
WEEKDAY_WINDOW = ValidityWindow(weekdays=WEEKDAYS)
PERCENT, FIXED, POINTS = RuleKind.PERCENT_DISCOUNT, RuleKind.FIXED_PRICE, RuleKind.POINTS_ACCRUAL
FREE, BIRTHDAY, VISIT = RuleKind.FREE_EVERY_N, RuleKind.BIRTHDAY_REWARD, RuleKind.NTH_VISIT_BONUS


@dataclass(frozen=True)
class Rule:
    """A sales rule by menu group and item names, made into a SalesRule once ids exist.

    ``percent`` and ``points`` are decimal text ("12.5"); ``window`` is read from the
    seeding day, so date ranges are around it.
    """

    name: str
    kind: RuleKind
    groups: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    window: Callable[[date], ValidityWindow] = lambda _today: ValidityWindow()
    percent: str | None = None
    fixed_price_minor: int | None = None
    points: str | None = None
    every_n: int | None = None
    bonus_points: int | None = None
    birthday_days: int = 0
    repeats: bool = True


@dataclass(frozen=True)
class Category:
    name: str
    priority: int
    description: str
    rules: tuple[Rule, ...]
    tab_limit_minor: int | None = None
    composition: Composition = Composition.BEST_OF
    max_percent: Decimal | None = None


def _weekdays(starts: time, ends: time) -> Callable[[date], ValidityWindow]:
    return lambda _today: ValidityWindow(weekdays=WEEKDAYS, starts=starts, ends=ends)


def _daily(starts: time, ends: time, days: Iterable[int] = ()) -> Callable[[date], ValidityWindow]:
    return lambda _today: ValidityWindow(weekdays=frozenset(days), starts=starts, ends=ends)


def _season(before: int, after: int) -> Callable[[date], ValidityWindow]:
    """From ``before`` days before the seeding day to ``after`` days after it."""
    return lambda today: ValidityWindow(
        first_day=today - timedelta(days=before), last_day=today + timedelta(days=after)
    )


# Creation order: the six categories of the first demo come first, so a store seeded by
# it keeps their ids. Higher priority is looked at first (docs/PRICING.md).
CATEGORIES: tuple[Category, ...] = (
    Category(
        "Regular",
        15,
        "Known faces: points on every visit, a birthday treat and a bonus every 10th visit",
        (
            Rule("Regular points", POINTS, points="1"),
            Rule("Birthday treat", BIRTHDAY, percent="15", bonus_points=200, birthday_days=3),
            Rule("Every 10th visit", VISIT, every_n=10, bonus_points=500),
            Rule("Welcome back", VISIT, percent="10", every_n=2, repeats=False),
        ),
    ),
    Category(
        "Silver",
        35,
        "Silver tier: 5 % off food, 1.5 points per pound",
        (
            Rule("Silver food", PERCENT, groups=FOOD, percent="5"),
            Rule("Silver points", POINTS, points="1.5"),
        ),
    ),
    Category(
        "Gold",
        45,
        "Gold tier: 10 % off food and drink, double points, a birthday bonus",
        (
            Rule("Gold food and drink", PERCENT, groups=(*FOOD, *BAR), percent="10"),
            Rule("Gold points", POINTS, points="2"),
            Rule("Gold birthday", BIRTHDAY, bonus_points=500, birthday_days=7),
        ),
    ),
    Category(
        "Staff",
        70,
        "Staff cards: 20 % off, 15 % more on food at lunch, never above 30 %",
        (
            Rule("Staff discount", PERCENT, percent="20"),
            Rule(
                "Staff lunch", PERCENT, groups=FOOD, window=_daily(time(11), time(15)), percent="15"
            ),
        ),
        tab_limit_minor=10_000,
        composition=Composition.SUM,
        max_percent=Decimal("30"),
    ),
    Category(
        "VIP table",
        55,
        "The reserved corner table on the terrace: Champagne at 45.00, 10 % off wine",
        (
            Rule(
                "Champagne welcome", FIXED, items=("Bottle of Champagne",), fixed_price_minor=4500
            ),
            Rule("Table wine", PERCENT, groups=("Wine",), percent="10"),
        ),
    ),
    Category(
        "Corporate",
        40,
        "Company accounts: a 12.00 lunch main on weekdays, else 5 % off on weekdays",
        (
            Rule(
                "Corporate lunch",
                FIXED,
                groups=("Mains",),
                window=_weekdays(time(12), time(14, 30)),
                fixed_price_minor=1200,
            ),
            Rule("Corporate weekdays", PERCENT, window=lambda _today: WEEKDAY_WINDOW, percent="5"),
        ),
        tab_limit_minor=200_000,
        composition=Composition.FIRST_APPLIES,
    ),
    Category(
        "Happy hour",
        30,
        "At the bar: 20 % off drinks 17:00-19:00 on weekdays, 10 % off late Thu-Sat",
        (
            Rule(
                "Happy hour",
                PERCENT,
                groups=BAR,
                window=_weekdays(time(17), time(19)),
                percent="20",
            ),
            Rule(
                "Late bar",
                PERCENT,
                groups=("Drinks",),
                window=_daily(time(22), time(1), (3, 4, 5)),
                percent="10",
            ),
        ),
    ),
    Category(
        "VIP",
        60,
        "VIP guests: 10 % off everything, double points, a birthday bonus",
        (
            Rule("VIP 10 %", PERCENT, percent="10"),
            Rule("VIP points", POINTS, points="2"),
            Rule("VIP birthday", BIRTHDAY, bonus_points=1000, birthday_days=3),
        ),
    ),
    Category(
        "Terrace",
        25,
        "On the terrace: a sundowner hour and the season's starters",
        (
            Rule("Sundowner", PERCENT, groups=BAR, window=_daily(time(16), time(18)), percent="15"),
            Rule(
                "Terrace season",
                PERCENT,
                groups=("Starters",),
                window=_season(30, 150),
                percent="10",
            ),
        ),
    ),
    Category(
        "Coffee club",
        20,
        "Every 5th coffee free; 10 % off desserts in the morning",
        (
            Rule("5th coffee free", FREE, groups=("Coffee",), every_n=5),
            Rule(
                "Morning dessert",
                PERCENT,
                groups=("Desserts",),
                window=_daily(time(8), time(11, 30)),
                percent="10",
            ),
        ),
    ),
    Category(
        "Bronze",
        10,
        "Bronze tier: a point per pound",
        (Rule("Bronze points", POINTS, points="1"),),
    ),
    Category(
        "Party booking",
        50,
        "Attached to a party's tab: 10 % off food, prosecco at 6.00, points for the host",
        (
            Rule("Party food", PERCENT, groups=FOOD, percent="10"),
            Rule("Party prosecco", FIXED, items=("Prosecco, glass",), fixed_price_minor=600),
            Rule("Party points", POINTS, points="0.5"),
        ),
        composition=Composition.SEQUENTIAL,
    ),
    Category(
        "Service recovery",
        80,
        "Attached to an order that went wrong: 15 % off it, its desserts on the house",
        (
            Rule("Sorry for the wait", PERCENT, percent="15"),
            Rule("Dessert on us", PERCENT, groups=("Desserts",), percent="100"),
        ),
    ),
    Category(
        "Manager's comp",
        90,
        "Attached to a line: a tasting glass at 3.00, half-price food, or on the house",
        (
            Rule("Tasting glass", FIXED, groups=("Wine",), fixed_price_minor=300),
            Rule("Half price", PERCENT, groups=FOOD, percent="50"),
            Rule("On the house", PERCENT, percent="100"),
        ),
        composition=Composition.FIRST_APPLIES,
    ),
)

# Where the seeded store attaches categories on the floor: divisions and one table.
DIVISION_CATEGORIES = {"Bar": "Happy hour", "Terrace": "Terrace"}
TABLE_CATEGORIES = {("Terrace", "T1"): "VIP table"}
TIERS = ("Bronze", "Silver", "Gold")


def sales_rule(rule: Rule, groups: dict[str, int], items: dict[str, int], today: date) -> SalesRule:
    """The rule with its menu ids and its window read from the seeding day."""
    return SalesRule(
        uuid=new_uuid7(),
        name=rule.name,
        kind=rule.kind,
        scope=RuleScope(
            group_ids=frozenset(groups[g] for g in rule.groups),
            item_ids=frozenset(items[i] for i in rule.items),
        ),
        window=rule.window(today),
        percent=None if rule.percent is None else Decimal(rule.percent),
        fixed_price_minor=rule.fixed_price_minor,
        points_per_unit=None if rule.points is None else Decimal(rule.points),
        every_n=rule.every_n,
        bonus_points=rule.bonus_points,
        birthday_days=rule.birthday_days,
        repeats=rule.repeats,
    )


def _bound(table: Table, row: dict[str, Any]) -> tuple[Any, ...]:
    """A row's values as the store's column types write them (decimals, dates, enums)."""
    dialect = sqlite.dialect()
    values = []
    for name, value in row.items():
        process = table.c[name].type.bind_processor(dialect)
        values.append(value if process is None else process(value))
    return tuple(values)


def ensure_categories(con: sqlite3.Connection, today: date) -> dict[str, int]:
    """The categories by name (made or brought up to date), and their rules when the store
    has none yet: rules are seeded once, so their uuids, which statistics count
    purchases under, stay."""
    existing = ids_by_name(con, "promotion_categories")
    for c in CATEGORIES:
        values = (c.priority, c.tab_limit_minor, c.description, c.composition.value)
        cap = None if c.max_percent is None else str(c.max_percent)
        if c.name in existing:
            con.execute(
                "UPDATE promotion_categories SET priority = ?, tab_limit_minor = ?, "
                "description = ?, composition = ?, max_percent = ?, active = 1 WHERE id = ?",
                (*values, cap, existing[c.name]),
            )
        else:
            con.execute(
                "INSERT INTO promotion_categories (uuid, name, priority, tab_limit_minor, "
                "description, composition, max_percent, active) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                (new_uuid7(), c.name, *values, cap),
            )
    ids = ids_by_name(con, "promotion_categories")
    if con.execute("SELECT count(*) FROM sales_rules").fetchone()[0] == 0:
        groups, items = ids_by_name(con, "menu_groups"), ids_by_name(con, "menu_items")
        rows = [
            rule_row(ids[c.name], n, sales_rule(rule, groups, items, today))
            for c in CATEGORIES
            for n, rule in enumerate(c.rules)
        ]
        columns = list(rows[0])
        con.executemany(
            f"INSERT INTO sales_rules ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})",
            [_bound(sales_rules, row) for row in rows],
        )
    return ids


def attach_floor_categories(con: sqlite3.Connection, categories: dict[str, int]) -> None:
    """The Bar's happy hour, the Terrace's own category and the VIP table's."""
    for division, name in DIVISION_CATEGORIES.items():
        con.execute(
            "UPDATE divisions SET promotion_category_id = ? WHERE name = ?",
            (categories[name], division),
        )
    for (division, number), name in TABLE_CATEGORIES.items():
        con.execute(
            "UPDATE dining_tables SET promotion_category_id = ? WHERE number = ? "
            "AND division_id = (SELECT id FROM divisions WHERE name = ?)",
            (categories[name], number, division),
        )
