"""The terminal's printers together: one queue worker per configured printer.

On start it first marks every job a crash left ``printing`` as possibly partial, so it
prints again marked REPRINT, and only then starts the workers. A changed configuration
stops every worker (each finishes or gives up its job) and starts again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from app.devices.backoff import Backoff
from app.devices.events import DeviceState, DeviceStatus
from app.devices.printing.printers import (
    PrinterConfig,
    connection_for,
    is_printer,
    printer_config,
)
from app.devices.printing.queue_worker import (
    Activity,
    Connect,
    JobSource,
    PrintEvent,
    PrintQueueWorker,
    PrintSink,
    Render,
    StoreThread,
)
from app.services.dto import DeviceConfig

log = logging.getLogger(__name__)

_STATES = {
    Activity.READY: DeviceState.CONNECTED,
    Activity.PRINTING: DeviceState.CONNECTED,
    Activity.WAITING: DeviceState.ERROR,
}


class RecoverableQueue(JobSource, Protocol):
    """The queue as the station needs it: the workers' calls, and crash recovery."""

    def recover(self) -> list[str]: ...


def configured_printers(devices: Sequence[DeviceConfig]) -> list[PrinterConfig]:
    """The enabled printers among a terminal's configured devices."""
    printers = []
    for device in devices:
        if not is_printer(device.driver) or not device.enabled:
            continue
        try:
            printers.append(printer_config(device.name, device.driver, device.settings))
        except ValueError:  # e.g. a profile this build no longer has
            log.exception("printer %s has settings this build cannot use", device.name)
    return printers


@dataclass
class PrintStation:
    """Owns the printer workers; ``sink`` gets every worker's events, on their threads."""

    queue: RecoverableQueue
    store: StoreThread
    render: Render
    sink: PrintSink
    connect: Connect = connection_for
    backoff: Backoff = field(default_factory=lambda: Backoff(initial_s=1.0, max_s=10.0))
    poll_s: float = 1.0
    _workers: list[PrintQueueWorker] = field(default_factory=list, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _changing: threading.Lock = field(default_factory=threading.Lock, init=False)

    def start(self, printers: Sequence[PrinterConfig]) -> list[str]:
        """Recover jobs a crash cut off, then start a worker per printer. Returns the
        recovered jobs' uuids (they print again marked REPRINT)."""
        recovered = self.store.submit(self.queue.recover).result()
        if recovered:
            log.warning("%d print job(s) were cut off; they print again", len(recovered))
        with self._lock:
            self._workers = [
                PrintQueueWorker(
                    printer,
                    self.queue,
                    self.store,
                    self.render,
                    self.sink,
                    connect=self.connect,
                    backoff=self.backoff,
                    poll_s=self.poll_s,
                )
                for printer in printers
            ]
            for worker in self._workers:
                worker.start()
        return recovered

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop every worker; each finishes or gives back the job in hand first."""
        with self._changing:
            self._stop_workers(timeout_s)

    def _stop_workers(self, timeout_s: float) -> None:
        with self._lock:
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.request_stop()  # all at once: one slow printer does not hold the rest
        for worker in workers:
            worker.stop(timeout_s)

    def restart(self, printers: Sequence[PrinterConfig]) -> threading.Thread:
        """Apply a changed configuration on a thread of its own, because a worker may wait
        for its printer's timeouts before it stops; returns that thread."""

        def restart() -> None:
            with self._changing:
                self._stop_workers(15.0)
                try:
                    self.start(printers)
                except Exception:
                    log.exception("the printers could not be restarted")

        thread = threading.Thread(target=restart, name="printers restart", daemon=True)
        thread.start()
        return thread

    def wake(self) -> None:
        """A job was queued: every printer looks now."""
        with self._lock:
            for worker in self._workers:
                worker.wake()

    def events(self) -> list[PrintEvent]:
        """Each printer's latest event."""
        with self._lock:
            return [w.last_event for w in self._workers if w.last_event is not None]

    def device_statuses(self) -> list[DeviceStatus]:
        """The printers' states as device statuses, for the Devices screen."""
        return [
            DeviceStatus(event.printer, _STATES[event.activity], event.message, event.at)
            for event in self.events()
        ]
