"""The reads behind identification: one customer's card in a few indexed queries.

The card row, then for all the cards at once: restrictions, the balances (head office's
openings plus the ledger's sums, an index-only read of the covering balance index) and
open tabs. No ORM objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.ledger import AccountKind, EntryKind
from app.domain.tab_parts import TabStatus
from app.services.dto import CategoryCard, CustomerCard, OpenTabRef, Restriction
from app.store import schema
from app.store.sync_schema import sync_openings
from app.store.tab_schema import guest_tabs, ledger_entries

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


@dataclass
class _Accounts:
    points: int = 0
    purse_minor: int = 0
    lifetime_points: int = 0


_NO_ACCOUNTS = _Accounts()


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
        ids = [row[0] for row in rows]
        restrictions = self._restrictions(ids)
        accounts = self._accounts(ids)
        tabs = self._open_tabs(ids)
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
                points=accounts.get(row[0], _NO_ACCOUNTS).points,
                purse_minor=accounts.get(row[0], _NO_ACCOUNTS).purse_minor,
                lifetime_points=accounts.get(row[0], _NO_ACCOUNTS).lifetime_points,
                open_tabs=tuple(tabs.get(row[0], ())),
            )
            for row in rows
        ]

    def _accounts(self, customer_ids: Sequence[int]) -> dict[int, _Accounts]:
        """Balances are head office's openings plus the entries held here; lifetime points
        count those of the customers merged into each (their earnings stay theirs)."""
        if not customer_ids:
            return {}
        owner = {key: key for key in customer_ids}
        c = schema.customers.c
        for merged, survivor in self._session.execute(
            select(c.id, c.merged_into_id).where(c.merged_into_id.in_(list(customer_ids)))
        ):
            owner.setdefault(merged, survivor)
        members = list(owner)
        e, o = ledger_entries.c, sync_openings.c
        sums: dict[int, _Accounts] = {}
        for customer_id, account, amount, lifetime in self._session.execute(
            select(o.customer_id, o.account, o.amount, o.lifetime_points).where(
                o.customer_id.in_(members)
            )
        ):
            found = sums.setdefault(owner[customer_id], _Accounts())
            if customer_id == owner[customer_id]:
                if account == AccountKind.PURSE.value:
                    found.purse_minor += int(amount)
                else:
                    found.points += int(amount)
            if account == AccountKind.POINTS.value:
                found.lifetime_points += int(lifetime)
        reversals = False
        for customer_id, account, kind, total in self._session.execute(
            select(e.customer_id, e.account, e.kind, func.sum(e.amount))
            .where(e.customer_id.in_(members))
            .group_by(e.customer_id, e.account, e.kind)
        ):
            found = sums.setdefault(owner[customer_id], _Accounts())
            amount = int(total or 0)
            own = customer_id == owner[customer_id]
            if account is AccountKind.PURSE:
                found.purse_minor += amount if own else 0
                continue
            found.points += amount if own else 0
            if kind is EntryKind.EARN:
                found.lifetime_points += amount
            reversals = reversals or kind is EntryKind.REVERSE
        if reversals:  # earnings reversed (a reopened tab) no longer count towards a tier
            earned = ledger_entries.alias("earned")
            for customer_id, total in self._session.execute(
                select(e.customer_id, func.sum(e.amount))
                .join(earned, earned.c.uuid == e.reverses_uuid)
                .where(
                    e.customer_id.in_(members),
                    e.account == AccountKind.POINTS.value,
                    e.kind == EntryKind.REVERSE.value,
                    earned.c.kind == EntryKind.EARN.value,
                )
                .group_by(e.customer_id)
            ):
                sums[owner[customer_id]].lifetime_points += int(total or 0)
        return sums

    def _open_tabs(self, customer_ids: Sequence[int]) -> dict[int, list[OpenTabRef]]:
        if not customer_ids:
            return {}
        t, d, v = guest_tabs.c, schema.dining_tables.c, schema.divisions.c
        found: dict[int, list[OpenTabRef]] = {}
        for customer_id, uuid, number, table, division in self._session.execute(
            select(t.customer_id, t.uuid, t.number, d.number, v.name)
            .select_from(
                guest_tabs.outerjoin(schema.dining_tables, d.id == t.table_id).outerjoin(
                    schema.divisions, v.id == t.division_id
                )
            )
            .where(t.customer_id.in_(list(customer_ids)), t.status == TabStatus.OPEN.value)
            .order_by(t.number)
        ):
            found.setdefault(customer_id, []).append(OpenTabRef(uuid, number, table, division))
        return found

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
