"""A receipt on screen as the printer will print it: monospace, as wide as the paper.

It shows ``render_text`` of the layout, the same lines the printed bytes decode to, so a
cashier sees the guest check or receipt before (or instead of) printing it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QFrame, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

# paper.py, not render.py: the preview needs no python-escpos, which is slow to import
from app.devices.printing.paper import render_text
from app.domain.receipts import ReceiptLayout

PAPER_STYLE = "QPlainTextEdit { background: #fffdf7; color: #111; border: 1px solid #ccc; }"


class ReceiptPreview(QWidget):
    """A read-only, paper-width view of one receipt layout."""

    def __init__(self, columns: int = 48, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._columns = columns
        self._lines: list[str] = []
        self.caption = QLabel(self)
        self.paper = QPlainTextEdit(self)
        self.paper.setReadOnly(True)
        self.paper.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.paper.setFrameShape(QFrame.Shape.NoFrame)
        self.paper.setStyleSheet(PAPER_STYLE)
        self.paper.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.paper.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.paper.setAccessibleName("Receipt preview")
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.caption)
        box.addWidget(self.paper)
        self._fit_width()

    @property
    def columns(self) -> int:
        return self._columns

    def show_layout(self, layout: ReceiptLayout, columns: int | None = None) -> None:
        """Show ``layout`` on paper ``columns`` wide (32 for 58 mm, 48 for 80 mm)."""
        if columns is not None and columns != self._columns:
            self._columns = columns
            self._fit_width()
        self._lines = render_text(layout, self._columns)
        title = "Guest check" if layout.kind == "guest_check" else "Receipt"
        if layout.copy_mark:
            title += f" ({layout.copy_mark})"
        self.caption.setText(f"{title} · {self._columns} columns")
        self.paper.setPlainText("\n".join(self._lines))

    def lines(self) -> list[str]:
        """The lines on show, as ``render_text`` gave them."""
        return list(self._lines)

    def _fit_width(self) -> None:
        metrics = self.paper.fontMetrics()
        margins = self.paper.contentsMargins()
        document = int(self.paper.document().documentMargin()) * 2
        text = metrics.horizontalAdvance("M" * self._columns)
        scrollbar = self.paper.verticalScrollBar().sizeHint().width()
        width = text + document + margins.left() + margins.right() + scrollbar + 4
        self.paper.setFixedWidth(width)
