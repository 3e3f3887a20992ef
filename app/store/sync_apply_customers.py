"""Customer documents from head office: new ones written in bulk, known ones merged field
by field on their clocks (head office wins ties), notes unioned by uuid, figures taken
from head office, merges followed and deletions applied (docs/SYNC.md)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from app.services.sync_ports import IncomingChange
from app.store.sync_apply_customer_notes import NoteRows, held_notes
from app.store.sync_apply_customer_rows import (
    CATEGORY_FIELD,
    LIST_FIELDS,
    SCALARS,
    STATS_COLUMNS,
    CustomerRows,
    clear_lists,
    customer_columns,
    item_keys,
    stats_row,
)
from app.store.sync_apply_removal import redirect_customer, remove_customer
from app.store.sync_apply_search import bulk_indexing
from app.store.sync_apply_values import (
    CUSTOMER_CLOCKED,
    Applied,
    BadDocumentError,
    anything_waiting,
    chunks,
    clocks_of,
    forget_waiting,
    insert_rows,
    keys_by_uuid,
    log,
    next_key,
    pack_clocks,
    pending_fields,
    unpack_clocks,
    update_row,
    wait_for,
)

MERGED_FIELD = "merged_into_uuid"
_MERGEABLE = (*SCALARS, CATEGORY_FIELD, *LIST_FIELDS)
_COLUMNS = (
    "id",
    "uuid",
    *SCALARS.values(),
    "name_folded",
    "alias_folded",
    "promotion_category_id",
    "merged_into_id",
    "updated_at",
    "updated_by",
    "last_visit_at",
    "total_spent_minor",
    "order_count",
    "clocks",
    "sync_mark",
)
_MERGED_INTO = _COLUMNS.index("merged_into_id")
_BY_HEAD_OFFICE = "head office"


@dataclass
class _Batch:
    """What a batch of customer documents needs to look up once."""

    conn: Connection
    mark: int
    now: str
    items: dict[str, int]
    categories: dict[str, int]
    customers: dict[str, int]  # uuid -> key, of the batch's customers and their survivors
    notes: NoteRows
    pending: dict[str, set[str]]  # customer uuid -> fields with a write in the outbox


def apply_customers(
    conn: Connection,
    changes: Sequence[IncomingChange],
    mark: int,
    applied: Applied,
    *,
    bulk: bool,
    force: Mapping[str, frozenset[str]],
) -> None:
    latest = {c.uuid: c for c in changes}  # the last version of each customer counts
    if anything_waiting(conn):
        forget_waiting(conn, list(latest))
    stored = _stored(conn, list(latest))
    batch = _Batch(
        conn,
        mark,
        datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        item_keys(conn),
        keys_by_uuid(conn, "promotion_categories", _refs(latest.values(), CATEGORY_FIELD)),
        {uuid: int(row[0]) for uuid, row in stored.items()},
        NoteRows(held_notes(conn, [c.data for c in latest.values() if not c.deleted])),
        pending_fields(conn, "customer.upsert") if stored else {},
    )
    batch.customers.update(keys_by_uuid(conn, "customers", _refs(latest.values(), MERGED_FIELD)))
    fresh = [c for c in latest.values() if not c.deleted and c.uuid not in stored]
    withdrawn = _deleted_here(conn, [c.uuid for c in fresh])
    _insert(batch, [c for c in fresh if c.uuid not in withdrawn], applied)
    for change in latest.values():
        row = stored.get(change.uuid)
        if change.deleted:
            if row is not None:
                remove_customer(conn, int(row[0]))
            applied.uuids.add(change.uuid)
        elif row is not None:
            try:
                _merge(batch, change, row, force.get(change.uuid, frozenset()))
                applied.uuids.add(change.uuid)
            except BadDocumentError as problem:
                log.warning("Left out customer %s from head office: %s", change.uuid, problem)
                applied.skipped += 1


def _refs(changes: Any, field: str) -> list[str]:
    return [str(c.data[field]) for c in changes if not c.deleted and c.data.get(field)]


def _stored(conn: Connection, uuids: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for chunk in chunks(uuids):
        marks = ", ".join("?" for _ in chunk)
        for row in conn.exec_driver_sql(
            f"SELECT uuid, id, clocks, merged_into_id FROM customers WHERE uuid IN ({marks})",
            tuple(chunk),
        ):
            found[str(row[0])] = row[1:]
    return found


def _deleted_here(conn: Connection, uuids: list[str]) -> set[str]:
    """Customers this terminal deleted, its deletion not yet acknowledged: a document
    head office sent before hearing of it does not bring them back."""
    found: set[str] = set()
    for chunk in chunks(uuids):
        marks = ", ".join("?" for _ in chunk)
        found.update(
            str(u)
            for (u,) in conn.exec_driver_sql(
                "SELECT entity_uuid FROM outbox WHERE kind = 'customer.deleted' "
                f"AND status = 'pending' AND entity_uuid IN ({marks})",
                tuple(chunk),
            )
        )
    return found


# New customers: in bulk ----------------------------------------------------------------


def _insert(batch: _Batch, changes: list[IncomingChange], applied: Applied) -> None:
    """New customers in bulk, with their lists, notes, figures and search rows."""
    conn = batch.conn
    key = next_key(conn, "customers")
    keyed: list[tuple[int, IncomingChange, dict[str, object]]] = []
    rows = CustomerRows(batch.items, batch.notes)
    stats = []
    for change in changes:
        data = change.data
        try:
            values = customer_columns(data)
            if "kind" not in values or "full_name" not in values:
                raise BadDocumentError("a new customer needs kind and full_name")
            figures = stats_row(key, data.get("stats"), batch.items)
            rows.add(
                key,
                data,
                [f for f in LIST_FIELDS if f in data],
                merged=bool(data.get(MERGED_FIELD)),
                indexed=values,
            )
        except BadDocumentError as problem:
            log.warning("Left out customer %s from head office: %s", change.uuid, problem)
            applied.skipped += 1
            continue
        if figures is not None:
            stats.append(figures)
            values.update(
                total_spent_minor=figures[2], order_count=figures[1], last_visit_at=figures[4]
            )
        batch.customers[change.uuid] = key
        keyed.append((key, change, values))
        key += 1
    _free_aliases(conn, keyed)
    table = [_row(batch, key, change, values) for key, change, values in keyed]
    # Written without their redirects, set once every customer of the page is there: a
    # merged customer may come before its survivor (merged_into_id is a foreign key).
    merged = _MERGED_INTO
    redirects = [(row[merged], row[0]) for row in table if row[merged] is not None]
    table = [(*row[:merged], None, *row[merged + 1 :]) for row in table] if redirects else table
    with bulk_indexing(conn):
        insert_rows(conn, "customers", _COLUMNS, table)
        rows.write(conn)
    rows.search.write(conn)
    if redirects:
        conn.exec_driver_sql("UPDATE customers SET merged_into_id = ? WHERE id = ?", redirects)
    insert_rows(conn, "customer_stats", STATS_COLUMNS, stats)
    applied.uuids.update(change.uuid for _, change, _ in keyed)


def _row(
    batch: _Batch, key: int, change: IncomingChange, values: dict[str, object]
) -> tuple[object, ...]:
    category = _reference(batch, change, CATEGORY_FIELD, batch.categories)
    merged_into = _reference(batch, change, MERGED_FIELD, batch.customers)
    scalars = [
        (batch.now if column == "created_at" else _NOT_NULL[column])
        if values.get(column) is None and column in _NOT_NULL
        else values.get(column)
        for column in SCALARS.values()
    ]
    return (
        key,
        change.uuid,
        *scalars,
        values["name_folded"],
        values.get("alias_folded"),
        category,
        merged_into,
        batch.now,
        _BY_HEAD_OFFICE,
        values.get("last_visit_at"),
        values.get("total_spent_minor", 0),
        values.get("order_count", 0),
        pack_clocks(clocks_of(change.data), CUSTOMER_CLOCKED),
        batch.mark,
    )


_NOT_NULL: Mapping[str, object] = {
    "first_name": "",
    "last_name": "",
    "title": "",
    "company": "",
    "business_domain": "",
    "contact_person": "",
    "gender": "unspecified",
    "status": "active",
    "status_reason": "",
    "signup_source": "till",
    "created_at": None,  # the batch's time
    "created_by": "",
}


def _reference(
    batch: _Batch, change: IncomingChange, field: str, keys: Mapping[str, int]
) -> int | None:
    target = change.data.get(field)
    if not target:
        return None
    key = keys.get(str(target))
    if key is None:
        wait_for(batch.conn, "customer", change.uuid, field, str(target), change.data)
    return key


def _free_aliases(
    conn: Connection, keyed: list[tuple[int, IncomingChange, dict[str, object]]]
) -> None:
    """Head office's alias wins: a local customer holding it loses it (so does a second
    document of the batch with the same alias, which head office should never send)."""
    wanted: dict[str, int] = {}
    for key, change, values in keyed:
        alias = values.get("alias_folded")
        if alias is None:
            continue
        if alias in wanted:
            log.warning("Customer %s has an alias another of the batch has", change.uuid)
            values["alias"] = values["alias_folded"] = None
        else:
            wanted[str(alias)] = key
    _clear_alias_holders(conn, wanted)


def _clear_alias_holders(conn: Connection, wanted: Mapping[str, int]) -> None:
    aliases = list(wanted)
    for chunk in chunks(aliases):
        marks = ", ".join("?" for _ in chunk)
        holders = conn.exec_driver_sql(
            f"SELECT id, alias_folded FROM customers WHERE alias_folded IN ({marks})",
            tuple(chunk),
        ).all()
        for holder, alias in holders:
            if wanted[str(alias)] != holder:
                log.warning("Customer #%s gives up alias %r to head office's", holder, alias)
                update_row(conn, "customers", int(holder), {"alias": None, "alias_folded": None})


# Known customers: field by field -------------------------------------------------------


def _merge(batch: _Batch, change: IncomingChange, row: Any, force: frozenset[str]) -> None:
    conn, data = batch.conn, change.data
    key, stored_text, merged_into = int(row[0]), row[1], row[2]
    stored = unpack_clocks(stored_text, CUSTOMER_CLOCKED)
    incoming = clocks_of(data)
    pending: Collection[str] = batch.pending.get(change.uuid, ())
    taken = [
        f
        for f in _MERGEABLE
        if f in data
        and f in incoming
        and (
            incoming[f] > stored.get(f, "")
            or (f in force and incoming[f] == stored.get(f))
            or (f not in pending and incoming[f] != stored.get(f))  # head office's, see SYNC.md
        )
    ]
    columns = customer_columns({f: data[f] for f in taken if f in SCALARS})
    lists = [f for f in taken if f in LIST_FIELDS]
    rows = CustomerRows(batch.items, batch.notes)
    rows.add(key, data, lists, merged=bool(data.get(MERGED_FIELD)))
    figures = stats_row(key, data["stats"], batch.items) if "stats" in data else None
    if CATEGORY_FIELD in taken:
        category = _reference(batch, change, CATEGORY_FIELD, batch.categories)
        columns["promotion_category_id"] = category
    if columns.get("alias_folded") is not None:
        _clear_alias_holders(conn, {str(columns["alias_folded"]): key})
    stored.update({f: incoming[f] for f in taken})
    columns.update(clocks=pack_clocks(stored, CUSTOMER_CLOCKED), sync_mark=batch.mark)
    if taken:
        columns.update(updated_at=batch.now, updated_by=_BY_HEAD_OFFICE)
    update_row(conn, "customers", key, columns)
    clear_lists(conn, key, lists)
    rows.write(conn)  # the triggers index the changes, as for any other write
    if "stats" in data:
        _take_figures(conn, key, figures)
    survivor = _reference(batch, change, MERGED_FIELD, batch.customers)
    if survivor is not None and survivor != key and survivor != merged_into:
        redirect_customer(conn, key, survivor)


def _take_figures(conn: Connection, key: int, figures: tuple[object, ...] | None) -> None:
    """Head office's figures replace the terminal's (its own rule units stay)."""
    if figures is None:
        conn.exec_driver_sql(
            "UPDATE customers SET total_spent_minor = 0, order_count = 0, last_visit_at = NULL "
            "WHERE id = ?",
            (key,),
        )
        return
    columns = ", ".join(STATS_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in STATS_COLUMNS[1:])
    conn.exec_driver_sql(
        f"INSERT INTO customer_stats ({columns}) VALUES ({', '.join('?' for _ in STATS_COLUMNS)}) "
        f"ON CONFLICT (customer_id) DO UPDATE SET {updates}",
        figures,
    )
    update_row(
        conn,
        "customers",
        key,
        {"total_spent_minor": figures[2], "order_count": figures[1], "last_visit_at": figures[4]},
    )
