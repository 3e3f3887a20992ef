"""Duplicate customers: the same guest created offline on two tills is merged at head
office, later operations follow the redirect, and balances move exactly; and merges made
at a terminal. On both databases."""

from __future__ import annotations

from sqlalchemy import Engine, select

from app.domain.hlc import HybridClock
from app.domain.ids import new_uuid7
from headoffice.accounts import balances, lifetime_points
from headoffice.schema import ledger
from tests.headoffice.terminal_ops import Terminal, document, pull_all, push, reasons, statuses

PHONE = "+447700900123"


def _ledger_rows(engine: Engine, customer: str) -> list[tuple[str, str, int, str]]:
    e = ledger.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(e.account, e.kind, e.amount, e.uuid)
            .where(e.customer_uuid == customer)
            .order_by(e.account, e.amount)
        )
        return [(r.account, r.kind, r.amount, r.uuid) for r in rows]


def test_the_same_guest_created_on_two_tills_is_merged_into_the_older(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    bar, terrace = Terminal("bar"), Terminal("terrace")
    older, create_older = bar.new_customer("Zoë O'Brien", PHONE, company="Acme", alias=None)
    _, card_a = bar.new_card(older, "04AA01")
    terrace.later(600)  # created ten minutes later, offline, on another till
    newer, create_newer = terrace.new_customer(
        "ZOE  O'BRIEN", PHONE, emails=[{"address": "zoe@example.com", "primary": True}], alias="Zo"
    )
    newer_card, card_b = terrace.new_card(newer, "04BB02")
    # The newer one reaches head office first, with points and a purse.
    push(ho_engine, terrace, [create_newer, card_b], ho_clock)
    push(
        ho_engine,
        terrace,
        [
            terrace.entry(newer, "points", "earn", 30),
            terrace.entry(newer, "purse", "deposit", 2000),
        ],
        ho_clock,
    )
    _, cursor = pull_all(ho_engine, "v1:0:0")

    outcome = push(
        ho_engine, bar, [create_older, card_a, bar.entry(older, "points", "earn", 5)], ho_clock
    )

    assert statuses(outcome) == ["applied"] * 3
    survivor = document(ho_engine, "customer", older)
    merged = document(ho_engine, "customer", newer)
    assert survivor is not None and merged is not None
    assert merged["merged_into_uuid"] == older
    assert (merged["status"], merged["status_reason"]) == ("inactive", "Merged into Zoë O'Brien")
    assert survivor["merged_into_uuid"] is None
    assert survivor["company"] == "Acme"
    assert (survivor["alias"], merged["alias"]) == ("Zo", None)  # an alias moves
    assert survivor["emails"] == [{"address": "zoe@example.com", "primary": True}]
    assert survivor["phones"] == [{"e164": PHONE, "kind": "mobile", "primary": True}]
    assert document(ho_engine, "identifier", newer_card)["customer_uuid"] == older  # type: ignore[index]
    with ho_engine.connect() as conn:
        assert balances(conn, older) == {"points": 35, "purse": 2000}
        assert balances(conn, newer) == {"points": 35, "purse": 2000}  # followed through
        assert lifetime_points(conn, older) == 35
    moved = _ledger_rows(ho_engine, newer)
    assert [(a, k, n) for a, k, n, _ in moved] == [
        ("points", "adjust", -30),
        ("points", "earn", 30),
        ("purse", "adjust", -2000),
        ("purse", "deposit", 2000),
    ]
    transfer = document(ho_engine, "ledger_entry", moved[0][3])
    assert transfer is not None and transfer["reason"] == "merged into Zoë O'Brien"
    changes, _ = pull_all(ho_engine, cursor)
    pulled = {(c.entity, c.uuid) for c in changes}
    assert {("customer", older), ("customer", newer), ("identifier", newer_card)} <= pulled


def test_later_operations_naming_the_merged_customer_reach_the_survivor(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    bar, terrace = Terminal("bar"), Terminal("terrace")
    older, create_older = bar.new_customer("Ada Lovelace", PHONE)
    terrace.later(60)
    newer, create_newer = terrace.new_customer("Ada Lovelace", PHONE)
    push(ho_engine, bar, [create_older], ho_clock)
    push(ho_engine, terrace, [create_newer], ho_clock)
    terrace.later(60)
    note = {
        "uuid": new_uuid7(),
        "text": "Allergic to nuts",
        "author": "Tom",
        "created_at": "2026-11-23T12:02:00+00:00",
    }
    later_ops = [
        terrace.edit("customer", newer, {"title": "Countess"}),
        terrace.op("customer.note", newer, {"customer_uuid": newer, "note": note}),
        terrace.entry(newer, "points", "earn", 12),
        terrace.closed_tab(newer, 900),
        terrace.new_card(newer, "04CC03")[1],
    ]

    outcome = push(ho_engine, terrace, later_ops, ho_clock)

    assert statuses(outcome) == ["applied"] * 5
    survivor = document(ho_engine, "customer", older)
    assert survivor is not None
    assert survivor["title"] == "Countess"
    assert [n["text"] for n in survivor["notes"]] == ["Allergic to nuts"]
    assert survivor["stats"]["visits"] == 1
    assert "title" not in document(ho_engine, "customer", newer)  # type: ignore[operator]
    with ho_engine.connect() as conn:
        assert balances(conn, older) == {"points": 12, "purse": 0}
    card = document(ho_engine, "identifier", later_ops[4].entity_uuid)
    assert card is not None and card["customer_uuid"] == older


def test_different_names_on_one_phone_are_not_merged(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    mum, create_mum = till.new_customer("Mary Shelley", PHONE)
    son, create_son = till.new_customer("Percy Shelley", PHONE)

    push(ho_engine, till, [create_mum, create_son], ho_clock)

    assert document(ho_engine, "customer", son)["merged_into_uuid"] is None  # type: ignore[index]
    assert document(ho_engine, "customer", mum)["merged_into_uuid"] is None  # type: ignore[index]


def test_a_merge_made_at_a_terminal_sweeps_what_is_left_and_redirects_in_one_hop(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    bar, terrace = Terminal("bar"), Terminal("terrace")
    x, create_x = bar.new_customer("Xavier One")
    y, create_y = bar.new_customer("Yolanda Two")
    z, create_z = bar.new_customer("Zed Three")
    push(
        ho_engine, bar, [create_x, create_y, create_z, bar.entry(x, "points", "earn", 50)], ho_clock
    )
    # Terrace, offline, earned points for X that the bar never saw.
    push(ho_engine, terrace, [terrace.entry(x, "points", "earn", 7)], ho_clock)
    # The bar merges X into Y: its own transfer pair for the 50 it knew, then the merge.
    bar_merge = [
        bar.entry(x, "points", "adjust", -50, reason="merged into Yolanda Two"),
        bar.entry(y, "points", "adjust", 50, reason="merged into Yolanda Two"),
        bar.op(
            "customers.merged",
            y,
            {"survivor_uuid": y, "merged_uuid": x, "hlc": str(bar.clock.now())},
        ),
        bar.op(
            "customers.merged",
            z,
            {"survivor_uuid": z, "merged_uuid": y, "hlc": str(bar.clock.now())},
        ),
    ]

    outcome = push(ho_engine, bar, bar_merge, ho_clock)
    late = push(ho_engine, terrace, [terrace.entry(x, "points", "redeem", -5)], ho_clock)

    assert statuses(outcome) == ["applied"] * 4
    assert statuses(late) == ["applied"]
    with ho_engine.connect() as conn:
        assert balances(conn, z) == {"points": 52, "purse": 0}
        assert balances(conn, x) == {"points": 52, "purse": 0}
    assert sum(a for _, _, a, _ in _ledger_rows(ho_engine, x)) == 0
    assert sum(a for _, _, a, _ in _ledger_rows(ho_engine, y)) == 0
    # One hop: X, merged into Y before Y went into Z, now points at Z itself, so every
    # terminal holds the same redirect whatever order the documents reach it in.
    assert document(ho_engine, "customer", x)["merged_into_uuid"] == z  # type: ignore[index]
    assert document(ho_engine, "customer", y)["merged_into_uuid"] == z  # type: ignore[index]


def test_a_merge_naming_an_unknown_customer_is_rejected(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    ada, create = till.new_customer("Ada Lovelace")
    ghost = new_uuid7()
    merge = till.op(
        "customers.merged",
        ada,
        {"survivor_uuid": ada, "merged_uuid": ghost, "hlc": str(till.clock.now())},
    )

    outcome = push(ho_engine, till, [create, merge], ho_clock)

    assert reasons(outcome) == [f"customer {ghost} is unknown at head office"]
