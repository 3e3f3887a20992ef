"""The reads behind identification: one customer's card in a couple of indexed queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.dto import CategoryCard, CustomerCard, Restriction
from app.store import schema

_c = schema.customers.c
_CARD_COLUMNS = (
    _c.id,
    _c.full_name,
    _c.alias,
    _c.status,
    _c.status_reason,
    schema.promotion_categories.c.name,
    schema.customer_photos.c.customer_id.is_not(None),
    _c.last_visit_at,
    _c.total_spent_minor,
    _c.order_count,
)
_CARD_FROM = schema.customers.outerjoin(
    schema.promotion_categories,
    schema.promotion_categories.c.id == _c.promotion_category_id,
).outerjoin(schema.customer_photos, schema.customer_photos.c.customer_id == _c.id)


class SqlIdentificationQueries:
    def __init__(self, session: Session) -> None:
        self._session = session

    def customer_card(self, customer_id: int) -> CustomerCard | None:
        cards = self._cards(_c.id == customer_id)
        return cards[0] if cards else None

    def cards_by_phone(self, e164: str) -> list[CustomerCard]:
        owners = select(schema.customer_phones.c.customer_id).where(
            schema.customer_phones.c.e164 == e164
        )
        return self._cards(_c.id.in_(owners), _c.merged_into_id.is_(None))

    def category(self, category_id: int) -> CategoryCard | None:
        p = schema.promotion_categories.c
        row = self._session.execute(
            select(p.id, p.name, p.tab_limit_minor).where(p.id == category_id, p.active)
        ).one_or_none()
        return None if row is None else CategoryCard(row[0], row[1], row[2])

    def _cards(self, *where: Any) -> list[CustomerCard]:
        rows = self._session.execute(
            select(*_CARD_COLUMNS).select_from(_CARD_FROM).where(*where).order_by(_c.id)
        ).all()
        restrictions = self._restrictions([row[0] for row in rows])
        return [
            CustomerCard(
                customer_id=row[0],
                full_name=row[1],
                alias=row[2],
                status=row[3],
                status_reason=row[4],
                promotion_category=row[5],
                has_photo=bool(row[6]),
                restrictions=tuple(restrictions.get(row[0], ())),
                last_visit_at=row[7],
                total_spent_minor=row[8],
                order_count=row[9],
            )
            for row in rows
        ]

    def _restrictions(self, customer_ids: Sequence[int]) -> dict[int, list[Restriction]]:
        if not customer_ids:
            return {}
        r = schema.customer_restrictions.c
        found: dict[int, list[Restriction]] = {}
        for customer_id, kind, name, severity in self._session.execute(
            select(r.customer_id, r.kind, r.name, r.severity)
            .where(r.customer_id.in_(list(customer_ids)))
            .order_by(r.id)
        ):
            found.setdefault(customer_id, []).append(
                Restriction(kind.value, name, severity.value if severity else None)
            )
        return found
