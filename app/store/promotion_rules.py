"""Promotion categories with their sales rules, and the catalogue reads a tab needs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import time
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from app.domain.catalogue import MenuItem
from app.domain.promotions import (
    CategoryRules,
    Composition,
    RuleKind,
    RuleScope,
    SalesRule,
    ValidityWindow,
)
from app.services.tab_ports import FloorPlace
from app.store import schema
from app.store.tab_schema import sales_rules

_r = sales_rules.c
_p = schema.promotion_categories.c
_d = schema.divisions.c
_tb = schema.dining_tables.c

# Built once: SQLAlchemy then reuses each statement's cache key and compiled form, where a
# statement built per call costs more to construct and key than SQLite takes to run it.
_ACTIVE_RULES = (
    select(sales_rules)
    .where(_r.category_id.in_(bindparam("category_ids", expanding=True)), _r.active)
    .order_by(_r.category_id, _r.position, _r.id)
)
_ACTIVE_CATEGORIES = select(
    _p.id, _p.uuid, _p.name, _p.priority, _p.composition, _p.max_percent, _p.tab_limit_minor
).where(_p.id.in_(bindparam("category_ids", expanding=True)), _p.active)
_RULE_COLUMNS = tuple(c.name for c in sales_rules.columns)
_CATEGORY_BY_UUID = select(_p.id).where(_p.uuid == bindparam("category_uuid"))
_DIVISION = select(_d.name, _d.promotion_category_id).where(_d.id == bindparam("division_key"))
_TABLE = select(_tb.number, _tb.promotion_category_id, _tb.division_id).where(
    _tb.id == bindparam("table_key")
)


def _ids(text: str) -> frozenset[int]:
    return frozenset(int(part) for part in text.split(",") if part)


def _id_text(ids: Iterable[int]) -> str:
    return ",".join(str(i) for i in sorted(ids))


def _time(text: str | None) -> time | None:
    return None if not text else time.fromisoformat(text)


def rule_row(category_id: int, position: int, rule: SalesRule) -> dict[str, Any]:
    """The ``sales_rules`` row of one rule (scope ids and weekdays as comma lists)."""
    window = rule.window
    return {
        "uuid": rule.uuid,
        "category_id": category_id,
        "position": position,
        "name": rule.name,
        "kind": rule.kind,
        "group_ids": _id_text(rule.scope.group_ids),
        "item_ids": _id_text(rule.scope.item_ids),
        "weekdays": _id_text(window.weekdays),
        "starts": None if window.starts is None else window.starts.isoformat("minutes"),
        "ends": None if window.ends is None else window.ends.isoformat("minutes"),
        "first_day": window.first_day,
        "last_day": window.last_day,
        "percent": rule.percent,
        "fixed_price_minor": rule.fixed_price_minor,
        "points_per_unit": rule.points_per_unit,
        "every_n": rule.every_n,
        "bonus_points": rule.bonus_points,
        "birthday_days": rule.birthday_days,
        "repeats": rule.repeats,
    }


def _rule(row: Mapping[str, Any]) -> SalesRule:
    return SalesRule(
        uuid=row["uuid"],
        name=row["name"],
        kind=RuleKind(row["kind"]),
        scope=RuleScope(group_ids=_ids(row["group_ids"]), item_ids=_ids(row["item_ids"])),
        window=ValidityWindow(
            weekdays=_ids(row["weekdays"]),
            starts=_time(row["starts"]),
            ends=_time(row["ends"]),
            first_day=row["first_day"],
            last_day=row["last_day"],
        ),
        percent=row["percent"],
        fixed_price_minor=row["fixed_price_minor"],
        points_per_unit=row["points_per_unit"],
        every_n=row["every_n"],
        bonus_points=row["bonus_points"],
        birthday_days=row["birthday_days"],
        repeats=bool(row["repeats"]),
    )


_Exact = tuple[tuple[Any, ...], tuple[str, ...]]


def _exact(row: Iterable[Any]) -> _Exact:
    """A row as a memo key: its values, and its decimals' text, since Decimal("10") equals
    Decimal("10.0") but the two read differently in a price's explanation."""
    values = tuple(row)
    return values, tuple(str(v) for v in values if isinstance(v, Decimal))


@lru_cache(maxsize=512)
def _category_rules(category: _Exact, rules: tuple[_Exact, ...]) -> CategoryRules:
    """A category built from its row and its active rules' rows, each exactly as stored.

    Keyed by the rows' whole content, so an edit anywhere (this process, another unit of
    work, another till's sync) is a new key: nothing to invalidate, nothing stale. What it
    saves is building the rules again, and pricing gets the same objects tab after tab.
    """
    _id, uuid, name, priority, composition, max_percent, tab_limit_minor = category[0]
    return CategoryRules(
        uuid=uuid,
        name=name,
        priority=priority,
        composition=Composition(composition),
        max_percent=max_percent,
        tab_limit_minor=tab_limit_minor,
        rules=tuple(_rule(dict(zip(_RULE_COLUMNS, rule[0], strict=True))) for rule in rules),
    )


class SqlSalesRules:
    """Implements :class:`app.services.tab_ports.SalesRules`."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def category_rules(self, category_ids: Collection[int]) -> dict[int, CategoryRules]:
        """The active categories among ``category_ids`` with their active rules, in order."""
        if not category_ids:
            return {}
        ids = {"category_ids": sorted(set(category_ids))}
        rules: dict[int, list[_Exact]] = defaultdict(list)
        for row in self._session.execute(_ACTIVE_RULES, ids):
            rules[row.category_id].append(_exact(row))
        return {
            row.id: _category_rules(_exact(row), tuple(rules[row.id]))
            for row in self._session.execute(_ACTIVE_CATEGORIES, ids)
        }

    def category_id(self, category_uuid: str) -> int | None:
        return self._session.scalar(_CATEGORY_BY_UUID, {"category_uuid": category_uuid})

    def replace_rules(self, category_id: int, rules: Iterable[SalesRule]) -> None:
        """Make ``rules`` (in this order) the category's rules."""
        self._session.execute(delete(sales_rules).where(_r.category_id == category_id))
        rows = [rule_row(category_id, n, rule) for n, rule in enumerate(rules)]
        if rows:
            self._session.execute(insert(sales_rules), rows)

    def menu_item(self, item_id: int) -> MenuItem | None:
        item = self._session.get(MenuItem, item_id)
        return item if item is not None and item.active else None

    def place(self, division_id: int | None, table_id: int | None) -> FloorPlace:
        """The division and table names and their promotion categories."""
        execute = self._session.execute
        division = (
            None
            if division_id is None
            else execute(_DIVISION, {"division_key": division_id}).one_or_none()
        )
        table = None if table_id is None else execute(_TABLE, {"table_key": table_id}).one_or_none()
        return FloorPlace(
            division_name=None if division is None else division.name,
            division_category_id=None if division is None else division.promotion_category_id,
            table_number=None if table is None else table.number,
            table_category_id=None if table is None else table.promotion_category_id,
            table_division_id=None if table is None else table.division_id,
        )
