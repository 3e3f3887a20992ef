"""The receipt rows of ``python -m benchmarks``: layout plus encoding, in a fresh process.

A receipt does not depend on the directory's size, so it is measured once per run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

RECEIPT_P99_MS = 20.0
_PROFILES = (
    ("80", "80 mm, Epson TM-T20 (printer draws the QR)"),
    ("58", "58 mm, generic (QR as an image)"),
)


def run_receipt_benchmark() -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.receipts"], capture_output=True, text=True
    )
    if done.returncode != 0:
        return {"note": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def receipts_table(r: dict[str, Any]) -> str:
    """One row per paper width with its verdict against p99 ≤ 20 ms."""
    if "note" in r:
        return f"receipts: not measured ({r['note']})"
    lines = r.get("receipt_lines", 50)
    rows = [
        f"| receipt, {lines} lines | p50 ms | p99 ms | CPU p99 ms | max ms | bytes | runs "
        "| target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, label in _PROFILES:
        p99 = float(r[f"receipt_{key}_p99_ms"])
        verdict = "PASS" if p99 <= RECEIPT_P99_MS else f"FAIL: p99 > {RECEIPT_P99_MS:g} ms"
        rows.append(
            f"| {label} | {r[f'receipt_{key}_p50_ms']:.2f} | {p99:.2f} "
            f"| {r[f'receipt_{key}_cpu_p99_ms']:.2f} | {r[f'receipt_{key}_max_ms']:.2f} "
            f"| {r[f'receipt_{key}_bytes']:,} | {r.get('receipt_runs', 0):,} | {verdict} |"
        )
    return "\n".join(rows)
