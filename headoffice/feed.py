"""What terminals download: pull since a cursor, and the snapshot (docs/SYNC.md).

Each change is handed over as the raw JSON text of one wire ``Change``, built around the
stored document text without parsing it, so the server splices it into its answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, literal_column, select

from app.sync.wire import CURSOR_MAX_SEQ, ENTITY_KINDS, Opening, format_cursor, parse_cursor
from headoffice.accounts import balances, overdraft_reviews
from headoffice.authoring import DocumentError, edit_customer, write_documents
from headoffice.row_versions import PG_WATERMARK, sqlite_watermark_subquery, watermark
from headoffice.schema import (
    ENTITY_RANK,
    documents,
    is_postgresql,
    ledger,
    sync_meta,
    upsert_statement,
)

__all__ = [  # the last five live in authoring.py and accounts.py; importable from here too
    "CursorExpiredError",
    "DocumentError",
    "FeedPage",
    "SnapshotChunk",
    "SnapshotRequiredError",
    "balances",
    "edit_customer",
    "overdraft_reviews",
    "pull",
    "purge_tombstones",
    "snapshot_page",
    "write_documents",
]

PURGED_THROUGH = "purged_through"  # sync_meta: the newest purged tombstone's row version
_SNAPSHOT_RANKS = tuple(ENTITY_RANK[e] for e in ENTITY_KINDS if e != "ledger_entry")
_CUSTOMER_RANK = ENTITY_RANK["customer"]
_PAGE = re.compile(r"^s1:(\d{1,19}):(\d{1,2}):([0-9a-f-]{0,36})$")


class CursorExpiredError(Exception):
    """The cursor is older than a tombstone head office no longer keeps: take a snapshot."""


class SnapshotRequiredError(Exception):
    """No cursor yet: a terminal that never synced takes a snapshot first."""


@dataclass(frozen=True)
class FeedPage:
    """One pull answer: changes in row-version order, the cursor after them, and whether
    more can be fetched now."""

    changes_json: list[str]
    cursor: str
    more: bool


@dataclass(frozen=True)
class SnapshotChunk:
    """One snapshot page: documents, the openings of the customers among them, the token
    of the next page ("" with ``done``) and the cursor pull continues from."""

    changes_json: list[str]
    openings: list[Opening]
    page: str
    done: bool
    cursor: str


def change_json(entity: str, uuid: str, data: str, deleted: bool, txid: int, seq: int) -> str:
    """A wire ``Change`` as JSON text around the stored document text, without parsing
    it (uuids and entity names need no escaping). Built here rather than concatenated in
    SQL: PostgreSQL's text concatenation took twice as long as fetching and formatting."""
    return (
        f'{{"entity":"{entity}","uuid":"{uuid}","deleted":{"true" if deleted else "false"},'
        f'"data":{data},"version":"v1:{txid}:{seq}"}}'
    )


