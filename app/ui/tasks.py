"""Run use cases on the store's worker thread and hear back on the UI thread.

The worker's Future completes on the database thread; this adapter turns that into a
queued signal, so callbacks always run on the thread that owns the widgets.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.domain.errors import DomainError
from app.services.worker import StoreWorker

T = TypeVar("T")
V = TypeVar("V")
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TaskFailure:
    """Why a task did not finish: a message for the screen, and the error behind it."""

    message: str
    error: BaseException

    @property
    def expected(self) -> bool:
        """True when the domain refused the work (the user can act on the message)."""
        return isinstance(self.error, DomainError)


def failure_of(error: BaseException) -> TaskFailure:
    """Domain errors speak for themselves; anything else is logged and summarised."""
    if isinstance(error, DomainError):
        return TaskFailure(str(error), error)
    log.error("A store task failed", exc_info=(type(error), error, error.__traceback__))
    return TaskFailure(f"Something went wrong: {error}. Nothing was saved.", error)


@dataclass(slots=True)
class _Callbacks:
    on_done: Callable[[Any], None]
    on_error: Callable[[TaskFailure], None] | None


class TaskRunner(QObject):
    """Submits callables to the StoreWorker; delivers results through queued signals."""

    sig_failed = Signal(str)  # a task without its own error handler failed: show this
    # 1: work started, 0: everything finished. An int, not a bool: PySide6 6.12 drops a
    # reference to True/False on each bool emitted from Python, which aborts the process.
    sig_busy_changed = Signal(int)
    sig_task_finished = Signal(int)  # a task's callbacks have run; carries its ticket
    _sig_completed = Signal(int, object, object)  # ticket, result, error (worker → UI)

    def __init__(self, worker: StoreWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = worker
        self._tickets = itertools.count(1)
        self._pending: dict[int, _Callbacks] = {}
        self._sig_completed.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def run(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[TaskFailure], None] | None = None,
    ) -> int:
        """Queue ``fn`` on the store thread; ``on_done``/``on_error`` run on this thread."""
        ticket = next(self._tickets)
        self._pending[ticket] = _Callbacks(on_done, on_error)
        if len(self._pending) == 1:
            self.sig_busy_changed.emit(1)
        future = self._worker.submit(fn)
        future.add_done_callback(lambda done: self._completed(ticket, done))
        return ticket

    def pending(self) -> int:
        return len(self._pending)

    def _completed(self, ticket: int, future: Future[Any]) -> None:
        # Runs on the worker thread: only emit, never touch Qt objects' state here.
        error = future.exception()
        result = None if error is not None else future.result()
        try:
            self._sig_completed.emit(ticket, result, error)
        except RuntimeError:  # the runner was deleted while the task ran: nobody to tell
            log.debug("Task %s finished after its runner was closed", ticket)

    @Slot(int, object, object)
    def _deliver(self, ticket: int, result: object, error: object) -> None:
        callbacks = self._pending.pop(ticket, None)
        try:
            if callbacks is None:
                return
            if isinstance(error, BaseException):
                failure = failure_of(error)
                if callbacks.on_error is not None:
                    callbacks.on_error(failure)
                else:
                    self.sig_failed.emit(failure.message)
            else:
                callbacks.on_done(result)
        finally:
            self.sig_task_finished.emit(ticket)
            if not self._pending:
                self.sig_busy_changed.emit(0)


def while_alive(owner: QObject, callback: Callable[[V], None]) -> Callable[[V], None]:
    """``callback``, skipped when ``owner`` was deleted (a dialog closed) before the answer."""

    def call(value: V) -> None:
        if shiboken6.isValid(owner):
            callback(value)

    return call
