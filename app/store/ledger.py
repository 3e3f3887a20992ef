"""The ledger, customer statistics, the outbox and print jobs, through SQLAlchemy Core."""

from __future__ import annotations

import heapq
import json
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from app.domain.ids import new_uuid7
from app.domain.ledger import AccountKind, Balances, EntryKind, LedgerEntry
from app.domain.loyalty import FAVOURITES, CustomerStats
from app.domain.payments import PaymentMethod
from app.services.tab_ports import AlreadyReversedError
from app.store import schema
from app.store.sync_schema import sync_openings
from app.store.tab_schema import customer_stats, ledger_entries, outbox, print_jobs

_l = ledger_entries.c
_ENTRY_FIELDS = tuple(c.name for c in ledger_entries.columns if c.name != "id")
_s = customer_stats.c
_customer: BindParameter[int] = bindparam("customer_key")

# Built once: SQLAlchemy then reuses each statement's cache key and compiled form, where a
# statement built per call costs more to construct and key than SQLite takes to run it.
_INSERT_ENTRY = insert(ledger_entries)
_op = sync_openings.c
# A balance is head office's opening (brought forward by the last snapshot) plus the
# entries this store holds: those since, and its own not yet acknowledged.
_AMOUNTS = union_all(
    select(_l.account, _l.amount).where(_l.customer_id == _customer),
    select(_op.account, _op.amount).where(_op.customer_id == _customer),
).subquery()
_BALANCES = select(_AMOUNTS.c.account, func.sum(_AMOUNTS.c.amount)).group_by(_AMOUNTS.c.account)
_members: BindParameter[list[int]] = bindparam("member_keys", expanding=True)
# The customer and those merged into it: a merge moves balances by transfers, while the
# points each customer earned stay theirs, so a survivor's tier counts its merged ones'.
_MEMBERS = select(schema.customers.c.id).where(schema.customers.c.merged_into_id == _customer)
_LIFETIME_POINTS = select(func.sum(_l.amount)).where(
    _l.customer_id.in_(_members),
    _l.account == AccountKind.POINTS.value,
    or_(
        _l.kind == EntryKind.EARN.value,
        and_(
            _l.kind == EntryKind.REVERSE.value,
            _l.reverses_uuid.in_(
                select(_l.uuid).where(_l.customer_id.in_(_members), _l.kind == EntryKind.EARN.value)
            ),
        ),
    ),
)
_OPENING_LIFETIME = select(func.sum(_op.lifetime_points)).where(
    _op.customer_id.in_(_members), _op.account == AccountKind.POINTS.value
)
_FOR_TAB = select(ledger_entries).where(_l.tab_uuid == bindparam("tab_key")).order_by(_l.id)
_REVERSED = select(_l.reverses_uuid).where(
    _l.reverses_uuid.in_(bindparam("entry_uuids", expanding=True))
)
_STATS = select(customer_stats).where(_s.customer_id == _customer)
_UPDATE_STATS = update(customer_stats).where(_s.customer_id == _customer)
_INSERT_STATS = insert(customer_stats)
_DIRECTORY_FIGURES = update(schema.customers).where(schema.customers.c.id == _customer)
_INSERT_OPERATION = insert(outbox)
_INSERT_PRINT_JOB = insert(print_jobs)


def _json(payload: Mapping[str, object]) -> str:
    return json.dumps(payload, default=str, ensure_ascii=False, sort_keys=True)


def _entry(row: Any) -> LedgerEntry:
    values = {name: getattr(row, name) for name in _ENTRY_FIELDS}
    values["account"] = AccountKind(values["account"])
    values["kind"] = EntryKind(values["kind"])
    return LedgerEntry(id=row.id, **values)


