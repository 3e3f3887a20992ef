"""The terminal's link to head office: the sync worker while enrolled, enrolment, and the
status every screen (or log) listening is told.

The worker runs only while the terminal is enrolled (head office's URL in the store or
the settings, and a token for it in the keyring). Until then the status says why sync is
off; enrolling, or "Sync now" after an enrolment made from the command line, starts it.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path

from app.domain.hlc import HybridClock
from app.services.sync_ports import SyncStore
from app.sync.credentials import TerminalCredentials
from app.sync.enrolment import Enrolment, engine_connector, enrol_terminal, head_office_of
from app.sync.errors import NotEnrolledError, SyncError
from app.sync.status import SyncPhase, SyncStatus
from app.sync.worker import DEBOUNCE_S, DEFAULT_INTERVAL_S, POLL_S, Backoff, Listener, SyncWorker

log = logging.getLogger(__name__)

NOT_ENROLLED = (
    "This terminal is not enrolled with head office: a manager enrols it under "
    "Terminal ▸ Head office…, or with `python -m app sync enrol`"
)


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """How the terminal syncs (from the settings)."""

    head_office_url: str = ""  # used until enrolment stores one
    interval_s: float = DEFAULT_INTERVAL_S
    ca_file: Path | None = None
    poll_s: float = POLL_S
    debounce_s: float = DEBOUNCE_S
    backoff: Backoff = field(default_factory=Backoff)


class SyncLink:
    """Owns the sync worker of one terminal; :meth:`start` with the app, :meth:`stop` at
    the end. Listeners are called on the worker's thread (or the caller's)."""

    def __init__(
        self,
        store: SyncStore,
        credentials: TerminalCredentials,
        clock: HybridClock,
        options: SyncOptions | None = None,
    ) -> None:
        self._store = store
        self._credentials = credentials
        self._clock = clock
        self._options = options or SyncOptions()
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._status = SyncStatus(SyncPhase.NOT_ENROLLED)
        self._worker: SyncWorker | None = None
        self._stopped = False

    @property
    def status(self) -> SyncStatus:
        return self._status

    @property
    def running(self) -> bool:
        return self._worker is not None

    def add_listener(self, listener: Listener) -> None:
        """Hear every status from now on; ``listener`` is told the current one at once."""
        with self._lock:
            self._listeners.append(listener)
            current = self._status
        listener(current)

    def remove_listener(self, listener: Listener) -> None:
        """Stop telling ``listener`` (a screen that closed)."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def start(self) -> SyncStatus:
        """Start the worker when enrolled; otherwise the status says why sync is off."""
        with self._lock:
            if self._worker is not None or self._stopped:
                return self._status
        why = self._why_off()
        if why is not None:
            self._heard(why)
            return why
        worker = SyncWorker(
            self._store,
            engine_connector(
                self._store,
                self._credentials,
                self._clock,
                fallback_url=self._options.head_office_url,
                ca_file=self._options.ca_file,
            ),
            self._heard,
            interval_s=self._options.interval_s,
            poll_s=self._options.poll_s,
            debounce_s=self._options.debounce_s,
            backoff=self._options.backoff,
        )
        with self._lock:
            if self._worker is not None or self._stopped:
                return self._status
            self._worker = worker
        worker.start()
        return self._status

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop the worker (waiting up to ``timeout`` s); no sync starts after this."""
        with self._lock:
            self._stopped = True
            worker = self._worker
        return worker.stop(timeout) if worker is not None else True

    def sync_now(self) -> None:
        """Sync at once; when the worker is not running, check enrolment again first (it
        may have been done from the command line)."""
        worker = self._worker
        if worker is not None:
            worker.sync_now()
        else:  # the store and the keyring are read off the caller's (the UI's) thread
            threading.Thread(target=self.start, name="sync-start", daemon=True).start()

    def nudge(self) -> None:
        """Something was written: the worker syncs soon (it also notices by itself)."""
        if self._worker is not None:
            self._worker.nudge()

    def enrol(self, url: str, code: str, name: str) -> Future[Enrolment]:
        """Enrol with head office off the caller's thread, then sync; the Future holds the
        :class:`Enrolment` or the :class:`SyncError` saying why not."""

        def enrol() -> Enrolment:
            return enrol_terminal(
                self._store,
                self._credentials,
                url,
                code,
                name,
                ca_file=self._options.ca_file,
                clock=self._clock,
            )

        worker = self._worker
        if worker is not None:  # its thread is the one that writes the sync state

            def enrol_and_reconnect() -> Enrolment:
                enrolment = enrol()
                worker.reconnect()
                return enrolment

            return worker.submit(enrol_and_reconnect)
        future: Future[Enrolment] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                enrolment = enrol()
            except BaseException as error:
                future.set_exception(error)
                return
            self.start()
            future.set_result(enrolment)

        threading.Thread(target=run, name="sync-enrolment", daemon=True).start()
        return future

    def _why_off(self) -> SyncStatus | None:
        """The status to show when sync cannot run, or None when the worker can start."""
        try:
            state = self._store.state()
            counts = self._store.counts()
        except Exception as error:
            log.exception("Could not read the sync state")
            return SyncStatus(SyncPhase.ERROR, last_error=f"Could not read the sync state: {error}")
        base = SyncStatus(
            SyncPhase.NOT_ENROLLED,
            pending=counts.pending,
            rejected=counts.rejected,
            last_sync_at=state.last_sync_at,
            last_error=NOT_ENROLLED,
            head_office_url=state.server_url or self._options.head_office_url,
            terminal_name=state.terminal_name,
        )
        try:
            url = head_office_of(self._store, self._options.head_office_url)
            if not url:
                return base
            if self._credentials.load(url) is None:
                raise NotEnrolledError(
                    f"This terminal has no credentials for head office at {url}: enrol it "
                    "under Terminal ▸ Head office…, or with `python -m app sync enrol`"
                )
        except NotEnrolledError as error:
            return replace(base, last_error=str(error))
        except SyncError as error:  # no keyring, or a bad URL: off until that is fixed
            return replace(base, state=SyncPhase.ERROR, last_error=str(error))
        return None

    def _heard(self, status: SyncStatus) -> None:
        with self._lock:
            self._status = status
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(status)
            except Exception:
                log.exception("A sync status listener failed")
