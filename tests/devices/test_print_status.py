"""DLE EOT status answers: every defined bit read right, everything else refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.devices.errors import DeviceParseError
from app.devices.printing.status import (
    ErrorCause,
    OfflineCause,
    PaperState,
    PrinterState,
    PrinterStatus,
    PrinterStatusError,
    StatusQuery,
    parse_reply,
    parse_status,
    status_bytes,
)
from tests.support.fuzz import assert_only_raises

FIXED = 0x12  # bits 1 and 4 on, 0 and 7 off: the answer to every query when all is well


def test_a_healthy_printer_answers_0x12_to_every_query() -> None:
    assert status_bytes() == bytes([FIXED] * 4)
    status = parse_status(status_bytes())
    assert status.ready
    assert status.reason == "Ready"


@pytest.mark.parametrize(
    ("query", "byte", "expected"),
    [
        (1, 0x12, PrinterState(online=True, drawer_signal_high=False)),
        (1, 0x1A, PrinterState(online=False, drawer_signal_high=False)),
        (1, 0x16, PrinterState(online=True, drawer_signal_high=True)),
        (2, 0x16, OfflineCause(True, False, False, False)),  # cover open
        (2, 0x1A, OfflineCause(False, True, False, False)),  # feed button
        (2, 0x32, OfflineCause(False, False, True, False)),  # stopped at paper end
        (2, 0x52, OfflineCause(False, False, False, True)),  # an error occurred
        (3, 0x1A, ErrorCause(cutter=True, unrecoverable=False, auto_recoverable=False)),
        (3, 0x32, ErrorCause(cutter=False, unrecoverable=True, auto_recoverable=False)),
        (3, 0x52, ErrorCause(cutter=False, unrecoverable=False, auto_recoverable=True)),
        (3, 0x16, ErrorCause(False, False, False)),  # bit 2 is undefined (black mark on some)
        (4, 0x1E, PaperState(near_end=True, out=False)),
        (4, 0x16, PaperState(near_end=True, out=False)),  # one of two near-end sensors
        (4, 0x72, PaperState(near_end=False, out=True)),
        (4, 0x7E, PaperState(near_end=True, out=True)),
        (4, 0x52, PaperState(near_end=False, out=False)),  # bit 6 alone: a presenter sensor
    ],
)
def test_each_bit_the_manuals_define(query: int, byte: int, expected: object) -> None:
    assert parse_reply(query, bytes([byte])) == expected


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ({"paper_out": True, "online": False}, "Out of paper"),
        ({"cover_open": True, "online": False}, "Cover open"),
        ({"cutter_error": True, "online": False}, "Paper cutter jammed"),
        ({"unrecoverable_error": True, "online": False}, "Printer fault"),
        ({"auto_recoverable_error": True, "online": False}, "Print head too hot"),
        ({"feed_button": True, "online": False}, "Paper is being fed"),
        ({"online": False}, "Printer offline"),
    ],
)
def test_a_printer_that_cannot_print_says_why(state: dict[str, bool], reason: str) -> None:
    status = parse_status(status_bytes(**state))
    assert not status.ready
    assert status.reason.startswith(reason)


def test_paper_out_comes_before_an_open_cover_and_near_end_still_prints() -> None:
    both = parse_status(status_bytes(online=False, cover_open=True, paper_out=True))
    assert both.reason == "Out of paper"
    low = parse_status(status_bytes(paper_near_end=True))
    assert low.ready
    assert low.reason == "Ready — paper nearly out"


def test_the_state_alone_is_one_byte() -> None:
    assert parse_status(b"\x1a") == PrinterStatus(PrinterState(False, False))
    assert parse_status(b"\x1a").reason == "Printer offline"


@pytest.mark.parametrize(
    "data", [b"", b"\x12\x12", b"\x00", b"\xff", b"\x13", b"\x92", b"\x10", b"\x02", b"\x12" * 3]
)
def test_anything_but_a_status_answer_is_refused(data: bytes) -> None:
    with pytest.raises(PrinterStatusError):
        parse_status(data)


def test_a_query_outside_1_to_4_is_refused() -> None:
    with pytest.raises(PrinterStatusError):
        parse_reply(5, b"\x12")


def test_the_commands_are_dle_eot_n() -> None:
    assert [q.command for q in StatusQuery] == [b"\x10\x04" + bytes([n]) for n in (1, 2, 3, 4)]


def test_the_status_error_is_the_device_parse_error() -> None:
    assert issubclass(PrinterStatusError, DeviceParseError)


# --- properties ------------------------------------------------------------------------

_FLAGS = (
    "online",
    "cover_open",
    "feed_button",
    "paper_near_end",
    "paper_out",
    "cutter_error",
    "unrecoverable_error",
    "auto_recoverable_error",
    "drawer_signal_high",
)


@given(st.fixed_dictionaries({flag: st.booleans() for flag in _FLAGS}))
def test_what_a_printer_says_is_read_back(state: dict[str, bool]) -> None:
    status = parse_status(status_bytes(**state))
    assert status.printer.online is state["online"]
    assert status.printer.drawer_signal_high is state["drawer_signal_high"]
    assert status.cover_open is state["cover_open"]
    assert status.paper_out is state["paper_out"]
    assert status.paper is not None and status.paper.near_end is state["paper_near_end"]
    assert status.error == ErrorCause(
        state["cutter_error"], state["unrecoverable_error"], state["auto_recoverable_error"]
    )
    stops = ("paper_out", "cover_open", "feed_button", "cutter_error", "unrecoverable_error")
    blocked = any(state[flag] for flag in (*stops, "auto_recoverable_error"))
    assert status.ready is (state["online"] and not blocked)
    assert status.reason and "_" not in status.reason  # words, never a flag's name
    assert status.ready is status.reason.startswith("Ready")


@given(st.integers(0, 255))
def test_a_byte_is_an_answer_exactly_when_its_fixed_bits_are_right(byte: int) -> None:
    valid = byte & 0x93 == 0x12
    for query in StatusQuery:
        try:
            parse_reply(query, bytes([byte]))
        except PrinterStatusError:
            assert not valid
        else:
            assert valid


# --- fuzz ------------------------------------------------------------------------------

SEEDS = [
    status_bytes(),
    status_bytes(online=False, paper_out=True),
    status_bytes(online=False, cover_open=True),
    status_bytes(paper_near_end=True, drawer_signal_high=True),
    status_bytes(online=False, cutter_error=True, unrecoverable_error=True),
    b"\x12",
    b"\x1a",
]


def _status(data: bytes) -> str:
    return parse_status(data).reason


def _each_reply(data: bytes) -> object:
    return parse_reply(data[0] % 6 if data else 0, data[1:])


@pytest.mark.fuzz
def test_fuzz_parse_status() -> None:
    assert assert_only_raises(_status, PrinterStatusError, SEEDS) > 0


@pytest.mark.fuzz
def test_fuzz_parse_reply() -> None:
    seeds = [bytes([n]) + bytes([b]) for n in (1, 2, 3, 4) for b in (0x12, 0x1E, 0x72, 0x7E)]
    assert assert_only_raises(_each_reply, PrinterStatusError, seeds) > 0
