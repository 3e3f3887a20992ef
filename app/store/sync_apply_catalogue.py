"""Head office's catalogue in the terminal's store: promotion categories, sales rules,
menu groups and items, divisions and tables, upserted by uuid.

Head office owns the catalogue, so a pulled document replaces the row whole. A category
or division whose name a local row (never from head office) already has takes that row
over: it is the same thing, seeded twice. References go by uuid; one to something not
there yet waits (a required one holds the whole document back).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from app.domain.promotions import Composition, RuleKind
from app.services.sync_ports import IncomingChange
from app.store.sync_apply_removal import remove_catalogue_row
from app.store.sync_apply_values import (
    Applied,
    BadDocumentError,
    day_text,
    decimal_text,
    enum_text,
    flag,
    forget_waiting,
    insert_rows,
    integer,
    keys_by_uuid,
    log,
    text,
    update_row,
    wait_for,
)

CATALOGUE_ORDER = (
    "promotion_category",
    "sales_rule",
    "menu_group",
    "menu_item",
    "division",
    "dining_table",
)
TABLES: Mapping[str, str] = {
    "promotion_category": "promotion_categories",
    "sales_rule": "sales_rules",
    "menu_group": "menu_groups",
    "menu_item": "menu_items",
    "division": "divisions",
    "dining_table": "dining_tables",
}


@dataclass(frozen=True, slots=True)
class _Ref:
    field: str  # the document's field
    column: str  # the store's column
    table: str  # where the target lives
    required: bool


_CATEGORY_UUID, _CATEGORY_ID = "promotion_category_uuid", "promotion_category_id"
_REFS: Mapping[str, tuple[_Ref, ...]] = {
    "sales_rule": (_Ref("category_uuid", "category_id", "promotion_categories", True),),
    "menu_item": (_Ref("group_uuid", "group_id", "menu_groups", True),),
    "division": (_Ref(_CATEGORY_UUID, _CATEGORY_ID, "promotion_categories", False),),
    "dining_table": (
        _Ref("division_uuid", "division_id", "divisions", True),
        _Ref(_CATEGORY_UUID, _CATEGORY_ID, "promotion_categories", False),
    ),
}
_LISTS = (("group_uuids", "group_ids", "menu_groups"), ("item_uuids", "item_ids", "menu_items"))
_UNIQUE_NAMES = frozenset({"promotion_categories", "divisions"})


def _category(d: Mapping[str, Any]) -> dict[str, object]:
    return {
        "name": text(d.get("name"), "name", limit=80),
        "priority": integer(d.get("priority"), "priority", nullable=True) or 0,
        "tab_limit_minor": integer(d.get("tab_limit_minor"), "tab_limit_minor"),
        "description": text(d.get("description"), "description"),
        "active": flag(d.get("active")),
        "composition": enum_text(d.get("composition") or "best_of", Composition, "composition"),
        "max_percent": decimal_text(d.get("max_percent"), "max_percent"),
    }


def _weekdays(value: object) -> str:
    if not isinstance(value, list) or any(
        isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 6 for v in value
    ):
        raise BadDocumentError("weekdays must be a list of 0 (Monday) to 6")
    return ",".join(str(v) for v in sorted(set(value)))


def _rule(d: Mapping[str, Any]) -> dict[str, object]:
    return {
        "position": integer(d.get("position"), "position") or 0,
        "name": text(d.get("name"), "name", limit=120),
        "kind": enum_text(d.get("kind"), RuleKind, "kind"),
        "weekdays": _weekdays(d.get("weekdays") or []),
        "starts": d.get("starts"),
        "ends": d.get("ends"),
        "first_day": day_text(d.get("first_day"), "first_day"),
        "last_day": day_text(d.get("last_day"), "last_day"),
        "percent": decimal_text(d.get("percent"), "percent"),
        "fixed_price_minor": integer(d.get("fixed_price_minor"), "fixed_price_minor"),
        "points_per_unit": decimal_text(d.get("points_per_unit"), "points_per_unit"),
        "every_n": integer(d.get("every_n"), "every_n"),
        "bonus_points": integer(d.get("bonus_points"), "bonus_points"),
        "birthday_days": integer(d.get("birthday_days"), "birthday_days") or 0,
        "repeats": flag(d.get("repeats")),
        "active": flag(d.get("active")),
    }


def _group(d: Mapping[str, Any]) -> dict[str, object]:
    return {
        "name": text(d.get("name"), "name", limit=80),
        "sort_order": integer(d.get("sort_order"), "sort_order") or 0,
    }


def _item(d: Mapping[str, Any]) -> dict[str, object]:
    price = integer(d.get("price_minor"), "price_minor", nullable=False)
    return {
        "name": text(d.get("name"), "name", limit=120),
        "price_minor": price,
        "tax_rate": decimal_text(d.get("tax_rate"), "tax_rate") or "0",
        "discountable": flag(d.get("discountable")),
        "earns_points": flag(d.get("earns_points")),
        "active": flag(d.get("active")),
    }


def _division(d: Mapping[str, Any]) -> dict[str, object]:
    return _group(d)


def _table(d: Mapping[str, Any]) -> dict[str, object]:
    return {
        "number": text(d.get("number"), "number", limit=16),
        "seats": integer(d.get("seats"), "seats") or 4,
    }


_COLUMNS: Mapping[str, Callable[[Mapping[str, Any]], dict[str, object]]] = {
    "promotion_category": _category,
    "sales_rule": _rule,
    "menu_group": _group,
    "menu_item": _item,
    "division": _division,
    "dining_table": _table,
}


def apply_catalogue(
    conn: Connection,
    entity: str,
    changes: Sequence[IncomingChange],
    mark: int,
    applied: Applied,
) -> None:
    table = TABLES[entity]
    forget_waiting(conn, [c.uuid for c in changes])
    for change in changes:
        if change.deleted:
            remove_catalogue_row(conn, table, change.uuid)
            applied.uuids.add(change.uuid)
            continue
        try:
            values = _COLUMNS[entity](change.data)
            if not values.get("name", values.get("number")):
                raise BadDocumentError("the name is empty")
            if not _resolve(conn, entity, change, values):
                continue  # waits for what it needs
        except BadDocumentError as problem:
            log.warning("Left out %s %s from head office: %s", entity, change.uuid, problem)
            applied.skipped += 1
            continue
        values["sync_mark"] = mark
        _upsert(conn, table, change.uuid, values)
        applied.uuids.add(change.uuid)


def _resolve(
    conn: Connection, entity: str, change: IncomingChange, values: dict[str, object]
) -> bool:
    """Fill in local keys for the document's references; False when a required one is
    missing (the document waits whole)."""
    data = change.data
    for ref in _REFS.get(entity, ()):
        target = data.get(ref.field)
        if target is None:
            if ref.required:
                raise BadDocumentError(f"{ref.field} is missing")
            values[ref.column] = None
            continue
        key = keys_by_uuid(conn, ref.table, [str(target)]).get(str(target))
        if key is None:
            wait_for(conn, entity, change.uuid, ref.field, str(target), data)
            if ref.required:
                return False
        values[ref.column] = key
    if entity == "sales_rule":
        for field, column, table in _LISTS:
            wanted = data.get(field) or []
            if not isinstance(wanted, list):
                raise BadDocumentError(f"{field} must be a list")
            found = keys_by_uuid(conn, table, [str(u) for u in wanted])
            for missing in {str(u) for u in wanted} - set(found):
                wait_for(conn, entity, change.uuid, field, missing, data)
            values[column] = ",".join(str(k) for k in sorted(found.values()))
    return True


def _upsert(conn: Connection, table: str, uuid: str, values: dict[str, object]) -> None:
    if table in _UNIQUE_NAMES:
        _make_room_for_name(conn, table, uuid, str(values["name"]))
    key = keys_by_uuid(conn, table, [uuid]).get(uuid)
    if key is None:
        insert_rows(conn, table, ["uuid", *values], [(uuid, *values.values())])
    else:
        update_row(conn, table, key, values)


def _make_room_for_name(conn: Connection, table: str, uuid: str, name: str) -> None:
    """A local row never from head office with the same name is taken over (it gets the
    document's uuid); head office's own row under that name, renamed by a later edit
    still on its way, steps aside until that edit arrives."""
    clash = conn.exec_driver_sql(
        f"SELECT id, sync_mark FROM {table} WHERE name = ? AND uuid != ?", (name, uuid)
    ).first()
    if clash is None:
        return
    if clash.sync_mark is None and not keys_by_uuid(conn, table, [uuid]):
        update_row(conn, table, int(clash.id), {"uuid": uuid})
    else:
        update_row(conn, table, int(clash.id), {"name": f"{name} ~{uuid[-8:]}"[:80]})
