"""Writing one checked chunk of head-office documents of one entity kind, in bulk.

New documents go in with executemany; documents head office has already are merged
field by field under head office's stamp (catalogue documents, which head office alone
edits, are replaced whole). Any reference that does not hold raises OpRejectedError
naming the document, and the caller refuses the whole import.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select

from app.domain.identifiers import IN_USE_STATUSES
from headoffice.apply_identifiers import clash_reason, refuse_payment_card
from headoffice.apply_ledger import Posting, checked_entry, post
from headoffice.bulk import bulk_insert
from headoffice.customer_index import CustomerRef, insert_keys_many, live_ends, write_keys
from headoffice.documents_store import among, dumps, insert_documents, load_many, update_documents
from headoffice.field_merge import merge_fields
from headoffice.op_context import OpRejectedError
from headoffice.schema import identifier_holders, identifier_keys, ledger

_IN_USE = frozenset(s.value for s in IN_USE_STATUSES)


def write_chunk(
    conn: Connection, entity: str, docs: Mapping[str, dict[str, Any]], stamp: str, now: datetime
) -> int:
    """Write ``docs`` (uuid to data) of ``entity``; how many were written."""
    if entity == "ledger_entry":
        return _entries(conn, docs, now)
    existing = load_many(conn, entity, docs, for_update=True)
    if entity == "customer":
        final = _customers(conn, docs, existing, stamp)
    elif entity == "identifier":
        final = _identifiers(conn, docs, existing, stamp)
    else:  # catalogue: head office's own, replaced whole
        final = dict(docs)
    insert_documents(
        conn, entity, [(u, dumps(d)) for u, d in final.items() if u not in existing], now
    )
    update_documents(conn, entity, [(u, dumps(d)) for u, d in final.items() if u in existing], now)
    return len(final)


def _customers(
    conn: Connection, docs: Mapping[str, dict[str, Any]], existing: Mapping[str, Any], stamp: str
) -> dict[str, dict[str, Any]]:
    final: dict[str, dict[str, Any]] = {}
    fresh: list[tuple[str, dict[str, Any]]] = []
    for uuid, given in docs.items():
        fields = {k: v for k, v in given.items() if k != "notes"}
        notes = list(given.get("notes", []))
        old = existing.get(uuid)
        if old is None or old.deleted:
            data = dict(fields)
            data.update(notes=_sorted_notes(notes), merged_into_uuid=None, stats=None)
            data["clocks"] = dict.fromkeys(fields, stamp)
            if old is None:
                fresh.append((uuid, data))
            else:
                write_keys(conn, uuid, data, new=False, phones_changed=True)
        else:
            data = old.data
            taken = merge_fields(data, fields, dict.fromkeys(fields, stamp))
            seen = {n.get("uuid") for n in data.get("notes", [])}
            data["notes"] = _sorted_notes(
                [*data.get("notes", []), *(n for n in notes if n["uuid"] not in seen)]
            )
            write_keys(conn, uuid, data, new=False, phones_changed="phones" in taken)
        final[uuid] = data
    insert_keys_many(conn, fresh)
    return final


def _identifiers(
    conn: Connection, docs: Mapping[str, dict[str, Any]], existing: Mapping[str, Any], stamp: str
) -> dict[str, dict[str, Any]]:
    final: dict[str, dict[str, Any]] = {}
    for uuid, given in docs.items():
        try:
            refuse_payment_card(given.get("kind"), given.get("value"))
        except OpRejectedError as error:
            raise OpRejectedError(f"card {uuid}: {error}") from None
        old = existing.get(uuid)
        if old is None or old.deleted:
            data = dict(given)
            data["clocks"] = dict.fromkeys(given, stamp)
        else:
            data = old.data
            merge_fields(data, given, dict.fromkeys(given, stamp))
        final[uuid] = data
    _follow_holders(conn, final, stamp)
    known = [u for u in final if u in existing]  # only these can hold keys and a holder
    _claim_values(conn, final, known)
    if known:
        h = identifier_holders.c
        conn.execute(delete(identifier_holders).where(among(conn, h.identifier_uuid, known)))
    holders = [
        {"identifier_uuid": u, "customer_uuid": d["customer_uuid"]}
        for u, d in final.items()
        if d.get("customer_uuid")
    ]
    bulk_insert(conn, identifier_holders, holders)
    return final


def _follow_holders(conn: Connection, cards: Mapping[str, dict[str, Any]], stamp: str) -> None:
    """Each card's customer must be known and not deleted; a merged one's survivor
    takes the card."""
    ends = live_ends(conn, (d["customer_uuid"] for d in cards.values() if d.get("customer_uuid")))
    for uuid, data in cards.items():
        holder = data.get("customer_uuid")
        if holder:
            end = _live(ends[holder], f"card {uuid} names customer {holder}")
            if end != holder:
                data["customer_uuid"] = end
                data["clocks"]["customer_uuid"] = stamp


def _live(ref: CustomerRef | None, what: str) -> str:
    if ref is None:
        raise OpRejectedError(f"{what}, unknown at head office")
    if ref.deleted:
        raise OpRejectedError(f"{what}, deleted at head office")
    return ref.uuid


def _claim_values(conn: Connection, cards: Mapping[str, dict[str, Any]], known: list[str]) -> None:
    """Hold each in-use card's kind and value; OpRejectedError on a value two cards want."""
    k = identifier_keys.c
    wanted: dict[tuple[str, str], str] = {}
    for uuid, data in cards.items():
        if data.get("status") in _IN_USE:
            key = (str(data["kind"]), str(data["value"]))
            if key in wanted:
                raise OpRejectedError(f"cards {wanted[key]} and {uuid} have the same value")
            wanted[key] = uuid
    if known:
        conn.execute(delete(identifier_keys).where(among(conn, k.identifier_uuid, known)))
    if not wanted:
        return
    values = sorted({value for _, value in wanted})
    for kind, value, holder in conn.execute(
        select(k.kind, k.value, k.identifier_uuid).where(among(conn, k.value, values))
    ):
        claimant = wanted.get((kind, value))
        if claimant is not None and holder != claimant:
            raise OpRejectedError(f"card {claimant}: {clash_reason(conn, kind, value, holder)}")
    bulk_insert(
        conn,
        identifier_keys,
        [
            {"kind": kind, "value": value, "identifier_uuid": u}
            for (kind, value), u in wanted.items()
        ],
    )


