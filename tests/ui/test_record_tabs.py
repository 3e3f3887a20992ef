"""The live parts of a customer record: cards, notes and history, and the photo."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from app.domain.identifiers import IdentifierKind, IdentifierStatus
from app.services.photos import MAX_BYTES, MAX_SIDE, PhotoService
from app.ui.card_dialog import CardDialog
from app.ui.customer_dialog import CARDS_TAB, NOTES_TAB, CustomerDialog
from app.ui.directory_window import DirectoryWindow
from tests.ui import MANAGER, AnsweringPrompts, UiStore

_LEFT = Qt.MouseButton.LeftButton


def open_first(qtbot: QtBot, window: DirectoryWindow) -> CustomerDialog:
    window.select_row(0)
    with qtbot.waitSignal(window.sig_dialog_opened, timeout=5000) as opened:
        window.edit_selected()
    dialog = opened.args[0]
    assert isinstance(dialog, CustomerDialog)
    qtbot.waitUntil(lambda: window._ctx.runner.pending() == 0, timeout=5000)
    return dialog


def issue_dialog(qtbot: QtBot, dialog: CustomerDialog) -> CardDialog:
    dialog.tabs.setCurrentIndex(CARDS_TAB)
    with qtbot.waitSignal(dialog.cards.sig_card_dialog_opened, timeout=5000) as opened:
        qtbot.mouseClick(dialog.cards.issue_button, _LEFT)
    card_dialog = opened.args[0]
    assert isinstance(card_dialog, CardDialog)
    return card_dialog


def fill_card(card_dialog: CardDialog, kind: IdentifierKind, value: str, label: str = "") -> None:
    card_dialog.kind.setCurrentIndex(card_dialog.kind.findData(kind.value))
    card_dialog.value.setText(value)
    card_dialog.label.setText(label)


def issue(qtbot: QtBot, dialog: CustomerDialog, value: str) -> None:
    card_dialog = issue_dialog(qtbot, dialog)
    fill_card(card_dialog, IdentifierKind.BARCODE_CARD, value, "front desk")
    with qtbot.waitSignal(card_dialog.finished, timeout=5000):
        qtbot.mouseClick(card_dialog.issue_button, _LEFT)


def test_a_new_customer_has_no_live_tabs_yet(qtbot: QtBot, window: DirectoryWindow) -> None:
    with qtbot.waitSignal(window.sig_dialog_opened, timeout=5000) as opened:
        window.new_customer()
    dialog: CustomerDialog = opened.args[0]
    assert not dialog.cards.issue_button.isEnabled()
    assert "once the new customer is saved" in dialog.cards.hint.text()
    assert not dialog.notes.add_button.isEnabled()
    assert not dialog.photo.choose_button.isEnabled()


def test_issuing_a_card_stores_it_and_shows_it(
    qtbot: QtBot, window: DirectoryWindow, store: UiStore
) -> None:
    dialog = open_first(qtbot, window)
    assert dialog.record is not None
    issue(qtbot, dialog, "tk-000123")

    assert [(c.value, c.status) for c in dialog.cards.cards()] == [
        ("TK-000123", IdentifierStatus.ACTIVE)
    ]
    model = dialog.cards.model
    assert [model.index(0, col).data() for col in range(4)] == [
        "Barcode card",
        "TK-000123",
        "Active",
        "front desk",
    ]
    assert model.index(0, 5).data() == "Never"
    stored = store.service.open_record(MANAGER, dialog.record.id).identifiers
    assert [(c.kind, c.value) for c in stored] == [(IdentifierKind.BARCODE_CARD, "TK-000123")]


def test_marking_a_card_lost_updates_its_status(
    qtbot: QtBot, window: DirectoryWindow, store: UiStore
) -> None:
    dialog = open_first(qtbot, window)
    assert dialog.record is not None
    issue(qtbot, dialog, "TK-LOST-1")
    cards = dialog.cards
    assert cards.selected_card() is not None and cards.lost_button.isEnabled()
    with qtbot.waitSignal(cards.sig_changed, timeout=5000):
        qtbot.mouseClick(cards.lost_button, _LEFT)
    assert cards.cards()[0].status is IdentifierStatus.LOST
    assert cards.model.index(0, 2).data() == "Lost"
    assert cards.reactivate_button.isEnabled() and not cards.lost_button.isEnabled()
    stored = store.service.open_record(MANAGER, dialog.record.id).identifiers
    assert stored[0].status is IdentifierStatus.LOST


def test_reissuing_asks_for_the_new_number(
    qtbot: QtBot, window: DirectoryWindow, prompts: AnsweringPrompts
) -> None:
    dialog = open_first(qtbot, window)
    issue(qtbot, dialog, "TK-OLD-1")
    prompts.text = "TK-NEW-1"
    with qtbot.waitSignal(dialog.cards.sig_changed, timeout=5000):
        qtbot.mouseClick(dialog.cards.reissue_button, _LEFT)
    assert [(c.value, c.status) for c in dialog.cards.cards()] == [
        ("TK-OLD-1", IdentifierStatus.LOST),
        ("TK-NEW-1", IdentifierStatus.ACTIVE),
    ]


def test_a_card_already_issued_is_refused_and_the_dialog_stays_open(
    qtbot: QtBot, window: DirectoryWindow, store: UiStore
) -> None:
    first = open_first(qtbot, window)
    issue(qtbot, first, "TK-TWICE")
    first.reject()
    window.select_row(1)
    with qtbot.waitSignal(window.sig_dialog_opened, timeout=5000) as opened:
        window.edit_selected()
    second: CustomerDialog = opened.args[0]
    assert second.record is not None and second.record.id != (first.record and first.record.id)
    card_dialog = issue_dialog(qtbot, second)
    fill_card(card_dialog, IdentifierKind.BARCODE_CARD, "tk-twice", "spare")
    qtbot.mouseClick(card_dialog.issue_button, _LEFT)
    qtbot.waitUntil(card_dialog.error.isVisible, timeout=5000)

    assert "already belongs to" in card_dialog.error.text()
    assert card_dialog.isVisible()
    assert card_dialog.value.text() == "tk-twice" and card_dialog.label.text() == "spare"
    assert card_dialog.issue_button.isEnabled()
    assert second.cards.cards() == []
    assert store.service.open_record(MANAGER, second.record.id).identifiers == ()


def test_adding_a_note_shows_it_and_the_history(qtbot: QtBot, window: DirectoryWindow) -> None:
    dialog = open_first(qtbot, window)
    notes = dialog.notes
    dialog.tabs.setCurrentIndex(NOTES_TAB)
    assert notes.history_table.isVisible()  # a manager reads the audit trail
    assert any("Opened" in entry.summary for entry in notes.history.items())
    qtbot.keyClicks(notes.note_edit, "Prefers still water")
    with qtbot.waitSignal(notes.sig_history_loaded, timeout=5000):
        qtbot.mouseClick(notes.add_button, _LEFT)
    assert notes.notes.index(0, 2).data() == "Prefers still water"
    assert notes.notes.index(0, 1).data() == MANAGER.name
    assert notes.notes.index(0, 0).data()  # the local time
    assert notes.note_edit.text() == ""
    assert notes.history.items()[0].summary == "Added an internal note"


def test_choosing_a_large_photo_stores_a_small_jpeg(
    qtbot: QtBot,
    window: DirectoryWindow,
    store: UiStore,
    prompts: AnsweringPrompts,
    tmp_path: Path,
) -> None:
    picture = QImage(2000, 1500, QImage.Format.Format_RGB32)
    picture.fill(QColor("#3a7bd5"))
    for x in range(0, 2000, 40):  # some detail, so the JPEG is not trivially small
        for y in range(0, 1500, 40):
            picture.setPixelColor(x, y, QColor((x * 7) % 255, (y * 3) % 255, 90))
    path = tmp_path / "large.png"
    assert picture.save(str(path))
    prompts.image = path

    dialog = open_first(qtbot, window)
    assert dialog.record is not None
    with qtbot.waitSignal(dialog.photo.sig_changed, timeout=10000):
        qtbot.mouseClick(dialog.photo.choose_button, _LEFT)

    stored = PhotoService(store.uow).photo(MANAGER, dialog.record.id)
    assert stored is not None
    assert (stored.width, stored.height) == (MAX_SIDE, 384)
    assert stored.jpeg.startswith(b"\xff\xd8\xff") and len(stored.jpeg) <= MAX_BYTES
    assert dialog.photo.remove_button.isEnabled()
    assert not dialog.photo.picture.pixmap().isNull()

    with qtbot.waitSignal(dialog.photo.sig_changed, timeout=5000):
        qtbot.mouseClick(dialog.photo.remove_button, _LEFT)
    assert PhotoService(store.uow).photo(MANAGER, dialog.record.id) is None
