"""The greatest stamp the store knows, for the terminal's hybrid clock to resume after
(docs/SYNC.md "The terminal's store")."""

from __future__ import annotations

from dataclasses import replace

from app.domain.ids import new_uuid7
from app.services.customer_form import CustomerForm
from app.store.sync_store import SqlSyncStore
from tests.store.test_sync_apply import (
    CURSOR,
    T2,
    T3,
    change,
    customer_doc,
    directory,
    stamp,
    sync,
    venue,
)
from tests.support.directory import MANAGER
from tests.support.venue import Venue

__all__ = ["sync", "venue"]  # the fixtures


def test_a_fresh_store_knows_no_stamp(sync: SqlSyncStore) -> None:
    assert sync.last_stamp() == ""


def test_the_last_stamp_is_the_greatest_pulled_or_issued(venue: Venue, sync: SqlSyncStore) -> None:
    doc = customer_doc("Grace Hopper", clock=stamp(T2))
    doc["clocks"]["company"] = stamp(T3)
    sync.apply_changes([change("customer", new_uuid7(), doc)], CURSOR)
    sync.apply_changes([change("customer", new_uuid7(), customer_doc("Ada Lovelace"))], CURSOR)

    assert sync.last_stamp() == stamp(T3)  # an older page does not move it back

    till = directory(venue)
    ada = till.create(MANAGER, CustomerForm(first_name="Ada", last_name="Byron")).record
    till.edit(MANAGER, ada.id, replace(ada.form, title="Countess"))
    [issued] = [op.hlc for op in sync.pending(1000)][-1:]
    assert sync.last_stamp() == max(issued, stamp(T3))
