"""The sync rows of ``python -m benchmarks``: run benchmarks.sync in a fresh process (head
office on PostgreSQL), judge the targets of issue 6, section 6."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

DOWNLOAD_S = 90.0
PUSH_S = 10.0
IDLE_MS = 50.0
CROWD_P99_MS = 500.0


def run_sync_benchmark(store: Path, seed: int, data_dir: Path) -> dict[str, Any]:
    """benchmarks.sync on ``store``; its progress goes to stderr as it comes, and a
    failure is kept as a note (its last line)."""
    if not os.environ.get("TABKEEPER_TEST_PG_URL"):
        return {"note": "TABKEEPER_TEST_PG_URL is not set (make bench starts PostgreSQL)"}
    command = [sys.executable, "-m", "benchmarks.sync", str(store), "--seed", str(seed)]
    command += ["--data-dir", str(data_dir)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None and process.stdout is not None
    tail: deque[str] = deque(maxlen=5)
    for line in process.stderr:
        print(line, end="", file=sys.stderr, flush=True)
        if line.strip():
            tail.append(line.strip())
    out = process.stdout.read()
    if process.wait() != 0 or not out.strip():
        return {"note": tail[-1] if tail else f"exited {process.returncode}"}
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _verdict(failed: list[str]) -> str:
    return "PASS" if not failed else "FAIL: " + ", ".join(failed)


def _download_row(size: str, d: dict[str, Any]) -> str:
    expected = d["expected"]
    download = _verdict(
        [f"> {DOWNLOAD_S:g} s"] * (d["seconds"] > DOWNLOAD_S)
        + ["counts differ"] * (not d["complete"])
    )
    return (
        f"| {size} | initial download of {expected['customers']:,} customers and "
        f"{expected['identifiers']:,} cards to an empty terminal, until search answers "
        f"| {d['seconds']:.1f} s ({d['documents']:,} documents, {d['pages']} pages) "
        f"| COPY of the same documents ({d['copy_mb']:,.0f} MB) to nowhere: "
        f"{d['copy_s']:.1f} s; {d['seconds'] / d['copy_s']:.0f}x that "
        f"| <= {DOWNLOAD_S:g} s | {download} |"
    )


def _push_row(size: str, p: dict[str, Any]) -> str:
    push = _verdict(
        [f"> {PUSH_S:g} s"] * (p["seconds"] > PUSH_S)
        + [f"{p['left']} left unacknowledged"] * bool(p["left"])
        + [f"{p['rejected']} rejected"] * bool(p["rejected"])
    )
    return (
        f"| {size} | push of {p['operations']:,} queued operations "
        f"({p['requests']} {'request' if p['requests'] == 1 else 'requests'}), until all "
        f"acknowledged | {p['seconds']:.2f} s "
        f"| the payloads by one executemany into PostgreSQL: {p['baseline_s']:.2f} s; "
        f"{p['seconds'] / p['baseline_s']:.0f}x that | <= {PUSH_S:g} s | {push} |"
    )


def _idle_row(size: str, i: dict[str, Any]) -> str:
    idle = _verdict([f"p99 > {IDLE_MS:g} ms"] * (i["p99"] > IDLE_MS))
    return (
        f"| {size} | idle sync round trip, p50 / p95 / p99 ({i['n']} cycles) "
        f"| {i['p50']:.1f} / {i['p95']:.1f} / {i['p99']:.1f} ms "
        f"| GET /v1/health: p50 {i['health_p50']:.1f} ms | p99 <= {IDLE_MS:g} ms | {idle} |"
    )


def _crowd_row(size: str, c: dict[str, Any]) -> str:
    lost = c["lost"] + c["not_applied"]
    crowd = _verdict(
        [f"p99 > {CROWD_P99_MS:g} ms"] * (c["p99"] > CROWD_P99_MS)
        + [f"{lost} operations lost"] * bool(lost)
        + ["not exactly once"] * (not lost and not c["exactly_once"])
    )
    return (
        f"| {size} | {c['terminals']} terminals pushing {c['ops_each']} operations each at "
        f"once, p50 / p99 | {c['p50']:.0f} / {c['p99']:.0f} ms (max {c['max']:.0f}); "
        f"{c['applied']:,} of {c['operations']:,} applied once "
        f"| one terminal alone: p50 {c['solo_p50']:.1f} ms "
        f"| p99 <= {CROWD_P99_MS:g} ms, nothing lost | {crowd} |"
    )


_ROWS: dict[str, tuple[str, str, Callable[[str, dict[str, Any]], str]]] = {
    "download": ("initial download to an empty terminal", f"<= {DOWNLOAD_S:g} s", _download_row),
    "push": ("push of queued operations", f"<= {PUSH_S:g} s", _push_row),
    "idle": ("idle sync round trip", f"p99 <= {IDLE_MS:g} ms", _idle_row),
    "crowd": (
        "terminals pushing at once",
        f"p99 <= {CROWD_P99_MS:g} ms, nothing lost",
        _crowd_row,
    ),
}


def _rows(size: str, r: dict[str, Any]) -> list[str]:
    rows = []
    for name, (what, target, row) in _ROWS.items():
        figures = r.get(name) or {"note": "did not run"}
        if "note" in figures:
            rows.append(f"| {size} | {what} | | | {target} | not measured: {figures['note']} |")
        else:
            rows.append(row(size, figures))
    return rows


def _notes(size: str, r: dict[str, Any]) -> list[str]:
    """Set-up, where each figure's time went, and any failures along the way."""
    parts = {name: r.get(name) or {} for name in ("load", "download", "push", "idle", "crowd")}
    load, d, p, i, c = (parts[name] for name in parts)
    notes = []
    if load:
        how = "restored from its cached pg_dump" if load["how"] == "restored" else "imported"
        notes.append(
            f"{size}: head office's database {how} in {load['seconds']:.0f} s (set-up); "
            f"load average {load['load_before']:.1f} before the measures, "
            f"{r.get('load_after', 0.0):.1f} after."
        )
    if "seconds" in d:
        notes.append(
            f"{size} download: waiting on head office {d['client_s']:.1f} s (its CPU "
            f"{d['ho_cpu_s']:.1f} s), applying pages {d['apply_s']:.1f} s, finishing "
            f"(openings, search index) {d['finish_s']:.1f} s; the terminal's CPU "
            f"{d['terminal_cpu_s']:.1f} s." + _errors(d)
        )
    if "seconds" in p:
        kinds = ", ".join(f"{n:,} {kind}" for kind, n in sorted(p["kinds"].items()))
        notes.append(
            f"{size} push: queued through the services in {p['made_s']:.0f} s ({kinds}); "
            f"{p['http_s']:.2f} s waiting on head office (its CPU {p['ho_cpu_s']:.1f} s); "
            f"with pulling back the {p['pulled_back']:,} changes it made, "
            f"{p['cycle_s']:.2f} s." + _errors(p)
        )
    if "p50" in i and i["not_idle"]:
        notes.append(f"{size} idle: {i['not_idle']} cycles had something to do.")
    if "p50" in c:
        retried = f"; {c['failed']} pushes failed and were sent again" if c["failed"] else ""
        notes.append(
            f"{size} crowd: sent within {c['sent_spread_ms']:.0f} ms of each other; fastest "
            f"answer {c['min']:.0f} ms; head office's CPU {c['ho_cpu_s']:.1f} s for "
            f"{c['terminals']} pushes{retried}."
        )
    return notes


def _errors(figures: dict[str, Any]) -> str:
    errors = figures.get("errors") or []
    if not errors:
        return ""
    return f" {len(errors)} cycles failed first and were run again: {errors[0]}"


def sync_table(results: list[dict[str, Any]]) -> str:
    """The sync rows with their verdicts ("" when sync was not run)."""
    lines = [
        "| customers | sync, head office on PostgreSQL | figure | baseline | target | verdict |",
        "|---|---|---|---|---|---|",
    ]
    notes: list[str] = []
    for r in results:
        measured = r.get("sync")
        if not measured:
            continue
        size = f"{r['size']:,}"
        if "note" in measured:
            lines.append(f"| {size} | sync | | | | not measured: {measured['note']} |")
            continue
        lines += _rows(size, measured)
        notes += _notes(size, measured)
    if len(lines) == 2:
        return ""
    return "\n".join([*lines, "", *notes])
