"""Golden receipts: the printed bytes, decoded, must equal the text files in tests/golden/.

After an intended change of the layout, regenerate them and review the diff:

    TABKEEPER_UPDATE_GOLDENS=1 .venv/bin/python -m pytest tests/receipts/test_golden.py
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.devices.printing.profiles import EPSON_TM_T20, EPSON_TM_T88_42, GENERIC_58, PrinterProfile
from app.devices.printing.render import render_escpos
from app.services.receipt_layout import build_layout
from tests.receipts.samples import VENUE, guest_check_payload, receipt_payload
from tests.support.escpos_decoder import decode

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
UPDATE = os.environ.get("TABKEEPER_UPDATE_GOLDENS") == "1"
GREEK = "Ζωή Παπαδοπούλου"


@dataclass(frozen=True)
class Golden:
    name: str
    kind: str
    payload: dict[str, Any]
    printer: PrinterProfile
    copy_mark: str | None = None

    def printed(self) -> bytes:
        layout = build_layout(self.kind, self.payload, VENUE, self.copy_mark)
        return render_escpos(layout, self.printer)


CASES = [
    Golden("receipt_80mm", "receipt", receipt_payload(), EPSON_TM_T20),
    Golden("receipt_58mm", "receipt", receipt_payload(), GENERIC_58),
    Golden("guest_check_80mm", "guest_check", guest_check_payload(), EPSON_TM_T20),
    Golden("guest_check_58mm_copy", "guest_check", guest_check_payload(), GENERIC_58, "COPY"),
    Golden(
        "receipt_cyrillic_80mm",
        "receipt",
        receipt_payload(
            customer_name="Фёдор Михайлович Достоевский", customer_identifier="7700123456789012"
        ),
        EPSON_TM_T20,
    ),
    Golden(
        "receipt_greek_58mm_reprint",
        "receipt",
        receipt_payload(customer_name=GREEK),
        GENERIC_58,
        "REPRINT",
    ),
    Golden("receipt_greek_tm_t88_42col", "receipt", receipt_payload(customer_name=GREEK),
           EPSON_TM_T88_42),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_printed_bytes_decode_to_the_golden_text(case: Golden) -> None:
    text = decode(case.printed(), case.printer.columns).text() + "\n"  # less the feed at the end
    path = GOLDEN / f"{case.name}.txt"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden {path.name}: run with TABKEEPER_UPDATE_GOLDENS=1"
    assert text == path.read_text(encoding="utf-8")


def test_the_cyrillic_receipt_selects_cp866_for_the_name_and_nothing_else() -> None:
    (case,) = (c for c in CASES if c.name == "receipt_cyrillic_80mm")
    data = case.printed()
    printed = decode(data, 48)
    # CP437 from the start, CP866 for the name, CP858 for "×" (CP866 has none), CP1252 for
    # the footer's "—"; a page stays selected while it can print what follows
    assert printed.code_pages == [0, 17, 19, 16]
    name = "Фёдор Михайлович Достоевский".encode("cp866")
    assert data.rfind(b"\x1bt", 0, data.index(name)) == data.index(b"\x1bt\x11")
    assert "Фёдор Михайлович Достоевский" in printed.text()
    assert "?" not in printed.text()


def test_the_greek_name_uses_cp737_where_the_printer_has_it_and_latin_where_not() -> None:
    on_epson = next(c for c in CASES if c.name == "receipt_greek_tm_t88_42col").printed()
    greek = GREEK.encode("cp737")
    assert on_epson.rfind(b"\x1bt", 0, on_epson.index(greek)) == on_epson.index(b"\x1bt\x0e")
    assert GREEK in decode(on_epson).text()
    on_58 = decode(next(c for c in CASES if c.name == "receipt_greek_58mm_reprint").printed())
    assert 14 not in on_58.code_pages
    assert "Zoi Papadopoulou" in on_58.text()
