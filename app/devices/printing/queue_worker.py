"""One printer's worker: takes the oldest waiting job it prints, and prints it.

Each attempt: claim the job (``printing``, attempts + 1, committed before any byte is
sent), open the connection, ask the printer's status where it can answer (DLE EOT), lay
the job out, send it, ask again, and mark it printed. A printer that is off, refuses,
is out of paper or has its cover open sends the job back to waiting with the reason,
and the worker tries again after a backoff; printing continues when the printer is back.
A job that may have reached the paper in part (the link dropped mid-job, or the paper ran
out under it) goes back marked REPRINT, so it is never printed twice unmarked.

Store calls run on the store's writer thread (``StoreThread``), as every write does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ParamSpec, Protocol, TypeVar

from app.devices.backoff import Backoff
from app.devices.events import Clock, utc_now
from app.devices.printing.connections import PrinterConnection, PrinterConnectionError
from app.devices.printing.printers import PrinterConfig, connection_for
from app.devices.printing.profiles import PrinterProfile
from app.devices.printing.render import render_escpos
from app.services.print_ports import REPRINT, ClaimedJob
from app.services.printing import job_title
from app.services.receipt_layout import VenueInfo, build_layout

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


class JobSource(Protocol):
    """What a printer needs of the queue (`app.services.printing.PrintService`)."""

    def next_job(self, kinds: Collection[str], skip: Collection[str] = ()) -> ClaimedJob | None: ...
    def printed(self, job_uuid: str) -> None: ...
    def failed(self, job_uuid: str, reason: str, *, possibly_partial: bool) -> None: ...


class StoreThread(Protocol):
    """The store's single writer (`app.services.worker.StoreWorker`)."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]: ...


Render = Callable[[ClaimedJob, PrinterProfile], bytes]
Connect = Callable[[PrinterConfig], PrinterConnection]


def receipt_renderer(venue: VenueInfo) -> Render:
    """Lay a job out (`build_layout`) and encode it for the printer (`render_escpos`)."""

    def render(job: ClaimedJob, profile: PrinterProfile) -> bytes:
        return render_escpos(build_layout(job.kind, job.payload, venue, job.copy_mark), profile)

    return render


class Activity(StrEnum):
    READY = "ready"  # nothing to print, or all printed
    PRINTING = "printing"
    WAITING = "waiting"  # a job waits for the printer; ``message`` says why


@dataclass(frozen=True, slots=True)
class PrintEvent:
    """What a printer is doing, for the till: "Receipt waiting: Out of paper"."""

    printer: str
    activity: Activity
    message: str
    at: datetime
    job_uuid: str | None = None


