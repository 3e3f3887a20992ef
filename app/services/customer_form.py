"""What a manager fills in for a customer, and the checks it must pass.

``CustomerForm`` is the editable content of a record: the UI and imports build one,
``check_form`` turns it into clean values or one ValidationError listing every problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from app.domain.customers import (
    AddressKind,
    ConsentChannel,
    CustomerKind,
    DietaryKind,
    Gender,
    PhoneKind,
    Severity,
    SignupSource,
    compose_full_name,
)
from app.domain.errors import FieldProblem, ValidationError
from app.domain.text import clean
from app.services.contacts import NormalisedEmail, NormalisedPhone, normalise_email, normalise_phone


@dataclass(frozen=True, slots=True)
class PhoneEntry:
    number: str
    kind: PhoneKind = PhoneKind.MOBILE
    primary: bool = False


@dataclass(frozen=True, slots=True)
class EmailEntry:
    address: str
    primary: bool = False


@dataclass(frozen=True, slots=True)
class AddressEntry:
    kind: AddressKind
    line1: str
    line2: str = ""
    city: str = ""
    postcode: str = ""
    country: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class RestrictionEntry:
    kind: DietaryKind
    name: str
    severity: Severity | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ConsentEntry:
    channel: ConsentChannel
    granted: bool
    source: str = ""


@dataclass(frozen=True, slots=True)
class AttributeEntry:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class CustomerForm:
    kind: CustomerKind = CustomerKind.INDIVIDUAL
    first_name: str = ""
    last_name: str = ""
    title: str = ""
    full_name: str = ""  # organisations: the name; individuals: composed when left empty
    alias: str = ""
    company: str = ""
    business_domain: str = ""
    contact_person: str = ""
    gender: Gender = Gender.UNSPECIFIED
    date_of_birth: date | None = None
    promotion_category_id: int | None = None
    signup_source: SignupSource = SignupSource.TILL
    phones: tuple[PhoneEntry, ...] = ()
    emails: tuple[EmailEntry, ...] = ()
    addresses: tuple[AddressEntry, ...] = ()
    preferences: tuple[str, ...] = ()
    restrictions: tuple[RestrictionEntry, ...] = ()
    consents: tuple[ConsentEntry, ...] = ()
    attributes: tuple[AttributeEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckedPhone:
    phone: NormalisedPhone
    kind: PhoneKind
    primary: bool


@dataclass(frozen=True, slots=True)
class CheckedEmail:
    email: NormalisedEmail
    primary: bool


@dataclass(frozen=True, slots=True)
class CheckedForm:
    """A form whose every field passed: text cleaned, contacts normalised."""

    form: CustomerForm
    full_name: str
    alias: str | None
    phones: tuple[CheckedPhone, ...]
    emails: tuple[CheckedEmail, ...]


_ALIAS = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "title": 40,
    "full_name": 200,
    "company": 200,
    "business_domain": 100,
    "contact_person": 200,
}
_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "title": "Title",
    "full_name": "Name",
    "company": "Company",
    "business_domain": "Business domain",
    "contact_person": "Contact person",
}
OLDEST_AGE_YEARS = 120


def check_form(form: CustomerForm, *, default_region: str, today: date) -> CheckedForm:
    """Validate every field at once; raise ValidationError naming each problem."""
    problems: list[FieldProblem] = []
    for name, limit in _LIMITS.items():
        value = clean(getattr(form, name))
        if len(value) > limit:
            problems.append(
                FieldProblem(name, f"{_LABELS[name]} is {len(value)} characters; at most {limit}.")
            )

    full_name = clean(form.full_name)
    if form.kind is CustomerKind.INDIVIDUAL and not full_name:
        full_name = compose_full_name(
            clean(form.title), clean(form.first_name), clean(form.last_name)
        )
    if not full_name:
        problems.append(
            FieldProblem(
                "full_name",
                "An organisation needs its name."
                if form.kind is CustomerKind.ORGANISATION
                else "Give at least a first or a last name.",
            )
        )

    alias = _check_alias(form.alias, problems)
    _check_birth_date(form.date_of_birth, today, problems)
    phones = _check_phones(form.phones, default_region, problems)
    emails = _check_emails(form.emails, problems)
    _check_addresses(form.addresses, problems)
    _check_lists(form, problems)
    if problems:
        raise ValidationError(problems)
    return CheckedForm(form=form, full_name=full_name, alias=alias, phones=phones, emails=emails)


def _check_alias(raw: str, problems: list[FieldProblem]) -> str | None:
    alias = clean(raw).lstrip("@").lower()
    if not alias:
        return None
    if not _ALIAS.fullmatch(alias):
        problems.append(
            FieldProblem(
                "alias",
                f"Alias '@{alias[:40]}' must be 2 to 32 letters, digits, dots, dashes or "
                "underscores, starting with a letter or digit.",
            )
        )
    return alias


def _check_birth_date(born: date | None, today: date, problems: list[FieldProblem]) -> None:
    if born is None:
        return
    if born > today:
        problems.append(FieldProblem("date_of_birth", f"Date of birth {born} is in the future."))
    elif today.year - born.year > OLDEST_AGE_YEARS:
        problems.append(
            FieldProblem(
                "date_of_birth", f"Date of birth {born} is over {OLDEST_AGE_YEARS} years ago."
            )
        )


def _check_phones(
    entries: tuple[PhoneEntry, ...], region: str, problems: list[FieldProblem]
) -> tuple[CheckedPhone, ...]:
    checked: list[CheckedPhone] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        where = f"phones[{index}]"
        try:
            phone = normalise_phone(entry.number, region, where)
        except ValidationError as error:
            problems.extend(error.problems)
            continue
        if phone.e164 in seen:
            problems.append(FieldProblem(where, f"Phone {phone.display} is listed twice."))
            continue
        seen[phone.e164] = index
        checked.append(CheckedPhone(phone, entry.kind, entry.primary))
    primaries = sum(p.primary for p in checked)
    if primaries > 1:
        problems.append(FieldProblem("phones", "Only one phone can be the primary one."))
    elif primaries == 0 and checked:
        first = checked[0]
        checked[0] = CheckedPhone(first.phone, first.kind, True)
    return tuple(checked)


def _check_emails(
    entries: tuple[EmailEntry, ...], problems: list[FieldProblem]
) -> tuple[CheckedEmail, ...]:
    checked: list[CheckedEmail] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"emails[{index}]"
        try:
            email = normalise_email(entry.address, where)
        except ValidationError as error:
            problems.extend(error.problems)
            continue
        if email.normalised in seen:
            problems.append(FieldProblem(where, f"E-mail {email.address} is listed twice."))
            continue
        seen.add(email.normalised)
        checked.append(CheckedEmail(email, entry.primary))
    primaries = sum(e.primary for e in checked)
    if primaries > 1:
        problems.append(FieldProblem("emails", "Only one e-mail can be the primary one."))
    elif primaries == 0 and checked:
        checked[0] = CheckedEmail(checked[0].email, True)
    return tuple(checked)


def _check_addresses(entries: tuple[AddressEntry, ...], problems: list[FieldProblem]) -> None:
    for index, address in enumerate(entries):
        where = f"addresses[{index}]"
        if not clean(address.line1):
            problems.append(FieldProblem(where, f"Address {index + 1} needs its first line."))
        country = clean(address.country)
        if country and not _COUNTRY.fullmatch(country):
            problems.append(
                FieldProblem(
                    where, f"Address {index + 1}: country '{country[:10]}' must be a code like GB."
                )
            )
        for part in (address.line1, address.line2, address.city, address.note):
            if len(clean(part)) > 200:
                problems.append(FieldProblem(where, f"Address {index + 1}: a line is over 200."))
                break


def _check_lists(form: CustomerForm, problems: list[FieldProblem]) -> None:
    for index, text in enumerate(form.preferences):
        if not clean(text) or len(clean(text)) > 500:
            problems.append(
                FieldProblem(f"preferences[{index}]", "A preference needs 1 to 500 characters.")
            )
    for index, restriction in enumerate(form.restrictions):
        if not clean(restriction.name) or len(clean(restriction.name)) > 100:
            problems.append(
                FieldProblem(
                    f"restrictions[{index}]", "An allergy or diet needs a name (up to 100)."
                )
            )
    channels = [consent.channel for consent in form.consents]
    for channel in {c for c in channels if channels.count(c) > 1}:
        problems.append(FieldProblem("consents", f"Consent for {channel.value} is given twice."))
    keys = [clean(attribute.key).casefold() for attribute in form.attributes]
    for index, attribute in enumerate(form.attributes):
        key = clean(attribute.key)
        if not key or len(key) > 64:
            problems.append(
                FieldProblem(f"attributes[{index}]", "An attribute needs a name (up to 64).")
            )
        elif keys.count(key.casefold()) > 1:
            problems.append(
                FieldProblem(f"attributes[{index}]", f"Attribute '{key}' is given twice.")
            )
        if len(clean(attribute.value)) > 500:
            problems.append(
                FieldProblem(f"attributes[{index}]", f"Attribute '{key}' is over 500 characters.")
            )
