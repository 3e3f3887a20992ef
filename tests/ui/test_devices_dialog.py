"""The devices screen: the list with live status, the generated form, save and remove."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox
from pytestqt.qtbot import QtBot

from app.devices.drivers import DriverCatalogue
from app.devices.events import DeviceState, DeviceStatus
from app.devices.pcsc_reader import SmartCardServiceError
from app.devices.serial_port import PortInfo
from app.domain.staff import Actor, Role
from app.services.devices import DeviceSettingsService
from app.services.dto import DeviceConfig
from app.ui.devices_dialog import READERS_UNAVAILABLE, DeviceForm, DevicesContext, DevicesDialog
from app.ui.main_window import MainWindow
from app.ui.tasks import TaskRunner
from tests.ui import MANAGER, AnsweringPrompts, UiStore, retire, ui_store

_LEFT = Qt.MouseButton.LeftButton
AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class Terminal:
    """What the dialog talks to besides the store: live statuses and the restart hook."""

    def __init__(self) -> None:
        self.statuses: list[DeviceStatus] = []
        self.changed: list[list[DeviceConfig]] = []
        self.ports = [PortInfo("/dev/ttyUSB0", "USB serial", "USB VID:PID=0403:6001")]

    def no_readers(self) -> list[str]:
        raise SmartCardServiceError("pcscd is not running")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[UiStore]:
    with ui_store(tmp_path / "store.db", customers=0) as store:
        yield store


@pytest.fixture
def terminal() -> Terminal:
    return Terminal()


@pytest.fixture
def service(store: UiStore) -> DeviceSettingsService:
    return DeviceSettingsService(store.uow, DriverCatalogue())


@pytest.fixture
def dialog(
    qtbot: QtBot, store: UiStore, service: DeviceSettingsService, terminal: Terminal
) -> Iterator[DevicesDialog]:
    runner = TaskRunner(store.worker)
    context = DevicesContext(
        service=service,
        actor=MANAGER,
        runner=runner,
        statuses=lambda: list(terminal.statuses),
        on_changed=terminal.changed.append,
        list_ports=lambda: list(terminal.ports),
        list_readers=terminal.no_readers,
    )
    screen = DevicesDialog(context, AnsweringPrompts())
    qtbot.addWidget(screen)
    screen.show()
    with qtbot.waitSignal(screen.sig_loaded, timeout=5000):
        screen.start()
    yield screen
    retire(qtbot, screen, runner)


def open_add(qtbot: QtBot, dialog: DevicesDialog, driver: str) -> DeviceForm:
    with qtbot.waitSignal(dialog.sig_form_opened, timeout=5000) as opened:
        qtbot.mouseClick(dialog.add_button, _LEFT)
    form = opened.args[0]
    assert isinstance(form, DeviceForm)
    form.select_driver(driver)
    return form


def test_adding_a_keyboard_wedge_saves_it_lists_it_and_restarts_devices(
    qtbot: QtBot, dialog: DevicesDialog, service: DeviceSettingsService, terminal: Terminal
) -> None:
    form = open_add(qtbot, dialog, "keyboard-wedge")
    assert isinstance(form.fields["max_gap_ms"].widget, QSpinBox)
    assert isinstance(form.fields["terminator"].widget, QComboBox)
    assert isinstance(form.fields["sentinels"].widget, QLineEdit)
    form.name.setText("Bar card reader")
    with qtbot.waitSignal(dialog.sig_changed, timeout=5000):
        qtbot.mouseClick(form.save_button, _LEFT)

    stored = service.configured()
    assert [(c.name, c.driver) for c in stored] == [("Bar card reader", "keyboard-wedge")]
    assert stored[0].settings["min_length"] == 4
    assert [c.name for c in dialog.model.items()] == ["Bar card reader"]
    assert dialog.model.index(0, 1).data() == "Card reader or scanner that types (keyboard wedge)"
    assert [[c.name for c in configs] for configs in terminal.changed] == [["Bar card reader"]]

    terminal.statuses = [
        DeviceStatus("Bar card reader", DeviceState.CONNECTED, "Listening for the keyboard", AT)
    ]
    qtbot.waitUntil(lambda: dialog.model.index(0, 2).data() == "Connected", timeout=3000)
    assert dialog.model.index(0, 3).data() == "Listening for the keyboard"


def test_a_serial_device_without_a_port_is_refused_and_the_form_stays_open(
    qtbot: QtBot, dialog: DevicesDialog, service: DeviceSettingsService, terminal: Terminal
) -> None:
    terminal.ports = []
    form = open_add(qtbot, dialog, "serial-magstripe")
    port = form.fields["port"].widget
    assert isinstance(port, QComboBox) and port.isEditable()
    form.name.setText("Door reader")
    qtbot.mouseClick(form.save_button, _LEFT)
    qtbot.waitUntil(form.error.isVisible, timeout=5000)

    assert "Serial port is needed" in form.error.text()
    assert form.isVisible() and form.name.text() == "Door reader"
    assert form.save_button.isEnabled()
    assert service.configured() == [] and terminal.changed == []


def test_the_port_picker_offers_the_ports_present(qtbot: QtBot, dialog: DevicesDialog) -> None:
    form = open_add(qtbot, dialog, "serial-barcode")
    port = form.fields["port"].widget
    assert isinstance(port, QComboBox)
    assert [port.itemText(i) for i in range(port.count())] == ["/dev/ttyUSB0"]
    assert isinstance(form.fields["aim_ids"].widget, QCheckBox)
    assert form.config().settings["baudrate"] == 9600


def test_without_the_smart_card_service_the_reader_field_says_so(
    qtbot: QtBot, dialog: DevicesDialog
) -> None:
    form = open_add(qtbot, dialog, "pcsc")
    assert READERS_UNAVAILABLE in form.fields["reader"].widget.findChildren(QComboBox)[0].toolTip()
    assert form.config().settings == {"reader": ""}


def test_editing_keeps_the_settings_and_removing_forgets_the_device(
    qtbot: QtBot, dialog: DevicesDialog, service: DeviceSettingsService, terminal: Terminal
) -> None:
    service.save(MANAGER, DeviceConfig("Till scanner", "serial-barcode", {"port": "COM3"}))
    with qtbot.waitSignal(dialog.sig_loaded, timeout=5000):
        dialog.reload()
    dialog.select_row(0)
    with qtbot.waitSignal(dialog.sig_form_opened, timeout=5000) as opened:
        qtbot.mouseClick(dialog.edit_button, _LEFT)
    form: DeviceForm = opened.args[0]
    assert form.fields["port"].value() == "COM3"
    form.enabled.setChecked(False)
    with qtbot.waitSignal(dialog.sig_changed, timeout=5000):
        qtbot.mouseClick(form.save_button, _LEFT)
    assert [(c.name, c.enabled) for c in service.configured()] == [("Till scanner", False)]
    assert dialog.model.index(0, 2).data() == "Not in use"

    dialog.select_row(0)
    with qtbot.waitSignal(dialog.sig_changed, timeout=5000):
        qtbot.mouseClick(dialog.remove_button, _LEFT)
    assert service.configured() == []
    assert dialog.model.rowCount() == 0
    assert terminal.changed[-1] == []
    assert len(terminal.changed) == 2


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CASHIER])
def test_the_main_window_opens_devices_for_managers_only(
    qtbot: QtBot, store: UiStore, service: DeviceSettingsService, role: Role
) -> None:
    runner = TaskRunner(store.worker)
    actor = Actor(staff_uuid=MANAGER.staff_uuid, name="Sam", role=role)
    context = replace(store.context(runner), actor=actor)
    devices = DevicesContext(service, actor, runner, statuses=list, on_changed=lambda _c: None)
    window = MainWindow(context, venue_name="Test", store_label="test.db", devices=devices)
    qtbot.addWidget(window)
    assert window.devices_action.isEnabled() is (role is Role.MANAGER)
    opened = window.open_devices()
    if role is Role.MANAGER:
        assert opened is not None
        qtbot.waitUntil(lambda: runner.pending() == 0, timeout=5000)
        assert opened.isVisible()
    else:
        assert opened is None
    retire(qtbot, window, runner)
