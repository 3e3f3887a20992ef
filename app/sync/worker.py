"""The sync worker: a background thread that owns the engine and decides when to sync.

Triggers: a timer (every ``interval_s``), local writes (the outbox's pending count,
polled about once a second, or :meth:`SyncWorker.nudge`; debounced), the network coming
back (while offline or in error, retries with exponential backoff and full jitter) and
:meth:`SyncWorker.sync_now`. Each store call is its own short transaction, so the till
never waits on sync. What the worker is doing reaches a listener as a
:class:`~app.sync.status.SyncStatus`, on the worker's thread: a UI adapter must pass it
on through a queued signal.
"""

from __future__ import annotations

import logging
import random as random_module
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from app.services.sync_ports import SyncStore
from app.sync.engine import CycleResult, SyncEngine
from app.sync.errors import NotEnrolledError, OfflineError, SyncError, UnauthorisedError
from app.sync.status import SyncPhase, SyncStatus

log = logging.getLogger(__name__)
T = TypeVar("T")

Connector = Callable[[Callable[[], bool]], SyncEngine]
Listener = Callable[[SyncStatus], None]

DEFAULT_INTERVAL_S = 30.0
POLL_S = 1.0
DEBOUNCE_S = 1.0
STOP_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter: the n-th retry (from 0) waits a random time
    in [0, min(cap, base × 2ⁿ)), so terminals that lost head office together do not all
    come back in the same second."""

    base_s: float = 1.0
    cap_s: float = 60.0

    def delay(self, attempt: int, random: Callable[[], float]) -> float:
        ceiling = min(self.cap_s, self.base_s * 2.0 ** min(max(attempt, 0), 62))
        return ceiling * min(max(random(), 0.0), 1.0)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SyncWorker:
    """One daemon thread per terminal; :meth:`start` once, :meth:`stop` at the end."""

    def __init__(
        self,
        store: SyncStore,
        connect: Connector,
        listener: Listener,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        poll_s: float = POLL_S,
        debounce_s: float = DEBOUNCE_S,
        backoff: Backoff | None = None,
        random: Callable[[], float] = random_module.random,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        if interval_s <= 0 or poll_s <= 0 or debounce_s < 0:
            raise ValueError("sync intervals must be positive")
        self._store = store
        self._connect = connect
        self._listener = listener
        self._interval_s = interval_s
        self._poll_s = poll_s
        self._debounce_s = debounce_s
        self._backoff = backoff or Backoff()
        self._random = random
        self._monotonic = monotonic
        self._now = now
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._reconnect = False
        self._due: float | None = None  # when the next cycle runs; None: only when asked
        self._write_due: float | None = None  # a cycle soon after local writes
        self._polled_at = float("-inf")
        self._attempt = 0  # failed cycles in a row, for the backoff
        self._seen_pending = 0  # the pending count last acted on
        self._jobs: deque[tuple[Callable[[], Any], Future[Any]]] = deque()
        self._engine: SyncEngine | None = None
        self._status = SyncStatus(SyncPhase.NOT_ENROLLED)
        self.cycles = 0  # cycles run, for tests and the log

    # --- control, from any thread ---------------------------------------------------

    @property
    def status(self) -> SyncStatus:
        return self._status

    def start(self) -> None:
        """Start the thread; the first cycle runs at once when the terminal is enrolled."""
        if self._thread is not None:
            raise RuntimeError("the sync worker was already started")
        self._due = self._monotonic()
        self._thread = threading.Thread(target=self._run, name="sync-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> bool:
        """Ask the thread to stop and wait up to ``timeout`` s; True when it has ended.

        A cycle stops between pages and batches; a request in flight may outlast the
        bound (the thread is a daemon and holds nothing that a restart would miss).
        """
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def sync_now(self) -> None:
        """Run a cycle as soon as the current one (if any) ends, whatever the state."""
        with self._wake:
            self._due = self._monotonic()
            self._wake.notify_all()

    def nudge(self) -> None:
        """Something was written: sync about ``debounce_s`` from now, when online."""
        with self._wake:
            self._plan_write_sync()
            self._wake.notify_all()

    def reconnect(self) -> None:
        """Drop the engine and connect afresh, at once (after enrolment)."""
        with self._wake:
            self._reconnect = True
            self._attempt = 0
            self._due = self._monotonic()
            self._wake.notify_all()

    def submit(self, job: Callable[[], T]) -> Future[T]:
        """Run ``job`` on the worker's thread between cycles (enrolment does, so only this
        thread writes the sync state)."""
        future: Future[T] = Future()
        with self._wake:
            if self._stopping:
                future.set_exception(RuntimeError("the sync worker has stopped"))
                return future
            self._jobs.append((job, future))
            self._wake.notify_all()
        return future

    # --- the thread ----------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._refresh_counts(initial=True)
            while True:
                action = self._wait()
                if action == "stop":
                    return
                if action == "job":
                    self._run_job()
                elif action == "poll":
                    self._refresh_counts()
                else:
                    self._cycle()
        except Exception:  # a store that failed under us: say so rather than die silently
            log.exception("The sync worker stopped")
            self._publish(
                state=SyncPhase.ERROR,
                last_error="Sync stopped on an unexpected error; restart Tabkeeper",
            )
        finally:
            if self._engine is not None:
                self._engine.close()
                self._engine = None

    def _wait(self) -> str:
        with self._wake:
            while True:
                if self._stopping:
                    return "stop"
                if self._jobs:
                    return "job"
                now = self._monotonic()
                due = min(
                    (t for t in (self._due, self._write_due) if t is not None),
                    default=None,
                )
                if due is not None and due <= now:
                    return "cycle"
                poll_at = self._polled_at + self._poll_s
                if poll_at <= now:
                    return "poll"
                wake_at = poll_at if due is None else min(due, poll_at)
                self._wake.wait(wake_at - now)

    def _run_job(self) -> None:
        with self._wake:
            job, future = self._jobs.popleft()
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(job())
        except BaseException as error:
            future.set_exception(error)

    def _is_stopping(self) -> bool:
        return self._stopping

    def _plan(self, at: float) -> None:
        # A sync asked for while the cycle ran (Sync now, enrolment) still happens.
        self._due = at if self._due is None else min(self._due, at)

    def _plan_write_sync(self) -> None:
        # Writes bring a sync forward only while head office answers; offline, the
        # backoff decides, so a busy bar does not hammer a dead link.
        if self._status.state is SyncPhase.IDLE and self._write_due is None:
            self._write_due = self._monotonic() + self._debounce_s

    def _refresh_counts(self, *, initial: bool = False) -> None:
        self._polled_at = self._monotonic()
        try:
            counts = self._store.counts()
            state = self._store.state() if initial else None
        except Exception:
            log.exception("Could not read the outbox's counts")
            return
        if state is not None:
            self._publish(
                state=SyncPhase.IDLE if state.server_url else SyncPhase.NOT_ENROLLED,
                last_sync_at=state.last_sync_at,
                last_error=state.last_error,
                head_office_url=state.server_url,
                terminal_name=state.terminal_name,
            )
        self._publish(pending=counts.pending, rejected=counts.rejected)
        if counts.pending and counts.pending != self._seen_pending:
            with self._wake:
                self._plan_write_sync()
        self._seen_pending = counts.pending

    def _cycle(self) -> None:
        with self._wake:
            self._due = None
            self._write_due = None
            reconnect, self._reconnect = self._reconnect, False
        if reconnect and self._engine is not None:
            self._engine.close()
            self._engine = None
        if self._engine is None and not self._connect_engine():
            return
        assert self._engine is not None
        self._publish(state=SyncPhase.SYNCING)
        self.cycles += 1
        try:
            result = self._engine.run_cycle()
        except Exception as error:  # the store failed, or a bug: keep the till selling
            log.exception("A sync cycle failed")
            result = CycleResult(error=SyncError(f"Sync failed on this terminal: {error}"))
        self._after_cycle(result)

    def _connect_engine(self) -> bool:
        try:
            self._engine = self._connect(self._is_stopping)
        except NotEnrolledError as error:
            self._publish(state=SyncPhase.NOT_ENROLLED, online=False, last_error=str(error))
            return False
        except SyncError as error:  # no keyring, a bad URL or CA file: off until fixed
            log.warning("Sync is off: %s", error)
            self._publish(state=SyncPhase.ERROR, online=False, last_error=str(error))
            return False
        except Exception as error:  # the store could not be read: try again later
            log.exception("Could not connect the sync engine")
            self._after_cycle(CycleResult(error=SyncError(f"Sync could not start: {error}")))
            return False
        self._publish(head_office_url=self._engine.head_office_url)
        return True

    def _after_cycle(self, result: CycleResult) -> None:
        pending = 0
        try:
            counts = self._store.counts()
            state = self._store.state()
            pending = self._seen_pending = counts.pending
            self._publish(
                pending=counts.pending,
                rejected=counts.rejected,
                last_sync_at=state.last_sync_at,
                terminal_name=state.terminal_name,
            )
        except Exception:
            log.exception("Could not read the sync state after a cycle")
        error = result.error
        if result.interrupted:
            return
        if error is None:
            with self._wake:
                self._attempt = 0
                self._plan(self._monotonic() + self._interval_s)
            self._publish(state=SyncPhase.IDLE, online=True, last_error="", next_attempt_at=None)
            if pending and result.acknowledged:  # written while it ran: once more, soon
                with self._wake:
                    self._plan_write_sync()
            return
        if isinstance(error, UnauthorisedError):  # revoked or unknown: stop until enrolled
            if self._engine is not None:
                self._engine.close()
                self._engine = None
            self._publish(
                state=SyncPhase.REVOKED, online=True, last_error=str(error), next_attempt_at=None
            )
            return
        with self._wake:
            delay = self._backoff.delay(self._attempt, self._random)
            self._attempt += 1
            self._plan(self._monotonic() + delay)
        offline = isinstance(error, OfflineError)
        self._publish(
            state=SyncPhase.OFFLINE if offline else SyncPhase.ERROR,
            online=not offline,
            last_error=str(error),
            next_attempt_at=self._now() + timedelta(seconds=delay),
        )

    def _publish(self, **changes: Any) -> None:
        status = replace(self._status, **changes)
        if status == self._status:
            return
        self._status = status
        try:
            self._listener(status)
        except Exception:
            log.exception("The sync status listener failed")
