"""CallerID.com "Whozz Calling?" units: call and detail records, over UDP (port 3520) or serial.

Ethernet Link packet (CallerID.com "Ethernet Link Supplement" ch. 3, cross-checked with
NCID's wc2ncid gateway)::

    offset  0  "^^<U>"
            5  unit number, 6 binary bytes, big-endian
           11  "<S>"
           14  serial number, 6 binary bytes, big-endian
           20  "$" (the "c" toggle; absent on some units), then the ASCII data stream

The data stream is what a serial unit prints on one line (CR/LF stripped). A call record,
in the comprehensive CallerID.com format (toggle ``X``; 62 characters, 83 with the header)::

    01 I E 0000 G A2 12/17 04:54 PM 770-263-7111   CALLERID.COM
    |  | | |    | || |     |        |              '- name, 15 chars, space padded
    |  | | |    | || |     |        '- number, 14 chars, left justified, space padded
    |  | | |    | || |     '- time HH:MM AM/PM (a leading zero may be sent as a space)
    |  | | |    | || '- date MM/DD (ditto)
    |  | | |    | |'- number of rings;  '- distinctive ring type A-D (A: normal)
    |  | | |    | '- G: caller-ID checksum good, B: bad
    |  | | |    '- call duration in seconds: only meaningful on End records
    |  | | '- S: start of call (sent as soon as caller ID arrives), E: end of call
    |  | '- I: inbound, O: outbound (number = digits dialled, name = digits after a pause)
    |  '- line number, preset by the user
    '- (all fields separated by one space)

"Full-featured"/Deluxe units with the detail toggle (``d``) also send detail records, 52
bytes with the header: line, event, 13 spaces, then date and 24-hour time with seconds::

    01 R             11/07 07:43:52     R ring, F off hook, N on hook, H hook flash

A unit sends every packet several times; ``WhozzDeduplicator`` passes each once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from app.devices.callerid import (
    CallerPrivacy,
    CallStamp,
    classify_name,
    classify_number,
    make_stamp,
)
from app.devices.errors import DeviceParseError

WHOZZ_UDP_PORT = 3520
_HEADER = re.compile(rb"\^\^<U>(.{6})<S>(.{6})", re.DOTALL)
_HEADER_SIZE = 20

_CALL = re.compile(
    r"(?P<line>\d\d) (?P<direction>[IO]) (?P<phase>[SE]) (?P<duration>\d{4}) (?P<checksum>[GB])"
    r" (?P<ring_type>[A-Z])(?P<rings>\d) (?P<month>[ \d]\d)/(?P<day>[ \d]\d)"
    r" (?P<hour>[ \d]\d):(?P<minute>\d\d) (?P<half>[AP]M)(?: (?P<rest>.*))?"
)
_DETAIL = re.compile(
    r"(?P<line>\d\d) (?P<event>[A-Z]) +(?P<month>\d\d)/(?P<day>\d\d)"
    r" (?P<hour>\d\d):(?P<minute>\d\d):(?P<second>\d\d) *"
)
_NUMBER_WIDTH = 14


class WhozzEvent(StrEnum):
    """What a detail record reports on a line."""

    RING = "R"
    OFF_HOOK = "F"
    ON_HOOK = "N"
    HOOK_FLASH = "H"


@dataclass(frozen=True, slots=True)
class WhozzRecord:
    """A call record. ``unit``/``serial`` are None when read from a serial port."""

    unit: int | None
    serial: int | None
    line: int
    inbound: bool
    start: bool  # False: the end-of-call record, which carries the duration
    duration_s: int | None  # None on start records
    checksum_good: bool  # the unit's verdict on the caller-ID message
    ring_type: str  # distinctive ring A-D; only reliable with distinctive-ring service
    rings: int
    when: CallStamp  # when the call began, also on end records
    number: str | None  # dashes removed; dialled digits on outbound calls
    name: str | None
    privacy: CallerPrivacy  # of the number: "Private" / "Out-of-Area" texts are markers


@dataclass(frozen=True, slots=True)
class WhozzDetail:
    """A detail record (ring, off hook, on hook, hook flash) from a Deluxe unit."""

    unit: int | None
    serial: int | None
    line: int
    event: WhozzEvent
    when: CallStamp  # with seconds


def parse_packet(payload: bytes) -> WhozzRecord | WhozzDetail:
    """One Ethernet Link UDP payload as a call or detail record."""
    header = _HEADER.match(payload)
    if header is None:
        raise DeviceParseError(
            "UDP packet does not start with a Whozz Calling header (^^<U>…<S>…)",
            _preview(payload),
        )
    unit = int.from_bytes(header.group(1), "big")
    serial = int.from_bytes(header.group(2), "big")
    return _parse_stream(payload[_HEADER_SIZE:], unit, serial)


def parse_line(line: str | bytes) -> WhozzRecord | WhozzDetail:
    """One line from a serial Whozz Calling unit (no Ethernet header)."""
    data = line.encode("latin-1", "replace") if isinstance(line, str) else line
    return _parse_stream(data, None, None)


def _preview(data: bytes) -> str:
    return repr(data[:40])


def _parse_stream(data: bytes, unit: int | None, serial: int | None) -> WhozzRecord | WhozzDetail:
    if not data.isascii():
        raise DeviceParseError("Whozz Calling record holds non-ASCII bytes", _preview(data))
    text = data.decode("ascii").rstrip("\r\n\x00")
    if text.startswith("$"):
        text = text[1:]
    if (call := _CALL.fullmatch(text)) is not None:
        return _call(call, unit, serial)
    if (detail := _DETAIL.fullmatch(text)) is not None:
        return _detail(detail, unit, serial)
    raise DeviceParseError(
        "Not a Whozz Calling call or detail record (expected the CallerID.com comprehensive "
        "format, toggle X; boot and setup packets are not calls)",
        _preview(data),
    )


def _two(text: str) -> int:
    return int(text.replace(" ", "0"))


def _call(match: re.Match[str], unit: int | None, serial: int | None) -> WhozzRecord:
    hour = _two(match["hour"])
    if not 1 <= hour <= 12:
        raise DeviceParseError(f"Whozz Calling time has hour {hour}; a 12-hour clock reads 1-12")
    hour = hour % 12 + (12 if match["half"] == "PM" else 0)
    when = make_stamp(_two(match["month"]), _two(match["day"]), hour, int(match["minute"]))
    rest = match["rest"] or ""
    if len(rest) > _NUMBER_WIDTH and rest[_NUMBER_WIDTH] != " ":
        raise DeviceParseError(
            "Whozz Calling number field runs into the name field", _preview(rest.encode())
        )
    number, privacy = classify_number(rest[:_NUMBER_WIDTH].strip())
    name, _ = classify_name(rest[_NUMBER_WIDTH + 1 :].strip())
    start = match["phase"] == "S"
    return WhozzRecord(
        unit=unit,
        serial=serial,
        line=int(match["line"]),
        inbound=match["direction"] == "I",
        start=start,
        duration_s=None if start else int(match["duration"]),
        checksum_good=match["checksum"] == "G",
        ring_type=match["ring_type"],
        rings=int(match["rings"]),
        when=when,
        number=None if number is None else number.replace("-", ""),
        name=name,
        privacy=privacy,
    )


def _detail(match: re.Match[str], unit: int | None, serial: int | None) -> WhozzDetail:
    try:
        event = WhozzEvent(match["event"])
    except ValueError:
        raise DeviceParseError(
            f"Unknown Whozz Calling detail event {match['event']!r} (known: R, F, N, H)"
        ) from None
    when = make_stamp(
        int(match["month"]),
        int(match["day"]),
        int(match["hour"]),
        int(match["minute"]),
        int(match["second"]),
    )
    return WhozzDetail(unit, serial, int(match["line"]), event, when)


class WhozzDeduplicator:
    """Passes each distinct UDP payload once per window: a unit repeats every packet.

    Keyed on the exact payload bytes (header included, so two units never mask each
    other). A copy arriving less than ``window_s`` after the first sighting is dropped;
    from ``window_s`` on, the same bytes count as new (two short calls from one number
    within the same minute produce identical start records).
    """

    def __init__(self, window_s: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        if window_s < 0:
            raise ValueError("window_s must not be negative")
        self._window = window_s
        self._clock = clock
        self._first_seen: dict[bytes, float] = {}  # insertion order is time order

    def admit(self, payload: bytes) -> bool:
        """True the first time ``payload`` is seen within the window, False for its copies."""
        now = self._clock()
        while self._first_seen:
            oldest, seen = next(iter(self._first_seen.items()))
            if now - seen < self._window:
                break
            del self._first_seen[oldest]
        if payload in self._first_seen:
            return False
        self._first_seen[payload] = now
        return True
