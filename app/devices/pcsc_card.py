"""Who a card is: its UID through the reader's GET DATA, or a stable id for a contact card.

Pure logic over a ``transmit`` function shaped like pyscard's
``CardConnection.transmit`` (command bytes in; data, SW1, SW2 out), so it runs the same
against a real reader, the virtual card and a test fake. Stdlib only.

How a card is identified
------------------------
1. The ATR is decoded (``parse_atr``); a malformed one is refused.
2. Payment cards are refused before anything else is read. A payment scheme's RID in the
   historical bytes refuses at once. Cards that are not PC/SC storage cards (MIFARE and
   friends cannot carry EMV) are then asked to SELECT the payment directories, PPSE
   (``2PAY.SYS.DDF01``, contactless) and PSE (``1PAY.SYS.DDF01``, contact); a card that
   answers either is a payment card and is refused. Only the SELECT status word is
   looked at; no payment application, record or PAN is ever read.
3. ``FF CA 00 00 00`` (PC/SC part 3 GET DATA, UID) is sent. ``90 00`` or ``62 82`` with
   data is the UID; ``6C XX`` is retried once with Le = XX. A 4-byte UID starting with
   08 is a random id (ISO/IEC 14443-3) that changes at every tap and is refused.
4. A contact card whose reader has no UID to give (``6A 81``, or the card itself
   rejecting the reader's class byte: ``6E 00``, ``6D 00``, ``68 xx``, ``6A 86``) gets a
   derived id: the ICCID, read by SELECT MF (3F00), SELECT EF 2FE2 and READ BINARY of
   10 bytes; failing that, the GlobalPlatform CPLC data (``80 CA 9F 7F 00``), which holds
   the chip's serial number. The value is::

       SHA-256( b"tabkeeper-card-id/v1" || len(H) || H || source || len(D) || D )[:16]

   as 32 upper-case hex digits, where H is the ATR's historical bytes, source is
   ``b"iccid"`` or ``b"cplc"`` and D the bytes read (lengths are one byte each). It is
   stable for a card (the same bytes every time) and distinct between cards (ICCID and
   CPLC serial are per card). A card with neither is refused: the ATR alone names a
   card *type*, so hashing only the ATR would make every card of that type the same
   guest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from app.devices.atr import Atr, parse_atr
from app.devices.errors import DeviceParseError
from app.domain.errors import ValidationError
from app.domain.identifiers import (
    PAYMENT_CARD_REFUSAL,
    IdentifierKind,
    normalise_identifier_value,
)

Transmit = Callable[[list[int]], tuple[list[int], int, int]]

GET_UID = (0xFF, 0xCA, 0x00, 0x00, 0x00)
PPSE = b"2PAY.SYS.DDF01"
PSE = b"1PAY.SYS.DDF01"
SELECT_MF = (0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00)
SELECT_EF_ICCID = (0x00, 0xA4, 0x00, 0x0C, 0x02, 0x2F, 0xE2)
READ_ICCID = (0x00, 0xB0, 0x00, 0x00, 0x0A)
GET_CPLC = (0x80, 0xCA, 0x9F, 0x7F, 0x00)
DERIVATION_LABEL = b"tabkeeper-card-id/v1"

# Registered application providers of the payment schemes (ISO/IEC 7816-5 RIDs).
PAYMENT_RIDS = tuple(
    bytes.fromhex(rid)
    for rid in (
        "A000000003",  # Visa
        "A000000004",  # Mastercard
        "A000000025",  # American Express
        "A000000029",  # LINK
        "A000000042",  # CB
        "A000000065",  # JCB
        "A000000152",  # Discover / Diners
        "A000000277",  # Interac
        "A000000333",  # UnionPay
        "A000000524",  # RuPay
    )
)

# Answers meaning "this reader/card has no UID to give" for a contact card.
_NO_UID = {(0x6A, 0x81), (0x6E, 0x00), (0x6D, 0x00), (0x6A, 0x86)}

_REASONS: dict[tuple[int, int], str] = {
    (0x62, 0x82): "end of data reached before the expected length",
    (0x63, 0x00): "the reader could not read the card (no information given)",
    (0x65, 0x81): "the card's memory failed",
    (0x67, 0x00): "the command had the wrong length",
    (0x68, 0x00): "the card does not support this class of command",
    (0x69, 0x82): "the card wants a security check first",
    (0x69, 0x85): "the card is not in a state to answer",
    (0x69, 0x86): "the command is not allowed (no current file)",
    (0x6A, 0x81): "the reader does not support reading the card number",
    (0x6A, 0x82): "file or application not found",
    (0x6A, 0x86): "wrong parameters P1-P2",
    (0x6B, 0x00): "wrong parameters P1-P2",
    (0x6D, 0x00): "the card does not know this instruction",
    (0x6E, 0x00): "the card does not support this class of command",
    (0x6F, 0x00): "the card reported an internal error",
}


@dataclass(frozen=True, slots=True)
class CardIdentity:
    """A card's identifier value (normalised upper-case hex) and where it came from."""

    value: str
    source: Literal["uid", "atr+data"]


@dataclass(frozen=True, slots=True)
class Response:
    """A response APDU: data and status word."""

    data: bytes
    sw1: int
    sw2: int

    @property
    def ok(self) -> bool:
        return (self.sw1, self.sw2) == (0x90, 0x00)

    @property
    def sw(self) -> str:
        return f"{self.sw1:02X} {self.sw2:02X}"


