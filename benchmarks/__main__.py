"""python -m benchmarks [--sizes 100000,1000000] [--data-dir benchmarks/.data] [--seed 7]

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

from benchmarks.stores import ensure_store

SEARCH_P95_MS = 25.0
LIKE_RATIO = 20.0
LOOKUP_P99_MS = 2.0


def _run_measure(store: Path, seed: int, like_samples: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.measure", str(store), "--seed", str(seed)]
    command += ["--like-samples", str(like_samples)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def _verdict(r: dict[str, Any]) -> str:
    checks = [
        ("search p95", r["search_p95"] <= SEARCH_P95_MS),
        ("20x LIKE", r["ratio"] >= LIKE_RATIO),
        ("lookup p99", r["lookup_p99"] is not None and r["lookup_p99"] <= LOOKUP_P99_MS),
    ]
    failed = [name for name, ok in checks if not ok]
    return "PASS" if not failed else "FAIL: " + ", ".join(failed)


def table(results: list[dict[str, Any]]) -> str:
    header = (
        "| customers | build s | store MB | queries | search p50 ms | search p95 ms "
        "| search p99 ms | LIKE p50 ms | LIKE p95 ms | LIKE p95 / search p95 "
        "| lookup p99 ms | peak RSS MB | peak RSS MB incl. LIKE | targets |"
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
            f"| {_verdict(r)} |"
        )
    targets = (
        f"Targets: search p95 <= {SEARCH_P95_MS:g} ms and >= {LIKE_RATIO:g}x faster than "
        f"LIKE (p95); identifier lookup p99 <= {LOOKUP_P99_MS:g} ms."
    )
    return "\n".join([*lines, "", targets])


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
    args = parser.parse_args()
    results = []
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        print(f"store of {size:,} customers...", file=sys.stderr)
        path, build_seconds = ensure_store(args.data_dir, size, args.seed)
        samples = args.like_samples or (150 if size < 500_000 else 60)
        print(f"measuring {path}...", file=sys.stderr)
        r = _run_measure(path, args.seed, samples)
        r["ratio"] = r["like_p95"] / r["search_p95"] if r["search_p95"] else float("inf")
        results.append({"size": size, "build_seconds": build_seconds, **r})
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
