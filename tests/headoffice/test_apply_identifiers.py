"""identifier.upsert at head office: cards merge field by field, and a value in use
belongs to one card only; on both databases."""

from __future__ import annotations

from sqlalchemy import Engine

from app.domain.hlc import HybridClock
from tests.headoffice.terminal_ops import Terminal, document, push, reasons, statuses


def test_a_card_is_issued_and_edited_field_by_field(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    bar, terrace = Terminal("bar"), Terminal("terrace")
    ada, create = bar.new_customer("Ada Lovelace")
    card, issue = bar.new_card(ada, "04A1B2C3", label="Blue fob")
    push(ho_engine, bar, [create, issue], ho_clock)
    bar.later(30)
    lost = bar.edit("identifier", card, {"status": "lost"})
    terrace.later(10)
    relabel = terrace.edit("identifier", card, {"label": "Green fob", "status": "active"})

    outcome = push(ho_engine, terrace, [relabel], ho_clock)
    outcome_bar = push(ho_engine, bar, [lost], ho_clock)

    assert statuses(outcome) + statuses(outcome_bar) == ["applied", "applied"]
    doc = document(ho_engine, "identifier", card)
    assert doc is not None
    assert (doc["label"], doc["status"], doc["customer_uuid"]) == ("Green fob", "lost", ada)
    assert set(doc["clocks"]) == {"kind", "value", "customer_uuid", "status", "issued_at", "label"}


def test_a_value_in_use_cannot_be_given_to_a_second_card(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    bar, terrace = Terminal("bar"), Terminal("terrace")
    ada, create_ada = bar.new_customer("Ada Lovelace")
    bob, create_bob = terrace.new_customer("Bob Babbage")
    first, issue = bar.new_card(ada, "04A1B2C3D4")
    push(ho_engine, bar, [create_ada, issue], ho_clock)
    push(ho_engine, bar, [bar.edit("identifier", first, {"status": "lost"})], ho_clock)
    _, clash = terrace.new_card(bob, "04A1B2C3D4")

    outcome = push(ho_engine, terrace, [create_bob, clash], ho_clock)

    assert statuses(outcome) == ["applied", "rejected"]
    assert reasons(outcome) == [
        f"Smart card or contactless key *******3D4 is already in use: card {first}, held by "
        "Ada Lovelace. Mark that card expired first, or give this guest another card"
    ]
    push(ho_engine, bar, [bar.edit("identifier", first, {"status": "expired"})], ho_clock)
    _, again = terrace.new_card(bob, "04A1B2C3D4")
    assert statuses(push(ho_engine, terrace, [again], ho_clock)) == ["applied"]


def test_cards_for_unknown_customers_and_payment_cards_are_rejected(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    stranger = "019a0000-0000-7000-8000-00000000dead"
    _, orphan = till.new_card(stranger, "04FFEE")
    _, visa = till.new_card(None, "4111111111111111", kind="magnetic_card")
    _, no_value = till.new_card(None, "04FFEE")
    del no_value.payload["fields"]["value"]
    del no_value.payload["clocks"]["value"]

    outcome = push(ho_engine, till, [orphan, visa, no_value], ho_clock)

    assert reasons(outcome) == [
        f"customer {stranger} is unknown at head office",
        "This is a payment card. Payment card numbers are never kept; "
        "give the guest a loyalty card instead.",
        "identifier needs value",
    ]
