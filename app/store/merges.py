"""The merge log: what each merge moved, so a manager can undo it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.domain.ids import new_uuid7
from app.services.dto import MergeRecord
from app.store import schema


class SqlMergeLog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, survivor_id: int, merged_id: int, actor_name: str, moved: str) -> int:
        result = self._session.execute(
            insert(schema.customer_merges)
            .values(
                uuid=new_uuid7(),
                at=datetime.now(UTC),
                actor_name=actor_name,
                survivor_id=survivor_id,
                merged_id=merged_id,
                moved=moved,
            )
            .returning(schema.customer_merges.c.id)
        )
        return int(result.scalar_one())

    def get(self, merge_id: int) -> MergeRecord | None:
        m = schema.customer_merges.c
        row = self._session.execute(
            select(
                m.id, m.uuid, m.at, m.actor_name, m.survivor_id, m.merged_id, m.moved, m.undone_at
            ).where(m.id == merge_id)
        ).one_or_none()
        return None if row is None else MergeRecord(*row)

    def mark_undone(self, merge_id: int) -> None:
        self._session.execute(
            update(schema.customer_merges)
            .where(schema.customer_merges.c.id == merge_id)
            .values(undone_at=datetime.now(UTC))
        )
