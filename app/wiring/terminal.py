"""The terminal's store and services, wired: :func:`open_terminal` builds a
:class:`Terminal`, and ``close()`` releases it.

Nothing else builds long-lived objects; tests call :func:`open_terminal` with their own
settings and close what it returns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine

from app.demo import prepare_demo_store
from app.devices.printing.printers import TerminalDrivers
from app.domain.hlc import HybridClock, parse_stamp
from app.domain.loyalty import TierLadder
from app.domain.staff import Actor, Role
from app.services.accounts import AccountService
from app.services.checkout import CheckoutService
from app.services.devices import DeviceSettingsService
from app.services.directory import Clock, DirectoryService, VenueSettings, utc_clock
from app.services.dto import StoreFacts
from app.services.duplicates import DuplicateFinder
from app.services.identification import IdentificationService
from app.services.identifiers import IdentifierService
from app.services.merge import MergeService
from app.services.photos import PhotoService
from app.services.printing import PrintService
from app.services.tab_settings import TabSettings
from app.services.tabs import TabService
from app.services.worker import StoreWorker
from app.settings import Settings, tab_settings
from app.store.database import StoreLocation, create_session_factory, create_store_engine
from app.store.migrate import current_revision, head_revision, upgrade_store
from app.store.sync_store import SqlSyncStore
from app.store.unit_of_work import SqlUnitOfWorkFactory

log = logging.getLogger("app")

DEMO_SIGN_IN = "Demo Manager"
TIERS = ("Bronze", "Silver", "Gold")


class SignInError(RuntimeError):
    """The store has no active manager for the terminal to sign in as."""


@dataclass(slots=True)
class Terminal:
    """Everything a running terminal holds; ``close()`` releases it in order."""

    settings: Settings
    location: StoreLocation
    engine: Engine
    worker: StoreWorker
    uow_factory: SqlUnitOfWorkFactory
    directory: DirectoryService
    identifiers: IdentifierService
    duplicates: DuplicateFinder
    merges: MergeService
    photos: PhotoService
    identification: IdentificationService
    device_settings: DeviceSettingsService
    printing: PrintService
    tab_settings: TabSettings
    tabs: TabService
    checkout: CheckoutService
    accounts: AccountService
    actor: Actor
    sync_store: SqlSyncStore
    hlc: HybridClock  # stamps every directory edit; moves past head office's on each sync
    seeded: bool = False
    _closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        """Finish queued work, stop the store thread, close the database."""
        if self._closed:
            return
        self._closed = True
        self.worker.shutdown(wait=True)
        self.engine.dispose()

    def promotion_categories(self) -> list[tuple[int, str]]:
        """(id, name) of the active categories, for the customer form's choice."""
        with self.uow_factory() as uow:
            return [
                (category.id, category.name)
                for category in uow.catalogue.promotion_categories()
                if category.active and category.id is not None
            ]

    def facts(self) -> StoreFacts:
        return store_facts(self.location, self.engine, self.uow_factory)


def open_terminal(
    settings: Settings, *, clock: Clock = utc_clock, actor: Actor | None = None
) -> Terminal:
    """Open (creating, upgrading and on first run seeding) the store, and wire the services.

    ``clock`` is what the services take as now (tests pass their own); the hybrid clock
    runs on it too. ``actor`` signs the terminal in as someone (a headless terminal); by
    default it signs in as the demo manager, or the store's first manager.
    """
    location = StoreLocation(settings.store_path)
    engine = create_store_engine(location)
    try:
        revision = upgrade_store(engine)
        log.info("Store %s is at schema revision %s", location.path, revision)
        session_factory = create_session_factory(engine)
        uow_factory = SqlUnitOfWorkFactory(session_factory)
        # A demo terminal seeds an empty store and completes one an earlier demo seeded.
        seeded = settings.demo and prepare_demo_store(
            engine, settings.demo_customers, settings.demo_seed
        )
        signed_in = actor if actor is not None else _sign_in(uow_factory)
        tabs = tab_settings(settings, _tiers(uow_factory))
        sync_store = SqlSyncStore(session_factory, clock=clock)
        last = sync_store.last_stamp()  # a restart resumes after every stamp known
        start = parse_stamp(last) if last else None
        hlc = HybridClock(sync_store.state().node, clock, start_after=start)
    except BaseException:
        engine.dispose()
        raise
    worker = StoreWorker()
    venue = VenueSettings(default_region=settings.default_region)
    return Terminal(
        settings=settings,
        location=location,
        engine=engine,
        worker=worker,
        uow_factory=uow_factory,
        directory=DirectoryService(uow_factory, venue, clock, hlc),
        identifiers=IdentifierService(uow_factory, venue, clock, hlc),
        duplicates=DuplicateFinder(uow_factory),
        merges=MergeService(uow_factory, clock, hlc, terminal=settings.terminal),
        photos=PhotoService(uow_factory),
        identification=IdentificationService(uow_factory, venue, clock, tiers=tabs.tiers),
        device_settings=DeviceSettingsService(uow_factory, TerminalDrivers(), clock),
        printing=PrintService(uow_factory),
        tab_settings=tabs,
        tabs=TabService(uow_factory, tabs, clock),
        checkout=CheckoutService(uow_factory, tabs, clock),
        accounts=AccountService(uow_factory, tabs, clock, hlc),
        actor=signed_in,
        sync_store=sync_store,
        hlc=hlc,
        seeded=seeded,
    )


def _tiers(uow_factory: SqlUnitOfWorkFactory) -> TierLadder:
    """Bronze, Silver and Gold, each with the promotion category of its name if there is
    one (the demo seeds them)."""
    with uow_factory() as uow:
        named = {c.name: c.uuid for c in uow.catalogue.promotion_categories() if c.active}
    return TierLadder.bronze_silver_gold(categories={t: named[t] for t in TIERS if t in named})


def _sign_in(uow_factory: SqlUnitOfWorkFactory) -> Actor:
    """The demo terminal signs in as the demo manager (PIN sign-in comes with the till)."""
    with uow_factory() as uow:
        staff = [member for member in uow.staff.all() if member.active]
        chosen = next((m for m in staff if m.name == DEMO_SIGN_IN), None) or next(
            (m for m in staff if m.role is Role.MANAGER), None
        )
        if chosen is None:
            raise SignInError("No active manager in this store to sign in as; add one first.")
        # Read inside the unit of work: leaving it expires what it loaded.
        return Actor(staff_uuid=chosen.uuid, name=chosen.name, role=chosen.role)


def store_facts(
    location: StoreLocation, engine: Engine, uow_factory: SqlUnitOfWorkFactory
) -> StoreFacts:
    """The self-check's view of a store: where, which schema, how much in it."""
    with uow_factory() as uow:
        customers = uow.customers.count()
        identifiers = uow.identifiers.count()
    size = sum(
        path.stat().st_size
        for path in (location.path, location.path.with_name(location.path.name + "-wal"))
        if path.exists()
    )
    return StoreFacts(
        path=str(location.path),
        schema_revision=current_revision(engine),
        head_revision=head_revision(),
        customers=customers,
        identifiers=identifiers,
        size_bytes=size,
    )


def self_check(settings: Settings) -> StoreFacts:
    """Open the store as the app would and report on it (no window)."""
    terminal = open_terminal(settings)
    try:
        return terminal.facts()
    finally:
        terminal.close()
