"""Sync with head office at scale, head office on PostgreSQL (docs/SYNC.md).

``python -m benchmarks.sync STORE [--seed S] [--push-ops N] [--idle-cycles N]
[--terminals N] [--crowd-ops N] [--data-dir D]`` needs ``TABKEEPER_TEST_PG_URL`` (a
throwaway PostgreSQL cluster, as ``make bench`` starts one). It makes a database of its
own there, loads it with STORE's documents (benchmarks.sync_headoffice), starts a real
head office (``python -m headoffice serve``) on loopback and measures, in this order:

1. initial download: an empty terminal store, just enrolled, takes the whole snapshot
   through the real sync engine and client; from its first request until the snapshot
   is finished and a directory search answers. Baseline: ``COPY`` of the same documents
   out of PostgreSQL to nowhere.
2. push: N operations queued through the terminal's services (points adjustments,
   top-ups, directory edits, notes), then a sync cycle; from its start until head office
   has acknowledged the last one. Baseline: the same payloads inserted into a
   PostgreSQL table with one ``executemany``.
3. idle round trip: sync cycles of that up-to-date terminal with nothing to push or
   pull. Baseline: ``GET /v1/health`` over the same connection.
4. 200 terminals pushing at once (benchmarks.sync_crowd).

A cycle that fails (a request that timed out, say) is followed at once by another, as
the worker would retry it (without its backoff); the failures are reported. It prints
one JSON object (seconds and milliseconds) as its last line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from app.sync.engine import CycleResult
from benchmarks.measure import percentile
from benchmarks.sync_crowd import measure_crowd
from benchmarks.sync_headoffice import (
    database_engine,
    issue_codes,
    libpq_url,
    load_head_office,
    own_database,
)
from benchmarks.sync_terminal import (
    BenchTerminal,
    customer_ids,
    make_operations,
    open_bench_terminal,
    search_ready,
    store_counts,
)
from tests.support.headoffice_server import HeadOfficeProcess

PUSH_MIX = (("points", 5), ("top_up", 2), ("edit", 2), ("note", 1))  # parts of ten
CUSTOMER, IDENTIFIER = 6, 7  # headoffice.schema.ENTITY_RANK


def _log(message: str) -> None:
    print(f"  sync: {message}", file=sys.stderr, flush=True)


def _spread(values_ms: list[float]) -> dict[str, float]:
    return {
        "p50": statistics.median(values_ms),
        "p95": percentile(values_ms, 95),
        "p99": percentile(values_ms, 99),
        "max": max(values_ms),
        "n": len(values_ms),
    }


@dataclass
class Cycles:
    """The sync cycles it took to finish something, as the worker would run them (again
    after a failure; here at once, without its backoff), and what they did."""

    results: list[CycleResult] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [str(r.error) for r in self.results if r.error is not None]

    def total(self, name: str) -> int:
        return sum(int(getattr(r, name)) for r in self.results)


def cycles_until(terminal: BenchTerminal, done: Callable[[], bool], limit: int) -> Cycles:
    """Run cycles until ``done()``; RuntimeError naming the errors after ``limit``."""
    cycles = Cycles()
    while len(cycles.results) < limit:
        cycles.results.append(terminal.engine.run_cycle())
        if cycles.results[-1].ok and done():
            return cycles
    raise RuntimeError(f"not done after {limit} sync cycles: " + "; ".join(cycles.errors[-3:]))


# 1. Initial download ----------------------------------------------------------------


def head_office_counts(url: str) -> dict[str, int]:
    engine = database_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT rank, count(*) FROM documents WHERE NOT deleted "
                    "AND rank IN (:c, :i) GROUP BY rank"
                ),
                {"c": CUSTOMER, "i": IDENTIFIER},
            ).all()
    finally:
        engine.dispose()
    found = {int(rank): int(n) for rank, n in rows}
    return {"customers": found.get(CUSTOMER, 0), "identifiers": found.get(IDENTIFIER, 0)}


def copy_baseline(url: str) -> tuple[float, int]:
    """Seconds to COPY every live document a snapshot sends, in snapshot order, out of
    PostgreSQL to nowhere; and the bytes it read."""
    import psycopg

    started = time.perf_counter()
    read = 0
    with psycopg.connect(libpq_url(url)) as conn, conn.cursor() as cursor:
        query = (
            "COPY (SELECT rank, uuid, data FROM documents WHERE NOT deleted AND rank < 8 "
            "ORDER BY rank, uuid) TO STDOUT"
        )
        with cursor.copy(query) as copy:
            for block in copy:
                read += len(block)
    return time.perf_counter() - started, read


def probe_name(store: Path) -> str:
    """A last name from the demo store, to search for once the snapshot is in."""
    import sqlite3

    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as con:
        row = con.execute("SELECT last_name FROM customers WHERE last_name != '' LIMIT 1")
        return str(row.fetchone()[0])


def measure_download(terminal: BenchTerminal, url: str, store: Path) -> dict[str, Any]:
    name = probe_name(store)
    expected = head_office_counts(url)
    _log(f"initial download of {expected['customers']:,} customers...")
    cpu = terminal.cpu()
    started = time.perf_counter()
    cycles = cycles_until(terminal, lambda: bool(terminal.sync_store.state().cursor), 10)
    found = search_ready(terminal, name)
    seconds = time.perf_counter() - started
    ho_cpu, terminal_cpu = (b - a for a, b in zip(cpu, terminal.cpu(), strict=True))
    counts = store_counts(terminal)
    baseline, read = copy_baseline(url)
    return {
        "seconds": seconds,
        "pages": cycles.total("snapshot_pages"),
        "documents": cycles.total("pulled"),
        "errors": cycles.errors,
        "search_rows": found,
        "expected": expected,
        "counts": counts,
        "complete": counts["customers"] == expected["customers"]
        and counts["identifiers"] == expected["identifiers"]
        and counts["indexed"] == expected["customers"]
        and found > 0,
        "client_s": terminal.client.seconds["snapshot"],
        "apply_s": terminal.store.seconds["apply_snapshot_page"],
        "finish_s": terminal.store.seconds["finish_snapshot"],
        "ho_cpu_s": ho_cpu,
        "terminal_cpu_s": terminal_cpu,
        "copy_s": baseline,
        "copy_mb": read / 1e6,
    }


# 2. Push --------------------------------------------------------------------------------


def measure_push(terminal: BenchTerminal, url: str, count: int) -> dict[str, Any]:
    customers = customer_ids(terminal)
    mix = [(kind, count * parts // 10) for kind, parts in PUSH_MIX]
    mix[0] = (mix[0][0], mix[0][1] + count - sum(n for _, n in mix))
    _log(f"queueing {count:,} operations through the services...")
    made = make_operations(terminal, customers, mix)
    pending = terminal.sync_store.counts().pending
    payloads = _outbox_payloads(terminal)
    terminal.store.reset()
    terminal.client.reset()
    _log(f"pushing {pending:,} operations...")
    cpu = terminal.cpu()
    started = time.perf_counter()
    cycles = cycles_until(terminal, lambda: terminal.sync_store.counts().pending == 0, 20)
    ended = time.perf_counter()
    ho_cpu, terminal_cpu = (b - a for a, b in zip(cpu, terminal.cpu(), strict=True))
    acknowledged = terminal.store.marks.get("acknowledge", ended)
    left = terminal.sync_store.counts()
    return {
        "operations": pending,
        "kinds": dict(made.by_kind),
        "made_s": made.seconds,
        "seconds": acknowledged - started,
        "cycle_s": ended - started,
        "errors": cycles.errors,
        "pulled_back": cycles.total("pulled"),
        "applied": cycles.total("applied"),
        "duplicates": cycles.total("duplicates"),
        "rejected": cycles.total("rejected"),
        "left": left.pending,
        "requests": terminal.client.calls["push"],
        "http_s": terminal.client.seconds["push"],
        "ho_cpu_s": ho_cpu,
        "terminal_cpu_s": terminal_cpu,
        "baseline_s": executemany_baseline(url, payloads),
    }


def _outbox_payloads(terminal: BenchTerminal) -> list[tuple[str, str, str]]:
    with terminal.headless.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT uuid, kind, payload FROM outbox WHERE status = 'pending' ORDER BY id"
        )
        return [(str(u), str(k), str(p)) for u, k, p in rows]


def executemany_baseline(url: str, payloads: list[tuple[str, str, str]]) -> float:
    """Seconds to insert the operations' ids, kinds and payloads into a scratch table
    with one executemany and commit: storing them, with no HTTP and no applying."""
    import psycopg

    with psycopg.connect(libpq_url(url)) as conn:
        conn.execute(
            "CREATE TEMPORARY TABLE bench_ops (id text PRIMARY KEY, kind text, payload text)"
        )
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cursor:
            cursor.executemany("INSERT INTO bench_ops VALUES (%s, %s, %s)", payloads)
        conn.commit()
        return time.perf_counter() - started


# 3. Idle round trip ---------------------------------------------------------------------


def measure_idle(terminal: BenchTerminal, cycles: int) -> dict[str, Any]:
    _log(f"{cycles} idle sync cycles...")
    for _ in range(10):  # catch up, warm the connection
        terminal.engine.run_cycle()
    times: list[float] = []
    busy = 0
    for _ in range(cycles):
        started = time.perf_counter()
        result = terminal.engine.run_cycle()
        times.append((time.perf_counter() - started) * 1000)
        if not result.ok:
            raise RuntimeError(f"an idle cycle failed: {result.error}")
        busy += bool(result.pulled or result.acknowledged)
    client = terminal.client.inner  # the real HeadOfficeClient, same connection pool
    health: list[float] = []
    for _ in range(cycles):
        started = time.perf_counter()
        client.health()
        health.append((time.perf_counter() - started) * 1000)
    return {**_spread(times), "not_idle": busy, "health_p50": statistics.median(health)}


# The run --------------------------------------------------------------------------------


def _noted(measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The measure's figures, or a note saying why there are none (the next ones run)."""
    try:
        return measure()
    except Exception as error:  # any failure: reported in the table, not a traceback
        traceback.print_exc()
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return {"note": f"{type(error).__name__}: {first}"[:300]}


