"""The directory's table view: compact rows, sensible widths, sorting by header click."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from app.ui.directory_model import Column, DirectoryModel

_WIDTHS = {
    Column.NAME: 220,
    Column.ALIAS: 110,
    Column.PHONE: 150,
    Column.EMAIL: 230,
    Column.CATEGORY: 100,
    Column.STATUS: 75,
    Column.CREATED: 100,
    Column.LAST_VISIT: 140,
    Column.TOTAL_SPENT: 100,
    Column.ORDERS: 60,
}


def directory_table(model: DirectoryModel) -> QTableView:
    """A read-only, single-row-selection view of ``model``, sorted by relevance until a
    header is clicked."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(26)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setHighlightSections(False)
    for column, width in _WIDTHS.items():
        table.setColumnWidth(column, width)
    header.setSectionResizeMode(Column.EMAIL, QHeaderView.ResizeMode.Stretch)
    header.setSectionsClickable(True)
    header.setSortIndicatorShown(True)
    header.setSortIndicatorClearable(True)
    header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # relevance until a click
    return table
