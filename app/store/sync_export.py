"""Every document of a terminal's store, streamed: to import an existing venue's store into
head office, and for the sync benchmarks (docs/SYNC.md, "Documents").

Plain SQL in keyset-paged chunks inside one read transaction (a consistent picture
while the till keeps selling); no ORM objects. Documents come in snapshot order:
catalogue, customers, identifiers, then ledger entries as ``ledger_entry`` documents.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine

from app.store.sync_apply_customer_rows import LIST_TABLES, PREFERENCES
from app.store.sync_apply_values import CUSTOMER_CLOCKED, IDENTIFIER_CLOCKED, unpack_clocks

Document = tuple[str, str, dict[str, Any]]
_CUSTOMER_COLUMNS = (
    "id, uuid, kind, full_name, first_name, last_name, title, alias, company, "
    "business_domain, contact_person, gender, date_of_birth, status, status_reason, "
    "promotion_category_id, credit_limit_minor, tab_limit_minor, signup_source, created_at, "
    "created_by, merged_into_id, clocks"
)


def write_json_lines(engine: Engine, path: Path) -> int:
    """Every document as a line ``{"entity", "uuid", "data"}``: the file head office's
    ``python -m headoffice import-docs`` reads. Returns how many were written."""
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for entity, uuid, data in export_documents(engine):
            out.write(json.dumps({"entity": entity, "uuid": uuid, "data": data}) + "\n")
            written += 1
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m app.store.sync_export STORE OUT.jsonl``."""
    parser = argparse.ArgumentParser(description="Export a terminal store's documents.")
    parser.add_argument("store", type=Path, help="the terminal's store (read only)")
    parser.add_argument("out", type=Path, help="the JSON Lines file to write")
    args = parser.parse_args(argv)
    if not args.store.is_file():
        parser.error(f"{args.store} is not a store file")
    engine = create_engine(f"sqlite+pysqlite:///file:{args.store}?mode=ro&uri=true")
    try:
        count = write_json_lines(engine, args.out)
    finally:
        engine.dispose()
    print(f"{args.out}: {count:,} documents", file=sys.stderr)
    return 0


def instant(value: object) -> str | None:
    """A stored instant ("...Z") as ISO 8601 with its offset."""
    if value is None:
        return None
    text = str(value)
    return text[:-1] + "+00:00" if text.endswith("Z") else text


def export_documents(engine: Engine, chunk: int = 5000) -> Iterator[Document]:
    """``(entity, uuid, data)`` for every document in the store."""
    with engine.connect() as conn:
        keys = _Keys(conn)  # its reads begin the one read transaction the export runs in
        yield from _catalogue(conn, keys)
        yield from _customers(conn, keys, chunk)
        yield from _identifiers(conn, keys, chunk)
        yield from _ledger(conn, chunk)


class _Keys:
    """uuid by local key, for the small tables references point at."""

    def __init__(self, conn: Connection) -> None:
        def of(table: str) -> dict[int, str]:
            rows = conn.exec_driver_sql(f"SELECT id, uuid FROM {table}")
            return {int(k): str(u) for k, u in rows}

        self.categories = of("promotion_categories")
        self.groups = of("menu_groups")
        self.items = of("menu_items")
        self.divisions = of("divisions")


def _rows(conn: Connection, sql: str, *params: object) -> list[dict[str, Any]]:
    # The driver's cursor, in the transaction SQLAlchemy began (see export_documents):
    # building a dict per row from it costs a fraction of SQLAlchemy's row mappings.
    driver = conn.connection.driver_connection
    assert driver is not None
    cursor = driver.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def _id_list(text: str, uuids: Mapping[int, str]) -> list[str]:
    return [uuids[int(k)] for k in text.split(",") if k and int(k) in uuids]


