"""Managers set up this terminal's card readers, scanners and caller-ID units here.

The list shows each configured device with its live status; the form is generated from
the driver's declared settings, so a new driver needs no new screen. Saving goes through
``DeviceSettingsService`` on the store thread; ``on_changed`` then restarts the devices.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.devices.drivers import DriverCatalogue, DriverSpec, Setting
from app.devices.events import DeviceStatus
from app.devices.pcsc_reader import SmartCardServiceError, list_readers
from app.devices.serial_port import PortInfo, list_serial_ports
from app.domain.errors import ValidationError
from app.domain.staff import Actor
from app.services.devices import DeviceSettingsService
from app.services.dto import DeviceConfig
from app.ui.prompts import DialogPrompts, Prompts
from app.ui.record_context import ERROR_STYLE
from app.ui.rows_model import RowColumn, RowsModel, rows_table
from app.ui.tasks import TaskFailure, TaskRunner, while_alive

STATUS_EVERY_MS = 1_000
READERS_UNAVAILABLE = (
    "Smart-card service unavailable: type part of the reader's name, or leave empty."
)


@dataclass(frozen=True, slots=True)
class DevicesContext:
    """What the devices screen needs, wired by the bootstrap (tests wire their own)."""

    service: DeviceSettingsService
    actor: Actor
    runner: TaskRunner
    statuses: Callable[[], list[DeviceStatus]]  # DeviceManager.statuses: thread-safe
    on_changed: Callable[[list[DeviceConfig]], None]  # the configuration now stored
    catalogue: DriverCatalogue = field(default_factory=DriverCatalogue)
    list_ports: Callable[[], list[PortInfo]] = list_serial_ports
    list_readers: Callable[[], list[str]] = list_readers


# --- one field per declared setting ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class SettingField:
    """A setting's widget and how to read the value the person chose."""

    setting: Setting
    widget: QWidget
    value: Callable[[], object]


def _choice_combo(values: list[object], current: object, editable: bool) -> QComboBox:
    combo = QComboBox()
    combo.setEditable(editable)
    for value in values:
        combo.addItem(str(value), value)
    # A stored 9600 and the choice 9600 match; True must not match the choice 1.
    index = next((i for i, v in enumerate(values) if v == current and type(v) is type(current)), -1)
    if index < 0:
        index = next((i for i, v in enumerate(values) if str(v) == str(current)), -1)
    if index < 0 and editable and current not in (None, ""):
        combo.insertItem(0, str(current), current)  # stored but not plugged in now
        index = 0
    if index >= 0:
        combo.setCurrentIndex(index)
    elif editable:
        combo.setCurrentIndex(-1)  # nothing chosen yet: the field reads as empty
    return combo


def setting_field(
    setting: Setting,
    current: object,
    ports: Callable[[], list[PortInfo]],
    readers: Callable[[], list[str]],
) -> SettingField:
    """The widget for ``setting``: a choice, a number with its bounds, yes/no, or text."""
    default = setting.default
    if setting.name == "port" and not isinstance(default, int):  # a serial port, not UDP
        present = ports()
        combo = _choice_combo([p.device for p in present], current, editable=True)
        for index, port in enumerate(present):
            combo.setItemData(index, port.description, Qt.ItemDataRole.ToolTipRole)
        combo.lineEdit().setPlaceholderText("e.g. /dev/ttyUSB0 or COM3")
        return SettingField(setting, combo, lambda: combo.currentText().strip())
    if setting.name == "reader":
        try:
            found: list[object] = ["", *readers()]
            note = ""
        except SmartCardServiceError:
            found, note = [""], READERS_UNAVAILABLE
        combo = _choice_combo(found, current, editable=True)
        combo.setToolTip(note)
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(combo)
        if note:
            column.addWidget(QLabel(note))
        return SettingField(setting, box, lambda: combo.currentText().strip())
    if setting.choices:
        combo = _choice_combo(list(setting.choices), current, editable=False)
        return SettingField(setting, combo, combo.currentData)
    if isinstance(default, bool):
        check = QCheckBox()
        check.setChecked(bool(current))
        return SettingField(setting, check, check.isChecked)
    if isinstance(default, int):
        spin = QSpinBox()
        spin.setRange(int(setting.minimum or 0), int(setting.maximum or 1_000_000))
        spin.setValue(int(str(current)))
        return SettingField(setting, spin, spin.value)
    if isinstance(default, float):
        double = QDoubleSpinBox()
        double.setDecimals(2)
        double.setRange(setting.minimum or 0.0, setting.maximum or 1_000_000.0)
        double.setValue(float(str(current)))
        return SettingField(setting, double, double.value)
    line = QLineEdit("" if current is None else str(current))
    return SettingField(setting, line, line.text)


