"""The directory screen against a real store: search, filter, sort, paging, actions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.domain.customers import CustomerStatus
from app.services.dto import DirectoryFilter, DirectorySort
from app.ui.directory_model import Column
from app.ui.directory_window import DirectoryWindow
from app.ui.tasks import TaskRunner
from tests.ui import MANAGER, AnsweringPrompts, UiStore, retire, ui_store

PAGE = 5


@pytest.fixture
def store(tmp_path: Path) -> Iterator[UiStore]:
    with ui_store(tmp_path / "store.db", customers=12) as store:
        yield store


@pytest.fixture
def window(qtbot: QtBot, store: UiStore, prompts: AnsweringPrompts) -> Iterator[DirectoryWindow]:
    runner = TaskRunner(store.worker)
    context = replace(store.context(runner), page_size=PAGE)
    screen = DirectoryWindow(context, prompts)
    qtbot.addWidget(screen)
    screen.resize(1200, 600)
    screen.table.setFixedHeight(110)  # room for about three rows: the view asks for no more
    screen.show()
    with qtbot.waitSignal(screen.model.sig_page_loaded, timeout=5000):
        screen.start()
    yield screen
    retire(qtbot, screen, runner)


def names(screen: DirectoryWindow) -> list[str]:
    model = screen.model
    return [model.index(row, Column.NAME).data() for row in range(model.rowCount())]


def settle(qtbot: QtBot, screen: DirectoryWindow) -> None:
    qtbot.waitUntil(lambda: screen._ctx.runner.pending() == 0, timeout=5000)


def test_first_page_is_shown_with_formatted_columns(window: DirectoryWindow) -> None:
    model = window.model
    assert model.rowCount() == PAGE
    assert model.has_more()
    phone = model.index(0, Column.PHONE).data()
    assert phone.startswith("+44 7911 ")
    assert model.index(0, Column.TOTAL_SPENT).data() == "£0.00"
    assert model.index(0, Column.STATUS).data() == "Active"
    assert "scroll for more" in window.status.text()


def test_typing_in_the_search_box_shows_matching_rows(
    qtbot: QtBot, window: DirectoryWindow
) -> None:
    with qtbot.waitSignal(window.model.sig_page_loaded, timeout=5000):
        qtbot.keyClicks(window.search, "Taylor")
    qtbot.waitUntil(lambda: window.model.query().text == "Taylor" and not window.model.is_loading())
    found = names(window)
    assert found and all(name.endswith("Taylor") for name in found)
    assert "Taylor" in window.status.text()


def test_only_the_latest_query_is_shown(qtbot: QtBot, window: DirectoryWindow) -> None:
    model = window.model
    model.set_query(replace(model.query(), text="Smith"))
    model.set_query(replace(model.query(), text="Brown"))  # before Smith's answer arrives
    settle(qtbot, window)
    assert names(window) and all(name.endswith("Brown") for name in names(window))


def test_the_filter_changes_the_query(
    qtbot: QtBot, window: DirectoryWindow, store: UiStore
) -> None:
    window.select_row(0)
    row = window.selected_row()
    assert row is not None
    window.toggle_active()  # deactivates, with the prompt's reason
    settle(qtbot, window)
    inactive = window.filters.button(2)
    with qtbot.waitSignal(window.model.sig_page_loaded, timeout=5000):
        qtbot.mouseClick(inactive, Qt.MouseButton.LeftButton)
    assert window.model.query().filter is DirectoryFilter.INACTIVE
    assert names(window) == [row.full_name]
    assert window.model.index(0, Column.STATUS).data() == "Inactive"


def test_clicking_a_header_sorts_in_sql(qtbot: QtBot, window: DirectoryWindow) -> None:
    header = window.table.horizontalHeader()
    with qtbot.waitSignal(window.model.sig_page_loaded, timeout=5000):
        header.setSortIndicator(Column.NAME, Qt.SortOrder.DescendingOrder)
    query = window.model.query()
    assert (query.sort, query.descending) == (DirectorySort.NAME, True)
    assert names(window) == sorted(names(window), reverse=True)
    # A column the store cannot sort by keeps the order and the indicator.
    header.setSortIndicator(Column.EMAIL, Qt.SortOrder.AscendingOrder)
    assert window.model.query().sort is DirectorySort.NAME
    assert header.sortIndicatorSection() == Column.NAME


def test_scrolling_fetches_more_rows(qtbot: QtBot, window: DirectoryWindow) -> None:
    model = window.model
    window.table.setFixedHeight(110)  # room for about three rows: the view stops asking
    with qtbot.waitSignal(model.sig_page_loaded, timeout=5000):
        model.refresh()
    settle(qtbot, window)
    assert model.rowCount() == PAGE
    assert model.canFetchMore()
    with qtbot.waitSignal(model.sig_page_loaded, timeout=5000):
        window.table.scrollToBottom()  # the view calls fetchMore at the end of the list
    assert model.rowCount() == 2 * PAGE
    window.table.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() == 12 and not model.has_more(), timeout=5000)
    assert len(set(names(window))) == 12
    assert not model.canFetchMore()
    assert "12 customers" in window.status.text()


def test_adding_a_note_and_blocking_go_through_the_services(
    qtbot: QtBot, window: DirectoryWindow, store: UiStore
) -> None:
    window.select_row(1)
    row = window.selected_row()
    assert row is not None
    window.add_note()
    settle(qtbot, window)
    window.select_row(window.model.row_of_customer(row.id) or 0)
    window.block_selected()
    settle(qtbot, window)
    record = store.service.open_record(MANAGER, row.id)
    assert record.notes[-1].text == "Likes the corner table"
    assert record.status is CustomerStatus.BLOCKED


def test_a_refusal_is_shown_and_nothing_changes(
    qtbot: QtBot, window: DirectoryWindow, prompts: AnsweringPrompts, store: UiStore
) -> None:
    prompts.reason = "   "  # deactivating needs a reason
    window.select_row(0)
    row = window.selected_row()
    assert row is not None
    window.toggle_active()
    qtbot.waitUntil(window.error.isVisible, timeout=5000)
    assert "Say why" in window.error.text()
    assert store.service.open_record(MANAGER, row.id).status is CustomerStatus.ACTIVE


def test_deleting_removes_the_row(qtbot: QtBot, window: DirectoryWindow) -> None:
    window.select_row(0)
    row = window.selected_row()
    assert row is not None
    with qtbot.waitSignal(window.sig_customers_changed, timeout=5000):
        window.delete_selected()
    settle(qtbot, window)
    assert window.model.row_of_customer(row.id) is None


def test_the_created_column_shows_the_local_date_and_sorts_in_sql(
    qtbot: QtBot, window: DirectoryWindow
) -> None:
    model = window.model
    assert model.headerData(Column.CREATED, Qt.Orientation.Horizontal) == "Created"
    shown = model.index(0, Column.CREATED).data()
    row = model.row_at(0)
    assert row is not None and shown == window._ctx.formats.local_date(row.created_at)
    header = window.table.horizontalHeader()
    with qtbot.waitSignal(model.sig_page_loaded, timeout=5000):
        header.setSortIndicator(Column.CREATED, Qt.SortOrder.DescendingOrder)
    query = model.query()
    assert (query.sort, query.descending) == (DirectorySort.CREATED, True)
    assert header.sortIndicatorSection() == Column.CREATED
    created = [r.created_at for r in (model.row_at(i) for i in range(model.rowCount())) if r]
    assert created == sorted(created, reverse=True)
