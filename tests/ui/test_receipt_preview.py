"""The receipt preview shows the same lines the printer prints."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.devices.printing.paper import render_text
from app.devices.printing.profiles import EPSON_TM_T20
from app.devices.printing.render import render_escpos
from app.services.receipt_layout import build_layout
from app.ui.receipt_preview import ReceiptPreview
from tests.receipts.samples import VENUE, guest_check_payload, receipt_payload
from tests.support.escpos_decoder import decode


def test_the_preview_shows_the_lines_of_the_layout_on_paper_of_its_width(qtbot: QtBot) -> None:
    preview = ReceiptPreview(columns=32)
    qtbot.addWidget(preview)
    layout = build_layout("guest_check", guest_check_payload(), VENUE)
    preview.show_layout(layout)
    preview.show()
    assert preview.lines() == render_text(layout, 32)
    assert preview.paper.toPlainText().split("\n") == render_text(layout, 32)
    assert "GUEST CHECK — not a receipt" in preview.paper.toPlainText()
    assert preview.caption.text() == "Guest check · 32 columns"
    narrow = preview.paper.width()
    preview.show_layout(layout.marked("COPY"), columns=48)
    assert preview.paper.width() > narrow
    assert preview.caption.text() == "Guest check (COPY) · 48 columns"
    assert preview.lines()[0].strip() == "*** COPY ***"


def test_the_preview_and_the_printed_bytes_carry_the_same_lines(qtbot: QtBot) -> None:
    preview = ReceiptPreview()
    qtbot.addWidget(preview)
    payload = receipt_payload(customer_name="Фёдор Достоевский", waiter_name="Wendy")
    layout = build_layout("receipt", payload, VENUE)
    preview.show_layout(layout, EPSON_TM_T20.columns)
    printed = decode(render_escpos(layout, EPSON_TM_T20), EPSON_TM_T20.columns).lines
    shown = preview.lines()
    # the printer has no U+2212 minus sign and prints a hyphen for it; all else is the same
    assert list(printed[: len(shown)]) == [line.replace("−", "-") for line in shown]
