"""Caller ID as modems report it: formatted tag lines and raw SDMF/MDMF messages.

Formatted mode (``AT+VCID=1`` / ``AT#CID=1``, IS-101 and the Rockwell/Conexant AT manuals)
prints one ``TAG = value`` line per item between the first and second ``RING``::

    RING
    DATE = 0321
    TIME = 1405
    NMBR = 5045551234
    NAME = A N OTHER
    RING

Raw mode (``AT+VCID=2`` / ``AT#CID=2``) prints the whole Bellcore GR-30 message, less the
channel-seizure ``U``s, as hex: type, length, body, checksum. The checksum is the two's
complement of the modulo-256 sum, so every byte of a good message sums to 0 mod 256.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum

from app.devices.errors import DeviceParseError

SDMF = 0x04  # single data message: MMDDHHMM then the number
MDMF = 0x80  # multiple data message: typed parameters

_PARAM_DATE_TIME = 0x01
_PARAM_NUMBER = 0x02
_PARAM_DDN = 0x03  # dialable directory number
_PARAM_NUMBER_ABSENT = 0x04
_PARAM_NAME = 0x07
_PARAM_NAME_ABSENT = 0x08


class CallerPrivacy(StrEnum):
    """Why a number or name is (not) there."""

    PRESENTED = "presented"
    WITHHELD = "withheld"  # 'P': the caller asked for privacy
    UNAVAILABLE = "unavailable"  # 'O': out of area / unavailable; 'A': not available
    NOT_SENT = "not_sent"  # the item never arrived, or arrived empty


# Only the single letters are markers for a name: "PRIVATE" could be a listing name.
_NAME_MARKERS = {
    "P": CallerPrivacy.WITHHELD,
    "O": CallerPrivacy.UNAVAILABLE,
    "A": CallerPrivacy.UNAVAILABLE,
}
_NUMBER_MARKERS = _NAME_MARKERS | {
    "PRIVATE": CallerPrivacy.WITHHELD,
    "OUT OF AREA": CallerPrivacy.UNAVAILABLE,
    "OUT-OF-AREA": CallerPrivacy.UNAVAILABLE,
    "UNAVAILABLE": CallerPrivacy.UNAVAILABLE,
}
_NUMBER_TEXT = re.compile(r"[0-9+*#-]*[0-9][0-9+*#-]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class CallStamp:
    """The month, day and time a line delivered; caller ID carries no year and no zone."""

    month: int
    day: int
    hour: int
    minute: int
    second: int = 0

    def at(self, year: int, tz: tzinfo) -> datetime:
        """The stamp as an aware datetime in ``year`` (29 February needs a leap year)."""
        try:
            return datetime(year, self.month, self.day, self.hour, self.minute, self.second, 0, tz)
        except ValueError:
            raise DeviceParseError(
                f"Caller-ID date {self.month:02d}/{self.day:02d} does not exist in {year}"
            ) from None


@dataclass(frozen=True, slots=True)
class CallerId:
    """One caller-ID report. ``number``/``name`` are None unless PRESENTED."""

    number: str | None
    name: str | None
    privacy: CallerPrivacy = CallerPrivacy.NOT_SENT  # of the number
    name_privacy: CallerPrivacy = CallerPrivacy.NOT_SENT
    when: CallStamp | None = None
    message: str | None = None  # formatted mode's MESG: a parameter the modem didn't know
    ddn_number: str | None = None  # the dialable directory number (DDN_NMBR / MDMF 0x03)


_DAYS_IN_MONTH = (0, *(monthrange(2000, month)[1] for month in range(1, 13)))  # a leap year


def _check_date(month: int, day: int) -> None:
    if not (1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month]):
        raise DeviceParseError(f"Caller-ID date {month:02d}/{day:02d} is not a calendar date")


def _check_time(hour: int, minute: int, second: int = 0) -> None:
    if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
        raise DeviceParseError(f"Caller-ID time {hour:02d}:{minute:02d} is not a time of day")


def make_stamp(month: int, day: int, hour: int, minute: int, second: int = 0) -> CallStamp:
    """A CallStamp, or DeviceParseError if any part is out of range (29 Feb allowed)."""
    _check_date(month, day)
    _check_time(hour, minute, second)
    return CallStamp(month, day, hour, minute, second)


def _preview(text: str | bytes) -> str:
    return repr(text[:40])


def _pairs(text: str, count: int, what: str) -> tuple[int, int]:
    """The first two of ``text``'s two-digit numbers; ``text`` must be ``count`` digits."""
    if len(text) != count or not text.isascii() or not text.isdigit():
        raise DeviceParseError(f"Caller-ID {what} should be {count} digits, got {text!r}")
    return int(text[:2]), int(text[2:4])


