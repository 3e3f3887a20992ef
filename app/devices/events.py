"""What devices report. Transports run on their own threads and hand these to a sink;
the UI's adapter re-emits them on the UI thread through queued signals."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from app.domain.identifiers import IdentifierKind

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The event timestamp clock used unless a test injects its own."""
    return datetime.now(UTC)


class DeviceState(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """A device's live status, with a sentence for the person at the till."""

    device: str  # the configured device's name, e.g. "Bar card reader"
    state: DeviceState
    message: str  # "Card reader on /dev/ttyUSB0 stopped answering — reconnecting"
    at: datetime


StatusSink = Callable[[DeviceStatus], None]


class StatusReporter:
    """Hands one device's statuses to a sink, stamped by ``clock``.

    A repeat of the last message is not sent again, and a sink that raises is logged
    rather than let loose on the device's thread.
    """

    def __init__(self, device: str, sink: StatusSink, clock: Clock = utc_now) -> None:
        self._device = device
        self._sink = sink
        self._clock = clock
        self._last_message = ""

    def __call__(self, state: DeviceState, message: str) -> None:
        if message == self._last_message:
            return
        self._last_message = message
        try:
            self._sink(DeviceStatus(self._device, state, message, self._clock()))
        except Exception:
            log.exception("status sink failed on %r", message)


@dataclass(frozen=True, slots=True)
class IdentificationEvent:
    """A card swiped, tapped or scanned: what to look up, already normalised."""

    kind: IdentifierKind
    value: str
    device: str
    at: datetime
    masked: str = ""  # for a payment card: the masked PAN to show; value is then its HMAC


@dataclass(frozen=True, slots=True)
class CardRemoved:
    device: str
    at: datetime


@dataclass(frozen=True, slots=True)
class IncomingCall:
    number: str | None  # as the line delivered it; None when withheld or unavailable
    name: str | None
    line: int | None
    device: str
    at: datetime
    privacy: str = ""  # "withheld", "unavailable" when there is no number


@dataclass(frozen=True, slots=True)
class DeviceRejected:
    """Input a device delivered that could not be read, with the parser's reason."""

    device: str
    reason: str
    at: datetime


DeviceEvent = DeviceStatus | IdentificationEvent | CardRemoved | IncomingCall | DeviceRejected
EventSink = Callable[[DeviceEvent], None]
