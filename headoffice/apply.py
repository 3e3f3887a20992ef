"""Applying a terminal's pushed operations, each exactly once (docs/SYNC.md, "Push").

The caller opens the transaction (``with engine.begin() as conn``) and commits it; the
batch is applied in the order given, each operation in a SAVEPOINT of its own, so an
operation that cannot apply is rejected, with a reason, without spoiling the others.
Every operation's answer is kept in ``applied_ops``: a retry gets the same answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from app.domain.hlc import HybridClock
from app.sync.wire import Operation, OpResult


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
    raise NotImplementedError
