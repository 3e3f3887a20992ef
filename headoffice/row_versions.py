"""Row versions ``(txid, seq)``: which transaction wrote a document, and in what order.

PostgreSQL: ``txid`` is the transaction's own id (``pg_current_xact_id()``). SQLite has
one writer at a time, so a counter bumped once per writing transaction stands in for the
id. ``seq`` orders the rows of one transaction: txids are never shared, so it counts up
from 1 in each transaction, in Python, with no round trip to the database (a number
taken by a savepoint rolled back is simply skipped). See docs/SYNC.md, "Pull", for why
pull never skips a row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, ScalarSelect, select, text, update

from headoffice.schema import is_postgresql, row_counters

_VERSIONS_KEY = "headoffice_row_versions"

_PG_TXID = text("SELECT pg_current_xact_id()::text::bigint")
_BUMP_TXID = (
    update(row_counters)
    .where(row_counters.c.name == "txid")
    .values(value=row_counters.c.value + 1)
    .returning(row_counters.c.value)
)
PG_WATERMARK = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"


class _Versions:
    """The row versions one transaction hands out."""

    def __init__(self, transaction: object, txid: int) -> None:
        self.transaction = transaction
        self.txid = txid
        self.last_seq = 0


def _versions(conn: Connection) -> _Versions:
    transaction = conn.get_transaction()
    if transaction is None:
        raise RuntimeError("row versions need a transaction: use engine.begin()")
    cached = conn.info.get(_VERSIONS_KEY)
    if isinstance(cached, _Versions) and cached.transaction is transaction:
        return cached
    versions = _Versions(transaction, _new_txid(conn))
    conn.info[_VERSIONS_KEY] = versions
    return versions


def current_txid(conn: Connection) -> int:
    """This transaction's txid, the same for every row it writes.

    Call it first thing in a writing transaction, outside any SAVEPOINT: on SQLite it
    bumps the counter, and a savepoint rolled back must not take that back.
    """
    return _versions(conn).txid


def next_seqs(conn: Connection, count: int) -> range:
    """``count`` new, increasing ``seq`` numbers within this transaction."""
    versions = _versions(conn)
    first = versions.last_seq + 1
    versions.last_seq += max(count, 0)
    return range(first, versions.last_seq + 1)


def sqlite_watermark_subquery() -> ScalarSelect[Any]:
    """SQLite's watermark (the counter + 1) as a scalar subquery, so a pull reads it in
    the same statement, hence the same snapshot, as the rows."""
    return select(row_counters.c.value + 1).where(row_counters.c.name == "txid").scalar_subquery()


def watermark(conn: Connection) -> int:
    """The lowest txid that may still be running: rows below it are all committed."""
    if is_postgresql(conn):
        return int(conn.execute(text(f"SELECT {PG_WATERMARK}")).scalar_one())
    return int(conn.execute(select(sqlite_watermark_subquery())).scalar_one())


def _new_txid(conn: Connection) -> int:
    statement = _PG_TXID if is_postgresql(conn) else _BUMP_TXID
    return int(conn.execute(statement).scalar_one())
