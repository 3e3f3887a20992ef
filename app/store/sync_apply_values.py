"""What every applier of pulled documents shares: values turned into what the store
keeps, plain SQL for bulk writes, and the reasons a document is put aside.

Appliers write through the driver (``exec_driver_sql``) with values already in the
store's form (instants as UTC text, booleans as 0/1), so a page of thousands of rows
is one ``executemany`` without a type conversion per value.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection

log = logging.getLogger("app.sync.store")

_MAX_PARAMS = 30_000  # SQLite allows 32,766 variables in one statement


class BadDocumentError(ValueError):
    """A pulled document the store cannot take; it is logged and left out, never fatal."""


@dataclass
class Applied:
    """What one batch of documents did: the uuids written (documents waiting for them
    may now be applied) and how many were left out."""

    uuids: set[str] = field(default_factory=set)
    skipped: int = 0


# Values ---------------------------------------------------------------------------------


def instant_text(value: object, name: str) -> str | None:
    """An ISO 8601 instant as the store keeps it ("...T12:00:00.000000Z")."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadDocumentError(f"{name} is not a time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadDocumentError(f"{name} is not an ISO 8601 time: {value[:40]!r}") from None
    if moment.tzinfo is None:
        raise BadDocumentError(f"{name} has no UTC offset")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_text(value: object, name: str) -> str | None:
    """:func:`instant_text`, by slicing when the time is already UTC ISO text."""
    if type(value) is str and value.endswith("+00:00"):
        if len(value) == 32:
            return value[:26] + "Z"
        if len(value) == 25:
            return value[:19] + ".000000Z"
    return instant_text(value, name)


def one_of(value: object, allowed: frozenset[str], name: str) -> str:
    if value not in allowed:
        raise BadDocumentError(f"{name} {str(value)[:30]!r} is not one of its values")
    return str(value)


def values_of(kind: type[StrEnum]) -> frozenset[str]:
    return frozenset(member.value for member in kind)


def required_instant(value: object, name: str) -> str:
    text = utc_text(value, name)
    if text is None:
        raise BadDocumentError(f"{name} is missing")
    return text


def day_text(value: object, name: str) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise BadDocumentError(f"{name} is not a date: {str(value)[:20]!r}") from None


def decimal_text(value: object, name: str) -> str | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise BadDocumentError(f"{name} is not a decimal number") from None
    if not number.is_finite():
        raise BadDocumentError(f"{name} is not a finite number")
    return str(value)


def enum_text(value: object, kind: type[StrEnum], name: str, *, nullable: bool = False) -> Any:
    if value is None and nullable:
        return None
    try:
        return kind(str(value)).value
    except ValueError:
        raise BadDocumentError(f"{name} {str(value)[:30]!r} is not one of its values") from None


def integer(value: object, name: str, *, nullable: bool = True) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadDocumentError(f"{name} is not a whole number")
    return value


def text(value: object, name: str, *, default: str = "", limit: int = 0) -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise BadDocumentError(f"{name} is not text")
    return value[:limit] if limit else value


def flag(value: object, default: bool = True) -> int:
    return int(default if value is None else bool(value))


def clocks_of(data: Mapping[str, Any]) -> dict[str, str]:
    raw = data.get("clocks") or {}
    if type(raw) is not dict:
        raise BadDocumentError("clocks is not an object")
    return raw


# Field clocks ---------------------------------------------------------------------------
# Stored packed: when every field has a clock, the commonest one is kept once as "*" and
# only the others by name. A customer written once (most of a snapshot) keeps ~50 bytes
# of clocks instead of ~1.3 KB.

CUSTOMER_CLOCKED = (
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
    "promotion_category_uuid",
    "credit_limit_minor",
    "tab_limit_minor",
    "signup_source",
    "created_at",
    "created_by",
    "phones",
    "emails",
    "addresses",
    "preferences",
    "restrictions",
    "consents",
    "attributes",
)
IDENTIFIER_CLOCKED = (
    "kind",
    "value",
    "customer_uuid",
    "promotion_category_uuid",
    "status",
    "label",
    "issued_at",
    "expires_at",
    "replaces_uuid",
)
CLOCKED: Mapping[str, tuple[str, ...]] = {
    "customer": CUSTOMER_CLOCKED,
    "identifier": IDENTIFIER_CLOCKED,
}
_ANY = "*"


