"""Applying a terminal's pushed operations, each exactly once (docs/SYNC.md, "Push").

The caller opens the transaction (``with engine.begin() as conn``) and commits it; the
batch is applied in the order given, each operation in a SAVEPOINT of its own, so an
operation that cannot apply is rejected, with a reason, without spoiling the others.
Every operation's answer is kept in ``applied_ops``: a retry gets the same answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.domain.hlc import HybridClock
from app.sync.wire import Operation, OpResult, OpStatus
from headoffice.apply_batch import (
    LEDGER_ENTRY,
    UNFORESEEN,
    apply_ledger_run,
    could_not_apply,
    kept_reason,
    ledger_run_end,
)
from headoffice.apply_customers import (
    apply_customer_deleted,
    apply_customer_note,
    apply_customer_upsert,
)
from headoffice.apply_identifiers import apply_identifier_upsert
from headoffice.apply_ledger import apply_ledger_entry
from headoffice.apply_tabs import apply_tab_closed, apply_tab_reopened
from headoffice.bulk import bulk_insert
from headoffice.customer_merge import apply_customers_merged
from headoffice.documents_store import among, touch
from headoffice.op_context import AlreadyAppliedError, OpContext, OpRejectedError, printable
from headoffice.row_versions import current_txid
from headoffice.schema import applied_ops, is_postgresql

# PostgreSQL states that mean "another transaction got there first": run the batch again.
_RACES = frozenset({"23505", "40P01", "40001"})  # unique violation, deadlock, serialization

_HANDLERS: dict[str, Callable[[OpContext, Operation], None]] = {
    "customer.upsert": lambda ctx, op: apply_customer_upsert(ctx, op.payload),
    "customer.note": lambda ctx, op: apply_customer_note(ctx, op.payload),
    "customer.deleted": lambda ctx, op: apply_customer_deleted(ctx, op.payload),
    "customers.merged": lambda ctx, op: apply_customers_merged(ctx, op.payload),
    "identifier.upsert": lambda ctx, op: apply_identifier_upsert(ctx, op.payload),
    "ledger.entry": lambda ctx, op: apply_ledger_entry(ctx, op.payload),
    "tab.closed": lambda ctx, op: apply_tab_closed(ctx, op.entity_uuid, op.payload),
    "tab.reopened": lambda ctx, op: apply_tab_reopened(ctx, op.payload),
}


class RetryBatchError(Exception):
    """Another push applied some of the same things at the same moment (PostgreSQL only:
    a key taken by a transaction that committed first, or a deadlock). The caller rolls
    the transaction back and applies the whole batch again; nothing of it was kept."""


@dataclass(frozen=True)
class PushOutcome:
    """Each operation's answer, in the order sent, and the transaction they went in."""

    results: list[OpResult]
    txid: int


def apply_push(
    conn: Connection, terminal_uuid: str, ops: Sequence[Operation], clock: HybridClock
) -> PushOutcome:
    """Apply ``ops`` from ``terminal_uuid`` inside the caller's transaction.

    Each operation is answered ``applied``, ``duplicate`` (its id, or its ledger entry's
    uuid, was applied before) or ``rejected`` with a reason naming the field or record.
    Bad input never raises. :class:`RetryBatchError` means the caller must roll back and
    send the batch through again.
    """
    txid = current_txid(conn)  # first, outside every savepoint (see row_versions)
    now = datetime.now(UTC)
    earlier = _answers_given(conn, [op.id for op in ops])
    results: list[OpResult] = []
    records: list[dict[str, Any]] = []  # answers of runs of entries, kept at the end
    start = 0
    while start < len(ops):
        end = start + 1
        if ops[start].kind == LEDGER_ENTRY:
            end = ledger_run_end(ops, start)
            run = ops[start:end]
            ctx = OpContext(conn, terminal_uuid, run[0].id, clock, now)
            outcome = apply_ledger_run(ctx, run, earlier, txid)
            if outcome is not None:
                for op, answer in zip(run, outcome.answers, strict=True):
                    earlier.setdefault(op.id, _repeated(answer))
                results.extend(outcome.answers)
                records.extend(outcome.records)
                start = end
                continue
        for op in ops[start:end]:  # one by one
            results.append(_apply_or_repeat(conn, terminal_uuid, op, clock, now, txid, earlier))
        start = end
    _keep_answers(conn, records)
    return PushOutcome(results, txid)


def _apply_or_repeat(
    conn: Connection,
    terminal_uuid: str,
    op: Operation,
    clock: HybridClock,
    now: datetime,
    txid: int,
    earlier: dict[str, OpResult],
) -> OpResult:
    answer = earlier.get(op.id)
    if answer is None:
        answer = _apply_one(OpContext(conn, terminal_uuid, op.id, clock, now), op, txid)
        earlier[op.id] = _repeated(answer)
    return answer


