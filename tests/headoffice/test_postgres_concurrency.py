"""What only PostgreSQL does: writers running at the same time. Each test interleaves
two transactions explicitly: one holds its work open, the other runs in a thread until
PostgreSQL reports it waiting on a lock, then the first commits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from app.domain.hlc import HybridClock
from app.sync.wire import Operation
from headoffice.accounts import balances
from headoffice.apply import PushOutcome, RetryBatchError, apply_push
from headoffice.feed import pull
from tests.headoffice.terminal_ops import Terminal, document, pull_all, push, statuses

WAIT_S = 30.0  # a bound on waiting for a condition, never a pause


class Blocked:
    """A push run in a thread, in its own transaction, that is expected to wait for a
    lock another transaction holds."""

    def __init__(self, engine: Engine, work: Callable[[Connection], PushOutcome]) -> None:
        self.outcome: PushOutcome | None = None
        self.error: BaseException | None = None
        self._pid: int | None = None
        self._started = threading.Event()
        self._engine = engine
        self._work = work
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self._engine.begin() as conn:
                self._pid = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
                self._started.set()
                self.outcome = self._work(conn)
        except BaseException as error:  # handed to the test through finish()
            self.error = error
            self._started.set()

    def wait_until_blocked(self, watcher: Engine) -> None:
        assert self._started.wait(WAIT_S), "the second push never started"
        deadline = time.monotonic() + WAIT_S
        with watcher.connect() as conn:
            while time.monotonic() < deadline:
                state = conn.execute(
                    text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                    {"pid": self._pid},
                ).scalar()
                conn.rollback()
                if state == "Lock" or self.error is not None or not self._thread.is_alive():
                    return
        pytest.fail("the second push never waited on the first one's lock")

    def finish(self) -> PushOutcome:
        self._thread.join(WAIT_S)
        assert not self._thread.is_alive(), "the second push did not finish"
        if self.error is not None:
            raise self.error
        assert self.outcome is not None
        return self.outcome


def _held_open(
    engine: Engine, terminal: Terminal, ops: list[Operation], clock: HybridClock
) -> tuple[Connection, Any, PushOutcome]:
    conn = engine.connect()
    transaction = conn.begin()
    return conn, transaction, apply_push(conn, terminal.uuid, ops, clock)


def test_a_transaction_that_took_its_txid_first_but_commits_last_is_not_skipped(
    ho_pg_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    early, create_early = till.new_customer("Early Bird")
    late, create_late = till.new_customer("Late Comer")
    slow, slow_tx, _ = _held_open(ho_pg_engine, till, [create_early], ho_clock)
    try:
        push(ho_pg_engine, till, [create_late], ho_clock)  # a later txid, committed first
        with ho_pg_engine.connect() as conn:
            meanwhile = pull(conn, "v1:0:0", 100)
        slow_tx.commit()
    finally:
        slow.close()
    changes, _ = pull_all(ho_pg_engine, meanwhile.cursor)

    assert meanwhile.changes_json == []  # the late one waits: the early one still ran
    assert meanwhile.cursor == "v1:0:0"
    assert [c.uuid for c in changes] == [early, late]


def test_the_same_operation_pushed_twice_at_once_applies_once(
    ho_pg_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    ada, create = till.new_customer("Ada Lovelace")
    push(ho_pg_engine, till, [create], ho_clock)
    earn = till.entry(ada, "points", "earn", 25)
    first, first_tx, first_outcome = _held_open(ho_pg_engine, till, [earn], ho_clock)
    try:
        second = Blocked(ho_pg_engine, lambda c: apply_push(c, till.uuid, [earn], ho_clock))
        second.wait_until_blocked(ho_pg_engine)
        first_tx.commit()
    finally:
        first.close()

    assert statuses(first_outcome) == ["applied"]
    assert statuses(second.finish()) == ["duplicate"]
    with ho_pg_engine.connect() as conn:
        assert balances(conn, ada) == {"points": 25, "purse": 0}


def test_a_record_created_by_two_pushes_at_once_makes_the_second_run_again(
    ho_pg_engine: Engine, ho_clock: HybridClock
) -> None:
    bar, terrace = Terminal("bar"), Terminal("terrace")
    ada, create = bar.new_customer("Ada Lovelace")
    again = terrace.edit("customer", ada, {**create.payload["fields"], "alias": "Countess"})
    first, first_tx, _ = _held_open(ho_pg_engine, bar, [create], ho_clock)
    try:
        second = Blocked(ho_pg_engine, lambda c: apply_push(c, terrace.uuid, [again], ho_clock))
        second.wait_until_blocked(ho_pg_engine)
        first_tx.commit()
    finally:
        first.close()

    with pytest.raises(RetryBatchError, match="send the batch again"):
        second.finish()
    retried = push(ho_pg_engine, terrace, [again], ho_clock)
    assert statuses(retried) == ["applied"]
    assert document(ho_pg_engine, "customer", ada)["alias"] == "Countess"  # type: ignore[index]


def test_the_same_guest_created_on_two_tills_at_once_is_still_merged(
    ho_pg_engine: Engine, ho_clock: HybridClock
) -> None:
    bar, terrace = Terminal("bar"), Terminal("terrace")
    older, create_older = bar.new_customer("Ada Lovelace", "+447700900555")
    terrace.later(30)
    newer, create_newer = terrace.new_customer("Ada Lovelace", "+447700900555")
    first, first_tx, _ = _held_open(ho_pg_engine, bar, [create_older], ho_clock)
    try:
        second = Blocked(
            ho_pg_engine, lambda c: apply_push(c, terrace.uuid, [create_newer], ho_clock)
        )
        second.wait_until_blocked(ho_pg_engine)
        first_tx.commit()
    finally:
        first.close()

    assert statuses(second.finish()) == ["applied"]
    assert document(ho_pg_engine, "customer", newer)["merged_into_uuid"] == older  # type: ignore[index]
