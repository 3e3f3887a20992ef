"""End to end on a demo terminal: a reader that types a card number, the wedge filter, the
device manager, identification against the store, and the strip above the directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.bootstrap import KeyboardWedges, Settings, Terminal, open_terminal, start_devices
from app.store import schema
from app.ui.identification_banner import DeviceBridge, IdentificationBanner


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    settings = Settings.from_env(
        {"TABKEEPER_HOME": str(tmp_path), "TABKEEPER_DEMO_CUSTOMERS": "20"}
    )
    opened = open_terminal(settings)
    try:
        yield opened
    finally:
        opened.close()


def _a_barcode_card(terminal: Terminal) -> tuple[str, str]:
    i, c = schema.identifiers.c, schema.customers.c
    with terminal.engine.connect() as connection:
        value, name = connection.execute(
            select(i.value, c.full_name)
            .join(schema.customers, c.id == i.customer_id)
            .where(i.kind == "barcode_card", i.status == "active", c.status == "active")
            .limit(1)
        ).one()
    return str(value), str(name)


def test_a_card_typed_by_a_reader_shows_its_customer(qtbot: QtBot, terminal: Terminal) -> None:
    value, name = _a_barcode_card(terminal)
    banner = IdentificationBanner()
    field = QLineEdit()
    qtbot.addWidget(banner)
    qtbot.addWidget(field)
    field.show()
    field.setFocus()
    bridge = DeviceBridge()
    bridge.sig_resolved.connect(banner.show_resolved)
    manager = start_devices(terminal, bridge)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    wedges = KeyboardWedges(app, manager)
    wedges.install(terminal.device_settings.configured())
    assert len(wedges.filters) == 1
    try:
        qtbot.keyClicks(field, value, delay=2)
        qtbot.keyClick(field, Qt.Key.Key_Return, delay=2)
        qtbot.waitUntil(lambda: banner.isVisible() and name in banner.label.text(), timeout=5000)
        assert field.text() == ""  # the card number never landed in the field
        qtbot.keyClicks(field, "9999999999994", delay=2)
        qtbot.keyClick(field, Qt.Key.Key_Return, delay=2)
        qtbot.waitUntil(lambda: "Unknown barcode card" in banner.label.text(), timeout=5000)
        wedges.install([])  # the reader was removed in the devices screen
        qtbot.keyClicks(field, "2900", delay=2)
        qtbot.waitUntil(lambda: field.text() == "2900", timeout=5000)
    finally:
        wedges.install([])
        manager.stop()
