"""The one place that wires Tabkeeper's screens together: the Qt application, devices,
printers and the sync status, on top of the headless wiring in :mod:`app.wiring`.

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
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QApplication

from app.devices.builders import BUILDERS
from app.devices.events import DeviceStatus
from app.devices.manager import ConfiguredDevice, DeviceManager, terminator
from app.devices.pan_key import PanKeyUnavailableError, load_or_create_pan_key
from app.devices.printing.printers import TerminalDrivers, is_printer
from app.devices.printing.queue_worker import receipt_renderer
from app.devices.printing.station import PrintStation, configured_printers
from app.devices.resolution import IdentificationResolver
from app.devices.wedge import WedgeConfig
from app.services.dto import DeviceConfig
from app.services.receipt_layout import VenueInfo
from app.settings import Settings, SettingsError
from app.sync.link import SyncLink
from app.ui.app import close_application, create_application, run_headless_check, run_interactive
from app.ui.devices_dialog import DevicesContext
from app.ui.directory_context import DirectoryContext
from app.ui.formatting import DisplayFormats
from app.ui.head_office_dialog import HeadOfficeContext
from app.ui.identification_banner import DeviceBridge
from app.ui.main_window import MainWindow
from app.ui.print_status import PrintQueueBridge, PrintQueueIndicator
from app.ui.sync_status import SyncStatusBridge, SyncStatusIndicator
from app.ui.tasks import TaskRunner
from app.ui.virtual_display import DisplayStartError, VirtualDisplay, display_available
from app.ui.wedge_filter import WedgeFilter
from app.wiring.sync import open_sync
from app.wiring.terminal import SignInError, Terminal, open_terminal, self_check

log = logging.getLogger("app")

__all__ = [  # what tests and callers import from here; built in app.wiring
    "Settings",
    "SignInError",
    "Terminal",
    "open_terminal",
    "self_check",
]


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


def directory_context(terminal: Terminal, runner: TaskRunner) -> DirectoryContext:
    """The directory screen's wiring: the terminal's services, run through ``runner``."""
    settings = terminal.settings
    return DirectoryContext(
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


def sync_indicator(sync: SyncLink, settings: Settings) -> SyncStatusIndicator:
    """The status bar's sync entry, told every status through a queued signal."""
    bridge = SyncStatusBridge()
    indicator = SyncStatusIndicator(
        bridge, sync_now=sync.sync_now, time_zone=ZoneInfo(settings.time_zone)
    )
    bridge.setParent(indicator)  # lives (and dies) with the widget, on the UI thread
    sync.add_listener(bridge.deliver)
    indicator.destroyed.connect(lambda: sync.remove_listener(bridge.deliver))
    return indicator


def head_office_context(sync: SyncLink, terminal: Terminal) -> HeadOfficeContext:
    """The enrolment dialog's wiring: enrol through the sync link, suggest what is known."""
    state = terminal.sync_store.state()
    return HeadOfficeContext(
        enrol=sync.enrol,
        head_office_url=state.server_url or terminal.settings.head_office_url,
        terminal_name=state.terminal_name or terminal.settings.terminal,
    )


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="tabkeeper", description="Tabkeeper POS terminal")
    parser.add_argument(
        "--check",
        action="store_true",
        help="open the store and the main screens, save screenshots and a self-check report",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the terminal; on a machine without a display, run the self-check on Xvfb.
    ``sync …`` runs a sync command instead (app.wiring.cli), with no window."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["sync"]:
        from app.wiring.cli import main as sync_main

        return sync_main(arguments[1:])
    args = _parse(arguments)
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
        context = directory_context(terminal, runner)
        bridge = DeviceBridge()
        devices = start_devices(terminal, bridge)
        stack.callback(devices.stop)
        print_bridge = PrintQueueBridge()
        printers = start_printing(terminal, print_bridge)
        stack.callback(printers.stop)
        wedges = KeyboardWedges(app, devices)
        wedges.install(terminal.device_settings.configured())
        sync = open_sync(terminal)
        stack.callback(sync.stop)
        window = MainWindow(
            context,
            venue_name=settings.venue_name,
            store_label=str(terminal.location.path),
            devices=devices_context(terminal, runner, devices, wedges, printers),
            sync_status=sync_indicator(sync, settings),
            head_office=head_office_context(sync, terminal),
        )
        bridge.sig_resolved.connect(window.banner.show_resolved)
        window.statusBar().addPermanentWidget(PrintQueueIndicator(print_bridge))
        if not check:  # the self-check stays off the network
            sync.start()
            return run_interactive(app, window)
        report = run_headless_check(window, settings.selfcheck_dir, terminal.facts())
        print(report.as_text(), end="")
        print(f"Screenshots and report: {settings.selfcheck_dir}")
        close_application(app, window)
        return 0 if report.ok else 1
    finally:
        stack.close()  # devices stop before the store they read from closes
        terminal.close()
