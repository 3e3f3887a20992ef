"""Identifier documents from head office: new cards in bulk, known ones merged field by
field on their clocks. A value is unique per kind among cards in use; when head office's
card clashes with another the terminal holds (one it issued offline, say), head office
wins and the other is marked expired here, never a crash (docs/SYNC.md)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from app.domain.identifiers import IN_USE_STATUSES, IdentifierKind, IdentifierStatus
from app.services.sync_ports import IncomingChange
from app.store.sync_apply_values import (
    IDENTIFIER_CLOCKED,
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
    one_of,
    pack_clocks,
    pending_fields,
    required_instant,
    text,
    unpack_clocks,
    update_row,
    utc_text,
    values_of,
    wait_for,
)

_IN_USE = frozenset(s.value for s in IN_USE_STATUSES)
_SCALARS = ("kind", "value", "status", "label", "issued_at", "expires_at")
# document field -> (column, table of the target)
_REFS: Mapping[str, tuple[str, str]] = {
    "customer_uuid": ("customer_id", "customers"),
    "promotion_category_uuid": ("promotion_category_id", "promotion_categories"),
    "replaces_uuid": ("replaces_id", "identifiers"),
}
_COLUMNS = ("id", "uuid", *_SCALARS, *(c for c, _ in _REFS.values()), "clocks", "sync_mark")


_KINDS, _STATUSES = values_of(IdentifierKind), values_of(IdentifierStatus)
_CONVERT: Mapping[str, Callable[[object], object]] = {
    "kind": lambda v: one_of(v, _KINDS, "kind"),
    "value": lambda v: text(v, "value", limit=128),
    "status": lambda v: one_of(v, _STATUSES, "status"),
    "label": lambda v: text(v, "label", limit=80),
    "issued_at": lambda v: required_instant(v, "issued_at"),
    "expires_at": lambda v: utc_text(v, "expires_at"),
}


def _scalars(data: Mapping[str, Any], fields: Sequence[str]) -> dict[str, object]:
    values = {name: _CONVERT[name](data.get(name)) for name in fields if name in _CONVERT}
    if values.get("value") == "":
        raise BadDocumentError("value is empty")
    return values


def apply_identifiers(
    conn: Connection,
    changes: Sequence[IncomingChange],
    mark: int,
    applied: Applied,
    *,
    bulk: bool,
    force: Mapping[str, frozenset[str]],
) -> None:
    latest = {c.uuid: c for c in changes}
    if anything_waiting(conn):
        forget_waiting(conn, list(latest))
    stored = _stored(conn, list(latest))
    keys: dict[str, dict[str, int]] = {
        table: keys_by_uuid(
            conn,
            table,
            [str(c.data[f]) for c in latest.values() if not c.deleted and c.data.get(f)],
        )
        for f, (_, table) in _REFS.items()
    }
    pending = pending_fields(conn, "identifier.upsert") if stored else {}
    fresh = [c for c in latest.values() if not c.deleted and c.uuid not in stored]
    _insert(conn, fresh, mark, keys, applied)
    for change in latest.values():
        row = stored.get(change.uuid)
        if change.deleted:
            if row is not None:
                conn.exec_driver_sql("DELETE FROM identifiers WHERE id = ?", (int(row[0]),))
            applied.uuids.add(change.uuid)
        elif row is not None:
            try:
                force_here = force.get(change.uuid, frozenset())
                held = pending.get(change.uuid, ())
                _merge(conn, change, row, mark, keys, force_here, held)
                applied.uuids.add(change.uuid)
            except BadDocumentError as problem:
                log.warning("Left out card %s from head office: %s", change.uuid, problem)
                applied.skipped += 1


def _stored(conn: Connection, uuids: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for chunk in chunks(uuids):
        marks = ", ".join("?" for _ in chunk)
        for row in conn.exec_driver_sql(
            f"SELECT uuid, id, clocks FROM identifiers WHERE uuid IN ({marks})", tuple(chunk)
        ):
            found[str(row[0])] = row[1:]
    return found


def _refs(
    conn: Connection,
    change: IncomingChange,
    fields: Sequence[str],
    keys: Mapping[str, dict[str, int]],
) -> dict[str, object]:
    values: dict[str, object] = {}
    for field in fields:
        if field not in _REFS:
            continue
        column, table = _REFS[field]
        target = change.data.get(field)
        key = None if not target else keys[table].get(str(target))
        if target and key is None:
            wait_for(conn, "identifier", change.uuid, field, str(target), change.data)
        values[column] = key
    return values


def _insert(
    conn: Connection,
    changes: list[IncomingChange],
    mark: int,
    keys: dict[str, dict[str, int]],
    applied: Applied,
) -> None:
    """New cards in bulk: one tuple per card, in ``_COLUMNS`` order."""
    key = next_key(conn, "identifiers")
    customers, categories = keys["customers"], keys["promotion_categories"]
    cards = keys["identifiers"]
    for change in changes:
        cards[change.uuid] = key  # a re-issued card may name one of the same batch
        key += 1
    built: list[tuple[list[object], IncomingChange]] = []
    for change in changes:
        try:
            built.append((_new_row(cards[change.uuid], change.uuid, change.data, mark), change))
        except BadDocumentError as problem:
            log.warning("Left out card %s from head office: %s", change.uuid, problem)
            applied.skipped += 1
            del cards[change.uuid]
    rows: list[list[object]] = []
    claimed: dict[tuple[object, object], int] = {}
    for row, change in built:
        d = change.data
        for index, field, found in (
            (8, "customer_uuid", customers),
            (9, "promotion_category_uuid", categories),
            (10, "replaces_uuid", cards),
        ):
            target = d.get(field)
            if target:
                row[index] = found.get(target)
                if row[index] is None:
                    wait_for(conn, "identifier", change.uuid, field, str(target), d)
        if row[4] in _IN_USE:
            pair = (row[2], row[3])
            if pair in claimed:
                log.warning("Card %s repeats a value in use; kept as expired here", change.uuid)
                row[4] = IdentifierStatus.EXPIRED.value
            else:
                claimed[pair] = int(str(row[0]))
        rows.append(row)
        applied.uuids.add(change.uuid)
    _retire_clashing(conn, claimed)
    insert_rows(conn, "identifiers", _COLUMNS, rows)


def _new_row(key: int, uuid: str, d: Mapping[str, Any], mark: int) -> list[object]:
    value = d.get("value")
    if type(value) is not str or not value:
        raise BadDocumentError("value is missing")
    label = d.get("label")
    return [
        key,
        uuid,
        one_of(d.get("kind"), _KINDS, "kind"),
        value[:128],
        one_of(d.get("status"), _STATUSES, "status"),
        "" if label is None else text(label, "label", limit=80),
        required_instant(d.get("issued_at"), "issued_at"),
        utc_text(d.get("expires_at"), "expires_at"),
        None,
        None,
        None,
        pack_clocks(clocks_of(d), IDENTIFIER_CLOCKED),
        mark,
    ]


def _retire_clashing(conn: Connection, claimed: Mapping[tuple[object, object], int]) -> None:
    """Head office's cards win their values: another card in use with one is expired."""
    by_kind: dict[object, list[object]] = {}
    for kind, value in claimed:
        by_kind.setdefault(kind, []).append(value)
    statuses = ", ".join(f"'{s}'" for s in sorted(_IN_USE))
    for kind, values in by_kind.items():
        for chunk in chunks(values):
            marks = ", ".join("?" for _ in chunk)
            for holder, value in conn.exec_driver_sql(
                f"SELECT id, value FROM identifiers WHERE kind = ? AND value IN ({marks}) "
                f"AND status IN ({statuses})",
                (kind, *chunk),
            ).all():
                if claimed[(kind, value)] != holder:
                    log.warning("Card #%s gives way to head office's card with its value", holder)
                    update_row(
                        conn, "identifiers", int(holder), {"status": IdentifierStatus.EXPIRED.value}
                    )


