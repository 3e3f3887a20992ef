"""Repositories: the store's side of the service ports, on one SQLAlchemy session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.domain.audit import AuditEntry
from app.domain.catalogue import PromotionCategory
from app.domain.customers import Customer
from app.domain.identifiers import IN_USE_STATUSES, Identifier, IdentifierKind
from app.domain.staff import StaffMember
from app.domain.text import fold
from app.services.dto import AccountHolder, ActivityCounts, IdentifierHit
from app.store import schema
from app.store.tab_schema import guest_tabs, ledger_entries

_IN_USE = [s.value for s in IN_USE_STATUSES]


class SqlCustomerRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, customer: Customer) -> None:
        self._session.add(customer)

    def get(self, customer_id: int) -> Customer | None:
        return self._session.get(Customer, customer_id)

    def get_by_uuid(self, uuid: str) -> Customer | None:
        return self._session.scalars(
            select(Customer).where(schema.customers.c.uuid == uuid)
        ).one_or_none()

    def delete(self, customer: Customer) -> None:
        self._session.delete(customer)

    def by_alias(self, alias: str) -> Customer | None:
        return self._session.scalars(
            select(Customer).where(schema.customers.c.alias_folded == fold(alias))
        ).one_or_none()

    def by_phone(self, e164: str) -> Sequence[Customer]:
        owner_ids = select(schema.customer_phones.c.customer_id).where(
            schema.customer_phones.c.e164 == e164
        )
        return self._session.scalars(
            select(Customer).where(schema.customers.c.id.in_(owner_ids))
        ).all()

    def by_email(self, normalised: str) -> Sequence[Customer]:
        owner_ids = select(schema.customer_emails.c.customer_id).where(
            schema.customer_emails.c.normalised == normalised
        )
        return self._session.scalars(
            select(Customer).where(schema.customers.c.id.in_(owner_ids))
        ).all()

    def activity(self, customer_id: int) -> ActivityCounts:
        def count(column: ColumnElement[int]) -> ScalarSelect[int]:
            return select(func.count()).where(column == customer_id).scalar_subquery()

        tabs, visits, entries = self._session.execute(
            select(
                count(guest_tabs.c.customer_id),
                count(schema.visits.c.customer_id),
                count(ledger_entries.c.customer_id),
            )
        ).one()
        return ActivityCounts(tabs=int(tabs), visits=int(visits), ledger_entries=int(entries))

    def move_history(self, from_id: int, to_id: int) -> list[int]:
        v = schema.visits.c
        moved = list(self._session.scalars(select(v.id).where(v.customer_id == from_id)))
        if moved:
            self._session.execute(
                update(schema.visits).where(v.id.in_(moved)).values(customer_id=to_id)
            )
        return moved

    def restore_history(self, visit_ids: Sequence[int], to_id: int) -> None:
        if visit_ids:
            self._session.execute(
                update(schema.visits)
                .where(schema.visits.c.id.in_(list(visit_ids)))
                .values(customer_id=to_id)
            )

    def move_tabs(self, from_id: int, to_id: int) -> list[int]:
        t = guest_tabs.c
        moved = list(self._session.scalars(select(t.id).where(t.customer_id == from_id)))
        if moved:
            self._session.execute(
                update(guest_tabs).where(t.id.in_(moved)).values(customer_id=to_id)
            )
        return moved

    def restore_tabs(self, tab_ids: Sequence[int], to_id: int) -> None:
        if tab_ids:
            self._session.execute(
                update(guest_tabs)
                .where(guest_tabs.c.id.in_(list(tab_ids)))
                .values(customer_id=to_id)
            )

    def account_holder(self, customer_id: int) -> AccountHolder | None:
        c = schema.customers.c
        row = self._session.execute(
            select(
                c.id,
                c.uuid,
                c.full_name,
                c.kind,
                c.status,
                c.merged_into_id,
                c.credit_limit_minor,
                c.tab_limit_minor,
            ).where(c.id == customer_id)
        ).one_or_none()
        return None if row is None else AccountHolder(*row)

    def set_limits(
        self,
        customer_id: int,
        credit_limit_minor: int | None,
        tab_limit_minor: int | None,
        at: datetime,
        by: str,
    ) -> None:
        self._session.execute(
            update(schema.customers)
            .where(schema.customers.c.id == customer_id)
            .values(
                credit_limit_minor=credit_limit_minor,
                tab_limit_minor=tab_limit_minor,
                updated_at=at,
                updated_by=by,
            )
        )

    def count(self) -> int:
        return int(self._session.scalar(select(func.count()).select_from(schema.customers)) or 0)

    def photo(self, customer_id: int) -> tuple[bytes, int, int] | None:
        p = schema.customer_photos.c
        row = self._session.execute(
            select(p.jpeg, p.width, p.height).where(p.customer_id == customer_id)
        ).one_or_none()
        return None if row is None else (row[0], row[1], row[2])

    def save_photo(self, customer_id: int, jpeg: bytes, width: int, height: int) -> None:
        self.remove_photo(customer_id)
        self._session.execute(
            insert(schema.customer_photos).values(
                customer_id=customer_id, jpeg=jpeg, width=width, height=height
            )
        )

    def remove_photo(self, customer_id: int) -> None:
        self._session.execute(
            delete(schema.customer_photos).where(
                schema.customer_photos.c.customer_id == customer_id
            )
        )


class SqlIdentifierRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, identifier: Identifier) -> None:
        self._session.add(identifier)

    def get(self, identifier_id: int) -> Identifier | None:
        return self._session.get(Identifier, identifier_id)

    def in_use(self, kind: IdentifierKind, value: str) -> Identifier | None:
        i = schema.identifiers.c
        return self._session.scalars(
            select(Identifier).where(i.kind == kind, i.value == value, i.status.in_(_IN_USE))
        ).one_or_none()

    def lookup(self, kind: IdentifierKind, value: str) -> IdentifierHit | None:
        i, c = schema.identifiers.c, schema.customers.c
        row = self._session.execute(
            select(
                i.id,
                i.kind,
                i.value,
                i.status,
                i.expires_at,
                i.customer_id,
                c.full_name,
                c.status,
                func.coalesce(i.promotion_category_id, c.promotion_category_id),
            )
            .select_from(schema.identifiers.outerjoin(schema.customers))
            .where(i.kind == kind, i.value == value, i.status.in_(_IN_USE))
        ).one_or_none()
        if row is None:
            return None
        return IdentifierHit(
            identifier_id=row[0],
            kind=row[1],
            value=row[2],
            status=row[3],
            expires_at=row[4],
            customer_id=row[5],
            customer_name=row[6],
            customer_status=row[7],
            promotion_category_id=row[8],
        )

    def count(self) -> int:
        return int(self._session.scalar(select(func.count()).select_from(schema.identifiers)) or 0)


class SqlAuditLog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, entry: AuditEntry) -> None:
        self._session.add(entry)

    def for_entity(self, entity_uuid: str, limit: int = 100) -> Sequence[AuditEntry]:
        a = schema.audit_log.c
        return self._session.scalars(
            select(AuditEntry)
            .where(a.entity_uuid == entity_uuid)
            .order_by(a.at.desc(), a.id.desc())
            .limit(limit)
        ).all()


class SqlCatalogue:
    def __init__(self, session: Session) -> None:
        self._session = session

    def promotion_categories(self) -> Sequence[PromotionCategory]:
        p = schema.promotion_categories.c
        return self._session.scalars(
            select(PromotionCategory).order_by(p.priority.desc(), p.name)
        ).all()

    def promotion_category(self, category_id: int) -> PromotionCategory | None:
        return self._session.get(PromotionCategory, category_id)

    def add(self, item: object) -> None:
        self._session.add(item)


class SqlStaffDirectory:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, member: StaffMember) -> None:
        self._session.add(member)

    def by_uuid(self, uuid: str) -> StaffMember | None:
        return self._session.scalars(
            select(StaffMember).where(schema.staff.c.uuid == uuid)
        ).one_or_none()

    def all(self) -> Sequence[StaffMember]:
        return self._session.scalars(select(StaffMember).order_by(schema.staff.c.name)).all()
