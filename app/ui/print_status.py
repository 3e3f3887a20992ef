"""The status-bar entry for the printers: empty while everything prints, "Receipt waiting:
Out of paper" while a job waits, and why, until it prints.

Printer workers report from their own threads; `PrintQueueBridge` carries each event to
the UI thread through a queued signal, never by touching a widget from a worker.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QWidget

from app.devices.printing.queue_worker import Activity, PrintEvent

WAITING_STYLE = "color:#8a1c13; font-weight:bold; padding:0 6px;"
PRINTING_STYLE = "color:#444; padding:0 6px;"


class PrintQueueBridge(QObject):
    """Delivers printer events to the thread this bridge lives in (the UI's)."""

    sig_event = Signal(object)  # PrintEvent

    def deliver(self, event: PrintEvent) -> None:
        """Safe from any thread: the signal is queued to the bridge's thread."""
        self.sig_event.emit(event)


class PrintQueueIndicator(QLabel):
    """What the printers are doing, in a few words; every printer's line in the tooltip."""

    sig_changed = Signal(str)  # the text now shown ("" when nothing needs saying)

    def __init__(self, bridge: PrintQueueBridge | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self._latest: dict[str, PrintEvent] = {}
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.hide()
        if bridge is not None:
            bridge.sig_event.connect(self.show_event, Qt.ConnectionType.QueuedConnection)

    def show_event(self, event: PrintEvent) -> None:
        """Take a printer's latest event and show the most pressing one."""
        self._latest[event.printer] = event
        events = sorted(self._latest.values(), key=lambda e: e.printer)
        waiting = [e for e in events if e.activity is Activity.WAITING]
        printing = [e for e in events if e.activity is Activity.PRINTING]
        if waiting:
            text = waiting[0].message
            if len(waiting) > 1:
                text += f" (and {len(waiting) - 1} more printer{'s' * (len(waiting) > 2)})"
            self.setStyleSheet(WAITING_STYLE)
        elif printing:
            text = printing[0].message
            self.setStyleSheet(PRINTING_STYLE)
        else:
            text = ""
        self.setToolTip("\n".join(f"{e.printer}: {e.message}" for e in events))
        if text != self.text():
            self.setText(text)
            self.setVisible(bool(text))
            self.sig_changed.emit(text)
