"""One sync cycle with head office: snapshot when needed, push the outbox, pull changes.

The engine holds no state of its own between cycles: the cursor, the snapshot's page and
the outbox live in the store (:class:`app.services.sync_ports.SyncStore`), each step in a
transaction of its own, so a terminal killed at any point continues where it stopped:

- killed after head office committed a push but before the answer arrived: the
  operations are still pending, the next cycle sends them again and gets ``duplicate``;
- killed between pull pages: the cursor moved with the last page applied;
- killed during a snapshot: the next cycle resumes from the page the store remembers,
  and pushes nothing until the snapshot has finished.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from pydantic import ValidationError

from app.domain.errors import DomainError
from app.domain.hlc import HybridClock, parse_stamp
from app.services.sync_ports import (
    IncomingChange,
    OpeningBalance,
    OpOutcome,
    OutgoingOp,
    SyncStore,
)
from app.sync.client import SNAPSHOT_PAGE_LIMIT
from app.sync.errors import BadAnswerError, RequestRefusedError, SnapshotRequiredError, SyncError
from app.sync.wire import (
    DEFAULT_PULL_LIMIT,
    MAX_PUSH_OPS,
    Change,
    Operation,
    OpStatus,
    PullResponse,
    PushResponse,
    SnapshotPage,
)

log = logging.getLogger(__name__)

# Stored as the snapshot's next page once its last page is applied: a terminal killed
# before finish_snapshot() then only finishes it, instead of taking it all again.
SNAPSHOT_DONE = "~done"


class HeadOffice(Protocol):
    """What the engine needs from head office (:class:`app.sync.client.HeadOfficeClient`)."""

    url: str

    def push(self, ops: Sequence[Operation]) -> PushResponse: ...
    def pull(self, cursor: str, limit: int = ...) -> PullResponse: ...
    def snapshot(self, page: str, limit: int = ...) -> SnapshotPage: ...
    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class CycleResult:
    """What one cycle did; ``error`` says why it stopped early (also kept in the store)."""

    applied: int = 0
    duplicates: int = 0
    rejected: int = 0
    pulled: int = 0
    snapshot_pages: int = 0
    snapshot_finished: bool = False
    error: SyncError | None = None
    interrupted: bool = False  # the worker is stopping; nothing is lost, the next cycle goes on

    @property
    def ok(self) -> bool:
        return self.error is None and not self.interrupted

    @property
    def acknowledged(self) -> int:
        return self.applied + self.duplicates + self.rejected


@dataclass(slots=True)
class _Tally:
    applied: int = 0
    duplicates: int = 0
    rejected: int = 0
    pulled: int = 0
    snapshot_pages: int = 0
    snapshot_finished: bool = False

    def result(self, error: SyncError | None = None, *, interrupted: bool = False) -> CycleResult:
        return CycleResult(
            self.applied,
            self.duplicates,
            self.rejected,
            self.pulled,
            self.snapshot_pages,
            self.snapshot_finished,
            error,
            interrupted,
        )


class _InterruptedError(Exception):
    """The worker is stopping."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _never() -> bool:
    return False


