"""The duplicates dialog: a same-phone twin is listed, merged into the customer, and back."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.domain.customers import CustomerStatus
from app.services.customer_form import CustomerForm, PhoneEntry
from app.services.dto import DirectoryQuery
from app.ui.directory_window import DirectoryWindow
from app.ui.duplicates_dialog import DuplicatesDialog
from tests.ui import MANAGER, AnsweringPrompts, UiStore

_LEFT = Qt.MouseButton.LeftButton


def twin_of_guest0(store: UiStore) -> tuple[int, int]:
    """(original, twin): the twin was entered again with the same mobile number."""
    original = store.service.search(MANAGER, DirectoryQuery(text="Guest000")).rows[0].id
    form = CustomerForm(first_name="Gwen", last_name="Other", phones=(PhoneEntry("07911 100000"),))
    return original, store.service.create(MANAGER, form).record.id


def open_duplicates(qtbot: QtBot, window: DirectoryWindow, customer_id: int) -> DuplicatesDialog:
    qtbot.waitUntil(lambda: window.model.row_of_customer(customer_id) is not None, timeout=5000)
    window.select_row(window.model.row_of_customer(customer_id) or 0)
    assert window.duplicates_button.isEnabled()
    with qtbot.waitSignal(window.sig_duplicates_opened, timeout=5000) as opened:
        qtbot.mouseClick(window.duplicates_button, _LEFT)
    dialog = opened.args[0]
    assert isinstance(dialog, DuplicatesDialog)
    return dialog


def test_a_same_phone_twin_is_listed_merged_and_unmerged(
    qtbot: QtBot, window: DirectoryWindow, store: UiStore
) -> None:
    original, twin = twin_of_guest0(store)
    window.model.refresh()
    dialog = open_duplicates(qtbot, window, original)
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=5000)

    candidate = dialog.model.item_at(0)
    assert candidate is not None and candidate.customer_id == twin
    assert dialog.model.index(0, 0).data() == "Gwen Other"
    assert dialog.model.index(0, 1).data() == "Active"
    assert dialog.model.index(0, 2).data() == "90%"
    assert "same phone +447911100000" in dialog.model.index(0, 3).data()
    assert dialog.merge_button.isEnabled() and not dialog.undo_button.isEnabled()

    with qtbot.waitSignal(dialog.sig_loaded, timeout=5000):  # merged, then listed again
        qtbot.mouseClick(dialog.merge_button, _LEFT)
    assert dialog.last_merge is not None
    assert "Merged Gwen Other into" in dialog.status.text()
    assert dialog.model.rowCount() == 0
    assert dialog.undo_button.isEnabled()
    merged = store.service.open_record(MANAGER, twin)
    assert merged.merged_into_id == original and merged.status is CustomerStatus.INACTIVE

    with qtbot.waitSignal(dialog.sig_loaded, timeout=5000):
        qtbot.mouseClick(dialog.undo_button, _LEFT)
    assert dialog.last_merge is None and not dialog.undo_button.isEnabled()
    assert "Undid merge" in dialog.status.text()
    assert [c.customer_id for c in dialog.model.items()] == [twin]
    back = store.service.open_record(MANAGER, twin)
    assert back.merged_into_id is None and back.status is CustomerStatus.ACTIVE
    qtbot.waitUntil(lambda: not window.model.is_loading(), timeout=5000)


def test_declining_the_confirmation_merges_nothing(
    qtbot: QtBot, window: DirectoryWindow, store: UiStore, prompts: AnsweringPrompts
) -> None:
    original, twin = twin_of_guest0(store)
    window.model.refresh()
    dialog = open_duplicates(qtbot, window, original)
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=5000)
    prompts.confirmed = False
    qtbot.mouseClick(dialog.merge_button, _LEFT)
    assert window._ctx.runner.pending() == 0
    assert dialog.last_merge is None
    assert store.service.open_record(MANAGER, twin).merged_into_id is None
