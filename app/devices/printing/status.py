"""A receipt printer's real-time status: DLE EOT n (n = 1..4) and the byte each answers.

ESC/POS printers answer ``DLE EOT n`` at once, even offline and mid-job, with one byte whose
bits 1 and 4 are always on and bits 0 and 7 always off (Epson, Citizen, Bixolon, CBM and
their clones agree). ``parse_reply`` reads one answer into a typed part and refuses anything
else with `PrinterStatusError`; `PrinterStatus` combines the four into whether the printer
can print now and, when it cannot, a reason a person at the till can act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

from app.devices.errors import DeviceParseError

DLE_EOT = b"\x10\x04"
_FIXED_MASK = 0b1001_0011  # bits 0, 1, 4 and 7 have fixed values in every answer
_FIXED_BITS = 0b0001_0010  # ... bits 1 and 4 on, bits 0 and 7 off


class StatusQuery(IntEnum):
    """What ``DLE EOT n`` asks for."""

    PRINTER = 1  # online or offline, cash drawer signal
    OFFLINE_CAUSE = 2  # cover, feed button, paper end, error
    ERROR_CAUSE = 3  # cutter, unrecoverable, automatically recoverable
    PAPER = 4  # roll paper near its end, or out

    @property
    def command(self) -> bytes:
        """The bytes that ask the printer: ``10 04 n``."""
        return DLE_EOT + bytes([self.value])


class PrinterStatusError(DeviceParseError):
    """An answer to DLE EOT that is not a status byte (noise, a clone's quirk, a cut line)."""


class Readiness(Protocol):
    """What the print queue needs to know of any printer's state."""

    @property
    def ready(self) -> bool:
        """True when a job sent now would print."""

    @property
    def reason(self) -> str:
        """Why not, in words for the till ("Out of paper"); what is fine when ready."""


@dataclass(frozen=True, slots=True)
class PrinterState:
    """DLE EOT 1. Which drawer signal level means "open" depends on the drawer."""

    online: bool
    drawer_signal_high: bool  # kick-out connector pin 3


@dataclass(frozen=True, slots=True)
class OfflineCause:
    """DLE EOT 2: why the printer is offline."""

    cover_open: bool
    feed_button: bool  # paper is being fed with the FEED button
    paper_end_stop: bool  # printing stopped at the end of the paper
    error: bool  # an error occurred: DLE EOT 3 says which


@dataclass(frozen=True, slots=True)
class ErrorCause:
    """DLE EOT 3: which error stopped the printer."""

    cutter: bool  # the autocutter jammed or failed
    unrecoverable: bool  # a fault only a service engineer fixes
    auto_recoverable: bool  # e.g. the head overheated; it resumes by itself


@dataclass(frozen=True, slots=True)
class PaperState:
    """DLE EOT 4: the roll paper sensors."""

    near_end: bool
    out: bool


StatusPart = PrinterState | OfflineCause | ErrorCause | PaperState


def _status_byte(query: StatusQuery, data: bytes) -> int:
    if len(data) != 1:
        raise PrinterStatusError(
            f"a DLE EOT {query.value} answer is one byte; the printer sent {len(data)}"
        )
    value = data[0]
    if value & _FIXED_MASK != _FIXED_BITS:
        raise PrinterStatusError(f"0x{value:02X} is not an answer to DLE EOT {query.value}")
    return value


def parse_reply(query: StatusQuery | int, data: bytes) -> StatusPart:
    """The typed answer to ``DLE EOT query``; PrinterStatusError if ``data`` is not one."""
    try:
        asked = StatusQuery(query)
    except ValueError:
        raise PrinterStatusError(f"DLE EOT {query} is not a status query") from None
    value = _status_byte(asked, data)

    def bit(n: int) -> bool:
        return bool(value >> n & 1)

    if asked is StatusQuery.PRINTER:
        return PrinterState(online=not bit(3), drawer_signal_high=bit(2))
    if asked is StatusQuery.OFFLINE_CAUSE:
        return OfflineCause(
            cover_open=bit(2), feed_button=bit(3), paper_end_stop=bit(5), error=bit(6)
        )
    if asked is StatusQuery.ERROR_CAUSE:  # bit 2 is undefined, or a black-mark error
        return ErrorCause(cutter=bit(3), unrecoverable=bit(5), auto_recoverable=bit(6))
    # Bits 2-3 are the near-end sensor(s), 5-6 the paper-end sensor; bit 6 is a presenter
    # sensor on some Citizen models, so bit 5 alone decides "out".
    return PaperState(near_end=bit(2) or bit(3), out=bit(5))


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """All four answers together. ``offline``, ``error`` and ``paper`` are None when the
    printer was not asked (an online printer is not asked why it is offline)."""

    printer: PrinterState
    offline: OfflineCause | None = None
    error: ErrorCause | None = None
    paper: PaperState | None = None

    @property
    def paper_out(self) -> bool:
        return (self.paper is not None and self.paper.out) or (
            self.offline is not None and self.offline.paper_end_stop
        )

    @property
    def cover_open(self) -> bool:
        return self.offline is not None and self.offline.cover_open

    @property
    def ready(self) -> bool:
        """Online, and nothing reported that stops printing. Paper near its end prints."""
        return self.printer.online and self._problem() is None

    @property
    def reason(self) -> str:
        """The first thing to fix, as the till says it; "Ready" when nothing is wrong."""
        problem = self._problem()
        if problem is not None:
            return problem
        if not self.printer.online:
            offline = self.offline
            return "Printer offline" + (" (an error occurred)" if offline and offline.error else "")
        if self.paper is not None and self.paper.near_end:
            return "Ready — paper nearly out"
        return "Ready"

    def _problem(self) -> str | None:
        error, offline = self.error, self.offline
        if self.paper_out:
            return "Out of paper"
        if self.cover_open:
            return "Cover open"
        if error is not None and error.cutter:
            return "Paper cutter jammed — open the cover and clear it"
        if error is not None and error.unrecoverable:
            return "Printer fault — switch it off and on; call for service if it stays"
        if error is not None and error.auto_recoverable:
            return "Print head too hot — printing resumes when it cools"
        if offline is not None and offline.feed_button:
            return "Paper is being fed with the feed button"
        return None


def parse_status(replies: bytes) -> PrinterStatus:
    """Answers to DLE EOT 1, 2, 3 and 4 in that order (one byte each; 1 or 4 bytes given).

    One byte is the printer state alone. PrinterStatusError for anything else.
    """
    if len(replies) not in (1, 4):
        raise PrinterStatusError(f"expected 1 or 4 status bytes, got {len(replies)}")
    printer = parse_reply(StatusQuery.PRINTER, replies[:1])
    assert isinstance(printer, PrinterState)
    if len(replies) == 1:
        return PrinterStatus(printer)
    offline = parse_reply(StatusQuery.OFFLINE_CAUSE, replies[1:2])
    error = parse_reply(StatusQuery.ERROR_CAUSE, replies[2:3])
    paper = parse_reply(StatusQuery.PAPER, replies[3:4])
    assert isinstance(offline, OfflineCause)
    assert isinstance(error, ErrorCause)
    assert isinstance(paper, PaperState)
    return PrinterStatus(printer, offline, error, paper)


def status_bytes(
    *,
    online: bool = True,
    cover_open: bool = False,
    feed_button: bool = False,
    paper_near_end: bool = False,
    paper_out: bool = False,
    cutter_error: bool = False,
    unrecoverable_error: bool = False,
    auto_recoverable_error: bool = False,
    drawer_signal_high: bool = False,
) -> bytes:
    """The four answers a printer in this state gives (tests and the test printer use it)."""
    any_error = cutter_error or unrecoverable_error or auto_recoverable_error

    def byte(*bits: tuple[int, bool]) -> int:
        return _FIXED_BITS | sum(1 << n for n, on in bits if on)

    return bytes(
        [
            byte((2, drawer_signal_high), (3, not online)),
            byte((2, cover_open), (3, feed_button), (5, paper_out), (6, any_error)),
            byte((3, cutter_error), (5, unrecoverable_error), (6, auto_recoverable_error)),
            byte((2, paper_near_end), (3, paper_near_end), (5, paper_out), (6, paper_out)),
        ]
    )
