"""What the sync worker tells the status bar: one immutable :class:`SyncStatus` at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SyncPhase(StrEnum):
    """What sync is doing now."""

    IDLE = "idle"  # synced, waiting for the next trigger
    SYNCING = "syncing"
    OFFLINE = "offline"  # head office unreachable: retrying with backoff
    ERROR = "error"  # head office reachable but something is wrong: retrying
    NOT_ENROLLED = "not_enrolled"  # no head office or no token: sync is off
    REVOKED = "revoked"  # head office revoked this terminal: sync stopped


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """A snapshot of the terminal's sync, safe to hand to another thread."""

    state: SyncPhase
    online: bool = False
    pending: int = 0  # operations not yet acknowledged by head office
    rejected: int = 0  # operations head office refused, kept for a manager
    last_sync_at: datetime | None = None  # UTC
    last_error: str = ""
    head_office_url: str = ""
    terminal_name: str = ""
    next_attempt_at: datetime | None = None  # UTC; when offline or in error

    @property
    def stopped(self) -> bool:
        """True when sync will not run again by itself (enrolment or a manager is needed)."""
        return self.state in (SyncPhase.NOT_ENROLLED, SyncPhase.REVOKED)
