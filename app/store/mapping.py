"""Maps the domain's plain dataclasses onto the tables (SQLAlchemy imperative mapping).

The domain stays free of SQLAlchemy; this module teaches the ORM how to persist it.
Call :func:`map_domain` once per process; it is idempotent.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import ColumnElement, event
from sqlalchemy.orm import Mapper, registry, relationship

from app.domain.audit import AuditEntry
from app.domain.catalogue import DiningTable, Division, MenuGroup, MenuItem, PromotionCategory
from app.domain.customers import (
    Address,
    CustomAttribute,
    Customer,
    DietaryRestriction,
    Email,
    InternalNote,
    MarketingConsent,
    Phone,
    Preference,
)
from app.domain.history import Visit
from app.domain.identifiers import Identifier
from app.domain.staff import StaffMember
from app.domain.text import fold
from app.store import schema

mapper_registry = registry(metadata=schema.metadata)
_lock = threading.Lock()
_mapped = False


def _children(cls: type, order_by: ColumnElement[Any]) -> Any:
    return relationship(cls, cascade="all, delete-orphan", order_by=order_by, lazy="selectin")


def map_domain() -> None:
    """Register the imperative mappings (safe to call more than once)."""
    global _mapped
    with _lock:
        if _mapped:
            return
        m = mapper_registry.map_imperatively
        m(PromotionCategory, schema.promotion_categories)
        m(StaffMember, schema.staff)
        m(Phone, schema.customer_phones)
        m(Email, schema.customer_emails)
        m(Address, schema.customer_addresses)
        m(Preference, schema.customer_preferences)
        m(DietaryRestriction, schema.customer_restrictions)
        m(InternalNote, schema.customer_notes)
        m(MarketingConsent, schema.customer_consents)
        m(CustomAttribute, schema.customer_attributes)
        m(Identifier, schema.identifiers)
        m(
            Customer,
            schema.customers,
            properties={
                "phones": _children(Phone, schema.customer_phones.c.id),
                "emails": _children(Email, schema.customer_emails.c.id),
                "addresses": _children(Address, schema.customer_addresses.c.id),
                "preferences": _children(Preference, schema.customer_preferences.c.id),
                "restrictions": _children(DietaryRestriction, schema.customer_restrictions.c.id),
                "notes": _children(InternalNote, schema.customer_notes.c.created_at),
                "consents": _children(MarketingConsent, schema.customer_consents.c.recorded_at),
                "attributes": _children(CustomAttribute, schema.customer_attributes.c.id),
                # Cards go with a deleted customer, but are never orphan-deleted: a card
                # changes hands on a merge and leaves a customer by its status.
                "identifiers": relationship(
                    Identifier,
                    order_by=schema.identifiers.c.id,
                    lazy="selectin",
                    cascade="save-update, merge, delete",
                ),
            },
        )
        m(Visit, schema.visits)
        m(AuditEntry, schema.audit_log)
        m(MenuGroup, schema.menu_groups)
        m(MenuItem, schema.menu_items)
        m(Division, schema.divisions)
        m(DiningTable, schema.dining_tables)
        event.listen(Customer, "before_insert", _fold_names)
        event.listen(Customer, "before_update", _fold_names)
        _mapped = True


def _fold_names(_mapper: Mapper[Any], _connection: Any, target: Customer) -> None:
    # Search and sorting columns that are derived, never edited: kept here in one place.
    target.name_folded = fold(target.full_name)  # type: ignore[attr-defined]
    target.alias_folded = fold(target.alias) if target.alias else None  # type: ignore[attr-defined]
