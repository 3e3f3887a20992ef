"""The print queue on the ``print_jobs`` table (SQLAlchemy Core).

Every change starts with its UPDATE or INSERT, so the transaction holds the write lock
before it reads anything: safe from a printer's thread beside the store's writer (a
deferred transaction that read first could not upgrade to a write under WAL). Waiting
jobs are read through the partial index ``ix_print_jobs_pending``. A job's copy mark
(COPY, REPRINT) travels in its payload under ``copy_mark``, where the layout reads it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, literal, select, update
from sqlalchemy.orm import Session

from app.domain.ids import new_uuid7
from app.services.print_ports import (
    PARTIAL_NOTE,
    REPRINT,
    ClaimedJob,
    JobStatus,
    QueuedJob,
)
from app.store.tab_schema import print_jobs
from app.store.types import UTCDateTime

MARK_KEY = "copy_mark"
_p = print_jobs.c
_UNPRINTED = (JobStatus.PENDING.value, JobStatus.PRINTING.value)
_LISTED = (_p.uuid, _p.kind, _p.tab_uuid, _p.created_at, _p.status, _p.attempts)
_LISTED_TAIL = (_p.last_error, _p.printed_at, _p.payload)


def _dumps(payload: Mapping[str, object]) -> str:
    return json.dumps(payload, default=str, ensure_ascii=False, sort_keys=True)


def _loads(text: str) -> dict[str, Any]:
    loaded = json.loads(text)
    return loaded if isinstance(loaded, dict) else {}


def _mark(payload: Mapping[str, object]) -> str | None:
    mark = payload.get(MARK_KEY)
    return mark if isinstance(mark, str) and mark else None


def _queued(row: Row[Any]) -> QueuedJob:
    payload = _loads(row.payload)
    number = payload.get("number")
    return QueuedJob(
        uuid=row.uuid,
        kind=row.kind,
        tab_uuid=row.tab_uuid,
        created_at=row.created_at,
        status=JobStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
        copy_mark=_mark(payload),
        printed_at=row.printed_at,
        tab_number=number if isinstance(number, int) else None,
    )


class SqlPrintQueue:
    """Implements :class:`app.services.print_ports.PrintQueue`."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def waiting(self, kinds: Collection[str] | None = None, limit: int = 100) -> list[QueuedJob]:
        query = select(*_LISTED, *_LISTED_TAIL).where(_p.status.in_(_UNPRINTED))
        if kinds is not None:
            query = query.where(_p.kind.in_(sorted(kinds)))
        rows = self._session.execute(query.order_by(_p.id).limit(limit))
        return [_queued(row) for row in rows]

    def claim(self, job_uuid: str) -> ClaimedJob | None:
        row = self._session.execute(
            update(print_jobs)
            .where(_p.uuid == job_uuid, _p.status == JobStatus.PENDING.value)
            .values(status=JobStatus.PRINTING.value, attempts=_p.attempts + 1)
            .returning(_p.uuid, _p.kind, _p.tab_uuid, _p.payload, _p.attempts)
        ).one_or_none()
        if row is None:
            return None
        payload = _loads(row.payload)
        mark = _mark(payload)
        payload.pop(MARK_KEY, None)
        return ClaimedJob(row.uuid, row.kind, row.tab_uuid, payload, row.attempts, mark)

    def release(self, job_uuid: str, reason: str, *, possibly_partial: bool) -> None:
        row = self._session.execute(
            update(print_jobs)
            .where(_p.uuid == job_uuid, _p.status == JobStatus.PRINTING.value)
            .values(status=JobStatus.PENDING.value, last_error=reason[:300])
            .returning(_p.uuid, _p.payload)
        ).one_or_none()
        if row is not None and possibly_partial:
            self._mark_reprint([row])

    def _mark_reprint(self, rows: Sequence[Row[Any]]) -> None:
        for row in rows:
            payload = _loads(row.payload)
            if _mark(payload) is None:  # a COPY stays a COPY: it says so already
                payload[MARK_KEY] = REPRINT
                self._session.execute(
                    update(print_jobs).where(_p.uuid == row.uuid).values(payload=_dumps(payload))
                )

    def mark_printed(self, job_uuid: str, at: datetime) -> None:
        self._session.execute(
            update(print_jobs)
            .where(_p.uuid == job_uuid)
            .values(status=JobStatus.PRINTED.value, printed_at=at, last_error="")
        )

    def recover_interrupted(self) -> list[str]:
        rows = self._session.execute(
            update(print_jobs)
            .where(_p.status == JobStatus.PRINTING.value)
            .values(status=JobStatus.PENDING.value, last_error=PARTIAL_NOTE)
            .returning(_p.uuid, _p.payload)
        ).all()
        self._mark_reprint(rows)
        return [row.uuid for row in rows]

    def get(self, job_uuid: str) -> QueuedJob | None:
        row = self._session.execute(
            select(*_LISTED, *_LISTED_TAIL).where(_p.uuid == job_uuid)
        ).one_or_none()
        return None if row is None else _queued(row)

    def latest_for_tab(self, tab_uuid: str, kind: str) -> QueuedJob | None:
        row = self._session.execute(
            select(*_LISTED, *_LISTED_TAIL)
            .where(_p.tab_uuid == tab_uuid, _p.kind == kind)
            .order_by(_p.id.desc())
            .limit(1)
        ).one_or_none()
        return None if row is None else _queued(row)

    def recent(self, kind: str, limit: int = 50) -> list[QueuedJob]:
        rows = self._session.execute(
            select(*_LISTED, *_LISTED_TAIL)
            .where(_p.kind == kind)
            .order_by(_p.id.desc())
            .limit(limit)
        )
        return [_queued(row) for row in rows]

    def add_copy(self, job_uuid: str, mark: str, at: datetime) -> str:
        copy_uuid = new_uuid7()
        # INSERT … SELECT first, so the write lock is held before anything is read.
        source = select(
            _p.kind, _p.tab_uuid, _p.payload, literal(copy_uuid), literal(at, UTCDateTime())
        ).where(_p.uuid == job_uuid)
        self._session.execute(
            insert(print_jobs).from_select(
                ["kind", "tab_uuid", "payload", "uuid", "created_at"], source
            )
        )
        text = self._session.execute(select(_p.payload).where(_p.uuid == copy_uuid)).scalar_one()
        payload = _loads(text)
        payload[MARK_KEY] = mark
        self._session.execute(
            update(print_jobs).where(_p.uuid == copy_uuid).values(payload=_dumps(payload))
        )
        return copy_uuid
