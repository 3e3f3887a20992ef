"""Printers in the UI: the status-bar entry fed from worker threads, a terminal printing a
closed tab on its configured printer, and a printer set up on the Devices screen."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from app.bootstrap import Settings, Terminal, enabled_devices, open_terminal, start_printing
from app.devices.printing.printers import NETWORK, TerminalDrivers
from app.devices.printing.queue_worker import Activity, PrintEvent
from app.domain.money import currency
from app.domain.payments import Tender
from app.services.checkout import CheckoutService
from app.services.devices import DeviceSettingsService
from app.services.dto import DeviceConfig
from app.services.tab_settings import TabSettings
from app.services.tabs import TabService
from app.ui.devices_dialog import DevicesContext, DevicesDialog
from app.ui.print_status import PrintQueueBridge, PrintQueueIndicator
from app.ui.tasks import TaskRunner
from tests.support.print_jobs import complete, marks
from tests.support.test_printer import LoopbackPrinter
from tests.ui import MANAGER, AnsweringPrompts, retire, ui_store

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def event(printer: str, activity: Activity, message: str) -> PrintEvent:
    return PrintEvent(printer, activity, message, AT, "job-1")


def from_a_worker_thread(bridge: PrintQueueBridge, *events: PrintEvent) -> None:
    def run() -> None:
        for each in events:
            bridge.deliver(each)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()


def test_a_waiting_receipt_shows_why_until_it_prints(qtbot: QtBot) -> None:
    bridge = PrintQueueBridge()
    indicator = PrintQueueIndicator(bridge)
    qtbot.addWidget(indicator)
    assert indicator.isHidden()

    with qtbot.waitSignal(indicator.sig_changed) as shown:
        from_a_worker_thread(
            bridge, event("Bar printer", Activity.WAITING, "Receipt waiting: Out of paper")
        )
    assert shown.args == ["Receipt waiting: Out of paper"]
    assert indicator.text() == "Receipt waiting: Out of paper"
    assert not indicator.isHidden()
    assert indicator.toolTip() == "Bar printer: Receipt waiting: Out of paper"

    with qtbot.waitSignal(indicator.sig_changed) as cleared:
        from_a_worker_thread(
            bridge,
            event("Bar printer", Activity.PRINTING, "Printing receipt…"),
            event("Bar printer", Activity.READY, "Receipt printed"),
        )
        qtbot.waitUntil(lambda: indicator.text() == "")
    assert cleared.args[0] in ("Printing receipt…", "")
    assert indicator.isHidden()


def test_the_most_pressing_printer_is_shown_and_every_printer_is_in_the_tooltip(
    qtbot: QtBot,
) -> None:
    indicator = PrintQueueIndicator()
    qtbot.addWidget(indicator)

    indicator.show_event(event("Floor printer", Activity.PRINTING, "Printing guest check…"))
    assert indicator.text() == "Printing guest check…"
    indicator.show_event(event("Bar printer", Activity.WAITING, "Receipt waiting: Cover open"))
    indicator.show_event(event("Terrace printer", Activity.WAITING, "Receipt waiting: Offline"))

    assert indicator.text() == "Receipt waiting: Cover open (and 1 more printer)"
    assert indicator.toolTip().splitlines() == [
        "Bar printer: Receipt waiting: Cover open",
        "Floor printer: Printing guest check…",
        "Terrace printer: Receipt waiting: Offline",
    ]


def test_a_terminal_prints_a_closed_tab_on_its_configured_printer(
    qtbot: QtBot, tmp_path: Path
) -> None:
    settings = Settings.from_env({"TABKEEPER_HOME": str(tmp_path), "TABKEEPER_DEMO_CUSTOMERS": "5"})
    terminal = open_terminal(settings)
    bridge = PrintQueueBridge()
    indicator = PrintQueueIndicator(bridge)
    qtbot.addWidget(indicator)
    with LoopbackPrinter() as printer:
        printer.set_status(online=False, paper_out=True)
        terminal.device_settings.save(
            terminal.actor,
            DeviceConfig("Bar printer", NETWORK, {"host": printer.host, "tcp_port": printer.port}),
        )
        assert enabled_devices(terminal.device_settings.configured()) == []  # readers only
        tab_uuid = _close_a_tab(terminal)
        station = start_printing(terminal, bridge)
        try:
            qtbot.waitUntil(
                lambda: indicator.text() == "Receipt waiting: Out of paper", timeout=10_000
            )
            printer.set_status()
            qtbot.waitUntil(lambda: indicator.isHidden(), timeout=10_000)
            [job] = [
                j
                for j in terminal.printing.recent_receipts(terminal.actor)
                if j.tab_uuid == tab_uuid
            ]
            assert job.status.value == "printed"
            [status] = station.device_statuses()
            assert (status.device, status.message) == ("Bar printer", "Receipt printed")
        finally:
            station.stop()
            terminal.close()
    [receipt] = complete(printer.print_sessions())
    assert marks(receipt) == [] and settings.venue_name in receipt.text()


def _close_a_tab(terminal: Terminal) -> str:
    """A tab closed on the demo store, as the till's tab screens will do it."""
    with terminal.engine.connect() as connection:
        item_id, price = connection.execute(text("SELECT id, price_minor FROM menu_items")).first()
    tab_settings = TabSettings(currency=currency(terminal.settings.currency))
    tabs = TabService(terminal.uow_factory, tab_settings)
    checkout = CheckoutService(terminal.uow_factory, tab_settings)
    tab = tabs.open(terminal.actor)
    tabs.add_item(terminal.actor, tab.uuid, item_id)
    checkout.pay_and_close(terminal.actor, tab.uuid, [Tender.in_cash(price * 2)])
    return tab.uuid


