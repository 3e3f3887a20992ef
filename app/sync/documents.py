"""The documents head office and terminals exchange: each entity's fields and their
kinds, and one checker both sides use (docs/SYNC.md, "Documents").

A document refers to others by uuid, never by a store's integer key. The checker
returns every problem as a sentence naming the field, so a seed file, an import row or
a pushed operation can be refused with a reason a person can act on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

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
from app.domain.identifiers import IdentifierKind, IdentifierStatus
from app.domain.ledger import AccountKind, EntryKind
from app.domain.promotions import Composition, RuleKind

Kind = Literal[
    "text", "int", "bool", "uuid", "instant", "date", "decimal", "enum", "list", "object", "time"
]

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True, slots=True)
class Field:
    kind: Kind
    required: bool = False
    nullable: bool = True
    max_length: int = 0  # text: 0 = no limit
    values: frozenset[str] = frozenset()  # enum: the allowed values


def _text(max_length: int, *, required: bool = False) -> Field:
    return Field("text", required=required, nullable=False, max_length=max_length)


def _enum(values: type[Any], *, required: bool = False, nullable: bool = False) -> Field:
    return Field(
        "enum", required=required, nullable=nullable, values=frozenset(v.value for v in values)
    )


_NAME = _text(200, required=True)
_OPT_UUID = Field("uuid")
_OPT_INT = Field("int")

CUSTOMER_FIELDS: Mapping[str, Field] = {
    "kind": _enum(CustomerKind, required=True),
    "full_name": _NAME,
    "first_name": _text(100),
    "last_name": _text(100),
    "title": _text(40),
    "alias": Field("text", max_length=64),
    "company": _text(200),
    "business_domain": _text(100),
    "contact_person": _text(200),
    "gender": _enum(Gender),
    "date_of_birth": Field("date"),
    "status": _enum(CustomerStatus),
    "status_reason": _text(200),
    "promotion_category_uuid": _OPT_UUID,
    "credit_limit_minor": _OPT_INT,
    "tab_limit_minor": _OPT_INT,
    "signup_source": _enum(SignupSource),
    "created_at": Field("instant", nullable=False),
    "created_by": _text(80),
    "phones": Field("list", nullable=False),  # [{e164, kind, primary}]
    "emails": Field("list", nullable=False),  # [{address, primary}]
    "addresses": Field(
        "list", nullable=False
    ),  # [{kind, line1, line2, city, postcode, country, note}]
    "preferences": Field("list", nullable=False),  # [{text, favourite_item_uuid}]
    "restrictions": Field("list", nullable=False),  # [{kind, name, severity, note}]
    "consents": Field("list", nullable=False),  # [{channel, granted, recorded_at, source}]
    "attributes": Field("list", nullable=False),  # [{key, value}]
}
"""The fields a ``customer.upsert`` may carry, each merged on its own clock. Head
office adds ``notes``, ``merged_into_uuid``, ``stats`` and ``clocks`` to the document."""

LIST_ITEM_FIELDS: Mapping[str, Mapping[str, Field]] = {
    "phones": {
        "e164": Field("text", required=True, nullable=False, max_length=20),
        "kind": _enum(PhoneKind),
        "primary": Field("bool", nullable=False),
    },
    "emails": {"address": _text(254, required=True), "primary": Field("bool", nullable=False)},
    "addresses": {
        "kind": _enum(AddressKind, required=True),
        "line1": _text(200, required=True),
        "line2": _text(200),
        "city": _text(100),
        "postcode": _text(20),
        "country": _text(2),
        "note": _text(200),
    },
    "preferences": {"text": _text(500, required=True), "favourite_item_uuid": _OPT_UUID},
    "restrictions": {
        "kind": _enum(DietaryKind, required=True),
        "name": _text(100, required=True),
        "severity": _enum(Severity, nullable=True),
        "note": _text(500),
    },
    "consents": {
        "channel": _enum(ConsentChannel, required=True),
        "granted": Field("bool", required=True, nullable=False),
        "recorded_at": Field("instant", required=True, nullable=False),
        "source": _text(200),
    },
    "attributes": {"key": _text(64, required=True), "value": _text(500, required=True)},
}

NOTE_FIELDS: Mapping[str, Field] = {
    "uuid": Field("uuid", required=True, nullable=False),
    "text": Field("text", required=True, nullable=False, max_length=10_000),
    "author": _text(80, required=True),
    "created_at": Field("instant", required=True, nullable=False),
}

IDENTIFIER_FIELDS: Mapping[str, Field] = {
    "kind": _enum(IdentifierKind, required=True),
    "value": _text(128, required=True),
    "customer_uuid": _OPT_UUID,
    "promotion_category_uuid": _OPT_UUID,
    "status": _enum(IdentifierStatus, required=True),
    "label": _text(80),
    "issued_at": Field("instant", required=True, nullable=False),
    "expires_at": Field("instant"),
    "replaces_uuid": _OPT_UUID,
}

LEDGER_ENTRY_FIELDS: Mapping[str, Field] = {
    "uuid": Field("uuid", required=True, nullable=False),
    "customer_uuid": Field("uuid", required=True, nullable=False),
    "account": _enum(AccountKind, required=True),
    "kind": _enum(EntryKind, required=True),
    "amount": Field("int", required=True, nullable=False),
    "at": Field("instant", required=True, nullable=False),
    "tab_uuid": _OPT_UUID,
    "terminal": _text(80),
    "staff_uuid": Field("text", max_length=36),
    "reason": _text(500),
    "reverses_uuid": _OPT_UUID,
}

CATALOGUE_FIELDS: Mapping[str, Mapping[str, Field]] = {
    "promotion_category": {
        "name": _text(80, required=True),
        "priority": Field("int", nullable=False),
        "tab_limit_minor": _OPT_INT,
        "description": _text(2000),
        "active": Field("bool", nullable=False),
        "composition": _enum(Composition),
        "max_percent": Field("decimal"),
    },
    "sales_rule": {
        "category_uuid": Field("uuid", required=True, nullable=False),
        "position": Field("int", nullable=False),
        "name": _text(120, required=True),
        "kind": _enum(RuleKind, required=True),
        "group_uuids": Field("list", nullable=False),  # [uuid]
        "item_uuids": Field("list", nullable=False),  # [uuid]
        "weekdays": Field("list", nullable=False),  # [0..6], Monday = 0
        "starts": Field("time"),
        "ends": Field("time"),
        "first_day": Field("date"),
        "last_day": Field("date"),
        "percent": Field("decimal"),
        "fixed_price_minor": _OPT_INT,
        "points_per_unit": Field("decimal"),
        "every_n": _OPT_INT,
        "bonus_points": _OPT_INT,
        "birthday_days": Field("int", nullable=False),
        "repeats": Field("bool", nullable=False),
        "active": Field("bool", nullable=False),
    },
    "menu_group": {"name": _text(80, required=True), "sort_order": Field("int", nullable=False)},
    "menu_item": {
        "name": _text(120, required=True),
        "group_uuid": Field("uuid", required=True, nullable=False),
        "price_minor": Field("int", required=True, nullable=False),
        "tax_rate": Field("decimal", required=True, nullable=False),
        "discountable": Field("bool", nullable=False),
        "earns_points": Field("bool", nullable=False),
        "active": Field("bool", nullable=False),
    },
    "division": {
        "name": _text(80, required=True),
        "sort_order": Field("int", nullable=False),
        "promotion_category_uuid": _OPT_UUID,
    },
    "dining_table": {
        "division_uuid": Field("uuid", required=True, nullable=False),
        "number": _text(16, required=True),
        "seats": Field("int", nullable=False),
        "promotion_category_uuid": _OPT_UUID,
    },
}

DOCUMENT_FIELDS: Mapping[str, Mapping[str, Field]] = {
    **CATALOGUE_FIELDS,
    "customer": CUSTOMER_FIELDS,
    "identifier": IDENTIFIER_FIELDS,
    "ledger_entry": LEDGER_ENTRY_FIELDS,
}

# Keys a document may carry beyond its fields: head office's own, not edited by terminals.
_HEAD_OFFICE_KEYS: Mapping[str, frozenset[str]] = {
    "customer": frozenset({"notes", "merged_into_uuid", "stats", "clocks"}),
    "identifier": frozenset({"clocks"}),
}


def is_uuid(value: object) -> bool:
    return isinstance(value, str) and _UUID.match(value) is not None


def check_value(name: str, spec: Field, value: object) -> str | None:
    """A sentence saying why ``value`` does not fit ``spec``; None when it does."""
    if value is None:
        return None if spec.nullable else f"{name} may not be empty"
    problem: str | None = None
    match spec.kind:
        case "text":
            if not isinstance(value, str):
                problem = "must be text"
            elif spec.max_length and len(value) > spec.max_length:
                problem = f"is longer than {spec.max_length} characters"
            elif "\x00" in value:  # PostgreSQL's text cannot hold it; no name or note needs it
                problem = "contains a NUL character"
        case "int":
            if isinstance(value, bool) or not isinstance(value, int):
                problem = "must be a whole number"
            elif abs(value) >= 2**53:
                problem = "is out of range"
        case "bool":
            problem = None if isinstance(value, bool) else "must be true or false"
        case "uuid":
            problem = None if is_uuid(value) else "must be a lower-case uuid"
        case "instant":
            problem = _instant_problem(value)
        case "date":
            problem = _date_problem(value)
        case "time":
            ok = isinstance(value, str) and _TIME.match(value)
            problem = None if ok else "must be a time as HH:MM"
        case "decimal":
            problem = _decimal_problem(value)
        case "enum":
            if not isinstance(value, str) or value not in spec.values:
                problem = "must be one of " + ", ".join(sorted(spec.values))
        case "list":
            problem = None if isinstance(value, list) else "must be a list"
        case "object":
            problem = None if isinstance(value, dict) else "must be an object"
    return None if problem is None else f"{name} {problem}"


def check_fields(entity: str, fields: Mapping[str, object], *, whole: bool) -> list[str]:
    """Every problem with ``fields`` of an ``entity`` document. ``whole``: a complete
    document (required fields must be there); otherwise a partial edit."""
    specs = DOCUMENT_FIELDS.get(entity)
    if specs is None:
        return [f"unknown document kind {entity!r}"]
    extra = _HEAD_OFFICE_KEYS.get(entity, frozenset())
    problems = [
        f"{entity} has no field {name!r}"
        for name in fields
        if name not in specs and name not in extra
    ]
    if whole:
        problems += [
            f"{entity} needs {name}"
            for name, spec in specs.items()
            if spec.required and name not in fields
        ]
    for name, value in fields.items():
        spec = specs.get(name)
        if spec is not None:
            problem = check_value(name, spec, value)
            if problem is None and name in LIST_ITEM_FIELDS and isinstance(value, list):
                problem = _list_problem(name, value)
            if problem is not None:
                problems.append(problem)
    return problems


def _list_problem(name: str, items: list[object]) -> str | None:
    specs = LIST_ITEM_FIELDS[name]
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            return f"{name} item {index} must be an object"
        for key in item:
            if key not in specs:
                return f"{name} item {index} has no field {key!r}"
        for key, spec in specs.items():
            if key not in item:
                if spec.required:
                    return f"{name} item {index} needs {key}"
                continue
            problem = check_value(f"{name} item {index} {key}", spec, item[key])
            if problem is not None:
                return problem
    return None


def _instant_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return "must be a time as ISO 8601 text"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return "is not an ISO 8601 time"
    return "needs a UTC offset" if parsed.tzinfo is None else None


def _date_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return "must be a date as YYYY-MM-DD"
    try:
        date.fromisoformat(value)
    except ValueError:
        return "is not a date as YYYY-MM-DD"
    return None


def _decimal_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return 'must be a decimal number written as text, like "0.20"'
    try:
        number = Decimal(value)
    except InvalidOperation:
        return "is not a decimal number"
    return None if number.is_finite() else "must be a finite number"
