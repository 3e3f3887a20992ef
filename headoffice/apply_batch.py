"""A run of consecutive ``ledger.entry`` operations applied together, with the answers
and effects of applying them one by one (docs/SYNC.md, "Push").

Points earned and redeemed are most of what terminals push, and one by one each cost
about ten statements. A run is checked in Python first (a bad entry is rejected without
touching the database), then asks the database three questions (entries known already,
customers after merges, the kinds of entries reversed), then writes every entry, its
document and each touched balance once, reading the balances back to find overdrafts
entry by entry, in order. Should the writes fail, they are rolled back and the caller
applies the run one operation at a time, as before: the same answers, the same faults.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import StatementError

from app.domain.errors import DomainError
from app.sync.documents import LEDGER_ENTRY_FIELDS
from app.sync.wire import Operation, OpResult, OpStatus
from headoffice.apply_ledger import (
    Posting,
    add_to_balances_returning,
    checked_entry,
    lifetime_given,
    overdraft_review,
    refused_customer,
    write_entries,
)
from headoffice.bulk import bulk_insert
from headoffice.customer_index import CustomerRef, live_ends
from headoffice.documents_store import among
from headoffice.op_context import OpContext, OpRejectedError, printable, require_keys
from headoffice.schema import ledger, overdraft_reviews

LEDGER_ENTRY = "ledger.entry"
MAX_REASON_CHARS = 1000
# What applying one operation may raise on input no check foresaw: it is refused.
UNFORESEEN = (StatementError, DomainError, ValueError, TypeError, KeyError, ArithmeticError)
_BIGINT = range(-(2**63), 2**63)
_CHUNK = 1000


@dataclass(frozen=True)
class RunOutcome:
    """Each operation's answer, in order, and the ``applied_ops`` rows still to write."""

    answers: list[OpResult]
    records: list[dict[str, Any]]


@dataclass
class _Entry:
    """A checked entry of the run: where it stands in the run and its document."""

    index: int
    op: Operation
    data: dict[str, Any]


def kept_reason(reason: str) -> str:
    """A rejection's reason as it is kept and answered: printable, at most 1,000 chars."""
    reason = printable(reason)
    return reason if len(reason) <= MAX_REASON_CHARS else reason[: MAX_REASON_CHARS - 3] + "..."


def could_not_apply(bug: Exception) -> str:
    """The reason given for an operation that raised what no check foresaw."""
    return f"head office could not apply this operation ({type(bug).__name__}: {bug})"


def answer_row(ctx: OpContext, op: Operation, answer: OpResult, txid: int) -> dict[str, Any]:
    """The ``applied_ops`` row that keeps ``answer`` to ``op``."""
    return {
        "op_id": op.id,
        "terminal_uuid": ctx.terminal_uuid,
        "kind": printable(op.kind),
        "status": answer.status.value,
        "reason": printable(answer.reason),
        "applied_at": ctx.now,
        "txid": txid,
    }


def ledger_run_end(ops: Sequence[Operation], start: int) -> int:
    """Where the run of ``ledger.entry`` operations from ``start`` ends: at another kind,
    or at an operation id seen already in the run (its answer depends on the first)."""
    ids: set[str] = set()
    end = start
    while end < len(ops) and ops[end].kind == LEDGER_ENTRY and ops[end].id not in ids:
        ids.add(ops[end].id)
        end += 1
    return end


