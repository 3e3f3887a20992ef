"""The guest-tab rows of ``python -m benchmarks``: run benchmarks.tabs, judge the targets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.tabs import LINES

PRICE_P99_MS = 2.0
CLOSE_P99_MS = 20.0


def run_tab_benchmarks(store: Path, seed: int) -> dict[str, Any]:
    """Pricing and closing, each measured in a fresh process; a failure is kept as a note."""
    results: dict[str, Any] = {}
    for kind in ("pricing", "close"):
        command = [sys.executable, "-m", "benchmarks.tabs", kind, str(store), "--seed", str(seed)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            results[kind] = {"note": (done.stderr.strip().splitlines() or ["no output"])[-1]}
        else:
            results[kind] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


def _cells(figures: dict[str, float]) -> str:
    return f"{figures['p50']:.2f} | {figures['p99']:.2f} | {figures['max']:.2f} | {figures['n']:,}"


def _verdict(p99: float, target: float, complete: bool = True) -> str:
    failed = [f"p99 > {target:g} ms"] * (p99 > target) + ["rows missing"] * (not complete)
    return "PASS" if not failed else "FAIL: " + ", ".join(failed)


def tabs_table(results: list[dict[str, Any]]) -> str:
    """The guest-tab rows, with their targets' verdicts ("" when none was measured)."""
    lines = [
        "| customers | guest tabs | p50 ms | p99 ms | max ms | samples | baseline | target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        size, measured = f"{r['size']:,}", r.get("tabs")
        if not measured:
            continue
        pricing, closing = measured["pricing"], measured["close"]
        if "note" in pricing:
            lines.append(f"| {size} | price a tab | | | | | | not measured: {pricing['note']} |")
        else:
            price, base = pricing["price"], pricing["baseline"]
            ratio = price["p50"] / base["p50"] if base["p50"] else float("inf")
            lines.append(
                f"| {size} | price {pricing['lines']} lines, {pricing['levels_attached']} "
                f"levels, {pricing['rules_attached']} rules | {_cells(price)} "
                f"| summing the gross: p50 {base['p50'] * 1000:.1f} µs; pricing {ratio:,.0f}x that "
                f"| p99 <= {PRICE_P99_MS:g} ms: {_verdict(price['p99'], PRICE_P99_MS)} |"
            )
        if "note" in closing:
            lines.append(f"| {size} | close a tab | | | | | | not measured: {closing['note']} |")
        else:
            verdict = _verdict(closing["close"]["p99"], CLOSE_P99_MS, closing["complete"])
            lines.append(
                f"| {size} | pay and close a tab (ledger, visit, statistics, outbox, print "
                f"job) | {_cells(closing['close'])} | | p99 <= {CLOSE_P99_MS:g} ms: {verdict} |"
            )
            lines.append(
                f"| {size} | read and price a {LINES}-line tab of seven levels from the "
                f"store | {_cells(closing['view'])} | | (no target) |"
            )
    return "\n".join(lines) if len(lines) > 2 else ""
