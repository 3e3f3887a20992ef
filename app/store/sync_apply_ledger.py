"""Ledger entries from head office (pull only): inserted when their uuid is new, moved to
another customer when head office moved them; otherwise never changed (docs/SYNC.md)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from app.domain.ledger import KINDS_BY_ACCOUNT, AccountKind, EntryKind
from app.services.sync_ports import IncomingChange
from app.store.sync_apply_values import (
    Applied,
    BadDocumentError,
    anything_waiting,
    enum_text,
    forget_waiting,
    insert_rows,
    integer,
    keys_by_uuid,
    log,
    required_instant,
    text,
    wait_for,
)

_OWNER = "customer_uuid"
_COLUMNS = (
    "uuid",
    "customer_id",
    "account",
    "kind",
    "amount",
    "at",
    "tab_uuid",
    "terminal",
    "staff_uuid",
    "reason",
    "reverses_uuid",
)


def _row(change: IncomingChange, customer_id: int) -> tuple[object, ...]:
    d = change.data
    account = enum_text(d.get("account"), AccountKind, "account")
    kind = enum_text(d.get("kind"), EntryKind, "kind")
    if EntryKind(kind) not in KINDS_BY_ACCOUNT[AccountKind(account)]:
        raise BadDocumentError(f"a {kind} entry does not belong on the {account} account")
    amount = integer(d.get("amount"), "amount", nullable=False)
    if not amount:
        raise BadDocumentError("the amount is zero")
    return (
        change.uuid,
        customer_id,
        account,
        kind,
        amount,
        required_instant(d.get("at"), "at"),
        d.get("tab_uuid"),
        text(d.get("terminal"), "terminal", limit=80) or "head office",
        text(d.get("staff_uuid"), "staff_uuid", limit=36) or "head office",
        text(d.get("reason"), "reason", limit=200),
        d.get("reverses_uuid"),
    )


def apply_ledger_entries(
    conn: Connection, changes: Sequence[IncomingChange], applied: Applied
) -> None:
    latest = {c.uuid: c for c in changes if not c.deleted}  # entries are never deleted
    if anything_waiting(conn):
        forget_waiting(conn, list(latest))
    have = _stored(conn, list(latest))
    owners = keys_by_uuid(
        conn, "customers", [str(c.data.get("customer_uuid")) for c in latest.values()]
    )
    rows = []
    for change in latest.values():
        owner_uuid = str(change.data.get(_OWNER) or "")
        owner = owners.get(owner_uuid)
        if owner is None:
            if owner_uuid:
                wait_for(
                    conn, "ledger_entry", change.uuid, "customer_uuid", owner_uuid, change.data
                )
            else:
                log.warning("Left out ledger entry %s: it names no customer", change.uuid)
            continue
        if change.uuid in have:
            if have[change.uuid] != owner:
                conn.exec_driver_sql(
                    "UPDATE ledger_entries SET customer_id = ? WHERE uuid = ?", (owner, change.uuid)
                )
            applied.uuids.add(change.uuid)
            continue
        try:
            rows.append(_row(change, owner))
        except BadDocumentError as problem:
            log.warning("Left out ledger entry %s from head office: %s", change.uuid, problem)
            applied.skipped += 1
            continue
        applied.uuids.add(change.uuid)
    _insert(conn, rows)


def _stored(conn: Connection, uuids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(uuids), 30_000):
        chunk = uuids[start : start + 30_000]
        marks = ", ".join("?" for _ in chunk)
        for uuid, owner in conn.exec_driver_sql(
            f"SELECT uuid, customer_id FROM ledger_entries WHERE uuid IN ({marks})", tuple(chunk)
        ):
            found[str(uuid)] = int(owner)
    return found


def _insert(conn: Connection, rows: list[tuple[object, ...]]) -> None:
    """All at once; if a reversal clashes with one this terminal wrote for the same
    entry (each entry is reversed once), that one entry is left out, not the batch."""
    try:
        with conn.begin_nested():
            insert_rows(conn, "ledger_entries", _COLUMNS, rows)
    except IntegrityError:
        for row in rows:
            try:
                with conn.begin_nested():
                    insert_rows(conn, "ledger_entries", _COLUMNS, [row])
            except IntegrityError:
                log.warning("Left out ledger entry %s: it reverses an entry reversed here", row[0])
