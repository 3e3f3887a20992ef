"""Many terminals pushing at the same moment, then a check that head office applied every
operation exactly once.

Each simulated terminal is enrolled with a code of its own (its own token) and pushes one
small batch: ledger entries for existing customers and a directory edit, made through a
real terminal's services (``benchmarks.sync_terminal.make_operations``) so they are the
payloads a till sends, then shared out ``ops`` to a terminal. The pushes come from a few
worker processes (``python -m benchmarks.sync_crowd worker``), many threads each, one
httpx client per terminal with its connection opened beforehand; every thread waits for
one agreed instant, then posts. Latency is per push, from sending to the whole answer.

Exactly once is checked at head office's database: every operation in ``applied_ops``
once and ``applied``, every ledger entry once in the ledger, every balance moved by the
sum of its entries, every edit in its customer's document. A push that failed (an error
answer, a timeout) is sent again afterwards, as the terminal's worker would; how many
had to be is reported.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from typing import Any

import httpx
from sqlalchemy import text

from app.sync.client import HeadOfficeClient
from app.sync.credentials import bearer_token
from benchmarks.measure import percentile
from benchmarks.sync_headoffice import database_engine, issue_codes
from benchmarks.sync_terminal import (
    BenchTerminal,
    cpu_seconds,
    customer_ids,
    make_operations,
    operations_since,
    outbox_high,
)

WORKERS = 4
SOLO_PUSHES = 20  # pushes by one terminal alone, one after another: the baseline
PUSH_TIMEOUT_S = 60.0


def _log(message: str) -> None:
    print(f"  sync: {message}", file=sys.stderr, flush=True)


def measure_crowd(
    terminal: BenchTerminal, base_url: str, url: str, count: int, ops_each: int
) -> dict[str, Any]:
    """``count`` terminals push ``ops_each`` operations each at once; figures and checks."""
    _log(f"enrolling {count} terminals...")
    tokens = _enrol(base_url, url, count)
    customers = customer_ids(terminal)
    edited: set[int] = set()
    solos = min(SOLO_PUSHES, count)
    pushes = count + solos
    entries = pushes * (ops_each - 1)
    _log(f"queueing {pushes * ops_each:,} operations through the services...")
    high = outbox_high(terminal)
    made = make_operations(
        terminal,
        customers,
        [("points", entries // 2), ("top_up", entries - entries // 2), ("edit", pushes)],
        distinct_edits=edited,
    )
    ops = operations_since(terminal, high)
    batches = _batches(ops, ops_each, pushes)
    solo, crowd = batches[:solos], batches[solos:]
    solo_ms = _solo(base_url, tokens[:solos], solo)
    crowd_ops = [op for batch in crowd for op in batch]
    before = _balances(url, crowd_ops)
    _log(f"{count} terminals pushing {ops_each} operations each at once...")
    cpu = cpu_seconds(terminal.head_office_pid)
    answers = _burst(base_url, tokens, crowd)
    ho_cpu = cpu_seconds(terminal.head_office_pid) - cpu
    retried = _retry_failures(base_url, tokens, crowd, answers)
    latencies = [a["ms"] for a in answers]
    checks = verify_once(url, crowd_ops, before)
    return {
        "terminals": count,
        "ops_each": ops_each,
        "operations": len(crowd_ops),
        "made_s": made.seconds,
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 99),
        "max": max(latencies),
        "min": min(latencies),
        "sent_spread_ms": (max(a["sent"] for a in answers) - min(a["sent"] for a in answers))
        * 1000,
        "ho_cpu_s": ho_cpu,
        "failed": sum(1 for a in answers if a["status"] != 200),
        "retried": retried,
        "solo_p50": statistics.median(solo_ms),
        **checks,
    }


def _enrol(base_url: str, url: str, count: int) -> list[str]:
    """``count`` terminals enrolled as a till enrols (a code each, POST /v1/enrol)."""
    names = [f"Crowd till {n + 1}" for n in range(count)]
    with HeadOfficeClient(base_url) as client:
        answers = [
            client.enrol(code, name)
            for code, name in zip(issue_codes(url, names), names, strict=True)
        ]
    return [bearer_token(a.terminal_uuid, a.token) for a in answers]


def _batches(ops: list[dict[str, Any]], size: int, count: int) -> list[list[dict[str, Any]]]:
    """``count`` batches of ``size``, each with one directory edit and the rest ledger."""
    edits = [op for op in ops if op["kind"] == "customer.upsert"]
    ledger = [op for op in ops if op["kind"] == "ledger.entry"]
    if len(edits) < count or len(ledger) < count * (size - 1):
        raise RuntimeError(f"made {len(edits)} edits and {len(ledger)} entries; too few")
    return [[edits[n], *ledger[n * (size - 1) : (n + 1) * (size - 1)]] for n in range(count)]


def _solo(base_url: str, tokens: list[str], batches: list[list[dict[str, Any]]]) -> list[float]:
    times = []
    for token, batch in zip(tokens, batches, strict=True):
        with httpx.Client(base_url=base_url, headers=_auth(token), timeout=PUSH_TIMEOUT_S) as http:
            http.get("/v1/health")
            started = time.perf_counter()
            answer = http.post("/v1/push", json={"ops": batch})
            times.append((time.perf_counter() - started) * 1000)
            answer.raise_for_status()
    return times


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _burst(
    base_url: str, tokens: list[str], batches: list[list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Start the workers, wait until every connection is open, give them one instant."""
    jobs = [[n, token, batch] for n, (token, batch) in enumerate(zip(tokens, batches, strict=True))]
    shares = [jobs[n::WORKERS] for n in range(WORKERS)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.sync_crowd", "worker", base_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for share in shares
        if share
    ]
    try:
        for worker, share in zip(workers, shares, strict=False):
            assert worker.stdin is not None
            worker.stdin.write(json.dumps(share) + "\n")
            worker.stdin.flush()
        for worker in workers:
            assert worker.stdout is not None
            if worker.stdout.readline().strip() != "ready":
                raise RuntimeError("a push worker did not get ready")
        at = time.time() + 3.0  # time for every thread to open its connection
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write(f"{at}\n")
            worker.stdin.close()
        answers: list[dict[str, Any]] = []
        for worker in workers:
            assert worker.stdout is not None
            out = worker.stdout.read()
            worker.wait(timeout=PUSH_TIMEOUT_S)
            answers += json.loads(out.strip().splitlines()[-1])
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    return answers


