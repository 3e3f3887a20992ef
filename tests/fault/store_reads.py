"""Reads of a terminal's SQLite store that the agent and the checks make by SQL: which
operations a step wrote, what a workload step may pick (customers, menu, tables), and
the sync bookkeeping the harness waits on."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, and_, func, select

from app.domain.customers import CustomerStatus
from app.store import schema
from app.store.tab_schema import outbox
from tests.fault.journal import JournalOp

_o = outbox.c
_c = schema.customers.c


def outbox_max(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.max(_o.id))) or 0)


def outbox_after(engine: Engine, after_id: int) -> tuple[int, list[JournalOp]]:
    """The operations committed after row ``after_id``, and the largest row id now."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(_o.id, _o.uuid, _o.kind, _o.entity_uuid, _o.payload)
            .where(_o.id > after_id)
            .order_by(_o.id)
        ).all()
    ops = [JournalOp(r.uuid, r.kind, r.entity_uuid, json.loads(r.payload)) for r in rows]
    return (rows[-1].id if rows else after_id), ops


def live_customers(engine: Engine) -> list[int]:
    """Active customers not merged away, by id (the order the store gave them)."""
    with engine.connect() as conn:
        return list(
            conn.scalars(
                select(_c.id)
                .where(and_(_c.merged_into_id.is_(None), _c.status == CustomerStatus.ACTIVE))
                .order_by(_c.id)
            )
        )


def menu_items(engine: Engine) -> list[int]:
    items = schema.metadata.tables["menu_items"]
    with engine.connect() as conn:
        query = select(items.c.id).order_by(items.c.id)
        if "active" in items.c:
            query = query.where(items.c.active.is_(True))
        return list(conn.scalars(query))


def dining_tables(engine: Engine) -> list[int]:
    tables = schema.metadata.tables["dining_tables"]
    with engine.connect() as conn:
        return list(conn.scalars(select(tables.c.id).order_by(tables.c.id)))


@contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a store another process may be writing (WAL)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def sync_values(path: Path) -> dict[str, str]:
    """The store's sync state (cursor, terminal uuid, ...) by key; {} before it has one."""
    with read_only(path) as conn:
        try:
            return {str(k): str(v) for k, v in conn.execute("select key, value from sync_state")}
        except sqlite3.OperationalError:
            return {}


def pending_ops(path: Path) -> int:
    """Operations in the outbox head office has not acknowledged yet."""
    with read_only(path) as conn:
        try:
            row = conn.execute("select count(*) from outbox where status = 'pending'").fetchone()
        except sqlite3.OperationalError:
            return 0
        return int(row[0])
