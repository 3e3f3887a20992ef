"""Row versions ``(txid, seq)``: which transaction wrote a document, and in what order.

PostgreSQL: ``txid`` is the transaction's own id (``pg_current_xact_id()``) and ``seq``
comes from a sequence. SQLite has one writer at a time, so a counter bumped once per
writing transaction stands in for the id, and a second counter gives ``seq`` (handed out
in blocks for bulk writes). See docs/SYNC.md, "Pull", for why pull never skips a row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, ScalarSelect, select, text, update

from headoffice.schema import is_postgresql, row_counters

_TXID_KEY = "headoffice_txid"

_PG_TXID = text("SELECT pg_current_xact_id()::text::bigint")
_PG_NEXT_SEQ = text("SELECT nextval('ho_row_version_seq')")
_PG_NEXT_SEQS = text("SELECT nextval('ho_row_version_seq') FROM generate_series(1, :n)")
PG_WATERMARK = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"


def current_txid(conn: Connection) -> int:
    """This transaction's txid, the same for every row it writes.

    Call it first thing in a writing transaction, outside any SAVEPOINT: on SQLite it
    bumps the counter, and a savepoint rolled back must not take that back.
    """
    transaction = conn.get_transaction()
    if transaction is None:
        raise RuntimeError("row versions need a transaction: use engine.begin()")
    cached = conn.info.get(_TXID_KEY)
    if cached is not None and cached[0] is transaction:
        return int(cached[1])
    if is_postgresql(conn):
        txid = int(conn.execute(_PG_TXID).scalar_one())
    else:
        txid = _bump(conn, "txid", 1)
    conn.info[_TXID_KEY] = (transaction, txid)
    return txid


def next_seqs(conn: Connection, count: int) -> list[int]:
    """``count`` new, increasing ``seq`` numbers."""
    if count <= 0:
        return []
    if is_postgresql(conn):
        if count == 1:
            return [int(conn.execute(_PG_NEXT_SEQ).scalar_one())]
        return sorted(int(v) for v in conn.execute(_PG_NEXT_SEQS, {"n": count}).scalars())
    last = _bump(conn, "seq", count)
    return list(range(last - count + 1, last + 1))


def sqlite_watermark_subquery() -> ScalarSelect[Any]:
    """SQLite's watermark (the counter + 1) as a scalar subquery, so a pull reads it in
    the same statement, hence the same snapshot, as the rows."""
    return select(row_counters.c.value + 1).where(row_counters.c.name == "txid").scalar_subquery()


def watermark(conn: Connection) -> int:
    """The lowest txid that may still be running: rows below it are all committed."""
    if is_postgresql(conn):
        return int(conn.execute(text(f"SELECT {PG_WATERMARK}")).scalar_one())
    return int(conn.execute(select(sqlite_watermark_subquery())).scalar_one())


def _bump(conn: Connection, name: str, by: int) -> int:
    statement = (
        update(row_counters)
        .where(row_counters.c.name == name)
        .values(value=row_counters.c.value + by)
        .returning(row_counters.c.value)
    )
    return int(conn.execute(statement).scalar_one())