def status_reason(sw1: int, sw2: int) -> str:
    """A readable sentence for a status word, e.g. ``6A 81`` -> "the reader does not ..."."""
    reason = _REASONS.get((sw1, sw2))
    if reason is not None:
        return reason
    if sw1 == 0x6C:
        return f"wrong expected length; the card offers {sw2} bytes"
    if sw1 == 0x61:
        return f"{sw2 or 256} more bytes are waiting"
    if sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
        return f"verification failed, {sw2 & 0x0F} tries left"
    if sw1 == 0x64:
        return "the card's state did not change (execution error)"
    if sw1 in (0x62, 0x63):
        return f"warning {sw1:02X} {sw2:02X} from the card"
    return f"the card answered {sw1:02X} {sw2:02X}"


def exchange(transmit: Transmit, command: tuple[int, ...] | list[int]) -> Response:
    """Send one command, following ``6C XX`` (resend with Le = XX, once) and ``61 XX``
    (GET RESPONSE, up to 16 chunks) the way T=0 cards ask for."""
    apdu = list(command)
    data, sw1, sw2 = transmit(apdu)
    if sw1 == 0x6C and len(apdu) >= 5:
        data, sw1, sw2 = transmit([*apdu[:-1], sw2])
    collected = bytes(data)
    for _ in range(16):
        if sw1 != 0x61:
            break
        data, sw1, sw2 = transmit([0x00, 0xC0, 0x00, 0x00, sw2])
        collected += bytes(data)
    return Response(collected, sw1 & 0xFF, sw2 & 0xFF)


def read_uid(transmit: Transmit) -> Response:
    """GET DATA (UID) through the reader: ``FF CA 00 00 00``, with the 6C retry."""
    return exchange(transmit, GET_UID)


def _select_by_name(name: bytes) -> list[int]:
    return [0x00, 0xA4, 0x04, 0x00, len(name), *name, 0x00]


def _refuse_payment_card(detail: str) -> DeviceParseError:
    return DeviceParseError(f"This is a payment card ({detail}). {PAYMENT_CARD_REFUSAL}")


def _check_not_payment(atr: Atr, transmit: Transmit) -> None:
    if any(rid in atr.historical for rid in PAYMENT_RIDS):
        raise _refuse_payment_card("its answer to reset names a payment scheme")
    if atr.storage_card is not None:
        return  # memory cards cannot hold a payment application
    for name in (PPSE, PSE):
        # The bare status word: 61 XX is not followed by GET RESPONSE, so the payment
        # directory's contents are never fetched.
        _data, sw1, sw2 = transmit(_select_by_name(name))
        if (sw1, sw2) == (0x90, 0x00) or sw1 == 0x61:
            raise _refuse_payment_card(f"it answers {name.decode()}")


def _normalised(value: str) -> str:
    try:
        return normalise_identifier_value(IdentifierKind.SMART_CARD, value)
    except ValidationError as exc:
        raise DeviceParseError(str(exc)) from None


def derive_card_id(historical: bytes, source: bytes, data: bytes) -> str:
    """The documented derivation: SHA-256 over the labelled parts, first 16 bytes, hex."""
    digest = hashlib.sha256()
    for part in (DERIVATION_LABEL, historical, source, data):
        digest.update(bytes([len(part) & 0xFF]))
        digest.update(part)
    return digest.digest()[:16].hex().upper()


def _contact_card_data(transmit: Transmit) -> tuple[bytes, bytes] | None:
    """(source, bytes) from the ICCID file or the CPLC data, or None when neither exists."""
    exchange(transmit, SELECT_MF)  # some cards need the MF current; failure is harmless
    if exchange(transmit, SELECT_EF_ICCID).ok:
        iccid = exchange(transmit, READ_ICCID)
        if iccid.ok and iccid.data and iccid.data.strip(b"\xff"):
            return b"iccid", iccid.data
    cplc = exchange(transmit, GET_CPLC)
    if cplc.ok and len(cplc.data) >= 8:
        return b"cplc", cplc.data
    return None


def card_identity(atr: bytes, transmit: Transmit) -> CardIdentity:
    """Identify the card in the reader; raise DeviceParseError with the reason when we
    cannot (payment card, random UID, no readable number, unreadable answer)."""
    decoded = parse_atr(atr)
    _check_not_payment(decoded, transmit)

    answer = read_uid(transmit)
    status = (answer.sw1, answer.sw2)
    if answer.data and (answer.ok or status == (0x62, 0x82)):
        uid = answer.data
        if len(uid) == 4 and uid[0] == 0x08:
            raise DeviceParseError(
                "This card shows a different number at every tap (random UID); "
                "it cannot be used as a loyalty card.",
                "08 …",
            )
        return CardIdentity(_normalised(uid.hex()), "uid")
    if answer.ok or status == (0x62, 0x82):
        raise DeviceParseError("The reader gave an empty card number; present the card again.")

    if not decoded.contactless and (status in _NO_UID or answer.sw1 == 0x68):
        found = _contact_card_data(transmit)
        if found is None:
            raise DeviceParseError(
                "This card has no number the till can read (no UID, ICCID or chip serial); "
                "use another card."
            )
        source, data = found
        value = derive_card_id(decoded.historical, source, data)
        return CardIdentity(_normalised(value), "atr+data")

    raise DeviceParseError(
        f"Could not read the card's number: {status_reason(*status)} ({answer.sw}). "
        "Present the card again.",
        answer.sw,
    )