def _retry_failures(
    base_url: str,
    tokens: list[str],
    batches: list[list[dict[str, Any]]],
    answers: list[dict[str, Any]],
) -> int:
    """Send again, one at a time, every batch whose push failed; how many were."""
    failed = [a["index"] for a in answers if a["status"] != 200]
    by_index = dict(enumerate(zip(tokens, batches, strict=True)))
    for index in failed:
        token, batch = by_index[index]
        for _attempt in range(5):
            with httpx.Client(
                base_url=base_url, headers=_auth(token), timeout=PUSH_TIMEOUT_S
            ) as http:
                if http.post("/v1/push", json={"ops": batch}).status_code == 200:
                    break
            time.sleep(1.0)
    return len(failed)


# Exactly once ---------------------------------------------------------------------------


def _entries(ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [op["payload"] for op in ops if op["kind"] == "ledger.entry"]


def _balances(url: str, ops: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    customers = sorted({entry["customer_uuid"] for entry in _entries(ops)})
    engine = database_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT customer_uuid, account, amount FROM balances "
                    "WHERE customer_uuid = ANY(:c)"
                ),
                {"c": customers},
            ).all()
    finally:
        engine.dispose()
    return {(str(c), str(a)): int(amount) for c, a, amount in rows}


def verify_once(
    url: str, ops: list[dict[str, Any]], before: dict[tuple[str, str], int]
) -> dict[str, Any]:
    """Whether head office holds every operation exactly once (see the module's doc)."""
    ids = [op["id"] for op in ops]
    entries = _entries(ops)
    edits = {
        op["payload"]["customer_uuid"]: op["payload"]["fields"]
        for op in ops
        if op["kind"] == "customer.upsert"
    }
    engine = database_engine(url)
    try:
        with engine.connect() as conn:
            statuses: dict[str, int] = {
                str(status): int(n)
                for status, n in conn.execute(
                    text(
                        "SELECT status, count(*) FROM applied_ops WHERE op_id = ANY(:i) "
                        "GROUP BY status"
                    ),
                    {"i": ids},
                )
            }
            in_ledger = conn.execute(
                text("SELECT count(*), count(DISTINCT uuid) FROM ledger WHERE op_id = ANY(:i)"),
                {"i": ids},
            ).one()
            documents: dict[str, str] = {
                str(uuid): str(data)
                for uuid, data in conn.execute(
                    text("SELECT uuid, data FROM documents WHERE rank = 6 AND uuid = ANY(:u)"),
                    {"u": list(edits)},
                )
            }
    finally:
        engine.dispose()
    after = _balances(url, ops)
    moved: dict[tuple[str, str], int] = defaultdict(int)
    for entry in entries:
        moved[(entry["customer_uuid"], entry["account"])] += int(entry["amount"])
    wrong_balances = len(
        [key for key, amount in moved.items() if after.get(key, 0) - before.get(key, 0) != amount]
    )
    missing_edits = len(
        [
            uuid
            for uuid, fields in edits.items()
            if any(json.loads(documents.get(uuid, "{}")).get(k) != v for k, v in fields.items())
        ]
    )
    applied = int(statuses.get("applied", 0))
    lost = len(ids) - sum(statuses.values())
    return {
        "applied": applied,
        "lost": lost,
        "not_applied": len(ids) - applied - lost,
        "ledger_rows": int(in_ledger[0]),
        "ledger_distinct": int(in_ledger[1]),
        "ledger_expected": len(entries),
        "wrong_balances": wrong_balances,
        "missing_edits": missing_edits,
        "exactly_once": applied == len(ids)
        and int(in_ledger[0]) == int(in_ledger[1]) == len(entries)
        and wrong_balances == 0
        and missing_edits == 0,
    }


