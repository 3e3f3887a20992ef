"""The PC/SC transport: watch smart-card readers, identify presented cards, report events.

Why the low-level ``smartcard.scard`` API and not ``CardMonitor``/``ReaderMonitor`` or
``CardRequest``: those are process-wide singletons with their own polling threads (the
house style forbids both), and polling ``readers()`` would notice cards late and burn CPU.
One ``SCardGetStatusChange`` call waits on every reader *and* on the
``\\\\?PnP?\\Notification`` pseudo-reader, so card insertion/removal and reader
plugging wake one thread at once; ``SCardCancel`` from ``stop()`` wakes it for shutdown.

The wait is still bounded (``poll_timeout``): pcsc-lite's PnP entry only fires for a
change *during* a call, so the reader list is re-read on every wake, and a ``stop()``
that races the start of a call costs at most one timeout. When pcscd is not running
the watcher reports "smart-card service unavailable" and retries with a bounded,
configurable backoff until it comes back or ``stop()`` is called.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from smartcard import scard

from app.devices.backoff import Backoff
from app.devices.errors import DeviceParseError
from app.devices.events import (
    CardRemoved,
    DeviceEvent,
    DeviceRejected,
    DeviceState,
    DeviceStatus,
    EventSink,
    IdentificationEvent,
)
from app.devices.pcsc_card import card_identity
from app.domain.identifiers import IdentifierKind, utcnow

_log = logging.getLogger(__name__)

SERVICE_UNAVAILABLE = "smart-card service unavailable"
PNP_READER = "\\\\?PnP?\\Notification"
ALL_READERS = "Smart-card readers"  # the device name for service-wide status
SERVICE_RETRY_MAX_S = 30.0  # the longest wait between attempts to reach pcscd

EstablishContext = Callable[[], tuple[int, int]]


def _code(hresult: int) -> int:
    return hresult & 0xFFFFFFFF


_SUCCESS = _code(scard.SCARD_S_SUCCESS)
_TIMEOUT = _code(scard.SCARD_E_TIMEOUT)
_CANCELLED = _code(scard.SCARD_E_CANCELLED)
_NO_READERS = _code(scard.SCARD_E_NO_READERS_AVAILABLE)
_UNKNOWN_READER = _code(scard.SCARD_E_UNKNOWN_READER)
_CARD_GONE = {_code(scard.SCARD_W_REMOVED_CARD), _code(scard.SCARD_E_NO_SMARTCARD)}
# The daemon went away or restarted: the context is dead and must be established again.
_SERVICE_LOST = {
    _code(scard.SCARD_E_NO_SERVICE),
    _code(scard.SCARD_E_SERVICE_STOPPED),
    _code(scard.SCARD_E_INVALID_HANDLE),
    _code(scard.SCARD_F_COMM_ERROR),
}


def establish_user_context() -> tuple[int, int]:
    """``SCardEstablishContext`` in user scope: (hresult, context)."""
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    return int(hresult), int(context)


class SmartCardServiceError(RuntimeError):
    """pcscd (or the platform's smart-card service) is not there to answer."""


def list_readers(establish_context: EstablishContext = establish_user_context) -> list[str]:
    """The names of the readers plugged in now; raise SmartCardServiceError without pcscd."""
    hresult, context = establish_context()
    if _code(hresult) != _SUCCESS:
        raise SmartCardServiceError(SERVICE_UNAVAILABLE)
    try:
        hresult, names = scard.SCardListReaders(context, [])
        if _code(hresult) == _NO_READERS:
            return []
        if _code(hresult) != _SUCCESS:
            raise SmartCardServiceError(SERVICE_UNAVAILABLE)
        return [str(name) for name in names]
    finally:
        scard.SCardReleaseContext(context)


@dataclass(slots=True)
class _Reader:
    current_state: int = scard.SCARD_STATE_UNAWARE
    card_present: bool = False
    card_events: int = -1  # pcsc-lite's insert/remove counter (event state >> 16)
    mute_reported: bool = False


class _TransmitError(Exception):
    def __init__(self, hresult: int) -> None:
        super().__init__(scard.SCardGetErrorMessage(hresult))
        self.hresult = hresult


@dataclass(eq=False)
class PcscReaderWatcher:
    """Watch PC/SC readers on a thread of its own and report to ``sink``.

    ``reader_filter`` keeps readers whose name contains it (case-insensitive);
    ``device_name`` is the configured name events carry (the reader's name if None).
    """

    sink: EventSink
    reader_filter: str | None = None
    device_name: str | None = None
    clock: Callable[[], datetime] = utcnow
    poll_timeout: float = 1.0
    backoff: Backoff = field(default_factory=lambda: Backoff(max_s=SERVICE_RETRY_MAX_S))
    establish_context: EstablishContext = establish_user_context
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _context: int | None = field(default=None, init=False, repr=False)
    _last_status: dict[str, tuple[DeviceState, str]] = field(
        default_factory=dict, init=False, repr=False
    )

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        """Start watching on a new thread (a no-op when already running)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="pcsc-reader", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop watching; wake a blocked wait with SCardCancel and join the thread.

        Returns whether the thread ended within ``timeout`` seconds. The cancel is
        repeated while waiting: one sent just before the thread enters
        SCardGetStatusChange would otherwise be lost and cost a whole poll timeout.
        """
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return True
        deadline = time.monotonic() + timeout
        while thread.is_alive():
            with self._lock:
                if self._context is not None:
                    scard.SCardCancel(self._context)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            thread.join(min(0.05, remaining))
        return not thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- the thread ----------------------------------------------------------

    def _run(self) -> None:
        delays = self.backoff.delays()
        while not self._stopping.is_set():
            hresult, context = self.establish_context()
            if _code(hresult) != _SUCCESS:
                self._status(ALL_READERS, DeviceState.ERROR, SERVICE_UNAVAILABLE)
                self._stopping.wait(next(delays))
                continue
            delays = self.backoff.delays()
            if self._last_status.get(ALL_READERS, (None, ""))[0] is DeviceState.ERROR:
                self._last_status.pop(ALL_READERS)  # back: report the next outage again
            with self._lock:
                self._context = context
            try:
                self._watch(context)
            except Exception:  # never let one bad answer end the watcher
                _log.exception("smart-card watcher failed; starting again")
                self._stopping.wait(next(delays))
            finally:
                with self._lock:
                    self._context = None
                scard.SCardReleaseContext(context)

    def _watch(self, context: int) -> None:
        readers: dict[str, _Reader] = {}
        pnp_state: int | None = scard.SCARD_STATE_UNAWARE  # None: no PnP notifications
        while not self._stopping.is_set():
            names = self._list(context)
            if names is None:
                self._forget_all(readers)
                self._status(ALL_READERS, DeviceState.ERROR, SERVICE_UNAVAILABLE)
                return
            self._sync_readers(readers, names)
            states = [] if pnp_state is None else [(PNP_READER, pnp_state)]
            states += [(name, reader.current_state) for name, reader in readers.items()]
            hresult, changed = scard.SCardGetStatusChange(
                context, max(1, int(self.poll_timeout * 1000)), states
            )
            code = _code(hresult)
            if code in (_TIMEOUT, _CANCELLED, _UNKNOWN_READER):
                continue  # stop requested, nothing happened, or a reader vanished: look again
            if code in _SERVICE_LOST:
                self._forget_all(readers)
                self._status(ALL_READERS, DeviceState.ERROR, SERVICE_UNAVAILABLE)
                return
            if code != _SUCCESS:
                _log.warning("SCardGetStatusChange: %s", scard.SCardGetErrorMessage(hresult))
                self._stopping.wait(self.poll_timeout)
                continue
            for name, event_state, _atr in changed:
                if name == PNP_READER:
                    unsupported = event_state & scard.SCARD_STATE_UNKNOWN
                    pnp_state = None if unsupported else event_state & ~scard.SCARD_STATE_CHANGED
                elif name in readers:
                    self._reader_changed(context, name, readers[name], event_state)

    def _list(self, context: int) -> list[str] | None:
        """Reader names passing the filter; None when the service is gone."""
        hresult, names = scard.SCardListReaders(context, [])
        code = _code(hresult)
        if code == _NO_READERS:
            return []
        if code != _SUCCESS:
            return None
        wanted = (self.reader_filter or "").casefold()
        return [str(name) for name in names if wanted in str(name).casefold()]

    def _sync_readers(self, readers: dict[str, _Reader], names: list[str]) -> None:
        for name in list(readers):
            if name not in names:
                self._reader_gone(name, readers.pop(name))
        for name in names:
            if name not in readers:
                readers[name] = _Reader()
                self._status(self._device(name), DeviceState.CONNECTED, f"Card reader {name} ready")
        what = f"matching '{self.reader_filter}' " if self.reader_filter else ""
        no_reader = (DeviceState.DISCONNECTED, f"No card reader {what}is plugged in")
        key = self.device_name or ALL_READERS
        if not names:
            self._status(key, *no_reader)
        elif self._last_status.get(key) == no_reader:
            del self._last_status[key]  # so a later unplugging is reported again

    def _reader_gone(self, name: str, reader: _Reader) -> None:
        if reader.card_present:
            self._emit(CardRemoved(self._device(name), self.clock()))
        self._status(self._device(name), DeviceState.DISCONNECTED, f"Card reader {name} unplugged")

    def _forget_all(self, readers: dict[str, _Reader]) -> None:
        """The service went away: cards are gone, readers will be announced again."""
        for name, reader in readers.items():
            if reader.card_present:
                self._emit(CardRemoved(self._device(name), self.clock()))
            self._last_status.pop(self._device(name), None)
        readers.clear()

    def _reader_changed(self, context: int, name: str, reader: _Reader, event_state: int) -> None:
        reader.current_state = event_state & ~scard.SCARD_STATE_CHANGED
        if event_state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_IGNORE):
            return  # unplugged; the next listing reports it
        present = bool(event_state & scard.SCARD_STATE_PRESENT)
        events = event_state >> 16
        if not present:
            if reader.card_present:
                self._emit(CardRemoved(self._device(name), self.clock()))
            reader.card_present = False
            reader.mute_reported = False
            return
        if reader.card_present and events == reader.card_events:
            return  # the same card; only its in-use flags changed
        if reader.card_present:  # taken out and put back between two looks
            self._emit(CardRemoved(self._device(name), self.clock()))
        reader.card_events = events
        if event_state & scard.SCARD_STATE_MUTE:
            reader.card_present = False
            if not reader.mute_reported:
                reader.mute_reported = True
                self._reject(name, "The card does not answer; check it is inserted the right way.")
            return
        reader.card_present = True
        self._identify(context, name)

    def _identify(self, context: int, name: str) -> None:
        hresult, card, protocol = scard.SCardConnect(
            context,
            name,
            scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        if _code(hresult) != _SUCCESS:
            if _code(hresult) not in _CARD_GONE:
                self._reject(name, f"Could not talk to the card: {self._error(hresult)}")
            return
        try:
            scard.SCardBeginTransaction(card)
            hresult, _reader, _state, protocol, atr = scard.SCardStatus(card)
            if _code(hresult) != _SUCCESS:
                raise _TransmitError(hresult)
            pci = scard.SCARD_PCI_T0 if protocol == scard.SCARD_PROTOCOL_T0 else scard.SCARD_PCI_T1

            def transmit(apdu: list[int]) -> tuple[list[int], int, int]:
                hresult, response = scard.SCardTransmit(card, pci, apdu)
                if _code(hresult) != _SUCCESS:
                    raise _TransmitError(hresult)
                if len(response) < 2:
                    raise DeviceParseError("The card's answer has no status word.")
                return list(response[:-2]), int(response[-2]), int(response[-1])

            identity = card_identity(bytes(atr), transmit)
        except DeviceParseError as refused:
            self._reject(name, refused.reason)
        except _TransmitError as failed:
            if _code(failed.hresult) not in _CARD_GONE:
                reason = self._error(failed.hresult)
                self._reject(name, f"The card stopped answering ({reason}); present it again.")
        else:
            self._emit(
                IdentificationEvent(
                    kind=IdentifierKind.SMART_CARD,
                    value=identity.value,
                    device=self._device(name),
                    at=self.clock(),
                )
            )
        finally:
            scard.SCardEndTransaction(card, scard.SCARD_LEAVE_CARD)
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)

    # -- reporting -------------------------------------------------------------

    def _device(self, reader_name: str) -> str:
        return self.device_name or reader_name

    @staticmethod
    def _error(hresult: int) -> str:
        return str(scard.SCardGetErrorMessage(hresult)).strip().rstrip(".")

    def _reject(self, name: str, reason: str) -> None:
        self._emit(DeviceRejected(self._device(name), reason, self.clock()))

    def _status(self, device: str, state: DeviceState, message: str) -> None:
        """Report a status once per change, not once per retry."""
        if self._last_status.get(device) == (state, message):
            return
        self._last_status[device] = (state, message)
        self._emit(DeviceStatus(device, state, message, self.clock()))

    def _emit(self, event: DeviceEvent) -> None:
        try:
            self.sink(event)
        except Exception:  # a failing consumer must not stop the readers
            _log.exception("smart-card event sink failed on %r", event)
