"""Frames become events; bad input becomes a readable rejection; a PAN never leaves."""

from __future__ import annotations

from datetime import UTC, datetime

from app.devices.events import DeviceRejected, IdentificationEvent, IncomingCall
from app.devices.interpreters import (
    PAN_HASH_PREFIX,
    BarcodeInterpreter,
    CardOrCodeInterpreter,
    MagstripeInterpreter,
    ModemInterpreter,
    WhozzInterpreter,
)
from app.devices.whozz import WhozzDeduplicator
from app.domain.identifiers import IdentifierKind

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
VISA = (
    b"%B4111111111111111^ROBERTS/EMILY^2912101000000000000000?"
    b";4111111111111111=29121010000000000000?\r"
)


def clock() -> datetime:
    return NOON


def test_a_loyalty_swipe_identifies() -> None:
    events = MagstripeInterpreter("Bar reader", clock=clock)(b";6391000012345678=49121010000?\r")
    assert events == [
        IdentificationEvent(IdentifierKind.MAGNETIC_CARD, "6391000012345678", "Bar reader", NOON)
    ]


def test_a_payment_card_is_refused_with_its_masked_number_only() -> None:
    events = MagstripeInterpreter("Bar reader", clock=clock)(VISA)
    assert len(events) == 1 and isinstance(events[0], DeviceRejected)
    assert "411111******1111" in events[0].reason
    assert "4111111111111111" not in repr(events)


def test_a_payment_card_identifies_by_keyed_hash_where_the_venue_allows() -> None:
    events = MagstripeInterpreter("Bar reader", pan_hmac_key=b"k" * 32, clock=clock)(VISA)
    event = events[0]
    assert isinstance(event, IdentificationEvent)
    assert event.value.startswith(PAN_HASH_PREFIX) and event.masked == "411111******1111"
    assert "4111111111111111" not in repr(events)
    again = MagstripeInterpreter("Till", pan_hmac_key=b"k" * 32, clock=clock)(VISA)
    assert isinstance(again[0], IdentificationEvent) and again[0].value == event.value


def test_an_unreadable_swipe_is_a_rejection_not_a_crash() -> None:
    events = MagstripeInterpreter("Bar reader", clock=clock)(b"%E?;E?\r")
    assert len(events) == 1 and isinstance(events[0], DeviceRejected)
    assert "swipe again" in events[0].reason


def test_a_scan_identifies_and_a_wedge_tells_stripes_from_codes() -> None:
    barcode = BarcodeInterpreter("Scanner", clock=clock)
    assert barcode(b"2900000012345\r") == [
        IdentificationEvent(IdentifierKind.BARCODE_CARD, "2900000012345", "Scanner", NOON)
    ]
    wedge = CardOrCodeInterpreter(
        MagstripeInterpreter("Wedge", clock=clock), BarcodeInterpreter("Wedge", clock=clock)
    )
    kinds = [
        e.kind
        for e in wedge(b";6391000012345678=4912?") + wedge(b"2900000012345")
        if isinstance(e, IdentificationEvent)
    ]
    assert kinds == [IdentifierKind.MAGNETIC_CARD, IdentifierKind.BARCODE_CARD]


def test_modem_lines_make_one_call_per_block() -> None:
    modem = ModemInterpreter("Modem", clock=clock)
    events = []
    for line in (
        b"RING",
        b"DATE = 1123",
        b"TIME = 1200",
        b"NMBR = 02079460000",
        b"NAME = ROBERTS EMILY",
        b"",
    ):
        events += modem(line)
    assert events == [IncomingCall("02079460000", "ROBERTS EMILY", None, "Modem", NOON)]


def test_withheld_numbers_still_ring() -> None:
    modem = ModemInterpreter("Modem", clock=clock)
    events = []
    for line in (b"RING", b"DATE = 1123", b"TIME = 1200", b"NMBR = P", b"NAME = P", b""):
        events += modem(line)
    assert events == [IncomingCall(None, None, None, "Modem", NOON, "withheld")]


def test_whozz_start_records_ring_once_and_garbage_is_rejected() -> None:
    ticks = iter(range(100))
    whozz = WhozzInterpreter(
        "Ethernet unit", WhozzDeduplicator(2.0, clock=lambda: float(next(ticks)) / 10), clock=clock
    )
    start = b"^^<U>000001<S>123456$01 I S 0000 G A1 11/23 12:00 PM 020-7946-0000   ROBERTS EMILY"
    assert whozz(start) == [IncomingCall("02079460000", "ROBERTS EMILY", 1, "Ethernet unit", NOON)]
    assert whozz(start) == []  # the unit repeats every packet
    rejected = whozz(b"^^<U>garbage")
    assert len(rejected) == 1 and isinstance(rejected[0], DeviceRejected)