def classify_number(value: str) -> tuple[str | None, CallerPrivacy]:
    """A number field: empty, a marker (P, O, A, PRIVATE, OUT OF AREA, UNAVAILABLE), or digits
    with + * # -. Anything else raises DeviceParseError."""
    if not value:
        return None, CallerPrivacy.NOT_SENT
    marker = _NUMBER_MARKERS.get(value.upper())
    if marker is not None:
        return None, marker
    if not _NUMBER_TEXT.fullmatch(value):
        raise DeviceParseError(f"Caller-ID number {value!r} is not a phone number", _preview(value))
    return value, CallerPrivacy.PRESENTED


def classify_name(value: str) -> tuple[str | None, CallerPrivacy]:
    """A name field: empty, a single-letter marker (P, O, A), or text with no control codes."""
    if not value:
        return None, CallerPrivacy.NOT_SENT
    if value in _NAME_MARKERS:
        return None, _NAME_MARKERS[value]
    if _CONTROL.search(value):
        raise DeviceParseError("Caller-ID name holds control characters", _preview(value))
    return value, CallerPrivacy.PRESENTED


# --- formatted mode -------------------------------------------------------------------------

_TAG_LINE = re.compile(r"([A-Za-z_]+)[ \t]*=[ \t]*(.*)")
_RESULT_CODES = frozenset({"OK", "ERROR", "NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE"})
_TAGS = frozenset({"DATE", "TIME", "NMBR", "NAME", "MESG", "DDN_NMBR"})
_NUMBER_AND_NAME = frozenset({"NMBR", "NAME"})


@dataclass(slots=True)
class _Block:
    """A caller-ID block being assembled; every value already checked."""

    seen: set[str] = field(default_factory=set)
    number: str | None = None
    privacy: CallerPrivacy = CallerPrivacy.NOT_SENT
    name: str | None = None
    name_privacy: CallerPrivacy = CallerPrivacy.NOT_SENT
    date: tuple[int, int] | None = None
    time: tuple[int, int] | None = None
    message: str | None = None
    ddn: str | None = None

    def set(self, tag: str, value: str) -> None:
        if tag == "DATE":
            date = _pairs(value, 4, "DATE (MMDD)")
            _check_date(*date)
            self.date = date
        elif tag == "TIME":
            time = _pairs(value, 4, "TIME (HHMM)")
            _check_time(*time)
            self.time = time
        elif tag == "NMBR":
            self.number, self.privacy = classify_number(value)
        elif tag == "NAME":
            self.name, self.name_privacy = classify_name(value)
        elif tag == "DDN_NMBR":
            self.ddn = classify_number(value)[0]
        elif _CONTROL.search(value):  # MESG
            raise DeviceParseError("Caller-ID MESG holds control characters", _preview(value))
        else:
            self.message = value or None
        self.seen.add(tag)

    def result(self) -> CallerId:
        when = None
        if self.date is not None and self.time is not None:
            when = CallStamp(*self.date, *self.time)
        return CallerId(
            self.number, self.name, self.privacy, self.name_privacy, when, self.message, self.ddn
        )


