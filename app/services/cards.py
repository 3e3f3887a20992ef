"""What every way of handing out a card shares: the stored form of its value, refusing a
value someone holds, the audit entry, and giving a new customer the card just swiped.

Apart from ``identifiers`` so that signing a customer up (``directory``) can attach a
card in its own unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain.audit import AuditAction
from app.domain.customers import Customer
from app.domain.errors import ValidationError
from app.domain.hlc import HybridClock
from app.domain.identifiers import Identifier, IdentifierKind, normalise_identifier_value
from app.domain.staff import Actor
from app.domain.text import clean
from app.services.audit import write_audit
from app.services.contacts import normalise_phone
from app.services.ports import UnitOfWork
from app.services.records import IdentifierView
from app.services.sync_docs import record_identifier


@dataclass(frozen=True, slots=True)
class SwipedCard:
    """A card the till has just read and nobody holds: to enrol, or to sign a customer up with.

    ``value`` is as the device delivered it (for a bank card, only its keyed hash).
    """

    kind: IdentifierKind
    value: str
    label: str = ""


def normalise_card(kind: IdentifierKind, raw: str, region: str) -> str:
    """The stored form of a value as typed or read; phones become E.164 in ``region``."""
    if kind is IdentifierKind.PHONE:
        return normalise_phone(raw, region, "value").e164
    return normalise_identifier_value(kind, raw)


def attach_swiped_card(
    uow: UnitOfWork,
    actor: Actor,
    customer: Customer,
    card: SwipedCard,
    value: str,
    now: datetime,
    hlc: HybridClock,
) -> None:
    """Give a customer being signed up the card just read, in the caller's unit of work.

    Part of the signup, so the caller's permission to create customers covers it; the
    card must still be free. ``value`` is ``card.value`` normalised.
    """
    refuse_taken(uow, card.kind, value)
    identifier = Identifier(
        kind=card.kind, value=value, label=clean(card.label)[:80], issued_at=now
    )
    customer.identifiers.append(identifier)
    uow.flush()
    record_identifier(uow, hlc, identifier, None, now)
    audit_issued(uow, actor, identifier, customer.uuid)


def audit_issued(
    uow: UnitOfWork, actor: Actor, identifier: Identifier, entity: str
) -> IdentifierView:
    """Write the "issued" audit entry for a flushed card; return its view."""
    write_audit(
        uow,
        actor,
        AuditAction.IDENTIFIER_ADDED,
        entity,
        f"Issued {identifier.kind.label.lower()} {shown_value(identifier)}",
        {"identifier": identifier.uuid, "kind": identifier.kind},
    )
    return IdentifierView.of(identifier)


def refuse_taken(uow: UnitOfWork, kind: IdentifierKind, value: str) -> None:
    """Refuse a value held by an active, lost or blocked card, naming who holds it."""
    taken = uow.identifiers.in_use(kind, value)
    if taken is None:
        return
    if taken.customer_id is None:
        holder = "an impersonal card"
    else:
        customer = uow.customers.get(taken.customer_id)
        holder = customer.describe() if customer else "another customer"
    raise ValidationError.single(
        "value",
        f"{kind.label} {shown_value(taken)} already belongs to {holder}; "
        f"that card is {taken.status.value}.",
    )


def shown_value(identifier: Identifier) -> str:
    """The value as shown in messages and the audit log: long numbers are masked."""
    value = identifier.value
    return value if len(value) <= 8 else f"…{value[-6:]}"
