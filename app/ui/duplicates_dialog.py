"""Likely duplicates of one customer, merged into them on request, with an undo."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.staff import Actor
from app.services.dto import DirectoryRow
from app.services.duplicates import DuplicateCandidate, DuplicateFinder
from app.services.merge import MergeResult, MergeService
from app.ui.prompts import Prompts
from app.ui.record_context import ERROR_STYLE
from app.ui.rows_model import RowColumn, RowsModel, rows_table
from app.ui.tasks import TaskFailure, TaskRunner, while_alive

T = TypeVar("T")

CANDIDATE_COLUMNS: list[RowColumn[DuplicateCandidate]] = [
    RowColumn("Name", lambda c: c.full_name),
    RowColumn("Status", lambda c: c.status.capitalize()),
    RowColumn("Likelihood", lambda c: f"{c.score:.0%}", right_aligned=True),
    RowColumn("Why", lambda c: "; ".join(c.reasons)),
]


@dataclass(frozen=True, slots=True)
class MergeTools:
    """The use cases and questions the dialog needs, handed over by the directory."""

    runner: TaskRunner
    actor: Actor
    finder: DuplicateFinder
    merges: MergeService
    prompts: Prompts


class DuplicatesDialog(QDialog):
    """Candidates for ``survivor``; the chosen one is merged into the survivor."""

    sig_loaded = Signal(int)  # candidates shown
    sig_changed = Signal(object)  # Changes, after a merge or its undo

    def __init__(
        self, tools: MergeTools, survivor: DirectoryRow, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._tools = tools
        self.survivor = survivor
        self.last_merge: MergeResult | None = None
        self.setWindowTitle(f"Possible duplicates of {survivor.full_name}")
        self.setMinimumSize(720, 360)
        self.model: RowsModel[DuplicateCandidate] = RowsModel(CANDIDATE_COLUMNS, self)
        self.table = rows_table(self.model)
        for column, width in enumerate((200, 80, 80)):
            self.table.setColumnWidth(column, width)
        self.status = QLabel("Looking for customers entered twice…")
        self.status.setWordWrap(True)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        self.merge_button = QPushButton("Merge into this customer")
        self.merge_button.setToolTip(
            f"The chosen record's cards, contacts, notes and visits move to "
            f"{survivor.full_name}; it is kept, inactive, so the merge can be undone."
        )
        self.undo_button = QPushButton("Undo merge")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.addButton(self.merge_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.undo_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        self.merge_button.clicked.connect(self.merge_selected)
        self.undo_button.clicked.connect(self.undo_merge)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Customers who may be <b>{survivor.full_name}</b> entered again:"))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.model.modelReset.connect(self._update_actions)
        self._busy = False
        self._update_actions()

    def _run(self, fn: Callable[[], T], on_done: Callable[[T], None]) -> None:
        self._busy = True
        self._update_actions()

        def done(result: T) -> None:
            self._busy = False
            on_done(result)
            self._update_actions()

        def failed(failure: TaskFailure) -> None:
            self._busy = False
            self.error.setText(failure.message)
            self.error.show()
            self._update_actions()

        self._tools.runner.run(fn, while_alive(self, done), while_alive(self, failed))

    def load(self) -> None:
        """Look for candidates (again)."""
        finder, actor, customer_id = self._tools.finder, self._tools.actor, self.survivor.id
        self._run(lambda: finder.for_customer(actor, customer_id), self._loaded)

    def _loaded(self, candidates: list[DuplicateCandidate]) -> None:
        self.model.set_items(candidates)
        if candidates:
            self.table.selectRow(0)
        elif self.last_merge is None:
            self.status.setText(f"No likely duplicates of {self.survivor.full_name}.")
        self.sig_loaded.emit(len(candidates))

    def selected_candidate(self) -> DuplicateCandidate | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.item_at(rows[0].row()) if rows else None

    def _update_actions(self) -> None:
        idle = not self._busy
        self.merge_button.setEnabled(idle and self.selected_candidate() is not None)
        self.undo_button.setEnabled(idle and self.last_merge is not None)

    def merge_selected(self) -> None:
        candidate = self.selected_candidate()
        if candidate is None or self._busy:
            return
        survivor = self.survivor.full_name
        if not self._tools.prompts.confirm(
            "Merge customers",
            f"Merge {candidate.full_name} into {survivor}?\n\n"
            f"Cards, contacts, notes and visits move to {survivor}; {candidate.full_name} "
            "is kept as an inactive record. You can undo this from here.",
        ):
            return
        merges, actor = self._tools.merges, self._tools.actor
        self.error.hide()
        self._run(
            lambda: merges.merge(actor, self.survivor.id, candidate.customer_id),
            lambda result: self._merged(result, candidate),
        )

    def _merged(self, result: MergeResult, candidate: DuplicateCandidate) -> None:
        self.last_merge = result
        self.status.setText(
            f"Merged {candidate.full_name} into {result.survivor.full_name} "
            f"(merge #{result.merge_id})."
        )
        self.sig_changed.emit(result.changes)
        self.load()

    def undo_merge(self) -> None:
        merge = self.last_merge
        if merge is None or self._busy:
            return
        merges, actor = self._tools.merges, self._tools.actor
        self.error.hide()
        self._run(lambda: merges.undo(actor, merge.merge_id), self._undone)

    def _undone(self, result: MergeResult) -> None:
        self.last_merge = None
        self.status.setText(f"Undid merge #{result.merge_id}; both records are separate again.")
        self.sig_changed.emit(result.changes)
        self.load()
