"""A terminal as a process of its own, for the fault campaign.

    python -m tests.fault.terminal_agent --data-dir D --head-office URL --code C --seed N ...

It enrols its store with head office (through the proxy), starts the sync worker, and
runs a seeded workload through the real services, journalling every step's operations
(fsync'd) before the next. It can be SIGKILLed at any point and started again with the
same arguments: it journals whatever the store committed that the journal does not list
yet, and goes on from the next step. After the last step it keeps syncing until SIGTERM.
SIGUSR1 asks the worker to sync now (the harness does it when the faults stop, so no
backoff delays the end of a run).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from app.wiring.sync import HeadlessTerminal
from tests.fault import store_reads
from tests.fault.agent_terminal import AGENT_ACTOR, SkewedClock, enrol, open_agent_terminal
from tests.fault.journal import Journal, JournalEntry, read_journal
from tests.fault.processes import WaitTimeoutError, wait_until
from tests.fault.workload import Workload

log = logging.getLogger("fault.agent")
CATALOGUE_TIMEOUT_S = 30.0


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.fault.terminal_agent")
    parser.add_argument("--data-dir", type=Path, required=True, help="holds the store")
    parser.add_argument("--head-office", required=True, help="head office's URL (the proxy)")
    parser.add_argument("--code", required=True, help="the one-time enrolment code")
    parser.add_argument("--name", required=True, help="the terminal's name")
    parser.add_argument("--index", type=int, required=True, help="0-8, unique in the run")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--run-seed", type=int, required=True)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--pace-ms", type=float, default=40.0, help="mean pause between steps")
    parser.add_argument("--clock-offset-s", type=float, default=0.0)
    parser.add_argument("--sync-interval-s", type=float, default=0.5)
    parser.add_argument("--journal", type=Path, required=True)
    parser.add_argument("--status", type=Path, required=True)
    return parser.parse_args(argv)


def write_status(path: Path, **values: Any) -> None:
    spare = path.with_suffix(".tmp")
    spare.write_text(json.dumps(values, sort_keys=True))
    os.replace(spare, path)


def read_status(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return {}


def _recover(journal: Journal, entries: list[JournalEntry], terminal: HeadlessTerminal) -> int:
    """Journal what the store committed after the last whole journal line; returns the
    next step to run."""
    last_max = max((e.outbox_max for e in entries), default=0)
    after, ops = store_reads.outbox_after(terminal.engine, last_max)
    next_step = max((e.step for e in entries), default=-1) + 1
    if ops:
        journal.append(JournalEntry(next_step, "recovered", tuple(ops), after))
        next_step += 1
    return next_step


def _await_catalogue(terminal: HeadlessTerminal, stopping: threading.Event) -> None:
    """On its first start, let the first snapshot bring the menu and floor (bounded:
    without them the workload still runs, only with no guest tabs)."""
    try:
        wait_until(
            lambda: stopping.is_set() or bool(store_reads.menu_items(terminal.engine)),
            timeout_s=CATALOGUE_TIMEOUT_S,
            what="the first snapshot to bring the catalogue",
        )
    except WaitTimeoutError as error:
        log.warning("%s; working without a menu", error)


def run(args: argparse.Namespace) -> int:
    clock = SkewedClock(timedelta(seconds=args.clock_offset_s))
    stopping = threading.Event()
    terminal = open_agent_terminal(
        args.data_dir, name=args.name, clock=clock, sync_interval_s=args.sync_interval_s
    )
    try:
        enrol(terminal, args.head_office, args.code, args.name)
    except BaseException:
        terminal.close()
        raise

    def on_term(signum: int, frame: FrameType | None) -> None:
        stopping.set()  # the main thread only ever waits on this event, never holds it

    sync_wanted = threading.Event()  # set by the handler; a thread of its own asks the worker,
    # so the handler never waits on a lock the interrupted main thread may hold

    def on_usr1(signum: int, frame: FrameType | None) -> None:
        sync_wanted.set()

    def ask_for_syncs() -> None:
        while not stopping.is_set():
            if sync_wanted.wait(0.5):
                sync_wanted.clear()
                terminal.sync.sync_now()

    threading.Thread(target=ask_for_syncs, name="sync-now", daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGUSR1, on_usr1)
    # Only now may the harness send SIGUSR1: before the handler, it would end the process.
    write_status(args.status, pid=os.getpid(), step=0, done=False, errors=0)
    journal = Journal(args.journal)
    errors = 0
    try:
        entries = read_journal(args.journal)
        if not entries:
            _await_catalogue(terminal, stopping)
        step = _recover(journal, entries, terminal)
        pace = random.Random(f"pace:{args.seed}:{step}")
        workload = Workload(
            terminal,
            AGENT_ACTOR,
            seed=args.seed,
            run_seed=args.run_seed,
            terminal_index=args.index,
            run=terminal.run,  # on the store thread, the one writer, as the screens do
        )
        while step < args.steps and not stopping.is_set():
            before = store_reads.outbox_max(terminal.engine)
            try:
                outcome = workload.step(step)
                action, facts = outcome.action, dict(outcome.facts)
            except Exception as error:  # a bug under the services: journal, log, go on
                errors += 1
                log.error("step %d failed:\n%s", step, traceback.format_exc())
                action, facts = "error", {"error": f"{type(error).__name__}: {error}"[:300]}
            after, ops = store_reads.outbox_after(terminal.engine, before)
            journal.append(JournalEntry(step, action, tuple(ops), after, args.name, facts))
            step += 1
            write_status(args.status, pid=os.getpid(), step=step, done=False, errors=errors)
            if ops:
                terminal.sync.nudge()
            stopping.wait(pace.uniform(0, 2 * args.pace_ms / 1000))
        write_status(args.status, pid=os.getpid(), step=step, done=True, errors=errors)
        stopping.wait()
    finally:
        journal.close()
        terminal.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    return run(_parse(argv))


if __name__ == "__main__":
    raise SystemExit(main())