# The worker process ---------------------------------------------------------------------


def _worker(base_url: str) -> int:
    """Read ``[[index, token, batch], ...]``; make a client per terminal; say ``ready``;
    read the instant. Every thread opens its connection (GET /v1/health), waits for the
    others and the instant, and pushes; the answers are printed as JSON."""
    jobs = json.loads(sys.stdin.readline())
    clients = [
        httpx.Client(base_url=base_url, headers=_auth(token), timeout=PUSH_TIMEOUT_S)
        for _, token, _ in jobs
    ]
    print("ready", flush=True)
    at = float(sys.stdin.readline())
    answers: list[dict[str, Any]] = [{} for _ in jobs]
    gate = threading.Barrier(len(jobs))

    def push(n: int) -> None:
        clients[n].get("/v1/health")  # the connection is open before the instant
        gate.wait()
        time.sleep(max(0.0, at - time.time()))
        sent = time.time()
        started = time.perf_counter()
        try:
            status = clients[n].post("/v1/push", json={"ops": jobs[n][2]}).status_code
        except httpx.HTTPError:
            status = 0
        ms = (time.perf_counter() - started) * 1000
        answers[n] = {"index": jobs[n][0], "status": status, "ms": ms, "sent": sent}

    threads = [threading.Thread(target=push, args=(n,)) for n in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    print(json.dumps(answers))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        raise SystemExit(_worker(sys.argv[2]))
    raise SystemExit("usage: python -m benchmarks.sync_crowd worker BASE_URL")
