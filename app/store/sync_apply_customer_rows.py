"""A customer document as the store's rows: the customer's columns, its lists (phones,
e-mails, addresses...), notes and head office's figures.

Written for speed (a snapshot brings a million customers): plain dictionary reads,
values checked against sets, instants in UTC converted by slicing when they already
are. Anything malformed raises :class:`BadDocumentError` for the whole document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from app.domain.customers import (
    AddressKind,
    ConsentChannel,
    CustomerKind,
    CustomerStatus,
    DietaryKind,
    Gender,
    PhoneKind,
    Severity,
    SignupSource,
)
from app.domain.text import fold
from app.store.sync_apply_customer_notes import NoteRows
from app.store.sync_apply_search import SearchRows
from app.store.sync_apply_values import (
    BadDocumentError,
    day_text,
    insert_rows,
    one_of,
    utc_text,
    values_of,
)

Row = tuple[object, ...]


_KINDS, _GENDERS, _STATUSES = values_of(CustomerKind), values_of(Gender), values_of(CustomerStatus)
_SOURCES, _PHONE_KINDS = values_of(SignupSource), values_of(PhoneKind)
_ADDRESS_KINDS, _DIETS, _SEVERITIES = (
    values_of(AddressKind),
    values_of(DietaryKind),
    values_of(Severity),
)
_CHANNELS = values_of(ConsentChannel)


def fast_fold(value: str) -> str:
    """:func:`app.domain.text.fold`, with a quick way for plain ASCII names."""
    if value.isascii() and value.isprintable():
        return " ".join(value.lower().split())
    return fold(value)


def _text(value: object, name: str, limit: int) -> str:
    if value is None:
        return ""
    if type(value) is not str:
        raise BadDocumentError(f"{name} is not text")
    return value[:limit]


def _int(value: object, name: str) -> int | None:
    if value is None or (type(value) is int):
        return value
    raise BadDocumentError(f"{name} is not a whole number")


# Scalar fields and their columns; each is merged on its own clock.
SCALARS: Mapping[str, str] = {
    "kind": "kind",
    "full_name": "full_name",
    "first_name": "first_name",
    "last_name": "last_name",
    "title": "title",
    "alias": "alias",
    "company": "company",
    "business_domain": "business_domain",
    "contact_person": "contact_person",
    "gender": "gender",
    "date_of_birth": "date_of_birth",
    "status": "status",
    "status_reason": "status_reason",
    "credit_limit_minor": "credit_limit_minor",
    "tab_limit_minor": "tab_limit_minor",
    "signup_source": "signup_source",
    "created_at": "created_at",
    "created_by": "created_by",
}
CATEGORY_FIELD = "promotion_category_uuid"


def customer_columns(d: Mapping[str, Any]) -> dict[str, object]:
    """The columns of every scalar field ``d`` carries, with the folded search columns."""
    values: dict[str, object] = {}
    get = d.get
    if "kind" in d:
        values["kind"] = one_of(d["kind"], _KINDS, "kind")
    if "full_name" in d:
        name = _text(d["full_name"], "full_name", 200)
        if not name:
            raise BadDocumentError("full_name is empty")
        values["full_name"] = name
        values["name_folded"] = fast_fold(name)
    for field, limit in _TEXTS:
        if field in d:
            values[field] = _text(d[field], field, limit)
    if "alias" in d:
        alias = get("alias") or None
        values["alias"] = None if alias is None else _text(alias, "alias", 64)
        values["alias_folded"] = None if alias is None else fast_fold(str(values["alias"]))
    if "gender" in d:
        values["gender"] = one_of(get("gender") or "unspecified", _GENDERS, "gender")
    if "date_of_birth" in d:
        values["date_of_birth"] = day_text(get("date_of_birth"), "date_of_birth")
    if "status" in d:
        values["status"] = one_of(get("status") or "active", _STATUSES, "status")
    for field in ("credit_limit_minor", "tab_limit_minor"):
        if field in d:
            values[field] = _int(d[field], field)
    if "signup_source" in d:
        values["signup_source"] = one_of(get("signup_source") or "till", _SOURCES, "source")
    if "created_at" in d:
        created = utc_text(d["created_at"], "created_at")
        if created is None:
            raise BadDocumentError("created_at is missing")
        values["created_at"] = created
    return values


_TEXTS = (
    ("first_name", 100),
    ("last_name", 100),
    ("title", 40),
    ("company", 200),
    ("business_domain", 100),
    ("contact_person", 200),
    ("status_reason", 200),
    ("created_by", 80),
)


# Lists ----------------------------------------------------------------------------------

PREFERENCES = "preferences"
LIST_TABLES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "phones": ("customer_phones", ("e164", "digits", "kind", "primary")),
    "emails": ("customer_emails", ("address", "normalised", "primary")),
    "addresses": (
        "customer_addresses",
        ("kind", "line1", "line2", "city", "postcode", "country", "note"),
    ),
    PREFERENCES: ("customer_preferences", ("text", "favourite_item_id")),
    "restrictions": ("customer_restrictions", ("kind", "name", "severity", "note")),
    "consents": ("customer_consents", ("channel", "granted", "recorded_at", "source")),
    "attributes": ("customer_attributes", ("key", "value")),
}
LIST_FIELDS = tuple(LIST_TABLES)


def _items(value: object, name: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if type(value) is not list:
        raise BadDocumentError(f"{name} must be a list")
    return value


class CustomerRows:
    """Rows of many customers' lists, notes and search index, gathered to be written
    table by table; a document's rows are kept only if all of them converted."""

    def __init__(self, item_keys: Mapping[str, int], notes: NoteRows) -> None:
        self._item_keys = item_keys  # menu item uuid -> key, for favourite items
        self.lists: dict[str, list[Row]] = {name: [] for name in LIST_TABLES}
        self.notes = notes
        self.search = SearchRows()

    def add(
        self,
        key: int,
        d: Mapping[str, Any],
        fields: Sequence[str],
        *,
        merged: bool = False,
        indexed: Mapping[str, object] | None = None,
    ) -> None:
        """The rows of the list ``fields`` and the notes of customer ``key`` (a ``merged``
        customer's document takes no note held by another, see NoteRows); with
        ``indexed`` (its columns), a new customer's search rows. Nothing is kept if
        anything does not convert."""
        built: dict[str, list[Row]] = {}
        for name in fields:
            items = d.get(name)
            if items:
                built[name] = self._rows(key, name, _items(items, name))
            elif items is not None and items != []:
                raise BadDocumentError(f"{name} must be a list")
        notes = self.notes.build(key, d, merged=merged)
        for name, rows in built.items():
            self.lists[name].extend(rows)
        self.notes.keep(key, notes)
        if indexed is not None:
            self.search.add(
                key,
                str(indexed["name_folded"]),
                indexed.get("alias_folded"),  # type: ignore[arg-type]
                str(indexed.get("company") or ""),
                str(indexed.get("last_name") or ""),
                [str(r[2]) for r in built.get("phones", ())],
                [str(r[2]) for r in built.get("emails", ())],
            )

    def _rows(self, key: int, name: str, items: list[Mapping[str, Any]]) -> list[Row]:
        try:
            if name == "phones":
                return [
                    (
                        key,
                        p["e164"][:20],
                        p["e164"].lstrip("+")[:20],
                        one_of(p.get("kind") or "mobile", _PHONE_KINDS, "phone kind"),
                        1 if p.get("primary") else 0,
                    )
                    for p in items
                ]
            if name == "emails":
                return [
                    (
                        key,
                        e["address"][:254],
                        e["address"].casefold()[:254],
                        1 if e.get("primary") else 0,
                    )
                    for e in items
                ]
            if name == "addresses":
                return [
                    (
                        key,
                        one_of(a.get("kind"), _ADDRESS_KINDS, "address kind"),
                        _text(a["line1"], "line1", 200),
                        *(_text(a.get(p), p, n) for p, n in _ADDRESS_PARTS),
                    )
                    for a in items
                ]
            if name == PREFERENCES:
                keys = self._item_keys
                return [
                    (
                        key,
                        _text(p["text"], "preference", 500),
                        keys.get(str(p.get("favourite_item_uuid"))),
                    )
                    for p in items
                ]
            if name == "restrictions":
                return [
                    (
                        key,
                        one_of(r.get("kind"), _DIETS, "restriction kind"),
                        _text(r["name"], "restriction", 100),
                        None
                        if r.get("severity") is None
                        else one_of(r["severity"], _SEVERITIES, "severity"),
                        _text(r.get("note"), "note", 500),
                    )
                    for r in items
                ]
            if name == "consents":
                return [
                    (
                        key,
                        one_of(c.get("channel"), _CHANNELS, "consent channel"),
                        1 if c["granted"] else 0,
                        utc_text(c["recorded_at"], "consent recorded_at"),
                        _text(c.get("source"), "consent source", 200),
                    )
                    for c in items
                ]
            return [
                (key, _text(a["key"], "attribute", 64), _text(a["value"], "value", 500))
                for a in items
            ]
        except (KeyError, TypeError, AttributeError) as problem:
            raise BadDocumentError(f"{name} has an item that is not right ({problem})") from None

    def write(self, conn: Connection) -> None:
        """The lists and notes (the search rows are written apart, see sync_apply_search)."""
        for name, rows in self.lists.items():
            table, columns = LIST_TABLES[name]
            insert_rows(conn, table, ("customer_id", *columns), rows)
        self.notes.write(conn)


