"""What head office holds at the end of a run, read through its data core: every live
document as a snapshot hands it out (``headoffice.feed.snapshot_page``), each customer's
balances (``headoffice.feed.balances``), and the rows that say what was applied (the
operations' answers, ledger entries, closed tabs)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from headoffice import feed
from headoffice.engine import open_engine
from headoffice.schema import applied_ops, closed_tabs, ledger

SNAPSHOT_PAGE = 500


@dataclass
class HeadOfficeView:
    documents: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    balances: dict[str, dict[str, int]] = field(default_factory=dict)  # customer uuid ->
    answers: dict[str, tuple[str, str]] = field(default_factory=dict)  # op id -> status, reason
    ledger_uuids: set[str] = field(default_factory=set)
    ledger_rows_per_op: Counter[str] = field(default_factory=Counter)
    closed_tab_ops: set[str] = field(default_factory=set)
    closings_per_tab: Counter[str] = field(default_factory=Counter)

    def customer(self, uuid: str) -> dict[str, Any] | None:
        return self.documents.get("customer", {}).get(uuid)

    def survivor(self, uuid: str) -> str:
        """The customer ``uuid`` ends up as once merges are followed."""
        seen: set[str] = set()
        while uuid not in seen:
            seen.add(uuid)
            doc = self.customer(uuid)
            target = None if doc is None else doc.get("merged_into_uuid")
            if not target:
                return uuid
            uuid = str(target)
        return uuid


def read_head_office(database_url: str) -> HeadOfficeView:
    engine = open_engine(database_url)
    try:
        with engine.connect() as conn, conn.begin():
            return _read(conn)
    finally:
        engine.dispose()


def _read(conn: Connection) -> HeadOfficeView:
    view = HeadOfficeView()
    page = ""
    while True:
        chunk = feed.snapshot_page(conn, page, SNAPSHOT_PAGE)
        for raw in chunk.changes_json:
            change = json.loads(raw)
            if not change.get("deleted"):
                view.documents.setdefault(change["entity"], {})[change["uuid"]] = change["data"]
        if chunk.done:
            break
        page = chunk.page
    for uuid in view.documents.get("customer", {}):
        view.balances[uuid] = dict(feed.balances(conn, uuid))
    for op_id, status, reason in conn.execute(
        select(applied_ops.c.op_id, applied_ops.c.status, applied_ops.c.reason)
    ):
        view.answers[str(op_id)] = (str(status), str(reason or ""))
    for uuid, op_id in conn.execute(select(ledger.c.uuid, ledger.c.op_id)):
        view.ledger_uuids.add(str(uuid))
        if op_id is not None:
            view.ledger_rows_per_op[str(op_id)] += 1
    for op_id, tab_uuid in conn.execute(select(closed_tabs.c.op_id, closed_tabs.c.tab_uuid)):
        view.closed_tab_ops.add(str(op_id))
        view.closings_per_tab[str(tab_uuid)] += 1
    return view
