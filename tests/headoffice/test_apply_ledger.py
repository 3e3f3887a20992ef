"""ledger.entry at head office: insert-only by entry uuid, balances kept, overdrafts
applied and listed for review; on both databases."""

from __future__ import annotations

from sqlalchemy import Engine

from app.domain.hlc import HybridClock
from headoffice.accounts import balances, lifetime_points, overdraft_reviews
from tests.headoffice.terminal_ops import Terminal, document, pull_all, push, reasons, statuses

STAFF = "00000000-0000-7000-8000-000000000001"


def _customer(engine: Engine, till: Terminal, clock: HybridClock, **extra: object) -> str:
    uuid, create = till.new_customer("Ada Lovelace", "", "", **extra)
    assert statuses(push(engine, till, [create], clock)) == ["applied"]
    return uuid


def test_entries_add_up_and_each_entry_counts_once(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    ada = _customer(ho_engine, till, ho_clock)
    earn = till.entry(ada, "points", "earn", 120)
    top_up = till.entry(ada, "purse", "deposit", 5000)
    spend = till.entry(ada, "purse", "withdraw", -1250)
    same_entry_again = till.op("ledger.entry", earn.entity_uuid, earn.payload)  # new op id

    first = push(ho_engine, till, [earn, top_up, spend], ho_clock)
    second = push(ho_engine, till, [earn, same_entry_again], ho_clock)

    assert statuses(first) == ["applied"] * 3
    assert statuses(second) == ["duplicate", "duplicate"]
    with ho_engine.connect() as conn:
        assert balances(conn, ada) == {"points": 120, "purse": 3750}
        assert lifetime_points(conn, ada) == 120
    doc = document(ho_engine, "ledger_entry", earn.entity_uuid)
    assert doc == {**earn.payload, "at": "2026-11-23T12:00:00+00:00"}
    changes, _ = pull_all(ho_engine, "v1:0:0")
    assert [c.entity for c in changes] == ["customer"] + ["ledger_entry"] * 3


def test_an_entry_for_a_customer_head_office_never_heard_of_is_rejected(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    stranger = "019a0000-0000-7000-8000-00000000dead"

    outcome = push(ho_engine, till, [till.entry(stranger, "points", "earn", 10)], ho_clock)

    assert reasons(outcome) == [f"customer {stranger} is unknown at head office"]


def test_entries_breaking_the_ledger_rules_are_rejected_with_the_rule(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    ada = _customer(ho_engine, till, ho_clock)
    ops = [
        till.entry(ada, "points", "earn", -5),
        till.entry(ada, "purse", "earn", 5),
        till.entry(ada, "points", "adjust", 5),
        till.entry(ada, "points", "earn", "5"),  # type: ignore[arg-type]
        till.entry(ada, "points", "earn", 5, staff_uuid="", terminal=""),
        till.entry(ada, "points", "earn", 5, colour="blue"),
    ]

    outcome = push(ho_engine, till, ops, ho_clock)

    assert reasons(outcome) == [
        "the ledger entry is not valid: A earn must be above zero",
        "the ledger entry is not valid: A earn entry does not belong on the purse account",
        "the ledger entry is not valid: Say why: a adjust needs a reason",
        "the ledger entry: amount must be a whole number",
        "the ledger entry is not valid: Say which terminal and who wrote it",
        "the ledger entry has no field 'colour'",
    ]
    with ho_engine.connect() as conn:
        assert balances(conn, ada) == {"points": 0, "purse": 0}


def test_an_overdraft_from_offline_spending_is_applied_and_listed_for_review(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    bar, terrace = Terminal("bar"), Terminal("terrace")
    ada = _customer(ho_engine, bar, ho_clock, credit_limit_minor=1000)
    push(ho_engine, bar, [bar.entry(ada, "points", "earn", 100)], ho_clock)
    # Both tills knew 100 points and spent them offline; the purse went into its credit.
    bar_ops = [bar.entry(ada, "points", "redeem", -80), bar.entry(ada, "purse", "withdraw", -900)]
    terrace_ops = [
        terrace.entry(ada, "points", "redeem", -70),
        terrace.entry(ada, "purse", "withdraw", -300),
    ]

    push(ho_engine, bar, bar_ops, ho_clock)
    outcome = push(ho_engine, terrace, terrace_ops, ho_clock)

    assert statuses(outcome) == ["applied", "applied"]
    with ho_engine.connect() as conn:
        assert balances(conn, ada) == {"points": -50, "purse": -1200}
        reviews = overdraft_reviews(conn)
    assert [
        (
            r["entry_uuid"],
            r["account"],
            r["balance_after"],
            r["credit_limit_minor"],
            r["terminal_uuid"],
        )
        for r in reviews
    ] == [
        (terrace_ops[0].entity_uuid, "points", -50, 0, terrace.uuid),
        (terrace_ops[1].entity_uuid, "purse", -1200, 1000, terrace.uuid),
    ]
    assert reviews[0]["customer_name"] == "Ada Lovelace"


def test_reversing_an_earning_takes_it_out_of_lifetime_points(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    ada = _customer(ho_engine, till, ho_clock)
    earn = till.entry(ada, "points", "earn", 60)
    spend = till.entry(ada, "points", "redeem", -20)
    undo = till.entry(
        ada, "points", "reverse", -60, reverses_uuid=earn.entity_uuid, reason="tab 7 reopened"
    )

    push(ho_engine, till, [earn, spend, undo], ho_clock)

    with ho_engine.connect() as conn:
        assert balances(conn, ada) == {"points": -20, "purse": 0}
        assert lifetime_points(conn, ada) == 0
        assert overdraft_reviews(conn) == []  # a correction is not spending
