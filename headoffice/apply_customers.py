"""``customer.upsert``, ``customer.note`` and ``customer.deleted`` (docs/SYNC.md).

A customer's document holds every directory field, each with its clock, plus ``notes``,
``merged_into_uuid`` and ``stats``. Operations naming a merged customer are applied to
the customer it was merged into. A new customer whose phone and folded name match a live
one is merged with it at once (:mod:`headoffice.customer_merge`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select

from app.domain.text import fold
from app.sync.documents import NOTE_FIELDS
from headoffice.customer_index import (
    duplicates_of,
    lock_phones,
    mark_deleted,
    phones_of,
    resolve,
    write_keys,
)
from headoffice.customer_merge import merge_customers
from headoffice.documents_store import StoredDocument, load, save, tombstone
from headoffice.field_merge import checked_edit, merge_fields
from headoffice.op_context import (
    CLOCK_FIELD,
    OBJECT_FIELD,
    UUID_FIELD,
    OpContext,
    OpRejectedError,
    require_keys,
)
from headoffice.schema import (
    closed_tabs,
    customer_stats,
    identifier_holders,
    identifier_keys,
    ledger,
)

_UPSERT = {"customer_uuid": UUID_FIELD, "fields": OBJECT_FIELD, "clocks": OBJECT_FIELD}
_NOTE = {"customer_uuid": UUID_FIELD, "note": OBJECT_FIELD}
_DELETED = {"customer_uuid": UUID_FIELD, "hlc": CLOCK_FIELD}


def apply_customer_upsert(ctx: OpContext, payload: Mapping[str, Any]) -> None:
    require_keys(payload, _UPSERT, "customer.upsert")
    uuid, fields, clocks = payload["customer_uuid"], payload["fields"], payload["clocks"]
    doc = load(ctx.conn, "customer", uuid)
    if doc is None:
        _create(ctx, uuid, fields, clocks)
        return
    doc = _followed(ctx.conn, doc)
    stamps = checked_edit(ctx, "customer", fields, clocks, whole=False)
    taken = merge_fields(doc.data, fields, stamps)
    if taken:
        save(ctx.conn, "customer", doc.uuid, doc.data, ctx.now, new=False)
        write_keys(ctx.conn, doc.uuid, doc.data, new=False, phones_changed="phones" in taken)


def apply_customer_note(ctx: OpContext, payload: Mapping[str, Any]) -> None:
    require_keys(payload, _NOTE, "customer.note")
    note = payload["note"]
    require_keys(note, NOTE_FIELDS, "the note")
    doc = load(ctx.conn, "customer", payload["customer_uuid"])
    if doc is None:
        raise OpRejectedError(f"customer {payload['customer_uuid']} is unknown at head office")
    doc = _followed(ctx.conn, doc)
    notes = doc.data.setdefault("notes", [])
    if any(isinstance(n, dict) and n.get("uuid") == note["uuid"] for n in notes):
        return  # a union by uuid: this note is there already
    notes.append({name: note.get(name) for name in NOTE_FIELDS})
    notes.sort(key=lambda n: (str(n.get("created_at")), str(n.get("uuid"))))
    save(ctx.conn, "customer", doc.uuid, doc.data, ctx.now, new=False)


def apply_customer_deleted(ctx: OpContext, payload: Mapping[str, Any]) -> None:
    """Delete a customer who never did business; refuse, and send them back, otherwise."""
    require_keys(payload, _DELETED, "customer.deleted")
    ctx.incoming_clock("hlc", payload["hlc"])
    uuid = payload["customer_uuid"]
    conn = ctx.conn
    doc = load(conn, "customer", uuid)
    if doc is None:
        raise OpRejectedError(f"customer {uuid} is unknown at head office")
    if doc.deleted:
        return  # deleted already
    name = doc.data.get("full_name") or uuid
    survivor = doc.data.get("merged_into_uuid")
    if survivor:
        raise OpRejectedError(
            f"{name} was merged into another customer ({survivor}) at head office and stays "
            "as the way to them; delete that customer instead if that is meant"
        )
    cards = sorted(
        conn.scalars(
            select(identifier_holders.c.identifier_uuid).where(
                identifier_holders.c.customer_uuid == uuid
            )
        )
    )
    activity = _activity(conn, uuid)
    if activity:
        resend = [("customer", uuid)] + [("identifier", card) for card in cards]
        raise OpRejectedError(
            f"{name} cannot be deleted: head office has {activity} for them. "
            "Deactivate them instead; their record is sent back to the terminal",
            resend=resend,
        )
    for card in cards:  # their cards go with them, as at the terminal
        tombstone(conn, "identifier", card, ctx.now)
        conn.execute(delete(identifier_keys).where(identifier_keys.c.identifier_uuid == card))
        conn.execute(delete(identifier_holders).where(identifier_holders.c.identifier_uuid == card))
    tombstone(conn, "customer", uuid, ctx.now)
    mark_deleted(conn, uuid)
    conn.execute(delete(customer_stats).where(customer_stats.c.customer_uuid == uuid))


def _create(ctx: OpContext, uuid: str, fields: Any, clocks: Any) -> None:
    stamps = checked_edit(ctx, "customer", fields, clocks, whole=True)
    conn = ctx.conn
    data: dict[str, Any] = dict(fields)
    data.update(notes=[], merged_into_uuid=None, stats=None, clocks=dict(stamps))
    phones = phones_of(data)
    lock_phones(conn, phones)
    save(conn, "customer", uuid, data, ctx.now, new=True)
    write_keys(conn, uuid, data, new=True, phones_changed=True)
    name = data.get("full_name")
    matches = duplicates_of(conn, uuid, fold(name if isinstance(name, str) else ""), phones)
    if not matches:
        return
    created = data.get("created_at")
    everyone = [(uuid, datetime.fromisoformat(created) if isinstance(created, str) else None)]
    everyone += matches
    survivor = min(everyone, key=lambda c: (c[1] is None, c[1] or ctx.now, c[0]))[0]
    for other, _ in everyone:
        if other != survivor:
            merge_customers(ctx, survivor, other)


def _followed(conn: Connection, doc: StoredDocument) -> StoredDocument:
    """The live customer a document leads to (itself unless it was merged); OpRejectedError
    when that customer was deleted."""
    if doc.deleted:
        raise OpRejectedError(f"customer {doc.uuid} was deleted at head office")
    if not doc.data.get("merged_into_uuid"):
        return doc
    ref = resolve(conn, doc.uuid)
    target = None if ref is None else load(conn, "customer", ref.uuid)
    if target is None or target.deleted:
        raise OpRejectedError(
            f"customer {doc.uuid} was merged into {doc.data['merged_into_uuid']}, "
            "which head office no longer has"
        )
    return target


def _activity(conn: Connection, uuid: str) -> str:
    """What ties a customer to the books, in words ("" when nothing does)."""
    entries = conn.scalar(select(func.count()).where(ledger.c.customer_uuid == uuid)) or 0
    visits = (
        conn.scalar(
            select(func.count()).where(
                closed_tabs.c.visit_customer_uuid == uuid, closed_tabs.c.counted.is_(True)
            )
        )
        or 0
    )
    parts = []
    if entries:
        parts.append(f"{entries} ledger {'entry' if entries == 1 else 'entries'}")
    if visits:
        parts.append(f"{visits} visit{'s' if visits != 1 else ''}")
    return " and ".join(parts)
