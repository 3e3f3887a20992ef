"""The regular customer and everything a restaurant directory keeps about them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from app.domain.identifiers import Identifier, utcnow
from app.domain.ids import new_uuid7


class CustomerKind(StrEnum):
    INDIVIDUAL = "individual"
    ORGANISATION = "organisation"


class CustomerStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    BLOCKED = "blocked"


class Gender(StrEnum):
    UNSPECIFIED = "unspecified"
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class PhoneKind(StrEnum):
    MOBILE = "mobile"
    PERSONAL = "personal"
    WORKING = "working"


class AddressKind(StrEnum):
    DELIVERY = "delivery"
    BILLING = "billing"
    OTHER = "other"


class ConsentChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"


class SignupSource(StrEnum):
    TILL = "till"
    HEAD_OFFICE = "head_office"
    WEB = "web"
    IMPORT = "import"


class DietaryKind(StrEnum):
    ALLERGY = "allergy"
    INTOLERANCE = "intolerance"
    DIET = "diet"  # vegetarian, halal, low-salt…


class Severity(StrEnum):
    MILD = "mild"
    SEVERE = "severe"
    ANAPHYLACTIC = "anaphylactic"


@dataclass(eq=False)
class Phone:
    e164: str  # "+442079460000"
    kind: PhoneKind = PhoneKind.MOBILE
    primary: bool = False
    digits: str = ""  # e164 without "+", kept for substring search
    id: int | None = None
    customer_id: int | None = None


@dataclass(eq=False)
class Email:
    address: str  # as typed, domain lower-cased
    normalised: str = ""  # lower-cased, used for uniqueness and duplicates
    primary: bool = False
    id: int | None = None
    customer_id: int | None = None


@dataclass(eq=False)
class Address:
    kind: AddressKind
    line1: str
    line2: str = ""
    city: str = ""
    postcode: str = ""
    country: str = ""  # ISO 3166-1 alpha-2
    note: str = ""  # "ring twice", "gate code 1234"
    id: int | None = None
    customer_id: int | None = None


@dataclass(eq=False)
class Preference:
    text: str  # "Table by the window", "Negroni, stirred not shaken"
    favourite_item_id: int | None = None
    id: int | None = None
    customer_id: int | None = None


@dataclass(eq=False)
class DietaryRestriction:
    """An allergy, intolerance or diet: first-class so the kitchen can be warned."""

    kind: DietaryKind
    name: str  # "peanuts", "gluten", "vegan"
    severity: Severity | None = None
    note: str = ""
    id: int | None = None
    customer_id: int | None = None


@dataclass(eq=False)
class InternalNote:
    """A team-only note with its author and time; never shown to the guest."""

    text: str
    author: str
    created_at: datetime = field(default_factory=utcnow)
    id: int | None = None
    customer_id: int | None = None
    uuid: str = field(default_factory=new_uuid7)  # notes sync, merged as a union by uuid


@dataclass(eq=False)
class MarketingConsent:
    channel: ConsentChannel
    granted: bool
    recorded_at: datetime = field(default_factory=utcnow)
    source: str = ""  # "paper form at the till", "web signup", "phone call"
    id: int | None = None
    customer_id: int | None = None


@dataclass(eq=False)
class CustomAttribute:
    """Free attributes a venue keeps, such as a hotel room or a locker number."""

    key: str
    value: str
    id: int | None = None
    customer_id: int | None = None


@dataclass(eq=False)
class Customer:
    """An individual or an organisation the venue knows by name."""

    kind: CustomerKind
    full_name: str
    first_name: str = ""
    last_name: str = ""
    title: str = ""
    alias: str | None = None  # @username, unique when set
    company: str = ""  # for an individual, their employer; for an organisation, its trading name
    business_domain: str = ""  # organisations: "catering", "law firm"
    contact_person: str = ""  # organisations: who books
    gender: Gender = Gender.UNSPECIFIED
    date_of_birth: date | None = None
    status: CustomerStatus = CustomerStatus.ACTIVE
    status_reason: str = ""
    promotion_category_id: int | None = None
    credit_limit_minor: int | None = None  # "pay later" up to this debt; None: no credit
    tab_limit_minor: int | None = None  # their own guest-tab limit, over the category's
    signup_source: SignupSource = SignupSource.TILL
    merged_into_id: int | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    created_by: str = ""
    updated_by: str = ""
    # Figures kept up to date by closed tabs, so the directory can sort by them.
    last_visit_at: datetime | None = None
    total_spent_minor: int = 0
    order_count: int = 0
    phones: list[Phone] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    preferences: list[Preference] = field(default_factory=list)
    restrictions: list[DietaryRestriction] = field(default_factory=list)
    notes: list[InternalNote] = field(default_factory=list)
    consents: list[MarketingConsent] = field(default_factory=list)
    attributes: list[CustomAttribute] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    uuid: str = field(default_factory=new_uuid7)
    id: int | None = None

    @property
    def primary_phone(self) -> Phone | None:
        return next((p for p in self.phones if p.primary), self.phones[0] if self.phones else None)

    @property
    def primary_email(self) -> Email | None:
        return next((e for e in self.emails if e.primary), self.emails[0] if self.emails else None)

    def consent(self, channel: ConsentChannel) -> MarketingConsent | None:
        """The latest consent recorded for ``channel``, if any."""
        recorded = [c for c in self.consents if c.channel is channel]
        return max(recorded, key=lambda c: c.recorded_at) if recorded else None

    def describe(self) -> str:
        """How a manager recognises the record in a message: "Emily Roberts (active)"."""
        return f"{self.full_name} ({self.status.value})"


def compose_full_name(title: str, first: str, last: str) -> str:
    return " ".join(part for part in (title, first, last) if part)
