"""Reading and writing documents, each write stamped with a new row version.

A document's data is kept as compact JSON text, exactly as terminals receive it. Reads
meant for a change lock the row on PostgreSQL (``FOR UPDATE``), so two pushes editing
the same customer at once merge one after the other instead of losing an edit. A new
document is inserted, never upserted: two pushes creating the same one at once make the
second fail on the key, and the caller runs that batch again (RetryBatchError).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    String,
    and_,
    any_,
    bindparam,
    select,
    update,
)

from headoffice.bulk import bulk_insert
from headoffice.row_versions import current_txid, next_seqs
from headoffice.schema import ENTITY_RANK, documents, is_postgresql

_d = documents.c
_LOAD = select(_d.data, _d.deleted).where(
    _d.rank == bindparam("l_rank"), _d.uuid == bindparam("l_uuid")
)
_LOAD_FOR_UPDATE = _LOAD.with_for_update()
_UPDATE = (
    update(documents)
    .where(and_(_d.rank == bindparam("b_rank"), _d.uuid == bindparam("b_uuid")))
    .values(
        data=bindparam("b_data"),
        deleted=False,
        deleted_at=None,
        txid=bindparam("b_txid"),
        seq=bindparam("b_seq"),
        updated_at=bindparam("b_at"),
    )
)


@dataclass
class StoredDocument:
    entity: str
    uuid: str
    data: dict[str, Any]
    deleted: bool


def dumps(data: Mapping[str, Any]) -> str:
    """A document as the compact JSON text it is stored and sent as."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def load(
    conn: Connection, entity: str, uuid: str, *, for_update: bool = True
) -> StoredDocument | None:
    """The document, or None when head office has never had it (a tombstone is returned,
    with ``deleted``)."""
    query = _LOAD_FOR_UPDATE if for_update and is_postgresql(conn) else _LOAD
    row = conn.execute(query, {"l_rank": ENTITY_RANK[entity], "l_uuid": uuid}).first()
    if row is None:
        return None
    return StoredDocument(entity, uuid, json.loads(row.data), bool(row.deleted))


def load_many(
    conn: Connection, entity: str, uuids: Iterable[str], *, for_update: bool = False
) -> dict[str, StoredDocument]:
    """The documents among ``uuids`` that exist, by uuid."""
    wanted = sorted(set(uuids))
    if not wanted:
        return {}
    d = documents.c
    query = select(d.uuid, d.data, d.deleted).where(
        d.rank == ENTITY_RANK[entity], among(conn, d.uuid, wanted)
    )
    if for_update and is_postgresql(conn):
        query = query.order_by(d.uuid).with_for_update()
    return {
        row.uuid: StoredDocument(entity, row.uuid, json.loads(row.data), bool(row.deleted))
        for row in conn.execute(query)
    }


def insert_documents(
    conn: Connection,
    entity: str,
    rows: Sequence[tuple[str, str]],
    now: datetime,
) -> None:
    """Insert new documents ``(uuid, data as JSON text)``, each with a new row version."""
    if not rows:
        return
    txid = current_txid(conn)
    seqs = next_seqs(conn, len(rows))
    rank = ENTITY_RANK[entity]
    bulk_insert(
        conn,
        documents,
        [
            {
                "rank": rank,
                "uuid": uuid,
                "data": data,
                "deleted": False,
                "deleted_at": None,
                "txid": txid,
                "seq": seq,
                "updated_at": now,
            }
            for (uuid, data), seq in zip(rows, seqs, strict=True)
        ],
    )


def update_documents(
    conn: Connection,
    entity: str,
    rows: Sequence[tuple[str, str]],
    now: datetime,
) -> None:
    """Replace existing documents ``(uuid, data as JSON text)`` with a new row version."""
    if not rows:
        return
    txid = current_txid(conn)
    seqs = next_seqs(conn, len(rows))
    rank = ENTITY_RANK[entity]
    conn.execute(
        _UPDATE,
        [
            {"b_rank": rank, "b_uuid": u, "b_data": data, "b_txid": txid, "b_seq": seq, "b_at": now}
            for (u, data), seq in zip(rows, seqs, strict=True)
        ],
    )


def save(
    conn: Connection, entity: str, uuid: str, data: Mapping[str, Any], now: datetime, *, new: bool
) -> None:
    """Write one document: inserted when ``new``, otherwise replaced."""
    rows = [(uuid, dumps(data))]
    if new:
        insert_documents(conn, entity, rows, now)
    else:
        update_documents(conn, entity, rows, now)


def touch(conn: Connection, entity: str, uuid: str, now: datetime) -> None:
    """Give a document a new row version unchanged, so terminals fetch it again."""
    txid = current_txid(conn)
    (seq,) = next_seqs(conn, 1)
    d = documents.c
    conn.execute(
        update(documents)
        .where(d.rank == ENTITY_RANK[entity], d.uuid == uuid)
        .values(txid=txid, seq=seq, updated_at=now)
    )


def tombstone(conn: Connection, entity: str, uuid: str, now: datetime) -> None:
    """Mark a document deleted: its data becomes ``{}`` and it gets a new row version."""
    txid = current_txid(conn)
    (seq,) = next_seqs(conn, 1)
    d = documents.c
    conn.execute(
        update(documents)
        .where(d.rank == ENTITY_RANK[entity], d.uuid == uuid)
        .values(data="{}", deleted=True, deleted_at=now, txid=txid, seq=seq, updated_at=now)
    )


def among(conn: Connection, column: ColumnElement[str], values: list[str]) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL as ``= ANY(array)``, one parameter rather than
    thousands (an import asks about 5,000 uuids at a time)."""
    if is_postgresql(conn):
        return column == any_(bindparam(None, values, type_=ARRAY(String)))
    return column.in_(values)
