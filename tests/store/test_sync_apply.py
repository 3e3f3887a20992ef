"""Documents pulled from head office applied to a real store: idempotent, merged field by
field (last writer wins, head office on a tie), references resolved by uuid."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.domain.customers import CustomerStatus
from app.domain.hlc import HybridClock
from app.domain.ids import new_uuid7
from app.domain.tabs import IdentifiedBy
from app.services.customer_form import CustomerForm
from app.services.directory import DirectoryService, VenueSettings
from app.services.dto import DirectoryQuery
from app.services.sync_ports import IncomingChange
from app.store.database import create_session_factory
from app.store.sync_apply_values import CUSTOMER_CLOCKED, IDENTIFIER_CLOCKED, unpack_clocks
from app.store.sync_store import SqlSyncStore
from app.sync.documents import CUSTOMER_FIELDS, IDENTIFIER_FIELDS, check_fields
from tests.support.directory import MANAGER
from tests.support.venue import NOON, WAITER, Venue, venue_on_disk

TERMINAL = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
CURSOR = "v1:10:5"


def stamp(ms: int, node: str = "~headoffice", counter: int = 0) -> str:
    return f"{ms:013d}-{counter:04d}-{node}"


T1, T2, T3 = 1_800_000_000_000, 1_800_000_001_000, 1_800_000_002_000


def customer_doc(name: str, clock: str = stamp(T1), **fields: Any) -> dict[str, Any]:
    """A whole customer document as head office sends it, every field on ``clock``."""
    first, _, last = name.partition(" ")
    data: dict[str, Any] = {
        "kind": "individual",
        "full_name": name,
        "first_name": first,
        "last_name": last,
        "title": "",
        "alias": None,
        "company": "",
        "business_domain": "",
        "contact_person": "",
        "gender": "unspecified",
        "date_of_birth": None,
        "status": "active",
        "status_reason": "",
        "promotion_category_uuid": None,
        "credit_limit_minor": None,
        "tab_limit_minor": None,
        "signup_source": "head_office",
        "created_at": "2026-11-20T10:00:00+00:00",
        "created_by": "Head office",
        "phones": [],
        "emails": [],
        "addresses": [],
        "preferences": [],
        "restrictions": [],
        "consents": [],
        "attributes": [],
    }
    data.update(fields)
    data["clocks"] = {f: clock for f in data if f in CUSTOMER_FIELDS}
    data.setdefault("notes", [])
    data.setdefault("merged_into_uuid", None)
    data.setdefault("stats", None)
    assert check_fields("customer", data, whole=True) == []
    return data


def change(entity: str, uuid: str, data: dict[str, Any] | None = None) -> IncomingChange:
    return IncomingChange(entity, uuid, data is None, data or {})


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


@pytest.fixture
def sync(venue: Venue) -> SqlSyncStore:
    return SqlSyncStore(create_session_factory(venue.engine))


def directory(venue: Venue, node: str = TERMINAL) -> DirectoryService:
    hlc = HybridClock(node, venue.clock)
    return DirectoryService(venue.uow, VenueSettings(default_region="GB"), venue.clock, hlc)


def customer_row(venue: Venue, uuid: str) -> dict[str, Any]:
    [row] = venue.rows("customers", uuid=uuid)
    return row


def dump(venue: Venue) -> dict[str, list[tuple[Any, ...]]]:
    tables = (
        "customers",
        "customer_phones",
        "customer_emails",
        "customer_notes",
        "customer_stats",
        "identifiers",
        "ledger_entries",
        "menu_items",
        "sales_rules",
    )
    with venue.engine.connect() as connection:
        return {
            t: [tuple(r) for r in connection.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]
            for t in tables
        }


def search(venue: Venue, query: str) -> list[str]:
    with venue.uow() as uow:
        return [r.full_name for r in uow.directory.search(DirectoryQuery(text=query)).rows]


def test_a_pulled_customer_is_stored_searchable_and_applying_again_changes_nothing(
    venue: Venue, sync: SqlSyncStore
) -> None:
    uuid, note = new_uuid7(), new_uuid7()
    doc = customer_doc(
        "Zoë Brontë",
        alias="zed",
        phones=[{"e164": "+442079460000", "kind": "working", "primary": True}],
        emails=[{"address": "zoe@example.com", "primary": True}],
        notes=[
            {"uuid": note, "text": "Window seat", "author": "HO", "created_at": NOON.isoformat()}
        ],
        stats={
            "visits": 3,
            "total_spent_minor": 4_200,
            "first_visit": "2026-01-01T12:00:00+00:00",
            "last_visit": "2026-11-01T12:00:00+00:00",
            "item_counts": {},
            "payment_counts": {"cash": 3},
        },
    )
    sync.apply_changes([change("customer", uuid, doc)], CURSOR)
    once = dump(venue)
    sync.apply_changes([change("customer", uuid, doc)], CURSOR)

    assert dump(venue) == once
    row = customer_row(venue, uuid)
    assert (row["full_name"], row["name_folded"], row["alias_folded"]) == (
        "Zoë Brontë",
        "zoe bronte",
        "zed",
    )
    assert (row["total_spent_minor"], row["order_count"]) == (4_200, 3)
    assert unpack_clocks(row["clocks"], CUSTOMER_CLOCKED) == doc["clocks"]
    assert len(row["clocks"]) < 50  # one clock for every field, kept once
    assert search(venue, "bronte") == ["Zoë Brontë"]
    assert search(venue, "0207946") == ["Zoë Brontë"]
    assert [n["uuid"] for n in venue.rows("customer_notes")] == [note]
    assert sync.state().cursor == CURSOR
    assert venue.count("outbox") == 0  # head office's change is not sent back


def test_fields_merge_on_their_clocks_and_head_office_wins_a_tie(
    venue: Venue, sync: SqlSyncStore
) -> None:
    till = directory(venue)
    form = CustomerForm(first_name="Ada", last_name="Lovelace", company="Engines Ltd")
    ada = till.create(MANAGER, form).record
    made = unpack_clocks(customer_row(venue, ada.uuid)["clocks"], CUSTOMER_CLOCKED)
    noon_ms = int(NOON.timestamp() * 1000)
    assert made["full_name"] == stamp(noon_ms, TERMINAL)
    doc = customer_doc(
        "Ada King",
        company="Analytical Co",
        phones=[{"e164": "+447700900123", "kind": "mobile", "primary": True}],
    )
    doc["clocks"].update(
        full_name=stamp(noon_ms),  # the same instant: head office wins
        company=stamp(noon_ms - 1_000),  # older than the till's edit: ignored
        phones=stamp(noon_ms + 1_000),  # newer: taken
    )
    doc["clocks"] = {
        k: v for k, v in doc["clocks"].items() if k in ("full_name", "company", "phones")
    }

    sync.apply_changes([change("customer", ada.uuid, doc)], CURSOR)

    row = customer_row(venue, ada.uuid)
    assert (row["full_name"], row["company"]) == ("Ada King", "Engines Ltd")
    assert [p["e164"] for p in venue.rows("customer_phones", customer_id=ada.id)] == [
        "+447700900123"
    ]
    clocks = unpack_clocks(row["clocks"], CUSTOMER_CLOCKED)
    assert clocks["company"] == made["company"] and clocks["phones"] == stamp(noon_ms + 1_000)
    assert search(venue, "ada king") == ["Ada King"]  # the name index follows the new name
    assert search(venue, "ada lovelace") == []

    # The till edits again: its clock has moved on, so its edit wins over the same document.
    till.edit(MANAGER, ada.id, replace(ada.form, full_name="Augusta King"))
    sync.apply_changes([change("customer", ada.uuid, doc)], CURSOR)
    assert customer_row(venue, ada.uuid)["full_name"] == "Augusta King"


def test_a_merge_at_head_office_moves_open_tabs_to_the_survivor(
    venue: Venue, sync: SqlSyncStore
) -> None:
    survivor, merged = new_uuid7(), new_uuid7()
    sync.apply_changes(
        [
            change("customer", survivor, customer_doc("Ada Lovelace")),
            change("customer", merged, customer_doc("Ada King")),
        ],
        CURSOR,
    )
    survivor_id = customer_row(venue, survivor)["id"]
    merged_id = customer_row(venue, merged)["id"]
    tab = venue.tabs.open(
        WAITER, table_id=venue.table_1, customer_id=merged_id, identified_by=IdentifiedBy.PHONE
    )
    ops = venue.count("outbox")
    redirect = customer_doc(
        "Ada King",
        clock=stamp(T2),
        status="inactive",
        status_reason="Merged into Ada Lovelace",
        merged_into_uuid=survivor,
    )

    sync.apply_changes([change("customer", merged, redirect)], CURSOR)
    sync.apply_changes([change("customer", merged, redirect)], CURSOR)

    assert venue.tabs.view(WAITER, tab.uuid).customer_id == survivor_id
    row = customer_row(venue, merged)
    assert (row["merged_into_id"], row["status"]) == (survivor_id, CustomerStatus.INACTIVE)
    assert venue.count("outbox") == ops  # head office's redirect: nothing to send


def test_a_deleted_customer_goes_unless_local_history_keeps_them(
    venue: Venue, sync: SqlSyncStore
) -> None:
    quiet, regular = new_uuid7(), new_uuid7()
    sync.apply_changes(
        [
            change("customer", quiet, customer_doc("Cy Quiet")),
            change("customer", regular, customer_doc("Reg Ular")),
        ],
        CURSOR,
    )
    venue.earn(customer_row(venue, regular)["id"], 10)

    sync.apply_changes([change("customer", quiet), change("customer", regular)], CURSOR)

    assert venue.rows("customers", uuid=quiet) == []
    kept = customer_row(venue, regular)
    assert (kept["status"], kept["status_reason"]) == (
        CustomerStatus.INACTIVE,
        "Deleted at head office",
    )


def test_a_reference_waits_for_its_target(venue: Venue, sync: SqlSyncStore) -> None:
    group, item, category, ada = new_uuid7(), new_uuid7(), new_uuid7(), new_uuid7()
    menu_item = {
        "name": "Stout",
        "group_uuid": group,
        "price_minor": 550,
        "tax_rate": "0.20",
        "discountable": True,
        "earns_points": True,
        "active": True,
    }
    sync.apply_changes(
        [
            change("menu_item", item, menu_item),
            change("customer", ada, customer_doc("Ada", promotion_category_uuid=category)),
        ],
        CURSOR,
    )
    assert venue.rows("menu_items", uuid=item) == []  # its group is required: it waits whole
    assert customer_row(venue, ada)["promotion_category_id"] is None  # optional: left empty

    sync.apply_changes(
        [
            change("menu_group", group, {"name": "Beer", "sort_order": 3}),
            change(
                "promotion_category",
                category,
                {
                    "name": "Regulars",
                    "priority": 2,
                    "tab_limit_minor": None,
                    "description": "",
                    "active": True,
                    "composition": "best_of",
                    "max_percent": None,
                },
            ),
        ],
        "v1:11:2",
    )

    [stout] = venue.rows("menu_items", uuid=item)
    [beer] = venue.rows("menu_groups", uuid=group)
    assert (stout["group_id"], stout["price_minor"]) == (beer["id"], 550)
    [regulars] = venue.rows("promotion_categories", uuid=category)
    assert customer_row(venue, ada)["promotion_category_id"] == regulars["id"]
    assert venue.count("sync_waiting") == 0


def test_the_store_keeps_a_clock_for_every_field_a_document_has() -> None:
    assert set(CUSTOMER_CLOCKED) == set(CUSTOMER_FIELDS)
    assert set(IDENTIFIER_CLOCKED) == set(IDENTIFIER_FIELDS)
