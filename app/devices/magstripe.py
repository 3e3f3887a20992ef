"""Read one swipe of a magnetic-stripe card (ISO/IEC 7811, 7813) as a reader delivers it.

Pure and stdlib-only. Serial readers and keyboard wedges send the tracks in ASCII::

    %B4111111111111111^ROBERTS/EMILY^2912101000000000000000?;4111111111111111=2912101...?

- Track 1 starts with ``%``, track 2 with ``;``. Track 3 starts with ``+`` on readers
  that mark it (MagTek, ID TECH in ASCII mode) and with ``;`` on those that reuse the
  ISO 4909 start sentinel: a ``;`` track is track 2 unless a track 2 (or 3) came before.
- Every track ends with ``?``; one LRC character may follow it and is ignored. A
  character after ``?`` is taken for an LRC unless it starts a track; a sentinel is still
  an LRC when the next character cannot continue a track (another sentinel, CR, LF, end).
- CR and LF between and after tracks (the wedge's Enter) are skipped.
- ``%E?``, ``;E?``, ``+E?`` (and an empty track) mean the reader could not read that
  track; when no track was read the swipe is refused.
- Lengths are the ISO/IEC 7811 maxima less start sentinel, end sentinel and LRC:
  76, 37 and 104 characters between the sentinels of tracks 1, 2 and 3.

Payment cards are recognised and never kept: a swipe of one carries only the masked PAN,
the brand, the expiry and, when the venue gives a key, an HMAC of the PAN.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field

from app.devices.errors import DeviceParseError
from app.domain.errors import ValidationError
from app.domain.identifiers import (
    PAYMENT_CARD_REFUSAL,
    IdentifierKind,
    looks_like_payment_card,
    normalise_identifier_value,
)

# Characters between the sentinels, by track number (ISO/IEC 7811-2: 6-bit alphanumeric on
# track 1, 4-bit BCD on tracks 2 and 3); the sentinels themselves are not data.
_TRACK_DATA = {
    1: re.compile(r"[\x20-\x24\x26-\x3E\x40-\x5F]*"),
    2: re.compile(r"[0-9:<=>]*"),
    3: re.compile(r"[0-9:<=>]*"),
}
_BAD_DATA = {
    1: re.compile(r"[^\x20-\x24\x26-\x3E\x40-\x5F]"),
    2: re.compile(r"[^0-9:<=>]"),
    3: re.compile(r"[^0-9:<=>]"),
}
MAX_TRACK_DATA = {1: 76, 2: 37, 3: 104}
_CHARACTER_SETS = {1: "capital letters, digits and punctuation", 2: "digits", 3: "digits"}
_START_SENTINELS = "%;+"
_LINE_BREAKS = "\r\n"
_ERROR_DATA = "E"  # what readers put between the sentinels of a track they could not read
_FINANCIAL_FORMAT = "B"  # ISO/IEC 7813 track 1 format code of bank cards

UNREADABLE_CARD = "The card could not be read; swipe again, steadily."

# Payment networks by issuer prefix (ISO/IEC 7812 IIN), as (low, high, digits, brand):
# the same ranges app.domain.identifiers refuses, with their names.
_BRANDS = (
    (4, 4, 1, "Visa"),
    (51, 55, 2, "Mastercard"),
    (2221, 2720, 4, "Mastercard"),
    (34, 34, 2, "American Express"),
    (37, 37, 2, "American Express"),
    (36, 36, 2, "Diners Club"),
    (300, 305, 3, "Diners Club"),
    (38, 39, 2, "Diners Club"),
    (6011, 6011, 4, "Discover"),
    (644, 649, 3, "Discover"),
    (65, 65, 2, "Discover"),
    (62, 62, 2, "UnionPay"),
    (3528, 3589, 4, "JCB"),
    (5018, 5018, 4, "Maestro"),
    (5020, 5020, 4, "Maestro"),
    (5038, 5038, 4, "Maestro"),
    (6304, 6304, 4, "Maestro"),
    (6759, 6763, 4, "Maestro"),
)
# Every 4-digit issuer prefix of those networks, for a lookup instead of a scan.
_BRAND_BY_PREFIX = {
    f"{prefix:04d}": brand
    for low, high, length, brand in _BRANDS
    for start in range(low, high + 1)
    for prefix in range(start * 10 ** (4 - length), (start + 1) * 10 ** (4 - length))
}
MASK = "*"
_ACCOUNT_END = re.compile(r"[=^]")  # as app.domain.identifiers.looks_like_payment_card
_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")  # digit doubled, digits summed


@dataclass(frozen=True, slots=True)
class Track:
    """One track of a swipe: its number, the characters between its sentinels, and
    whether the reader could read it. ``data`` is empty for unreadable tracks and for
    every track of a payment card."""

    number: int
    data: str
    readable: bool


@dataclass(frozen=True, slots=True)
class CardExpiry:
    """A card's expiry month as encoded (YYMM); the year is taken to be 20YY."""

    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.month:02d}/{self.year % 100:02d}"


