"""Whozz Calling? Ethernet Link records: call and detail records, rejection, deduplication."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.devices.callerid import CallerPrivacy, CallStamp
from app.devices.errors import DeviceParseError
from app.devices.whozz import (
    WhozzDeduplicator,
    WhozzDetail,
    WhozzEvent,
    WhozzRecord,
    parse_line,
    parse_packet,
)
from tests.support.fuzz import assert_only_raises

# The Ethernet Link Supplement's example: unit 00-00-00-00-89-79 (35,193), serial
# 00-00-00-84-48-84 (8,669,316), then "$" and the data stream; 83 bytes in all.
HEADER = b"^^<U>" + bytes.fromhex("000000008979") + b"<S>" + bytes.fromhex("000000844884")
EL_EXAMPLE = HEADER + b"$01 I E 0000 G A2 12/17 04:54 PM 770-263-7111   CALLERID.COM   "
# The Whozz Calling? 2 manual's detail example, at the documented offset (52 bytes).
DETAIL = HEADER + b"$01 R             11/07 07:43:52"


def call(stream: str) -> WhozzRecord:
    found = parse_packet(HEADER + b"$" + stream.encode())
    assert isinstance(found, WhozzRecord)
    return found


def test_ethernet_link_example() -> None:
    assert len(EL_EXAMPLE) == 83
    assert parse_packet(EL_EXAMPLE) == WhozzRecord(
        unit=35193,
        serial=8669316,
        line=1,
        inbound=True,
        start=False,
        duration_s=0,
        checksum_good=True,
        ring_type="A",
        rings=2,
        when=CallStamp(12, 17, 16, 54),
        number="7702637111",
        name="CALLERID.COM",
        privacy=CallerPrivacy.PRESENTED,
    )


def test_start_record_has_no_duration() -> None:
    found = call("02 I S 0000 G A1 09/26 11:28 AM 800-555-1212   AT&T INFORMATIO")
    assert (found.start, found.duration_s, found.line) == (True, None, 2)
    assert found.name == "AT&T INFORMATIO"  # the 15-character field, truncated by the unit


def test_end_record_carries_duration_and_bad_checksum() -> None:
    found = call("01 I E 0276 B B3 09/26 11:28 AM 800-555-1212   AT&T INFORMATIO")
    assert (found.duration_s, found.checksum_good, found.ring_type, found.rings) == (
        276,
        False,
        "B",
        3,
    )


def test_outbound_call() -> None:
    found = call("03 O E 0045 G A0 01/02 12:05 AM 2125551234     1234")
    assert (found.inbound, found.number, found.name) == (False, "2125551234", "1234")
    assert found.when == CallStamp(1, 2, 0, 5)  # 12:05 AM is 00:05


def test_noon_and_leading_zeroes_sent_as_spaces() -> None:
    found = call("02 I S 0000 G A0  9/26 12:28 PM 770-263-7111")
    assert found.when == CallStamp(9, 26, 12, 28)
    assert call("02 I S 0000 G A0 09/26  1:28 PM 7702637111").when.hour == 13


@pytest.mark.parametrize(
    ("field", "privacy"),
    [
        ("Private", CallerPrivacy.WITHHELD),
        ("Out-of-Area", CallerPrivacy.UNAVAILABLE),
        ("P", CallerPrivacy.WITHHELD),
        ("O", CallerPrivacy.UNAVAILABLE),
        ("", CallerPrivacy.NOT_SENT),
    ],
)
def test_privacy_texts_in_the_number_field(field: str, privacy: CallerPrivacy) -> None:
    found = call(f"01 I S 0000 G A1 12/17 04:54 PM {field:<14} ")
    assert (found.number, found.privacy, found.name) == (None, privacy, None)


def test_unpadded_record_and_serial_line_read() -> None:
    found = parse_line("01 I S 0000 G A1 12/17 04:54 PM 770-263-7111\r\n")
    assert isinstance(found, WhozzRecord)
    assert (found.unit, found.serial, found.number, found.name) == (None, None, "7702637111", None)
    assert parse_line(b"$01 R             11/07 17:45:04") == WhozzDetail(
        None, None, 1, WhozzEvent.RING, CallStamp(11, 7, 17, 45, 4)
    )


def test_packet_without_the_dollar_sign() -> None:
    assert parse_packet(EL_EXAMPLE.replace(b"$", b"", 1)) == parse_packet(EL_EXAMPLE)


def test_header_bytes_can_be_anything() -> None:
    header = b"^^<U>" + b"$\r\n^^<" + b"<S>" + b"\x00\xff$<S>"
    found = parse_packet(header + EL_EXAMPLE[20:])
    assert isinstance(found, WhozzRecord)
    assert found.unit == int.from_bytes(b"$\r\n^^<", "big")


@pytest.mark.parametrize(
    ("letter", "event"),
    [
        ("R", WhozzEvent.RING),
        ("F", WhozzEvent.OFF_HOOK),
        ("N", WhozzEvent.ON_HOOK),
        ("H", WhozzEvent.HOOK_FLASH),
    ],
)
def test_detail_records(letter: str, event: WhozzEvent) -> None:
    found = parse_packet(DETAIL.replace(b" R ", f" {letter} ".encode()))
    assert found == WhozzDetail(35193, 8669316, 1, event, CallStamp(11, 7, 7, 43, 52))


def test_detail_example_is_52_bytes() -> None:
    assert len(DETAIL) == 52


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "does not start with a Whozz Calling header"),
        (b"^^Id-V", "does not start with a Whozz Calling header"),
        (HEADER + b"V9.7 ECXUDASOBKT", "Not a Whozz Calling call or detail record"),
        (HEADER + b"$01 09/26 02:30 PM 8002404637 I CallerID.com", "comprehensive format"),
        (HEADER + b"$01 X             11/07 07:43:52", "Unknown Whozz Calling detail event 'X'"),
        (HEADER + b"$01 R             13/07 07:43:52", "not a calendar date"),
        (HEADER + b"$01 R             11/07 24:43:52", "not a time of day"),
        (HEADER + b"$01 I S 0000 G A1 12/17 13:54 PM 1", "12-hour clock"),
        (HEADER + b"$01 I S 0000 G A1 12/17 00:54 PM 1", "12-hour clock"),
        (HEADER + b"$01 I S 0000 G A1 12/17 04:54 PM 770-263-7111-999X", "runs into the name"),
        (HEADER + b"$01 I S 0000 G A1 12/17 04:54 PM 770-CALL-NOW", "not a phone number"),
        (HEADER + b"$01 I S 0000 G A1 12/17 04:54 PM " + b"1".ljust(15) + b"A\x07B", "control"),
        (HEADER + b"$01 I S 0000 G A1 12/17 04:54 PM \xe9", "non-ASCII"),
        (HEADER + b"$01 I S 0000 G A1 12/17\n04:54 PM 1", "Not a Whozz Calling call"),
    ],
)
def test_rejects(payload: bytes, reason: str) -> None:
    with pytest.raises(DeviceParseError, match=reason):
        parse_packet(payload)


# --- deduplication ---------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_copies_within_the_window_are_dropped() -> None:
    clock = FakeClock()
    dedup = WhozzDeduplicator(clock=clock)
    assert dedup.admit(EL_EXAMPLE)
    clock.now += 0.3
    assert not dedup.admit(EL_EXAMPLE)
    clock.now += 1.6  # 1.9 s after the first sighting
    assert not dedup.admit(EL_EXAMPLE)
    assert dedup.admit(DETAIL)  # a different payload passes at once


def test_the_window_runs_from_the_first_sighting() -> None:
    clock = FakeClock()
    dedup = WhozzDeduplicator(window_s=2.0, clock=clock)
    assert dedup.admit(EL_EXAMPLE)
    for _ in range(3):  # copies keep coming, but do not stretch the window
        clock.now += 0.5
        assert not dedup.admit(EL_EXAMPLE)
    clock.now += 0.5  # exactly 2.0 s after the first sighting
    assert dedup.admit(EL_EXAMPLE)


def test_same_stream_from_two_units_is_two_records() -> None:
    other_unit = EL_EXAMPLE[:5] + bytes(6) + EL_EXAMPLE[11:]
    dedup = WhozzDeduplicator(clock=FakeClock())
    assert dedup.admit(EL_EXAMPLE) and dedup.admit(other_unit)


def test_configurable_window_and_real_clock() -> None:
    clock = FakeClock()
    dedup = WhozzDeduplicator(window_s=0.5, clock=clock)
    assert dedup.admit(b"x")
    clock.now += 0.5
    assert dedup.admit(b"x")
    assert WhozzDeduplicator().admit(b"x")  # time.monotonic by default
    with pytest.raises(ValueError, match="negative"):
        WhozzDeduplicator(window_s=-1)


@given(st.lists(st.tuples(st.sampled_from([b"a", b"b", b"c"]), st.floats(0, 3)), max_size=40))
def test_each_payload_passes_once_per_window(events: list[tuple[bytes, float]]) -> None:
    clock = FakeClock()
    dedup = WhozzDeduplicator(window_s=2.0, clock=clock)
    first_seen: dict[bytes, float] = {}
    for payload, step in events:
        clock.now += step
        expected = payload not in first_seen or clock.now - first_seen[payload] >= 2.0
        if expected:
            first_seen[payload] = clock.now
        assert dedup.admit(payload) is expected


# --- fuzz ------------------------------------------------------------------------------------

SEEDS = [
    EL_EXAMPLE,
    DETAIL,
    HEADER + b"$02 O S 0000 G A0  9/26 12:28 PM Private        1234",
]


@pytest.mark.fuzz
def test_fuzz_parse_packet() -> None:
    assert_only_raises(parse_packet, DeviceParseError, SEEDS)


@pytest.mark.fuzz
def test_fuzz_parse_line() -> None:
    assert_only_raises(parse_line, DeviceParseError, [seed[20:] for seed in SEEDS])