def pull(conn: Connection, cursor: str, limit: int) -> FeedPage:
    """Documents changed after ``cursor`` by transactions below the watermark, at most
    ``limit``. SnapshotRequiredError for "", CursorExpiredError for a cursor older than a
    purged tombstone, ValueError (readable) for a malformed cursor."""
    if cursor == "":
        raise SnapshotRequiredError(
            "this terminal has no sync cursor yet: it takes a snapshot of head office first"
        )
    after = parse_cursor(cursor)
    if limit < 1:
        raise ValueError(f"a pull asks for at least one change, not {limit}")
    purged = _purged_through(conn)
    if purged is not None and after < purged:
        raise CursorExpiredError(
            f"cursor {cursor} is older than deletions head office no longer keeps "
            f"(up to {format_cursor(*purged)}); the terminal takes a fresh snapshot"
        )
    d = documents.c
    mark = literal_column(PG_WATERMARK) if is_postgresql(conn) else sqlite_watermark_subquery()
    # The watermark is read in the same statement as the rows, so in the same snapshot:
    # a transaction that took its txid before others but commits after them is still
    # running, hence at or above the mark, and waits for a later pull.
    rows = conn.execute(
        select(d.rank, d.uuid, d.data, d.deleted, d.txid, d.seq)
        .where(d.txid >= after[0], (d.txid > after[0]) | (d.seq > after[1]), d.txid < mark)
        .order_by(d.txid, d.seq)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    kinds = ENTITY_KINDS
    changes = [change_json(kinds[r[0]], r[1], r[2], r[3], r[4], r[5]) for r in rows]
    last = (rows[-1][4], rows[-1][5]) if rows else after
    return FeedPage(changes, format_cursor(*last), more)


def snapshot_page(conn: Connection, page: str, limit: int) -> SnapshotChunk:
    """One page of every live document; ``page`` "" begins a snapshot, and each answer's
    ``page`` continues it. ValueError (readable) for a malformed page token.

    The openings of a page are the customers' on it: per account, the sum of the ledger
    entries with txid below the snapshot's watermark."""
    if limit < 1:
        raise ValueError(f"a snapshot page holds at least one document, not {limit}")
    if page == "":
        mark, rank, after = watermark(conn), _SNAPSHOT_RANKS[0], ""
    else:
        match = _PAGE.match(page)
        if match is None or int(match[2]) not in _SNAPSHOT_RANKS:
            shown = page if len(page) <= 60 else page[:57] + "..."
            raise ValueError(f"not a snapshot page token: {shown!r}; start again with page=''")
        mark, rank, after = int(match[1]), int(match[2]), match[3]
    d = documents.c
    changes: list[str] = []
    customers: tuple[str, str] | None = None  # the first and last customer on the page
    index = _SNAPSHOT_RANKS.index(rank)
    while True:
        current, room = _SNAPSHOT_RANKS[index], limit - len(changes)
        rows = conn.execute(
            select(d.uuid, d.data, d.txid, d.seq)
            .where(d.rank == current, d.uuid > after, d.deleted.is_(False))
            .order_by(d.uuid)
            .limit(room + 1)
        ).all()
        goes_on = len(rows) > room
        rows = rows[:room]
        entity = ENTITY_KINDS[current]
        changes += [change_json(entity, r[0], r[1], False, r[2], r[3]) for r in rows]
        if current == _CUSTOMER_RANK and rows:
            customers = (rows[0][0], rows[-1][0])
        if goes_on:  # this entity continues after the page's last document
            rank, after, done = current, rows[-1][0], False
            break
        index, after = index + 1, ""
        if index == len(_SNAPSHOT_RANKS):
            done = True
            break
        if len(changes) == limit:  # full, exactly at the end of an entity: the next starts
            rank, done = _SNAPSHOT_RANKS[index], False
            break
    return SnapshotChunk(
        changes_json=changes,
        openings=_openings(conn, customers, mark),
        page="" if done else f"s1:{mark}:{rank}:{after}",
        done=done,
        cursor=format_cursor(mark - 1, CURSOR_MAX_SEQ),
    )


def _openings(conn: Connection, customers: tuple[str, str] | None, mark: int) -> list[Opening]:
    """The openings of the customers from ``customers[0]`` to ``customers[1]``: every
    customer between them by uuid with entries is on the page (a deleted customer has
    none), so a range reads them off the ledger's index."""
    if customers is None:
        return []
    e = ledger.c
    rows = conn.execute(
        select(e.customer_uuid, e.account, func.sum(e.amount), func.sum(e.lifetime_delta))
        .where(e.customer_uuid >= customers[0], e.customer_uuid <= customers[1], e.txid < mark)
        .group_by(e.customer_uuid, e.account)
        .order_by(e.customer_uuid, e.account)
    )
    return [
        Opening(customer_uuid=c, account=a, amount=int(amount), lifetime_points=int(life))
        for c, a, amount, life in rows
    ]


def purge_tombstones(conn: Connection, older_than: datetime) -> int:
    """Delete tombstones deleted before ``older_than``; cursors from before the newest of
    them then get CursorExpiredError. Returns how many went."""
    d = documents.c
    old = (d.deleted.is_(True), d.deleted_at < older_than)
    newest = conn.execute(
        select(d.txid, d.seq).where(*old).order_by(d.txid.desc(), d.seq.desc()).limit(1)
    ).first()
    if newest is None:
        return 0
    purged = _purged_through(conn)
    through = max((int(newest.txid), int(newest.seq)), purged or (0, 0))
    statement = upsert_statement(conn, sync_meta)
    value = f"{through[0]}:{through[1]}"
    conn.execute(
        statement.values(key=PURGED_THROUGH, value=value).on_conflict_do_update(
            index_elements=[sync_meta.c.key], set_={"value": value}
        )
    )
    return int(conn.execute(delete(documents).where(*old)).rowcount)


def _purged_through(conn: Connection) -> tuple[int, int] | None:
    value = conn.execute(
        select(sync_meta.c.value).where(sync_meta.c.key == PURGED_THROUGH)
    ).scalar()
    if value is None:
        return None
    txid, seq = str(value).split(":")
    return int(txid), int(seq)
