"""The customer's cards and keys: issue, mark lost, block, re-issue, reactivate.

Each button is one use case on the store thread; the list is updated from what the use
case hands back, so it never shows a card the store did not accept.
"""

from __future__ import annotations

from dataclasses import replace

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.domain.identifiers import IdentifierStatus
from app.domain.staff import Permission
from app.services.dto import Changes
from app.services.identifiers import CardRequest
from app.services.records import CustomerRecord, IdentifierView
from app.ui.card_dialog import CardDialog
from app.ui.formatting import DisplayFormats
from app.ui.record_context import ERROR_STYLE, HINT_STYLE, RecordContext
from app.ui.rows_model import RowColumn, RowsModel, rows_table
from app.ui.tasks import TaskFailure, while_alive

CARD_CHANGES = Changes(identifiers=True, audit=True)
_LOSABLE = {IdentifierStatus.ACTIVE}
_BLOCKABLE = {IdentifierStatus.ACTIVE, IdentifierStatus.LOST}
_REISSUABLE = {IdentifierStatus.ACTIVE, IdentifierStatus.LOST}
_REACTIVATABLE = {IdentifierStatus.LOST, IdentifierStatus.BLOCKED, IdentifierStatus.EXPIRED}


def card_columns(formats: DisplayFormats) -> list[RowColumn[IdentifierView]]:
    return [
        RowColumn("Kind", lambda card: card.kind.label),
        RowColumn("Number", lambda card: card.value),
        RowColumn("Status", lambda card: card.status.value.capitalize()),
        RowColumn("Label", lambda card: card.label),
        RowColumn("Issued", lambda card: formats.local_date(card.issued_at)),
        RowColumn("Expires", lambda card: formats.local_date(card.expires_at) or "Never"),
    ]


