"""The small questions the directory asks: a reason, a note, a confirmation.

A protocol, so tests answer them without a modal dialog blocking the event loop.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget


class Prompts(Protocol):
    def ask_reason(self, title: str, label: str) -> str | None:
        """The reason typed, or None when the user cancelled."""

    def ask_note(self, title: str) -> str | None:
        """The note typed, or None when the user cancelled."""

    def confirm(self, title: str, question: str) -> bool: ...


class DialogPrompts:
    """Asks with Qt's standard modal dialogs."""

    def __init__(self, parent: QWidget) -> None:
        self._parent = parent

    def ask_reason(self, title: str, label: str) -> str | None:
        text, ok = QInputDialog.getText(self._parent, title, label, QLineEdit.EchoMode.Normal)
        return text if ok else None

    def ask_note(self, title: str) -> str | None:
        text, ok = QInputDialog.getMultiLineText(self._parent, title, "Only the team sees notes.")
        return text if ok else None

    def confirm(self, title: str, question: str) -> bool:
        answer = QMessageBox.question(self._parent, title, question)
        return answer == QMessageBox.StandardButton.Yes