class SqlLedger:
    """Implements :class:`app.services.tab_ports.Ledger`. Entries are only ever added."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, entry: LedgerEntry) -> None:
        row = {n: getattr(entry, n) for n in _ENTRY_FIELDS}
        if entry.reverses_uuid is None:
            self._session.execute(_INSERT_ENTRY, row)
            return
        # Only a reversal can clash (unique reverses_uuid); a savepoint keeps the
        # transaction usable when another till reversed the entry first.
        try:
            with self._session.begin_nested():
                self._session.execute(_INSERT_ENTRY, row)
        except IntegrityError as clash:
            if self.get(entry.uuid) is None and self._reversal_of(entry.reverses_uuid):
                raise AlreadyReversedError(entry.reverses_uuid) from clash
            raise

    def _reversal_of(self, entry_uuid: str) -> bool:
        found = self._session.scalar(select(_l.id).where(_l.reverses_uuid == entry_uuid))
        return found is not None

    def get(self, entry_uuid: str) -> LedgerEntry | None:
        row = self._session.execute(
            select(ledger_entries).where(_l.uuid == entry_uuid)
        ).one_or_none()
        return None if row is None else _entry(row)

    def balances(self, customer_id: int) -> Balances:
        sums: dict[str, int] = {
            str(account): int(total or 0)
            for account, total in self._session.execute(_BALANCES, {"customer_key": customer_id})
        }
        return Balances(
            points=int(sums.get(AccountKind.POINTS, 0) or 0),
            purse_minor=int(sums.get(AccountKind.PURSE, 0) or 0),
        )

    def balance(self, customer_id: int, account: AccountKind) -> int:
        held = self.balances(customer_id)
        return held.points if account is AccountKind.POINTS else held.purse_minor

    def lifetime_points(self, customer_id: int) -> int:
        members = [customer_id, *self._session.scalars(_MEMBERS, {"customer_key": customer_id})]
        total = self._session.scalar(_LIFETIME_POINTS, {"member_keys": members})
        opening = self._session.scalar(_OPENING_LIFETIME, {"member_keys": members})
        return int(total or 0) + int(opening or 0)

    def entries(
        self,
        customer_id: int,
        limit: int = 200,
        *,
        offset: int = 0,
        account: AccountKind | None = None,
    ) -> list[LedgerEntry]:
        query = select(ledger_entries).where(_l.customer_id == customer_id)
        if account is not None:
            query = query.where(_l.account == account.value)
        rows = self._session.execute(query.order_by(_l.id.desc()).limit(limit).offset(offset))
        return [_entry(row) for row in rows]

    def for_tab(self, tab_uuid: str) -> list[LedgerEntry]:
        rows = self._session.execute(_FOR_TAB, {"tab_key": tab_uuid})
        return [_entry(row) for row in rows]

    def reversed_uuids(self, entry_uuids: Collection[str]) -> frozenset[str]:
        if not entry_uuids:
            return frozenset()
        found = self._session.scalars(_REVERSED, {"entry_uuids": list(entry_uuids)})
        return frozenset(str(u) for u in found)

    def discard(self, entry_uuids: Collection[str]) -> None:
        if entry_uuids:
            self._session.execute(delete(ledger_entries).where(_l.uuid.in_(list(entry_uuids))))

    def restore(self, entry_ids: Collection[int], customer_id: int) -> None:
        if entry_ids:
            self._session.execute(
                update(ledger_entries)
                .where(_l.id.in_(list(entry_ids)))
                .values(customer_id=customer_id)
            )


class SqlCustomerStats:
    """Implements :class:`app.services.tab_ports.CustomerStatsStore`."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, customer_id: int) -> CustomerStats:
        found = self.find(customer_id)
        return CustomerStats(customer_id=customer_id) if found is None else found

    def find(self, customer_id: int) -> CustomerStats | None:
        row = self._session.execute(_STATS, {"customer_key": customer_id}).one_or_none()
        if row is None:
            return None
        counts = {int(k): int(v) for k, v in json.loads(row.item_counts).items()}
        return CustomerStats(
            customer_id=customer_id,
            visits=row.visits,
            total_spent_minor=row.total_spent_minor,
            first_visit=row.first_visit_at,
            last_visit=row.last_visit_at,
            item_counts=counts,
            favourite_items=tuple(
                heapq.nlargest(FAVOURITES, counts.items(), key=lambda e: (e[1], -e[0]))
            ),
            payment_counts={
                PaymentMethod(k): int(v) for k, v in json.loads(row.payment_counts).items()
            },
            rule_units={str(k): int(v) for k, v in json.loads(row.rule_units).items()},
        )

    def save(self, stats: CustomerStats) -> None:
        self.put(stats)
        # The directory sorts and filters on these three columns of customers.
        self._session.execute(
            _DIRECTORY_FIGURES,
            {
                "customer_key": stats.customer_id,
                "last_visit_at": stats.last_visit,
                "total_spent_minor": stats.total_spent_minor,
                "order_count": stats.visits,
            },
        )

    def put(self, stats: CustomerStats) -> None:
        if stats.customer_id is None:
            raise ValueError("customer statistics need their customer")
        values = {
            "visits": stats.visits,
            "total_spent_minor": stats.total_spent_minor,
            "first_visit_at": stats.first_visit,
            "last_visit_at": stats.last_visit,
            "item_counts": json.dumps({str(k): v for k, v in stats.item_counts.items()}),
            "payment_counts": json.dumps({str(k): v for k, v in stats.payment_counts.items()}),
            "rule_units": json.dumps(dict(stats.rule_units)),
        }
        changed = self._session.execute(
            _UPDATE_STATS, {"customer_key": stats.customer_id, **values}
        )
        if changed.rowcount == 0:  # type: ignore[attr-defined]
            self._session.execute(_INSERT_STATS, {"customer_id": stats.customer_id, **values})

    def remove(self, customer_id: int) -> None:
        self._session.execute(
            delete(customer_stats).where(customer_stats.c.customer_id == customer_id)
        )


