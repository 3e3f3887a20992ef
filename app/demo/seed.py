"""Builds a demo store: the venue, then customers in big executemany batches.

The search index triggers are set aside while customers are inserted, the new customers
are then indexed in one pass and the triggers restored, all in one transaction: a store
is either seeded and consistent, or untouched.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import sqlite3
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import Engine

from app.demo.catalogue import ensure_categories, ensure_divisions, ensure_menu, ensure_staff
from app.demo.customers import (
    CARDS_PER_CUSTOMER,
    COLUMNS,
    Batch,
    CustomerFactory,
    Plan,
    Venue,
    make_batch,
)
from app.demo.pools import build_pools
from app.store.migrate import upgrade_store
from app.store.search import (
    index_customers_from,
    optimize_search_index,
    restore_search_triggers,
    suspend_search_triggers,
)

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): stages are "customers" and "index"."""

BATCH = 20_000
IMPERSONAL_CARDS = 12
# From this many customers on, a fresh store is built with a rollback journal and no
# fsync (a crash leaves a store to delete and rebuild, never a half-seeded one in use).
BULK_THRESHOLD = 50_000


def _insert_sql(table: str) -> str:
    columns = COLUMNS[table]
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def default_anchor() -> datetime:
    """Today at midnight UTC: the demo's "now", so a day's builds are identical."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def seed_demo_store(
    engine: Engine,
    customers: int = 2000,
    seed: int = 7,
    *,
    progress: Progress | None = None,
    anchor: datetime | None = None,
    workers: int | None = None,
) -> None:
    """Create or upgrade the schema, then add ``customers`` demo customers and the venue.

    The same ``seed`` and ``anchor`` give the same store, uuids and PIN hashes aside.
    Big builds compose customers in ``workers`` processes (default: one per CPU) while
    this one inserts them.
    """
    upgrade_store(engine)
    report = progress or (lambda _stage, _done, _total: None)
    raw = engine.raw_connection()
    con = raw.driver_connection
    assert isinstance(con, sqlite3.Connection)
    bulk = customers >= BULK_THRESHOLD and _is_empty(con)
    try:
        if bulk:
            con.execute("PRAGMA journal_mode=DELETE")
            con.execute("PRAGMA synchronous=OFF")
            con.execute("PRAGMA cache_size=-2000000")  # 2 GiB while building
        con.execute("BEGIN")
        try:
            procs = (os.cpu_count() or 1) if workers is None else workers
            _seed(con, customers, seed, anchor or default_anchor(), report, bulk, procs)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        if bulk:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("PRAGMA cache_size=-65536")
        raw.close()


def _is_empty(con: sqlite3.Connection) -> bool:
    return bool(con.execute("SELECT count(*) FROM customers").fetchone()[0] == 0)


def _seed(
    con: sqlite3.Connection,
    customers: int,
    seed: int,
    anchor: datetime,
    report: Progress,
    bulk: bool,
    workers: int,
) -> None:
    venue = Venue(
        category_ids=ensure_categories(con),
        divisions=ensure_divisions(con),
        menu=ensure_menu(con),
        staff=ensure_staff(con),
    )
    first_id = int(con.execute("SELECT coalesce(max(id), 0) + 1 FROM customers").fetchone()[0])
    first_card = int(con.execute("SELECT coalesce(max(id), 0) + 1 FROM identifiers").fetchone()[0])
    plan = Plan(seed, build_pools(seed), venue, anchor.timestamp(), first_id, first_card, BATCH)
    saved = suspend_search_triggers(con)
    done = 0
    report("customers", 0, customers)
    for batch in _batches(plan, customers, workers):
        for table in COLUMNS:  # customers first: the children's foreign keys point at them
            con.executemany(_insert_sql(table), batch.rows[table])
        done += len(batch.rows["customers"])
        report("customers", done, customers)
    cards = CustomerFactory(plan, random.Random(f"demo:{seed}:cards"))
    impersonal = cards.impersonal_cards(IMPERSONAL_CARDS, customers * CARDS_PER_CUSTOMER)
    con.executemany(_insert_sql("identifiers"), impersonal)
    report("index", 0, 1)
    index_customers_from(con, first_id)
    restore_search_triggers(con, saved)
    if bulk:
        optimize_search_index(con)
    report("index", 1, 1)


def _batches(plan: Plan, customers: int, workers: int) -> Iterator[Batch]:
    """The batches in order; made in worker processes when there are several."""
    sizes = [min(BATCH, customers - start) for start in range(0, customers, BATCH)]
    if workers <= 1 or len(sizes) <= 1:
        for number, size in enumerate(sizes):
            yield make_batch(plan, number, size)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[Batch]] = deque()
        for number, size in enumerate(sizes):
            pending.append(pool.submit(make_batch, plan, number, size))
            if len(pending) > workers * 2:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
