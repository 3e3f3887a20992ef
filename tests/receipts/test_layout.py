"""Building a guest check or a receipt from its print job's payload."""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text as sql

from app.devices.printing.paper import render_text
from app.domain.payments import Tender
from app.domain.receipts import QR, Columns, ReceiptLayout, Text, mask_identifier
from app.domain.tabs import IdentifiedBy
from app.services.receipt_layout import ReceiptPayloadError, build_layout
from tests.receipts.samples import TAB_UUID, VENUE, guest_check_payload, receipt_payload
from tests.support.directory import CASHIER
from tests.support.venue import WAITER, venue_on_disk


def lines_of(kind: str, payload: dict[str, Any], columns: int = 48, **kw: Any) -> list[str]:
    return render_text(build_layout(kind, payload, VENUE, **kw), columns)


def squeezed(lines: list[str]) -> list[str]:
    """Lines with runs of blanks as one space: content without the column padding."""
    return [" ".join(line.split()) for line in lines]


def test_a_guest_check_says_it_is_not_a_receipt_and_shows_what_is_due() -> None:
    layout = build_layout("guest_check", guest_check_payload(), VENUE)
    text = squeezed(render_text(layout, 48))
    assert "GUEST CHECK — not a receipt" in text
    assert "AMOUNT DUE 29.10 GBP" in text
    assert "Points to earn 78" in text
    assert not [line for line in text if line.startswith(("Cash", "Change", "Points balance"))]
    assert "RECEIPT" not in text
    assert not layout.open_drawer


def test_a_guest_check_of_a_part_paid_tab_shows_the_sum_paid_not_the_payments() -> None:
    text = squeezed(lines_of("guest_check", guest_check_payload(paid_minor=500, due_minor=2410)))
    assert "Paid so far 5.00" in text
    assert "AMOUNT DUE 24.10 GBP" in text


def test_a_receipt_shows_payments_change_points_and_balances_after() -> None:
    layout = build_layout("receipt", receipt_payload(), VENUE)
    text = squeezed(render_text(layout, 48))
    for expected in (
        "RECEIPT",
        "Points (500 points) 5.00",
        "Cash 30.00",
        "Change 5.90 GBP",
        "TOTAL 29.10 GBP",
        "Points earned 78",
        "Points redeemed 500",
        "Birthday bonus: 50 points",
        "Points balance 1,578",
        "Purse balance 12.50 GBP",
        "Closed 2026-11-23 21:47",
    ):
        assert expected in text
    assert layout.open_drawer  # paid partly in cash


def test_a_card_only_receipt_does_not_open_the_drawer() -> None:
    payment = {**receipt_payload()["payments"][1], "method": "card", "change_minor": 0}
    layout = build_layout("receipt", receipt_payload(payments=[payment]), VENUE)
    assert not layout.open_drawer


def test_lines_show_quantity_name_amount_and_each_rule_indented() -> None:
    text = lines_of("receipt", receipt_payload())
    start = text.index(next(line for line in text if line.startswith("2 × Pale ale")))
    assert text[start].endswith("10.00")
    assert text[start + 1 : start + 5] == [
        "   @ 5.00",
        "   VIP 10 %: −10 % on Pale ale (VIP)",
        "   VIP points: 1 points per 1.00 GBP on Pale ale",
        "     = 9 points (VIP)",
    ]
    assert squeezed(text[start + 5 : start + 6]) == ["Discount -1.00"]
    assert not [line for line in text if "Espresso" in line]  # voided lines are not billed


def test_a_long_name_wraps_under_itself_and_keeps_its_amount_on_the_right() -> None:
    text = lines_of("receipt", receipt_payload(), columns=32)
    at = next(i for i, line in enumerate(text) if line.startswith("3 × Sparkling"))
    assert text[at] == "3 × Sparkling water with a  6.60"
    assert text[at + 1] == "  slice of lemon"
    assert all(len(line) <= 32 for line in text if not line.startswith("[QR"))


def test_taxes_are_listed_per_rate_included_or_added() -> None:
    taxes = [
        {"base_minor": 2000, "rate": "0.20", "tax_minor": 400},
        {"base_minor": 500, "rate": "0.05", "tax_minor": 25},
    ]
    included = squeezed(lines_of("receipt", receipt_payload(taxes=taxes, tax_minor=425)))
    assert "incl. VAT 20 % on 20.00 4.00" in included
    assert "incl. VAT 5 % on 5.00 0.25" in included
    added = receipt_payload(taxes=taxes, tax_minor=425, total_minor=3160 - 250 + 425)
    text = squeezed(lines_of("receipt", added))
    assert "VAT 20 % on 20.00 4.00" in text
    assert "TOTAL 33.35 GBP" in text


def test_the_tab_limit_shows_what_is_left_or_by_how_much_it_is_over() -> None:
    assert "Left on the limit 120.90 GBP" in squeezed(lines_of("receipt", receipt_payload()))
    over = squeezed(lines_of("receipt", receipt_payload(headroom_minor=-310, limit_minor=2600)))
    assert "Over the limit by 3.10 GBP" in over
    none = squeezed(lines_of("receipt", receipt_payload(limit_minor=None, headroom_minor=None)))
    assert not [line for line in none if "limit" in line]


