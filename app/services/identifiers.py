"""Cards and keys: issue, change status, re-issue a lost card, and look one up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain.audit import AuditAction
from app.domain.errors import ConflictError, NotFoundError, ValidationError
from app.domain.hlc import HybridClock
from app.domain.identifiers import Identifier, IdentifierKind, IdentifierStatus
from app.domain.staff import Actor, Permission
from app.domain.text import clean
from app.services.audit import require, write_audit
from app.services.cards import (
    SwipedCard,
    audit_issued,
    normalise_card,
    refuse_taken,
    shown_value,
)
from app.services.directory import Clock, VenueSettings, utc_clock
from app.services.dto import Changes, IdentifierHit
from app.services.ports import UnitOfWork, UnitOfWorkFactory
from app.services.records import IdentifierView
from app.services.sync_docs import default_hlc, identifier_fields, record_identifier

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
        self,
        uow_factory: UnitOfWorkFactory,
        venue: VenueSettings,
        clock: Clock = utc_clock,
        hlc: HybridClock | None = None,
    ) -> None:
        self._uow = uow_factory
        self._venue = venue
        self._clock = clock
        self._hlc = hlc or default_hlc(clock)

    def normalise(self, kind: IdentifierKind, raw: str) -> str:
        """The stored form of a value as typed or read; phones become E.164."""
        return normalise_card(kind, raw, self._venue.default_region)

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
            refuse_taken(uow, request.kind, value)
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
            record_identifier(uow, self._hlc, identifier, None, now)
            view = audit_issued(uow, actor, identifier, owner_uuid or identifier.uuid)
            uow.commit()
            return view

    def enrol(self, actor: Actor, customer_id: int, card: SwipedCard) -> IdentifierView:
        """Give an existing customer the card just swiped, tapped or scanned (managers)."""
        return self.issue(actor, CardRequest(card.kind, card.value, customer_id, label=card.label))

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
                        f"Card {shown_value(identifier)} was issued again since; it can't be "
                        f"{status.value} twice. Block the newer card first."
                    )
            fields = identifier_fields(uow, identifier)
            identifier.status = status
            write_audit(
                uow,
                actor,
                AuditAction.IDENTIFIER_STATUS_CHANGED,
                _entity(uow, identifier),
                f"Card {shown_value(identifier)}: {before.value} → {status.value}",
                {"identifier": identifier.uuid, "from": before, "to": status},
            )
            uow.flush()
            record_identifier(uow, self._hlc, identifier, fields, self._clock())
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
            refuse_taken(uow, old.kind, value)
            old_fields = identifier_fields(uow, old)
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
            record_identifier(uow, self._hlc, old, old_fields, now)
            record_identifier(uow, self._hlc, new, None, now)
            write_audit(
                uow,
                actor,
                AuditAction.IDENTIFIER_REISSUED,
                _entity(uow, new),
                f"Re-issued card {shown_value(old)} as {shown_value(new)}",
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


def _entity(uow: UnitOfWork, identifier: Identifier) -> str:
    if identifier.customer_id is not None:
        customer = uow.customers.get(identifier.customer_id)
        if customer is not None:
            return customer.uuid
    return identifier.uuid