class CallerIdAssembler:
    """Builds CallerId reports from formatted-mode lines fed one at a time.

    A block starts at the first tag line (DATE, TIME, NMBR, NAME, MESG, DDN_NMBR; ``TAG=v``
    and ``TAG = v`` both read). It is emitted, by the ``feed`` call that completes it, when:

    1. a blank line, ``RING`` (any line starting so) or a result code (OK, ERROR, BUSY, ...)
       arrives;
    2. a tag arrives that the block already holds: the old block is emitted and the tag
       starts a new one (modems that print no separator between calls);
    3. with ``complete_on_name_and_number`` (default), as soon as both NMBR and NAME have
       arrived, so a screen pops without waiting ~4 s for the next ring. Tag lines after
       that and before the next blank line / RING are ignored: modems print DATE, TIME,
       NMBR, NAME in that order, so only a trailing MESG or DDN_NMBR is lost; turn the
       option off to keep them.

    ``flush()`` emits whatever is open (end of input). A line that cannot be read raises
    DeviceParseError from ``feed`` and leaves the open block as it was.
    """

    def __init__(self, *, complete_on_name_and_number: bool = True) -> None:
        self._early = complete_on_name_and_number
        self._block: _Block | None = None
        self._ignoring = False  # after an early emission, until the next separator

    def feed(self, line: str) -> CallerId | None:
        """Take one line (line endings optional); return a CallerId if it completes one."""
        text = line.strip(" \t\r\n")
        upper = text.upper()
        if not text or upper.startswith("RING") or upper in _RESULT_CODES:
            self._ignoring = False
            return self.flush()
        match = _TAG_LINE.fullmatch(text)
        if match is None:
            raise DeviceParseError(
                "Line from the modem is neither a caller-ID tag nor RING", _preview(text)
            )
        tag, value = match.group(1).upper(), match.group(2).rstrip(" \t")
        if tag not in _TAGS:
            raise DeviceParseError(f"Unknown caller-ID tag {tag!r}", _preview(text))
        if self._ignoring:
            return None
        emitted = None
        if self._block is None or tag in self._block.seen:
            block = _Block()
            block.set(tag, value)  # a bad line raises before anything open is touched
            emitted = self.flush()
        else:
            block = self._block
            block.set(tag, value)  # checks the value before storing any of it
        self._block = block
        if self._early and block.seen >= _NUMBER_AND_NAME:
            self._ignoring = True
            return self.flush()
        return emitted

    def flush(self) -> CallerId | None:
        """Emit the open block, if any, and start afresh."""
        block, self._block = self._block, None
        return None if block is None else block.result()


def parse_formatted(text: str | bytes) -> CallerId:
    """One formatted-mode report (RING and blank lines around it allowed) as a CallerId.

    Bytes are read as Latin-1. Raises DeviceParseError if the text holds no caller-ID
    block or more than one (feed a stream through CallerIdAssembler instead).
    """
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    assembler = CallerIdAssembler(complete_on_name_and_number=False)
    found = [c for line in text.splitlines() if (c := assembler.feed(line)) is not None]
    last = assembler.flush()
    if last is not None:
        found.append(last)
    if len(found) != 1:
        what = "no caller-ID tags" if not found else f"{len(found)} caller-ID blocks"
        raise DeviceParseError(f"Modem text holds {what}; expected one", _preview(text))
    return found[0]


# --- raw mode (SDMF / MDMF) -----------------------------------------------------------------


def checksum(message: bytes) -> int:
    """The GR-30 checksum byte for ``message`` (type, length and body)."""
    return -sum(message) & 0xFF