def test_the_customer_shows_with_a_masked_card_and_never_the_whole_number() -> None:
    payload = receipt_payload(customer_identifier="4111 1111 1111 1234")
    text = squeezed(lines_of("receipt", payload))
    assert "Customer Ada Lovelace" in text
    assert "Tier Silver" in text
    assert "Card 411111******1234" in text
    assert not [line for line in text if "4111111111111234" in line.replace(" ", "")]


def test_without_a_customer_there_is_no_customer_nor_loyalty_section() -> None:
    cash = receipt_payload()["payments"][1]
    payload = receipt_payload(customer_name=None, customer_id=None, tier_name=None, payments=[cash])
    del payload["balances_after"]
    text = squeezed(render_text(build_layout("receipt", payload, VENUE), 48))
    assert not [line for line in text if line.startswith(("Customer", "Points", "Purse"))]


def test_the_waiter_is_named_when_the_payload_carries_the_name() -> None:
    assert "Served by Wendy Waiter" in squeezed(
        lines_of("receipt", receipt_payload(waiter_name="Wendy Waiter"))
    )


def test_times_show_in_the_venue_time_zone() -> None:
    summer = receipt_payload(opened_at="2026-07-01 19:05:00+00:00")
    assert "Opened 2026-07-01 20:05" in squeezed(lines_of("receipt", summer))


def test_the_footer_ends_with_a_qr_code_of_the_tab() -> None:
    layout = build_layout("receipt", receipt_payload(), VENUE)
    assert layout.blocks[-1] == QR(TAB_UUID)
    assert Text(VENUE.footer, "center") in layout.blocks
    assert layout.blocks[0] == Text(VENUE.name, "center", bold=True, double=True)


def test_a_copy_is_marked_at_the_top_and_the_bottom() -> None:
    for mark in ("COPY", "REPRINT"):
        text = lines_of("receipt", receipt_payload(), copy_mark=mark)
        assert text[0].strip() == f"*** {mark} ***"
        assert text[-1].strip() == f"*** {mark} ***"
    layout = build_layout("receipt", receipt_payload(), VENUE)
    assert layout.marked("REPRINT").copy_mark == "REPRINT"
    assert not any(f"*** {m}" in line for line in render_text(layout, 48) for m in ("COPY",))
    with pytest.raises(ValueError, match="COPY or REPRINT"):
        ReceiptLayout("receipt", (), "DUPLICATE")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": "two beers"}, "lines"),
        ({"total_minor": "29.10"}, "total_minor"),
        ({"total_minor": True}, "total_minor"),
        ({"currency": "XYZ"}, "currency"),
        ({"number": None}, "number"),
        ({"closed_at": "yesterday"}, "closed_at"),
    ],
)
def test_a_malformed_payload_is_refused_naming_the_field(
    change: dict[str, Any], field: str
) -> None:
    with pytest.raises(ReceiptPayloadError, match=field):
        build_layout("receipt", receipt_payload(**change), VENUE)


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ReceiptPayloadError, match="kind"):
        build_layout("invoice", receipt_payload(), VENUE)


@given(st.text(alphabet="0123456789ABCDEF ", max_size=40))
def test_a_masked_identifier_shows_at_most_the_first_6_and_the_last_4(value: str) -> None:
    compact = value.replace(" ", "")
    masked = mask_identifier(value)
    assert len(masked) == len(compact)
    shown = [i for i, c in enumerate(masked) if c != "*"]
    assert len(shown) <= 10
    assert len(shown) <= len(compact) // 2 + (6 if len(compact) >= 16 else 0)
    assert all(i < 6 or i >= len(compact) - 4 for i in shown)


def test_a_payload_the_services_write_has_every_field_the_samples_use() -> None:
    with tempfile.TemporaryDirectory() as folder, venue_on_disk(Path(folder) / "s.db") as v:
        customer = v.customer(promotion_category_id=v.vip)
        tab = v.tabs.open(
            WAITER, table_id=v.table_1, guests=2, customer_id=customer,
            identified_by=IdentifiedBy.SEARCH,
        )  # fmt: skip
        tab = v.tabs.add_item(WAITER, tab.uuid, v.beer, 2)
        v.tabs.guest_check(WAITER, tab.uuid)
        v.checkout.pay_and_close(CASHIER, tab.uuid, [Tender.in_cash(5000)])
        with v.engine.connect() as connection:
            rows = connection.execute(sql("SELECT kind, payload FROM print_jobs")).all()
    payloads = {str(kind): json.loads(payload) for kind, payload in rows}
    assert set(payloads) == {"receipt", "guest_check"}
    assert set(receipt_payload()) <= set(payloads["receipt"])
    assert set(guest_check_payload()) <= set(payloads["guest_check"])
    assert set(receipt_payload()["lines"][0]) <= set(payloads["receipt"]["lines"][0])
    for kind, payload in payloads.items():
        text = squeezed(render_text(build_layout(kind, payload, replace(VENUE)), 32))
        assert "TOTAL 9.00 GBP" in text
        assert any(isinstance(b, Columns) for b in build_layout(kind, payload, VENUE).blocks)
