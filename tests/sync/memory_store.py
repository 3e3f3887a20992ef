"""A terminal's sync store in memory, and a wrapper that "kills" the terminal mid-cycle.

``MemorySyncStore`` implements app.services.sync_ports.SyncStore with plain dicts, for
the engine's and worker's own logic; the tests against head office use the terminal's
real SQLite store. ``Dying`` wraps any store and raises :class:`Killed` (a
BaseException, so nothing in the engine can swallow it) when a chosen call is made,
leaving the store exactly as a process killed at that point would.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from app.domain.ids import new_uuid7
from app.services.sync_ports import (
    IncomingChange,
    OpeningBalance,
    OpOutcome,
    OutgoingOp,
    SyncCounts,
    SyncState,
    SyncStore,
)

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class Row:
    op: OutgoingOp
    status: str = "pending"
    reason: str = ""


@dataclass
class MemorySyncStore:
    state_: SyncState = field(default_factory=lambda: SyncState(node=new_uuid7()))
    outbox: dict[str, Row] = field(default_factory=dict)
    docs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    openings: dict[tuple[str, str], int] = field(default_factory=dict)
    snapshot_seen: set[tuple[str, str]] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    called: threading.Condition = field(default_factory=threading.Condition)

    def _call(self, name: str) -> None:
        with self.called:
            self.calls.append(name)
            self.called.notify_all()

    def wait_calls(self, name: str, count: int) -> None:
        """Wait until ``name`` has been called ``count`` times in all."""
        with self.called:
            met = self.called.wait_for(lambda: self.calls.count(name) >= count, 20)
        assert met, f"{name} was called {self.calls.count(name)} times, not {count}"

    def write(self, kind: str = "customer.note", **payload: Any) -> OutgoingOp:
        """What a service does: one business change, one outbox row."""
        op = OutgoingOp(new_uuid7(), kind, new_uuid7(), T0, f"{0:013d}-0000-x", payload)
        with self.lock:
            self.outbox[op.id] = Row(op)
        return op

    def state(self) -> SyncState:
        self._call("state")
        return self.state_

    def save_state(self, state: SyncState) -> None:
        self._call("save_state")
        self.state_ = state

    def pending(self, limit: int) -> Sequence[OutgoingOp]:
        self._call("pending")
        with self.lock:
            return [r.op for r in self.outbox.values() if r.status == "pending"][:limit]

    def acknowledge(self, outcomes: Sequence[OpOutcome], txid: int, at: datetime) -> None:
        self._call("acknowledge")
        with self.lock:
            for outcome in outcomes:
                row = self.outbox[outcome.id]
                row.status = "rejected" if outcome.status == "rejected" else "done"
                row.reason = outcome.reason

    def counts(self) -> SyncCounts:
        self._call("counts")
        with self.lock:
            statuses = [r.status for r in self.outbox.values()]
        return SyncCounts(statuses.count("pending"), statuses.count("rejected"))

    def _apply(self, changes: Sequence[IncomingChange]) -> None:
        for change in changes:
            key = (change.entity, change.uuid)
            if change.deleted:
                self.docs.pop(key, None)
            else:
                self.docs[key] = dict(change.data)

    def apply_changes(self, changes: Sequence[IncomingChange], cursor: str) -> None:
        self._call("apply_changes")
        self._apply(changes)
        self.state_ = replace(self.state_, cursor=cursor)

    def begin_snapshot(self, cursor: str) -> None:
        self._call("begin_snapshot")
        self.snapshot_seen = set()
        self.openings = {}
        self.state_ = replace(self.state_, snapshot_cursor=cursor, snapshot_page="")

    def apply_snapshot_page(
        self,
        changes: Sequence[IncomingChange],
        openings: Sequence[OpeningBalance],
        next_page: str,
    ) -> None:
        self._call("apply_snapshot_page")
        self._apply(changes)
        self.snapshot_seen.update((c.entity, c.uuid) for c in changes)
        for o in openings:
            self.openings[(o.customer_uuid, o.account)] = o.amount
        self.state_ = replace(self.state_, snapshot_page=next_page)

    def finish_snapshot(self) -> None:
        self._call("finish_snapshot")
        self.docs = {k: v for k, v in self.docs.items() if k in self.snapshot_seen}
        self.state_ = replace(
            self.state_, cursor=self.state_.snapshot_cursor, snapshot_cursor="", snapshot_page=""
        )


class Killed(BaseException):
    """The terminal's process died here."""


class Dying:
    """``store``, until the ``nth`` call of ``method``: that call kills the "process",
    before (``when="before"``) or after (``"after"``) the store has done it."""

    def __init__(self, store: SyncStore, method: str, nth: int = 1, when: str = "before"):
        self._store = store
        self._method = method
        self._left = nth
        self._when = when

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._store, name)
        if name != self._method:
            return real

        def call(*args: Any, **kwargs: Any) -> Any:
            self._left -= 1
            if self._left == 0 and self._when == "before":
                raise Killed(name)
            result = real(*args, **kwargs)
            if self._left == 0:
                raise Killed(name)
            return result

        return call
