"""customer.upsert, customer.note and customer.deleted at head office, on both databases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func, select

from app.domain.hlc import HybridClock, parse_stamp
from headoffice.authoring import edit_customer
from headoffice.schema import clamped_clocks
from tests.headoffice.terminal_ops import (
    ManualTime,
    Terminal,
    document,
    pull_all,
    push,
    reasons,
    statuses,
)


def test_a_new_customer_is_applied_once_and_a_retry_is_a_duplicate(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    uuid, create = till.new_customer("Ada Lovelace", "+447700900001")

    first = push(ho_engine, till, [create], ho_clock)
    again = push(ho_engine, till, [create], ho_clock)

    assert statuses(first) == ["applied"]
    assert statuses(again) == ["duplicate"]
    doc = document(ho_engine, "customer", uuid)
    assert doc is not None
    assert doc["full_name"] == "Ada Lovelace"
    assert doc["phones"] == [{"e164": "+447700900001", "kind": "mobile", "primary": True}]
    assert doc["notes"] == [] and doc["merged_into_uuid"] is None and doc["stats"] is None
    assert doc["clocks"]["full_name"] == create.payload["clocks"]["full_name"]
    changes, _ = pull_all(ho_engine, "v1:0:0")
    assert [(c.entity, c.uuid) for c in changes] == [("customer", uuid)]


def test_bad_edits_are_rejected_naming_the_field_and_kept_for_a_retry(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    _, nameless = till.new_customer("Nobody")
    del nameless.payload["fields"]["full_name"]
    del nameless.payload["clocks"]["full_name"]
    _, shoe_size = till.new_customer("Bob Shoe", shoe_size=44)
    _, sneaky = till.new_customer("Sam Sneak", stats={"visits": 99})
    _, skewed = till.new_customer("Cat Clock")
    skewed.payload["clocks"]["full_name"] = "yesterday"
    ops = [nameless, shoe_size, sneaky, skewed]

    outcome = push(ho_engine, till, ops, ho_clock)
    retried = push(ho_engine, till, ops, ho_clock)

    assert statuses(outcome) == ["rejected"] * 4
    assert reasons(outcome) == [
        "customer needs full_name",
        "customer has no field 'shoe_size'",
        "customer edits may not set stats: head office keeps them",
        "the clock of full_name is wrong: not a clock stamp: 'yesterday'",
    ]
    assert reasons(retried) == reasons(outcome)
    assert pull_all(ho_engine, "v1:0:0")[0] == []


def test_the_later_edit_of_a_field_wins_whichever_arrives_first(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    bar, terrace = Terminal("bar"), Terminal("terrace")
    uuid, create = bar.new_customer("Ada Lovelace")
    push(ho_engine, bar, [create], ho_clock)
    bar.later(60)
    older = bar.edit("customer", uuid, {"company": "Analytical Engines"})
    terrace.later(120)
    newer = terrace.edit("customer", uuid, {"company": "Difference Engines", "alias": "AL"})

    push(ho_engine, terrace, [newer], ho_clock)
    outcome = push(ho_engine, bar, [older], ho_clock)

    assert statuses(outcome) == ["applied"]  # applied, and lost on the clock
    doc = document(ho_engine, "customer", uuid)
    assert doc is not None
    assert (doc["company"], doc["alias"]) == ("Difference Engines", "AL")
    assert doc["clocks"]["company"] == newer.payload["clocks"]["company"]


def test_head_office_wins_a_tie_in_either_order(
    ho_engine: Engine, ho_clock: HybridClock, ho_time: ManualTime
) -> None:
    till = Terminal()
    uuid, create = till.new_customer("Ada Lovelace")
    push(ho_engine, till, [create], ho_clock)
    ho_time.now += timedelta(minutes=1)
    with ho_engine.begin() as conn:
        edit_customer(conn, uuid, {"title": "Countess"}, ho_clock)
    ho_stamp = parse_stamp(document(ho_engine, "customer", uuid)["clocks"]["title"])  # type: ignore[index]
    same_moment = f"{ho_stamp.wall_ms:013d}-{ho_stamp.counter:04d}-{till.uuid}"
    tie = till.edit("customer", uuid, {"title": "Lady", "company": "Babbage & Co"})
    tie.payload["clocks"] = {"title": same_moment, "company": same_moment}

    push(ho_engine, till, [tie], ho_clock)

    doc = document(ho_engine, "customer", uuid)
    assert doc is not None
    assert doc["title"] == "Countess"  # head office's stamp sorts after the terminal's
    assert doc["company"] == "Babbage & Co"
    # The other order: the terminal's edit first, then head office at the same moment.
    ho_time.now += timedelta(minutes=1)
    stamp = ho_clock.now()
    first = till.edit("customer", uuid, {"alias": "Ada"})
    first.payload["clocks"] = {"alias": f"{stamp.wall_ms + 1:013d}-0000-{till.uuid}"}
    push(ho_engine, till, [first], ho_clock)
    with ho_engine.begin() as conn:  # head office's clock has observed the terminal's
        edit_customer(conn, uuid, {"alias": "The Countess"}, ho_clock)
    assert document(ho_engine, "customer", uuid)["alias"] == "The Countess"  # type: ignore[index]


def test_a_clock_running_a_day_fast_is_cut_back_and_recorded(
    ho_engine: Engine, ho_clock: HybridClock, ho_time: ManualTime
) -> None:
    fast = Terminal("fast till", at=ho_time.now + timedelta(days=1))
    uuid, create = fast.new_customer("Ada Lovelace")

    push(ho_engine, fast, [create], ho_clock)
    ho_time.now += timedelta(minutes=6)  # past the 5-minute bound, not past the day
    with ho_engine.begin() as conn:
        edit_customer(conn, uuid, {"full_name": "Ada King"}, ho_clock)

    doc = document(ho_engine, "customer", uuid)
    assert doc is not None
    assert doc["full_name"] == "Ada King"
    cut = parse_stamp(doc["clocks"]["first_name"])
    assert cut.wall_ms == int((fast.time.now - timedelta(days=1, minutes=-5)).timestamp() * 1000)
    with ho_engine.connect() as conn:
        recorded = conn.scalar(select(func.count()).select_from(clamped_clocks))
    assert recorded == len(create.payload["fields"])


def test_notes_are_a_union_by_uuid(ho_engine: Engine, ho_clock: HybridClock) -> None:
    bar, terrace = Terminal("bar"), Terminal("terrace")
    uuid, create = bar.new_customer("Ada Lovelace")
    push(ho_engine, bar, [create], ho_clock)
    note = {
        "uuid": "019a0000-0000-7000-8000-000000000001",
        "text": "Likes a window seat",
        "author": "Wendy",
        "created_at": "2026-11-23T12:00:00+00:00",
    }
    other = dict(note, uuid="019a0000-0000-7000-8000-000000000002", text="Birthday in May")
    ops_bar = [bar.op("customer.note", uuid, {"customer_uuid": uuid, "note": note})]
    ops_terrace = [
        terrace.op("customer.note", uuid, {"customer_uuid": uuid, "note": other}),
        terrace.op("customer.note", uuid, {"customer_uuid": uuid, "note": note}),
    ]

    push(ho_engine, bar, ops_bar, ho_clock)
    outcome = push(ho_engine, terrace, ops_terrace, ho_clock)

    assert statuses(outcome) == ["applied", "applied"]
    doc = document(ho_engine, "customer", uuid)
    assert doc is not None
    assert sorted(n["text"] for n in doc["notes"]) == ["Birthday in May", "Likes a window seat"]


def test_deleting_a_customer_without_business_tombstones_them_and_their_cards(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    uuid, create = till.new_customer("Ada Lovelace")
    card, issue = till.new_card(uuid, "04A1B2C3")
    push(ho_engine, till, [create, issue], ho_clock)
    delete = till.op(
        "customer.deleted", uuid, {"customer_uuid": uuid, "hlc": str(till.clock.now())}
    )

    outcome = push(ho_engine, till, [delete], ho_clock)

    assert statuses(outcome) == ["applied"]
    changes, _ = pull_all(ho_engine, "v1:0:0")
    assert {(c.entity, c.uuid, c.deleted) for c in changes} == {
        ("customer", uuid, True),
        ("identifier", card, True),
    }
    _, again = till.new_card(None, "04A1B2C3")  # the card's value is free again
    assert statuses(push(ho_engine, till, [again], ho_clock)) == ["applied"]


def test_deleting_a_customer_with_business_is_refused_and_their_record_sent_back(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    uuid, create = till.new_customer("Ada Lovelace")
    push(ho_engine, till, [create, till.entry(uuid, "points", "earn", 40)], ho_clock)
    _, cursor = pull_all(ho_engine, "v1:0:0")
    delete = till.op(
        "customer.deleted", uuid, {"customer_uuid": uuid, "hlc": str(till.clock.now())}
    )

    outcome = push(ho_engine, till, [delete], ho_clock)

    assert reasons(outcome) == [
        "Ada Lovelace cannot be deleted: head office has 1 ledger entry for them. "
        "Deactivate them instead; their record is sent back to the terminal"
    ]
    changes, _ = pull_all(ho_engine, cursor)
    assert [(c.entity, c.uuid, c.deleted) for c in changes] == [("customer", uuid, False)]
