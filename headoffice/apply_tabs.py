"""``tab.closed`` and ``tab.reopened``: closed tabs are kept as they came, one row per
operation; the latest closing of a tab counts as its customer's visit, and a reopening
withdraws that visit (docs/SYNC.md, "Tabs").

The payload of ``tab.closed`` is the closed tab's view (``view_payload`` plus the
receipt's extras); head office reads only what a visit needs and keeps the rest as sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from app.sync.documents import Field, check_value
from headoffice.customer_figures import (
    Visit,
    read_figures,
    store_figures,
    with_visit,
    without_visit,
)
from headoffice.customer_index import resolve
from headoffice.op_context import UUID_FIELD, OpContext, OpRejectedError, require_keys
from headoffice.row_versions import current_txid
from headoffice.schema import closed_tabs, tab_reopenings

_CLOSED = {  # what a visit needs; the view's other keys are kept but not read
    "uuid": Field("uuid"),
    "closed_at": Field("instant", required=True, nullable=False),
    "paid_minor": Field("int", required=True, nullable=False),
    "guests": Field("int"),
    "customer_uuid": Field("uuid"),
    "lines": Field("list", nullable=False),
    "payments": Field("list", nullable=False),
}
_LINE = {
    "quantity": Field("int", required=True, nullable=False),
    "voided": Field("bool"),
    "item_uuid": Field("uuid"),
}
_PAYMENT = {"method": Field("text", required=True, nullable=False, max_length=40)}
_REOPENED = {"tab_uuid": UUID_FIELD}
MAX_PAYLOAD_CHARS = 2_000_000


def apply_tab_closed(ctx: OpContext, entity_uuid: str, payload: Mapping[str, Any]) -> None:
    for name, spec in _CLOSED.items():
        if name not in payload:
            if spec.required:
                raise OpRejectedError(f"the closed tab needs {name}")
            continue
        problem = check_value(name, spec, payload[name])
        if problem is not None:
            raise OpRejectedError(f"the closed tab: {problem}")
    tab_uuid = payload.get("uuid") or entity_uuid
    visit = _visit(payload)
    text = json.dumps(payload, ensure_ascii=False, default=str)
    if len(text) > MAX_PAYLOAD_CHARS:
        raise OpRejectedError(f"the closed tab is too large ({len(text)} characters)")
    conn = ctx.conn
    customer_uuid = payload.get("customer_uuid")
    visitor: str | None = None
    if customer_uuid is not None:
        ref = resolve(conn, customer_uuid)
        if ref is None:
            raise OpRejectedError(f"customer {customer_uuid} is unknown at head office")
        if ref.deleted:
            raise OpRejectedError(
                f"customer {ref.full_name} ({ref.uuid}) was deleted at head office"
            )
        visitor = ref.uuid
    _withdraw_visit(ctx, tab_uuid)  # the latest closing of a tab is the one that counts
    guests = payload.get("guests")
    conn.execute(
        insert(closed_tabs).values(
            op_id=ctx.op_id,
            tab_uuid=tab_uuid,
            terminal_uuid=ctx.terminal_uuid,
            customer_uuid=customer_uuid,
            visit_customer_uuid=visitor,
            closed_at=visit.at,
            paid_minor=visit.spent_minor,
            guests=guests if isinstance(guests, int) else 0,
            visit=visit.to_json(),
            payload=text,
            counted=visitor is not None,
            txid=current_txid(conn),
        )
    )
    if visitor is not None:
        figures = with_visit(read_figures(conn, visitor), visit)
        store_figures(conn, visitor, figures, ctx.now)


def apply_tab_reopened(ctx: OpContext, payload: Mapping[str, Any]) -> None:
    require_keys(payload, _REOPENED, "tab.reopened")
    _withdraw_visit(ctx, payload["tab_uuid"])
    ctx.conn.execute(
        insert(tab_reopenings).values(
            op_id=ctx.op_id,
            tab_uuid=payload["tab_uuid"],
            terminal_uuid=ctx.terminal_uuid,
            at=ctx.now,
        )
    )


def _visit(payload: Mapping[str, Any]) -> Visit:
    if payload["paid_minor"] < 0:
        raise OpRejectedError("the closed tab: paid_minor cannot be below zero")
    items: dict[str, int] = {}
    for index, line in enumerate(payload.get("lines", []), start=1):
        _check_item(line, _LINE, f"line {index}")
        if line.get("voided") or not line.get("item_uuid"):
            continue
        if line["quantity"] <= 0:
            raise OpRejectedError(f"the closed tab: line {index} quantity must be above zero")
        items[line["item_uuid"]] = items.get(line["item_uuid"], 0) + line["quantity"]
    methods: list[str] = []
    for index, payment in enumerate(payload.get("payments", []), start=1):
        _check_item(payment, _PAYMENT, f"payment {index}")
        if payment["method"] not in methods:
            methods.append(payment["method"])
    at = datetime.fromisoformat(payload["closed_at"])
    return Visit(at, payload["paid_minor"], items, methods)


def _check_item(item: object, specs: Mapping[str, Field], what: str) -> None:
    if not isinstance(item, dict):
        raise OpRejectedError(f"the closed tab: {what} must be an object")
    for name, spec in specs.items():
        if name not in item:
            if spec.required:
                raise OpRejectedError(f"the closed tab: {what} needs {name}")
            continue
        problem = check_value(name, spec, item[name])
        if problem is not None:
            raise OpRejectedError(f"the closed tab: {what} {problem}")


def _withdraw_visit(ctx: OpContext, tab_uuid: str) -> None:
    """Take back the visit of the tab's closing that counts now, if one does."""
    conn = ctx.conn
    c = closed_tabs.c
    row = conn.execute(
        select(c.op_id, c.visit_customer_uuid, c.visit).where(
            c.tab_uuid == tab_uuid, c.counted.is_(True)
        )
    ).first()
    if row is None:
        return
    conn.execute(update(closed_tabs).where(c.op_id == row.op_id).values(counted=False))
    ref = resolve(conn, row.visit_customer_uuid)
    if ref is None or ref.deleted:
        return
    figures = without_visit(
        conn, ref.uuid, read_figures(conn, ref.uuid), Visit.from_json(row.visit)
    )
    store_figures(conn, ref.uuid, figures, ctx.now)
