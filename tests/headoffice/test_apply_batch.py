"""A push applies runs of ledger entries together (headoffice/apply_batch.py); this pins
that a big batch gives exactly the answers and the state of the same operations pushed
one per batch. On both databases."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from app.domain.hlc import HEAD_OFFICE_NODE, HybridClock
from app.domain.ids import new_uuid7
from app.sync.wire import Operation
from headoffice.engine import open_engine
from headoffice.schema import (
    applied_ops,
    balances,
    closed_tabs,
    create_schema,
    customer_keys,
    customer_stats,
    documents,
    ledger,
    overdraft_reviews,
)
from tests.headoffice.conftest import postgres_head_office
from tests.headoffice.terminal_ops import ManualTime, Terminal, push

_STATE = {  # what must end the same; row versions and times of applying differ
    applied_ops: ("op_id", "status", "reason", "kind"),
    ledger: ("uuid", "customer_uuid", "account", "kind", "amount", "lifetime_delta", "op_id"),
    balances: ("customer_uuid", "account", "amount", "lifetime_points"),
    overdraft_reviews: ("entry_uuid", "customer_uuid", "amount", "balance_after"),
    documents: ("rank", "uuid", "data", "deleted"),
    customer_keys: ("uuid", "full_name", "merged_into_uuid", "deleted"),
    closed_tabs: ("op_id", "visit_customer_uuid", "counted"),
    customer_stats: ("customer_uuid", "visits", "total_spent_minor"),
}


@contextmanager
def _another(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A second, empty head office on the same kind of database as ``engine``."""
    if engine.dialect.name == "postgresql":
        with postgres_head_office() as other:
            yield other
        return
    other = open_engine(f"sqlite:///{tmp_path / 'one_by_one.db'}")
    create_schema(other)
    try:
        yield other
    finally:
        other.dispose()


def _state(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    found = {}
    with engine.connect() as conn:
        for table, names in _STATE.items():
            rows = conn.execute(select(*(table.c[n] for n in names))).all()
            found[table.name] = sorted(_comparable(table.name, tuple(row)) for row in rows)
    return found


def _comparable(table: str, row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row without what differs by nature: the uuid and time of the adjustments head
    office writes itself when it merges customers (only those are ``adjust`` here)."""
    if table == "ledger" and row[3] == "adjust":
        return ("head office", *row[1:])
    if table == "documents" and '"terminal":"head office"' in row[2]:
        data = json.loads(row[2])
        del data["uuid"], data["at"]
        return (row[0], "head office", json.dumps(data, sort_keys=True), row[3])
    return row


def _setup(till: Terminal) -> tuple[list[Operation], list[str], str]:
    """Regulars with points, a purse with a credit limit, and a customer merged away."""
    ops, regulars = [], []
    for i in range(6):
        uuid, op = till.new_customer(f"Regular {i}", f"+4477009001{i:02d}")
        regulars.append(uuid)
        ops += [op, till.entry(uuid, "points", "earn", 40)]
    uuid, op = till.new_customer("Tab Holder", "+447700900199", credit_limit_minor=500)
    regulars.append(uuid)
    ops += [op, till.entry(uuid, "purse", "deposit", 300)]
    gone, op = till.new_customer("Gone Away", "+447700900198")
    ops += [op, till.entry(gone, "points", "earn", 15)]
    ops.append(
        till.op(
            "customers.merged",
            regulars[0],
            {"survivor_uuid": regulars[0], "merged_uuid": gone, "hlc": str(till.clock.now())},
        )
    )
    return ops, regulars, gone


def _batch(
    till: Terminal, regulars: list[str], gone: str, setup: list[Operation]
) -> list[Operation]:
    """1,000 operations of every shape the fast path must get right, interleaved."""
    rng = random.Random(6)
    ops: list[Operation] = []
    earned: list[str] = []
    newcomer = ""
    late = ""
    while len(ops) < 1000:
        n = len(ops)
        who = rng.choice(regulars)
        if n == 10:
            newcomer, op = till.new_customer("New Face", "+447700900150")
            ops += [op, till.entry(newcomer, "points", "earn", 25)]
        elif n % 97 == 5:
            ops.append(till.entry(who, "points", "earn", -3))  # breaks the ledger's rules
        elif n % 89 == 7:
            ops.append(ops[rng.randrange(len(ops))] if ops else setup[1])  # repeated op id
        elif n % 83 == 3:
            ops.append(setup[rng.randrange(len(setup))])  # applied in an earlier push
        elif n % 79 == 1:
            ops.append(till.entry(gone, "points", "redeem", -2))  # follows the merge
        elif n % 73 == 2:
            ops.append(till.entry(new_uuid7(), "points", "earn", 1))  # unknown customer
        elif n % 71 == 4 and earned:
            reversed_uuid = earned.pop(0)  # reverses an earning in this batch
            ops.append(
                till.entry(who, "points", "reverse", -1, reverses_uuid=reversed_uuid, reason="x")
            )
        elif n % 67 == 6 and earned:
            ops.append(till.entry(who, "points", "earn", 9, uuid=earned[-1]))  # entry seen
        elif n % 61 == 8:
            ops.append(till.edit("customer", who, {"alias": f"alias {n}"}))
        elif n % 59 == 9:
            ops.append(till.closed_tab(who, 1250))
        elif n == 500:
            late, op = till.new_customer("Late Comer", "+447700900151")
            ops += [op, till.entry(late, "purse", "deposit", 100)]
            merged = {"survivor_uuid": newcomer, "merged_uuid": late, "hlc": ""}
            merged["hlc"] = str(till.clock.now())
            ops += [
                till.op("customers.merged", newcomer, merged),
                till.entry(late, "points", "earn", 4),
            ]
        elif n % 53 == 10:
            ops.append(till.entry(regulars[-1], "purse", "withdraw", -rng.randint(50, 400)))
        elif n % 47 == 11:
            ops.append(till.entry(who, "points", "earn", 2**63))  # too big for the database
        else:
            target = newcomer if newcomer and rng.random() < 0.2 else who
            kind, sign = rng.choice([("earn", 1), ("earn", 1), ("redeem", -1)])
            op = till.entry(target, "points", kind, sign * rng.randint(1, 30))
            if kind == "earn":
                earned.append(op.payload["uuid"])
            ops.append(op)
        till.later(1)
    return ops[:1000]


def test_a_big_batch_answers_and_ends_as_one_operation_per_batch(
    ho_engine: Engine, tmp_path: Path
) -> None:
    till = Terminal("bar")
    setup, regulars, gone = _setup(till)
    batch = _batch(till, regulars, gone, setup)
    with _another(ho_engine, tmp_path) as one_by_one:
        together_clock = HybridClock(HEAD_OFFICE_NODE, ManualTime())
        alone_clock = HybridClock(HEAD_OFFICE_NODE, ManualTime())
        push(ho_engine, till, setup, together_clock)
        push(one_by_one, till, setup, alone_clock)

        together = push(ho_engine, till, batch, together_clock).results
        alone = [push(one_by_one, till, [op], alone_clock).results[0] for op in batch]

        assert [(r.id, r.status, r.reason) for r in together] == [
            (r.id, r.status, r.reason) for r in alone
        ]
        assert {r.status.value for r in together} == {"applied", "duplicate", "rejected"}
        assert _state(ho_engine) == _state(one_by_one)
