"""Directory edits as operations for head office (docs/SYNC.md, "Operations").

Services call these in the unit of work of the change, so an edit, its field clocks and
its operation commit or roll back together. Field names are exactly those of
``app.sync.documents`` (services may not import app.sync; a test checks the documents
built here with its checker).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from enum import Enum

from app.domain.customers import Customer, InternalNote
from app.domain.hlc import HybridClock
from app.domain.identifiers import Identifier
from app.domain.ledger import LedgerEntry
from app.services.ports import UnitOfWork

# The clock node of a store not (yet) wired to sync; bootstrap passes the terminal's clock,
# whose node is its sync node (SyncState.node).
LOCAL_NODE = "00000000-0000-0000-0000-000000000000"

CUSTOMER_UPSERT = "customer.upsert"
CUSTOMER_NOTE = "customer.note"
CUSTOMER_DELETED = "customer.deleted"
CUSTOMERS_MERGED = "customers.merged"
IDENTIFIER_UPSERT = "identifier.upsert"
LEDGER_ENTRY = "ledger.entry"

Fields = dict[str, object]


def default_hlc(clock: Callable[[], datetime]) -> HybridClock:
    """A hybrid clock on the service's own clock, for callers that pass none."""
    return HybridClock(LOCAL_NODE, clock)


def instant(at: datetime | None) -> str | None:
    """An instant as the documents carry it: ISO 8601 in UTC."""
    return None if at is None else at.astimezone(UTC).isoformat()


def _day(on: date | None) -> str | None:
    return None if on is None else on.isoformat()


def _value(item: object) -> object:
    return item.value if isinstance(item, Enum) else item


# Documents -----------------------------------------------------------------------------


def customer_fields(uow: UnitOfWork, customer: Customer) -> Fields:
    """Every field a ``customer.upsert`` carries, as the customer stands in ``uow``."""
    categories = uow.sync.uuids("promotion_category", _ids([customer.promotion_category_id]))
    items = uow.sync.uuids("menu_item", _ids(p.favourite_item_id for p in customer.preferences))
    return {
        "kind": customer.kind.value,
        "full_name": customer.full_name,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "title": customer.title,
        "alias": customer.alias,
        "company": customer.company,
        "business_domain": customer.business_domain,
        "contact_person": customer.contact_person,
        "gender": customer.gender.value,
        "date_of_birth": _day(customer.date_of_birth),
        "status": customer.status.value,
        "status_reason": customer.status_reason,
        "promotion_category_uuid": _ref(categories, customer.promotion_category_id),
        "credit_limit_minor": customer.credit_limit_minor,
        "tab_limit_minor": customer.tab_limit_minor,
        "signup_source": customer.signup_source.value,
        "created_at": instant(customer.created_at),
        "created_by": customer.created_by,
        "phones": [
            {"e164": p.e164, "kind": p.kind.value, "primary": p.primary} for p in customer.phones
        ],
        "emails": [{"address": e.address, "primary": e.primary} for e in customer.emails],
        "addresses": [
            {
                "kind": a.kind.value,
                "line1": a.line1,
                "line2": a.line2,
                "city": a.city,
                "postcode": a.postcode,
                "country": a.country,
                "note": a.note,
            }
            for a in customer.addresses
        ],
        "preferences": [
            {"text": p.text, "favourite_item_uuid": _ref(items, p.favourite_item_id)}
            for p in customer.preferences
        ],
        "restrictions": [
            {"kind": r.kind.value, "name": r.name, "severity": _value(r.severity), "note": r.note}
            for r in customer.restrictions
        ],
        "consents": [
            {
                "channel": c.channel.value,
                "granted": c.granted,
                "recorded_at": instant(c.recorded_at),
                "source": c.source,
            }
            for c in customer.consents
        ],
        "attributes": [{"key": a.key, "value": a.value} for a in customer.attributes],
    }


def identifier_fields(uow: UnitOfWork, identifier: Identifier) -> Fields:
    """Every field an ``identifier.upsert`` carries. A bank card's value is only ever its
    keyed hash (the store refuses the number itself)."""
    customers = uow.sync.uuids("customer", _ids([identifier.customer_id]))
    categories = uow.sync.uuids("promotion_category", _ids([identifier.promotion_category_id]))
    cards = uow.sync.uuids("identifier", _ids([identifier.replaces_id]))
    return {
        "kind": identifier.kind.value,
        "value": identifier.value,
        "customer_uuid": _ref(customers, identifier.customer_id),
        "promotion_category_uuid": _ref(categories, identifier.promotion_category_id),
        "status": identifier.status.value,
        "label": identifier.label,
        "issued_at": instant(identifier.issued_at),
        "expires_at": instant(identifier.expires_at),
        "replaces_uuid": _ref(cards, identifier.replaces_id),
    }


