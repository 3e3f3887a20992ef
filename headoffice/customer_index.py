"""Head office's index of customers: names and phones for finding duplicates, and the
merge redirects every later operation is followed through."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, text, update

from app.domain.text import fold
from headoffice.bulk import bulk_insert
from headoffice.documents_store import among
from headoffice.schema import customer_keys, customer_phones, is_postgresql

MAX_REDIRECTS = 64  # a chain of merges longer than this is a loop


_k = customer_keys.c
_RESOLVE = select(
    _k.uuid, _k.full_name, _k.deleted, _k.merged_into_uuid, _k.credit_limit_minor
).where(_k.uuid == bindparam("r_uuid"))
_UPDATE_KEYS = (
    update(customer_keys)
    .where(_k.uuid == bindparam("k_uuid"))
    .values({c.name: bindparam(f"k_{c.name}") for c in customer_keys.c if c.name != "uuid"})
)

_p = customer_phones.c
_DUPLICATES = (
    select(_k.uuid, _k.created_at)
    .select_from(customer_phones.join(customer_keys, _k.uuid == _p.customer_uuid))
    .where(
        _p.e164.in_(bindparam("d_phones", expanding=True)),
        _k.folded_name == bindparam("d_name"),
        _k.merged_into_uuid.is_(None),
        _k.deleted.is_(False),
        _k.uuid != bindparam("d_uuid"),
    )
    .distinct()
)


@dataclass(frozen=True)
class CustomerRef:
    """Where a customer uuid leads: the customer it ends at after following merges."""

    uuid: str  # the live end of the chain (the uuid asked for when it was never merged)
    full_name: str
    deleted: bool
    credit_limit_minor: int | None


def resolve(conn: Connection, customer_uuid: str) -> CustomerRef | None:
    """The customer ``customer_uuid`` is, after following merges; None when unknown."""
    current, seen = customer_uuid, set[str]()
    while len(seen) <= MAX_REDIRECTS:
        row = conn.execute(_RESOLVE, {"r_uuid": current}).first()
        if row is None:
            return None
        if row.merged_into_uuid is None or row.merged_into_uuid in seen:
            return CustomerRef(row.uuid, row.full_name, bool(row.deleted), row.credit_limit_minor)
        seen.add(current)
        current = row.merged_into_uuid
    return None


def phones_of(data: Mapping[str, Any]) -> list[str]:
    """The E.164 numbers of a customer document, each once."""
    phones = data.get("phones")
    if not isinstance(phones, list):
        return []
    found = [p.get("e164") for p in phones if isinstance(p, dict)]
    return sorted({p for p in found if isinstance(p, str) and p})


def key_row(uuid: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A customer's ``customer_keys`` row from its document."""
    name = data.get("full_name")
    name = name if isinstance(name, str) else ""
    created = data.get("created_at")
    limit = data.get("credit_limit_minor")
    return {
        "uuid": uuid,
        "full_name": name,
        "folded_name": fold(name),
        "created_at": datetime.fromisoformat(created) if isinstance(created, str) else None,
        "merged_into_uuid": data.get("merged_into_uuid"),
        "credit_limit_minor": limit if isinstance(limit, int) else None,
        "deleted": False,
    }


def write_keys(
    conn: Connection, uuid: str, data: Mapping[str, Any], *, new: bool, phones_changed: bool
) -> None:
    """Keep a customer's index rows in step with its document."""
    row = key_row(uuid, data)
    if new:
        conn.execute(insert(customer_keys), row)
    else:
        conn.execute(_UPDATE_KEYS, {f"k_{name}": value for name, value in row.items()})
    if new or phones_changed:
        if not new:
            conn.execute(delete(customer_phones).where(customer_phones.c.customer_uuid == uuid))
        phones = phones_of(data)
        if phones:
            conn.execute(
                insert(customer_phones), [{"e164": p, "customer_uuid": uuid} for p in phones]
            )


def insert_keys_many(conn: Connection, docs: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
    """Index rows for many new customers at once (a bulk import)."""
    if not docs:
        return
    bulk_insert(conn, customer_keys, [key_row(uuid, data) for uuid, data in docs])
    phones = [{"e164": p, "customer_uuid": uuid} for uuid, data in docs for p in phones_of(data)]
    bulk_insert(conn, customer_phones, phones)


def mark_deleted(conn: Connection, uuid: str) -> None:
    conn.execute(update(customer_keys).where(customer_keys.c.uuid == uuid).values(deleted=True))
    conn.execute(delete(customer_phones).where(customer_phones.c.customer_uuid == uuid))


def mark_merged(conn: Connection, merged_uuid: str, survivor_uuid: str) -> None:
    conn.execute(
        update(customer_keys)
        .where(customer_keys.c.uuid == merged_uuid)
        .values(merged_into_uuid=survivor_uuid)
    )


def lock_phones(conn: Connection, phones: Iterable[str]) -> None:
    """PostgreSQL: hold each phone number for the rest of the transaction, so two pushes
    creating the same person at once take turns and the second sees the first."""
    if not is_postgresql(conn):
        return  # SQLite has one writer at a time already
    for phone in sorted(set(phones)):
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": "phone:" + phone})


def duplicates_of(
    conn: Connection, uuid: str, folded_name: str, phones: Sequence[str]
) -> list[tuple[str, datetime | None]]:
    """Live, unmerged customers other than ``uuid`` with the same folded name and one
    of the phones: ``(uuid, created_at)``."""
    if not phones or not folded_name:
        return []
    found = conn.execute(
        _DUPLICATES, {"d_phones": list(phones), "d_name": folded_name, "d_uuid": uuid}
    )
    return [(row.uuid, row.created_at) for row in found]


def live_ends(conn: Connection, uuids: Iterable[str]) -> dict[str, CustomerRef | None]:
    """:func:`resolve` for many customers at once: one query for those never merged."""
    wanted = sorted(set(uuids))
    k = customer_keys.c
    found: dict[str, CustomerRef | None] = {}
    for start in range(0, len(wanted), 5000):
        rows = conn.execute(
            select(k.uuid, k.full_name, k.deleted, k.credit_limit_minor).where(
                among(conn, k.uuid, wanted[start : start + 5000]), k.merged_into_uuid.is_(None)
            )
        )
        for row in rows:
            found[row.uuid] = CustomerRef(
                row.uuid, row.full_name, bool(row.deleted), row.credit_limit_minor
            )
    for uuid in wanted:
        if uuid not in found:
            found[uuid] = resolve(conn, uuid)
    return found
