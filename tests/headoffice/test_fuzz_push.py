"""Garbage pushed to head office: whatever a payload holds, apply_push answers every
operation and never raises, and an operation it rejects leaves nothing behind.

Payloads are drawn two ways: valid operations with one part broken (a key dropped, a
value replaced by anything JSON can hold), which reach deep into each kind's checks, and
dictionaries of plausible keys and arbitrary values. Bounded so the suite stays quick.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from app.domain.hlc import HybridClock
from app.sync.documents import CUSTOMER_FIELDS, IDENTIFIER_FIELDS, LEDGER_ENTRY_FIELDS
from app.sync.wire import OPERATION_KINDS, Operation, OpStatus
from headoffice.apply import apply_push
from headoffice.schema import applied_ops, documents, metadata, row_counters
from tests.headoffice.terminal_ops import Terminal, push

TILL = Terminal("fuzz")
ADA, CREATE_ADA = TILL.new_customer("Ada Lovelace", "+447700900001")
CARD, ISSUE_CARD = TILL.new_card(ADA, "04A1B2")
TAB = "019a0000-0000-7000-8000-0000000000ab"

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(
        [
            ADA,
            CARD,
            TAB,
            "2026-11-23T12:00:00+00:00",
            "0001764000000000-0000-x",
            str(TILL.clock.now()),
            "points",
            "earn",
            "active",
            "+447700900001",
        ]
    )
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_keys = sorted(
    {
        "customer_uuid",
        "fields",
        "clocks",
        "note",
        "hlc",
        "survivor_uuid",
        "merged_uuid",
        "identifier_uuid",
        "tab_uuid",
        "lines",
        "payments",
        "paid_minor",
        "closed_at",
        "guests",
    }
    | set(CUSTOMER_FIELDS)
    | set(IDENTIFIER_FIELDS)
    | set(LEDGER_ENTRY_FIELDS)
)


def _valid_ops() -> list[Operation]:
    return [
        TILL.new_customer("Bob Babbage", "+447700900002")[1],
        TILL.edit("customer", ADA, {"alias": "Countess", "phones": []}),
        TILL.op(
            "customer.note",
            ADA,
            {
                "customer_uuid": ADA,
                "note": {
                    "uuid": TAB,
                    "text": "hi",
                    "author": "me",
                    "created_at": "2026-11-23T12:00:00+00:00",
                },
            },
        ),
        TILL.op("customer.deleted", ADA, {"customer_uuid": ADA, "hlc": str(TILL.clock.now())}),
        TILL.op(
            "customers.merged",
            ADA,
            {"survivor_uuid": ADA, "merged_uuid": ADA, "hlc": str(TILL.clock.now())},
        ),
        TILL.new_card(ADA, "04C0FFEE")[1],
        TILL.entry(ADA, "points", "redeem", -5),
        TILL.closed_tab(ADA, 500, items=[(TAB, 1)]),
        TILL.op("tab.reopened", TAB, {"tab_uuid": TAB}),
    ]


@st.composite
def _broken(draw: st.DrawFn) -> Operation:
    op = draw(st.sampled_from(_valid_ops()))
    payload = json.loads(json.dumps(op.payload))
    target = payload
    if isinstance(payload.get("fields"), dict) and draw(st.booleans()):
        target = payload["fields"]
    key = draw(st.sampled_from([*sorted(target), "extra"]))
    if draw(st.integers(0, 3)) == 0:
        target.pop(key, None)
    else:
        target[key] = draw(_json)
    return op.model_copy(update={"payload": payload})


_garbage = st.builds(
    lambda kind, payload: TILL.op(kind, TAB, payload),
    st.sampled_from(sorted(OPERATION_KINDS)) | st.text(min_size=1, max_size=12),
    st.dictionaries(st.sampled_from(_keys) | st.text(max_size=6), _json, max_size=6),
)


def _state(engine: Engine) -> dict[str, list[Any]]:
    """Every table's rows but the answers kept, the row-version counters (every writing
    transaction moves them) and the documents' row versions (a refused deletion sends
    the customer again without changing them)."""
    found: dict[str, list[Any]] = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table is applied_ops or table is row_counters:
                continue
            columns = [
                c
                for c in table.c
                if table is not documents or c.name in {"rank", "uuid", "data", "deleted"}
            ]
            rows = conn.execute(select(*columns)).all()
            found[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
    return found


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(op=_broken() | _garbage)
def test_garbage_never_raises_and_a_rejected_operation_writes_nothing(
    ho_engine: Engine, ho_clock: HybridClock, op: Operation
) -> None:
    push(ho_engine, TILL, [CREATE_ADA, ISSUE_CARD], ho_clock)  # duplicates after the first
    before = _state(ho_engine)

    with ho_engine.begin() as conn:
        outcome = apply_push(conn, TILL.uuid, [op], ho_clock)

    (result,) = outcome.results
    assert result.id == op.id
    if result.status is OpStatus.REJECTED:
        assert result.reason
        assert _state(ho_engine) == before