def test_a_manager_adds_a_printer_on_the_devices_screen(qtbot: QtBot, tmp_path: Path) -> None:
    with ui_store(tmp_path / "store.db", customers=0) as store:
        service = DeviceSettingsService(store.uow, TerminalDrivers())
        changed: list[list[DeviceConfig]] = []
        runner = TaskRunner(store.worker)
        context = DevicesContext(
            service, MANAGER, runner, list, changed.append, catalogue=TerminalDrivers()
        )
        dialog = DevicesDialog(context, AnsweringPrompts())
        qtbot.addWidget(dialog)
        with qtbot.waitSignal(dialog.sig_loaded, timeout=5000):
            dialog.start()
        with qtbot.waitSignal(dialog.sig_form_opened, timeout=5000) as opened:
            dialog.add_device()
        form = opened.args[0]
        form.select_driver(NETWORK)
        assert isinstance(form.fields["host"].widget, QLineEdit)
        assert isinstance(form.fields["tcp_port"].widget, QSpinBox)
        assert isinstance(form.fields["profile"].widget, QComboBox)
        assert isinstance(form.fields["prints_guest_checks"].widget, QCheckBox)
        form.name.setText("Bar printer")
        form.save_button.click()
        qtbot.waitUntil(form.error.isVisible, timeout=5000)
        assert "Printer address (IP or host name) is needed." in form.error.text()

        form.fields["host"].widget.setText("10.0.0.7")
        form.fields["prints_guest_checks"].widget.setChecked(False)
        with qtbot.waitSignal(dialog.sig_changed, timeout=5000):
            form.save_button.click()

        [stored] = service.configured()
        assert (stored.driver, stored.settings["host"], stored.settings["tcp_port"]) == (
            NETWORK,
            "10.0.0.7",
            9100,
        )
        assert dialog.model.index(0, 1).data() == "Receipt printer (network, port 9100)"
        assert [c.name for c in changed[0]] == ["Bar printer"]
        retire(qtbot, dialog, runner)
