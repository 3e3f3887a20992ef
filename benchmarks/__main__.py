"""python -m benchmarks [--sizes 100000,1000000] [--data-dir benchmarks/.data] [--seed 7]
[--no-devices] [--no-tabs] [--no-receipts] [--no-sync]

Builds (or reuses) a demo store per size, measures each in a fresh process and prints one
markdown table with the targets' verdicts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.receipt_report import receipts_table, run_receipt_benchmark
from benchmarks.stores import ensure_store
from benchmarks.sync_report import run_sync_benchmark, sync_table
from benchmarks.tab_report import run_tab_benchmarks, tabs_table

SEARCH_P95_MS = 25.0
LIKE_RATIO = 20.0
LOOKUP_P99_MS = 2.0
SERIAL_P99_MS = 15.0
WEDGE_P99_MS = 15.0
PCSC_P99_MS = 50.0
DEVICES = (("serial", SERIAL_P99_MS), ("wedge", WEDGE_P99_MS), ("pcsc", PCSC_P99_MS))


def _run_measure(store: Path, seed: int, like_samples: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.measure", str(store), "--seed", str(seed)]
    command += ["--like-samples", str(like_samples)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def _run_devices(store: Path, seed: int, samples: int, pcsc_samples: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.devices", str(store), "--seed", str(seed)]
    command += ["--samples", str(samples), "--pcsc-samples", str(pcsc_samples)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return {name: {"p50": None, "p99": None, "note": reason} for name, _ in DEVICES}
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def _verdict(r: dict[str, Any]) -> str:
    checks = [
        ("search p95", r["search_p95"] <= SEARCH_P95_MS),
        ("20x LIKE", r["ratio"] >= LIKE_RATIO),
        ("lookup p99", r["lookup_p99"] is not None and r["lookup_p99"] <= LOOKUP_P99_MS),
    ]
    for name, target in DEVICES:
        p99 = r.get("devices", {}).get(name, {}).get("p99")
        if p99 is not None:
            checks.append((f"{name} p99", p99 <= target))
    failed = [name for name, ok in checks if not ok]
    missing = [n for n, _ in DEVICES if r.get("devices", {}).get(n, {}).get("p99") is None]
    verdict = "PASS" if not failed else "FAIL: " + ", ".join(failed)
    return verdict + ("; not measured: " + ", ".join(missing) if missing else "")


def _device_cell(r: dict[str, Any], name: str) -> str:
    figures = r.get("devices", {}).get(name, {})
    if figures.get("p99") is None:
        return "n/a"
    return f"{figures['p50']:.1f} / {figures['p99']:.1f}"


def table(results: list[dict[str, Any]]) -> str:
    header = (
        "| customers | build s | store MB | queries | search p50 ms | search p95 ms "
        "| search p99 ms | LIKE p50 ms | LIKE p95 ms | LIKE p95 / search p95 "
        "| lookup p99 ms | peak RSS MB | peak RSS MB incl. LIKE | serial p50 / p99 ms "
        "| wedge p50 / p99 ms | PC/SC p50 / p99 ms | targets |"
    )
    lines = [header, "|" + "|".join("---" for _ in range(header.count("|") - 1)) + "|"]
    for r in results:
        build = f"{r['build_seconds']:.0f}" if r["build_seconds"] is not None else "cached"
        lookup = f"{r['lookup_p99']:.3f}" if r["lookup_p99"] is not None else "n/a"
        lines.append(
            f"| {r['size']:,} | {build} | {r['store_mb']:.0f} | {r['queries']} "
            f"| {r['search_p50']:.2f} | {r['search_p95']:.2f} | {r['search_p99']:.2f} "
            f"| {r['like_p50']:.0f} | {r['like_p95']:.0f} | {r['ratio']:.0f}x "
            f"| {lookup} | {r['peak_rss_mb']:.0f} | {r['peak_rss_with_like_mb']:.0f} "
            f"| {_device_cell(r, 'serial')} | {_device_cell(r, 'wedge')} "
            f"| {_device_cell(r, 'pcsc')} | {_verdict(r)} |"
        )
    targets = (
        f"Targets: search p95 <= {SEARCH_P95_MS:g} ms and >= {LIKE_RATIO:g}x faster than "
        f"LIKE (p95); identifier lookup p99 <= {LOOKUP_P99_MS:g} ms; last byte to "
        f"identified customer p99 <= {SERIAL_P99_MS:g} ms (serial), <= {WEDGE_P99_MS:g} ms "
        f"(keyboard wedge), <= {PCSC_P99_MS:g} ms from card insert (PC/SC, vpcd)."
    )
    notes = [
        f"{r['size']:,} {name}: {figures.get('note') or 'not measured'}"
        for r in results
        for name, _ in DEVICES
        if (figures := r.get("devices", {}).get(name, {})).get("p99") is None
    ]
    for r in results:
        pcsc = r.get("devices", {}).get("pcsc", {})
        if pcsc.get("after_present_p50") is not None:
            notes.append(
                f"{r['size']:,} pcsc: insert to present (pcscd polls vpcd every 400 ms) "
                f"{pcsc['present_p50']:.0f} / {pcsc['present_p99']:.0f} ms, present to "
                f"identified (the app) {pcsc['after_present_p50']:.1f} / "
                f"{pcsc['after_present_p99']:.1f} ms (p50 / p99)."
            )
    return "\n".join([*lines, "", targets, *notes])


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--data-dir", type=Path, default=Path("benchmarks/.data"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--like-samples",
        type=int,
        default=0,
        help="LIKE baseline queries per size (default: 150 below 500k customers, else 60)",
    )
    parser.add_argument("--device-samples", type=int, default=200)
    parser.add_argument("--pcsc-samples", type=int, default=30)
    parser.add_argument("--no-devices", action="store_true", help="skip the device latencies")
    parser.add_argument("--no-tabs", action="store_true", help="skip pricing and closing tabs")
    parser.add_argument("--no-receipts", action="store_true", help="skip receipt encoding")
    parser.add_argument(
        "--no-sync", action="store_true", help="skip sync with head office (PostgreSQL)"
    )
    args = parser.parse_args()
    results = []
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        print(f"store of {size:,} customers...", file=sys.stderr)
        path, build_seconds = ensure_store(args.data_dir, size, args.seed)
        samples = args.like_samples or (150 if size < 500_000 else 60)
        print(f"measuring {path}...", file=sys.stderr)
        r = _run_measure(path, args.seed, samples)
        r["ratio"] = r["like_p95"] / r["search_p95"] if r["search_p95"] else float("inf")
        if not args.no_devices:
            print(f"device latencies on {path}...", file=sys.stderr)
            r["devices"] = _run_devices(path, args.seed, args.device_samples, args.pcsc_samples)
        if not args.no_tabs:
            print(f"guest tabs on {path}...", file=sys.stderr)
            r["tabs"] = run_tab_benchmarks(path, args.seed)
        if not args.no_sync:
            print(f"sync with head office on {path}...", file=sys.stderr)
            r["sync"] = run_sync_benchmark(path, args.seed, args.data_dir)
        results.append({"size": size, "build_seconds": build_seconds, **r})
    print(table(results))
    if tabs := tabs_table(results):
        print(f"\n{tabs}")
    if sync := sync_table(results):
        print(f"\n{sync}")
    if not args.no_receipts:
        print("receipts...", file=sys.stderr)
        print(f"\n{receipts_table(run_receipt_benchmark())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
