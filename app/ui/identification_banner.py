"""The strip at the top of the till that says who was just swiped, tapped or rang."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from app.devices.events import DeviceRejected, DeviceStatus
from app.devices.resolution import CallIdentified, Identified, Resolved
from app.services.identification import ImpersonalCard, Recognised, Refused, Unknown

_STYLES = {
    "ok": "background:#e6f4ea; color:#0d5223;",
    "warn": "background:#fff4d6; color:#6b4a00;",
    "stop": "background:#fde2e1; color:#8a1c13;",
}


class DeviceBridge(QObject):
    """Carries resolved device events from device threads to the UI thread."""

    sig_resolved = Signal(object)

    def deliver(self, resolved: Resolved) -> None:
        """Safe from any thread: the signal is queued to the thread this bridge lives in."""
        self.sig_resolved.emit(resolved)


def describe(resolved: Resolved) -> tuple[str, str] | None:
    """(text, style) for what a device reported; None for what the strip does not show."""
    if isinstance(resolved, Identified):
        outcome = resolved.outcome
        if isinstance(outcome, Recognised):
            card = outcome.card
            parts = [card.full_name]
            if outcome.category is not None:
                parts.append(outcome.category.name)
            allergies = [
                f"{r.name} ({r.severity})" if r.severity else r.name for r in card.restrictions
            ]
            if allergies:
                parts.append("⚠ " + ", ".join(allergies))
            if outcome.warning:
                parts.append(outcome.warning)
            return " · ".join(parts), "warn" if outcome.warning or allergies else "ok"
        if isinstance(outcome, ImpersonalCard):
            return f"{outcome.category.name} card (no customer)", "ok"
        if isinstance(outcome, Refused):
            return outcome.reason, "stop"
        if isinstance(outcome, Unknown):
            shown = resolved.event.masked or outcome.value
            offer = "enrol it on a customer" if outcome.may_enrol else "ask a manager to enrol it"
            return (
                f"Unknown {outcome.kind.label.lower()} {shown}: {offer}, or add a new customer.",
                "warn",
            )
    if isinstance(resolved, CallIdentified):
        caller = resolved.caller
        names = ", ".join(c.full_name for c in caller.customers) or (
            resolved.event.name or "not a regular"
        )
        line = f" on line {resolved.event.line}" if resolved.event.line else ""
        return f"☎ {caller.shown_as}{line}: {names}", "ok" if caller.customers else "warn"
    if isinstance(resolved, DeviceRejected):
        return f"{resolved.device}: {resolved.reason}", "warn"
    if isinstance(resolved, DeviceStatus):
        return None
    return None


class IdentificationBanner(QFrame):
    """Shows the latest identification; hidden until the first one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.label)
        self.setVisible(False)

    def show_resolved(self, resolved: Resolved) -> None:
        shown = describe(resolved)
        if shown is None:
            return
        text, style = shown
        self.label.setText(text)
        self.setStyleSheet(f"IdentificationBanner {{ {_STYLES[style]} border-radius: 4px; }}")
        self.setVisible(True)