PrintSink = Callable[[PrintEvent], None]


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one try went: ``reason`` is None when printed."""

    reason: str | None = None
    possibly_partial: bool = False
    note: str = ""  # printed, but worth saying: "paper nearly out"


class PrintQueueWorker:
    """The thread that prints one printer's jobs; ``wake()`` when a job was queued."""

    def __init__(
        self,
        config: PrinterConfig,
        jobs: JobSource,
        store: StoreThread,
        render: Render,
        sink: PrintSink,
        *,
        connect: Connect = connection_for,
        backoff: Backoff | None = None,
        poll_s: float = 1.0,
        clock: Clock = utc_now,
    ) -> None:
        self.config = config
        self._jobs = jobs
        self._store = store
        self._render = render
        self._sink = sink
        self._connect = connect
        self._backoff = backoff or Backoff(initial_s=1.0, max_s=10.0)
        self._poll_s = poll_s
        self._clock = clock
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._unprintable: set[str] = set()  # jobs whose layout failed: the next ones go on
        self._last: tuple[Activity, str] | None = None
        self.last_event: PrintEvent | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"printer {self.config.name}", daemon=True
        )
        self._thread.start()

    def wake(self) -> None:
        """Look for work now rather than at the next poll."""
        self._wake.set()

    def request_stop(self) -> None:
        """Ask the thread to stop after the job in hand; returns at once."""
        self._stop.set()
        self._wake.set()

    def stop(self, timeout_s: float = 15.0) -> bool:
        """Finish the job in hand (bounded by the connection's timeouts) and stop.
        Returns whether the thread ended within ``timeout_s``."""
        self.request_stop()
        if self._thread is None:
            return True
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning("printer %s did not stop within %s s", self.config.name, timeout_s)
            return False
        return True

    # --- the loop ------------------------------------------------------------------------

    def _call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        # No timeout: a claim given up on while it waited would still be made, later.
        return self._store.submit(fn, *args, **kwargs).result()

    def _run(self) -> None:
        delay = self._backoff.initial_s
        self._report(Activity.READY, f"{self.config.name}: nothing to print")
        while not self._stop.is_set():
            self._wake.clear()
            try:
                job = self._call(self._jobs.next_job, self.config.kinds, set(self._unprintable))
            except Exception as error:  # the store is closing, or a store call failed
                if self._stop.is_set():
                    break
                log.exception("printer %s could not read the queue", self.config.name)
                self._report(Activity.WAITING, f"The print queue cannot be read ({error})")
                self._stop.wait(delay)
                delay = self._backoff.after(delay)
                continue
            if job is None:
                self._wake.wait(self._poll_s)
                continue
            attempt = self._attempt(job)
            if not self._settle(job, attempt):
                break  # stopping: the claim stays ``printing`` and the next start reprints
            if attempt.reason is None:
                delay = self._backoff.initial_s
                continue
            self._stop.wait(delay)
            delay = self._backoff.after(delay)

    def _settle(self, job: ClaimedJob, attempt: Attempt) -> bool:
        """Write the attempt's outcome, retrying until the store takes it; False if the
        worker was stopped first."""
        title = job_title(job)
        reason = attempt.reason
        if reason is not None and attempt.possibly_partial:
            mark = job.copy_mark or REPRINT
            reason = f"{reason} — possibly printed in part; it prints again marked {mark}"
        delay = self._backoff.initial_s
        while True:
            try:
                if reason is None:
                    self._call(self._jobs.printed, job.uuid)
                else:
                    partial = attempt.possibly_partial
                    self._call(self._jobs.failed, job.uuid, reason, possibly_partial=partial)
                break
            except Exception:
                log.exception("printer %s could not record job %s", self.config.name, job.uuid)
                if self._stop.wait(delay):
                    return False
                delay = self._backoff.after(delay)
        if reason is None:
            done = f"{title} printed" + (f" — {attempt.note}" if attempt.note else "")
            self._report(Activity.READY, done, job.uuid)
        else:
            self._report(Activity.WAITING, f"{title} waiting: {reason}", job.uuid)
        return True

    def _attempt(self, job: ClaimedJob) -> Attempt:
        profile = self.config.profile
        try:
            data = self._render(job, profile)
        except Exception as error:
            log.exception("job %s could not be laid out", job.uuid)
            self._unprintable.add(job.uuid)
            return Attempt(f"Could not lay out this {job_title(job).lower()} ({error})")
        try:
            connection = self._connect(self.config)
        except Exception as error:
            log.exception("printer %s cannot be set up", self.config.name)
            return Attempt(f"{self.config.name} cannot be set up ({error})")
        sending = False
        try:
            connection.open()
            asks = profile.status_query or not connection.two_way  # CUPS: its queue's state
            before = connection.query_status() if asks else None
            if before is not None and not before.ready:
                return Attempt(before.reason)
            self._report(Activity.PRINTING, f"Printing {job_title(job).lower()}…", job.uuid)
            sending = True
            connection.send(data)
            if not (connection.two_way and profile.status_query):
                return Attempt()
            after = connection.query_status()
            if after is not None and not after.ready:
                return Attempt(after.reason, possibly_partial=True)
            note = after.reason.removeprefix("Ready — ") if after is not None else ""
            return Attempt(note="" if note == "Ready" else note)
        except PrinterConnectionError as error:
            # Over a two-way link any byte may have reached the paper once sending began;
            # lp (CUPS) takes a job whole or not at all.
            return Attempt(error.reason, possibly_partial=sending and connection.two_way)
        except Exception as error:  # a driver's surprise must not end the worker
            log.exception("printer %s failed on job %s", self.config.name, job.uuid)
            return Attempt(f"{self.config.name} failed ({error})", possibly_partial=sending)
        finally:
            connection.close()

    def _report(self, activity: Activity, message: str, job_uuid: str | None = None) -> None:
        if self._last == (activity, message):
            return
        self._last = (activity, message)
        event = PrintEvent(self.config.name, activity, message, self._clock(), job_uuid)
        self.last_event = event
        try:
            self._sink(event)
        except Exception:
            log.exception("print event sink failed on %r", message)
