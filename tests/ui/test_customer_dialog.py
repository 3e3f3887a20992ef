"""The customer dialog: saving through the services, and refusals that keep the input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.domain.customers import AddressKind, ConsentChannel, DietaryKind, PhoneKind, Severity
from app.domain.errors import FieldProblem
from app.services.customer_form import (
    AddressEntry,
    AttributeEntry,
    ConsentEntry,
    CustomerForm,
    EmailEntry,
    PhoneEntry,
    RestrictionEntry,
)
from app.services.dto import DirectoryQuery
from app.ui.customer_dialog import CustomerDialog
from app.ui.directory_window import DirectoryWindow
from app.ui.tasks import TaskRunner
from tests.ui import MANAGER, UiStore, retire, ui_store

FULL_FORM = CustomerForm(
    first_name="Ada",
    last_name="Lovelace",
    title="Dr",
    alias="ada",
    company="Analytical Engines",
    phones=(
        PhoneEntry("07911 555123", PhoneKind.MOBILE, False),
        PhoneEntry("020 7946 0000", PhoneKind.WORKING, True),
    ),
    emails=(EmailEntry("ada@example.com", True),),
    addresses=(AddressEntry(AddressKind.DELIVERY, "1 St James's Sq", city="London", country="GB"),),
    preferences=("Window table",),
    restrictions=(RestrictionEntry(DietaryKind.ALLERGY, "peanuts", Severity.SEVERE),),
    consents=(ConsentEntry(ConsentChannel.EMAIL, True, "till"),),
    attributes=(AttributeEntry("locker", "12"),),
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[UiStore]:
    with ui_store(tmp_path / "store.db", customers=3) as store:
        yield store


@pytest.fixture
def window(qtbot: QtBot, store: UiStore) -> Iterator[DirectoryWindow]:
    runner = TaskRunner(store.worker)
    screen = DirectoryWindow(store.context(runner))
    qtbot.addWidget(screen)
    screen.show()
    with qtbot.waitSignal(screen.model.sig_page_loaded, timeout=5000):
        screen.start()
    qtbot.waitUntil(lambda: screen._ctx.runner.pending() == 0)
    yield screen
    retire(qtbot, screen, runner)


def open_new(qtbot: QtBot, window: DirectoryWindow) -> CustomerDialog:
    with qtbot.waitSignal(window.sig_dialog_opened, timeout=5000) as opened:
        window.new_customer()
    dialog = opened.args[0]
    assert isinstance(dialog, CustomerDialog)
    return dialog


def test_the_form_round_trips_every_field(qtbot: QtBot) -> None:
    dialog = CustomerDialog([(1, "Gold")])
    qtbot.addWidget(dialog)
    dialog.set_form(FULL_FORM)
    form = dialog.form()
    assert form.phones == FULL_FORM.phones
    assert form.emails == FULL_FORM.emails
    assert form.addresses == FULL_FORM.addresses
    assert form.restrictions == FULL_FORM.restrictions
    assert form.consents == FULL_FORM.consents
    assert form.attributes == FULL_FORM.attributes
    assert (form.title, form.first_name, form.last_name, form.alias) == (
        "Dr",
        "Ada",
        "Lovelace",
        "ada",
    )


def test_creating_a_customer_saves_it_and_it_appears(
    qtbot: QtBot, window: DirectoryWindow, store: UiStore
) -> None:
    dialog = open_new(qtbot, window)
    qtbot.keyClicks(dialog.first_name, "Grace")
    qtbot.keyClicks(dialog.last_name, "Hopper")
    qtbot.keyClicks(dialog.phones.rows()[0].number, "07911 100098")
    dialog.category.setCurrentIndex(dialog.category.findData(store.gold_id))
    with qtbot.waitSignal(dialog.finished, timeout=5000):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: window.model.row_of_customer(_id_of(store, "Grace")) is not None)
    row = window.model.row_at(window.model.row_of_customer(_id_of(store, "Grace")) or 0)
    assert row is not None and row.full_name == "Grace Hopper"
    assert row.primary_phone == "+447911100098"
    assert row.promotion_category == "Gold"


def _id_of(store: UiStore, text: str) -> int:
    rows = store.service.search(MANAGER, DirectoryQuery(text=text)).rows
    return rows[0].id if rows else -1


def test_a_validation_error_keeps_the_dialog_open_with_the_input(
    qtbot: QtBot, window: DirectoryWindow, store: UiStore
) -> None:
    dialog = open_new(qtbot, window)
    qtbot.keyClicks(dialog.first_name, "Alan")
    qtbot.keyClicks(dialog.edits["alias"], "!no spaces allowed")
    qtbot.keyClicks(dialog.phones.rows()[0].number, "12")
    dialog.emails.add_row(EmailEntry("alan@example.com"))
    dialog.save_button.click()
    qtbot.waitUntil(dialog.banner.isVisible, timeout=5000)

    assert dialog.isVisible()
    assert "Alias" in dialog.problems["alias"].text()
    assert dialog.problems["alias"].isVisible()
    assert "Phone '12'" in dialog.phones.rows()[0].problem.text()
    assert "Please fix these 2 problems" in dialog.banner.text()
    assert dialog.first_name.text() == "Alan"
    assert dialog.phones.rows()[0].number.text() == "12"
    assert dialog.emails.rows()[0].address.text() == "alan@example.com"
    assert dialog.save_button.isEnabled()
    assert _id_of(store, "Alan") == -1  # nothing was saved

    dialog.edits["alias"].setText("alan")
    dialog.phones.rows()[0].number.setText("07911 100099")
    with qtbot.waitSignal(dialog.finished, timeout=5000):
        dialog.save_button.click()
    assert _id_of(store, "Alan") != -1


def test_editing_opens_the_record_and_saves_changes(
    qtbot: QtBot, window: DirectoryWindow, store: UiStore
) -> None:
    window.select_row(0)
    row = window.selected_row()
    assert row is not None
    with qtbot.waitSignal(window.sig_dialog_opened, timeout=5000) as opened:
        window.edit_selected()
    dialog: CustomerDialog = opened.args[0]
    assert dialog.record is not None and dialog.record.id == row.id
    assert dialog.phones.rows()[0].number.text().startswith("+44 7911")
    dialog.last_name.setText("Renamed")
    with qtbot.waitSignal(dialog.finished, timeout=5000):
        dialog.save_button.click()
    assert store.service.open_record(MANAGER, row.id).full_name.endswith("Renamed")


def test_problems_on_other_tabs_are_marked_and_shown(qtbot: QtBot) -> None:
    dialog = CustomerDialog([])
    qtbot.addWidget(dialog)
    dialog.preferences.add_row("")
    dialog.show_problems(
        [FieldProblem("preferences[0]", "A preference needs 1 to 500 characters.")]
    )
    assert dialog.tabs.currentIndex() == 2
    assert dialog.tabs.tabText(2).endswith("⚠")
    assert dialog.preferences.rows()[0].problem.text().startswith("A preference")
