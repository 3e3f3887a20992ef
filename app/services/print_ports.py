"""What the print queue needs from the store, as a protocol. app.store implements it.

A print job moves ``pending`` → ``printing`` (claimed: committed before a byte is sent)
→ ``printed``. A job that failed before any of it reached a printer goes back to
``pending``; one that may have printed in part goes back marked ``REPRINT``, so its next
print says so. A job still ``printing`` when the terminal starts was cut off by a crash
and is marked the same way: a receipt is never printed twice unmarked, and never lost.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

COPY = "COPY"  # a manager's reprint of a past receipt
REPRINT = "REPRINT"  # a job that may have printed in part, printed again
PARTIAL_NOTE = "Possibly printed in part — printing it again marked REPRINT"


class JobStatus(StrEnum):
    PENDING = "pending"
    PRINTING = "printing"
    PRINTED = "printed"


@dataclass(frozen=True, slots=True)
class QueuedJob:
    """A print job as the queue and the screens see it (without its payload)."""

    uuid: str
    kind: str  # "receipt" | "guest_check"
    tab_uuid: str
    created_at: datetime
    status: JobStatus
    attempts: int
    last_error: str  # why it is waiting, in words; empty once printed
    copy_mark: str | None  # None, COPY or REPRINT
    printed_at: datetime | None
    tab_number: int | None = None  # from the payload, for the screens


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """A job a printer took: what to lay out, and the mark its print must carry."""

    uuid: str
    kind: str
    tab_uuid: str
    payload: Mapping[str, object]  # the tab's snapshot, without the queue's own mark
    attempts: int  # this attempt included
    copy_mark: str | None


class PrintQueue(Protocol):
    def waiting(self, kinds: Collection[str] | None = None, limit: int = 100) -> list[QueuedJob]:
        """Jobs not yet printed (pending or printing), oldest first."""

    def claim(self, job_uuid: str) -> ClaimedJob | None:
        """Take a pending job: status printing, attempts + 1. None if it is not pending
        any more (another printer took it). The first statement writes, so it waits its
        turn for the store's write lock rather than failing."""

    def release(self, job_uuid: str, reason: str, *, possibly_partial: bool) -> None:
        """Back to pending with ``reason``; marked REPRINT (unless it is a COPY) when some
        of it may have printed."""

    def mark_printed(self, job_uuid: str, at: datetime) -> None: ...

    def recover_interrupted(self) -> list[str]:
        """Every job left printing (a crash cut it off) back to pending, marked REPRINT;
        returns their uuids. Run before any printer starts."""

    def get(self, job_uuid: str) -> QueuedJob | None: ...

    def latest_for_tab(self, tab_uuid: str, kind: str) -> QueuedJob | None:
        """The tab's newest job of this kind, copies included."""

    def recent(self, kind: str, limit: int = 50) -> list[QueuedJob]:
        """The newest jobs of a kind, newest first, for choosing one to reprint."""

    def add_copy(self, job_uuid: str, mark: str, at: datetime) -> str:
        """A new pending job with the same kind, tab and content, marked ``mark``."""