class CardsTab(QWidget):
    """Lists a saved customer's identifiers; for a new customer it only says why it is empty."""

    sig_changed = Signal(object)  # Changes, after a card was issued or changed
    sig_card_dialog_opened = Signal(object)  # CardDialog, once it is shown
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
        self.card_dialog: CardDialog | None = None
        formats = context.formats if context is not None else DisplayFormats()
        self.model: RowsModel[IdentifierView] = RowsModel(card_columns(formats), self)
        self.table = rows_table(self.model)
        for column, width in enumerate((170, 140, 70, 110, 95)):
            self.table.setColumnWidth(column, width)

        self.hint = QLabel()
        self.hint.setStyleSheet(HINT_STYLE)
        self.hint.setWordWrap(True)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()

        self.issue_button = QPushButton("Issue card…")
        self.lost_button = QPushButton("Mark lost")
        self.block_button = QPushButton("Block")
        self.reissue_button = QPushButton("Re-issue…")
        self.reactivate_button = QPushButton("Reactivate")
        self.issue_button.clicked.connect(self.issue)
        self.lost_button.clicked.connect(lambda: self.set_status(IdentifierStatus.LOST))
        self.block_button.clicked.connect(lambda: self.set_status(IdentifierStatus.BLOCKED))
        self.reissue_button.clicked.connect(self.reissue)
        self.reactivate_button.clicked.connect(lambda: self.set_status(IdentifierStatus.ACTIVE))
        buttons = QHBoxLayout()
        for button in self._buttons():
            buttons.addWidget(button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

        if record is None or context is None:
            self.hint.setText("Cards can be issued once the new customer is saved.")
            self.table.setEnabled(False)
        elif not context.may(Permission.MANAGE_IDENTIFIERS):
            self.hint.setText("Only a manager can issue or change cards.")
        else:
            self.hint.setText("Changes to cards take effect at once; they do not wait for Save.")
        if record is not None:
            self.model.set_items(record.identifiers)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.model.modelReset.connect(self._update_actions)
        self._update_actions()

    def expect_card(self, card: str) -> None:
        """A new customer signed up with a card just read: say it comes with the save."""
        self.hint.setText(f"{card} will be this customer's card when you save.")

    def _buttons(self) -> tuple[QPushButton, ...]:
        return (
            self.issue_button,
            self.lost_button,
            self.block_button,
            self.reissue_button,
            self.reactivate_button,
        )

    # --- selection -------------------------------------------------------------------

    def cards(self) -> list[IdentifierView]:
        return self.model.items()

    def selected_card(self) -> IdentifierView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.item_at(rows[0].row()) if rows else None

    def select_card(self, card_id: int) -> None:
        for row, card in enumerate(self.model.items()):
            if card.id == card_id:
                self.table.selectRow(row)

    def _may_act(self) -> bool:
        return (
            self._ctx is not None
            and self.record is not None
            and self._ctx.may(Permission.MANAGE_IDENTIFIERS)
        )

    def _update_actions(self) -> None:
        may = self._may_act()
        card = self.selected_card()
        status = card.status if card is not None else None
        self.issue_button.setEnabled(may)
        self.lost_button.setEnabled(may and status in _LOSABLE)
        self.block_button.setEnabled(may and status in _BLOCKABLE)
        self.reissue_button.setEnabled(may and status in _REISSUABLE)
        self.reactivate_button.setEnabled(may and status in _REACTIVATABLE)

    # --- actions ---------------------------------------------------------------------

    def issue(self) -> None:
        if not self._may_act() or self.record is None:
            return
        if self.card_dialog is not None:
            self.card_dialog.raise_()
            return
        dialog = CardDialog(self.record.full_name, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_submitted.connect(lambda request: self._issue(dialog, request))
        dialog.finished.connect(lambda _result: self._card_dialog_closed(dialog))
        self.card_dialog = dialog
        dialog.open()
        self.sig_card_dialog_opened.emit(dialog)

    def _card_dialog_closed(self, dialog: CardDialog) -> None:
        if self.card_dialog is dialog:
            self.card_dialog = None

    def _issue(self, dialog: CardDialog, request: CardRequest) -> None:
        assert self._ctx is not None and self.record is not None
        service, actor = self._ctx.identifiers, self._ctx.actor
        owned = replace(request, customer_id=self.record.id)

        def issued(card: IdentifierView) -> None:
            if shiboken6.isValid(dialog):  # the user may have closed it meanwhile
                dialog.accept()
            self.model.set_items([*self.model.items(), card])
            self.select_card(card.id)
            self._done(f"Issued {card.kind.label.lower()} {card.value}")

        self._ctx.run(
            self,
            lambda: service.issue(actor, owned),
            issued,
            while_alive(dialog, lambda failure: dialog.show_error(failure.message)),
        )

    def set_status(self, status: IdentifierStatus) -> None:
        card = self.selected_card()
        if card is None or not self._may_act():
            return
        assert self._ctx is not None
        service, actor = self._ctx.identifiers, self._ctx.actor
        self._ctx.run(
            self,
            lambda: service.set_status(actor, card.id, status),
            lambda changed: self._replaced(changed, f"Card {changed.value} is {status.value}"),
            self._failed,
        )

    def reissue(self) -> None:
        card = self.selected_card()
        if card is None or not self._may_act():
            return
        assert self._ctx is not None
        value = self._ctx.prompts.ask_text(
            f"Re-issue card {card.value}",
            "Number or UID of the new card (the old one stays recognised, as lost):",
        )
        if value is None:
            return
        service, actor = self._ctx.identifiers, self._ctx.actor

        def reissue() -> tuple[IdentifierView, IdentifierView]:
            new = service.reissue(actor, card.id, value)
            hit = service.lookup(card.kind, card.value)  # the old card's status now
            same = hit is not None and hit.identifier_id == card.id
            old = replace(card, status=hit.status) if same and hit else card
            return old, new

        def reissued(cards: tuple[IdentifierView, IdentifierView]) -> None:
            old, new = cards
            items = [old if item.id == old.id else item for item in self.model.items()]
            self.model.set_items([*items, new])
            self.select_card(new.id)
            self._done(f"Re-issued {old.value} as {new.value}")

        self._ctx.run(self, reissue, reissued, self._failed)

    def _replaced(self, card: IdentifierView, message: str) -> None:
        self.model.set_items([card if item.id == card.id else item for item in self.model.items()])
        self.select_card(card.id)
        self._done(message)

    def _done(self, message: str) -> None:
        self.error.hide()
        self.sig_message.emit(message)
        self.sig_changed.emit(CARD_CHANGES)

    def _failed(self, failure: TaskFailure) -> None:
        self.error.setText(failure.message)
        self.error.show()
