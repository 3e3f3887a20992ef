"""ESC/POS rendering, read back through the test decoder."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.devices.printing.paper import render_text
from app.devices.printing.profiles import (
    EPSON_TM_T20,
    GENERIC_58,
    PROFILES,
    PrinterProfile,
    profile,
)
from app.devices.printing.render import render_escpos
from app.domain.receipts import QR, Barcode, Columns, Feed, ReceiptLayout, Rule, Text
from app.services.receipt_layout import build_layout
from tests.receipts.samples import TAB_UUID, VENUE, receipt_payload
from tests.support.escpos_decoder import decode

CP437_ONLY = replace(EPSON_TM_T20, name="CP437 only", code_pages=("CP437",))


def layout_of(*blocks: Text | Columns | Rule | Feed | QR | Barcode, **kw: object) -> ReceiptLayout:
    return ReceiptLayout("receipt", tuple(blocks), **kw)  # type: ignore[arg-type]


def test_a_receipt_starts_with_init_and_ends_with_a_feed_and_a_partial_cut() -> None:
    data = render_escpos(build_layout("receipt", receipt_payload(), VENUE), EPSON_TM_T20)
    assert data.startswith(b"\x1b@")
    assert data.endswith(b"\x1bd\x06\x1dV\x01")
    printed = decode(data, 48)
    assert printed.cuts == 1
    assert [e.detail for e in printed.of_kind("cut")] == ["partial"]


def test_a_printer_without_a_cutter_feeds_paper_to_tear_instead() -> None:
    data = render_escpos(build_layout("receipt", receipt_payload(), VENUE), GENERIC_58)
    assert decode(data, 32).cuts == 0
    assert data.endswith(b"\x1bd\x04")


def test_only_an_original_receipt_paid_in_cash_opens_the_drawer() -> None:
    layout = build_layout("receipt", receipt_payload(), VENUE)
    assert decode(render_escpos(layout, EPSON_TM_T20)).drawer_kicks == 1
    assert b"\x1bp\x00" in render_escpos(layout, EPSON_TM_T20)
    for mark in ("COPY", "REPRINT"):
        assert decode(render_escpos(layout.marked(mark), EPSON_TM_T20)).drawer_kicks == 0
    assert decode(render_escpos(layout, GENERIC_58)).drawer_kicks == 0  # no drawer there
    guest = build_layout("guest_check", receipt_payload(), VENUE)
    assert decode(render_escpos(guest, EPSON_TM_T20)).drawer_kicks == 0


def test_the_qr_code_is_native_where_the_printer_can_and_an_image_elsewhere() -> None:
    layout = build_layout("receipt", receipt_payload(), VENUE)
    native = decode(render_escpos(layout, EPSON_TM_T20), 48)
    assert native.qr_codes == [TAB_UUID]
    assert f"[QR {TAB_UUID}]" in native.lines
    drawn = decode(render_escpos(layout, GENERIC_58), 32)
    assert drawn.qr_codes == []
    (image,) = drawn.of_kind("image")
    width, height = map(int, image.detail.split("x"))
    assert width == GENERIC_58.width_dots
    assert 60 <= height <= GENERIC_58.width_dots


def test_a_code128_barcode_prints_natively_and_one_too_wide_prints_as_text() -> None:
    data = render_escpos(layout_of(Barcode("TAB-42")), EPSON_TM_T20)
    assert b"\x1dkI\x08{BTAB-42" in data
    printed = decode(data, 48)
    assert printed.barcodes == ["TAB-42"]
    assert "[CODE128 TAB-42]" in printed.lines
    wide = decode(render_escpos(layout_of(Barcode("X" * 30)), GENERIC_58), 32)
    assert wide.barcodes == []
    assert "X" * 30 in [line.strip() for line in wide.lines]
    odd = decode(render_escpos(layout_of(Barcode("Тест\x1bi")), EPSON_TM_T20), 48)
    assert (odd.barcodes, odd.cuts) == ([], 1)
    assert "Тест i" in odd.text()


def test_styles_are_sent_only_when_they_change_and_bold_survives_a_size_change() -> None:
    layout = layout_of(
        Text("Big", "center", bold=True, double=True),
        Text("Also bold", bold=True),
        Columns("TOTAL", "9.99", bold=True),
        Text("plain"),
    )
    data = render_escpos(layout, EPSON_TM_T20)
    assert data.count(b"\x1b!0") == 1  # double size once
    assert data.count(b"\x1bE\x01") == 2  # bold, then again after ESC ! cleared it
    assert data.count(b"\x1ba\x01") == 1
    assert list(decode(data, 48).lines[:4]) == render_text(layout, 48)


def test_a_cyrillic_name_switches_to_cp866_and_back_only_when_needed() -> None:
    payload = receipt_payload(customer_name="Фёдор Достоевский")
    data = render_escpos(build_layout("receipt", payload, VENUE), EPSON_TM_T20)
    name = "Фёдор Достоевский".encode("cp866")
    switch = data.index(b"\x1bt\x11")
    assert data.index(name) > switch
    assert data.rfind(b"\x1bt", 0, data.index(name)) == switch  # the page in force is CP866
    assert "Фёдор Достоевский" in decode(data, 48).text()


def test_a_greek_name_without_a_greek_page_is_transliterated() -> None:
    payload = receipt_payload(customer_name="Ζωή Παπαδοπούλου")
    printed = decode(render_escpos(build_layout("receipt", payload, VENUE), GENERIC_58), 32)
    assert "Customer        Zoi Papadopoulou" in printed.lines
    on_epson = decode(render_escpos(build_layout("receipt", payload, VENUE), EPSON_TM_T20))
    assert "Ζωή Παπαδοπούλου" in on_epson.text()
    assert 14 in on_epson.code_pages  # CP737


def test_a_profile_set_to_image_prints_unencodable_lines_as_pictures() -> None:
    pictures = replace(CP437_ONLY, fallback="image")
    layout = layout_of(Text("Ada"), Columns("Customer", "Фёдор"), Text("Total"))
    printed = decode(render_escpos(layout, pictures), 48)
    assert printed.lines[:3] == ("Ada", "[image 576x24]", "Total")


def test_text_transliteration_cannot_spell_prints_as_a_picture() -> None:
    printed = decode(render_escpos(layout_of(Text("山田 太郎", "center")), CP437_ONLY), 48)
    assert printed.lines[0] == "[image 576x24]"


def test_control_characters_in_a_name_cannot_send_commands() -> None:
    layout = layout_of(Columns("Customer", "Evil\x1b@\x1dV\x00\x1bp\x00\x10\x04name"))
    printed = decode(render_escpos(layout, EPSON_TM_T20), 48)
    assert len(printed.of_kind("init")) == 1
    assert printed.cuts == 1
    assert printed.drawer_kicks == 0
    assert printed.lines[0].endswith("Evil @ V  p   name")


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_no_printed_line_is_wider_than_the_paper(name: str) -> None:
    chosen = profile(name)
    layout = build_layout("receipt", receipt_payload(waiter_name="W" * 70), VENUE)
    printed = decode(render_escpos(layout, chosen))
    for line in printed.lines:
        if not line.startswith("["):
            assert len(line) <= chosen.columns, line


def test_bytes_decode_to_the_same_lines_as_the_plain_text() -> None:
    payload = receipt_payload(customer_name="Фёдор Достоевский")
    for line in payload["lines"]:
        line["why"] = [why.replace("−", "-") for why in line["why"]]
    layout = build_layout("receipt", payload, VENUE, copy_mark="REPRINT")
    printed = decode(render_escpos(layout, EPSON_TM_T20), 48)
    expected = render_text(layout, 48)
    assert list(printed.lines[: len(expected)]) == expected
    assert not "".join(printed.lines[len(expected) :]).strip()  # only the feed before the cut


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80), st.sampled_from([GENERIC_58, CP437_ONLY, EPSON_TM_T20]))
def test_any_text_prints_without_question_mark_garbage(text: str, printer: PrinterProfile) -> None:
    printed = decode(render_escpos(layout_of(Text(text), Columns(text, "1.00")), printer))
    assert "".join(printed.lines).count("?") <= 2 * text.count("?")