@dataclass(frozen=True, slots=True)
class PaymentCardSwipe:
    """What we keep of a payment card: never its number, never its tracks."""

    masked_pan: str  # first six and last four digits at most: "411111******1111"
    brand: str
    expiry: CardExpiry
    pan_hmac: str | None = None  # HMAC-SHA256 of the PAN under the venue's key, in hex


@dataclass(frozen=True, slots=True)
class Swipe:
    """One swipe: its tracks, and either the payment card or the loyalty value it carries."""

    tracks: tuple[Track, ...]
    payment_card: PaymentCardSwipe | None = None
    loyalty_value: str | None = None

    def track(self, number: int) -> Track | None:
        """The track with this number, if the reader sent it."""
        return next((track for track in self.tracks if track.number == number), None)


@dataclass(frozen=True, slots=True)
class _Financial:
    """A bank card's account data, alive only while the swipe is parsed."""

    pan: str = field(repr=False)
    expiry: CardExpiry


def payment_card_hmac(pan_digits: str, key: bytes) -> str:
    """HMAC-SHA256 of a PAN under the venue's key, as hex: recognises a guest's bank card
    again without keeping its number. Raises ValueError for an empty key or a PAN that is
    not 13 to 19 digits (spaces allowed)."""
    digits = pan_digits.replace(" ", "")
    if not key:
        raise ValueError("the card hashing key is empty; a keyed hash needs a secret key")
    if not (digits.isascii() and digits.isdigit() and 13 <= len(digits) <= 19):
        raise ValueError("a card number is 13 to 19 digits")
    return hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()


def mask_pan(pan_digits: str) -> str:
    """The PAN with all but its first six and last four digits masked (PCI DSS 3.4)."""
    shown_head = min(6, max(len(pan_digits) - 4, 0))
    head, tail = pan_digits[:shown_head], pan_digits[shown_head:][-4:]
    return head + MASK * (len(pan_digits) - len(head) - len(tail)) + tail


def card_brand(pan_digits: str) -> str:
    """The payment network a PAN belongs to, by its issuer prefix."""
    return _BRAND_BY_PREFIX.get(pan_digits[:4], "Payment card")


def parse_swipe(raw: bytes | str, *, hmac_key: bytes | None = None) -> Swipe:
    """Parse one swipe as a reader emits it; raise DeviceParseError if it cannot be read.

    With ``hmac_key`` a payment card's ``pan_hmac`` is filled in; the PAN itself never
    leaves this function. Raises ValueError (a set-up mistake, not bad input) for an empty
    key.
    """
    if hmac_key is not None and not hmac_key:
        raise ValueError("the card hashing key is empty; a keyed hash needs a secret key")
    text = raw.decode("latin-1") if isinstance(raw, bytes | bytearray) else raw
    tracks = _split_tracks(text)
    if not any(track.readable for track in tracks):
        raise DeviceParseError(UNREADABLE_CARD, _preview(text))
    financial = _financial_data(tracks)
    if financial is not None:
        payment = PaymentCardSwipe(
            masked_pan=mask_pan(financial.pan),
            brand=card_brand(financial.pan),
            expiry=financial.expiry,
            pan_hmac=None if hmac_key is None else payment_card_hmac(financial.pan, hmac_key),
        )
        stripped = tuple(Track(track.number, "", track.readable) for track in tracks)
        return Swipe(tracks=stripped, payment_card=payment)
    if any(_carries_pan(track) for track in tracks):
        # A bank card whose tracks are damaged: refuse it rather than keep its number.
        raise DeviceParseError(PAYMENT_CARD_REFUSAL, _preview(text))
    return Swipe(tracks=tracks, loyalty_value=_loyalty_value(tracks))


