"""Every operation kind, applied once, answered `duplicate` when sent again, and rejected
with a reason when its payload is wrong; on both databases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from app.domain.hlc import HybridClock
from app.domain.ids import new_uuid7
from app.sync.wire import Operation
from tests.headoffice.terminal_ops import Terminal, push, reasons, statuses

# (till, customer uuid, tab uuid) -> (what must be pushed before, the operation)
Build = Callable[[Terminal, str, str], tuple[list[Operation], Operation]]
NOTE = {"text": "Window seat", "author": "Wendy", "created_at": "2026-11-23T12:00:00+00:00"}


def _note(t: Terminal, c: str, _: str) -> tuple[list[Operation], Operation]:
    note = {**NOTE, "uuid": new_uuid7()}
    return [], t.op("customer.note", c, {"customer_uuid": c, "note": note})


def _deleted(t: Terminal, c: str, _: str) -> tuple[list[Operation], Operation]:
    return [], t.op("customer.deleted", c, {"customer_uuid": c, "hlc": str(t.clock.now())})


def _merged(t: Terminal, c: str, _: str) -> tuple[list[Operation], Operation]:
    other, create = t.new_customer("Other Person")
    payload = {"survivor_uuid": c, "merged_uuid": other, "hlc": str(t.clock.now())}
    return [create], t.op("customers.merged", c, payload)


KINDS: dict[str, tuple[Build, Callable[[Operation], None], str]] = {
    "customer.upsert": (
        lambda t, c, _: ([], t.edit("customer", c, {"alias": "Ada"})),
        lambda op: op.payload["fields"].update(alias=7),
        "alias must be text",
    ),
    "customer.note": (
        _note,
        lambda op: op.payload["note"].pop("author"),
        "the note needs author",
    ),
    "customer.deleted": (
        _deleted,
        lambda op: op.payload.update(hlc="soon"),
        "the clock of hlc is wrong: not a clock stamp: 'soon'",
    ),
    "customers.merged": (
        _merged,
        lambda op: op.payload.update(merged_uuid="not-a-uuid"),
        "customers.merged: merged_uuid must be a lower-case uuid",
    ),
    "identifier.upsert": (
        lambda t, c, _: ([], t.new_card(c, "04ABCDEF")[1]),
        lambda op: op.payload["fields"].update(status="stolen"),
        "status must be one of active, blocked, expired, lost",
    ),
    "ledger.entry": (
        lambda t, c, _: ([], t.entry(c, "purse", "deposit", 1000)),
        lambda op: op.payload.update(account="wallet"),
        "the ledger entry: account must be one of points, purse",
    ),
    "tab.closed": (
        lambda t, c, tab: ([], t.closed_tab(c, 1200, tab_uuid=tab)),
        lambda op: op.payload.update(closed_at="yesterday"),
        "the closed tab: closed_at is not an ISO 8601 time",
    ),
    "tab.reopened": (
        lambda t, _, tab: ([], t.op("tab.reopened", tab, {"tab_uuid": tab})),
        lambda op: op.payload.update(tab_uuid=12),
        "tab.reopened: tab_uuid must be a lower-case uuid",
    ),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_applies_once_and_is_refused_when_wrong(
    ho_engine: Engine, ho_clock: HybridClock, kind: str
) -> None:
    build, spoil, reason = KINDS[kind]
    till = Terminal()
    ada, create = till.new_customer("Ada Lovelace")
    tab = new_uuid7()
    before, good = build(till, ada, tab)
    more, bad = build(till, ada, tab)
    spoil(bad)
    push(ho_engine, till, [create, *before, *more], ho_clock)

    first = push(ho_engine, till, [good, bad], ho_clock)
    again = push(ho_engine, till, [good, bad], ho_clock)

    assert good.kind == kind
    assert statuses(first) == ["applied", "rejected"]
    assert reasons(first) == [reason]
    assert statuses(again) == ["duplicate", "rejected"]
    assert reasons(again) == [reason]


def test_an_unknown_kind_is_rejected_with_a_reason(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()

    outcome = push(ho_engine, till, [till.op("tab.teleported", new_uuid7(), {})], ho_clock)

    assert reasons(outcome) == [
        "head office does not know operation kind 'tab.teleported'; update head office or the "
        "terminal so both speak the same protocol"
    ]
