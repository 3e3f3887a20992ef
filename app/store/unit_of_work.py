"""The SQLAlchemy unit of work: one short session, committed or rolled back whole."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from app.services.ports import (
    AuditLog,
    Catalogue,
    CustomerRepository,
    DeviceConfigs,
    DirectoryQueries,
    IdentificationQueries,
    IdentifierRepository,
    MergeLog,
    StaffDirectory,
    SyncRecords,
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
from app.store.devices import SqlDeviceConfigs
from app.store.identification import SqlIdentificationQueries
from app.store.ledger import SqlCustomerStats, SqlLedger, SqlOutbox, SqlPrintJobs
from app.store.merges import SqlMergeLog
from app.store.print_queue import SqlPrintQueue
from app.store.promotion_rules import SqlSalesRules
from app.store.repositories import (
    SqlAuditLog,
    SqlCatalogue,
    SqlCustomerRepository,
    SqlIdentifierRepository,
    SqlStaffDirectory,
)
from app.store.search import SqlDirectoryQueries
from app.store.sync_records import SqlSyncRecords
from app.store.tabs import SqlGuestTabs


class SqlUnitOfWork:
    """Implements :class:`app.services.ports.UnitOfWork` on a fresh session."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None

    def __enter__(self) -> Self:
        session = self._session_factory()
        self._session = session
        self.customers: CustomerRepository = SqlCustomerRepository(session)
        self.identifiers: IdentifierRepository = SqlIdentifierRepository(session)
        self.directory: DirectoryQueries = SqlDirectoryQueries(session)
        self.identification: IdentificationQueries = SqlIdentificationQueries(session)
        self.devices: DeviceConfigs = SqlDeviceConfigs(session)
        self.audit: AuditLog = SqlAuditLog(session)
        self.merges: MergeLog = SqlMergeLog(session)
        self.catalogue: Catalogue = SqlCatalogue(session)
        self.staff: StaffDirectory = SqlStaffDirectory(session)
        self.tabs: GuestTabs = SqlGuestTabs(session)
        self.ledger: Ledger = SqlLedger(session)
        self.stats: CustomerStatsStore = SqlCustomerStats(session)
        self.outbox: Outbox = SqlOutbox(session)
        self.print_jobs: PrintJobs = SqlPrintJobs(session)
        self.print_queue: PrintQueue = SqlPrintQueue(session)
        self.promotions: SalesRules = SqlSalesRules(session)
        self.sync: SyncRecords = SqlSyncRecords(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self._active()
        try:
            session.rollback()  # a no-op after commit(); undoes anything left uncommitted
        finally:
            session.close()
            self._session = None

    def _active(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._session

    def flush(self) -> None:
        self._active().flush()

    def commit(self) -> None:
        self._active().commit()

    def rollback(self) -> None:
        self._active().rollback()


class SqlUnitOfWorkFactory:
    """Makes a new unit of work per use case: ``with factory() as uow: ...``."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._session_factory)
