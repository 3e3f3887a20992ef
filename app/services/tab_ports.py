"""What the guest-tab services need from the store, as protocols. app.store implements them."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from app.domain.catalogue import MenuItem
from app.domain.history import Visit
from app.domain.ledger import AccountKind, Balances, LedgerEntry
from app.domain.loyalty import CustomerStats
from app.domain.promotions import CategoryRules, SalesRule
from app.domain.tabs import GuestTab


@dataclass(frozen=True, slots=True)
class FloorPlace:
    """A division and table by name, with the promotion categories attached to them."""

    division_name: str | None
    division_category_id: int | None
    table_number: str | None
    table_category_id: int | None
    table_division_id: int | None


@dataclass(frozen=True, slots=True)
class TabCustomer:
    """What a tab needs of its customer: pricing inputs, limits and the name to show."""

    id: int
    uuid: str
    name: str
    status: str
    birthday: date | None
    promotion_category_id: int | None
    credit_limit_minor: int | None
    tab_limit_minor: int | None


@dataclass(frozen=True, slots=True)
class OpenTabRow:
    """One open tab on the floor plan."""

    uuid: str
    number: int
    division_id: int | None
    table_id: int | None
    guests: int
    customer_name: str | None
    opened_at: datetime
    waiter_uuid: str


class GuestTabs(Protocol):
    def add(self, tab: GuestTab) -> None: ...
    def get(self, tab_uuid: str) -> GuestTab | None:
        """The tab with its lines, payments and attachments, or None."""

    def save(self, tab: GuestTab) -> None:
        """Write what changed on a tab loaded (or added) in this unit of work."""

    def next_number(self) -> int: ...
    def open_tabs(self, division_id: int | None = None) -> list[OpenTabRow]: ...
    def record_totals(
        self, tab_uuid: str, total_minor: int, discount_minor: int, points: int
    ) -> None: ...
    def customer(self, customer_id: int) -> TabCustomer | None: ...
    def card_category(self, identifier_id: int) -> int | None:
        """The promotion category of a presented card (personal or impersonal)."""

    def record_visit(self, visit: Visit) -> None: ...
    def remove_visit(self, tab_uuid: str) -> bool:
        """Take back the visit a closed tab recorded (when it is reopened)."""


class AlreadyReversedError(Exception):
    """The store refused a reversal: the entry it names was already reversed.

    Raised by :meth:`Ledger.add` when another till reversed the same entry first; the
    transaction stays usable, and services turn it into a ConflictError with words.
    """


class Ledger(Protocol):
    def add(self, entry: LedgerEntry) -> None:
        """Append an entry; a second reversal of one entry raises AlreadyReversedError."""

    def get(self, entry_uuid: str) -> LedgerEntry | None: ...
    def balances(self, customer_id: int) -> Balances: ...
    def balance(self, customer_id: int, account: AccountKind) -> int: ...
    def lifetime_points(self, customer_id: int) -> int:
        """Points ever earned, less reversed earnings: what tiers are decided on."""

    def entries(
        self,
        customer_id: int,
        limit: int = 200,
        *,
        offset: int = 0,
        account: AccountKind | None = None,
    ) -> list[LedgerEntry]:
        """The newest first; ``account`` keeps one account's entries only."""

    def for_tab(self, tab_uuid: str) -> list[LedgerEntry]: ...
    def reversed_uuids(self, entry_uuids: Collection[str]) -> frozenset[str]: ...
    def restore(self, entry_ids: Collection[int], customer_id: int) -> None:
        """Give entries back to ``customer_id`` (undoing a merge logged before merges
        wrote transfers, when they moved the merged customer's entries)."""

    def discard(self, entry_uuids: Collection[str]) -> None:
        """Delete entries that never left this terminal (an unsent merge's transfers,
        when the merge is undone). Nothing else is ever deleted from the ledger."""


class CustomerStatsStore(Protocol):
    def get(self, customer_id: int) -> CustomerStats: ...
    def save(self, stats: CustomerStats) -> None:
        """Also keeps the directory's columns (last visit, total spent, orders) in step."""

    def find(self, customer_id: int) -> CustomerStats | None:
        """The customer's statistics, or None when nothing was ever recorded for them."""

    def put(self, stats: CustomerStats) -> None:
        """Write the statistics row only; the directory's columns are the caller's (merges)."""

    def remove(self, customer_id: int) -> None:
        """Drop the statistics row (a merged customer's figures went to the survivor)."""


class Outbox(Protocol):
    def append(
        self,
        kind: str,
        entity_uuid: str,
        payload: Mapping[str, object],
        at: datetime,
        *,
        hlc: str = "",
    ) -> str:
        """Queue one operation for head office; returns its UUIDv7 operation id.
        ``hlc`` is the operation's clock stamp (directory edits carry one)."""

    def pending(self, limit: int = 500) -> list[tuple[str, str, str]]:
        """(operation id, kind, JSON payload) not yet acknowledged, oldest first."""

    def handed_out(self, operation_ids: Collection[str]) -> bool:
        """Whether any of these operations was given to the sync engine to push (or
        answered): from then on head office may have it, and it cannot be taken back."""

    def withdraw(self, operation_ids: Collection[str]) -> None:
        """Take back operations never handed out (undoing a merge before it was sent)."""


class PrintJobs(Protocol):
    def add(self, kind: str, tab_uuid: str, payload: Mapping[str, object], at: datetime) -> str:
        """Queue a guest check or receipt in this transaction; returns the job's uuid."""

    def for_tab(self, tab_uuid: str) -> list[tuple[str, str, str]]:
        """(job uuid, kind, status) of a tab's jobs, oldest first."""


class SalesRules(Protocol):
    def category_rules(self, category_ids: Collection[int]) -> dict[int, CategoryRules]: ...
    def category_id(self, category_uuid: str) -> int | None: ...
    def replace_rules(self, category_id: int, rules: Iterable[SalesRule]) -> None: ...
    def menu_item(self, item_id: int) -> MenuItem | None: ...
    def place(self, division_id: int | None, table_id: int | None) -> FloorPlace: ...
