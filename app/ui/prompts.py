"""The small questions the screens ask: a reason, a note, a value, a file, a confirmation.

A protocol, so tests answer them without a modal dialog blocking the event loop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox, QWidget

IMAGE_FILES = "Images (*.jpg *.jpeg *.png *.bmp *.gif *.webp *.tif *.tiff)"


class Prompts(Protocol):
    def ask_reason(self, title: str, label: str) -> str | None:
        """The reason typed, or None when the user cancelled."""

    def ask_note(self, title: str) -> str | None:
        """The note typed, or None when the user cancelled."""

    def ask_text(self, title: str, label: str) -> str | None:
        """One line typed (a new card number), or None when the user cancelled."""

    def choose_image(self, title: str) -> Path | None:
        """An image file picked by the user, or None when they cancelled."""

    def confirm(self, title: str, question: str) -> bool: ...


class DialogPrompts:
    """Asks with Qt's standard modal dialogs."""

    def __init__(self, parent: QWidget) -> None:
        self._parent = parent

    def ask_reason(self, title: str, label: str) -> str | None:
        return self.ask_text(title, label)

    def ask_note(self, title: str) -> str | None:
        text, ok = QInputDialog.getMultiLineText(self._parent, title, "Only the team sees notes.")
        return text if ok else None

    def ask_text(self, title: str, label: str) -> str | None:
        text, ok = QInputDialog.getText(self._parent, title, label, QLineEdit.EchoMode.Normal)
        return text if ok else None

    def choose_image(self, title: str) -> Path | None:
        path, _filter = QFileDialog.getOpenFileName(self._parent, title, "", IMAGE_FILES)
        return Path(path) if path else None

    def confirm(self, title: str, question: str) -> bool:
        answer = QMessageBox.question(self._parent, title, question)
        return answer == QMessageBox.StandardButton.Yes