def _catalogue(conn: Connection, keys: _Keys) -> Iterator[Document]:
    for r in _rows(conn, "SELECT * FROM promotion_categories ORDER BY id"):
        yield (
            "promotion_category",
            r["uuid"],
            {
                "name": r["name"],
                "priority": r["priority"],
                "tab_limit_minor": r["tab_limit_minor"],
                "description": r["description"],
                "active": bool(r["active"]),
                "composition": r["composition"],
                "max_percent": r["max_percent"],
            },
        )
    for r in _rows(conn, "SELECT * FROM sales_rules ORDER BY id"):
        yield (
            "sales_rule",
            r["uuid"],
            {
                "category_uuid": keys.categories[r["category_id"]],
                "position": r["position"],
                "name": r["name"],
                "kind": r["kind"],
                "group_uuids": _id_list(r["group_ids"], keys.groups),
                "item_uuids": _id_list(r["item_ids"], keys.items),
                "weekdays": [int(d) for d in r["weekdays"].split(",") if d],
                **{k: r[k] for k in ("starts", "ends", "first_day", "last_day", "percent")},
                **{k: r[k] for k in ("fixed_price_minor", "points_per_unit", "every_n")},
                "bonus_points": r["bonus_points"],
                "birthday_days": r["birthday_days"],
                "repeats": bool(r["repeats"]),
                "active": bool(r["active"]),
            },
        )
    for r in _rows(conn, "SELECT * FROM menu_groups ORDER BY id"):
        yield "menu_group", r["uuid"], {"name": r["name"], "sort_order": r["sort_order"]}
    for r in _rows(conn, "SELECT * FROM menu_items ORDER BY id"):
        yield (
            "menu_item",
            r["uuid"],
            {
                "name": r["name"],
                "group_uuid": keys.groups[r["group_id"]],
                "price_minor": r["price_minor"],
                "tax_rate": r["tax_rate"],
                "discountable": bool(r["discountable"]),
                "earns_points": bool(r["earns_points"]),
                "active": bool(r["active"]),
            },
        )
    for r in _rows(conn, "SELECT * FROM divisions ORDER BY id"):
        yield (
            "division",
            r["uuid"],
            {
                "name": r["name"],
                "sort_order": r["sort_order"],
                "promotion_category_uuid": keys.categories.get(r["promotion_category_id"]),
            },
        )
    for r in _rows(conn, "SELECT * FROM dining_tables ORDER BY id"):
        yield (
            "dining_table",
            r["uuid"],
            {
                "division_uuid": keys.divisions[r["division_id"]],
                "number": r["number"],
                "seats": r["seats"],
                "promotion_category_uuid": keys.categories.get(r["promotion_category_id"]),
            },
        )


# Customers -----------------------------------------------------------------------------

_LIST_ITEMS: Mapping[str, Callable[[dict[str, Any], _Keys], dict[str, Any]]] = {
    "phones": lambda r, _: {"e164": r["e164"], "kind": r["kind"], "primary": bool(r["primary"])},
    "emails": lambda r, _: {"address": r["address"], "primary": bool(r["primary"])},
    "addresses": lambda r, _: {
        k: r[k] for k in ("kind", "line1", "line2", "city", "postcode", "country", "note")
    },
    "restrictions": lambda r, _: {k: r[k] for k in ("kind", "name", "severity", "note")},
    "consents": lambda r, _: {
        "channel": r["channel"],
        "granted": bool(r["granted"]),
        "recorded_at": instant(r["recorded_at"]),
        "source": r["source"],
    },
    "attributes": lambda r, _: {"key": r["key"], "value": r["value"]},
    PREFERENCES: lambda r, keys: {
        "text": r["text"],
        "favourite_item_uuid": keys.items.get(r["favourite_item_id"]),
    },
}
_LIST_TABLES = {name: table for name, (table, _) in LIST_TABLES.items()}


def _customers(conn: Connection, keys: _Keys, chunk: int) -> Iterator[Document]:
    last = 0
    while True:
        rows = _rows(
            conn,
            f"SELECT {_CUSTOMER_COLUMNS} FROM customers WHERE id > ? ORDER BY id LIMIT ?",
            last,
            chunk,
        )
        if not rows:
            return
        low, last = rows[0]["id"], rows[-1]["id"]
        children = {name: _children(conn, table, low, last) for name, table in _LIST_TABLES.items()}
        notes = _children(conn, "customer_notes", low, last)
        stats = {
            r["customer_id"]: r
            for r in _rows(
                conn, "SELECT * FROM customer_stats WHERE customer_id BETWEEN ? AND ?", low, last
            )
        }
        merged = {r["merged_into_id"] for r in rows if r["merged_into_id"] is not None}
        survivors = _uuids(conn, "customers", merged)
        for r in rows:
            key = r["id"]
            data: dict[str, Any] = {
                name: r[name]
                for name in (
                    "kind",
                    "full_name",
                    "first_name",
                    "last_name",
                    "title",
                    "alias",
                    "company",
                    "business_domain",
                    "contact_person",
                    "gender",
                    "date_of_birth",
                    "status",
                    "status_reason",
                    "credit_limit_minor",
                    "tab_limit_minor",
                    "signup_source",
                    "created_by",
                )
            }
            data["promotion_category_uuid"] = keys.categories.get(r["promotion_category_id"])
            data["created_at"] = instant(r["created_at"])
            for name, items in children.items():
                convert = _LIST_ITEMS[name]
                data[name] = [convert(item, keys) for item in items.get(key, [])]
            data["notes"] = [
                {
                    "uuid": n["uuid"],
                    "text": n["text"],
                    "author": n["author"],
                    "created_at": instant(n["created_at"]),
                }
                for n in notes.get(key, [])
            ]
            data["merged_into_uuid"] = survivors.get(r["merged_into_id"])
            data["stats"] = _stats(stats.get(key), keys)
            data["clocks"] = unpack_clocks(r["clocks"], CUSTOMER_CLOCKED)
            yield "customer", r["uuid"], data


