"""Layout plus ESC/POS encoding of a 50-line receipt, as the print worker does it per job.

``python -m benchmarks.receipts [--runs N] [--lines L]`` prints one JSON object: p50, p99
and max in milliseconds of ``build_layout`` + ``render_escpos`` from a receipt payload
(the JSON a closed tab leaves in ``print_jobs``), on an 80 mm Epson TM-T20 profile (native
QR) and on a 58 mm generic profile (the QR drawn as an image). Run it in its own process:
imports and the first run's caches are not counted. ``*_cpu_p99_ms`` is the same run's
thread CPU time, which says how much of a slow wall-clock figure was a busy machine.
Target: p99 ≤ 20 ms on the 80 mm profile.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from app.devices.printing.profiles import EPSON_TM_T20, GENERIC_58, PrinterProfile
from app.devices.printing.render import render_escpos
from app.services.receipt_layout import VenueInfo, build_layout
from benchmarks.measure import percentile

VENUE = VenueInfo(
    name="The Crown & Anchor",
    address_lines=("12 Harbour Street", "Bristol BS1 4AB"),
    footer="Thank you — see you soon!",
    tax_id="GB 123 4567 89",
    timezone="Europe/London",
)
WARM_UP = 50


def payload(lines: int, run: int) -> dict[str, Any]:
    """A closed tab of ``lines`` lines, each with a discount and the rule that gave it."""
    items = []
    for n in range(lines):
        quantity, unit = 1 + n % 3, 350 + 25 * (n % 7)
        items.append(
            {
                "uuid": f"01a20867-9b42-72d7-b997-{n:012d}",
                "item_id": n,
                "name": f"House special number {n}" + (" with extra toppings" * (n % 4 == 0)),
                "quantity": quantity,
                "unit_price_minor": unit,
                "gross_minor": quantity * unit,
                "discount_minor": quantity * unit // 10,
                "net_minor": quantity * unit - quantity * unit // 10,
                "points": quantity * unit // 100,
                "order_no": 1 + n // 10,
                "voided": False,
                "void_reason": "",
                "why": [f"Happy hour 10 %: −10 % on item {n} (Happy hour)"],
            }
        )
    gross = sum(i["gross_minor"] for i in items)
    discount = sum(i["discount_minor"] for i in items)
    total = gross - discount
    tax = total // 6
    return {
        "uuid": f"01a20867-9aad-7043-84fb-{run:012d}",
        "number": 1 + run,
        "status": "closed",
        "terminal": "Till 1",
        "waiter_uuid": "00000000-0000-7000-8000-000000000003",
        "division_id": 1,
        "division_name": "Bar",
        "table_id": 7,
        "table_number": "7",
        "guests": 4,
        "customer_id": 1,
        "customer_name": "Фёдор Достоевский",
        "tier_name": "Gold",
        "opened_at": "2026-11-23 19:05:00+00:00",
        "closed_at": "2026-11-23 21:47:00+00:00",
        "lines": items,
        "gross_minor": gross,
        "discount_minor": discount,
        "tax_minor": tax,
        "total_minor": total,
        "taxes": [{"rate": "0.20", "base_minor": total - tax, "tax_minor": tax}],
        "paid_minor": total,
        "due_minor": 0,
        "change_minor": 1000 - total % 1000,
        "payments": [
            {
                "uuid": "01a20867-9b9f-70ea-b5cf-e423e4b8e06f",
                "method": "cash",
                "amount_minor": total,
                "tendered_minor": total + 1000 - total % 1000,
                "change_minor": 1000 - total % 1000,
                "points": 0,
                "at": "2026-11-23 21:47:00+00:00",
            }
        ],
        "points_to_earn": total // 100,
        "bonus_why": [],
        "limit_minor": 50000,
        "headroom_minor": 50000 - total,
        "limit_override_by": None,
        "currency": "GBP",
        "balances_after": {"points": 1234, "purse_minor": 0},
        "customer_uuid": "01a20867-97e4-73a4-a5cc-9cfa4ee2ce1b",
    }


def measure_profile(profile: PrinterProfile, lines: int, runs: int) -> dict[str, float]:
    jobs = [payload(lines, run) for run in range(runs + WARM_UP)]
    wall: list[float] = []
    cpu: list[float] = []
    size = 0
    for index, job in enumerate(jobs):
        started, started_cpu = time.perf_counter(), time.thread_time()
        data = render_escpos(build_layout("receipt", job, VENUE), profile)
        elapsed, elapsed_cpu = time.perf_counter() - started, time.thread_time() - started_cpu
        if index >= WARM_UP:
            wall.append(elapsed * 1000)
            cpu.append(elapsed_cpu * 1000)
            size = len(data)
    return {
        "p50_ms": statistics.median(wall),
        "p99_ms": percentile(wall, 99),
        "max_ms": max(wall),
        "cpu_p99_ms": percentile(cpu, 99),
        "bytes": size,
    }


def measure(lines: int, runs: int) -> dict[str, float | int]:
    result: dict[str, float | int] = {"receipt_lines": lines, "receipt_runs": runs}
    for prefix, profile in (("receipt_80", EPSON_TM_T20), ("receipt_58", GENERIC_58)):
        for key, value in measure_profile(profile, lines, runs).items():
            result[f"{prefix}_{key}"] = value
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.receipts")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=50)
    args = parser.parse_args()
    print(json.dumps(measure(args.lines, max(1, args.runs))))


if __name__ == "__main__":
    main()
