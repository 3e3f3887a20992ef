"""The regular-customers directory: search, open, create, edit, status and delete."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from app.domain.audit import AuditAction
from app.domain.customers import Customer, CustomerStatus, InternalNote, PhoneKind
from app.domain.errors import ConflictError, NotFoundError, ValidationError
from app.domain.hlc import HybridClock
from app.domain.staff import Actor, Permission
from app.domain.text import clean
from app.services.audit import require, write_audit
from app.services.cards import SwipedCard, attach_swiped_card, normalise_card
from app.services.customer_apply import apply_form, check_unique, working_phone_holder
from app.services.customer_form import CustomerForm, check_form
from app.services.dto import Changes, DirectoryPage, DirectoryQuery
from app.services.ports import UnitOfWork, UnitOfWorkFactory
from app.services.records import CustomerRecord, record_of
from app.services.sync_docs import (
    customer_fields,
    default_hlc,
    record_customer,
    record_deleted,
    record_note,
)

Clock = Callable[[], datetime]

MAX_NOTE = 4000
MAX_REASON = 200
_CUSTOMERS = Changes(customers=True, audit=True)


def utc_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class VenueSettings:
    default_region: str = "GB"  # ISO 3166 region for numbers typed without +


@dataclass(frozen=True, slots=True)
class AuditView:
    at: datetime
    actor_name: str
    action: str
    summary: str


@dataclass(frozen=True, slots=True)
class Saved:
    record: CustomerRecord
    changes: Changes


class DirectoryService:
    """Use cases of the directory. Every method runs in its own short unit of work."""

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

    def search(self, actor: Actor, query: DirectoryQuery) -> DirectoryPage:
        """Search as you type. Summaries only, so not audited record by record."""
        require(actor, Permission.VIEW_DIRECTORY)
        with self._uow() as uow:
            return uow.directory.search(query)

    def open_record(self, actor: Actor, customer_id: int) -> CustomerRecord:
        """The full record; each opening is written to the audit log."""
        require(actor, Permission.VIEW_CUSTOMER_RECORD)
        with self._uow() as uow:
            customer = _get(uow, customer_id)
            write_audit(
                uow,
                actor,
                AuditAction.CUSTOMER_VIEWED,
                customer.uuid,
                f"Opened {customer.full_name}",
            )
            record = record_of(customer)
            uow.commit()
            return record

    def audit_trail(
        self, actor: Actor, customer_id: int, limit: int = 200
    ) -> tuple[AuditView, ...]:
        """Who did what to this customer's record, newest first."""
        require(actor, Permission.VIEW_AUDIT_LOG)
        with self._uow() as uow:
            customer = _get(uow, customer_id)
            return tuple(
                AuditView(e.at, e.actor_name, e.action.value, e.summary)
                for e in uow.audit.for_entity(customer.uuid, limit)
            )

    def create(self, actor: Actor, form: CustomerForm, card: SwipedCard | None = None) -> Saved:
        """Sign a customer up; with ``card``, the card just read at the till is theirs.

        Handing the new customer the card they just swiped is part of signing them up, so
        creating customers is permission enough; enrolling a card on an existing customer
        (``IdentifierService.enrol``) needs a manager.
        """
        require(actor, Permission.CREATE_CUSTOMER)
        now = self._clock()
        region = self._venue.default_region
        checked = check_form(form, default_region=region, today=now.date())
        card_value = None if card is None else normalise_card(card.kind, card.value, region)
        with self._uow() as uow:
            check_unique(uow, checked, None, will_be_active=True)
            customer = Customer(
                kind=form.kind,
                full_name=checked.full_name,
                created_at=now,
                updated_at=now,
                created_by=actor.name,
                updated_by=actor.name,
            )
            changed = apply_form(customer, checked, now)
            uow.customers.add(customer)
            uow.flush()
            record_customer(uow, self._hlc, customer, None, now)
            write_audit(
                uow,
                actor,
                AuditAction.CUSTOMER_CREATED,
                customer.uuid,
                f"Added {customer.full_name}",
                changed,
            )
            if card is not None and card_value is not None:
                attach_swiped_card(uow, actor, customer, card, card_value, now, self._hlc)
            record = record_of(customer)
            uow.commit()
            return Saved(record, _CUSTOMERS)

    def edit(self, actor: Actor, customer_id: int, form: CustomerForm) -> Saved:
        require(actor, Permission.EDIT_CUSTOMER)
        now = self._clock()
        checked = check_form(form, default_region=self._venue.default_region, today=now.date())
        with self._uow() as uow:
            customer = _get(uow, customer_id)
            check_unique(
                uow,
                checked,
                customer_id,
                will_be_active=customer.status is CustomerStatus.ACTIVE,
            )
            before = customer_fields(uow, customer)
            changed = apply_form(customer, checked, now)
            if not changed:
                return Saved(record_of(customer), Changes())
            customer.updated_at, customer.updated_by = now, actor.name
            write_audit(
                uow,
                actor,
                AuditAction.CUSTOMER_EDITED,
                customer.uuid,
                f"Edited {customer.full_name}: {', '.join(sorted(changed))}",
                changed,
            )
            uow.flush()
            record_customer(uow, self._hlc, customer, before, now)
            record = record_of(customer)
            uow.commit()
            return Saved(record, _CUSTOMERS)

    def add_note(self, actor: Actor, customer_id: int, text: str) -> Saved:
        """A team-only note, stamped with its author and time."""
        require(actor, Permission.VIEW_CUSTOMER_RECORD)
        body = text.strip()
        if not body:
            raise ValidationError.single("note", "The note is empty.")
        if len(body) > MAX_NOTE:
            raise ValidationError.single(
                "note", f"The note is {len(body)} characters; at most {MAX_NOTE}."
            )
        with self._uow() as uow:
            customer = _get(uow, customer_id)
            now = self._clock()
            note = InternalNote(text=body, author=actor.name, created_at=now)
            customer.notes.append(note)
            customer.updated_at, customer.updated_by = now, actor.name
            write_audit(
                uow, actor, AuditAction.CUSTOMER_EDITED, customer.uuid, "Added an internal note"
            )
            uow.flush()
            record_note(uow, self._hlc, customer.uuid, note, now)
            record = record_of(customer)
            uow.commit()
            return Saved(record, _CUSTOMERS)

    def set_status(
        self, actor: Actor, customer_id: int, status: CustomerStatus, reason: str = ""
    ) -> Saved:
        """Deactivate, reactivate or block. Blocking and deactivating need a reason."""
        require(actor, Permission.MANAGE_STATUS)
        why = clean(reason)
        if status is not CustomerStatus.ACTIVE and not why:
            raise ValidationError.single(
                "status_reason", f"Say why the customer is {status.value}; the team will see it."
            )
        if len(why) > MAX_REASON:
            raise ValidationError.single(
                "status_reason", f"The reason is {len(why)} characters; at most {MAX_REASON}."
            )
        with self._uow() as uow:
            customer = _get(uow, customer_id)
            if customer.merged_into_id is not None:
                raise ConflictError(
                    f"{customer.full_name} was merged into another record; undo the merge first."
                )
            before = customer.status
            if status is CustomerStatus.ACTIVE and before is not CustomerStatus.ACTIVE:
                _refuse_clashing_working_phones(uow, customer)
            fields = customer_fields(uow, customer)
            now = self._clock()
            customer.status, customer.status_reason = status, why
            customer.updated_at, customer.updated_by = now, actor.name
            write_audit(
                uow,
                actor,
                AuditAction.CUSTOMER_STATUS_CHANGED,
                customer.uuid,
                f"{customer.full_name}: {before.value} → {status.value}"
                + (f" ({why})" if why else ""),
                {"from": before, "to": status, "reason": why},
            )
            uow.flush()
            record_customer(uow, self._hlc, customer, fields, now)
            record = record_of(customer)
            uow.commit()
            return Saved(record, _CUSTOMERS)

    def delete(self, actor: Actor, customer_id: int) -> Changes:
        """Delete a customer who never did business with us; refuse, with counts, otherwise."""
        require(actor, Permission.DELETE_CUSTOMER)
        with self._uow() as uow:
            customer = _get(uow, customer_id)
            activity = uow.customers.activity(customer_id)
            if activity.any:
                message = (
                    f"{customer.full_name} cannot be deleted: they have "
                    f"{_count(activity.tabs, 'tab')}, {_count(activity.visits, 'visit')} and "
                    f"{_count(activity.ledger_entries, 'ledger entry', 'ledger entries')}. "
                    "Deactivate them instead."
                )
                write_audit(uow, actor, AuditAction.CUSTOMER_DELETE_REFUSED, customer.uuid, message)
                uow.commit()
                raise ConflictError(message)
            cards = len(customer.identifiers)
            write_audit(
                uow,
                actor,
                AuditAction.CUSTOMER_DELETED,
                customer.uuid,
                f"Deleted {customer.full_name} and their {cards} cards",
            )
            record_deleted(uow, self._hlc, customer.uuid, self._clock())
            uow.customers.delete(customer)  # their cards go with them and may be issued again
            uow.commit()
            return Changes(customers=True, identifiers=True, audit=True)


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _get(uow: UnitOfWork, customer_id: int) -> Customer:
    customer = uow.customers.get(customer_id)
    if customer is None:
        raise NotFoundError("That customer no longer exists; refresh the list.")
    return customer


def _refuse_clashing_working_phones(uow: UnitOfWork, customer: Customer) -> None:
    for phone in customer.phones:
        if phone.kind is not PhoneKind.WORKING:
            continue
        holder = working_phone_holder(uow, phone.e164, customer.id)
        if holder is not None:
            raise ConflictError(
                f"{customer.full_name} cannot be reactivated: working phone {phone.e164} "
                f"now belongs to {holder.describe()}."
            )