def _merge(
    conn: Connection,
    change: IncomingChange,
    row: Any,
    mark: int,
    keys: dict[str, dict[str, int]],
    force: frozenset[str],
    pending: Collection[str],
) -> None:
    data = change.data
    key, stored = int(row[0]), unpack_clocks(row[1], IDENTIFIER_CLOCKED)
    incoming = clocks_of(data)
    taken = [
        f
        for f in (*_SCALARS, *_REFS)
        if f in data
        and f in incoming
        and (
            incoming[f] > stored.get(f, "")
            or (f in force and incoming[f] == stored.get(f))
            or (f not in pending and incoming[f] != stored.get(f))  # head office's, see SYNC.md
        )
    ]
    values = _scalars(data, taken)
    values.update(_refs(conn, change, taken, keys))
    if {"kind", "value", "status"} & set(taken):
        current = conn.exec_driver_sql(
            "SELECT kind, value, status FROM identifiers WHERE id = ?", (key,)
        ).one()
        kind = values.get("kind", current[0])
        value = values.get("value", current[1])
        if values.get("status", current[2]) in _IN_USE:
            _retire_clashing(conn, {(kind, value): key})
    stored.update({f: incoming[f] for f in taken})
    values.update(clocks=pack_clocks(stored, IDENTIFIER_CLOCKED), sync_mark=mark)
    update_row(conn, "identifiers", key, values)
