"""Head office's document is authoritative for fields with no write pending (a clamped
clock comes back lower than the terminal's), notes follow a merge without being held
twice, and a page may bring a merged customer before its survivor (docs/SYNC.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from app.domain.ids import new_uuid7
from app.services.customer_form import CustomerForm
from app.services.sync_ports import OpOutcome
from app.store.sync_apply_values import CUSTOMER_CLOCKED, unpack_clocks
from app.store.sync_store import SqlSyncStore
from tests.store.test_sync_apply import (
    CURSOR,
    NOON,
    T1,
    T2,
    TERMINAL,
    change,
    customer_doc,
    customer_row,
    directory,
    stamp,
    sync,
    venue,
)
from tests.support.directory import MANAGER
from tests.support.venue import Venue

__all__ = ["sync", "venue"]  # the fixtures


def _acknowledge_all(sync: SqlSyncStore) -> None:
    ops = sync.pending(1000)
    sync.acknowledge([OpOutcome(op.id, "applied") for op in ops], 11, datetime.now(UTC))


def _note(uuid: str, text: str) -> dict[str, Any]:
    return {"uuid": uuid, "text": text, "author": "Sam", "created_at": "2026-11-20T10:00:00+00:00"}


def test_an_acknowledged_field_takes_head_office_value_and_clock_a_pending_one_does_not(
    venue: Venue, sync: SqlSyncStore
) -> None:
    till = directory(venue)
    ada = till.create(MANAGER, CustomerForm(first_name="Ada", last_name="Lovelace")).record
    _acknowledge_all(sync)
    local = unpack_clocks(customer_row(venue, ada.uuid)["clocks"], CUSTOMER_CLOCKED)
    noon_ms = int(NOON.timestamp() * 1000)
    clamped = stamp(noon_ms - 60_000, TERMINAL)  # head office clamped the till's clock
    later = stamp(noon_ms - 30_000, "0190ffff-0000-7000-8000-000000000000")
    doc = customer_doc("Ada Lovelace", clock=clamped, company="Analytical Engines")
    doc["clocks"]["company"] = later
    doc["clocks"]["title"] = later
    doc["title"] = "Countess"
    till.edit(MANAGER, ada.id, replace(ada.form, title="Lady"))

    sync.apply_changes([change("customer", ada.uuid, doc)], CURSOR)

    row = customer_row(venue, ada.uuid)
    clocks = unpack_clocks(row["clocks"], CUSTOMER_CLOCKED)
    assert row["company"] == "Analytical Engines" and clocks["company"] == later
    assert clocks["full_name"] == clamped and local["full_name"] > clamped
    assert row["title"] == "Lady"  # still pending, and newer than head office's clock


def test_a_note_held_on_a_merged_customer_moves_to_the_survivor_once(
    venue: Venue, sync: SqlSyncStore
) -> None:
    till = directory(venue)
    twin = till.create(MANAGER, CustomerForm(first_name="Ada", last_name="Lovelace")).record
    till.add_note(MANAGER, twin.id, "likes the window seat")
    [note] = venue.rows("customer_notes", customer_id=twin.id)
    _acknowledge_all(sync)
    survivor = new_uuid7()
    kept = _note(str(note["uuid"]), "likes the window seat")
    merged = customer_doc("Ada Lovelace", clock=stamp(T2), merged_into_uuid=survivor)
    merged["notes"] = [kept]  # head office may leave it on the merged customer too
    changes = [
        change("customer", twin.uuid, merged),
        change("customer", survivor, customer_doc("Ada Lovelace", notes=[kept])),
    ]

    sync.apply_changes(changes, CURSOR)
    sync.apply_changes(changes, CURSOR)

    survivor_id = customer_row(venue, survivor)["id"]
    assert [n["uuid"] for n in venue.rows("customer_notes", customer_id=survivor_id)] == [
        note["uuid"]
    ]
    assert venue.rows("customer_notes", customer_id=twin.id) == []
    assert customer_row(venue, twin.uuid)["merged_into_id"] == survivor_id


def test_a_page_may_bring_a_merged_customer_before_its_survivor(
    venue: Venue, sync: SqlSyncStore
) -> None:
    survivor, merged = new_uuid7(), new_uuid7()
    redirect = customer_doc("Grace Hopper", clock=stamp(T1), merged_into_uuid=survivor)

    sync.apply_changes(
        [
            change("customer", merged, redirect),
            change("customer", survivor, customer_doc("Grace Hopper")),
        ],
        CURSOR,
    )

    survivor_id = customer_row(venue, survivor)["id"]
    assert customer_row(venue, merged)["merged_into_id"] == survivor_id
