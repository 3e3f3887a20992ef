"""A face for the identification strip: the customer's photo, or their initials on a colour
of their own when there is none."""

from __future__ import annotations

import zlib

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap

# Dark enough for white initials to read on (WCAG AA at this size).
_PALETTE = ("#1a73e8", "#188038", "#a142f4", "#c5221f", "#e37400", "#007b83", "#5f6368")


def initials(name: str) -> str:
    """``"Emily Roberts"`` -> ``"ER"``; one word gives one letter; nothing gives ``"?"``."""
    words = [word for word in name.replace("@", " ").split() if word[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


def avatar_colour(name: str) -> str:
    """The same colour for the same name on every terminal (not Python's salted hash)."""
    return _PALETTE[zlib.crc32(name.casefold().encode()) % len(_PALETTE)]


def avatar_pixmap(name: str, side: int) -> QPixmap:
    """A round badge with the name's initials."""
    pixmap = QPixmap(side, side)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(avatar_colour(name)))
        painter.drawEllipse(0, 0, side, side)
        font = QFont()
        font.setPixelSize(max(8, side * 2 // 5))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(QRectF(0, 0, side, side), Qt.AlignmentFlag.AlignCenter, initials(name))
    finally:
        painter.end()
    return pixmap


def photo_pixmap(jpeg: bytes, side: int) -> QPixmap | None:
    """The stored JPEG scaled to fit ``side``×``side``; None if it cannot be read."""
    pixmap = QPixmap()
    if not pixmap.loadFromData(jpeg, "JPEG"):
        return None
    return pixmap.scaled(
        side,
        side,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )
