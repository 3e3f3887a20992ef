"""The status-bar entry for sync with head office: online or offline, what is not synced
yet, when it last synced (local time), the last error in words, and "Sync now".

The sync worker reports from its own thread; :class:`SyncStatusBridge` carries each
status to the UI thread through a queued signal, never by touching a widget from there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from app.sync.status import SyncPhase, SyncStatus

LIGHTS = {  # the dot's colour for each state
    SyncPhase.IDLE: "#2e7d32",
    SyncPhase.SYNCING: "#1565c0",
    SyncPhase.OFFLINE: "#9e9e9e",
    SyncPhase.ERROR: "#c62828",
    SyncPhase.NOT_ENROLLED: "#9e9e9e",
    SyncPhase.REVOKED: "#c62828",
}
ALERT_STYLE = "color:#8a1c13;"
SHORT_ERROR = 48  # characters of the last error shown in the bar; the tooltip has it all


class SyncStatusBridge(QObject):
    """Delivers sync statuses to the thread this bridge lives in (the UI's)."""

    sig_status = Signal(object)  # SyncStatus

    def deliver(self, status: SyncStatus) -> None:
        """Safe from any thread: the signal is queued to the bridge's thread."""
        self.sig_status.emit(status)


def short_error(text: str, limit: int = SHORT_ERROR) -> str:
    """The part of an error worth showing in a status bar: after its last colon, cut."""
    _head, colon, tail = text.rpartition(": ")
    short = tail if colon and len(tail) >= 8 else text
    short = short.rstrip(".")
    return short if len(short) <= limit else short[: limit - 1].rstrip() + "…"


class SyncStatusIndicator(QWidget):
    """A dot, a line of text and a "Sync now" button; the whole story in the tooltip."""

    sig_changed = Signal(str)  # the text now shown

    def __init__(
        self,
        bridge: SyncStatusBridge | None = None,
        *,
        sync_now: Callable[[], None] | None = None,
        time_zone: tzinfo | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._sync_now = sync_now
        self._zone = time_zone
        self._now = now
        self.status: SyncStatus | None = None
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 6, 0)
        row.setSpacing(4)
        self.light = QLabel("●")
        self.light.setAccessibleName(self.tr("Head office connection"))
        self.summary = QLabel(self.tr("Sync: starting…"))
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setAccessibleName(self.tr("Sync status"))
        self.button = QPushButton(self.tr("Sync now"))
        self.button.setAccessibleName(self.tr("Sync now"))
        self.button.setToolTip(self.tr("Send what is waiting to head office and fetch changes"))
        self.button.setFlat(True)
        self.button.setEnabled(sync_now is not None)
        self.button.clicked.connect(self._pressed)
        row.addWidget(self.light)
        row.addWidget(self.summary)
        row.addWidget(self.button)
        if bridge is not None:
            bridge.sig_status.connect(self.show_status, Qt.ConnectionType.QueuedConnection)

    def _pressed(self) -> None:
        if self._sync_now is not None:
            self._sync_now()

    def show_status(self, status: SyncStatus) -> None:
        """Show ``status`` (on the UI thread)."""
        self.status = status
        self.light.setStyleSheet(f"color:{LIGHTS[status.state]};")
        self.light.setAccessibleDescription(self._state_words(status))
        text = self.describe(status)
        alert = status.state in (SyncPhase.ERROR, SyncPhase.REVOKED)
        self.summary.setStyleSheet(ALERT_STYLE if alert else "")
        self.summary.setText(text)
        self.summary.setAccessibleDescription(text)
        tooltip = self.details(status)
        self.setToolTip(tooltip)
        self.summary.setToolTip(tooltip)
        self.light.setToolTip(tooltip)
        self.button.setEnabled(self._sync_now is not None and status.state is not SyncPhase.SYNCING)
        self.sig_changed.emit(text)

    def describe(self, status: SyncStatus) -> str:
        """The short line shown in the bar."""
        parts = [self._state_words(status)]
        if status.state is SyncPhase.IDLE:
            parts.append(self._synced(status.last_sync_at))
        if status.state in (SyncPhase.OFFLINE, SyncPhase.ERROR) and status.last_error:
            parts[0] += f": {short_error(status.last_error)}"
        if status.pending:
            parts.append(self.tr("{count} not synced").format(count=status.pending))
        if status.rejected:
            parts.append(self.tr("{count} refused").format(count=status.rejected))
        return " · ".join(parts)

    def details(self, status: SyncStatus) -> str:
        """Everything, for the tooltip."""
        lines = [self._state_words(status)]
        if status.head_office_url:
            lines.append(self.tr("Head office: {url}").format(url=status.head_office_url))
        if status.terminal_name:
            lines.append(self.tr("This terminal: {name}").format(name=status.terminal_name))
        last = (
            self._local(status.last_sync_at).strftime("%d %b %Y %H:%M")
            if status.last_sync_at
            else self.tr("never")
        )
        lines.append(self.tr("Last sync: {when}").format(when=last))
        lines.append(self.tr("Not synced yet: {count}").format(count=status.pending))
        if status.rejected:
            lines.append(
                self.tr("Refused by head office: {count} (kept for a manager)").format(
                    count=status.rejected
                )
            )
        if status.next_attempt_at is not None:
            at = self._local(status.next_attempt_at).strftime("%H:%M:%S")
            lines.append(self.tr("Next try: {at}").format(at=at))
        if status.last_error:
            lines.append(self.tr("Last error: {error}").format(error=status.last_error))
        return "\n".join(lines)

    def _state_words(self, status: SyncStatus) -> str:
        words = {
            SyncPhase.IDLE: self.tr("Online") if status.online else self.tr("Head office"),
            SyncPhase.SYNCING: self.tr("Syncing…"),
            SyncPhase.OFFLINE: self.tr("Offline"),
            SyncPhase.ERROR: self.tr("Sync error"),
            SyncPhase.NOT_ENROLLED: self.tr("Not connected to head office"),
            SyncPhase.REVOKED: self.tr("Revoked at head office: enrol again"),
        }
        return words[status.state]

    def _synced(self, at: datetime | None) -> str:
        if at is None:
            return self.tr("not synced yet")
        local = self._local(at)
        if local.date() == self._local(self._now()).date():
            return self.tr("synced {time}").format(time=local.strftime("%H:%M"))
        return self.tr("synced {date}").format(date=local.strftime("%d %b %H:%M"))

    def _local(self, at: datetime) -> datetime:
        return at.astimezone(self._zone) if self._zone is not None else at.astimezone()