# --- the form -------------------------------------------------------------------------


class DeviceForm(QDialog):
    """One device's name, driver and settings. Save emits ``sig_submitted``; the caller
    runs the use case and calls ``accept()`` or ``show_failure()``, which keeps the input."""

    sig_submitted = Signal(object)  # DeviceConfig

    def __init__(
        self,
        context: DevicesContext,
        config: DeviceConfig | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = context
        self._original = config or DeviceConfig(name="", driver="keyboard-wedge")
        self.setWindowTitle("Add a device" if config is None else f"Device '{config.name}'")
        self.setMinimumWidth(520)
        self.name = QLineEdit(self._original.name)
        self.name.setPlaceholderText("e.g. Bar card reader")
        self.driver = QComboBox()
        for spec in context.catalogue.specs():
            self.driver.addItem(spec.label, spec.id)
        self.enabled = QCheckBox("In use")
        self.enabled.setChecked(self._original.enabled)
        self.fields: dict[str, SettingField] = {}
        self._settings_form = QFormLayout()
        self._settings_box = QWidget()
        self._settings_box.setLayout(self._settings_form)

        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton("Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)

        top = QFormLayout()
        top.addRow("Name", self.name)
        top.addRow("Driver", self.driver)
        top.addRow("", self.enabled)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self._settings_box)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        index = self.driver.findData(self._original.driver)
        self.driver.setCurrentIndex(max(index, 0))
        self.driver.currentIndexChanged.connect(self._driver_changed)
        self._driver_changed()

    def spec(self) -> DriverSpec:
        return self._ctx.catalogue.spec(str(self.driver.currentData()))

    def select_driver(self, driver: str) -> None:
        self.driver.setCurrentIndex(self.driver.findData(driver))

    def _driver_changed(self) -> None:
        spec = self.spec()
        # What was typed survives a change of driver where the setting has the same name.
        kept: Mapping[str, object] = (
            {name: f.value() for name, f in self.fields.items()}
            if self.fields
            else (self._original.settings if spec.id == self._original.driver else {})
        )
        while self._settings_form.rowCount():
            self._settings_form.removeRow(0)
        self.fields = {}
        for setting in spec.settings:
            current = kept.get(setting.name, setting.default)
            try:
                made = setting_field(setting, current, self._ctx.list_ports, self._ctx.list_readers)
            except (TypeError, ValueError):  # a kept value of another type: start afresh
                made = setting_field(
                    setting, setting.default, self._ctx.list_ports, self._ctx.list_readers
                )
            self.fields[setting.name] = made
            self._settings_form.addRow(setting.label, made.widget)

    def config(self) -> DeviceConfig:
        """The device as entered, keeping the stored id so a save changes it."""
        return replace(
            self._original,
            name=self.name.text(),
            driver=self.spec().id,
            settings={name: f.value() for name, f in self.fields.items()},
            enabled=self.enabled.isChecked(),
        )

    def _submit(self) -> None:
        self.error.hide()
        self.set_busy(True)
        self.sig_submitted.emit(self.config())

    def set_busy(self, busy: bool) -> None:
        self.save_button.setEnabled(not busy)
        self.save_button.setText("Saving…" if busy else "Save")

    def show_failure(self, failure: TaskFailure) -> None:
        """The service refused the device: list every problem, keep what was entered."""
        self.set_busy(False)
        error = failure.error
        problems = error.problems if isinstance(error, ValidationError) else []
        self.error.setText("\n".join(p.message for p in problems) or failure.message)
        self.error.show()


# --- the list -------------------------------------------------------------------------


class DevicesDialog(QDialog):
    """The configured devices with their live status; Add, Edit and Remove."""

    sig_loaded = Signal()  # the list was read from the store
    sig_changed = Signal()  # a device was saved or removed, and on_changed was told
    sig_form_opened = Signal(object)  # DeviceForm, for tests and screenshots
    sig_failed = Signal(str)

    def __init__(
        self,
        context: DevicesContext,
        prompts: Prompts | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = context
        self._prompts = prompts or DialogPrompts(self)
        self._statuses: dict[str, DeviceStatus] = {}
        self.setWindowTitle("Devices")
        self.resize(760, 360)
        labels = {spec.id: spec.label for spec in context.catalogue.specs()}
        self.model: RowsModel[DeviceConfig] = RowsModel(
            [
                RowColumn("Name", lambda c: c.name),
                RowColumn("Driver", lambda c: labels.get(c.driver, c.driver)),
                RowColumn("State", self._state_text),
                RowColumn("Message", self._message_text),
            ],
            self,
        )
        self.table = rows_table(self.model)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.add_button = QPushButton("Add…")
        self.edit_button = QPushButton("Edit…")
        self.remove_button = QPushButton("Remove")
        self.add_button.clicked.connect(self.add_device)
        self.edit_button.clicked.connect(self.edit_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addLayout(row)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.sig_failed.connect(self._show_error)
        self._update_buttons()

        self.timer = QTimer(self)
        self.timer.setInterval(STATUS_EVERY_MS)
        self.timer.timeout.connect(self.refresh_statuses)
        self.finished.connect(self.timer.stop)

    def start(self) -> None:
        """Load the list and start following the devices' status."""
        self.refresh_statuses()
        self.timer.start()
        self.reload()

    def reload(self, then: Callable[[list[DeviceConfig]], None] | None = None) -> None:
        def loaded(configs: list[DeviceConfig]) -> None:
            self.model.set_items(configs)
            self._update_buttons()
            self.sig_loaded.emit()
            if then is not None:
                then(configs)

        self._ctx.runner.run(
            self._ctx.service.configured, while_alive(self, loaded), while_alive(self, self._failed)
        )

    def refresh_statuses(self) -> None:
        """Read the live statuses; only the status columns repaint, the selection stays."""
        self._statuses = {status.device: status for status in self._ctx.statuses()}
        rows = self.model.rowCount()
        if rows:
            self.model.dataChanged.emit(self.model.index(0, 2), self.model.index(rows - 1, 3))

    def _state_text(self, config: DeviceConfig) -> str:
        if not config.enabled:
            return "Not in use"
        status = self._statuses.get(config.name)
        return status.state.value.capitalize() if status is not None else "No report yet"

    def _message_text(self, config: DeviceConfig) -> str:
        status = self._statuses.get(config.name) if config.enabled else None
        return status.message if status is not None else ""

    def selected(self) -> DeviceConfig | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.item_at(rows[0].row()) if rows else None

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        self.edit_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)

    def add_device(self) -> None:
        self._open_form(None)

    def edit_selected(self) -> None:
        config = self.selected()
        if config is not None:
            self._open_form(config)

    def _open_form(self, config: DeviceConfig | None) -> None:
        form = DeviceForm(self._ctx, config, self)
        form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form.sig_submitted.connect(lambda entered: self._save(form, entered))
        form.open()
        self.sig_form_opened.emit(form)

    def _save(self, form: DeviceForm, config: DeviceConfig) -> None:
        ctx = self._ctx

        def saved(_stored: DeviceConfig) -> None:
            if shiboken6.isValid(form):
                form.accept()
            self.reload(self._tell_changed)

        ctx.runner.run(
            lambda: ctx.service.save(ctx.actor, config),
            while_alive(self, saved),
            while_alive(form, form.show_failure),
        )

    def remove_selected(self) -> None:
        config = self.selected()
        if config is None or config.id is None:
            return
        question = f"Remove '{config.name}' from this terminal? It stops reading at once."
        if not self._prompts.confirm("Remove device", question):
            return
        ctx, device_id = self._ctx, config.id
        ctx.runner.run(
            lambda: ctx.service.remove(ctx.actor, device_id),
            while_alive(self, lambda _none: self.reload(self._tell_changed)),
            while_alive(self, self._failed),
        )

    def _tell_changed(self, configs: list[DeviceConfig]) -> None:
        self.error.hide()
        self._ctx.on_changed(configs)
        self.refresh_statuses()
        self.sig_changed.emit()

    def _failed(self, failure: TaskFailure) -> None:
        self.sig_failed.emit(failure.message)

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
