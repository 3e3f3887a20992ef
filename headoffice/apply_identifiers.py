"""``identifier.upsert``: cards and keys, merged field by field like customers.

A card value in use (active, lost or blocked) belongs to one card only: an edit that
would give a second card the same kind and value is refused, naming the card (masked)
and who holds it. A card naming a merged customer is given to the survivor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from app.domain.identifiers import (
    IN_USE_STATUSES,
    PAYMENT_CARD_REFUSAL,
    IdentifierKind,
    looks_like_payment_card,
)
from app.domain.receipts import mask_identifier
from headoffice.customer_index import resolve
from headoffice.documents_store import load, save
from headoffice.field_merge import checked_edit, merge_fields
from headoffice.op_context import OBJECT_FIELD, UUID_FIELD, OpContext, OpRejectedError, require_keys
from headoffice.schema import customer_keys, identifier_holders, identifier_keys

_UPSERT = {"identifier_uuid": UUID_FIELD, "fields": OBJECT_FIELD, "clocks": OBJECT_FIELD}
_IN_USE = frozenset(s.value for s in IN_USE_STATUSES)


def apply_identifier_upsert(ctx: OpContext, payload: Mapping[str, Any]) -> None:
    require_keys(payload, _UPSERT, "identifier.upsert")
    uuid, fields, clocks = payload["identifier_uuid"], payload["fields"], payload["clocks"]
    conn = ctx.conn
    doc = load(conn, "identifier", uuid)
    if doc is not None and doc.deleted:
        raise OpRejectedError(f"card {uuid} was deleted at head office (with its customer)")
    stamps = checked_edit(ctx, "identifier", fields, clocks, whole=doc is None)
    refuse_payment_card(fields.get("kind"), fields.get("value"))
    data: dict[str, Any] = {} if doc is None else doc.data
    taken = merge_fields(data, fields, stamps)
    if doc is not None and not taken:
        return
    holder = data.get("customer_uuid")
    if holder is not None:
        ref = resolve(conn, holder)
        if ref is None:
            raise OpRejectedError(f"customer {holder} is unknown at head office")
        if ref.deleted:
            raise OpRejectedError(f"customer {ref.full_name} ({holder}) was deleted at head office")
        if ref.uuid != holder:  # merged since: the card follows the survivor
            data["customer_uuid"] = ref.uuid
            data["clocks"]["customer_uuid"] = ctx.stamp()
    claim_value(conn, uuid, data)
    save(conn, "identifier", uuid, data, ctx.now, new=doc is None)
    write_holder(conn, uuid, data.get("customer_uuid"))


def refuse_payment_card(kind: object, value: object) -> None:
    """OpRejectedError when a card value is a payment card's number (never kept)."""
    if not isinstance(value, str) or kind == IdentifierKind.PHONE:
        return
    if kind == IdentifierKind.BARCODE_CARD and len(value.replace(" ", "")) < 15:
        return  # EAN-13 and GTIN-14 barcodes may pass Luhn; payment cards have 15 to 19 digits
    if looks_like_payment_card(value):
        raise OpRejectedError(PAYMENT_CARD_REFUSAL)


def claim_value(conn: Connection, uuid: str, data: Mapping[str, Any]) -> None:
    """Hold the card's kind and value while it is in use; OpRejectedError when another card
    in use holds them."""
    k = identifier_keys.c
    conn.execute(delete(identifier_keys).where(k.identifier_uuid == uuid))
    if data.get("status") not in _IN_USE:
        return
    kind, value = str(data["kind"]), str(data["value"])
    other = conn.execute(select(k.identifier_uuid).where(k.kind == kind, k.value == value)).scalar()
    if other is not None:
        raise OpRejectedError(clash_reason(conn, kind, value, str(other)))
    conn.execute(insert(identifier_keys).values(kind=kind, value=value, identifier_uuid=uuid))


def clash_reason(conn: Connection, kind: str, value: str, other_uuid: str) -> str:
    """Why a card value cannot be used: it is another card's, and whose."""
    h, c = identifier_holders.c, customer_keys.c
    name = conn.execute(
        select(c.full_name)
        .select_from(identifier_holders.join(customer_keys, c.uuid == h.customer_uuid))
        .where(h.identifier_uuid == other_uuid)
    ).scalar()
    holder = f"held by {name}" if name else "an impersonal card"
    kinds = {k.value: k.label for k in IdentifierKind}
    label = kinds.get(kind, kind)
    return (
        f"{label} {mask_identifier(value)} is already in use: card {other_uuid}, {holder}. "
        "Mark that card expired first, or give this guest another card"
    )


def write_holder(conn: Connection, uuid: str, customer_uuid: object) -> None:
    h = identifier_holders.c
    conn.execute(delete(identifier_holders).where(h.identifier_uuid == uuid))
    if isinstance(customer_uuid, str):
        conn.execute(
            insert(identifier_holders).values(identifier_uuid=uuid, customer_uuid=customer_uuid)
        )
