"""The directory as a table model: one page at a time, sorted and filtered in SQL.

The model keeps only the rows fetched so far. Scrolling near the end asks for the next
page (canFetchMore/fetchMore); a new query replaces the rows when its first page arrives.
Answers to older queries are dropped, so fast typing never shows stale results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from app.domain.customers import CustomerStatus
from app.services.dto import DirectoryPage, DirectoryQuery, DirectoryRow, DirectorySort
from app.ui.formatting import DisplayFormats
from app.ui.tasks import TaskFailure, TaskRunner, while_alive

PAGE_SIZE = 100

Index = QModelIndex | QPersistentModelIndex
SearchFn = Callable[[DirectoryQuery], DirectoryPage]


class Column(IntEnum):
    NAME = 0
    ALIAS = 1
    PHONE = 2
    EMAIL = 3
    CATEGORY = 4
    STATUS = 5
    CREATED = 6
    LAST_VISIT = 7
    TOTAL_SPENT = 8
    ORDERS = 9


HEADERS = {
    Column.NAME: "Name",
    Column.ALIAS: "Alias",
    Column.PHONE: "Phone",
    Column.EMAIL: "E-mail",
    Column.CATEGORY: "Category",
    Column.STATUS: "Status",
    Column.CREATED: "Created",
    Column.LAST_VISIT: "Last visit",
    Column.TOTAL_SPENT: "Total spent",
    Column.ORDERS: "Orders",
}

# Columns the store can sort by; the others keep the current order when clicked.
SORTS = {
    Column.NAME: DirectorySort.NAME,
    Column.CREATED: DirectorySort.CREATED,
    Column.LAST_VISIT: DirectorySort.LAST_VISIT,
    Column.TOTAL_SPENT: DirectorySort.TOTAL_SPENT,
    Column.ORDERS: DirectorySort.ORDERS,
}
COLUMN_OF_SORT = {sort: column for column, sort in SORTS.items()}

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_NUMERIC = {Column.TOTAL_SPENT, Column.ORDERS}
_STATUS_COLOURS = {
    CustomerStatus.INACTIVE: QColor("#7a7a7a"),
    CustomerStatus.BLOCKED: QColor("#b3261e"),
}


class DirectoryModel(QAbstractTableModel):
    """Rows of the directory for the current query, fetched page by page."""

    sig_query_started = Signal()  # a new query went out; rows may soon be replaced
    # Rows now held, and 1 when more can be fetched. An int, not a bool: PySide6 6.12
    # drops a reference to True/False on each bool emitted from Python (fatal at exit).
    sig_page_loaded = Signal(int, int)
    sig_failed = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        search: SearchFn,
        formats: DisplayFormats,
        parent: QObject | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__(parent)
        self._page_size = page_size
        self._runner = runner
        self._search = search
        self._formats = formats
        self._query = DirectoryQuery(limit=page_size)
        self._rows: list[DirectoryRow] = []
        self._has_more = False
        self._generation = 0  # bumped per query; answers from older generations are stale
        self._fetching = False
        self._loaded_once = False

    # --- the query -------------------------------------------------------------------

    def query(self) -> DirectoryQuery:
        return self._query

    def set_query(self, query: DirectoryQuery) -> None:
        """Run ``query`` from its first page; the current rows stay until it answers."""
        self._query = replace(query, offset=0, limit=self._page_size)
        self._generation += 1
        self._fetching = True
        self.sig_query_started.emit()
        self._request(self._query, self._generation, replace_rows=True)

    def refresh(self) -> None:
        """Run the current query again, e.g. after a change to customers."""
        self.set_query(self._query)

    def is_loading(self) -> bool:
        return self._fetching

    def has_more(self) -> bool:
        return self._has_more

    def row_at(self, row: int) -> DirectoryRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of_customer(self, customer_id: int) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.id == customer_id), None)

    def _request(self, query: DirectoryQuery, generation: int, *, replace_rows: bool) -> None:
        search = self._search
        self._runner.run(  # answers for a model deleted meanwhile (screen closed) are dropped
            lambda: search(query),
            while_alive(self, lambda page: self._on_page(page, generation, replace_rows)),
            while_alive(self, lambda failure: self._on_failed(failure, generation)),
        )

    def _on_page(self, page: DirectoryPage, generation: int, replace_rows: bool) -> None:
        if generation != self._generation:
            return  # an answer to a query the user has already moved past
        self._fetching = False
        self._loaded_once = True
        if replace_rows:
            self.beginResetModel()
            self._rows = list(page.rows)
            self._has_more = page.has_more
            self.endResetModel()
        else:
            if page.offset != len(self._rows):
                return  # the rows changed under this page; a refresh will follow
            if page.rows:
                first = len(self._rows)
                self.beginInsertRows(QModelIndex(), first, first + len(page.rows) - 1)
                self._rows.extend(page.rows)
                self.endInsertRows()
            self._has_more = page.has_more
        self.sig_page_loaded.emit(len(self._rows), int(self._has_more))

    def _on_failed(self, failure: TaskFailure, generation: int) -> None:
        if generation != self._generation:
            return
        self._fetching = False
        self.sig_failed.emit(failure.message)

    # --- paging ----------------------------------------------------------------------

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and self._has_more and not self._fetching

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008, N802
        if not self.canFetchMore(parent):
            return
        self._fetching = True
        page = replace(self._query, offset=len(self._rows))
        self._request(page, self._generation, replace_rows=False)

    # --- sorting ---------------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        sort = SORTS.get(Column(column)) if 0 <= column < len(Column) else None
        if sort is None:
            return
        descending = order is Qt.SortOrder.DescendingOrder
        if sort is self._query.sort and descending == self._query.descending:
            return
        self.set_query(replace(self._query, sort=sort, descending=descending))

    # --- table -----------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(Column)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is not Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        column = Column(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and column not in SORTS:
            return "This column cannot be sorted"
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return _RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and row.status in _STATUS_COLOURS:
            return QBrush(_STATUS_COLOURS[row.status])
        if role == Qt.ItemDataRole.ToolTipRole and column is Column.NAME and row.company:
            return f"{row.full_name} — {row.company}"
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        return None

    def _text(self, row: DirectoryRow, column: Column) -> str:
        match column:
            case Column.NAME:
                return row.full_name
            case Column.ALIAS:
                return f"@{row.alias}" if row.alias else ""
            case Column.PHONE:
                return self._formats.phone(row.primary_phone)
            case Column.EMAIL:
                return row.primary_email or ""
            case Column.CATEGORY:
                return row.promotion_category or ""
            case Column.STATUS:
                return row.status.value.capitalize()
            case Column.CREATED:
                return self._formats.local_date(row.created_at)
            case Column.LAST_VISIT:
                return self._formats.local_time(row.last_visit_at)
            case Column.TOTAL_SPENT:
                return self._formats.money(row.total_spent_minor)
            case Column.ORDERS:
                return f"{row.order_count:,}"
