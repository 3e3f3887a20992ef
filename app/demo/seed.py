"""Builds a demo store: the venue, customers in big executemany batches, then their accounts.

The search index triggers are set aside while customers are inserted, the new customers
are then indexed in one pass and the triggers restored, all in one transaction: a store
is either seeded and consistent, or untouched.

A store seeded by an earlier demo (before guest tabs) is brought up to date by
:func:`upgrade_demo_store`: the venue's steps converge and the accounts step runs over
every customer, so it ends as a fresh build with the same seed on the same day would.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import random
import sqlite3
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine

from app.demo.accounts import seed_accounts
from app.demo.catalogue import ensure_divisions, ensure_menu, ensure_staff
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
from app.demo.promotions import attach_floor_categories, ensure_categories
from app.store.migrate import upgrade_store
from app.store.search import (
    index_customers_from,
    optimize_search_index,
    restore_search_triggers,
    suspend_search_triggers,
)

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): stages are "customers", "index" and "accounts"."""

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


@contextmanager
def _transaction(
    engine: Engine, *, bulk: Callable[[sqlite3.Connection], bool]
) -> Iterator[tuple[sqlite3.Connection, bool]]:
    """One transaction on a raw connection, committed or rolled back whole; in bulk mode
    (when ``bulk(con)`` says so) with a rollback journal, no fsync and a big cache."""
    raw = engine.raw_connection()
    con = raw.driver_connection
    assert isinstance(con, sqlite3.Connection)
    in_bulk = bulk(con)
    try:
        if in_bulk:
            con.execute("PRAGMA journal_mode=DELETE")
            con.execute("PRAGMA synchronous=OFF")
            con.execute("PRAGMA cache_size=-2000000")  # 2 GiB while building
        con.execute("BEGIN")
        try:
            yield con, in_bulk
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        if in_bulk:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("PRAGMA cache_size=-65536")
        raw.close()


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
    procs = (os.cpu_count() or 1) if workers is None else workers
    big = customers >= BULK_THRESHOLD
    with _transaction(engine, bulk=lambda con: big and _is_empty(con)) as (con, bulk):
        _seed(con, customers, seed, anchor or default_anchor(), report, bulk, procs)


def prepare_demo_store(engine: Engine, customers: int, seed: int = 7) -> bool:
    """Seed ``customers`` into an empty store (returns True), or complete a store an
    earlier demo seeded with what guest tabs added (see :func:`complete_demo_store`)."""
    with engine.connect() as connection:
        empty = connection.exec_driver_sql("SELECT count(*) FROM customers").scalar() == 0
    if empty:
        log.info("Empty store: seeding %d demo customers", customers)
        seed_demo_store(engine, customers, seed)
    elif complete_demo_store(engine, seed):
        log.info("Demo store completed with the menu, categories and accounts tabs need")
    return empty


def upgrade_demo_store(
    engine: Engine, seed: int = 7, *, anchor: datetime | None = None, bulk: bool = False
) -> bool:
    """Upgrade the schema, then :func:`complete_demo_store`."""
    upgrade_store(engine)
    return complete_demo_store(engine, seed, anchor=anchor, bulk=bulk)


def complete_demo_store(
    engine: Engine, seed: int = 7, *, anchor: datetime | None = None, bulk: bool = False
) -> bool:
    """Seed what guest tabs added to the demo (menu, categories and rules, floor
    categories, customers' categories and limits, statistics, ledger) into a store at the
    head revision, unless it has sales rules already. Returns whether it seeded.

    ``bulk`` is for a copy nothing else uses (a crash leaves it to delete).
    """
    today = anchor or default_anchor()
    with _transaction(engine, bulk=lambda _con: bulk) as (con, _):
        if con.execute("SELECT count(*) FROM sales_rules").fetchone()[0]:
            return False
        _, categories = _venue(con, today)
        seed_accounts(con, seed, today, 1, 1, categories, replace=True)
        return True


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
    venue, categories = _venue(con, anchor)
    first_id, first_card = seed_customers(
        con, venue, customers, seed, anchor, report=report, bulk=bulk, workers=workers
    )
    report("accounts", 0, 1)
    seed_accounts(con, seed, anchor, first_id, first_card, categories)
    report("accounts", 1, 1)


def seed_customers(
    con: sqlite3.Connection,
    venue: Venue,
    customers: int,
    seed: int,
    anchor: datetime,
    *,
    report: Progress = lambda _stage, _done, _total: None,
    bulk: bool = False,
    workers: int = 1,
) -> tuple[int, int]:
    """Customers with their contacts, cards and visits, then the impersonal cards, all
    indexed for search; returns the first new customer id and identifier id.

    This step is the same as in the demo before guest tabs (it needs nothing newer than
    schema revision 0003), so a store that demo seeded holds what this one would.
    """
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
    return first_id, first_card


def _venue(con: sqlite3.Connection, anchor: datetime) -> tuple[Venue, dict[str, int]]:
    """Menu, floor, staff and promotion categories, made or brought up to date."""
    venue = Venue(divisions=ensure_divisions(con), menu=ensure_menu(con), staff=ensure_staff(con))
    categories = ensure_categories(con, anchor.date())
    attach_floor_categories(con, categories)
    return venue, categories


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