def _entries(conn: Connection, docs: Mapping[str, dict[str, Any]], now: datetime) -> int:
    entries = []
    for uuid, given in docs.items():
        try:
            entry = checked_entry(given)
        except OpRejectedError as error:
            raise OpRejectedError(f"ledger entry {uuid}: {error}") from None
        entries.append(entry)
    uuids = [e["uuid"] for e in entries]
    reversed_ = [e["reverses_uuid"] for e in entries if e["reverses_uuid"]]
    have = set(conn.scalars(select(ledger.c.uuid).where(among(conn, ledger.c.uuid, uuids))))
    kinds = {e["uuid"]: e["kind"] for e in entries}
    if reversed_:
        rows = conn.execute(
            select(ledger.c.uuid, ledger.c.kind).where(among(conn, ledger.c.uuid, reversed_))
        )
        kinds.update({row.uuid: row.kind for row in rows})
    entries = [e for e in entries if e["uuid"] not in have]  # an entry is never written twice
    ends = live_ends(conn, (e["customer_uuid"] for e in entries))
    postings = []
    for entry in entries:
        customer = entry["customer_uuid"]
        entry["customer_uuid"] = _live(
            ends[customer], f"ledger entry {entry['uuid']} names customer {customer}"
        )
        postings.append(Posting(entry, _lifetime(entry, kinds), None, None))
    post(conn, postings, now)
    return len(postings)


def _lifetime(entry: Mapping[str, Any], kinds: Mapping[str, str]) -> int:
    if entry["account"] != "points":
        return 0
    if entry["kind"] == "earn":
        return int(entry["amount"])
    if entry["kind"] == "reverse" and kinds.get(entry["reverses_uuid"]) == "earn":
        return int(entry["amount"])
    return 0


def _sorted_notes(notes: list[Any]) -> list[Any]:
    return sorted(notes, key=lambda n: (str(n.get("created_at")), str(n.get("uuid"))))
