"""A headless terminal for the agent: the store, the services, the sync store and the
sync worker, on a skewed wall clock.

Built here from the same parts bootstrap wires (services, SqlSyncStore, the sync
engine's connector and worker) until the wiring module's headless terminal is there to
call instead; see the report in docs/SYNC.md, "Fault campaign".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from app.domain.hlc import HybridClock
from app.domain.loyalty import TierLadder
from app.domain.money import TaxMode, currency
from app.domain.staff import Actor, Role
from app.services.accounts import AccountService
from app.services.checkout import CheckoutService
from app.services.directory import DirectoryService, VenueSettings
from app.services.identifiers import IdentifierService
from app.services.tab_settings import TabSettings
from app.services.tabs import TabService
from app.store.database import StoreLocation, create_session_factory, create_store_engine
from app.store.migrate import upgrade_store
from app.store.sync_store import SqlSyncStore
from app.store.unit_of_work import SqlUnitOfWorkFactory
from app.sync.credentials import TerminalCredentials
from app.sync.enrolment import engine_connector, enrol_terminal
from app.sync.status import SyncStatus
from app.sync.worker import Backoff, SyncWorker

log = logging.getLogger("fault.agent")

AGENT_ACTOR = Actor(
    staff_uuid="00000000-0000-7000-8000-00000000f417", name="Fault Agent", role=Role.MANAGER
)


class SkewedClock:
    """The machine's UTC time moved by a fixed offset: a terminal whose clock is wrong."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class AgentTerminal:
    engine: Engine
    directory: DirectoryService
    identifiers: IdentifierService
    tabs: TabService
    checkout: CheckoutService
    accounts: AccountService
    sync_store: SqlSyncStore
    worker: SyncWorker
    hlc: HybridClock
    statuses: list[SyncStatus] = field(default_factory=list)

    def close(self) -> None:
        self.worker.stop()
        self.engine.dispose()


def open_store(store: Path) -> tuple[Engine, SqlUnitOfWorkFactory, SqlSyncStore]:
    engine = create_store_engine(StoreLocation(store))
    upgrade_store(engine)
    session_factory = create_session_factory(engine)
    return engine, SqlUnitOfWorkFactory(session_factory), SqlSyncStore(session_factory)


def enrol(sync_store: SqlSyncStore, url: str, code: str, name: str, clock: SkewedClock) -> None:
    """Spend ``code`` at head office (through the proxy) unless already enrolled there."""
    state = sync_store.state()
    if state.terminal_uuid and state.server_url == url:
        return
    enrol_terminal(
        sync_store, TerminalCredentials(), url, code, name, clock=HybridClock(state.node, clock)
    )


def open_agent_terminal(
    store: Path,
    *,
    name: str,
    clock: SkewedClock,
    sync_interval_s: float,
    listener: Callable[[SyncStatus], None] | None = None,
) -> AgentTerminal:
    """The enrolled store's terminal with its worker started."""
    engine, uow_factory, sync_store = open_store(store)
    hlc = HybridClock(sync_store.state().node, clock)
    settings = TabSettings(
        terminal=name,
        currency=currency("GBP"),
        tax_mode=TaxMode.INCLUDED,
        time_zone="Europe/London",
        tiers=TierLadder(),
    )
    venue = VenueSettings(default_region="GB")
    statuses: list[SyncStatus] = []

    def heard(status: SyncStatus) -> None:
        statuses.append(status)
        del statuses[:-20]
        if listener is not None:
            listener(status)

    connect = engine_connector(sync_store, TerminalCredentials(), hlc)
    worker = SyncWorker(
        sync_store,
        connect,
        heard,
        interval_s=sync_interval_s,
        poll_s=min(0.5, sync_interval_s),
        debounce_s=0.1,
        backoff=Backoff(base_s=0.1, cap_s=2.0),
    )
    terminal = AgentTerminal(
        engine=engine,
        directory=DirectoryService(uow_factory, venue, clock, hlc),
        identifiers=IdentifierService(uow_factory, venue, clock, hlc),
        tabs=TabService(uow_factory, settings, clock),
        checkout=CheckoutService(uow_factory, settings, clock),
        accounts=AccountService(uow_factory, settings, clock, hlc),
        sync_store=sync_store,
        worker=worker,
        hlc=hlc,
        statuses=statuses,
    )
    worker.start()
    return terminal