def _children(conn: Connection, table: str, low: int, high: int) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for r in _rows(
        conn, f"SELECT * FROM {table} WHERE customer_id BETWEEN ? AND ? ORDER BY id", low, high
    ):
        found.setdefault(r["customer_id"], []).append(r)
    return found


def _uuids(conn: Connection, table: str, keys: set[int]) -> dict[int, str]:
    if not keys:
        return {}
    marks = ", ".join("?" for _ in keys)
    rows = conn.exec_driver_sql(f"SELECT id, uuid FROM {table} WHERE id IN ({marks})", tuple(keys))
    return {int(k): str(u) for k, u in rows}


def _stats(row: dict[str, Any] | None, keys: _Keys) -> dict[str, Any] | None:
    if row is None:
        return None
    items = json.loads(row["item_counts"] or "{}")
    return {
        "visits": row["visits"],
        "total_spent_minor": row["total_spent_minor"],
        "first_visit": instant(row["first_visit_at"]),
        "last_visit": instant(row["last_visit_at"]),
        "item_counts": {
            keys.items[int(k)]: int(v) for k, v in items.items() if int(k) in keys.items
        },
        "payment_counts": json.loads(row["payment_counts"] or "{}"),
    }


# Cards and the ledger ------------------------------------------------------------------


def _identifiers(conn: Connection, keys: _Keys, chunk: int) -> Iterator[Document]:
    last = 0
    while True:
        rows = _rows(
            conn,
            "SELECT i.*, c.uuid AS customer_uuid, r.uuid AS replaces_uuid FROM identifiers AS i "
            "LEFT JOIN customers AS c ON c.id = i.customer_id "
            "LEFT JOIN identifiers AS r ON r.id = i.replaces_id "
            "WHERE i.id > ? ORDER BY i.id LIMIT ?",
            last,
            chunk,
        )
        if not rows:
            return
        last = rows[-1]["id"]
        for r in rows:
            yield (
                "identifier",
                r["uuid"],
                {
                    "kind": r["kind"],
                    "value": r["value"],
                    "customer_uuid": r["customer_uuid"],
                    "promotion_category_uuid": keys.categories.get(r["promotion_category_id"]),
                    "status": r["status"],
                    "label": r["label"],
                    "issued_at": instant(r["issued_at"]),
                    "expires_at": instant(r["expires_at"]),
                    "replaces_uuid": r["replaces_uuid"],
                    "clocks": unpack_clocks(r["clocks"], IDENTIFIER_CLOCKED),
                },
            )


def _ledger(conn: Connection, chunk: int) -> Iterator[Document]:
    last = 0
    while True:
        rows = _rows(
            conn,
            "SELECT e.*, c.uuid AS customer_uuid FROM ledger_entries AS e "
            "JOIN customers AS c ON c.id = e.customer_id WHERE e.id > ? ORDER BY e.id LIMIT ?",
            last,
            chunk,
        )
        if not rows:
            return
        last = rows[-1]["id"]
        for r in rows:
            yield (
                "ledger_entry",
                r["uuid"],
                {
                    "uuid": r["uuid"],
                    "customer_uuid": r["customer_uuid"],
                    "account": r["account"],
                    "kind": r["kind"],
                    "amount": r["amount"],
                    "at": instant(r["at"]),
                    "tab_uuid": r["tab_uuid"],
                    "terminal": r["terminal"],
                    "staff_uuid": r["staff_uuid"],
                    "reason": r["reason"],
                    "reverses_uuid": r["reverses_uuid"],
                },
            )


if __name__ == "__main__":
    sys.exit(main())
