"""Caller ID from modems: formatted tag lines, the line assembler, raw SDMF/MDMF messages."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.devices.callerid import (
    CallerId,
    CallerIdAssembler,
    CallerPrivacy,
    CallStamp,
    checksum,
    parse_formatted,
    parse_raw_hex,
    parse_raw_message,
)
from app.devices.errors import DeviceParseError
from tests.support.fuzz import assert_only_raises

# The Rockwell RC336ACX / Askey AT manual's formatted example.
ROCKWELL = "RING\r\nDATE = 0321\r\nTIME = 1405\r\nNMBR = 504551234\r\nNAME = A N OTHER\r\nRING\r\n"
# ME Labs' published SDMF example: 30 September 12:24, (609) 555-1212; its checksum is right.
MELABS_SDMF = "04 12 30 39 33 30 31 32 32 34 36 30 39 35 35 35 31 32 31 32 51"
# ME Labs' "blocked" SDMF and MDMF examples are printed with wrong checksums (0x12, 0x7D).
MELABS_SDMF_BLOCKED = "04 09 30 39 33 30 31 32 32 34 50 12"
MELABS_MDMF = (
    "80 20 01 08 30 33 32 34 30 39 30 32 07 08 4A 4F 48 4E 20 44 4F 45 "
    "02 0A 38 30 30 35 35 35 31 32 31 32 7D"
)


def framed(kind: int, body: bytes) -> bytes:
    head = bytes([kind, len(body)]) + body
    return head + bytes([checksum(head)])


def param(kind: int, value: bytes) -> bytes:
    return bytes([kind, len(value)]) + value


# --- formatted mode ------------------------------------------------------------------------


def test_rockwell_example() -> None:
    assert parse_formatted(ROCKWELL) == CallerId(
        number="504551234",
        name="A N OTHER",
        privacy=CallerPrivacy.PRESENTED,
        name_privacy=CallerPrivacy.PRESENTED,
        when=CallStamp(3, 21, 14, 5),
    )


@pytest.mark.parametrize("separator", ["=", " = ", "= ", " =", "\t=\t"])
def test_spacing_around_the_equals_sign(separator: str) -> None:
    found = parse_formatted(f"NMBR{separator}02079460000\nNAME{separator}ROBERTS EMILY")
    assert (found.number, found.name) == ("02079460000", "ROBERTS EMILY")


def test_bytes_and_lowercase_tags_read() -> None:
    assert parse_formatted(b"nmbr = 123\r\n").number == "123"


@pytest.mark.parametrize(
    ("marker", "privacy"),
    [
        ("P", CallerPrivacy.WITHHELD),
        ("O", CallerPrivacy.UNAVAILABLE),
        ("A", CallerPrivacy.UNAVAILABLE),
        ("PRIVATE", CallerPrivacy.WITHHELD),
        ("OUT OF AREA", CallerPrivacy.UNAVAILABLE),
    ],
)
def test_number_privacy_markers(marker: str, privacy: CallerPrivacy) -> None:
    found = parse_formatted(f"NMBR = {marker}\n")
    assert (found.number, found.privacy) == (None, privacy)


@pytest.mark.parametrize(
    ("marker", "privacy"),
    [("P", CallerPrivacy.WITHHELD), ("O", CallerPrivacy.UNAVAILABLE)],
)
def test_name_privacy_markers(marker: str, privacy: CallerPrivacy) -> None:
    found = parse_formatted(f"NMBR = 0123\nNAME = {marker}\n")
    assert (found.name, found.name_privacy) == (None, privacy)


def test_a_word_in_name_is_a_listing_not_a_marker() -> None:
    assert parse_formatted("NAME = PRIVATE\n").name == "PRIVATE"


def test_missing_items_are_not_sent() -> None:
    found = parse_formatted("DATE = 1123\nTIME = 0852\nNMBR = 02079460000\n")
    assert found.name is None and found.name_privacy is CallerPrivacy.NOT_SENT
    assert found.when == CallStamp(11, 23, 8, 52)


def test_ddn_number_and_message() -> None:
    found = parse_formatted(
        "RING\n\nDATE = 1123\nTIME = 0852\nDDN_NMBR = 2079460000\nNMBR = 02079460000\n"
        "NAME = ROBERTS EMILY\nMESG = 060342424319\n\nRING\n"
    )
    assert found.ddn_number == "2079460000"
    assert found.message == "060342424319"


def test_date_without_time_gives_no_stamp() -> None:
    assert parse_formatted("DATE = 1123\nNMBR = 1\n").when is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no caller-ID tags"),
        ("RING\nRING\n", "no caller-ID tags"),
        ("NMBR = 1\nNAME = A\n\nNMBR = 2\n", "2 caller-ID blocks"),
        ("DATE = 1332\n", "not a calendar date"),
        ("DATE = 0230\n", "not a calendar date"),
        ("TIME = 2460\n", "not a time of day"),
        ("TIME = 12:00\n", "should be 4 digits"),
        ("NMBR = 0207 ABC\n", "not a phone number"),
        ("NAME = A\x07B\n", "control characters"),
        ("CALLER = X\n", "Unknown caller-ID tag"),
        ("CONNECT 9600\n", "neither a caller-ID tag nor RING"),
    ],
)
def test_formatted_rejects(text: str, reason: str) -> None:
    with pytest.raises(DeviceParseError, match=reason):
        parse_formatted(text)


def test_stamp_in_a_year_and_zone() -> None:
    london = timezone(timedelta(hours=0), "GMT")
    assert CallStamp(11, 23, 8, 52).at(2024, london) == datetime(2024, 11, 23, 8, 52, tzinfo=london)
    assert CallStamp(2, 29, 0, 0).at(2024, UTC).day == 29
    with pytest.raises(DeviceParseError, match="does not exist in 2023"):
        CallStamp(2, 29, 0, 0).at(2023, UTC)


# --- the assembler ---------------------------------------------------------------------------


def feed_all(assembler: CallerIdAssembler, text: str) -> list[CallerId | None]:
    return [assembler.feed(line) for line in text.split("\n")]


def test_assembler_emits_as_soon_as_number_and_name_arrive() -> None:
    emitted = feed_all(CallerIdAssembler(), "RING\nDATE = 0321\nTIME = 1405\nNMBR = 1\nNAME = X")
    assert emitted[:4] == [None] * 4
    assert emitted[4] is not None and emitted[4].name == "X"


def test_assembler_ignores_trailing_tags_after_an_early_emission() -> None:
    assembler = CallerIdAssembler()
    emitted = feed_all(assembler, "NMBR = 1\nNAME = X\nMESG = 01\nRING\nNMBR = 2\nNAME = Y")
    calls = [c for c in emitted if c is not None]
    assert [(c.number, c.message) for c in calls] == [("1", None), ("2", None)]


def test_assembler_without_early_completion_keeps_trailing_tags_until_ring() -> None:
    assembler = CallerIdAssembler(complete_on_name_and_number=False)
    emitted = feed_all(assembler, "NMBR = 1\nNAME = X\nDDN_NMBR = 99\nRING")
    assert emitted[:3] == [None] * 3
    assert emitted[3] is not None and emitted[3].ddn_number == "99"


def test_assembler_across_ring_lines_for_number_only_service() -> None:
    # SDMF service: no NAME ever comes, so the next RING closes the block.
    emitted = feed_all(CallerIdAssembler(), "RING\n\nDATE = 0101\nTIME = 0000\nNMBR = O\nRING")
    assert emitted[-1] == CallerId(
        None, None, CallerPrivacy.UNAVAILABLE, when=CallStamp(1, 1, 0, 0)
    )


def test_assembler_blank_line_ends_a_block() -> None:
    emitted = feed_all(CallerIdAssembler(), "NMBR = 1\n\n")
    assert emitted[1] is not None and emitted[1].number == "1"
    assert emitted[2] is None  # a second separator emits nothing


def test_assembler_repeated_tag_starts_a_new_block() -> None:
    assembler = CallerIdAssembler()
    assert assembler.feed("DATE = 0101") is None
    assert assembler.feed("NMBR = 1") is None
    first = assembler.feed("DATE = 0102")
    assert first is not None and first.number == "1"
    assert assembler.feed("NMBR = 2") is None
    last = assembler.flush()
    assert last is not None and last.number == "2"
    assert assembler.flush() is None


def test_assembler_bad_line_leaves_the_open_block_alone() -> None:
    assembler = CallerIdAssembler()
    assembler.feed("NMBR = 1")
    with pytest.raises(DeviceParseError):
        assembler.feed("DATE = 9999")
    with pytest.raises(DeviceParseError):
        assembler.feed("NMBR = xyz")  # a repeat that is also bad: nothing emitted, nothing lost
    found = assembler.feed("NAME = X")
    assert found is not None and (found.number, found.name, found.when) == ("1", "X", None)


def test_assembler_accepts_line_endings_and_result_codes() -> None:
    assembler = CallerIdAssembler()
    assert assembler.feed("NMBR = 1\r\n") is None
    found = assembler.feed("OK\r\n")
    assert found is not None and found.number == "1"


# --- raw mode --------------------------------------------------------------------------------


def test_melabs_sdmf_example() -> None:
    assert parse_raw_hex(MELABS_SDMF) == CallerId(
        "6095551212", None, CallerPrivacy.PRESENTED, when=CallStamp(9, 30, 12, 24)
    )


def test_melabs_examples_with_misprinted_checksums_are_rejected_then_read_when_fixed() -> None:
    for text in (MELABS_SDMF_BLOCKED, MELABS_MDMF):
        with pytest.raises(DeviceParseError, match="checksum mismatch"):
            parse_raw_hex(text)
    blocked = parse_raw_message(framed(0x04, bytes.fromhex(MELABS_SDMF_BLOCKED)[2:-1]))
    assert (blocked.number, blocked.privacy) == (None, CallerPrivacy.WITHHELD)
    mdmf = parse_raw_message(framed(0x80, bytes.fromhex(MELABS_MDMF)[2:-1]))
    assert (mdmf.number, mdmf.name, mdmf.when) == ("8005551212", "JOHN DOE", CallStamp(3, 24, 9, 2))
    assert framed(0x80, bytes.fromhex(MELABS_MDMF)[2:-1])[-1] == 0x84


def test_rockwell_unformatted_example_lacks_its_checksum() -> None:
    with pytest.raises(DeviceParseError, match="truncated"):
        parse_raw_hex("0412303332323234303539313435353132333435")


def test_hex_forms_all_read() -> None:
    expected = parse_raw_hex(MELABS_SDMF)
    compact = MELABS_SDMF.replace(" ", "")
    assert parse_raw_hex(compact.lower()) == expected
    assert parse_raw_hex(compact.encode() + b"\r\n") == expected
    assert parse_raw_message(bytes.fromhex(compact)) == expected


def test_mdmf_from_the_spec_with_privacy_ddn_and_unknown_parameter() -> None:
    body = (
        param(0x01, b"11230852")
        + param(0x06, b"L")  # call qualifier: skipped
        + param(0x04, b"P")
        + param(0x08, b"O")
        + param(0x03, b"2079460000")
    )
    found = parse_raw_message(framed(0x80, body))
    assert found == CallerId(
        None,
        None,
        CallerPrivacy.WITHHELD,
        CallerPrivacy.UNAVAILABLE,
        CallStamp(11, 23, 8, 52),
        None,
        "2079460000",
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x04\x00", "too short"),
        (framed(0x06, b"\x42\x42\x42"), "Unknown caller-ID message type 0x06"),
        (framed(0x04, b"11230852")[:-2], "truncated"),
        (framed(0x04, b"11230852") + b"\x00", "stray bytes"),
        (framed(0x04, b"1123085"), "SDMF body is 7 bytes"),
        (framed(0x04, b"1123O852"), "should be 8 digits"),
        (framed(0x04, b"13230852"), "not a calendar date"),
        (framed(0x80, b"\x07"), "cut off before its length"),
        (framed(0x80, b"\x07\x05AB"), "declares 5 bytes but 2 remain"),
        (framed(0x80, param(0x07, b"A") + param(0x07, b"B")), "appears twice"),
        (framed(0x80, param(0x04, b"X")), "should be 'P' or 'O'"),
        (framed(0x80, param(0x02, b"12a")), "not a phone number"),
    ],
)
def test_raw_message_rejects(data: bytes, reason: str) -> None:
    with pytest.raises(DeviceParseError, match=reason):
        parse_raw_message(data)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "empty"), ("04 1", "odd number"), ("04 GG", "not hex digits"), ("０４", "not hex")],
)
def test_raw_hex_rejects(text: str, reason: str) -> None:
    with pytest.raises(DeviceParseError, match=reason):
        parse_raw_hex(text)


stamps = st.builds(
    CallStamp,
    month=st.integers(1, 12),
    day=st.integers(1, 28),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
)
numbers = st.text("0123456789", min_size=1, max_size=20)
names = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=2, max_size=20)


@given(
    when=st.none() | stamps,
    number=st.none() | numbers | st.sampled_from("PO"),
    name=st.none() | names | st.sampled_from("PO"),
    ddn=st.none() | numbers,
    order=st.randoms(use_true_random=False),
)
def test_mdmf_round_trips(
    when: CallStamp | None,
    number: str | None,
    name: str | None,
    ddn: str | None,
    order: random.Random,
) -> None:
    params = []
    if when is not None:
        stamp = f"{when.month:02d}{when.day:02d}{when.hour:02d}{when.minute:02d}"
        params.append(param(0x01, stamp.encode()))
    if number is not None:
        params.append(param(0x04 if number in ("P", "O") else 0x02, number.encode()))
    if name is not None:
        params.append(param(0x08 if name in ("P", "O") else 0x07, name.encode()))
    if ddn is not None:
        params.append(param(0x03, ddn.encode()))
    order.shuffle(params)
    found = parse_raw_message(framed(0x80, b"".join(params)))
    markers = {"P": CallerPrivacy.WITHHELD, "O": CallerPrivacy.UNAVAILABLE}
    assert found.when == when
    assert found.ddn_number == ddn
    if number is None:
        assert (found.number, found.privacy) == (None, CallerPrivacy.NOT_SENT)
    elif number in markers:
        assert (found.number, found.privacy) == (None, markers[number])
    else:
        assert (found.number, found.privacy) == (number, CallerPrivacy.PRESENTED)
    if name is None:
        assert (found.name, found.name_privacy) == (None, CallerPrivacy.NOT_SENT)
    elif name in markers:
        assert (found.name, found.name_privacy) == (None, markers[name])
    else:
        assert (found.name, found.name_privacy) == (name, CallerPrivacy.PRESENTED)


@given(
    body=st.binary(max_size=60),
    kind=st.sampled_from([0x04, 0x80]),
    data=st.data(),
)
def test_any_single_corrupted_byte_is_caught(body: bytes, kind: int, data: st.DataObject) -> None:
    message = bytearray(framed(kind, body))
    index = data.draw(st.integers(0, len(message) - 1))
    message[index] ^= data.draw(st.integers(1, 255))
    with pytest.raises(DeviceParseError):
        parse_raw_message(bytes(message))


@given(number=numbers, when=stamps, data=st.data())
def test_sdmf_bit_flip_is_caught_by_the_checksum(
    number: str, when: CallStamp, data: st.DataObject
) -> None:
    stamp = f"{when.month:02d}{when.day:02d}{when.hour:02d}{when.minute:02d}"
    message = bytearray(framed(0x04, (stamp + number).encode()))
    assert parse_raw_message(bytes(message)).number == number
    index = data.draw(st.integers(2, len(message) - 1))  # body or checksum, not the header
    message[index] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(DeviceParseError, match="checksum"):
        parse_raw_message(bytes(message))


# --- fuzz ------------------------------------------------------------------------------------

RAW_SEEDS = [
    bytes.fromhex(MELABS_SDMF),
    framed(0x80, bytes.fromhex(MELABS_MDMF)[2:-1]),
    framed(0x80, param(0x01, b"11230852") + param(0x04, b"P") + param(0x08, b"O")),
]


def _timed(parse: Callable[[bytes], object], seeds: list[bytes]) -> None:
    assert_only_raises(parse, DeviceParseError, seeds)


@pytest.mark.fuzz
def test_fuzz_parse_raw_message() -> None:
    _timed(parse_raw_message, RAW_SEEDS)


@pytest.mark.fuzz
def test_fuzz_parse_raw_hex() -> None:
    _timed(parse_raw_hex, [seed.hex(" ").upper().encode() for seed in RAW_SEEDS])


@pytest.mark.fuzz
def test_fuzz_parse_formatted() -> None:
    seeds = [
        ROCKWELL.encode(),
        b"DATE=1123\nTIME=0852\nDDN_NMBR=2079460000\nNMBR = P\nNAME = O\nMESG = 0603\n",
    ]
    _timed(parse_formatted, seeds)


@pytest.mark.fuzz
def test_fuzz_assembler_feed() -> None:
    assembler = CallerIdAssembler()

    def feed(data: bytes) -> CallerId | None:
        return assembler.feed(data.decode("latin-1"))

    _timed(feed, [line.encode() for line in ROCKWELL.splitlines()] + [b"DDN_NMBR = 1"])
