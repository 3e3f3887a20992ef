"""What the terminal's sync engine needs from the store (docs/SYNC.md).

The engine (app.sync) speaks the wire protocol; the store (app.store.sync_store)
implements :class:`SyncStore`. Between them only these plain values travel, so neither
side knows the other's types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class OutgoingOp:
    """One outbox row on its way to head office."""

    id: str  # the operation's UUIDv7
    kind: str
    entity_uuid: str
    created_at: datetime
    hlc: str
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class OpOutcome:
    """Head office's answer for one operation: applied, duplicate or rejected."""

    id: str
    status: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class IncomingChange:
    """A head-office document: the whole of it, or a tombstone when ``deleted``."""

    entity: str
    uuid: str
    deleted: bool
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class OpeningBalance:
    """A customer's account as head office summed it when a snapshot began."""

    customer_uuid: str
    account: str  # "points" | "purse"
    amount: int
    lifetime_points: int = 0


@dataclass(frozen=True, slots=True)
class SyncCounts:
    """What the status bar shows about the outbox."""

    pending: int  # not yet acknowledged by head office
    rejected: int  # refused by head office, kept for a manager to see
    oldest_pending_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SyncState:
    """The terminal's sync bookkeeping, kept in its store."""

    node: str  # this terminal's clock node (its uuid once enrolled)
    server_url: str = ""
    terminal_uuid: str = ""
    terminal_name: str = ""
    cursor: str = ""  # "" until the first snapshot has finished
    snapshot_page: str = ""  # the next page while a snapshot is under way
    snapshot_cursor: str = ""
    last_sync_at: datetime | None = None
    last_error: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)


class SyncStore(Protocol):
    """Each method is one short transaction of its own."""

    def state(self) -> SyncState: ...
    def save_state(self, state: SyncState) -> None: ...

    def pending(self, limit: int) -> Sequence[OutgoingOp]:
        """Unacknowledged operations, oldest first (rejected ones are not sent again)."""

    def acknowledge(self, outcomes: Sequence[OpOutcome], txid: int, at: datetime) -> None:
        """Mark operations applied/duplicate (done) or rejected (kept, with the reason)."""

    def counts(self) -> SyncCounts: ...

    def apply_changes(self, changes: Sequence[IncomingChange], cursor: str) -> None:
        """Apply pulled documents and move the cursor, in one transaction."""

    def begin_snapshot(self, cursor: str) -> None:
        """Start taking a snapshot whose pull cursor will be ``cursor``."""

    def apply_snapshot_page(
        self,
        changes: Sequence[IncomingChange],
        openings: Sequence[OpeningBalance],
        next_page: str,
    ) -> None:
        """Apply one page and remember where the next one starts, in one transaction."""

    def finish_snapshot(self) -> None:
        """Drop what head office no longer has, delete acknowledged ledger entries (the
        openings hold them) and make the snapshot's cursor the pull cursor."""
