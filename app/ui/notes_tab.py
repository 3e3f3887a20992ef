"""Internal notes about a customer, an Add note field, and for managers the audit trail."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.domain.staff import Permission
from app.services.directory import AuditView, Saved
from app.services.records import CustomerRecord, NoteView
from app.ui.formatting import DisplayFormats
from app.ui.record_context import ERROR_STYLE, HINT_STYLE, RecordContext
from app.ui.rows_model import RowColumn, RowsModel, rows_table
from app.ui.tasks import TaskFailure


class NotesTab(QWidget):
    """Notes newest first; the history (audit trail) only for those allowed to read it."""

    sig_changed = Signal(object)  # Changes, after a note was added
    sig_history_loaded = Signal(int)  # entries shown
    sig_message = Signal(str)

    def __init__(
        self,
        context: RecordContext | None,
        record: CustomerRecord | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = context
        self.record = record
        formats = context.formats if context is not None else DisplayFormats()
        self.notes: RowsModel[NoteView] = RowsModel(
            [
                RowColumn("When", lambda note: formats.local_time(note.created_at)),
                RowColumn("Author", lambda note: note.author),
                RowColumn("Note", lambda note: note.text),
            ],
            self,
        )
        self.notes_table = rows_table(self.notes)
        self.notes_table.setColumnWidth(0, 140)
        self.notes_table.setColumnWidth(1, 130)
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("A note for the team (the guest never sees it)")
        self.add_button = QPushButton("Add note")
        self.add_button.clicked.connect(self.add_note)
        self.note_edit.returnPressed.connect(self.add_note)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()

        self.history: RowsModel[AuditView] = RowsModel(
            [
                RowColumn("When", lambda entry: formats.local_time(entry.at)),
                RowColumn("Who", lambda entry: entry.actor_name),
                RowColumn("What", lambda entry: entry.summary),
            ],
            self,
        )
        self.history_table = rows_table(self.history)
        self.history_table.setColumnWidth(0, 140)
        self.history_table.setColumnWidth(1, 130)
        self.history_label = QLabel("<b>History</b> (managers only)")

        add_row = QHBoxLayout()
        add_row.addWidget(self.note_edit, 1)
        add_row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Internal notes</b>"))
        self.hint = QLabel()
        self.hint.setStyleSheet(HINT_STYLE)
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        layout.addWidget(self.notes_table, 1)
        layout.addLayout(add_row)
        layout.addWidget(self.error)
        layout.addSpacing(8)
        layout.addWidget(self.history_label)
        layout.addWidget(self.history_table, 1)

        ready = context is not None and record is not None
        if not ready:
            self.hint.setText("Notes can be added once the new customer is saved.")
        else:
            self.hint.hide()
        for widget in (self.note_edit, self.add_button, self.notes_table):
            widget.setEnabled(ready)
        self.shows_history = (
            ready and context is not None and context.may(Permission.VIEW_AUDIT_LOG)
        )
        self.history_label.setVisible(self.shows_history)
        self.history_table.setVisible(self.shows_history)
        if record is not None:
            self._show_notes(record)

    def _show_notes(self, record: CustomerRecord) -> None:
        self.notes.set_items(sorted(record.notes, key=lambda n: n.created_at, reverse=True))

    def load_history(self) -> None:
        """Read the audit trail again (managers only; others see no history)."""
        if not self.shows_history or self._ctx is None or self.record is None:
            return
        service, actor, customer_id = self._ctx.directory, self._ctx.actor, self.record.id
        self._ctx.run(
            self,
            lambda: service.audit_trail(actor, customer_id),
            self._history_loaded,
            self._failed,
        )

    def _history_loaded(self, entries: tuple[AuditView, ...]) -> None:
        self.history.set_items(entries)
        self.sig_history_loaded.emit(len(entries))

    def add_note(self) -> None:
        text = self.note_edit.text()
        if self._ctx is None or self.record is None or not text.strip():
            return
        service, actor, customer_id = self._ctx.directory, self._ctx.actor, self.record.id
        self.add_button.setEnabled(False)

        def added(saved: Saved) -> None:
            self.add_button.setEnabled(True)
            self.error.hide()
            self.note_edit.clear()
            self._show_notes(saved.record)
            self.sig_message.emit("Note added")
            self.sig_changed.emit(saved.changes)
            self.load_history()

        def refused(failure: TaskFailure) -> None:
            self.add_button.setEnabled(True)
            self._failed(failure)

        self._ctx.run(self, lambda: service.add_note(actor, customer_id, text), added, refused)

    def _failed(self, failure: TaskFailure) -> None:
        self.error.setText(failure.message)
        self.error.show()
