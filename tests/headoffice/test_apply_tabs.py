"""tab.closed and tab.reopened at head office: the latest closing of a tab counts as the
customer's visit, a reopening withdraws it; on both databases."""

from __future__ import annotations

from sqlalchemy import Engine

from app.domain.hlc import HybridClock
from app.domain.ids import new_uuid7
from tests.headoffice.terminal_ops import Terminal, document, push, reasons, statuses

PINT, CRISPS = new_uuid7(), new_uuid7()


def test_a_closed_tab_becomes_a_visit_in_the_customers_figures(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    ada, create = till.new_customer("Ada Lovelace")
    first = till.closed_tab(ada, 1250, items=[(PINT, 2), (CRISPS, 1)], methods=["card", "cash"])
    till.later(86400)
    second = till.closed_tab(ada, 800, items=[(PINT, 1)], methods=["points"])

    outcome = push(ho_engine, till, [create, first, second, first], ho_clock)

    assert statuses(outcome) == ["applied", "applied", "applied", "duplicate"]
    doc = document(ho_engine, "customer", ada)
    assert doc is not None
    assert doc["stats"] == {
        "visits": 2,
        "total_spent_minor": 2050,
        "first_visit": "2026-11-23T12:00:00+00:00",
        "last_visit": "2026-11-24T12:00:00+00:00",
        "item_counts": dict(sorted({PINT: 3, CRISPS: 1}.items())),
        "payment_counts": {"card": 1, "cash": 1, "points": 1},
    }


def test_a_reopened_tab_withdraws_its_visit_and_closing_again_counts_once(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    ada, create = till.new_customer("Ada Lovelace")
    earlier = till.closed_tab(ada, 500, items=[(CRISPS, 1)])
    till.later(3600)
    tab = new_uuid7()
    closed = till.closed_tab(ada, 1000, tab_uuid=tab, items=[(PINT, 2)])
    reopened = till.op("tab.reopened", tab, {"tab_uuid": tab})
    till.later(60)
    closed_again = till.closed_tab(ada, 1500, tab_uuid=tab, items=[(PINT, 3)])

    push(ho_engine, till, [create, earlier, closed, reopened], ho_clock)
    stats_reopened = document(ho_engine, "customer", ada)["stats"]  # type: ignore[index]
    push(ho_engine, till, [closed_again], ho_clock)
    stats_closed = document(ho_engine, "customer", ada)["stats"]  # type: ignore[index]

    assert (stats_reopened["visits"], stats_reopened["total_spent_minor"]) == (1, 500)
    assert stats_reopened["item_counts"] == {CRISPS: 1}
    assert stats_reopened["last_visit"] == "2026-11-23T12:00:00+00:00"
    assert (stats_closed["visits"], stats_closed["total_spent_minor"]) == (2, 2000)
    assert stats_closed["item_counts"] == dict(sorted({CRISPS: 1, PINT: 3}.items()))
    assert stats_closed["last_visit"] == "2026-11-23T13:01:00+00:00"


def test_a_tab_closed_twice_without_a_reopening_counts_its_latest_closing(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    ada, create = till.new_customer("Ada Lovelace")
    tab = new_uuid7()
    ops = [create, till.closed_tab(ada, 700, tab_uuid=tab), till.closed_tab(ada, 900, tab_uuid=tab)]

    push(ho_engine, till, ops, ho_clock)

    stats = document(ho_engine, "customer", ada)["stats"]  # type: ignore[index]
    assert (stats["visits"], stats["total_spent_minor"]) == (1, 900)


def test_tabs_without_a_customer_apply_and_bad_ones_are_rejected(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    stranger = "019a0000-0000-7000-8000-00000000dead"
    walk_in = till.closed_tab(None, 300)
    unknown = till.closed_tab(stranger, 300)
    unpaid = till.closed_tab(None, 300)
    del unpaid.payload["paid_minor"]
    garbled = till.closed_tab(None, 300, items=[(PINT, 1)])
    garbled.payload["lines"][0]["quantity"] = "two"

    outcome = push(ho_engine, till, [walk_in, unknown, unpaid, garbled], ho_clock)

    assert statuses(outcome) == ["applied", "rejected", "rejected", "rejected"]
    assert reasons(outcome) == [
        f"customer {stranger} is unknown at head office",
        "the closed tab needs paid_minor",
        "the closed tab: line 1 quantity must be a whole number",
    ]