def pack_clocks(clocks: Mapping[str, str], fields: Sequence[str]) -> str:
    """The stored form of a record's field clocks (see above)."""
    if not clocks:
        return "{}"
    stamps = set(clocks.values())
    if len(stamps) == 1:
        (common,) = stamps
        if len(clocks) >= len(fields) and all(f in clocks for f in fields):
            if '"' not in common and "\\" not in common:
                return '{"*":"' + common + '"}'
            return json.dumps({_ANY: common})
    elif all(f in clocks for f in fields):
        counts: dict[str, int] = {}
        for stamp in clocks.values():
            counts[stamp] = counts.get(stamp, 0) + 1
        common = max(counts, key=lambda s: (counts[s], s))
        packed = {k: v for k, v in clocks.items() if v != common}
        packed[_ANY] = common
        return json.dumps(packed, sort_keys=True, separators=(",", ":"))
    return json.dumps(dict(clocks), sort_keys=True, separators=(",", ":"))


def unpack_clocks(text: str | None, fields: Sequence[str]) -> dict[str, str]:
    """Every field's clock from the stored form."""
    raw: dict[str, str] = json.loads(text or "{}")
    common = raw.pop(_ANY, None)
    if common is None:
        return raw
    return {**dict.fromkeys(fields, common), **raw}


# Plain SQL ------------------------------------------------------------------------------


def insert_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]
) -> None:
    """One ``executemany`` of ``rows`` into ``table``, on the driver's connection inside
    the transaction ``conn`` has begun (SQLAlchemy's checks of each row are skipped)."""
    if not rows:
        return
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
    if not conn.in_transaction():
        conn.exec_driver_sql(sql, [tuple(r) for r in rows])
        return
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.executemany(sql, rows)


def update_row(
    conn: Connection, table: str, key: int, values: Mapping[str, object], key_column: str = "id"
) -> None:
    if values:
        sets = ", ".join(f'"{name}" = ?' for name in values)
        conn.exec_driver_sql(
            f"UPDATE {table} SET {sets} WHERE {key_column} = ?", (*values.values(), key)
        )


def keys_by_uuid(conn: Connection, table: str, uuids: Iterable[str]) -> dict[str, int]:
    """The local keys of the rows with these uuids (absent ones are left out)."""
    wanted = list(dict.fromkeys(u for u in uuids if u))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), _MAX_PARAMS):
        chunk = wanted[start : start + _MAX_PARAMS]
        marks = ", ".join("?" for _ in chunk)
        for uuid, key in conn.exec_driver_sql(
            f"SELECT uuid, id FROM {table} WHERE uuid IN ({marks})", tuple(chunk)
        ):
            found[str(uuid)] = int(key)
    return found


def next_key(conn: Connection, table: str) -> int:
    """The first free integer key of ``table`` (the caller holds the write lock)."""
    top = conn.exec_driver_sql(f"SELECT max(id) FROM {table}").scalar()
    return int(top or 0) + 1


def chunks(items: Sequence[Any], size: int = _MAX_PARAMS) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Waiting references -----------------------------------------------------------------


def wait_for(
    conn: Connection,
    entity: str,
    uuid: str,
    field: str,
    target_uuid: str,
    data: Mapping[str, Any],
) -> None:
    """Remember that ``uuid``'s ``field`` refers to ``target_uuid``, not in the store yet:
    the document is applied again, that field taken, when the target arrives."""
    log.info("%s %s waits for %s %s", entity, uuid, field, target_uuid)
    conn.exec_driver_sql(
        "INSERT INTO sync_waiting (entity, uuid, field, target_uuid, data) VALUES (?, ?, ?, ?, ?)",
        (entity, uuid, field, target_uuid, json.dumps(dict(data), default=str)),
    )


def forget_waiting(conn: Connection, uuids: Sequence[str]) -> None:
    """Drop what these documents waited for (each is applied whole, and waits again for
    what is still missing)."""
    for chunk in chunks(list(uuids)):
        marks = ", ".join("?" for _ in chunk)
        conn.exec_driver_sql(f"DELETE FROM sync_waiting WHERE uuid IN ({marks})", tuple(chunk))


def anything_waiting(conn: Connection) -> bool:
    return conn.exec_driver_sql("SELECT 1 FROM sync_waiting LIMIT 1").first() is not None


def pending_fields(conn: Connection, kind: str) -> dict[str, set[str]]:
    """Entity uuid -> the fields its ``kind`` operations (``customer.upsert``,
    ``identifier.upsert``) still pending in the outbox name (not acknowledged by head
    office): head office's document is authoritative for every other (docs/SYNC.md)."""
    found: dict[str, set[str]] = {}
    for uuid, name in conn.exec_driver_sql(
        "SELECT o.entity_uuid, j.key FROM outbox AS o, json_each(o.payload, '$.clocks') AS j "
        "WHERE o.status = 'pending' AND o.kind = ?",
        (kind,),
    ):
        found.setdefault(str(uuid), set()).add(str(name))
    return found
