"""Pull and snapshot: nothing skipped, nothing repeated, and a snapshot plus the pulls
after it equal head office's state; on both databases."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from app.domain.hlc import HybridClock
from app.sync.wire import Change, parse_cursor
from headoffice.feed import (
    CursorExpiredError,
    SnapshotRequiredError,
    pull,
    purge_tombstones,
    snapshot_page,
)
from headoffice.schema import balances
from tests.headoffice.terminal_ops import (
    Terminal,
    all_documents,
    pull_all,
    push,
    snapshot_all,
)

Replica = dict[tuple[str, str], dict[str, Any]]


def _apply(replica: Replica, changes: list[Change]) -> list[Change]:
    """Apply changes as a terminal does (whole documents, tombstones); the ledger
    entries among them are returned rather than kept as documents."""
    entries = []
    for change in changes:
        if change.entity == "ledger_entry":
            entries.append(change)
        elif change.deleted:
            replica.pop((change.entity, change.uuid), None)
        else:
            replica[(change.entity, change.uuid)] = dict(change.data)
    return entries


def _directory(engine: Engine) -> Replica:
    return {k: v for k, v in all_documents(engine).items() if k[0] != "ledger_entry"}


def _balances(engine: Engine) -> dict[tuple[str, str], int]:
    b = balances.c
    with engine.connect() as conn:
        rows = conn.execute(select(b.customer_uuid, b.account, b.amount)).all()
    return {(r.customer_uuid, r.account): r.amount for r in rows if r.amount}


def _seed(engine: Engine, till: Terminal, clock: HybridClock, count: int) -> list[str]:
    ops, uuids = [], []
    for n in range(count):
        uuid, create = till.new_customer(f"Guest {n:02d}")
        uuids.append(uuid)
        ops += [
            create,
            till.new_card(uuid, f"04{n:04X}")[1],
            till.entry(uuid, "points", "earn", n + 1),
        ]
    push(engine, till, ops, clock)
    return uuids


def test_cursors_that_cannot_be_pulled_from_say_why(ho_engine: Engine) -> None:
    with ho_engine.connect() as conn:
        with pytest.raises(SnapshotRequiredError, match="takes a snapshot"):
            pull(conn, "", 10)
        with pytest.raises(ValueError, match="not a sync cursor: 'yesterday'"):
            pull(conn, "yesterday", 10)
        with pytest.raises(ValueError, match="not a snapshot page token: 's9:x'"):
            snapshot_page(conn, "s9:x", 10)


def test_paged_pulls_between_commits_never_skip_or_repeat(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    uuids = _seed(ho_engine, till, ho_clock, 5)
    replica: Replica = {}
    seen: list[tuple[int, int]] = []
    cursor = "v1:0:0"
    for round_ in range(4):
        with ho_engine.connect() as conn:
            page = pull(conn, cursor, 4)
        changes = [Change.model_validate_json(c) for c in page.changes_json]
        seen += [parse_cursor(c.version) for c in changes]
        _apply(replica, changes)
        cursor = page.cursor
        till.later(1)  # commits land between the pages
        push(
            ho_engine,
            till,
            [till.edit("customer", uuids[round_], {"alias": f"g{round_}"})],
            ho_clock,
        )
    changes, cursor = pull_all(ho_engine, cursor, limit=4)
    seen += [parse_cursor(c.version) for c in changes]
    _apply(replica, changes)

    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert replica == _directory(ho_engine)
    with ho_engine.connect() as conn:
        assert pull(conn, cursor, 4).changes_json == []


def test_a_snapshot_taken_while_tills_write_plus_the_pulls_after_it_is_the_whole_state(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    uuids = _seed(ho_engine, till, ho_clock, 9)
    passing, create_passing = till.new_customer("Passing Guest")  # no business: deletable
    push(ho_engine, till, [create_passing], ho_clock)
    first, last = uuids[0], uuids[-1]
    writes = [
        [till.edit("customer", first, {"alias": "a"}), till.entry(first, "points", "earn", 100)],
        [till.edit("customer", last, {"alias": "z"}), till.entry(last, "purse", "deposit", 900)],
        [till.new_customer("Late Arrival")[1], till.entry(uuids[4], "points", "redeem", -3)],
        [
            till.op(
                "customer.deleted",
                passing,
                {"customer_uuid": passing, "hlc": str(till.clock.now())},
            )
        ],
    ]
    replica: Replica = {}
    openings: dict[tuple[str, str], int] = defaultdict(int)
    page, cursor, done, pages = "", "", False, 0
    while not done:
        with ho_engine.connect() as conn:
            chunk = snapshot_page(conn, page, 4)
        _apply(replica, [Change.model_validate_json(c) for c in chunk.changes_json])
        for opening in chunk.openings:
            openings[(opening.customer_uuid, opening.account)] += opening.amount
        page, cursor, done = chunk.page, chunk.cursor, chunk.done
        if pages < len(writes):  # a till commits between every two pages
            push(ho_engine, till, writes[pages], ho_clock)
        pages += 1
    changes, _ = pull_all(ho_engine, cursor, limit=5)
    entries = _apply(replica, changes)

    assert pages >= 5  # 10 customers and 9 cards, 4 to a page
    assert replica == _directory(ho_engine)
    assert ("customer", passing) not in replica
    money: dict[tuple[str, str], int] = defaultdict(int, openings)
    for entry in entries:
        money[(entry.data["customer_uuid"], entry.data["account"])] += entry.data["amount"]
    assert {k: v for k, v in money.items() if v} == _balances(ho_engine)
    assert money[(first, "points")] == 101 and money[(last, "purse")] == 900


def test_an_untouched_snapshot_and_an_empty_pull_match(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    _seed(ho_engine, till, ho_clock, 3)

    changes, openings, cursor = snapshot_all(ho_engine, limit=100)

    replica: Replica = {}
    _apply(replica, changes)
    assert replica == _directory(ho_engine)
    assert [c.entity for c in changes] == ["customer"] * 3 + ["identifier"] * 3
    assert sorted((o.amount, o.lifetime_points) for o in openings) == [(1, 1), (2, 2), (3, 3)]
    assert pull_all(ho_engine, cursor)[0] == []


def test_purged_tombstones_expire_older_cursors(ho_engine: Engine, ho_clock: HybridClock) -> None:
    till = Terminal()
    gone, create = till.new_customer("Short Stay")
    push(ho_engine, till, [create], ho_clock)
    _, before = pull_all(ho_engine, "v1:0:0")
    push(
        ho_engine,
        till,
        [till.op("customer.deleted", gone, {"customer_uuid": gone, "hlc": str(till.clock.now())})],
        ho_clock,
    )
    _, after = pull_all(ho_engine, before)

    with ho_engine.begin() as conn:
        assert purge_tombstones(conn, datetime.now(UTC) - timedelta(days=30)) == 0
        assert purge_tombstones(conn, datetime.now(UTC) + timedelta(seconds=1)) == 1

    with ho_engine.connect() as conn:
        with pytest.raises(CursorExpiredError, match="takes a fresh snapshot"):
            pull(conn, before, 10)
        assert pull(conn, after, 10).changes_json == []