def apply_ledger_run(
    ctx: OpContext, ops: Sequence[Operation], earlier: Mapping[str, OpResult], txid: int
) -> RunOutcome | None:
    """Apply ``ops`` (``ledger.entry`` each, ids distinct) as one by one would; None when
    the run must be applied one by one after all (nothing of it was kept)."""
    answers: dict[int, OpResult] = {}
    entries: list[_Entry] = []
    for index, op in enumerate(ops):
        given = earlier.get(op.id)
        if given is not None:
            answers[index] = given
            continue
        try:
            require_keys(op.payload, LEDGER_ENTRY_FIELDS, "the ledger entry")
            data = checked_entry(op.payload)
        except OpRejectedError as rejection:
            answers[index] = _refused(op, str(rejection))
            continue
        except UNFORESEEN as bug:
            answers[index] = _refused(op, could_not_apply(bug))
            continue
        if data["amount"] not in _BIGINT:
            return None  # the database refuses it: one by one gives the reason
        entries.append(_Entry(index, op, data))
    conn = ctx.conn
    known = _known_entries(conn, [e.data["uuid"] for e in entries])
    refs = live_ends(conn, [e.data["customer_uuid"] for e in entries])
    reversed_kinds = _kinds(conn, [e.data["reverses_uuid"] or "" for e in entries])
    postings: list[Posting] = []
    totals: dict[tuple[str, str], list[int]] = {}
    spending: list[tuple[_Entry, CustomerRef, tuple[str, str], int]] = []
    for e in entries:
        data = e.data
        if data["uuid"] in known:
            answers[e.index] = OpResult(id=e.op.id, status=OpStatus.DUPLICATE)
            continue
        ref = refs.get(data["customer_uuid"])
        refusal = refused_customer(data["customer_uuid"], ref)
        if refusal is not None or ref is None:
            answers[e.index] = _refused(e.op, refusal or "")
            continue
        data["customer_uuid"] = ref.uuid
        lifetime = lifetime_given(data, reversed_kinds.get(data["reverses_uuid"] or ""))
        pair = (ref.uuid, data["account"])
        total = totals.setdefault(pair, [0, 0])
        total[0] += int(data["amount"])
        total[1] += lifetime
        spending.append((e, ref, pair, total[0]))
        postings.append(Posting(data, lifetime, e.op.id, ctx.terminal_uuid))
        known.add(data["uuid"])
        reversed_kinds[data["uuid"]] = data["kind"]  # a later entry may reverse this one
        answers[e.index] = OpResult(id=e.op.id, status=OpStatus.APPLIED)
    if postings and not _write(ctx, postings, totals, spending):
        return None
    in_order = [answers[index] for index in range(len(ops))]
    records = [
        answer_row(ctx, op, answer, txid)
        for op, answer in zip(ops, in_order, strict=True)
        if op.id not in earlier
    ]
    return RunOutcome(in_order, records)


def _write(
    ctx: OpContext,
    postings: Sequence[Posting],
    totals: Mapping[tuple[str, str], Sequence[int]],
    spending: Sequence[tuple[_Entry, CustomerRef, tuple[str, str], int]],
) -> bool:
    """Write the run's entries, balances and overdraft reviews in a savepoint; False
    (rolled back) when the database refused any of it."""
    conn = ctx.conn
    conn.exec_driver_sql("SAVEPOINT ho_ledger_run")
    try:
        write_entries(conn, postings, ctx.now)
        after = add_to_balances_returning(conn, totals)
        reviews = []
        for e, ref, pair, so_far in spending:
            balance = after[pair] - totals[pair][0] + so_far  # just after this entry
            review = overdraft_review(e.data, ref, balance, ctx)
            if review is not None:
                reviews.append(review)
        bulk_insert(conn, overdraft_reviews, reviews)
    # Any failure at all (COPY raises the driver's own errors): one by one decides.
    except Exception:
        conn.exec_driver_sql("ROLLBACK TO SAVEPOINT ho_ledger_run")
        conn.exec_driver_sql("RELEASE SAVEPOINT ho_ledger_run")
        return False
    conn.exec_driver_sql("RELEASE SAVEPOINT ho_ledger_run")
    return True


def _refused(op: Operation, reason: str) -> OpResult:
    return OpResult(id=op.id, status=OpStatus.REJECTED, reason=kept_reason(reason))


def _known_entries(conn: Connection, uuids: Sequence[str]) -> set[str]:
    """Which of ``uuids`` the ledger holds already."""
    wanted = sorted(set(uuids))
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found.update(conn.scalars(select(ledger.c.uuid).where(among(conn, ledger.c.uuid, chunk))))
    return found


def _kinds(conn: Connection, uuids: Sequence[str]) -> dict[str, str]:
    """The kind of each entry among ``uuids`` the ledger holds."""
    wanted = sorted({u for u in uuids if u})
    found: dict[str, str] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = conn.execute(
            select(ledger.c.uuid, ledger.c.kind).where(among(conn, ledger.c.uuid, chunk))
        )
        found.update({row.uuid: row.kind for row in rows})
    return found
