"""The wedge filter on real Qt key events: bursts are caught, typing lands where it should."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from app.ui.wedge_filter import WedgeFilter


@pytest.fixture
def form(qtbot: QtBot) -> Iterator[tuple[WedgeFilter, QLineEdit, QLineEdit]]:
    window = QWidget()
    layout = QVBoxLayout(window)
    first, second = QLineEdit(), QLineEdit()
    layout.addWidget(first)
    layout.addWidget(second)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    wedge = WedgeFilter()
    app = QApplication.instance()
    assert app is not None
    app.installEventFilter(wedge)
    first.setFocus()
    try:
        yield wedge, first, second
    finally:
        app.removeEventFilter(wedge)


def test_a_scanner_burst_never_lands_in_the_field(qtbot: QtBot, form) -> None:  # type: ignore[no-untyped-def]
    wedge, field, _ = form
    with qtbot.waitSignal(wedge.sig_burst, timeout=2000) as burst:
        qtbot.keyClicks(field, "2900000012345", delay=3)
        qtbot.keyClick(field, Qt.Key.Key_Return, delay=3)
    assert burst.args == ["2900000012345"]
    assert field.text() == ""


def test_a_stripe_swipe_is_caught(qtbot: QtBot, form) -> None:  # type: ignore[no-untyped-def]
    wedge, field, _ = form
    with qtbot.waitSignal(wedge.sig_burst, timeout=2000) as burst:
        qtbot.keyClicks(field, ";6391000012345678=4912?", delay=2)
        qtbot.keyClick(field, Qt.Key.Key_Return, delay=2)
    assert burst.args == [";6391000012345678=4912?"]
    assert field.text() == ""


def test_a_fast_typist_is_never_swallowed(qtbot: QtBot, form) -> None:  # type: ignore[no-untyped-def]
    wedge, field, _ = form
    bursts: list[str] = []
    wedge.sig_burst.connect(bursts.append)
    qtbot.keyClicks(field, "Emily Roberts", delay=70)
    qtbot.waitUntil(lambda: field.text() == "Emily Roberts", timeout=2000)
    assert bursts == []


def test_typing_goes_to_the_field_it_was_meant_for(qtbot: QtBot, form) -> None:  # type: ignore[no-untyped-def]
    _, first, second = form
    qtbot.keyClicks(first, "ab", delay=80)
    second.setFocus()
    qtbot.keyClicks(second, "cd", delay=80)
    qtbot.waitUntil(lambda: (first.text(), second.text()) == ("ab", "cd"), timeout=2000)


def test_shortcuts_pass_straight_through(qtbot: QtBot, form) -> None:  # type: ignore[no-untyped-def]
    _, field, _ = form
    field.setText("select me")
    qtbot.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert field.selectedText() == "select me"
