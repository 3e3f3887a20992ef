"""Cards and keys: issue, change status, re-issue a lost card, and look one up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain.audit import AuditAction
from app.domain.errors import ConflictError, NotFoundError, ValidationError
from app.domain.identifiers import (
    Identifier,
    IdentifierKind,
    IdentifierStatus,
    normalise_identifier_value,
)
from app.domain.staff import Actor, Permission
from app.domain.text import clean
from app.services.audit import require, write_audit
from app.services.contacts import normalise_phone
from app.services.directory import Clock, VenueSettings, utc_clock
from app.services.dto import Changes, IdentifierHit
from app.services.ports import UnitOfWork, UnitOfWorkFactory
from app.services.records import IdentifierView

_CHANGED = Changes(customers=True, identifiers=True, audit=True)


@dataclass(frozen=True, slots=True)
class CardRequest:
    """A card to issue. With no customer it is impersonal and needs a promotion category."""

    kind: IdentifierKind
    value: str
    customer_id: int | None = None
    promotion_category_id: int | None = None
    label: str = ""
    expires_at: datetime | None = None


class IdentifierService:
    def __init__(
        self, uow_factory: UnitOfWorkFactory, venue: VenueSettings, clock: Clock = utc_clock
    ) -> None:
        self._uow = uow_factory
        self._venue = venue
        self._clock = clock

    def normalise(self, kind: IdentifierKind, raw: str) -> str:
        """The stored form of a value as typed or read; phones become E.164."""
        if kind is IdentifierKind.PHONE:
            return normalise_phone(raw, self._venue.default_region, "value").e164
        return normalise_identifier_value(kind, raw)

    def lookup(self, kind: IdentifierKind, raw: str) -> IdentifierHit | None:
        """What a swipe, tap or scan resolves to: one indexed read."""
        value = self.normalise(kind, raw)
        with self._uow() as uow:
            return uow.identifiers.lookup(kind, value)

    def issue(self, actor: Actor, request: CardRequest) -> IdentifierView:
        require(actor, Permission.MANAGE_IDENTIFIERS)
        now = self._clock()
        value = self.normalise(request.kind, request.value)
        label = clean(request.label)[:80]
        if request.expires_at is not None and request.expires_at <= now:
            raise ValidationError.single("expires_at", "The expiry date is already past.")
        with self._uow() as uow:
            owner_uuid = self._check_owner(uow, request)
            _refuse_taken(uow, request.kind, value)
            identifier = Identifier(
                kind=request.kind,
                value=value,
                customer_id=request.customer_id,
                promotion_category_id=request.promotion_category_id,
                label=label,
                issued_at=now,
                expires_at=request.expires_at,
            )
            uow.identifiers.add(identifier)
            uow.flush()
            write_audit(
                uow,
                actor,
                AuditAction.IDENTIFIER_ADDED,
                owner_uuid or identifier.uuid,
                f"Issued {request.kind.label.lower()} {_shown(identifier)}",
                {"identifier": identifier.uuid, "kind": request.kind},
            )
            view = IdentifierView.of(identifier)
            uow.commit()
            return view

    def set_status(
        self, actor: Actor, identifier_id: int, status: IdentifierStatus
    ) -> IdentifierView:
        """Mark a card lost, blocked, expired, or active again."""
        require(actor, Permission.MANAGE_IDENTIFIERS)
        with self._uow() as uow:
            identifier = _get(uow, identifier_id)
            before = identifier.status
            if before is status:
                return IdentifierView.of(identifier)
            if status in (IdentifierStatus.ACTIVE, IdentifierStatus.LOST, IdentifierStatus.BLOCKED):
                holder = uow.identifiers.in_use(identifier.kind, identifier.value)
                if holder is not None and holder.id != identifier.id:
                    raise ConflictError(
                        f"Card {_shown(identifier)} was issued again since; it can't be "
                        f"{status.value} twice. Block the newer card first."
                    )
            identifier.status = status
            write_audit(
                uow,
                actor,
                AuditAction.IDENTIFIER_STATUS_CHANGED,
                _entity(uow, identifier),
                f"Card {_shown(identifier)}: {before.value} → {status.value}",
                {"identifier": identifier.uuid, "from": before, "to": status},
            )
            uow.flush()
            view = IdentifierView.of(identifier)
            uow.commit()
            return view

    def reissue(
        self, actor: Actor, lost_id: int, new_value: str, label: str = ""
    ) -> IdentifierView:
        """Give a customer a new card for a lost one; their accounts stay with them."""
        require(actor, Permission.MANAGE_IDENTIFIERS)
        now = self._clock()
        with self._uow() as uow:
            old = _get(uow, lost_id)
            value = self.normalise(old.kind, new_value)
            _refuse_taken(uow, old.kind, value)
            if old.status is IdentifierStatus.ACTIVE:
                old.status = IdentifierStatus.LOST
            new = Identifier(
                kind=old.kind,
                value=value,
                customer_id=old.customer_id,
                promotion_category_id=old.promotion_category_id,
                label=clean(label)[:80] or old.label,
                issued_at=now,
                expires_at=old.expires_at,
                replaces_id=old.id,
            )
            uow.identifiers.add(new)
            uow.flush()
            write_audit(
                uow,
                actor,
                AuditAction.IDENTIFIER_REISSUED,
                _entity(uow, new),
                f"Re-issued card {_shown(old)} as {_shown(new)}",
                {"old": old.uuid, "new": new.uuid},
            )
            view = IdentifierView.of(new)
            uow.commit()
            return view

    @staticmethod
    def _check_owner(uow: UnitOfWork, request: CardRequest) -> str | None:
        """The owner's uuid (None for an impersonal card), after checking they exist."""
        owner: str | None = None
        if request.customer_id is None:
            if request.promotion_category_id is None:
                raise ValidationError.single(
                    "promotion_category_id",
                    "An impersonal card needs a promotion category; otherwise it does nothing.",
                )
        else:
            customer = uow.customers.get(request.customer_id)
            if customer is None:
                raise NotFoundError("That customer no longer exists; refresh the list.")
            owner = customer.uuid
        category = request.promotion_category_id
        if category is not None and uow.catalogue.promotion_category(category) is None:
            raise ValidationError.single(
                "promotion_category_id", "That promotion category no longer exists."
            )
        return owner


def _get(uow: UnitOfWork, identifier_id: int) -> Identifier:
    identifier = uow.identifiers.get(identifier_id)
    if identifier is None:
        raise NotFoundError("That card no longer exists; refresh the list.")
    return identifier


def _refuse_taken(uow: UnitOfWork, kind: IdentifierKind, value: str) -> None:
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
        f"{kind.label} {_shown(taken)} already belongs to {holder}; "
        f"that card is {taken.status.value}.",
    )


def _entity(uow: UnitOfWork, identifier: Identifier) -> str:
    if identifier.customer_id is not None:
        customer = uow.customers.get(identifier.customer_id)
        if customer is not None:
            return customer.uuid
    return identifier.uuid


def _shown(identifier: Identifier) -> str:
    """The value as shown in messages and the audit log: long numbers are masked."""
    value = identifier.value
    return value if len(value) <= 8 else f"…{value[-6:]}"
