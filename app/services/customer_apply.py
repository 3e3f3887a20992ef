"""Turning a checked form into a customer: uniqueness rules and field-by-field changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from app.domain.customers import (
    Address,
    CustomAttribute,
    Customer,
    CustomerStatus,
    DietaryRestriction,
    Email,
    MarketingConsent,
    Phone,
    PhoneKind,
    Preference,
)
from app.domain.errors import FieldProblem, ValidationError
from app.domain.text import clean
from app.services.customer_form import CheckedForm, CustomerForm
from app.services.ports import UnitOfWork

_SCALARS = (
    "kind",
    "first_name",
    "last_name",
    "title",
    "full_name",
    "alias",
    "company",
    "business_domain",
    "contact_person",
    "gender",
    "date_of_birth",
    "promotion_category_id",
    "signup_source",
)


def check_unique(
    uow: UnitOfWork,
    checked: CheckedForm,
    customer_id: int | None,
    *,
    will_be_active: bool,
) -> None:
    """Refuse an alias or working phone that another customer already holds."""
    problems: list[FieldProblem] = []
    if checked.alias:
        holder = uow.customers.by_alias(checked.alias)
        if holder is not None and holder.id != customer_id:
            problems.append(
                FieldProblem(
                    "alias", f"Alias @{checked.alias} is already used by {holder.describe()}."
                )
            )
    if will_be_active:
        for index, entry in enumerate(checked.phones):
            if entry.kind is not PhoneKind.WORKING:
                continue
            holder = working_phone_holder(uow, entry.phone.e164, customer_id)
            if holder is not None:
                problems.append(
                    FieldProblem(
                        f"phones[{index}]",
                        f"Phone {entry.phone.display} already belongs to {holder.describe()}.",
                    )
                )
    category = checked.form.promotion_category_id
    if category is not None and uow.catalogue.promotion_category(category) is None:
        problems.append(
            FieldProblem("promotion_category_id", "That promotion category no longer exists.")
        )
    if problems:
        raise ValidationError(problems)


def working_phone_holder(uow: UnitOfWork, e164: str, customer_id: int | None) -> Customer | None:
    """The other active customer with ``e164`` as their working phone, if any."""
    for holder in uow.customers.by_phone(e164):
        if holder.id == customer_id or holder.status is not CustomerStatus.ACTIVE:
            continue
        if any(p.e164 == e164 and p.kind is PhoneKind.WORKING for p in holder.phones):
            return holder
    return None


def apply_form(customer: Customer, checked: CheckedForm, now: datetime) -> dict[str, object]:
    """Write the form onto ``customer``; return what changed, for the audit log."""
    form = checked.form
    incoming: dict[str, object] = {
        "kind": form.kind,
        "first_name": clean(form.first_name),
        "last_name": clean(form.last_name),
        "title": clean(form.title),
        "full_name": checked.full_name,
        "alias": checked.alias,
        "company": clean(form.company),
        "business_domain": clean(form.business_domain),
        "contact_person": clean(form.contact_person),
        "gender": form.gender,
        "date_of_birth": form.date_of_birth,
        "promotion_category_id": form.promotion_category_id,
        "signup_source": form.signup_source,
    }
    changed: dict[str, object] = {}
    for name in _SCALARS:
        before, after = getattr(customer, name), incoming[name]
        if before != after:
            changed[name] = {"from": before, "to": after}
            setattr(customer, name, after)

    phones = [
        Phone(e164=p.phone.e164, kind=p.kind, primary=p.primary, digits=p.phone.digits)
        for p in checked.phones
    ]
    if _keys(customer.phones, "e164", "kind", "primary") != _keys(
        phones, "e164", "kind", "primary"
    ):
        changed["phones"] = [p.e164 for p in phones]
        customer.phones = phones
    emails = [
        Email(address=e.email.address, normalised=e.email.normalised, primary=e.primary)
        for e in checked.emails
    ]
    if _keys(customer.emails, "address", "primary") != _keys(emails, "address", "primary"):
        changed["emails"] = [e.address for e in emails]
        customer.emails = emails
    _replace_children(customer, form, changed)
    _record_consents(customer, checked, now, changed)
    return changed


def _keys(items: Sequence[object], *names: str) -> list[tuple[object, ...]]:
    return [tuple(getattr(item, name) for name in names) for item in items]


def _replace_children(customer: Customer, form: CustomerForm, changed: dict[str, object]) -> None:
    addresses = [
        Address(
            kind=a.kind,
            line1=clean(a.line1),
            line2=clean(a.line2),
            city=clean(a.city),
            postcode=clean(a.postcode).upper(),
            country=clean(a.country),
            note=clean(a.note),
        )
        for a in form.addresses
    ]
    fields = ("kind", "line1", "line2", "city", "postcode", "country", "note")
    if _keys(customer.addresses, *fields) != _keys(addresses, *fields):
        changed["addresses"] = len(addresses)
        customer.addresses = addresses
    preferences = [Preference(text=clean(text)) for text in form.preferences]
    if _keys(customer.preferences, "text") != _keys(preferences, "text"):
        changed["preferences"] = [p.text for p in preferences]
        customer.preferences = preferences
    restrictions = [
        DietaryRestriction(kind=r.kind, name=clean(r.name), severity=r.severity, note=clean(r.note))
        for r in form.restrictions
    ]
    restriction_fields = ("kind", "name", "severity", "note")
    if _keys(customer.restrictions, *restriction_fields) != _keys(
        restrictions, *restriction_fields
    ):
        changed["restrictions"] = [f"{r.kind.value}: {r.name}" for r in restrictions]
        customer.restrictions = restrictions
    attributes = [CustomAttribute(key=clean(a.key), value=clean(a.value)) for a in form.attributes]
    if _keys(customer.attributes, "key", "value") != _keys(attributes, "key", "value"):
        changed["attributes"] = {a.key: a.value for a in attributes}
        customer.attributes = attributes


def _record_consents(
    customer: Customer, checked: CheckedForm, now: datetime, changed: dict[str, object]
) -> None:
    # Consent is history: a change appends a dated record, the old one stays as evidence.
    for entry in checked.form.consents:
        current = customer.consent(entry.channel)
        if current is None or current.granted != entry.granted:
            customer.consents.append(
                MarketingConsent(
                    channel=entry.channel,
                    granted=entry.granted,
                    recorded_at=now,
                    source=clean(entry.source)[:200],
                )
            )
            changed[f"consent.{entry.channel.value}"] = entry.granted
