"""What head office holds at the end of a run, read through its data core: every live
document as a snapshot hands it out (``headoffice.feed.snapshot_page``), each customer's
balances (``headoffice.feed.balances``), and the rows that say what was applied (the
operations' answers, ledger entries, closed tabs)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from headoffice import feed
from headoffice.engine import open_engine
from headoffice.schema import applied_ops, closed_tabs, ledger
from headoffice.schema import balances as balance_rows

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


def doubled_at_head_office(database_url: str) -> list[str]:
    """What head office holds more than once, read cheaply by SQL: an operation with more
    than one ledger row, a tab closed twice, a balance that is not its ledger's sum, an
    applied ledger operation with no ledger row."""
    engine = open_engine(database_url)
    try:
        with engine.connect() as conn, conn.begin():
            found = [
                f"operation {op}: {n} ledger rows"
                for op, n in conn.execute(
                    select(ledger.c.op_id, func.count())
                    # head office's own entries (a merge's transfer pair) carry the op
                    # that set the merge off but no terminal: not the terminal's entry twice
                    .where(ledger.c.op_id.is_not(None), ledger.c.terminal_uuid.is_not(None))
                    .group_by(ledger.c.op_id)
                    .having(func.count() > 1)
                )
            ]
            found += [
                f"tab {tab}: closed {n} times"
                for tab, n in conn.execute(
                    select(closed_tabs.c.tab_uuid, func.count())
                    .group_by(closed_tabs.c.tab_uuid)
                    .having(func.count() > 1)
                )
            ]
            sums = {
                (str(c), str(a)): int(total)
                for c, a, total in conn.execute(
                    select(
                        ledger.c.customer_uuid, ledger.c.account, func.sum(ledger.c.amount)
                    ).group_by(ledger.c.customer_uuid, ledger.c.account)
                )
            }
            sums = {key: total for key, total in sums.items() if total}
            for c, a, amount in conn.execute(
                select(balance_rows.c.customer_uuid, balance_rows.c.account, balance_rows.c.amount)
            ):
                if int(amount) != sums.pop((str(c), str(a)), 0):
                    found.append(f"customer {c} {a}: balance {amount}, ledger sum differs")
            found += [
                f"customer {c} {a}: ledger sum {n}, no balance" for (c, a), n in sums.items() if n
            ]
            with_rows = set(conn.scalars(select(ledger.c.op_id).where(ledger.c.op_id.is_not(None))))
            found += [
                f"ledger operation {op} applied with no ledger row"
                for op in conn.scalars(
                    select(applied_ops.c.op_id).where(
                        applied_ops.c.kind == "ledger.entry", applied_ops.c.status == "applied"
                    )
                )
                if op not in with_rows
            ]
            return found
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
    rows = select(ledger.c.uuid, ledger.c.op_id, ledger.c.terminal_uuid)
    for uuid, op_id, terminal_uuid in conn.execute(rows):
        view.ledger_uuids.add(str(uuid))
        if op_id is not None and terminal_uuid is not None:  # not a merge's transfer
            view.ledger_rows_per_op[str(op_id)] += 1
    for op_id, tab_uuid in conn.execute(select(closed_tabs.c.op_id, closed_tabs.c.tab_uuid)):
        view.closed_tab_ops.add(str(op_id))
        view.closings_per_tab[str(tab_uuid)] += 1
    return view