_ADDRESS_PARTS = (("line2", 200), ("city", 100), ("postcode", 20), ("country", 2), ("note", 200))


def clear_lists(conn: Connection, customer_id: int, fields: Sequence[str]) -> None:
    for name in fields:
        conn.exec_driver_sql(
            f"DELETE FROM {LIST_TABLES[name][0]} WHERE customer_id = ?", (customer_id,)
        )


# Figures --------------------------------------------------------------------------------

STATS_COLUMNS = (
    "customer_id",
    "visits",
    "total_spent_minor",
    "first_visit_at",
    "last_visit_at",
    "item_counts",
    "payment_counts",
)


def stats_row(customer_id: int, stats: object, item_keys: Mapping[str, int]) -> Row | None:
    """Head office's figures as a ``customer_stats`` row (items by local key), or None."""
    if not isinstance(stats, dict):
        return None
    try:
        items = stats.get("item_counts") or {}
        payments = stats.get("payment_counts") or {}
        local = {str(item_keys[u]): int(n) for u, n in items.items() if u in item_keys}
        return (
            customer_id,
            _int(stats.get("visits"), "visits") or 0,
            _int(stats.get("total_spent_minor"), "total_spent_minor") or 0,
            utc_text(stats.get("first_visit"), "first_visit"),
            utc_text(stats.get("last_visit"), "last_visit"),
            json.dumps(local) if local else "{}",
            json.dumps({str(k): int(v) for k, v in payments.items()}) if payments else "{}",
        )
    except (AttributeError, TypeError, ValueError) as problem:
        raise BadDocumentError(f"stats are not right ({problem})") from None


def item_keys(conn: Connection) -> dict[str, int]:
    """Menu item uuid -> key, for a batch (the menu is small)."""
    return {str(u): int(k) for u, k in conn.exec_driver_sql("SELECT uuid, id FROM menu_items")}
