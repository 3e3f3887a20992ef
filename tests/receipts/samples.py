"""Print job payloads shaped like checkout's (``asdict(TabView)`` as JSON), with fixed values.

``test_layout.py`` checks that a payload the real services write has these keys, so the
samples cannot drift from the contract unnoticed.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from app.domain.money import tax_from_gross
from app.services.receipt_layout import VenueInfo

VENUE = VenueInfo(
    name="The Crown & Anchor",
    address_lines=("12 Harbour Street", "Bristol BS1 4AB"),
    footer="Thank you — see you soon!",
    tax_id="GB 123 4567 89",
    timezone="Europe/London",
)

TAB_UUID = "01a20867-9aad-7043-84fb-7b486135ba39"


def _line(name: str, quantity: int, unit: int, discount: int, why: list[str], **extra: Any) -> Any:
    gross = quantity * unit
    return {
        "discount_minor": discount,
        "gross_minor": gross,
        "item_id": 1,
        "name": name,
        "net_minor": gross - discount,
        "order_no": 1,
        "points": 0,
        "quantity": quantity,
        "unit_price_minor": unit,
        "uuid": f"01a20867-9b42-72d7-b997-{len(name):012d}",
        "void_reason": "",
        "voided": False,
        "why": why,
        **extra,
    }


_RECEIPT: dict[str, Any] = {
    "balances_after": {"points": 1578, "purse_minor": 1250},
    "bonus_why": ["Birthday bonus: 50 points"],
    "change_minor": 590,
    "closed_at": "2026-11-23 21:47:00+00:00",
    "currency": "GBP",
    "customer_id": 1,
    "customer_name": "Ada Lovelace",
    "customer_uuid": "01a20867-97e4-73a4-a5cc-9cfa4ee2ce1b",
    "discount_minor": 250,
    "division_id": 1,
    "division_name": "Bar",
    "due_minor": 0,
    "gross_minor": 3160,
    "guests": 2,
    "headroom_minor": 12090,
    "limit_minor": 15000,
    "limit_override_by": None,
    "lines": [
        _line(
            "Pale ale",
            2,
            500,
            100,
            [
                "VIP 10 %: −10 % on Pale ale (VIP)",
                "VIP points: 1 points per 1.00 GBP on Pale ale = 9 points (VIP)",
            ],
        ),
        _line("Burger", 1, 1500, 150, ["VIP 10 %: −10 % on Burger (VIP)"]),
        _line("Espresso", 1, 250, 0, [], voided=True, void_reason="wrong table"),
        _line("Sparkling water with a slice of lemon", 3, 220, 0, []),
    ],
    "number": 42,
    "opened_at": "2026-11-23 19:05:00+00:00",
    "paid_minor": 2910,
    "payments": [
        {
            "amount_minor": 500,
            "at": "2026-11-23 21:46:00+00:00",
            "change_minor": 0,
            "method": "points",
            "points": 500,
            "tendered_minor": 500,
            "uuid": "01a20867-9b9f-70ea-b5cf-e423e4b8e06e",
        },
        {
            "amount_minor": 2410,
            "at": "2026-11-23 21:47:00+00:00",
            "change_minor": 590,
            "method": "cash",
            "points": 0,
            "tendered_minor": 3000,
            "uuid": "01a20867-9b9f-70ea-b5cf-e423e4b8e06f",
        },
    ],
    "points_to_earn": 78,
    "status": "closed",
    "table_id": 1,
    "table_number": "7",
    "tax_minor": 485,
    "taxes": [{"base_minor": 2425, "rate": "0.20", "tax_minor": 485}],
    "terminal": "Till 1",
    "tier_name": "Silver",
    "total_minor": 2910,
    "uuid": TAB_UUID,
    "waiter_uuid": "00000000-0000-7000-8000-000000000003",
}


def receipt_payload(**changes: Any) -> dict[str, Any]:
    """A closed tab: four lines (one voided), points and cash, a birthday bonus, a limit."""
    payload = copy.deepcopy(_RECEIPT)
    payload.update(changes)
    return payload


def guest_check_payload(**changes: Any) -> dict[str, Any]:
    """The same tab while still open: nothing paid, everything due."""
    payload = receipt_payload(
        change_minor=0,
        closed_at=None,
        due_minor=2910,
        paid_minor=0,
        payments=[],
        status="open",
    )
    del payload["balances_after"], payload["customer_uuid"]
    payload.update(changes)
    return payload


def long_payload(lines: int) -> dict[str, Any]:
    """A receipt of ``lines`` order lines, each with a discount and its rule."""
    items = [
        _line(f"House special number {n}", 1 + n % 3, 450, 45, [f"Happy hour: −10 % on item {n}"])
        for n in range(lines)
    ]
    gross = sum(item["gross_minor"] for item in items)
    discount = sum(item["discount_minor"] for item in items)
    total = gross - discount
    tax = tax_from_gross(total, Decimal("0.20"))
    return receipt_payload(
        tax_minor=tax,
        taxes=[{"base_minor": total - tax, "rate": "0.20", "tax_minor": tax}],
        lines=items,
        gross_minor=gross,
        discount_minor=discount,
        total_minor=total,
        paid_minor=total,
        payments=[
            {
                "amount_minor": total,
                "at": "2026-11-23 21:47:00+00:00",
                "change_minor": 0,
                "method": "card",
                "points": 0,
                "tendered_minor": total,
                "uuid": "01a20867-9b9f-70ea-b5cf-e423e4b8e06f",
            }
        ],
        change_minor=0,
    )