def _keep_answers(conn: Connection, records: list[dict[str, Any]]) -> None:
    """Write the answers the runs of entries gave. A clash on PostgreSQL means a push
    running at the same time applied one of them and committed: run the batch again."""
    clashes: tuple[type[Exception], ...] = (IntegrityError,)
    if is_postgresql(conn):
        clashes += (conn.dialect.loaded_dbapi.IntegrityError,)
    try:
        bulk_insert(conn, applied_ops, records)
    except clashes as error:
        if is_postgresql(conn):
            raise RetryBatchError(
                "another push applied the same operations at the same moment; send the batch again"
            ) from error
        raise


def _answers_given(conn: Connection, op_ids: Sequence[str]) -> dict[str, OpResult]:
    """What operations already seen were answered, as a repeat answers them."""
    a = applied_ops.c
    found: dict[str, OpResult] = {}
    wanted = sorted(set(op_ids))
    for start in range(0, len(wanted), 1000):
        rows = conn.execute(
            select(a.op_id, a.status, a.reason).where(
                among(conn, a.op_id, wanted[start : start + 1000])
            )
        )
        for row in rows:
            found[row.op_id] = _repeated(
                OpResult(id=row.op_id, status=row.status, reason=row.reason)
            )
    return found


def _repeated(answer: OpResult) -> OpResult:
    """Applied once, an operation is a duplicate ever after; a rejection stays one."""
    if answer.status is OpStatus.APPLIED:
        return OpResult(id=answer.id, status=OpStatus.DUPLICATE)
    return answer


class _Savepoint:
    """SAVEPOINT by name, as both databases spell it. SQLAlchemy's begin_nested numbers
    each one anew, so it compiled two statements per operation, most of a push's time."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        conn.exec_driver_sql("SAVEPOINT ho_operation")

    def commit(self) -> None:
        self._conn.exec_driver_sql("RELEASE SAVEPOINT ho_operation")

    def rollback(self) -> None:
        self._conn.exec_driver_sql("ROLLBACK TO SAVEPOINT ho_operation")
        self._conn.exec_driver_sql("RELEASE SAVEPOINT ho_operation")


def _apply_one(ctx: OpContext, op: Operation, txid: int) -> OpResult:
    conn = ctx.conn
    savepoint = _Savepoint(conn)
    try:
        _record(ctx, op, OpStatus.APPLIED, "", txid)
    except IntegrityError:
        savepoint.rollback()
        if is_postgresql(conn):  # a push running at the same time applied it and committed
            return OpResult(id=op.id, status=OpStatus.DUPLICATE)
        raise
    try:
        handler = _HANDLERS.get(op.kind)
        if handler is None:
            raise OpRejectedError(
                f"head office does not know operation kind {op.kind!r}; update head office "
                "or the terminal so both speak the same protocol"
            )
        handler(ctx, op)
    except OpRejectedError as rejection:
        savepoint.rollback()
        for entity, uuid in rejection.resend:
            touch(conn, entity, uuid, ctx.now)
        return _settle(ctx, op, OpStatus.REJECTED, str(rejection), txid)
    except AlreadyAppliedError:
        savepoint.rollback()
        return _settle(ctx, op, OpStatus.DUPLICATE, "", txid)
    except DBAPIError as error:
        savepoint.rollback()
        state = str(getattr(error.orig, "sqlstate", "") or "") if is_postgresql(conn) else ""
        if state in _RACES:
            raise RetryBatchError(
                "another push changed the same records at the same moment; send the batch again"
            ) from error
        if not state.startswith("22"):  # not a value the database refused: a real fault
            raise
        reason = f"head office could not store a value of this operation ({state})"
        return _settle(ctx, op, OpStatus.REJECTED, reason, txid)
    except UNFORESEEN as bug:
        # Input no check foresaw: refuse this operation rather than the whole batch.
        savepoint.rollback()
        return _settle(ctx, op, OpStatus.REJECTED, could_not_apply(bug), txid)
    savepoint.commit()
    return OpResult(id=op.id, status=OpStatus.APPLIED)


def _settle(ctx: OpContext, op: Operation, status: OpStatus, reason: str, txid: int) -> OpResult:
    """Keep an answer other than "applied" (the operation's own savepoint is gone)."""
    reason = kept_reason(reason)
    savepoint = _Savepoint(ctx.conn)
    try:
        _record(ctx, op, status, reason, txid)
    except IntegrityError:
        savepoint.rollback()
        if is_postgresql(ctx.conn):
            return OpResult(id=op.id, status=OpStatus.DUPLICATE)
        raise
    savepoint.commit()
    return OpResult(id=op.id, status=status, reason=reason)


def _record(ctx: OpContext, op: Operation, status: OpStatus, reason: str, txid: int) -> None:
    ctx.conn.execute(
        insert(applied_ops),
        {
            "op_id": op.id,
            "terminal_uuid": ctx.terminal_uuid,
            "kind": printable(op.kind),
            "status": status.value,
            "reason": printable(reason),
            "applied_at": ctx.now,
            "txid": txid,
        },
    )
