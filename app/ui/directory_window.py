"""The directory screen: search as you type, filter, sort, and act on one customer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.customers import CustomerStatus
from app.domain.errors import ValidationError
from app.domain.staff import Permission
from app.services.cards import SwipedCard
from app.services.customer_form import CustomerForm
from app.services.directory import Saved
from app.services.dto import Changes, DirectoryFilter, DirectoryQuery, DirectoryRow
from app.services.records import CustomerRecord
from app.ui.customer_dialog import CategoryChoice, CustomerDialog
from app.ui.directory_context import DirectoryContext
from app.ui.directory_model import COLUMN_OF_SORT, DirectoryModel
from app.ui.directory_table import directory_table
from app.ui.duplicates_dialog import DuplicatesDialog
from app.ui.identification_view import SignupOffer
from app.ui.prompts import DialogPrompts, Prompts
from app.ui.tasks import TaskFailure

SEARCH_DEBOUNCE_MS = 120
_FILTERS = (
    (DirectoryFilter.ALL, "All"),
    (DirectoryFilter.ACTIVE, "Active"),
    (DirectoryFilter.INACTIVE, "Inactive"),
)


class DirectoryWindow(QWidget):
    """Search box, filter, the table, a status line and the record actions."""

    sig_customers_changed = Signal()  # a save, status change or delete went through
    sig_dialog_opened = Signal(object)  # CustomerDialog, once it is shown
    sig_duplicates_opened = Signal(object)  # DuplicatesDialog, once it is shown
    sig_message = Signal(str)  # something to tell the user
    sig_signed_up_with_card = Signal(str)  # a new customer's name, saved with a swiped card

    def __init__(
        self,
        context: DirectoryContext,
        prompts: Prompts | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = context
        self._prompts = prompts or DialogPrompts(self)
        self._categories: list[CategoryChoice] = []
        self.dialog: CustomerDialog | None = None
        self.duplicates: DuplicatesDialog | None = None

        service, actor = context.service, context.actor
        self.model = DirectoryModel(
            context.runner,
            lambda query: service.search(actor, query),
            context.formats,
            self,
            page_size=context.page_size,
        )

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by name, @alias, phone, e-mail or card number")
        self.search.setClearButtonEnabled(True)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._run_search)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.search.returnPressed.connect(self._run_search)

        self.filters = QButtonGroup(self)
        filter_row = QHBoxLayout()
        filter_row.setSpacing(0)
        for number, (_value, label) in enumerate(_FILTERS):
            button = QPushButton(label)
            button.setCheckable(True)
            button.setChecked(number == 0)
            self.filters.addButton(button, number)
            filter_row.addWidget(button)
        self.filters.idClicked.connect(lambda _id: self._run_search())

        self.table = directory_table(self.model)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self._sort_changed)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())

        self.status = QLabel("Loading the directory…")
        self.error = QLabel()
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setWordWrap(True)
        self.error.hide()

        self.new_button = QPushButton("New…")
        self.edit_button = QPushButton("Edit…")
        self.status_button = QPushButton("Deactivate…")
        self.block_button = QPushButton("Block…")
        self.delete_button = QPushButton("Delete")
        self.note_button = QPushButton("Add note…")
        self.duplicates_button = QPushButton("Duplicates…")
        self.duplicates_button.setToolTip("Customers who may be the selected one entered twice")
        self.new_button.clicked.connect(lambda: self.new_customer())  # not with `checked`
        self.edit_button.clicked.connect(self.edit_selected)
        self.status_button.clicked.connect(self.toggle_active)
        self.block_button.clicked.connect(self.block_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.note_button.clicked.connect(self.add_note)
        self.duplicates_button.clicked.connect(self.find_duplicates)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addSpacing(12)
        top.addLayout(filter_row)
        actions = QHBoxLayout()
        for button in (
            self.new_button,
            self.edit_button,
            self.note_button,
            self.duplicates_button,
            self.status_button,
            self.block_button,
            self.delete_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.status)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)

        self.model.sig_page_loaded.connect(self._page_loaded)
        self.model.sig_query_started.connect(lambda: self.status.setText("Searching…"))
        self.model.sig_failed.connect(self.show_error)
        self.model.modelReset.connect(self._update_actions)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self._update_actions()

    # --- querying --------------------------------------------------------------------

    def start(self) -> None:
        """Load the first page and the categories the form offers."""
        self._run_search()
        self._ctx.runner.run(self._ctx.load_categories, self._categories_loaded, self._failed)

    def current_query(self) -> DirectoryQuery:
        chosen = _FILTERS[max(self.filters.checkedId(), 0)][0]
        return replace(self.model.query(), text=self.search.text().strip(), filter=chosen)

    def _run_search(self) -> None:
        self._debounce.stop()
        self.error.hide()
        self.model.set_query(self.current_query())

    def _sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        if column < 0:  # the indicator was cleared: back to relevance
            query = self.model.query()
            self.model.set_query(replace(query, sort=type(query.sort).RELEVANCE, descending=False))
            return
        self.model.sort(column, order)
        # Columns the store cannot sort by leave the order, and so the indicator, unchanged.
        shown = COLUMN_OF_SORT.get(self.model.query().sort, -1)
        if shown != column:
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(shown, order)
            header.blockSignals(False)

    def _page_loaded(self, rows: int, has_more: int) -> None:
        text = self.model.query().text
        if rows == 0:
            self.status.setText(f"No customers match “{text}”" if text else "No customers yet")
        elif has_more:
            self.status.setText(f"Showing the first {rows:,} — scroll for more")
        else:
            noun = "customer" if rows == 1 else "customers"
            self.status.setText(f"{rows:,} {noun}" + (f" match “{text}”" if text else ""))
        self._update_actions()

    def _categories_loaded(self, categories: Sequence[CategoryChoice]) -> None:
        self._categories = list(categories)

    # --- selection -------------------------------------------------------------------

    def selected_row(self) -> DirectoryRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))

    def _update_actions(self) -> None:
        row = self.selected_row()
        may = self._ctx.actor.may
        self.new_button.setEnabled(may(Permission.CREATE_CUSTOMER))
        self.edit_button.setEnabled(row is not None and may(Permission.VIEW_CUSTOMER_RECORD))
        self.note_button.setEnabled(row is not None and may(Permission.VIEW_CUSTOMER_RECORD))
        managed = row is not None and may(Permission.MANAGE_STATUS)
        active = row is not None and row.status is CustomerStatus.ACTIVE
        self.status_button.setText("Deactivate…" if active or row is None else "Reactivate")
        self.status_button.setEnabled(managed)
        self.block_button.setEnabled(managed and row.status is not CustomerStatus.BLOCKED)
        self.delete_button.setEnabled(row is not None and may(Permission.DELETE_CUSTOMER))
        self.duplicates_button.setEnabled(row is not None and may(Permission.MERGE_CUSTOMERS))

    # --- actions ---------------------------------------------------------------------

    def new_customer(self, signup: SignupOffer | None = None) -> None:
        """The form for a new customer; ``signup`` pre-fills it or hands them a card."""
        self._open_dialog(None, signup)

    def edit_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.open_customer(row.id)

    def open_customer(self, customer_id: int) -> None:
        """Open a customer's record (each opening is audited)."""
        service, actor = self._ctx.service, self._ctx.actor
        self._ctx.runner.run(
            lambda: service.open_record(actor, customer_id), self._open_dialog, self._failed
        )

    def _open_dialog(
        self, record: CustomerRecord | None, signup: SignupOffer | None = None
    ) -> None:
        if self.dialog is not None:
            self.dialog.close()
        live = self._ctx.record_context(self._prompts)
        dialog = CustomerDialog(self._categories, record, self._ctx.formats, self, context=live)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        card = signup.card if signup is not None else None
        if signup is not None and signup.form != CustomerForm():
            dialog.set_form(signup.form)
        if card is not None:
            dialog.cards.expect_card(f"{card.card.kind.label} {card.shown}")
        dialog.sig_submitted.connect(
            lambda form: self._save(dialog, form, card.card if card else None)
        )
        dialog.sig_changed.connect(self._changed)
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        self.dialog = dialog
        dialog.open()
        self.sig_dialog_opened.emit(dialog)

    def _dialog_closed(self, dialog: CustomerDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _save(
        self, dialog: CustomerDialog, form: CustomerForm, card: SwipedCard | None = None
    ) -> None:
        service, actor, record = self._ctx.service, self._ctx.actor, dialog.record

        def save() -> Saved:
            if record is None:
                return service.create(actor, form, card)
            return service.edit(actor, record.id, form)

        def refused(failure: TaskFailure) -> None:
            if isinstance(failure.error, ValidationError):
                dialog.show_problems(failure.error.problems)
            else:
                dialog.show_error(failure.message)

        def saved(result: Saved) -> None:
            dialog.accept()
            self.sig_message.emit(f"Saved {result.record.full_name}")
            if card is not None:
                self.sig_signed_up_with_card.emit(result.record.full_name)
            self._changed(result.changes)

        self._ctx.runner.run(save, saved, refused)

    def toggle_active(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        if row.status is CustomerStatus.ACTIVE:
            reason = self._prompts.ask_reason(f"Deactivate {row.full_name}", "Why?")
            if reason is not None:
                self._set_status(row, CustomerStatus.INACTIVE, reason)
        else:
            self._set_status(row, CustomerStatus.ACTIVE, "")

    def block_selected(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        reason = self._prompts.ask_reason(f"Block {row.full_name}", "Why? The team will see it.")
        if reason is not None:
            self._set_status(row, CustomerStatus.BLOCKED, reason)

    def _set_status(self, row: DirectoryRow, status: CustomerStatus, reason: str) -> None:
        service, actor = self._ctx.service, self._ctx.actor
        self._ctx.runner.run(
            lambda: service.set_status(actor, row.id, status, reason),
            lambda saved: self._done(f"{saved.record.describe()}", saved.changes),
            self._failed,
        )

    def delete_selected(self) -> None:
        row = self.selected_row()
        if row is None or not self._prompts.confirm(
            "Delete customer", f"Delete {row.full_name} for good? This cannot be undone."
        ):
            return
        service, actor = self._ctx.service, self._ctx.actor
        self._ctx.runner.run(
            lambda: service.delete(actor, row.id),
            lambda changes: self._done(f"Deleted {row.full_name}", changes),
            self._failed,
        )

    def add_note(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        text = self._prompts.ask_note(f"Note about {row.full_name}")
        if text is None:
            return
        service, actor = self._ctx.service, self._ctx.actor
        self._ctx.runner.run(
            lambda: service.add_note(actor, row.id, text),
            lambda saved: self._done(f"Note added to {saved.record.full_name}", saved.changes),
            self._failed,
        )

    def find_duplicates(self) -> None:
        """Show likely duplicates of the selected customer, who survives any merge."""
        row = self.selected_row()
        if row is None:
            return
        if self.duplicates is not None:
            self.duplicates.close()
        dialog = DuplicatesDialog(self._ctx.merge_tools(self._prompts), row, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_changed.connect(self._changed)
        dialog.finished.connect(lambda _result: self._duplicates_closed(dialog))
        self.duplicates = dialog
        dialog.open()
        dialog.load()
        self.sig_duplicates_opened.emit(dialog)

    def _duplicates_closed(self, dialog: DuplicatesDialog) -> None:
        if self.duplicates is dialog:
            self.duplicates = None

    def _done(self, message: str, changes: Changes) -> None:
        self.error.hide()
        self.sig_message.emit(message)
        self._changed(changes)

    def changed_elsewhere(self, changes: Changes) -> None:
        """Another screen (the identification strip) changed customers or cards."""
        self._changed(changes)

    def _changed(self, changes: Changes) -> None:
        if changes.customers:
            self.model.refresh()
            self.sig_customers_changed.emit()

    def _failed(self, failure: TaskFailure) -> None:
        self.show_error(failure.message)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.sig_message.emit(message)