class SqlOutbox:
    """Implements :class:`app.services.tab_ports.Outbox`."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def append(
        self,
        kind: str,
        entity_uuid: str,
        payload: Mapping[str, object],
        at: datetime,
        *,
        hlc: str = "",
    ) -> str:
        operation_id = new_uuid7()
        self._session.execute(
            _INSERT_OPERATION,
            {
                "uuid": operation_id,
                "kind": kind,
                "entity_uuid": entity_uuid,
                "payload": _json(payload),
                "created_at": at,
                "hlc": hlc,
            },
        )
        return operation_id

    def pending(self, limit: int = 500) -> list[tuple[str, str, str]]:
        o = outbox.c
        rows = self._session.execute(
            select(o.uuid, o.kind, o.payload)
            .where(o.status == "pending")
            .order_by(o.id)
            .limit(limit)
        )
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    def handed_out(self, operation_ids: Collection[str]) -> bool:
        if not operation_ids:
            return False
        o = outbox.c
        found = self._session.scalar(
            select(literal(1))
            .where(
                o.uuid.in_(list(operation_ids)),
                or_(o.sent_at.is_not(None), o.status != "pending"),
            )
            .limit(1)
        )
        return found is not None

    def withdraw(self, operation_ids: Collection[str]) -> None:
        if operation_ids:
            self._session.execute(delete(outbox).where(outbox.c.uuid.in_(list(operation_ids))))


class SqlPrintJobs:
    """Implements :class:`app.services.tab_ports.PrintJobs`."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, kind: str, tab_uuid: str, payload: Mapping[str, object], at: datetime) -> str:
        job_uuid = new_uuid7()
        self._session.execute(
            _INSERT_PRINT_JOB,
            {
                "uuid": job_uuid,
                "kind": kind,
                "tab_uuid": tab_uuid,
                "payload": _json(payload),
                "created_at": at,
            },
        )
        return job_uuid

    def for_tab(self, tab_uuid: str) -> list[tuple[str, str, str]]:
        p = print_jobs.c
        rows = self._session.execute(
            select(p.uuid, p.kind, p.status).where(p.tab_uuid == tab_uuid).order_by(p.id)
        )
        return [(str(a), str(b), str(c)) for a, b, c in rows]