def parse_raw_hex(text: str | bytes) -> CallerId:
    """A raw-mode message as the modem prints it: hex digits, spaces and line breaks allowed."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    digits = "".join(text.split())
    if not digits:
        raise DeviceParseError("Raw caller-ID line is empty")
    if not re.fullmatch(r"[0-9A-Fa-f]*", digits):
        raise DeviceParseError("Raw caller-ID line holds characters that are not hex digits")
    if len(digits) % 2:
        raise DeviceParseError(f"Raw caller-ID hex has an odd number of digits ({len(digits)})")
    return parse_raw_message(bytes.fromhex(digits))


def parse_raw_message(data: bytes) -> CallerId:
    """An SDMF (0x04) or MDMF (0x80) message as bytes, checksum verified."""
    if len(data) < 3:
        raise DeviceParseError(
            f"Caller-ID message too short ({len(data)} bytes): type, length and checksum needed"
        )
    kind, length = data[0], data[1]
    if kind not in (SDMF, MDMF):
        raise DeviceParseError(
            f"Unknown caller-ID message type 0x{kind:02X} (expected 0x04 SDMF or 0x80 MDMF)"
        )
    if len(data) < length + 3:
        raise DeviceParseError(
            f"Caller-ID message truncated: its length byte says {length + 3} bytes in all "
            f"(type, length, {length} of body, checksum) but {len(data)} arrived"
        )
    if len(data) > length + 3:
        raise DeviceParseError(f"{len(data) - length - 3} stray bytes after the caller-ID checksum")
    if sum(data) & 0xFF:
        raise DeviceParseError(
            f"Caller-ID checksum mismatch (got 0x{data[-1]:02X}, expected "
            f"0x{checksum(data[:-1]):02X}): line noise; the next call will come through"
        )
    body = data[2:-1]
    return _sdmf(body) if kind == SDMF else _mdmf(body)


def _stamp_from(raw: bytes) -> CallStamp:
    text = raw.decode("latin-1")
    month, day = _pairs(text, 8, "date/time (MMDDHHMM)")
    return make_stamp(month, day, int(text[4:6]), int(text[6:8]))


def _sdmf(body: bytes) -> CallerId:
    if len(body) < 8:
        raise DeviceParseError(f"SDMF body is {len(body)} bytes; the date and time alone take 8")
    number, privacy = classify_number(body[8:].decode("latin-1"))
    return CallerId(number, None, privacy, when=_stamp_from(body[:8]))


def _mdmf(body: bytes) -> CallerId:
    values: dict[int, str] = {}
    when = None
    at = 0
    while at < len(body):
        if at + 2 > len(body):
            raise DeviceParseError("MDMF parameter cut off before its length byte")
        kind, size = body[at], body[at + 1]
        raw = body[at + 2 : at + 2 + size]
        if len(raw) < size:
            raise DeviceParseError(
                f"MDMF parameter 0x{kind:02X} declares {size} bytes but {len(raw)} remain"
            )
        at += 2 + size
        if kind in values or (kind == _PARAM_DATE_TIME and when is not None):
            raise DeviceParseError(f"MDMF parameter 0x{kind:02X} appears twice")
        if kind == _PARAM_DATE_TIME:
            when = _stamp_from(raw)
        elif kind in (_PARAM_NUMBER, _PARAM_DDN, _PARAM_NAME):
            values[kind] = raw.decode("latin-1")
        elif kind in (_PARAM_NUMBER_ABSENT, _PARAM_NAME_ABSENT):
            reason = raw.decode("latin-1")
            if reason not in ("P", "O"):
                raise DeviceParseError(
                    f"MDMF absence reason 0x{kind:02X} should be 'P' or 'O', got {reason!r}"
                )
            values[kind] = reason
        # other parameters (call qualifier, redirection, ...) are skipped by design
    number, privacy = classify_number(values.get(_PARAM_NUMBER, ""))
    name, name_privacy = classify_name(values.get(_PARAM_NAME, ""))
    if number is None and _PARAM_NUMBER_ABSENT in values:
        privacy = _NAME_MARKERS[values[_PARAM_NUMBER_ABSENT]]
    if name is None and _PARAM_NAME_ABSENT in values:
        name_privacy = _NAME_MARKERS[values[_PARAM_NAME_ABSENT]]
    ddn = classify_number(values.get(_PARAM_DDN, ""))[0]
    return CallerId(number, name, privacy, name_privacy, when, None, ddn)