def ledger_operation(entry: LedgerEntry, customer_uuid: str) -> Fields:
    """A ledger entry as head office receives it: the ``ledger.entry`` payload."""
    return {
        "uuid": entry.uuid,
        "customer_uuid": customer_uuid,
        "account": entry.account.value,
        "kind": entry.kind.value,
        "amount": entry.amount,
        "at": instant(entry.at),
        "tab_uuid": entry.tab_uuid,
        "terminal": entry.terminal,
        "staff_uuid": entry.staff_uuid,
        "reason": entry.reason,
        "reverses_uuid": entry.reverses_uuid,
    }


def note_document(note: InternalNote) -> Fields:
    return {
        "uuid": note.uuid,
        "text": note.text,
        "author": note.author,
        "created_at": instant(note.created_at),
    }


def _ids(ids: Iterable[int | None]) -> list[int]:
    return [i for i in ids if i is not None]


def _ref(uuids: Mapping[int, str], key: int | None) -> str | None:
    return None if key is None else uuids.get(key)


def changed(before: Mapping[str, object] | None, after: Mapping[str, object]) -> Fields:
    """The fields of ``after`` that differ from ``before`` (all of them for a new record)."""
    if before is None:
        return dict(after)
    return {name: value for name, value in after.items() if before.get(name) != value}


# Operations ----------------------------------------------------------------------------


def record_customer(
    uow: UnitOfWork,
    hlc: HybridClock,
    customer: Customer,
    before: Mapping[str, object] | None,
    at: datetime,
) -> str | None:
    """Queue a ``customer.upsert`` of what changed since ``before`` (None: a new customer,
    every field), stamping each changed field's clock. Returns the operation id, or None
    when nothing changed. The customer must be flushed (it needs its key)."""
    fields = changed(before, customer_fields(uow, customer))
    if not fields:
        return None
    assert customer.id is not None, "flush the customer before recording it"
    return record_customer_fields(uow, hlc, customer.id, customer.uuid, fields, at)


def record_customer_fields(
    uow: UnitOfWork,
    hlc: HybridClock,
    customer_id: int,
    customer_uuid: str,
    fields: Mapping[str, object],
    at: datetime,
) -> str:
    """Queue a ``customer.upsert`` of ``fields``, all stamped with one new clock."""
    stamp = str(hlc.now())
    clocks = dict.fromkeys(fields, stamp)
    uow.sync.stamp("customer", customer_id, clocks)
    payload = {"customer_uuid": customer_uuid, "fields": dict(fields), "clocks": clocks}
    return uow.outbox.append(CUSTOMER_UPSERT, customer_uuid, payload, at, hlc=stamp)


def record_identifier(
    uow: UnitOfWork,
    hlc: HybridClock,
    identifier: Identifier,
    before: Mapping[str, object] | None,
    at: datetime,
) -> str | None:
    """Queue an ``identifier.upsert`` of what changed since ``before`` (None: all fields)."""
    fields = changed(before, identifier_fields(uow, identifier))
    if not fields:
        return None
    assert identifier.id is not None, "flush the card before recording it"
    stamp = str(hlc.now())
    clocks = dict.fromkeys(fields, stamp)
    uow.sync.stamp("identifier", identifier.id, clocks)
    payload = {"identifier_uuid": identifier.uuid, "fields": fields, "clocks": clocks}
    return uow.outbox.append(IDENTIFIER_UPSERT, identifier.uuid, payload, at, hlc=stamp)


def record_note(
    uow: UnitOfWork, hlc: HybridClock, customer_uuid: str, note: InternalNote, at: datetime
) -> str:
    stamp = str(hlc.now())
    payload = {"customer_uuid": customer_uuid, "note": note_document(note)}
    return uow.outbox.append(CUSTOMER_NOTE, customer_uuid, payload, at, hlc=stamp)


def record_deleted(uow: UnitOfWork, hlc: HybridClock, customer_uuid: str, at: datetime) -> str:
    stamp = str(hlc.now())
    payload = {"customer_uuid": customer_uuid, "hlc": stamp}
    return uow.outbox.append(CUSTOMER_DELETED, customer_uuid, payload, at, hlc=stamp)


def record_merged(
    uow: UnitOfWork, hlc: HybridClock, survivor_uuid: str, merged_uuid: str, at: datetime
) -> str:
    stamp = str(hlc.now())
    payload = {"survivor_uuid": survivor_uuid, "merged_uuid": merged_uuid, "hlc": stamp}
    return uow.outbox.append(CUSTOMERS_MERGED, merged_uuid, payload, at, hlc=stamp)
