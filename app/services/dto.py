"""What services hand back: small frozen records, never ORM objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from app.domain.customers import CustomerKind, CustomerStatus
from app.domain.identifiers import IdentifierKind, IdentifierStatus
from app.domain.ledger import AccountKind, EntryKind


class DirectoryFilter(StrEnum):
    ALL = "all"
    ACTIVE = "active"
    INACTIVE = "inactive"  # inactive or blocked


class DirectorySort(StrEnum):
    RELEVANCE = "relevance"
    NAME = "name"
    CREATED = "created"
    LAST_VISIT = "last_visit"
    TOTAL_SPENT = "total_spent"
    ORDERS = "orders"


class MatchKind(StrEnum):
    """Why a row matched, in rank order: identifier or phone, then prefix, then substring."""

    IDENTIFIER = "identifier"
    PHONE = "phone"
    NAME_PREFIX = "name_prefix"
    SUBSTRING = "substring"
    BROWSE = "browse"  # empty query: the whole directory


@dataclass(frozen=True, slots=True)
class DirectoryQuery:
    text: str = ""
    filter: DirectoryFilter = DirectoryFilter.ALL
    sort: DirectorySort = DirectorySort.RELEVANCE
    descending: bool = False
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, slots=True)
class DirectoryRow:
    id: int
    uuid: str
    kind: CustomerKind
    full_name: str
    alias: str | None
    company: str
    status: CustomerStatus
    primary_phone: str | None  # E.164
    primary_email: str | None
    promotion_category: str | None
    created_at: datetime
    last_visit_at: datetime | None
    total_spent_minor: int
    order_count: int
    match: MatchKind


@dataclass(frozen=True, slots=True)
class DirectoryPage:
    rows: tuple[DirectoryRow, ...]
    offset: int
    has_more: bool


@dataclass(frozen=True, slots=True)
class IdentifierHit:
    """What a swipe, tap or scan resolves to."""

    identifier_id: int
    kind: IdentifierKind
    value: str
    status: IdentifierStatus
    expires_at: datetime | None
    customer_id: int | None  # None: an impersonal card
    customer_name: str | None
    customer_status: CustomerStatus | None
    promotion_category_id: int | None  # the card's own, or else the customer's


@dataclass(frozen=True, slots=True)
class ActivityCounts:
    """What ties a customer to the books; any of it forbids deleting them."""

    tabs: int = 0
    visits: int = 0
    ledger_entries: int = 0

    @property
    def any(self) -> bool:
        return bool(self.tabs or self.visits or self.ledger_entries)


@dataclass(frozen=True, slots=True)
class Changes:
    """What a use case changed, so each screen refreshes only what it shows."""

    customers: bool = False
    identifiers: bool = False
    audit: bool = False
    catalogue: bool = False
    accounts: bool = False  # points or purse balances, credit or tab limits


@dataclass(frozen=True, slots=True)
class StoreFacts:
    """The self-check's view of a store."""

    path: str
    schema_revision: str | None
    head_revision: str
    customers: int
    identifiers: int
    size_bytes: int


@dataclass(frozen=True, slots=True)
class MergeRecord:
    """A merge as logged: enough to undo it."""

    id: int
    uuid: str
    at: datetime
    actor_name: str
    survivor_id: int
    merged_id: int
    moved: str  # JSON written by the merge use case
    undone_at: datetime | None


@dataclass(frozen=True, slots=True)
class Restriction:
    kind: str  # allergy, intolerance, diet
    name: str
    severity: str | None


@dataclass(frozen=True, slots=True)
class OpenTabRef:
    """One of a customer's open tabs, as the identification card lists it."""

    uuid: str
    number: int
    table: str | None  # the table's number on the floor plan, None at the bar
    division: str | None


@dataclass(frozen=True, slots=True)
class CustomerCard:
    """What the till shows the moment a regular is recognised.

    ``tier`` is filled in by the identification service from the venue's ladder; the
    store reads the balances and ``lifetime_points`` it is decided by.
    """

    customer_id: int
    full_name: str
    alias: str | None
    status: CustomerStatus
    status_reason: str
    promotion_category: str | None
    has_photo: bool
    restrictions: tuple[Restriction, ...]
    last_visit_at: datetime | None
    total_spent_minor: int
    order_count: int
    points: int = 0
    purse_minor: int = 0
    lifetime_points: int = 0
    tier: str | None = None
    open_tabs: tuple[OpenTabRef, ...] = ()


@dataclass(frozen=True, slots=True)
class CategoryCard:
    id: int
    name: str
    tab_limit_minor: int | None


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """A device on this terminal: a name people recognise, a driver, and its settings."""

    name: str  # "Bar card reader"
    driver: str  # an id from app.devices.drivers, e.g. "serial-magstripe"
    settings: Mapping[str, object] = field(default_factory=dict)
    enabled: bool = True
    id: int | None = None
    uuid: str | None = None


# Accounts ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountHolder:
    """A customer as their accounts need them: one indexed row, no ORM graph."""

    id: int
    uuid: str
    full_name: str
    kind: CustomerKind
    status: CustomerStatus
    merged_into_id: int | None
    credit_limit_minor: int | None  # "pay later" down to minus this; None: no credit
    tab_limit_minor: int | None  # their own guest-tab limit; None: only the categories'


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """A customer's points and purse, their tier and their limits."""

    customer_id: int
    customer_uuid: str
    full_name: str
    currency: str  # ISO code of the amounts in minor units
    points: int  # spendable
    points_value_minor: int  # what the points pay at the venue's redemption rate
    purse_minor: int  # below zero when the customer owes ("pay later")
    purse_available_minor: int  # purse plus credit: what the purse can still pay
    lifetime_points: int  # earned, less reversed earnings: what the tier is decided by
    tier: str
    next_tier: str | None  # None at the top
    points_to_next_tier: int | None
    credit_limit_minor: int | None
    tab_limit_minor: int | None


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One ledger entry as a statement shows it; ``reversed`` when a reversal undid it."""

    uuid: str
    account: AccountKind
    kind: EntryKind
    amount: int  # signed: whole points, or minor units on the purse
    at: datetime
    tab_uuid: str | None
    terminal: str
    staff_uuid: str
    reason: str
    reverses_uuid: str | None
    reversed: bool


@dataclass(frozen=True, slots=True)
class Statement:
    """One page of a customer's entries, newest first."""

    customer_id: int
    lines: tuple[StatementLine, ...]
    offset: int
    has_more: bool


@dataclass(frozen=True, slots=True)
class AccountChange:
    """What an account use case wrote (the entry, when it wrote one) and the balances after."""

    entry: StatementLine | None
    summary: AccountSummary
    changes: Changes
