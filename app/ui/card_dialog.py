"""Issue a card or key to a customer: kind, value, label and an optional expiry date.

Like the customer form, the dialog never saves by itself: Issue emits ``sig_submitted``
and whoever runs the use case calls ``accept()`` or ``show_error()``, which keeps the input.
"""

from __future__ import annotations

from datetime import date, datetime, time

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.identifiers import IdentifierKind
from app.services.identifiers import CardRequest
from app.ui.record_context import ERROR_STYLE

_PLACEHOLDERS = {
    IdentifierKind.MAGNETIC_CARD: "swipe the card, or type the number printed on it",
    IdentifierKind.SMART_CARD: "tap the card or key, or type its UID (hex)",
    IdentifierKind.BARCODE_CARD: "scan the barcode, or type it",
    IdentifierKind.PHONE: "the phone number the guest gives at the till",
    IdentifierKind.OTHER: "any reference the team uses",
}


def end_of_local_day(day: date) -> datetime:
    """The last second of ``day`` on this machine's clock, as an aware UTC-convertible time."""
    return datetime.combine(day, time(23, 59, 59)).astimezone()


class CardDialog(QDialog):
    """The card to issue; ``request()`` reads it without a customer (the caller adds it)."""

    sig_submitted = Signal(object)  # CardRequest, when the user presses Issue

    def __init__(self, customer_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Issue a card to {customer_name}")
        self.setMinimumWidth(460)
        self.kind = QComboBox()
        for kind in IdentifierKind:
            self.kind.addItem(kind.label, kind.value)
        self.value = QLineEdit()
        self.label = QLineEdit()
        self.label.setPlaceholderText("e.g. blue key fob, staff card (optional)")
        self.expires = QCheckBox("Expires on")
        self.expiry = QDateEdit()
        self.expiry.setCalendarPopup(True)
        self.expiry.setDisplayFormat("d MMM yyyy")
        self.expiry.setMinimumDate(QDate.currentDate().addDays(1))
        self.expiry.setDate(QDate.currentDate().addYears(1))
        self.expiry.setEnabled(False)
        self.expires.toggled.connect(self.expiry.setEnabled)
        expiry_row = QHBoxLayout()
        expiry_row.addWidget(self.expires)
        expiry_row.addWidget(self.expiry, 1)

        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()

        form = QFormLayout()
        form.addRow("Kind", self.kind)
        form.addRow("Number or UID", self.value)
        form.addRow("Label", self.label)
        form.addRow("", expiry_row)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.issue_button = self.buttons.addButton("Issue", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()
        self.value.setFocus()

    def _kind_changed(self) -> None:
        self.value.setPlaceholderText(_PLACEHOLDERS[IdentifierKind(self.kind.currentData())])

    def request(self) -> CardRequest:
        expires_at = None
        if self.expires.isChecked():
            expires_at = end_of_local_day(self.expiry.date().toPython())  # type: ignore[arg-type]
        return CardRequest(
            kind=IdentifierKind(self.kind.currentData()),
            value=self.value.text(),
            label=self.label.text(),
            expires_at=expires_at,
        )

    def _submit(self) -> None:
        self.error.hide()
        self.set_busy(True)
        self.sig_submitted.emit(self.request())

    def set_busy(self, busy: bool) -> None:
        self.issue_button.setEnabled(not busy)
        self.issue_button.setText("Issuing…" if busy else "Issue")

    def show_error(self, message: str) -> None:
        """The service refused the card: say why, keep what was typed."""
        self.set_busy(False)
        self.error.setText(message)
        self.error.show()
