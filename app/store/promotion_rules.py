"""Promotion categories with their sales rules, and the catalogue reads a tab needs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import time
from typing import Any

from sqlalchemy import delete, insert, select
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


def _rule(row: Any) -> SalesRule:
    return SalesRule(
        uuid=row.uuid,
        name=row.name,
        kind=RuleKind(row.kind),
        scope=RuleScope(group_ids=_ids(row.group_ids), item_ids=_ids(row.item_ids)),
        window=ValidityWindow(
            weekdays=_ids(row.weekdays),
            starts=_time(row.starts),
            ends=_time(row.ends),
            first_day=row.first_day,
            last_day=row.last_day,
        ),
        percent=row.percent,
        fixed_price_minor=row.fixed_price_minor,
        points_per_unit=row.points_per_unit,
        every_n=row.every_n,
        bonus_points=row.bonus_points,
        birthday_days=row.birthday_days,
        repeats=bool(row.repeats),
    )


class SqlSalesRules:
    """Implements :class:`app.services.tab_ports.SalesRules`."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def category_rules(self, category_ids: Collection[int]) -> dict[int, CategoryRules]:
        """The active categories among ``category_ids`` with their active rules, in order."""
        if not category_ids:
            return {}
        ids = sorted(set(category_ids))
        rules: dict[int, list[SalesRule]] = defaultdict(list)
        for row in self._session.execute(
            select(sales_rules)
            .where(_r.category_id.in_(ids), _r.active)
            .order_by(_r.category_id, _r.position, _r.id)
        ):
            rules[row.category_id].append(_rule(row))
        found: dict[int, CategoryRules] = {}
        for row in self._session.execute(
            select(
                _p.id,
                _p.uuid,
                _p.name,
                _p.priority,
                _p.composition,
                _p.max_percent,
                _p.tab_limit_minor,
            ).where(_p.id.in_(ids), _p.active)
        ):
            found[row.id] = CategoryRules(
                uuid=row.uuid,
                name=row.name,
                priority=row.priority,
                composition=Composition(row.composition),
                max_percent=row.max_percent,
                tab_limit_minor=row.tab_limit_minor,
                rules=tuple(rules[row.id]),
            )
        return found

    def category_id(self, category_uuid: str) -> int | None:
        return self._session.scalar(select(_p.id).where(_p.uuid == category_uuid))

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
        d, t = schema.divisions.c, schema.dining_tables.c
        division = (
            None
            if division_id is None
            else self._session.execute(
                select(d.name, d.promotion_category_id).where(d.id == division_id)
            ).one_or_none()
        )
        table = (
            None
            if table_id is None
            else self._session.execute(
                select(t.number, t.promotion_category_id, t.division_id).where(t.id == table_id)
            ).one_or_none()
        )
        return FloorPlace(
            division_name=None if division is None else division.name,
            division_category_id=None if division is None else division.promotion_category_id,
            table_number=None if table is None else table.number,
            table_category_id=None if table is None else table.promotion_category_id,
            table_division_id=None if table is None else table.division_id,
        )
