"""The one place that wires Tabkeeper together: settings, store, worker, services, UI.

Nothing else builds long-lived objects; tests call :func:`open_terminal` with their own
settings and close what it returns.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field

from PySide6.QtWidgets import QApplication
from sqlalchemy import Engine

from app.demo import prepare_demo_store
from app.devices.builders import BUILDERS
from app.devices.events import DeviceStatus
from app.devices.manager import ConfiguredDevice, DeviceManager, terminator
from app.devices.pan_key import PanKeyUnavailableError, load_or_create_pan_key
from app.devices.printing.printers import TerminalDrivers, is_printer
from app.devices.printing.queue_worker import receipt_renderer
from app.devices.printing.station import PrintStation, configured_printers
from app.devices.resolution import IdentificationResolver
from app.devices.wedge import WedgeConfig
from app.domain.loyalty import TierLadder
from app.domain.staff import Actor, Role
from app.services.accounts import AccountService
from app.services.checkout import CheckoutService
from app.services.devices import DeviceSettingsService
from app.services.directory import Clock, DirectoryService, VenueSettings, utc_clock
from app.services.dto import DeviceConfig, StoreFacts
from app.services.duplicates import DuplicateFinder
from app.services.identification import IdentificationService
from app.services.identifiers import IdentifierService
from app.services.merge import MergeService
from app.services.photos import PhotoService
from app.services.printing import PrintService
from app.services.receipt_layout import VenueInfo
from app.services.tab_settings import TabSettings
from app.services.tabs import TabService
from app.services.worker import StoreWorker
from app.settings import Settings, SettingsError, tab_settings
from app.store.database import StoreLocation, create_session_factory, create_store_engine
from app.store.migrate import current_revision, head_revision, upgrade_store
from app.store.unit_of_work import SqlUnitOfWorkFactory
from app.ui.app import close_application, create_application, run_headless_check, run_interactive
from app.ui.devices_dialog import DevicesContext
from app.ui.directory_context import DirectoryContext
from app.ui.formatting import DisplayFormats
from app.ui.identification_banner import DeviceBridge
from app.ui.main_window import MainWindow
from app.ui.print_status import PrintQueueBridge, PrintQueueIndicator
from app.ui.tasks import TaskRunner
from app.ui.virtual_display import DisplayStartError, VirtualDisplay, display_available
from app.ui.wedge_filter import WedgeFilter

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


def open_terminal(settings: Settings, *, clock: Clock = utc_clock) -> Terminal:
    """Open (creating, upgrading and on first run seeding) the store, and wire the services.

    ``clock`` is what the services take as now (tests pass their own).
    """
    location = StoreLocation(settings.store_path)
    engine = create_store_engine(location)
    try:
        revision = upgrade_store(engine)
        log.info("Store %s is at schema revision %s", location.path, revision)
        uow_factory = SqlUnitOfWorkFactory(create_session_factory(engine))
        # A demo terminal seeds an empty store and completes one an earlier demo seeded.
        seeded = settings.demo and prepare_demo_store(
            engine, settings.demo_customers, settings.demo_seed
        )
        actor = _sign_in(uow_factory)
        tabs = tab_settings(settings, _tiers(uow_factory))
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
        directory=DirectoryService(uow_factory, venue, clock),
        identifiers=IdentifierService(uow_factory, venue, clock),
        duplicates=DuplicateFinder(uow_factory),
        merges=MergeService(uow_factory, clock),
        photos=PhotoService(uow_factory),
        identification=IdentificationService(uow_factory, venue, clock, tiers=tabs.tiers),
        device_settings=DeviceSettingsService(uow_factory, TerminalDrivers(), clock),
        printing=PrintService(uow_factory),
        tab_settings=tabs,
        tabs=TabService(uow_factory, tabs, clock),
        checkout=CheckoutService(uow_factory, tabs, clock),
        accounts=AccountService(uow_factory, tabs, clock),
        actor=actor,
        seeded=seeded,
    )


def start_devices(terminal: Terminal, bridge: DeviceBridge) -> DeviceManager:
    """Start this terminal's configured devices; what they read reaches ``bridge``.

    A demo store gets a keyboard-wedge reader on first run, so a USB reader that types
    works out of the box.
    """
    settings = terminal.device_settings
    if terminal.seeded and not settings.configured():
        settings.save(terminal.actor, DeviceConfig("Keyboard card reader", "keyboard-wedge"))
    resolver = IdentificationResolver(
        terminal.identification, lambda: terminal.actor, bridge.deliver
    )
    manager = DeviceManager(resolver, BUILDERS, pan_hmac_key=bank_card_key(terminal.settings))
    manager.start(enabled_devices(settings.configured()))
    return manager


def bank_card_key(settings: Settings) -> bytes | None:
    """The keyring's HMAC key when the venue identifies regulars by bank card, else None.

    Without a usable keyring the option stays off and the log says why; the key is never
    kept beside the store.
    """
    if not settings.identify_by_bank_card:
        return None
    try:
        return load_or_create_pan_key(settings.terminal)
    except PanKeyUnavailableError as error:
        log.warning("Bank-card identification is off: %s", error)
        return None


def enabled_devices(configs: Sequence[DeviceConfig]) -> list[ConfiguredDevice]:
    """What the device manager runs: the configured readers that are in use (the print
    station runs the printers)."""
    return [
        ConfiguredDevice(c.name, c.driver, c.settings)
        for c in configs
        if c.enabled and not is_printer(c.driver)
    ]


def start_printing(terminal: Terminal, bridge: PrintQueueBridge) -> PrintStation:
    """Start a worker per configured printer, after marking jobs a crash cut off REPRINT;
    what the printers report reaches ``bridge``. A reprint wakes them at once."""
    station = PrintStation(
        terminal.printing,
        terminal.worker,
        receipt_renderer(
            VenueInfo(terminal.settings.venue_name, timezone=terminal.settings.time_zone)
        ),
        bridge.deliver,
    )
    terminal.printing.on_queued = station.wake
    station.start(configured_printers(terminal.device_settings.configured()))
    return station


def devices_context(
    terminal: Terminal,
    runner: TaskRunner,
    manager: DeviceManager,
    wedges: KeyboardWedges | None = None,
    printers: PrintStation | None = None,
) -> DevicesContext:
    """The devices screen's wiring: after a save or removal the devices restart."""

    def changed(configs: list[DeviceConfig]) -> None:
        manager.restart(enabled_devices(configs))
        if wedges is not None:
            wedges.install(configs)
        if printers is not None:
            printers.restart(configured_printers(configs))

    def statuses() -> list[DeviceStatus]:
        printing = printers.device_statuses() if printers is not None else []
        return sorted(manager.statuses() + printing, key=lambda status: status.device)

    return DevicesContext(
        service=terminal.device_settings,
        actor=terminal.actor,
        runner=runner,
        statuses=statuses,
        on_changed=changed,
        catalogue=TerminalDrivers(),
    )


