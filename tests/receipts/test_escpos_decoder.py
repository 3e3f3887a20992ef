"""The test decoder: ESC/POS bytes back to printed lines and printer events."""

from __future__ import annotations

import contextlib

import pytest
from escpos.printer import Dummy
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from app.devices.printing.profiles import EPSON_TM_T20, GENERIC_58
from app.devices.printing.render import render_escpos
from app.services.receipt_layout import build_layout
from tests.receipts.samples import VENUE, guest_check_payload
from tests.support.escpos_decoder import EscPosDecodeError, decode
from tests.support.fuzz import fuzz_inputs

ESC, GS = b"\x1b", b"\x1d"
COMMAND_BYTES = [ESC, GS, b"\x10", b"\x04", b"\n", b"a", b"t", b"k", b"(", b"v0", b"\x00", b"\x01"]
COMMAND_BYTES += [b"\x11", b"\xff", b"V", b"!", b"p", b"d", b"E", b"L", b"\x03"]


def test_text_lines_are_aligned_as_the_printer_aligns_them() -> None:
    data = ESC + b"@" + ESC + b"a\x01Hello\n" + ESC + b"a\x02right\n" + ESC + b"a\x00left\n"
    assert decode(data, 20).lines == ("       Hello", "               right", "left")
    assert decode(data).lines == ("Hello", "right", "left")


def test_double_width_text_takes_two_cells_a_character() -> None:
    data = ESC + b"a\x01" + GS + b"!\x11BIG\n" + ESC + b"!\x00" + b"small\n"
    assert decode(data, 20).lines == ("       BIG", "       small")
    escpos_style = ESC + b"a1" + ESC + b"!0" + b"BIG\n"  # python-escpos: ESC a '1', ESC ! 0x30
    assert decode(escpos_style, 20).lines == ("       BIG",)


def test_text_decodes_with_the_code_page_in_force() -> None:
    name = "Фёдор".encode("cp866")
    data = ESC + b"t\x11" + name + b"\n" + ESC + b"t\x13" + "5 €".encode("cp858") + b"\n"
    printed = decode(data)
    assert printed.lines == ("Фёдор", "5 €")
    assert printed.code_pages == [17, 19]
    assert decode(b"\x9e\n").lines == ("₧",)  # CP437 until told otherwise


def test_cut_drawer_status_and_feed_are_reported_as_events() -> None:
    data = b"one\n" + ESC + b"p\x00\x19\xfa" + b"\x10\x04\x01" + ESC + b"d\x02" + GS + b"V\x01"
    printed = decode(data)
    assert printed.lines == ("one", "", "")
    assert [(e.kind, e.line) for e in printed.events] == [
        ("drawer", 1),
        ("status", 1),
        ("cut", 3),
    ]
    assert printed.events[0].detail == "pin 2 on 25 off 250"
    assert decode(GS + b"VA\x03").of_kind("cut")[0].detail == "full"
    assert decode(GS + b"VB\x00").of_kind("cut")[0].detail == "partial"


def test_codes_and_images_written_by_python_escpos_read_back() -> None:
    printer = Dummy()
    printer.qr("https://example.org/t/42", native=True)
    printer._hw_barcode("{BTAB-42", "CODE128", function_type="B")
    printer._hw_barcode("4006381333931", "EAN13", function_type="A")
    printer.image(Image.new("1", (64, 10), 0), impl="bitImageRaster")
    printed = decode(printer.output)
    assert printed.lines == (
        "[QR https://example.org/t/42]",
        "[CODE128 TAB-42]",
        "[EAN13 4006381333931]",
        "[image 64x10]",
    )
    assert printed.qr_codes == ["https://example.org/t/42"]
    assert printed.barcodes == ["TAB-42", "4006381333931"]


def test_a_line_longer_than_the_paper_wraps_as_on_the_printer() -> None:
    assert decode(b"abcdefghij\n", 4).lines == ("abcd", "efgh", "ij")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (ESC + b"\x7f", "unknown command ESC 0x7f"),
        (GS + b"\x01", "unknown command GS 0x01"),
        (ESC + b"t\x63", "code page not known"),
        (ESC + b"t\x10\x81", "no character in code page 16"),
        (b"bell\x07", "control byte 0x07"),
        (GS + b"v0\x00\x02\x00\x02\x00\xff", "cut short"),
        (GS + b"k\x49\x05AB", "cut short"),
        (GS + b"k\x04ABC", "no NUL"),
        (ESC + b"a\x07", "not an alignment"),
        (b"\x10\x05\x01", "unknown DLE"),
        (ESC, "cut short"),
    ],
)
def test_bytes_it_does_not_understand_are_refused_with_the_offset(
    data: bytes, message: str
) -> None:
    with pytest.raises(EscPosDecodeError, match=message):
        decode(data)


def test_a_rendered_guest_check_decodes_with_every_event() -> None:
    layout = build_layout("guest_check", guest_check_payload(), VENUE)
    printed = decode(render_escpos(layout, EPSON_TM_T20), 48)
    kinds = [e.kind for e in printed.events]
    assert kinds[0] == "init"
    assert kinds[-1] == "cut"
    assert "qr" in kinds
    assert "drawer" not in kinds


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([None, 32, 48]))
def test_any_bytes_decode_or_raise_only_the_decode_error(data: bytes, columns: int | None) -> None:
    with contextlib.suppress(EscPosDecodeError):
        decode(data, columns)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(COMMAND_BYTES), max_size=60))
def test_command_shaped_bytes_decode_or_raise_only_the_decode_error(parts: list[bytes]) -> None:
    with contextlib.suppress(EscPosDecodeError):
        decode(b"".join(parts), 32)


@pytest.mark.fuzz
def test_mutated_receipts_decode_or_raise_only_the_decode_error() -> None:
    layout = build_layout("guest_check", guest_check_payload(lines=[]), VENUE)
    seeds = [render_escpos(layout, EPSON_TM_T20), render_escpos(layout.marked("COPY"), GENERIC_58)]
    for data in fuzz_inputs(seeds, runs=1500):
        try:
            decode(data, 48)
        except EscPosDecodeError:
            continue
