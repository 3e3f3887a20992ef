"""A customer's full record as the services hand it out: frozen, detached from the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain.customers import ConsentChannel, Customer, CustomerStatus, MarketingConsent
from app.domain.identifiers import Identifier, IdentifierKind, IdentifierStatus
from app.services.contacts import display_phone
from app.services.customer_form import (
    AddressEntry,
    AttributeEntry,
    ConsentEntry,
    CustomerForm,
    EmailEntry,
    PhoneEntry,
    RestrictionEntry,
)


@dataclass(frozen=True, slots=True)
class NoteView:
    text: str
    author: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ConsentView:
    channel: str
    granted: bool
    recorded_at: datetime
    source: str


@dataclass(frozen=True, slots=True)
class IdentifierView:
    id: int
    uuid: str
    kind: IdentifierKind
    value: str
    status: IdentifierStatus
    label: str
    issued_at: datetime
    expires_at: datetime | None
    promotion_category_id: int | None

    @classmethod
    def of(cls, identifier: Identifier) -> IdentifierView:
        assert identifier.id is not None
        return cls(
            id=identifier.id,
            uuid=identifier.uuid,
            kind=identifier.kind,
            value=identifier.value,
            status=identifier.status,
            label=identifier.label,
            issued_at=identifier.issued_at,
            expires_at=identifier.expires_at,
            promotion_category_id=identifier.promotion_category_id,
        )


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    id: int
    uuid: str
    form: CustomerForm  # the editable part, ready to edit and send back
    full_name: str
    status: CustomerStatus
    status_reason: str
    merged_into_id: int | None
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
    last_visit_at: datetime | None
    total_spent_minor: int
    order_count: int
    notes: tuple[NoteView, ...]
    consents: tuple[ConsentView, ...]
    identifiers: tuple[IdentifierView, ...]

    def describe(self) -> str:
        return f"{self.full_name} ({self.status.value})"


def _latest_consents(customer: Customer) -> list[MarketingConsent]:
    latest: dict[ConsentChannel, MarketingConsent] = {}
    for consent in sorted(customer.consents, key=lambda c: c.recorded_at):
        latest[consent.channel] = consent
    return list(latest.values())


def record_of(customer: Customer) -> CustomerRecord:
    """Snapshot a loaded customer; call inside the unit of work that loaded it."""
    assert customer.id is not None
    form = CustomerForm(
        kind=customer.kind,
        first_name=customer.first_name,
        last_name=customer.last_name,
        title=customer.title,
        full_name=customer.full_name,
        alias=customer.alias or "",
        company=customer.company,
        business_domain=customer.business_domain,
        contact_person=customer.contact_person,
        gender=customer.gender,
        date_of_birth=customer.date_of_birth,
        promotion_category_id=customer.promotion_category_id,
        signup_source=customer.signup_source,
        phones=tuple(PhoneEntry(display_phone(p.e164), p.kind, p.primary) for p in customer.phones),
        emails=tuple(EmailEntry(e.address, e.primary) for e in customer.emails),
        addresses=tuple(
            AddressEntry(a.kind, a.line1, a.line2, a.city, a.postcode, a.country, a.note)
            for a in customer.addresses
        ),
        preferences=tuple(p.text for p in customer.preferences),
        restrictions=tuple(
            RestrictionEntry(r.kind, r.name, r.severity, r.note) for r in customer.restrictions
        ),
        consents=tuple(
            ConsentEntry(c.channel, c.granted, c.source) for c in _latest_consents(customer)
        ),
        attributes=tuple(AttributeEntry(a.key, a.value) for a in customer.attributes),
    )
    return CustomerRecord(
        id=customer.id,
        uuid=customer.uuid,
        form=form,
        full_name=customer.full_name,
        status=customer.status,
        status_reason=customer.status_reason,
        merged_into_id=customer.merged_into_id,
        created_at=customer.created_at,
        updated_at=customer.updated_at,
        created_by=customer.created_by,
        updated_by=customer.updated_by,
        last_visit_at=customer.last_visit_at,
        total_spent_minor=customer.total_spent_minor,
        order_count=customer.order_count,
        notes=tuple(NoteView(n.text, n.author, n.created_at) for n in customer.notes),
        consents=tuple(
            ConsentView(c.channel.value, c.granted, c.recorded_at, c.source)
            for c in customer.consents
        ),
        identifiers=tuple(IdentifierView.of(i) for i in customer.identifiers),
    )