class SyncEngine:
    """Runs sync cycles for one terminal store against one head office."""

    def __init__(
        self,
        store: SyncStore,
        head_office: HeadOffice,
        clock: HybridClock,
        *,
        now: Callable[[], datetime] = _utc_now,
        push_batch: int = MAX_PUSH_OPS,
        pull_limit: int = DEFAULT_PULL_LIMIT,
        snapshot_limit: int = SNAPSHOT_PAGE_LIMIT,
        stopping: Callable[[], bool] = _never,
    ) -> None:
        if not 1 <= push_batch <= MAX_PUSH_OPS:
            raise ValueError(f"push_batch must be 1 to {MAX_PUSH_OPS}, not {push_batch}")
        self._store = store
        self._head_office = head_office
        self._clock = clock
        self._now = now
        self._push_batch = push_batch
        self._pull_limit = pull_limit
        self._snapshot_limit = snapshot_limit
        self._stopping = stopping

    @property
    def head_office_url(self) -> str:
        return self._head_office.url

    def close(self) -> None:
        self._head_office.close()

    def run_cycle(self) -> CycleResult:
        """Snapshot if needed, push every pending operation, pull until up to date.

        Never raises a :class:`SyncError`: it is returned in the result and kept, in
        words, as the store's ``last_error``. A store failure propagates.
        """
        tally = _Tally()
        try:
            self._cycle(tally)
        except _InterruptedError:
            return tally.result(interrupted=True)
        except SyncError as error:
            state = self._store.state()
            self._store.save_state(replace(state, last_error=str(error)))
            return tally.result(error)
        state = self._store.state()
        self._store.save_state(replace(state, last_sync_at=self._now(), last_error=""))
        return tally.result()

    def _cycle(self, tally: _Tally) -> None:
        state = self._store.state()
        if state.snapshot_cursor or not state.cursor:
            self._snapshot(tally)  # nothing is pushed while a snapshot is under way
        try:
            self._push(tally)
            self._pull(tally)
        except SnapshotRequiredError as error:  # the cursor expired, or head office asks
            log.info("Taking a fresh snapshot: %s", error)
            self._snapshot(tally, fresh=True)
            self._push(tally)
            self._pull(tally)

    # --- push ---------------------------------------------------------------------

    def _push(self, tally: _Tally) -> None:
        sent: set[str] = set()
        while True:
            self._check_stop()
            ops = self._store.pending(self._push_batch)
            if not ops:
                return
            if any(op.id in sent for op in ops):
                raise BadAnswerError(
                    "Head office did not answer for every operation sent; the rest are sent "
                    "again at the next sync"
                )
            sent.update(op.id for op in ops)
            wire, refused = _to_wire(ops)
            if refused:
                self._store.acknowledge(refused, 0, self._now())
                tally.rejected += len(refused)
            if not wire:
                continue
            answer = self._head_office.push(wire)
            self._observe(answer.hlc)
            batch = {op.id for op in wire}
            outcomes = {
                r.id: OpOutcome(r.id, r.status.value, r.reason)
                for r in answer.results
                if r.id in batch
            }
            self._store.acknowledge(list(outcomes.values()), answer.txid, self._now())
            for outcome in outcomes.values():
                if outcome.status == OpStatus.APPLIED:
                    tally.applied += 1
                elif outcome.status == OpStatus.DUPLICATE:
                    tally.duplicates += 1
                else:
                    tally.rejected += 1
                    log.warning("Head office refused operation %s: %s", outcome.id, outcome.reason)

    # --- pull ---------------------------------------------------------------------

    def _pull(self, tally: _Tally) -> None:
        cursor = self._store.state().cursor
        while True:
            self._check_stop()
            answer = self._head_office.pull(cursor, self._pull_limit)
            self._observe(answer.hlc)
            if answer.changes or answer.cursor != cursor:
                self._store.apply_changes(_incoming(answer.changes), answer.cursor)
                tally.pulled += len(answer.changes)
            if not answer.more:
                return
            if answer.cursor == cursor:
                raise BadAnswerError(
                    "Head office says there is more to pull but did not move the cursor; "
                    "sync will try again"
                )
            cursor = answer.cursor

    # --- snapshot -----------------------------------------------------------------

    def _snapshot(self, tally: _Tally, *, fresh: bool = False) -> None:
        state = self._store.state()
        resuming = not fresh and bool(state.snapshot_cursor) and bool(state.snapshot_page)
        if resuming and state.snapshot_page == SNAPSHOT_DONE:
            self._store.finish_snapshot()
            tally.snapshot_finished = True
            return
        page = state.snapshot_page if resuming else ""
        begun = resuming
        while True:
            self._check_stop()
            try:
                answer = self._head_office.snapshot(page, self._snapshot_limit)
            except RequestRefusedError:
                if not (resuming and page == state.snapshot_page):
                    raise
                # Head office no longer knows the page this terminal stopped at: start over.
                log.info("Head office refused snapshot page %r; starting the snapshot over", page)
                page, begun = "", False
                continue
            self._observe(answer.hlc)
            if not begun:
                self._store.begin_snapshot(answer.cursor)
                begun = True
            openings = [
                OpeningBalance(o.customer_uuid, o.account, o.amount, o.lifetime_points)
                for o in answer.openings
            ]
            next_page = SNAPSHOT_DONE if answer.done else answer.page
            self._store.apply_snapshot_page(_incoming(answer.changes), openings, next_page)
            tally.snapshot_pages += 1
            tally.pulled += len(answer.changes)
            if answer.done:
                self._store.finish_snapshot()
                tally.snapshot_finished = True
                return
            page = answer.page

    # --- helpers ------------------------------------------------------------------

    def _observe(self, hlc: str) -> None:
        try:
            self._clock.observe(parse_stamp(hlc))
        except DomainError:
            raise BadAnswerError(
                f"Head office sent a clock stamp Tabkeeper cannot read: {hlc!r}"
            ) from None

    def _check_stop(self) -> None:
        if self._stopping():
            raise _InterruptedError


def _incoming(changes: Sequence[Change]) -> list[IncomingChange]:
    return [IncomingChange(c.entity, c.uuid, c.deleted, c.data) for c in changes]


def _to_wire(ops: Sequence[OutgoingOp]) -> tuple[list[Operation], list[OpOutcome]]:
    """The operations as wire messages, and outcomes refusing any that cannot travel
    (kept, marked rejected, so one broken row never holds back the rest)."""
    wire: list[Operation] = []
    refused: list[OpOutcome] = []
    for op in ops:
        try:
            json.dumps(op.payload, allow_nan=False)
            wire.append(
                Operation(
                    id=op.id,
                    kind=op.kind,
                    entity_uuid=op.entity_uuid,
                    created_at=op.created_at,
                    hlc=op.hlc,
                    payload=dict(op.payload),
                )
            )
        except (ValidationError, TypeError, ValueError) as error:
            reason = f"this terminal could not send it: {str(error).splitlines()[0]}"
            log.error("Operation %s (%s) cannot be sent: %s", op.id, op.kind, error)
            refused.append(OpOutcome(op.id, OpStatus.REJECTED.value, reason))
    return wire, refused
