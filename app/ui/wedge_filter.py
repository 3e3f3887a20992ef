"""The application-wide keyboard filter that catches wedge scanners and stripe readers.

Keys are held by :class:`app.devices.wedge.WedgeDecoder` for a few milliseconds; a
recognised burst is emitted as ``sig_burst`` and never reaches the focused field, and
anything a person typed is replayed to the widget it was meant for, in order.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

from app.devices.wedge import Burst, Replay, WedgeConfig, WedgeDecoder

HeldKey = tuple[QWidget, QKeyEvent]
# Shift and the keypad type characters too; a scanner may send either.
_TYPING_MODIFIERS = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier


class WedgeFilter(QObject):
    """Install with ``app.installEventFilter(filter)``; connect ``sig_burst``."""

    sig_burst = Signal(str)

    def __init__(
        self,
        config: WedgeConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._decoder: WedgeDecoder[HeldKey] = WedgeDecoder(config or WedgeConfig())
        self._clock = clock
        self._replaying = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_pause)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if self._replaying or event.type() != QEvent.Type.KeyPress:
            return False
        if not isinstance(watched, QWidget) or not isinstance(event, QKeyEvent):
            return False
        if event.modifiers() & ~_TYPING_MODIFIERS:
            return False  # shortcuts (Ctrl+F, Alt+…) are never device input
        copy = QKeyEvent(
            event.type(),
            event.key(),
            event.modifiers(),
            event.text(),
            event.isAutoRepeat(),
            event.count(),
        )
        self._act(self._decoder.key(_typed_char(event), (watched, copy), self._clock()))
        self._arm()
        return True

    def _on_pause(self) -> None:
        self._act(self._decoder.tick(self._clock()))
        self._arm()

    def _arm(self) -> None:
        deadline = self._decoder.deadline()
        if deadline is None:
            self._timer.stop()
            return
        self._timer.start(max(1, int((deadline - self._clock()) * 1000) + 1))

    def _act(self, actions: list[Burst | Replay[HeldKey]]) -> None:
        for action in actions:
            if isinstance(action, Burst):
                self.sig_burst.emit(action.text)
                continue
            self._replaying = True
            try:
                for widget, key_event in action.keys:
                    if shiboken6.isValid(widget):
                        QApplication.sendEvent(widget, key_event)
            finally:
                self._replaying = False


def _typed_char(event: QKeyEvent) -> str:
    """The character a key types, with Enter and Return as CR; empty for other keys."""
    if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
        return "\r"
    text = event.text()
    return text if len(text) == 1 and text.isprintable() else ""
