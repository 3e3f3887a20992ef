"""The fault campaign's runner: many randomised runs, one summary table.

    python -m tests.fault.campaign --runs 500 --seed 1 --terminals 3
    python -m tests.fault.campaign --run-seed 123456 --terminals 3 --database sqlite

Runs alternate between SQLite and PostgreSQL (TABKEEPER_TEST_PG_URL) unless
``--database`` forces one. A failed run keeps its folder (stores, journals, logs, the
seed, head office's data) and prints the command that replays it. The exit status is 1
when any run lost, doubled or diverged anything, or hit an error.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from tests.fault.run import RunConfig, RunResult, run_once
from tests.support.directory import migrated_template

FAULT_COLUMNS = (
    ("drop", "drop"),
    ("delay", "delay"),
    ("cut", "cut"),
    ("duplicate", "duplicate"),
    ("kill_terminal", "kill terminal"),
    ("kill_after_commit", "kill terminal after commit"),
    ("kill_head_office", "kill head office"),
    ("reset_links", "reset links"),
    ("skewed_clock", "skewed clocks"),
)
SHOWN_FINDINGS = 12


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.fault.campaign", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1, help="the campaign's seed")
    parser.add_argument("--run-seed", type=int, help="replay one run by its own seed")
    parser.add_argument("--terminals", type=int, default=3)
    parser.add_argument("--database", choices=("sqlite", "postgresql"))
    parser.add_argument("--steps", type=int, default=40, help="workload steps per terminal")
    parser.add_argument("--pace-ms", type=float, default=80.0)
    parser.add_argument("--storm-min-s", type=float, default=3.0)
    parser.add_argument("--storm-max-s", type=float, default=45.0)
    parser.add_argument(
        "--chaos-gap-s", type=float, nargs=2, default=(0.3, 1.5), metavar=("MIN", "MAX")
    )
    parser.add_argument("--settle-timeout-s", type=float, default=60.0)
    parser.add_argument("--root", type=Path, help="where run folders go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep every run's folder")
    return parser.parse_args(argv)


def databases(forced: str | None, pg_url: str) -> list[str]:
    if forced == "postgresql" and not pg_url:
        raise SystemExit(
            "PostgreSQL runs need TABKEEPER_TEST_PG_URL (source var/test-services.env)"
        )
    if forced:
        return [forced]
    return ["sqlite", "postgresql"] if pg_url else ["sqlite"]


def plan_runs(args: argparse.Namespace, root: Path, pg_url: str) -> list[RunConfig]:
    kinds = databases(args.database, pg_url)
    common = {
        "root": root,
        "template": store_template(root),
        "terminals": args.terminals,
        "steps": args.steps,
        "pace_ms": args.pace_ms,
        "storm_min_s": args.storm_min_s,
        "storm_max_s": args.storm_max_s,
        "chaos_gap_s": tuple(args.chaos_gap_s),
        "settle_timeout_s": args.settle_timeout_s,
        "keep": args.keep,
    }
    if args.run_seed is not None:
        return [RunConfig(args.run_seed, database=kinds[0], **common)]
    rng = random.Random(args.seed)
    return [
        RunConfig(rng.randrange(10**9), database=kinds[i % len(kinds)], **common)
        for i in range(args.runs)
    ]


def store_template(root: Path) -> Path:
    """An empty store migrated once for the whole campaign; each terminal starts from a
    copy instead of running every migration in each of its first starts."""
    path = root / "template.db"
    if not path.exists():
        migrated_template(path)
    return path


def summary_table(results: Sequence[RunResult]) -> str:
    faults: Counter[str] = Counter()
    for result in results:
        faults.update(result.faults)
    header = ["runs", *(label for _, label in FAULT_COLUMNS)]
    header += ["operations", "lost", "doubled", "diverged", "errors"]
    row = [
        len(results),
        *(faults[key] for key, _ in FAULT_COLUMNS),
        sum(r.verdict.operations for r in results),
        sum(r.verdict.count("lost") for r in results),
        sum(r.verdict.count("doubled") for r in results),
        sum(r.verdict.count("diverged") for r in results),
        sum(len(r.errors) for r in results),
    ]
    cells = [f"{value:,}" for value in row]
    return "\n".join(
        [
            "| " + " | ".join(header) + " |",
            "|" + "|".join("---:" for _ in header) + "|",
            "| " + " | ".join(cells) + " |",
        ]
    )


def run_campaign(
    configs: Sequence[RunConfig], pg_url: str, results: list[RunResult] | None = None
) -> list[RunResult]:
    """Run ``configs`` one after the other; each result is appended to ``results`` as
    it comes, so an interrupted campaign still has the runs it finished."""
    results = [] if results is None else results
    for number, config in enumerate(configs, start=1):
        result = run_once(config, pg_url)
        results.append(result)
        status = "ok" if result.ok else "FAILED"
        phases = ", ".join(f"{name} {s:.0f}" for name, s in result.phases.items())
        print(
            f"[{number}/{len(configs)}] run {config.run_seed} {config.database}: {status} "
            f"({result.verdict.operations} ops, {result.seconds:.1f} s: {phases})",
            flush=True,
        )
        if not result.ok:
            print(result.report(SHOWN_FINDINGS), flush=True)
    return results


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds the run under way, which stops its processes


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    pg_url = os.environ.get("TABKEEPER_TEST_PG_URL", "")
    root = args.root or Path(tempfile.mkdtemp(prefix="tabkeeper-fault-"))
    root.mkdir(parents=True, exist_ok=True)
    configs = plan_runs(args, root, pg_url)
    print(f"fault campaign: {len(configs)} runs, seed {args.seed}, folders under {root}")
    # Also when started in the background (SIGINT ignored) or stopped by SIGTERM: the run
    # under way stops its head office and terminals before the summary is printed.
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    results: list[RunResult] = []
    interrupted = False
    try:
        run_campaign(configs, pg_url, results)
    except KeyboardInterrupt:
        interrupted = True
        print(f"\ninterrupted after {len(results)} of {len(configs)} runs", flush=True)
    print()
    print(summary_table(results))
    failed = [r for r in results if not r.ok]
    if failed:
        print(f"\n{len(failed)} of {len(results)} runs failed:")
        for result in failed:
            print(result.report(SHOWN_FINDINGS))
    if interrupted:
        return 130
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
