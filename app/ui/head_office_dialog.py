"""Enrol this terminal with head office: its address, the one-time code a manager made
there (``python -m headoffice enrol-code``) and this terminal's name.

Each field is checked as it is typed; "Enrol" is offered once all three can be sent.
The call to head office runs off the UI thread (``HeadOfficeContext.enrol`` returns a
Future); its answer, or why it failed in words, comes back through a queued signal.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.sync.client import check_head_office_url
from app.sync.enrolment import Enrolment, check_code, check_terminal_name
from app.sync.errors import SyncError
from app.ui.record_context import ERROR_STYLE

HINT_STYLE = "color:#555;"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class HeadOfficeContext:
    """What the dialog needs: how to enrol (off the UI thread) and what to suggest."""

    enrol: Callable[[str, str, str], Future[Enrolment]]
    head_office_url: str = ""
    terminal_name: str = ""


class HeadOfficeDialog(QDialog):
    """Enrols the terminal; emits ``sig_enrolled(name, url)`` and closes when done."""

    sig_enrolled = Signal(str, str)  # this terminal's name, head office's URL
    _sig_answered = Signal(object)  # the enrolment's Future, from its thread

    def __init__(self, context: HeadOfficeContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._touched: set[QLineEdit] = set()
        self._future: Future[Enrolment] | None = None
        self.setWindowTitle(self.tr("Head office"))
        intro = QLabel(
            self.tr(
                "Enrol this terminal with head office to sync customers, balances and "
                "closed tabs. A manager at head office makes the one-time code."
            )
        )
        intro.setWordWrap(True)
        self.url = QLineEdit(context.head_office_url)
        self.url.setPlaceholderText("https://office.example.com")
        self.url.setAccessibleName(self.tr("Head office address"))
        self.code = QLineEdit()
        self.code.setPlaceholderText("K7QM-3XPR-9TWD")
        self.code.setAccessibleName(self.tr("Enrolment code"))
        self.name = QLineEdit(context.terminal_name)
        self.name.setPlaceholderText(self.tr("Till 2"))
        self.name.setAccessibleName(self.tr("This terminal's name"))
        self.hints: dict[QLineEdit, QLabel] = {}
        form = QFormLayout()
        for label, field in (
            (self.tr("Head office address"), self.url),
            (self.tr("Enrolment code"), self.code),
            (self.tr("This terminal's name"), self.name),
        ):
            hint = QLabel()
            hint.setWordWrap(True)
            hint.setTextFormat(Qt.TextFormat.PlainText)
            hint.hide()
            self.hints[field] = hint
            form.addRow(label, field)
            form.addRow("", hint)
            field.textEdited.connect(lambda _text, field=field: self._edited(field))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setAccessibleName(self.tr("Enrolment result"))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.enrol_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.enrol_button.setText(self.tr("Enrol"))
        self.enrol_button.setAccessibleName(self.tr("Enrol this terminal"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(intro)
        column.addLayout(form)
        column.addWidget(self.message)
        column.addWidget(self.buttons)
        self._sig_answered.connect(self._answered, Qt.ConnectionType.QueuedConnection)
        self.validate()

    # --- checking as you type ------------------------------------------------------

    def _edited(self, field: QLineEdit) -> None:
        self._touched.add(field)
        self.message.clear()
        self.validate()

    def problems(self) -> dict[QLineEdit, str]:
        """Each field's problem in words (none when it can be sent)."""
        found: dict[QLineEdit, str] = {}
        for field, check in (
            (self.url, check_head_office_url),
            (self.code, check_code),
            (self.name, check_terminal_name),
        ):
            try:
                check(field.text())
            except SyncError as error:
                found[field] = str(error)
        return found

    def validate(self) -> bool:
        """Show the problems of the fields typed in; offer Enrol when there are none."""
        problems = self.problems()
        for field, hint in self.hints.items():
            problem = problems.get(field, "")
            if problem and field in self._touched:
                shown, style = problem, ERROR_STYLE
            elif field is self.url and not problem:
                shown, style = self._plain_http_warning(field.text()), HINT_STYLE
            else:
                shown, style = "", HINT_STYLE
            hint.setStyleSheet(style)
            hint.setText(shown)
            hint.setVisible(bool(shown))
            field.setAccessibleDescription(shown)
        ready = not problems and self._future is None
        self.enrol_button.setEnabled(ready)
        return not problems

    def _plain_http_warning(self, text: str) -> str:
        parts = urlsplit(text.strip())
        if parts.scheme == "http" and (parts.hostname or "") not in LOCAL_HOSTS:
            return self.tr(
                "Without https:// the terminal's token travels unencrypted: use this only "
                "on a private network."
            )
        return ""

    # --- enrolling -----------------------------------------------------------------

    def submit(self) -> None:
        """Send the code to head office (off the UI thread)."""
        self._touched.update(self.hints)
        if self._future is not None or not self.validate():
            return
        self._busy(True)
        self.message.setStyleSheet(HINT_STYLE)
        self.message.setText(self.tr("Enrolling with head office…"))
        future = self._context.enrol(self.url.text(), self.code.text(), self.name.text())
        self._future = future
        future.add_done_callback(self._relay)

    def _relay(self, future: Future[Enrolment]) -> None:
        # On the enrolment's thread: only a queued signal crosses over. The dialog may
        # have been closed and deleted meanwhile; then nobody is waiting for the answer.
        with suppress(RuntimeError):
            self._sig_answered.emit(future)

    def _answered(self, future: Future[Enrolment]) -> None:
        if future is not self._future:
            return
        self._future = None
        self._busy(False)
        error = future.exception()
        if error is None:
            enrolment = future.result()
            self.message.setStyleSheet(HINT_STYLE)
            self.message.setText(self.tr("Enrolled; syncing now."))
            self.sig_enrolled.emit(enrolment.terminal_name, enrolment.head_office_url)
            self.accept()
            return
        text = (
            str(error)
            if isinstance(error, SyncError)
            else self.tr("Enrolment failed on this terminal: {error}").format(error=error)
        )
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(text)
        self.validate()

    def _busy(self, busy: bool) -> None:
        for field in self.hints:
            field.setReadOnly(busy)
        self.enrol_button.setEnabled(not busy)
