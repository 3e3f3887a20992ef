"""The sync store's calls, run on the terminal's store thread.

SQLite likes one writer: the terminal's :class:`~app.services.worker.StoreWorker` runs
every use case, and a second thread writing beside it could find its read snapshot stale
when it comes to write ("database is locked"). So the sync worker talks to head office on
its own thread but hands each store call (one short transaction) to the store thread and
waits for it; a sale and a pulled page never write at the same time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from app.services.sync_ports import (
    IncomingChange,
    OpeningBalance,
    OpOutcome,
    OutgoingOp,
    SyncCounts,
    SyncState,
    SyncStore,
)
from app.services.worker import StoreWorker

T = TypeVar("T")


class OnStoreThread:
    """A :class:`SyncStore` whose every call runs on ``worker``'s thread."""

    def __init__(self, store: SyncStore, worker: StoreWorker) -> None:
        self._store = store
        self._worker = worker

    def _run(self, call: Callable[[], T]) -> T:
        if self._worker.on_worker_thread():
            return call()
        return self._worker.submit(call).result()

    def state(self) -> SyncState:
        return self._run(self._store.state)

    def save_state(self, state: SyncState) -> None:
        self._run(lambda: self._store.save_state(state))

    def pending(self, limit: int) -> Sequence[OutgoingOp]:
        return self._run(lambda: self._store.pending(limit))

    def acknowledge(self, outcomes: Sequence[OpOutcome], txid: int, at: datetime) -> None:
        self._run(lambda: self._store.acknowledge(outcomes, txid, at))

    def counts(self) -> SyncCounts:
        return self._run(self._store.counts)

    def apply_changes(self, changes: Sequence[IncomingChange], cursor: str) -> None:
        self._run(lambda: self._store.apply_changes(changes, cursor))

    def begin_snapshot(self, cursor: str) -> None:
        self._run(lambda: self._store.begin_snapshot(cursor))

    def apply_snapshot_page(
        self,
        changes: Sequence[IncomingChange],
        openings: Sequence[OpeningBalance],
        next_page: str,
    ) -> None:
        self._run(lambda: self._store.apply_snapshot_page(changes, openings, next_page))

    def finish_snapshot(self) -> None:
        self._run(self._store.finish_snapshot)
