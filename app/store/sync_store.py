"""The terminal's side of sync in its store: implements app.services.sync_ports.SyncStore.

Each method is one short transaction. The sync engine (app.sync) calls them from its
worker thread; they never hold the store longer than one page of documents takes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.domain.ids import new_uuid7
from app.services.sync_ports import (
    IncomingChange,
    OpeningBalance,
    OpOutcome,
    OutgoingOp,
    SyncCounts,
    SyncState,
)
from app.store.sync_apply import apply_documents
from app.store.sync_apply_snapshot import (
    MARK,
    drop_what_head_office_no_longer_has,
    stage_openings,
    swap_openings,
)
from app.store.sync_schema import sync_state
from app.store.tab_schema import outbox

_o = outbox.c
_STATE_FIELDS = (
    "node",
    "server_url",
    "terminal_uuid",
    "terminal_name",
    "cursor",
    "snapshot_page",
    "snapshot_cursor",
    "last_sync_at",
    "last_error",
)
_EXTRA = "extra"
_LAST_STAMP = "_last_stamp"
PENDING, DONE, REJECTED = "pending", "done", "rejected"
_DONE_STATUSES = frozenset({"applied", "duplicate"})


class SqlSyncStore:
    """Implements :class:`app.services.sync_ports.SyncStore` on the terminal's store."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._session_factory = session_factory
        self._clock = clock

    # State -----------------------------------------------------------------------------

    def state(self) -> SyncState:
        """The sync bookkeeping; the node is made (a UUIDv7) and kept on first use."""
        with self._session_factory() as session:
            values = read_state(session.connection())
            if not values.get("node"):
                values["node"] = new_uuid7()
                write_state(session.connection(), {"node": values["node"]})
                session.commit()
        return _state_of(values)

    def last_stamp(self) -> str:
        """The greatest clock stamp this store knows, "" for none: of its outbox and of
        the documents pulled from head office (kept as they are applied)."""
        with self._session_factory() as session:
            conn = session.connection()
            issued = conn.execute(select(func.max(_o.hlc))).scalar()
            observed = conn.execute(
                select(sync_state.c.value).where(sync_state.c.key == _LAST_STAMP)
            ).scalar()
        return max(str(issued or ""), str(observed or ""))

    def save_state(self, state: SyncState) -> None:
        values = {name: getattr(state, name) for name in _STATE_FIELDS}
        values["last_sync_at"] = (
            "" if state.last_sync_at is None else state.last_sync_at.isoformat()
        )
        values[_EXTRA] = json.dumps(dict(state.extra), sort_keys=True)
        with self._session_factory() as session:
            write_state(session.connection(), values)
            session.commit()

    # The outbox ------------------------------------------------------------------------

    def pending(self, limit: int) -> Sequence[OutgoingOp]:
        """Unacknowledged operations, oldest first. Handing them out marks them sent, so
        a merge whose operations may have reached head office is no longer undone."""
        with self._session_factory() as session:
            rows = session.execute(
                select(
                    _o.id,
                    _o.uuid,
                    _o.kind,
                    _o.entity_uuid,
                    _o.created_at,
                    _o.hlc,
                    _o.payload,
                    _o.sent_at,
                )
                .where(_o.status == PENDING)
                .order_by(_o.id)
                .limit(limit)
            ).all()
            fresh = [row.id for row in rows if row.sent_at is None]
            if fresh:
                session.execute(
                    update(outbox).where(_o.id.in_(fresh)).values(sent_at=self._clock())
                )
                session.commit()
            return [
                OutgoingOp(
                    id=row.uuid,
                    kind=row.kind,
                    entity_uuid=row.entity_uuid,
                    created_at=row.created_at,
                    hlc=row.hlc,
                    payload=json.loads(row.payload),
                )
                for row in rows
            ]

    def acknowledge(self, outcomes: Sequence[OpOutcome], txid: int, at: datetime) -> None:
        """Applied or duplicate: done. Rejected: kept, with head office's reason."""
        done = [o.id for o in outcomes if o.status in _DONE_STATUSES]
        rejected = [o for o in outcomes if o.status not in _DONE_STATUSES]
        with self._session_factory() as session:
            if done:
                session.execute(
                    update(outbox)
                    .where(_o.uuid.in_(done))
                    .values(status=DONE, acked_at=at, ho_txid=txid, reason="")
                )
            for outcome in rejected:
                reason = outcome.reason or f"head office answered {outcome.status!r}"
                session.execute(
                    update(outbox)
                    .where(_o.uuid == outcome.id)
                    .values(status=REJECTED, acked_at=at, ho_txid=txid, reason=reason)
                )
            session.commit()

    def counts(self) -> SyncCounts:
        with self._session_factory() as session:
            pending, oldest = session.execute(
                select(func.count(), func.min(_o.created_at)).where(_o.status == PENDING)
            ).one()
            rejected = session.scalar(
                select(func.count()).select_from(outbox).where(_o.status == REJECTED)
            )
        return SyncCounts(
            pending=int(pending or 0),
            rejected=int(rejected or 0),
            oldest_pending_at=None if oldest is None else _instant(oldest),
        )

    # Pulled documents ------------------------------------------------------------------

    def apply_changes(self, changes: Sequence[IncomingChange], cursor: str) -> None:
        with self._session_factory() as session:
            conn = session.connection()
            write_state(conn, {"cursor": cursor})  # first: the transaction takes the write lock
            mark = int(read_state(conn).get(MARK) or 0)
            apply_documents(conn, changes, mark)
            _keep_last_stamp(conn, changes)
            session.commit()

    def begin_snapshot(self, cursor: str) -> None:
        with self._session_factory() as session:
            conn = session.connection()
            write_state(conn, {"snapshot_cursor": cursor, "snapshot_page": ""})
            mark = int(read_state(conn).get(MARK) or 0) + 1
            write_state(conn, {MARK: str(mark)})
            conn.exec_driver_sql("DELETE FROM sync_openings_staged")
            session.commit()

    def apply_snapshot_page(
        self,
        changes: Sequence[IncomingChange],
        openings: Sequence[OpeningBalance],
        next_page: str,
    ) -> None:
        with self._session_factory() as session:
            conn = session.connection()
            write_state(conn, {"snapshot_page": next_page})
            mark = int(read_state(conn).get(MARK) or 0)
            apply_documents(conn, changes, mark, bulk=True)
            _keep_last_stamp(conn, changes)
            stage_openings(conn, openings)
            session.commit()

    def finish_snapshot(self) -> None:
        with self._session_factory() as session:
            conn = session.connection()
            write_state(conn, {"snapshot_page": ""})  # first: the write lock, then read
            values = read_state(conn)
            cursor = values.get("snapshot_cursor", "")
            write_state(conn, {"cursor": cursor, "snapshot_cursor": ""})
            swap_openings(conn, _watermark(cursor))
            drop_what_head_office_no_longer_has(conn, int(values.get(MARK) or 0))
            session.commit()