def run(args: argparse.Namespace) -> dict[str, Any]:
    raw = os.environ.get("TABKEEPER_TEST_PG_URL")
    if not raw:
        raise SystemExit("TABKEEPER_TEST_PG_URL is not set: no PostgreSQL for head office")
    results: dict[str, Any] = {}
    with own_database(raw) as url, tempfile.TemporaryDirectory(prefix="tk-sync-") as work:
        folder = Path(work)
        _log(f"loading head office with {args.store.name}...")
        loaded = load_head_office(url, args.store, args.data_dir, any_dump=args.any_dump)
        results["load"] = {
            "how": loaded.how,
            "seconds": loaded.seconds,
            "load_before": os.getloadavg()[0],  # the machine is shared: how busy it was
        }
        server = HeadOfficeProcess(url, folder / "headoffice", startup_timeout=120)
        server.start()
        try:
            (code,) = issue_codes(url, ["Benchmark till"])
            terminal = open_bench_terminal(
                folder / "terminal", server.base_url, code, "Benchmark till", args.seed
            )
            terminal.head_office_pid = server.pid
            measures: list[tuple[str, Callable[[], dict[str, Any]]]] = [
                ("download", lambda: measure_download(terminal, url, args.store)),
                ("push", lambda: measure_push(terminal, url, args.push_ops)),
                ("idle", lambda: measure_idle(terminal, args.idle_cycles)),
                (
                    "crowd",
                    lambda: measure_crowd(
                        terminal, server.base_url, url, args.terminals, args.crowd_ops
                    ),
                ),
            ]
            try:
                for name, measure in measures:
                    results[name] = _noted(measure)
            finally:
                terminal.close()
        finally:
            server.stop()
    results["load_after"] = os.getloadavg()[0]
    return results


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sync")
    parser.add_argument("store", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--push-ops", type=int, default=10_000)
    parser.add_argument("--idle-cycles", type=int, default=200)
    parser.add_argument("--terminals", type=int, default=200)
    parser.add_argument("--crowd-ops", type=int, default=10)
    parser.add_argument("--data-dir", type=Path, default=Path("benchmarks/.data"))
    parser.add_argument(
        "--any-dump",
        action="store_true",
        help="restore the newest cached head-office dump of STORE even if the import's code "
        "changed since (for working on this benchmark)",
    )
    print(json.dumps(run(parser.parse_args())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