@dataclass
class KeyboardWedges:
    """The installed keyboard filters, rebuilt whenever the devices change."""

    app: QApplication
    manager: DeviceManager
    filters: list[WedgeFilter] = field(default_factory=list)  # held: Qt does not own them

    def install(self, configs: list[DeviceConfig]) -> None:
        for old in self.filters:
            self.app.removeEventFilter(old)
        self.filters = _wedge_filters(configs, self.manager)
        for wedge in self.filters:
            self.app.installEventFilter(wedge)


def _wedge_filters(configs: list[DeviceConfig], manager: DeviceManager) -> list[WedgeFilter]:
    filters = []
    for config in configs:
        if config.driver != "keyboard-wedge" or not config.enabled:
            continue
        s = config.settings
        wedge = WedgeFilter(
            WedgeConfig(
                max_gap_s=int(str(s.get("max_gap_ms", 40))) / 1000,
                min_length=int(str(s.get("min_length", 4))),
                terminators=(terminator(s) or b"").decode(),
                sentinels=str(s.get("sentinels", "%;+")),
            )
        )
        name = config.name
        wedge.sig_burst.connect(lambda text, name=name: manager.feed(name, text.encode()))
        filters.append(wedge)
    return filters


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


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="tabkeeper", description="Tabkeeper POS terminal")
    parser.add_argument(
        "--check",
        action="store_true",
        help="open the store and the main screens, save screenshots and a self-check report",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the terminal; on a machine without a display, run the self-check on Xvfb."""
    args = _parse(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    check = args.check
    display: VirtualDisplay | None = None
    if not display_available(os.environ):
        check = True
        print("No display available (DISPLAY, WAYLAND_DISPLAY and QT_QPA_PLATFORM are unset).")
        xvfb = shutil.which("Xvfb")
        if xvfb is not None:
            try:
                display = VirtualDisplay.start(xvfb)
            except DisplayStartError as error:
                print(f"{error} Falling back to Qt's offscreen platform.")
        else:
            print("Xvfb is not installed: using Qt's offscreen platform instead.")
        if display is not None:
            os.environ["DISPLAY"] = display.name
            print(f"Started Xvfb on display {display.name}; running the self-check there.")
        else:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
    try:
        return _run(Settings.from_env(), check=check)
    except (SignInError, SettingsError) as error:
        print(error)
        return 2
    finally:
        if display is not None:
            display.stop()
            print(f"Stopped Xvfb on {display.name}.")


def _run(settings: Settings, *, check: bool) -> int:
    terminal = open_terminal(settings)
    app = create_application(sys.argv[:1])
    stack = ExitStack()
    try:
        runner = TaskRunner(terminal.worker)
        context = DirectoryContext(
            service=terminal.directory,
            actor=terminal.actor,
            runner=runner,
            formats=DisplayFormats(settings.locale, settings.currency),
            load_categories=terminal.promotion_categories,
            identifiers=terminal.identifiers,
            duplicates=terminal.duplicates,
            merges=terminal.merges,
            photos=terminal.photos,
        )
        bridge = DeviceBridge()
        devices = start_devices(terminal, bridge)
        stack.callback(devices.stop)
        print_bridge = PrintQueueBridge()
        printers = start_printing(terminal, print_bridge)
        stack.callback(printers.stop)
        wedges = KeyboardWedges(app, devices)
        wedges.install(terminal.device_settings.configured())
        window = MainWindow(
            context,
            venue_name=settings.venue_name,
            store_label=str(terminal.location.path),
            devices=devices_context(terminal, runner, devices, wedges, printers),
        )
        bridge.sig_resolved.connect(window.banner.show_resolved)
        window.statusBar().addPermanentWidget(PrintQueueIndicator(print_bridge))
        if not check:
            return run_interactive(app, window)
        report = run_headless_check(window, settings.selfcheck_dir, terminal.facts())
        print(report.as_text(), end="")
        print(f"Screenshots and report: {settings.selfcheck_dir}")
        close_application(app, window)
        return 0 if report.ok else 1
    finally:
        stack.close()  # devices stop before the store they read from closes
        terminal.close()
