"""What services need from the store, as protocols. app.store implements them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from app.domain.audit import AuditEntry
from app.domain.catalogue import PromotionCategory
from app.domain.customers import Customer
from app.domain.identifiers import Identifier, IdentifierKind
from app.domain.staff import StaffMember
from app.services.dto import (
    AccountHolder,
    ActivityCounts,
    CategoryCard,
    CustomerCard,
    DeviceConfig,
    DirectoryPage,
    DirectoryQuery,
    IdentifierHit,
    MergeRecord,
)
from app.services.print_ports import PrintQueue
from app.services.tab_ports import (
    CustomerStatsStore,
    GuestTabs,
    Ledger,
    Outbox,
    PrintJobs,
    SalesRules,
)


class CustomerRepository(Protocol):
    def add(self, customer: Customer) -> None: ...
    def get(self, customer_id: int) -> Customer | None: ...
    def get_by_uuid(self, uuid: str) -> Customer | None: ...
    def delete(self, customer: Customer) -> None: ...
    def by_alias(self, alias: str) -> Customer | None:
        """The customer whose alias folds to the same text, if any."""

    def by_phone(self, e164: str) -> Sequence[Customer]: ...
    def by_email(self, normalised: str) -> Sequence[Customer]: ...
    def activity(self, customer_id: int) -> ActivityCounts: ...
    def move_history(self, from_id: int, to_id: int) -> list[int]:
        """Re-point visits; returns the moved visit ids (tabs and entries move apart)."""

    def restore_history(self, visit_ids: Sequence[int], to_id: int) -> None: ...
    def move_tabs(self, from_id: int, to_id: int) -> list[int]:
        """Re-point guest tabs (open or closed) to another customer; returns their ids."""

    def restore_tabs(self, tab_ids: Sequence[int], to_id: int) -> None: ...
    def account_holder(self, customer_id: int) -> AccountHolder | None:
        """The customer's name, status and limits in one indexed read."""

    def set_limits(
        self,
        customer_id: int,
        credit_limit_minor: int | None,
        tab_limit_minor: int | None,
        at: datetime,
        by: str,
    ) -> None: ...
    def count(self) -> int: ...
    def photo(self, customer_id: int) -> tuple[bytes, int, int] | None: ...
    def save_photo(self, customer_id: int, jpeg: bytes, width: int, height: int) -> None: ...
    def remove_photo(self, customer_id: int) -> None: ...


class IdentifierRepository(Protocol):
    def add(self, identifier: Identifier) -> None: ...
    def get(self, identifier_id: int) -> Identifier | None: ...
    def in_use(self, kind: IdentifierKind, value: str) -> Identifier | None:
        """The active, lost or blocked identifier with this kind and value."""

    def lookup(self, kind: IdentifierKind, value: str) -> IdentifierHit | None:
        """The fast path a device takes: one indexed read, no ORM objects."""

    def count(self) -> int: ...


class DirectoryQueries(Protocol):
    def search(self, query: DirectoryQuery) -> DirectoryPage: ...


class IdentificationQueries(Protocol):
    """Fast reads for the moment of identification: a few indexed rows, no ORM graph."""

    def customer_card(self, customer_id: int) -> CustomerCard | None: ...
    def cards_by_phone(self, e164: str) -> list[CustomerCard]: ...
    def category(self, category_id: int) -> CategoryCard | None: ...


class DeviceConfigs(Protocol):
    def all(self) -> list[DeviceConfig]: ...
    def get(self, device_id: int) -> DeviceConfig | None: ...
    def by_name(self, name: str) -> DeviceConfig | None: ...
    def save(self, config: DeviceConfig, at: datetime, by: str) -> int: ...
    def remove(self, device_id: int) -> None: ...


class DeviceDrivers(Protocol):
    """What the device layer knows of its drivers, for checking a configuration."""

    def check(self, driver: str, settings: Mapping[str, object]) -> dict[str, object]:
        """The settings completed with defaults, or ValidationError naming each problem."""


class AuditLog(Protocol):
    def record(self, entry: AuditEntry) -> None: ...
    def for_entity(self, entity_uuid: str, limit: int = 100) -> Sequence[AuditEntry]: ...


class MergeLog(Protocol):
    def record(self, survivor_id: int, merged_id: int, actor_name: str, moved: str) -> int: ...
    def get(self, merge_id: int) -> MergeRecord | None: ...
    def mark_undone(self, merge_id: int) -> None: ...


class Catalogue(Protocol):
    def promotion_categories(self) -> Sequence[PromotionCategory]: ...
    def promotion_category(self, category_id: int) -> PromotionCategory | None: ...
    def add(self, item: object) -> None: ...


class StaffDirectory(Protocol):
    def add(self, member: StaffMember) -> None: ...
    def by_uuid(self, uuid: str) -> StaffMember | None: ...
    def all(self) -> Sequence[StaffMember]: ...


class SyncRecords(Protocol):
    """The sync bookkeeping a directory write keeps beside its change (docs/SYNC.md)."""

    def uuids(self, entity: str, keys: Collection[int]) -> dict[int, str]:
        """The uuids of stored records by key; ``entity``: customer, identifier,
        promotion_category or menu_item."""

    def clocks(self, entity: str, key: int) -> dict[str, str]:
        """A customer's or identifier's field clocks (field name -> stamp)."""

    def stamp(self, entity: str, key: int, clocks: Mapping[str, str]) -> None:
        """Set these fields' clocks, keeping the others'."""

    def set_clocks(self, entity: str, key: int, clocks: Mapping[str, str]) -> None:
        """Replace the record's field clocks whole (undoing a merge)."""

    def enrolled(self) -> bool:
        """Whether this terminal is enrolled with head office (not a standalone venue)."""

    def offline_spent(self) -> tuple[int, int]:
        """(points redeemed, purse minor units spent) in ledger operations head office
        has not acknowledged yet: what this terminal spent since its last sync."""


class UnitOfWork(Protocol):
    """One short transaction. Leaving the block without commit() rolls back."""

    customers: CustomerRepository
    identifiers: IdentifierRepository
    directory: DirectoryQueries
    identification: IdentificationQueries
    devices: DeviceConfigs
    audit: AuditLog
    merges: MergeLog
    catalogue: Catalogue
    staff: StaffDirectory
    tabs: GuestTabs
    ledger: Ledger
    stats: CustomerStatsStore
    outbox: Outbox
    print_jobs: PrintJobs
    print_queue: PrintQueue
    promotions: SalesRules
    sync: SyncRecords

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def flush(self) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