def _split_tracks(text: str) -> tuple[Track, ...]:
    tracks: list[Track] = []
    seen: set[int] = set()
    position, end = 0, len(text)
    while position < end:
        char = text[position]
        if char in _LINE_BREAKS:
            position += 1
            continue
        if char not in _START_SENTINELS:
            raise DeviceParseError(
                f"The reader sent {_describe(char)} where a track should start "
                "(%, ; or +); check the reader's output settings.",
                _preview(text),
            )
        number = _track_number(char, seen)
        if number in seen:
            raise DeviceParseError(
                f"Track {number} appears twice in one swipe; swipe again.", _preview(text)
            )
        seen.add(number)
        close = _end_sentinel(text, position + 1, number)
        tracks.append(_track(number, text[position + 1 : close], text))
        position = _skip_lrc(text, close + 1)
    if not tracks:
        raise DeviceParseError("The reader sent nothing; swipe the card again.", _preview(text))
    return tuple(tracks)


def _track_number(sentinel: str, seen: set[int]) -> int:
    if sentinel == "%":
        return 1
    if sentinel == "+":
        return 3
    return 3 if seen & {2, 3} else 2


def _end_sentinel(text: str, start: int, number: int) -> int:
    close = text.find("?", start)
    breaks = [index for index in (text.find("\r", start), text.find("\n", start)) if index >= 0]
    limit = MAX_TRACK_DATA[number]
    if close < 0 or (breaks and min(breaks) < close):
        if (min(breaks) if breaks else len(text)) - start > limit:
            raise DeviceParseError(_too_long(number), _preview(text))
        raise DeviceParseError(
            f"Track {number} has no end sentinel (?); the swipe was cut short. Swipe again.",
            _preview(text),
        )
    if close - start > limit:
        raise DeviceParseError(_too_long(number), _preview(text))
    return close


def _too_long(number: int) -> str:
    return (
        f"Track {number} is longer than the {MAX_TRACK_DATA[number]} characters a card can "
        "hold; the reader may have merged two swipes. Swipe again."
    )


def _track(number: int, data: str, text: str) -> Track:
    if data in ("", _ERROR_DATA):
        return Track(number, "", readable=False)
    if not _TRACK_DATA[number].fullmatch(data):
        bad = _BAD_DATA[number].search(data)
        shown = _describe(bad.group() if bad else "?")
        raise DeviceParseError(
            f"Track {number} holds {shown}, which a track {number} cannot carry "
            f"({_CHARACTER_SETS[number]} only); check the reader's keyboard layout or swipe "
            "again.",
            _preview(text),
        )
    if number == 1 and not ("A" <= data[0] <= "Z"):
        raise DeviceParseError(
            "Track 1 does not start with a format code letter; swipe again.", _preview(text)
        )
    return Track(number, data, readable=True)


def _skip_lrc(text: str, position: int) -> int:
    if position >= len(text) or text[position] in _LINE_BREAKS:
        return position
    if text[position] not in _START_SENTINELS:
        return position + 1
    following = text[position + 1 : position + 2]
    if following == "" or following in _START_SENTINELS or following in _LINE_BREAKS:
        return position + 1
    return position


