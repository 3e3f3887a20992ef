"""Guest tabs in the store, through SQLAlchemy Core.

A tab is read in four indexed queries (tab, lines, payments, attachments) and built into
the domain's objects. Saving writes only what changed since it was read in this unit of
work: the repository keeps the rows it loaded and compares. A line that moved to another
tab (a split or merge) is an update of its ``tab_id``, never a delete and insert.
A tab's lines are in the order they were entered (by key), in memory as when read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.domain.history import Visit
from app.domain.payments import Payment, PaymentMethod
from app.domain.promotions import AttachLevel
from app.domain.tabs import GuestTab, IdentifiedBy, OrderLine, TabAttachment, TabStatus
from app.services.tab_ports import OpenTabRow, TabCustomer
from app.store import schema
from app.store.tab_schema import guest_tabs, tab_attachments, tab_lines, tab_payments


def _fields(table: Table, *skip: str) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns if c.name not in ("id", "tab_id", *skip))


_TAB_FIELDS = _fields(guest_tabs, "total_minor", "discount_minor", "points_earned")
_LINE_FIELDS = _fields(tab_lines)
_PAYMENT_FIELDS = _fields(tab_payments)
_t = guest_tabs.c
_v = schema.visits.c
_c = schema.customers.c
_VISIT_FIELDS = tuple(c.name for c in schema.visits.columns if c is not _v.id)

# Built once: SQLAlchemy then reuses each statement's cache key and compiled form, where a
# statement built per call costs more to construct and key than SQLite takes to run it.
_TAB_BY_UUID = select(guest_tabs).where(_t.uuid == bindparam("tab_uuid"))
_LINES_OF = (  # the key, then the fields in _LINE_FIELDS' order
    select(tab_lines.c.id, *(tab_lines.c[n] for n in _LINE_FIELDS))
    .where(tab_lines.c.tab_id == bindparam("tab_key"))
    .order_by(tab_lines.c.id)
)
_PAYMENTS_OF = (
    select(tab_payments)
    .where(tab_payments.c.tab_id == bindparam("tab_key"))
    .order_by(tab_payments.c.id)
)
_ATTACHMENTS_OF = (
    select(tab_attachments)
    .where(tab_attachments.c.tab_id == bindparam("tab_key"))
    .order_by(tab_attachments.c.id)
)
_CUSTOMER = select(
    _c.id,
    _c.uuid,
    _c.full_name,
    _c.status,
    _c.date_of_birth,
    _c.promotion_category_id,
    _c.credit_limit_minor,
    _c.tab_limit_minor,
).where(_c.id == bindparam("customer_id"))
_CARD_CATEGORY = select(schema.identifiers.c.promotion_category_id).where(
    schema.identifiers.c.id == bindparam("identifier_id")
)
_INSERT_VISIT = insert(schema.visits)
_INSERT_LINES = insert(tab_lines)
_INSERT_PAYMENTS = insert(tab_payments)
_INSERT_ATTACHMENTS = insert(tab_attachments)
# SET takes the columns named in the parameters; the key is bound under its own name.
_UPDATE_TAB = update(guest_tabs).where(_t.id == bindparam("tab_key"))
_UPDATE_LINE = update(tab_lines).where(tab_lines.c.uuid == bindparam("line_uuid"))
_RECORD_TOTALS = update(guest_tabs).where(_t.uuid == bindparam("tab_uuid"))
_LINE_KEYS = select(tab_lines.c.uuid, tab_lines.c.id).where(
    tab_lines.c.uuid.in_(bindparam("line_uuids", expanding=True))
)


def _row(obj: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


@dataclass
class _Seen:
    """The rows of one tab as last read or written in this unit of work."""

    tab: dict[str, Any]
    payments: set[str] = field(default_factory=set)
    attachments: list[tuple[str, int, str | None]] = field(default_factory=list)


class SqlGuestTabs:
    """Implements :class:`app.services.tab_ports.GuestTabs`."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._seen: dict[str, _Seen] = {}
        self._lines: dict[str, tuple[int, dict[str, Any]]] = {}  # uuid -> (tab id, row)

    # Reading -----------------------------------------------------------------------

    def get(self, tab_uuid: str) -> GuestTab | None:
        execute = self._session.execute
        row = execute(_TAB_BY_UUID, {"tab_uuid": tab_uuid}).one_or_none()
        if row is None:
            return None
        tab_id = row.id
        key = {"tab_key": tab_id}
        lines = [
            OrderLine(id=r[0], **dict(zip(_LINE_FIELDS, r[1:], strict=True)))
            for r in execute(_LINES_OF, key)
        ]
        payments = [
            Payment(
                id=r.id,
                **{n: getattr(r, n) for n in _PAYMENT_FIELDS if n != "method"},
                method=PaymentMethod(r.method),
            )
            for r in execute(_PAYMENTS_OF, key)
        ]
        attachments = [
            TabAttachment(
                id=r.id, level=AttachLevel(r.level), category_id=r.category_id, target=r.target
            )
            for r in execute(_ATTACHMENTS_OF, key)
        ]
        values = {n: getattr(row, n) for n in _TAB_FIELDS}
        values["identified_by"] = IdentifiedBy(values["identified_by"])
        values["status"] = TabStatus(values["status"])
        tab = GuestTab(id=tab_id, lines=lines, payments=payments, attachments=attachments, **values)
        self._remember(tab)
        return tab

    def next_number(self) -> int:
        return int(self._session.scalar(select(func.coalesce(func.max(_t.number), 0))) or 0) + 1

    def open_tabs(self, division_id: int | None = None) -> list[OpenTabRow]:
        c = schema.customers.c
        query = (
            select(
                _t.uuid,
                _t.number,
                _t.division_id,
                _t.table_id,
                _t.guests,
                c.full_name,
                _t.opened_at,
                _t.waiter_uuid,
            )
            .select_from(guest_tabs.outerjoin(schema.customers, c.id == _t.customer_id))
            .where(_t.status == TabStatus.OPEN.value)
            .order_by(_t.number)
        )
        if division_id is not None:
            query = query.where(_t.division_id == division_id)
        return [OpenTabRow(*row) for row in self._session.execute(query)]

    def customer(self, customer_id: int) -> TabCustomer | None:
        row = self._session.execute(_CUSTOMER, {"customer_id": customer_id}).one_or_none()
        return None if row is None else TabCustomer(*row)

    def card_category(self, identifier_id: int) -> int | None:
        return self._session.scalar(_CARD_CATEGORY, {"identifier_id": identifier_id})

    # Writing -----------------------------------------------------------------------

    def record_visit(self, visit: Visit) -> None:
        self._session.execute(_INSERT_VISIT, {n: getattr(visit, n) for n in _VISIT_FIELDS})

    def remove_visit(self, tab_uuid: str) -> bool:
        result = self._session.execute(
            delete(schema.visits).where(schema.visits.c.tab_uuid == tab_uuid)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def add(self, tab: GuestTab) -> None:
        tab.id = self._session.execute(
            insert(guest_tabs).values(_row(tab, _TAB_FIELDS)).returning(_t.id)
        ).scalar_one()
        self._seen[tab.uuid] = _Seen(tab=_row(tab, _TAB_FIELDS))
        self.save(tab)

    def save(self, tab: GuestTab) -> None:
        if tab.id is None or tab.uuid not in self._seen:
            raise RuntimeError("save() takes a tab read or added in this unit of work")
        seen = self._seen[tab.uuid]
        tab_row = _row(tab, _TAB_FIELDS)
        if tab_row != seen.tab:
            changed = {n: v for n, v in tab_row.items() if seen.tab.get(n) != v}
            self._session.execute(_UPDATE_TAB, {"tab_key": tab.id, **changed})
        self._save_lines(tab.id, tab.lines)
        # Lines read back in the order they were entered (their keys); a merge or a split
        # leaves them in another order in memory, so follow the store's here too.
        tab.lines.sort(key=lambda line: line.id or 0)
        new_payments = [p for p in tab.payments if p.uuid not in seen.payments]
        if new_payments:
            self._session.execute(
                _INSERT_PAYMENTS,
                [{"tab_id": tab.id, **_row(p, _PAYMENT_FIELDS)} for p in new_payments],
            )
        attachments = [(a.level.value, a.category_id, a.target) for a in tab.attachments]
        if attachments != seen.attachments:
            self._session.execute(delete(tab_attachments).where(tab_attachments.c.tab_id == tab.id))
            if attachments:
                self._session.execute(
                    _INSERT_ATTACHMENTS,
                    [
                        {"tab_id": tab.id, "level": lv, "category_id": cat, "target": target}
                        for lv, cat, target in attachments
                    ],
                )
        self._remember(tab)

    def record_totals(
        self, tab_uuid: str, total_minor: int, discount_minor: int, points: int
    ) -> None:
        self._session.execute(
            _RECORD_TOTALS,
            {
                "tab_uuid": tab_uuid,
                "total_minor": total_minor,
                "discount_minor": discount_minor,
                "points_earned": points,
            },
        )

    def _save_lines(self, tab_id: int, lines: list[OrderLine]) -> None:
        fresh: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for line in lines:
            row = _row(line, _LINE_FIELDS)
            known = self._lines.get(line.uuid)
            if known is None:
                fresh.append({"tab_id": tab_id, **row})
            elif known != (tab_id, row):
                changed.append({"line_uuid": line.uuid, "tab_id": tab_id, **row})
        if changed:
            self._session.execute(_UPDATE_LINE, changed)
        if fresh:
            self._session.execute(_INSERT_LINES, fresh)
            # the store's keys, for anyone who reads them later
            ids: dict[str, int] = {
                uuid: line_id
                for uuid, line_id in self._session.execute(
                    _LINE_KEYS, {"line_uuids": [r["uuid"] for r in fresh]}
                )
            }
            for line in lines:
                line.id = ids.get(line.uuid, line.id)

    def _remember(self, tab: GuestTab) -> None:
        assert tab.id is not None
        self._seen[tab.uuid] = _Seen(
            tab=_row(tab, _TAB_FIELDS),
            payments={p.uuid for p in tab.payments},
            attachments=[(a.level.value, a.category_id, a.target) for a in tab.attachments],
        )
        for line in tab.lines:
            self._lines[line.uuid] = (tab.id, _row(line, _LINE_FIELDS))
