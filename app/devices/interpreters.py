"""From what a transport delivered (a frame, a line, a datagram) to device events.

Each interpreter wraps one parser. A parse error never escapes: it becomes a
``DeviceRejected`` with the parser's reason, so a bad swipe is a message on the screen,
not a crash. A payment card never leaves here with its number: it is refused, or, where
the venue turned it on, passed on as a keyed hash with its masked number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from app.devices.barcode import PLAIN, BarcodeFormat, identifier_value, parse_barcode
from app.devices.callerid import CallerId, CallerIdAssembler
from app.devices.errors import DeviceParseError
from app.devices.events import (
    Clock,
    DeviceEvent,
    DeviceRejected,
    IdentificationEvent,
    IncomingCall,
    utc_now,
)
from app.devices.magstripe import parse_swipe
from app.devices.whozz import WhozzDeduplicator, WhozzRecord, parse_packet
from app.domain.identifiers import PAN_HASH_PREFIX, IdentifierKind


class Interpreter(Protocol):
    def __call__(self, data: bytes) -> list[DeviceEvent]: ...


@dataclass
class MagstripeInterpreter:
    device: str
    pan_hmac_key: bytes | None = None  # set only where the venue identifies by bank card
    clock: Clock = utc_now

    def __call__(self, data: bytes) -> list[DeviceEvent]:
        at = self.clock()
        try:
            swipe = parse_swipe(data, hmac_key=self.pan_hmac_key)
        except DeviceParseError as error:
            return [DeviceRejected(self.device, error.reason, at)]
        card = swipe.payment_card
        if card is not None:
            if card.pan_hmac is None:
                return [
                    DeviceRejected(
                        self.device,
                        f"{card.brand} card {card.masked_pan} is a payment card, not a loyalty "
                        "card. Nothing was kept.",
                        at,
                    )
                ]
            value = PAN_HASH_PREFIX + card.pan_hmac.upper()
            return [
                IdentificationEvent(
                    IdentifierKind.MAGNETIC_CARD, value, self.device, at, card.masked_pan
                )
            ]
        if swipe.loyalty_value is None:
            return [DeviceRejected(self.device, "The swipe carried no card number.", at)]
        return [
            IdentificationEvent(IdentifierKind.MAGNETIC_CARD, swipe.loyalty_value, self.device, at)
        ]


@dataclass
class BarcodeInterpreter:
    device: str
    barcode_format: BarcodeFormat = PLAIN
    clock: Clock = utc_now

    def __call__(self, data: bytes) -> list[DeviceEvent]:
        at = self.clock()
        try:
            value = identifier_value(parse_barcode(data, self.barcode_format))
        except DeviceParseError as error:
            return [DeviceRejected(self.device, error.reason, at)]
        return [IdentificationEvent(IdentifierKind.BARCODE_CARD, value, self.device, at)]


@dataclass
class CardOrCodeInterpreter:
    """A keyboard wedge may be a stripe reader or a scanner: the sentinel tells which."""

    magstripe: MagstripeInterpreter
    barcode: BarcodeInterpreter
    sentinels: bytes = b"%;+"

    def __call__(self, data: bytes) -> list[DeviceEvent]:
        if data[:1] and data[:1] in self.sentinels:
            return self.magstripe(data)
        return self.barcode(data)


def _call(device: str, caller: CallerId, line: int | None, at: datetime) -> IncomingCall:
    privacy = "" if caller.number else caller.privacy.value
    return IncomingCall(caller.number, caller.name, line, device, at, privacy)


@dataclass
class ModemInterpreter:
    """Lines from a caller-ID modem; a call is reported once its block is complete."""

    device: str
    clock: Clock = utc_now

    def __post_init__(self) -> None:
        self._assembler = CallerIdAssembler()

    def __call__(self, data: bytes) -> list[DeviceEvent]:
        at = self.clock()
        try:
            caller = self._assembler.feed(data.decode("ascii", errors="replace"))
        except DeviceParseError as error:
            return [DeviceRejected(self.device, error.reason, at)]
        return [] if caller is None else [_call(self.device, caller, None, at)]


@dataclass
class WhozzInterpreter:
    """Datagrams from an Ethernet caller-ID unit: the start of an inbound call rings."""

    device: str
    deduplicator: WhozzDeduplicator
    clock: Clock = utc_now

    def __call__(self, data: bytes) -> list[DeviceEvent]:
        if not self.deduplicator.admit(data):
            return []
        at = self.clock()
        try:
            record = parse_packet(data)
        except DeviceParseError as error:
            return [DeviceRejected(self.device, error.reason, at)]
        if isinstance(record, WhozzRecord) and record.inbound and record.start:
            caller = CallerId(record.number, record.name, record.privacy)
            return [_call(self.device, caller, record.line, at)]
        return []  # end-of-call, outbound and detail records identify nobody