def _financial_data(tracks: tuple[Track, ...]) -> _Financial | None:
    found: list[_Financial] = []
    for track in tracks:
        if not track.readable:
            continue
        if track.number == 1 and track.data[0] == _FINANCIAL_FORMAT:
            fields = track.data[1:].split("^", 2)
            if len(fields) == 3:
                found.extend(_account(fields[0].replace(" ", ""), fields[2]))
        elif track.number == 2 and "=" in track.data:
            account, rest = track.data.split("=", 1)
            found.extend(_account(account, rest))
    if len({financial.pan for financial in found}) > 1:
        raise DeviceParseError(
            "The card's tracks carry different card numbers; swipe again.", "(payment card)"
        )
    return found[-1] if found else None  # track 2 when both were read: terminals trust it


def _account(pan: str, rest: str) -> list[_Financial]:
    """The account data when ``pan`` and what follows its separator are a bank card's."""
    if not (pan.isascii() and pan.isdigit() and _pan_like(pan)):
        return []
    expiry, service_code = rest[:4], rest[4:7]
    if not (expiry.isdigit() and service_code.isdigit() and len(service_code) == 3):
        return []
    month = int(expiry[2:])
    if not 1 <= month <= 12:
        return []
    return [_Financial(pan=pan, expiry=CardExpiry(year=2000 + int(expiry[:2]), month=month))]


def _carries_pan(track: Track) -> bool:
    """Whether a track's account field looks like a PAN: after track 1's format code, or
    after track 3's two-digit format code (ISO 4909) or at its start."""
    if not track.readable:
        return False
    if track.number == 1:
        return _pan_like(track.data[1:])
    return _pan_like(track.data) or (track.number == 3 and _pan_like(track.data[2:]))


def _pan_like(text: str) -> bool:
    """``looks_like_payment_card``, after a quick Luhn test on the same account field: most
    text fails it, and the domain's check is the slow part of a swipe."""
    account = _ACCOUNT_END.split(text.strip("%;+?B b"), maxsplit=1)[0]
    account = account.replace(" ", "").replace("-", "")
    if not (account.isascii() and account.isdigit() and 13 <= len(account) <= 19):
        return False
    reverse = account[::-1]
    doubled = reverse[1::2].translate(_LUHN_DOUBLED)
    if (sum(map(int, reverse[::2])) + sum(map(int, doubled))) % 10:
        return False
    if account[:4] not in _BRAND_BY_PREFIX:
        return False
    return looks_like_payment_card(text)


def _loyalty_value(tracks: tuple[Track, ...]) -> str:
    by_number = {track.number: track for track in tracks if track.readable}
    candidates: list[str] = []
    if 2 in by_number:
        candidates.append(by_number[2].data.split("=", 1)[0])
    if 1 in by_number:
        data = by_number[1].data
        # Format B's first field is an account number: the same value track 2 carries.
        first = data.split("^", 1)[0]
        candidates.append(first[1:] if data[0] == _FINANCIAL_FORMAT else first)
    if 3 in by_number:
        candidates.append(by_number[3].data)
    candidates.extend(track.data for track in by_number.values())  # account field empty
    value = next((candidate for candidate in candidates if candidate.strip()), "")
    try:
        return normalise_identifier_value(IdentifierKind.MAGNETIC_CARD, value)
    except ValidationError as error:
        raise DeviceParseError(str(error), "(loyalty card)") from None


def _describe(char: str) -> str:
    if char.isprintable() and char.isascii() and not char.isdigit():
        return f"'{char}'"
    return f"a character coded {ord(char):#04x}"


def _preview(text: str, limit: int = 48) -> str:
    """The swipe's shape for the device log: sentinels and separators kept, every letter
    shown as A and every digit as 9, so no card number or name survives."""
    shape = _NON_LATIN_1.sub(".", text[:limit].translate(_SHAPES))
    return shape + ("…" if len(text) > limit else "")


def _shape(char: str) -> str:
    if char in "%;+?^=":
        return char
    if char in _LINE_BREAKS:
        return repr(char)[1:-1]
    if char.isdigit():
        return "9"
    return "A" if char.isalpha() else "."


_SHAPES = {code: _shape(chr(code)) for code in range(256)}
_NON_LATIN_1 = re.compile(r"[^\x00-\xff]")
