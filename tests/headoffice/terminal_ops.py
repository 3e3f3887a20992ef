"""Operations as a terminal writes them, and ways to look at head office's state, for
the head-office tests. Each terminal has its own hybrid clock on a hand-moved wall."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from app.domain.hlc import HybridClock
from app.domain.ids import new_uuid7
from app.sync.wire import ENTITY_KINDS, Change, Operation, OpStatus
from headoffice.apply import PushOutcome, apply_push
from headoffice.feed import pull, snapshot_page
from headoffice.row_versions import watermark
from headoffice.schema import ENTITY_RANK, documents

WATERMARK_WAIT_S = 60.0

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class ManualTime:
    """A wall clock moved by hand."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class Terminal:
    """A till that writes operations the way the terminal's services do."""

    def __init__(self, name: str = "till", at: datetime = START) -> None:
        self.uuid = new_uuid7()
        self.name = name
        self.time = ManualTime(at)
        self.clock = HybridClock(self.uuid, self.time)

    def op(self, kind: str, entity_uuid: str, payload: dict[str, Any]) -> Operation:
        return Operation(
            id=new_uuid7(),
            kind=kind,
            entity_uuid=entity_uuid,
            created_at=self.time.now,
            hlc=str(self.clock.now()),
            payload=payload,
        )

    def edit(self, entity: str, uuid: str, fields: dict[str, Any]) -> Operation:
        stamp = str(self.clock.now())
        key = "customer_uuid" if entity == "customer" else "identifier_uuid"
        return self.op(
            f"{entity}.upsert",
            uuid,
            {key: uuid, "fields": fields, "clocks": dict.fromkeys(fields, stamp)},
        )

    def new_customer(
        self, name: str, phone: str = "", uuid: str = "", **extra: Any
    ) -> tuple[str, Operation]:
        uuid = uuid or new_uuid7()
        first, _, last = name.partition(" ")
        fields: dict[str, Any] = {
            "kind": "individual",
            "full_name": name,
            "first_name": first,
            "last_name": last,
            "status": "active",
            "created_at": self.time.now.isoformat(),
            "phones": [{"e164": phone, "kind": "mobile", "primary": True}] if phone else [],
            "emails": [],
        }
        fields.update(extra)
        return uuid, self.edit("customer", uuid, fields)

    def new_card(
        self, customer_uuid: str | None, value: str, kind: str = "smart_card", **extra: Any
    ) -> tuple[str, Operation]:
        uuid = new_uuid7()
        fields: dict[str, Any] = {
            "kind": kind,
            "value": value,
            "customer_uuid": customer_uuid,
            "status": "active",
            "issued_at": self.time.now.isoformat(),
        }
        fields.update(extra)
        return uuid, self.edit("identifier", uuid, fields)

    def entry(
        self, customer_uuid: str, account: str, kind: str, amount: int, **extra: Any
    ) -> Operation:
        uuid = extra.pop("uuid", new_uuid7())
        payload: dict[str, Any] = {
            "uuid": uuid,
            "customer_uuid": customer_uuid,
            "account": account,
            "kind": kind,
            "amount": amount,
            "at": self.time.now.isoformat(),
            "tab_uuid": None,
            "terminal": self.name,
            "staff_uuid": "00000000-0000-7000-8000-000000000001",
            "reason": "",
            "reverses_uuid": None,
        }
        payload.update(extra)
        return self.op("ledger.entry", uuid, payload)

    def closed_tab(
        self,
        customer_uuid: str | None,
        paid_minor: int,
        *,
        tab_uuid: str = "",
        items: Sequence[tuple[str, int]] = (),
        methods: Sequence[str] = ("card",),
    ) -> Operation:
        """A ``tab.closed`` payload shaped like ``view_payload`` (with the receipt's
        extras), as json.dumps(default=str) leaves it in the outbox."""
        tab_uuid = tab_uuid or new_uuid7()
        closed = str(self.time.now)  # str(datetime), as the outbox writes it
        payload: dict[str, Any] = {
            "uuid": tab_uuid,
            "number": 7,
            "status": "closed",
            "terminal": self.name,
            "guests": 2,
            "division_name": "Terrace",
            "customer_id": 12,
            "opened_at": closed,
            "closed_at": closed,
            "lines": [
                {
                    "uuid": new_uuid7(),
                    "item_id": 3,
                    "item_uuid": item,
                    "quantity": qty,
                    "voided": False,
                    "name": "Pint",
                }
                for item, qty in items
            ],
            "payments": [
                {"uuid": new_uuid7(), "method": m, "amount_minor": paid_minor // len(methods)}
                for m in methods
            ],
            "paid_minor": paid_minor,
            "total_minor": paid_minor,
            "waiter_name": "Wendy",
            "customer_uuid": customer_uuid,
        }
        return self.op("tab.closed", tab_uuid, payload)

    def later(self, seconds: float) -> None:
        self.time.now += timedelta(seconds=seconds)


def push(
    engine: Engine, terminal: Terminal, ops: Sequence[Operation], clock: HybridClock
) -> PushOutcome:
    with engine.begin() as conn:
        return apply_push(conn, terminal.uuid, ops, clock)


def statuses(outcome: PushOutcome) -> list[str]:
    return [r.status.value for r in outcome.results]


def reasons(outcome: PushOutcome) -> list[str]:
    return [r.reason for r in outcome.results if r.status is OpStatus.REJECTED]


def document(engine: Engine, entity: str, uuid: str) -> dict[str, Any] | None:
    """A document's data as terminals would receive it (None when head office has none)."""
    d = documents.c
    with engine.connect() as conn:
        text = conn.execute(
            select(d.data).where(d.rank == ENTITY_RANK[entity], d.uuid == uuid)
        ).scalar()
    return None if text is None else json.loads(text)


def all_documents(engine: Engine) -> dict[tuple[str, str], dict[str, Any]]:
    """Every live document, keyed by (entity, uuid)."""
    d = documents.c
    with engine.connect() as conn:
        rows = conn.execute(select(d.rank, d.uuid, d.data).where(d.deleted.is_(False))).all()
    return {(ENTITY_KINDS[r.rank], r.uuid): json.loads(r.data) for r in rows}


def wait_for_watermark(engine: Engine) -> None:
    """Wait until every transaction that wrote a document so far is below the watermark.

    On PostgreSQL the watermark is the oldest transaction running anywhere on the
    cluster, and other engineers' tests share it: a pull meanwhile rightly answers less.
    """
    if engine.dialect.name != "postgresql":
        return  # SQLite: every committed write is below the watermark at once
    with engine.connect() as conn:
        newest = conn.scalar(select(func.max(documents.c.txid))) or 0
        deadline = time.monotonic() + WATERMARK_WAIT_S
        while watermark(conn) <= newest:
            conn.rollback()
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"a transaction on the PostgreSQL cluster ran for {WATERMARK_WAIT_S} s"
                )
            time.sleep(0.01)  # polling the condition: no event says a transaction ended


def pull_all(engine: Engine, cursor: str, limit: int = 3) -> tuple[list[Change], str]:
    """Every change after ``cursor`` written so far, page by page; the changes and the
    last cursor."""
    wait_for_watermark(engine)
    changes: list[Change] = []
    while True:
        with engine.connect() as conn:
            page = pull(conn, cursor, limit)
        changes += [Change.model_validate_json(c) for c in page.changes_json]
        cursor = page.cursor
        if not page.more:
            return changes, cursor


def snapshot_all(engine: Engine, limit: int = 3) -> tuple[list[Change], list[Any], str]:
    """A whole snapshot, page by page: changes, openings and the pull cursor."""
    wait_for_watermark(engine)
    changes: list[Change] = []
    openings: list[Any] = []
    page = ""
    while True:
        with engine.connect() as conn:
            chunk = snapshot_page(conn, page, limit)
        changes += [Change.model_validate_json(c) for c in chunk.changes_json]
        openings += chunk.openings
        if chunk.done:
            return changes, openings, chunk.cursor
        page = chunk.page