def _watermark(cursor: str) -> int:
    """``W`` of a snapshot's cursor ``"v1:<W-1>:max"``: transactions from it on are not
    in the snapshot's openings."""
    try:
        return int(cursor.split(":")[1]) + 1
    except (IndexError, ValueError):
        return 0


def _keep_last_stamp(conn: Connection, changes: Sequence[IncomingChange]) -> None:
    """Keep the greatest field clock of ``changes`` if it beats the one kept."""
    newest = max(
        (
            str(clock)
            for change in changes
            if isinstance(clocks := change.data.get("clocks"), dict)
            for clock in clocks.values()
        ),
        default="",
    )
    if newest:
        kept = read_state(conn).get(_LAST_STAMP, "")
        if newest > kept:
            write_state(conn, {_LAST_STAMP: newest})


def read_state(connection: Connection) -> dict[str, str]:
    """Every key of the sync state, the store's own (``_``-prefixed) included."""
    return {
        str(k): str(v) for k, v in connection.execute(select(sync_state.c.key, sync_state.c.value))
    }


def write_state(connection: Connection, values: dict[str, str]) -> None:
    if not values:
        return
    connection.execute(delete(sync_state).where(sync_state.c.key.in_(list(values))))
    connection.execute(insert(sync_state), [{"key": k, "value": v} for k, v in values.items()])


def _instant(value: object) -> datetime:
    # func.min() over a UTC text column comes back as the stored text.
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value)).astimezone(UTC)


def _state_of(values: dict[str, str]) -> SyncState:
    last = values.get("last_sync_at", "")
    return SyncState(
        node=values["node"],
        server_url=values.get("server_url", ""),
        terminal_uuid=values.get("terminal_uuid", ""),
        terminal_name=values.get("terminal_name", ""),
        cursor=values.get("cursor", ""),
        snapshot_page=values.get("snapshot_page", ""),
        snapshot_cursor=values.get("snapshot_cursor", ""),
        last_sync_at=datetime.fromisoformat(last) if last else None,
        last_error=values.get("last_error", ""),
        extra=json.loads(values.get(_EXTRA) or "{}"),
    )
