"""Enrol a card nobody holds on an existing customer: search, pick, enrol (managers).

The search and the enrolment run on the store's thread; the service checks the
permission again, so a cashier who somehow got here is refused there too.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.services.dto import DirectoryPage, DirectoryQuery, DirectoryRow
from app.services.records import IdentifierView
from app.ui.formatting import DisplayFormats
from app.ui.identification_view import CardOffer
from app.ui.record_context import ERROR_STYLE, RecordContext
from app.ui.rows_model import RowColumn, RowsModel, rows_table
from app.ui.tasks import TaskFailure

SEARCH_DEBOUNCE_MS = 150
MATCHES_SHOWN = 25


def customer_columns(formats: DisplayFormats) -> list[RowColumn[DirectoryRow]]:
    return [
        RowColumn("Name", lambda row: row.full_name),
        RowColumn("Phone", lambda row: formats.phone(row.primary_phone)),
        RowColumn("E-mail", lambda row: row.primary_email or ""),
        RowColumn("Status", lambda row: row.status.value.capitalize()),
    ]


class EnrolDialog(QDialog):
    """A search box over the directory and the matches; Enrol gives the card to the one picked."""

    sig_results = Signal(int)  # the matches for the latest search are shown (their count)
    sig_enrolled = Signal(object, str)  # IdentifierView, the customer's name

    def __init__(
        self, context: RecordContext, offer: CardOffer, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = context
        self.offer = offer
        self._searches = 0  # the latest search; older answers are dropped
        kind = offer.card.kind.label.lower()
        self.setWindowTitle(f"Enrol {kind} {offer.shown}")
        self.setMinimumSize(620, 420)

        intro = QLabel(f"Whose is {kind} <b>{offer.shown}</b>? Find the customer, then Enrol.")
        intro.setWordWrap(True)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Name, @alias, phone or e-mail")
        self.search.setClearButtonEnabled(True)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.run_search)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.search.returnPressed.connect(self.run_search)

        self.model: RowsModel[DirectoryRow] = RowsModel(customer_columns(context.formats), self)
        self.table = rows_table(self.model)
        self.table.setColumnWidth(0, 200)
        self.table.setColumnWidth(1, 140)
        self.table.doubleClicked.connect(lambda _index: self.enrol())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update())
        self.status = QLabel("Type to search the directory.")
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.enrol_button = self.buttons.addButton("Enrol", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.enrol)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.search.setFocus()
        self._update()

    # --- searching ---------------------------------------------------------------------

    def run_search(self) -> None:
        self._debounce.stop()
        text = self.search.text().strip()
        self._searches += 1
        search = self._searches
        if not text:
            self._show_rows(())
            self.status.setText("Type to search the directory.")
            return
        self.status.setText("Searching…")
        service, actor = self._ctx.directory, self._ctx.actor
        query = DirectoryQuery(text=text, limit=MATCHES_SHOWN)
        self._ctx.run(
            self,
            lambda: service.search(actor, query),
            lambda page: self._page(search, page),
            self._failed,
        )

    def _page(self, search: int, page: DirectoryPage) -> None:
        if search != self._searches:
            return  # the person typed on; a newer search is on its way
        count = len(page.rows)
        more = " (more: type more of the name)" if page.has_more else ""
        self.status.setText(f"{count} customers match{more}" if count else "Nobody matches.")
        self._show_rows(page.rows)

    def _show_rows(self, rows: Sequence[DirectoryRow]) -> None:
        self.model.set_items(rows)
        if rows:
            self.table.selectRow(0)
        self._update()
        self.sig_results.emit(len(rows))

    def selected(self) -> DirectoryRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.item_at(rows[0].row()) if rows else None

    def select_customer(self, customer_id: int) -> bool:
        for row, item in enumerate(self.model.items()):
            if item.id == customer_id:
                self.table.selectRow(row)
                return True
        return False

    def _update(self) -> None:
        self.enrol_button.setEnabled(self.selected() is not None)

    # --- enrolling ---------------------------------------------------------------------

    def enrol(self) -> None:
        row = self.selected()
        if row is None:
            return
        self.error.hide()
        self.enrol_button.setEnabled(False)
        service, actor, card = self._ctx.identifiers, self._ctx.actor, self.offer.card

        def enrolled(view: IdentifierView) -> None:
            self.sig_enrolled.emit(view, row.full_name)
            self.accept()

        self._ctx.run(self, lambda: service.enrol(actor, row.id, card), enrolled, self._failed)

    def _failed(self, failure: TaskFailure) -> None:
        self.error.setText(failure.message)
        self.error.show()
        self._update()
