"""Catalogue, card and ledger documents from head office: references by uuid turned into
the store's keys, a card's value won by head office, entries inserted once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.domain.identifiers import IdentifierKind, IdentifierStatus
from app.domain.ids import new_uuid7
from app.services.identifiers import CardRequest
from app.store.database import create_session_factory
from app.store.sync_store import SqlSyncStore
from app.sync.documents import check_fields
from tests.store.test_sync_apply import CURSOR, T1, T2, change, customer_doc, customer_row, stamp
from tests.support.directory import MANAGER
from tests.support.venue import Venue, venue_on_disk


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


@pytest.fixture
def sync(venue: Venue) -> SqlSyncStore:
    return SqlSyncStore(create_session_factory(venue.engine))


def test_sales_rules_keep_their_scope_as_local_ids(venue: Venue, sync: SqlSyncStore) -> None:
    [vip] = venue.rows("promotion_categories", id=venue.vip)
    [drinks] = venue.rows("menu_groups", id=venue.drinks)
    rule = {
        "category_uuid": vip["uuid"],
        "position": 3,
        "name": "Tuesday drinks",
        "kind": "percent_discount",
        "group_uuids": [drinks["uuid"]],
        "item_uuids": [],
        "weekdays": [1],
        "starts": "17:00",
        "ends": "19:00",
        "first_day": None,
        "last_day": None,
        "percent": "15",
        "fixed_price_minor": None,
        "points_per_unit": None,
        "every_n": None,
        "bonus_points": None,
        "birthday_days": 0,
        "repeats": True,
        "active": True,
    }
    assert check_fields("sales_rule", rule, whole=True) == []
    uuid = new_uuid7()
    sync.apply_changes([change("sales_rule", uuid, rule)], CURSOR)
    [row] = venue.rows("sales_rules", uuid=uuid)
    assert (row["category_id"], row["group_ids"], row["weekdays"]) == (
        venue.vip,
        str(venue.drinks),
        "1",
    )
    assert str(row["percent"]) == "15" and row["starts"] == "17:00"


def test_a_card_from_head_office_wins_its_value_over_a_local_one(
    venue: Venue, sync: SqlSyncStore
) -> None:
    ada = venue.customer()
    local = venue.identifiers.issue(MANAGER, CardRequest(IdentifierKind.SMART_CARD, "04A1B2", ada))
    ours = new_uuid7()
    card = {
        "kind": "smart_card",
        "value": "04A1B2",
        "customer_uuid": None,
        "promotion_category_uuid": None,
        "status": "active",
        "label": "House",
        "issued_at": "2026-11-01T09:00:00+00:00",
        "expires_at": None,
        "replaces_uuid": None,
        "clocks": {"status": stamp(T1), "value": stamp(T1), "label": stamp(T1)},
    }
    sync.apply_changes([change("identifier", ours, card)], CURSOR)
    sync.apply_changes([change("identifier", ours, card)], CURSOR)

    [mine] = venue.rows("identifiers", id=local.id)
    [theirs] = venue.rows("identifiers", uuid=ours)
    assert (mine["status"], theirs["status"]) == (IdentifierStatus.EXPIRED, IdentifierStatus.ACTIVE)
    with venue.uow() as uow:
        hit = uow.identifiers.lookup(IdentifierKind.SMART_CARD, "04A1B2")
    assert hit is not None and hit.identifier_id == theirs["id"]

    later = {**card, "label": "Bar", "clocks": {**card["clocks"], "label": stamp(T2)}}
    sync.apply_changes([change("identifier", ours, later)], CURSOR)
    assert venue.rows("identifiers", uuid=ours)[0]["label"] == "Bar"


def test_ledger_entries_are_inserted_once_and_follow_their_customer(
    venue: Venue, sync: SqlSyncStore
) -> None:
    ada, bea, entry = new_uuid7(), new_uuid7(), new_uuid7()
    doc = {
        "uuid": entry,
        "customer_uuid": ada,
        "account": "points",
        "kind": "earn",
        "amount": 40,
        "at": "2026-11-22T20:00:00+00:00",
        "tab_uuid": None,
        "terminal": "Till 2",
        "staff_uuid": "00000000-0000-7000-8000-000000000009",
        "reason": "tab 12",
        "reverses_uuid": None,
    }
    assert check_fields("ledger_entry", doc, whole=True) == []
    sync.apply_changes([change("ledger_entry", entry, doc)], CURSOR)  # Ada is not here yet
    assert venue.count("ledger_entries") == 0
    sync.apply_changes([change("customer", ada, customer_doc("Ada"))], CURSOR)
    sync.apply_changes([change("ledger_entry", entry, doc)], CURSOR)
    ada_id = customer_row(venue, ada)["id"]
    assert venue.balances(ada_id).points == 40 and venue.count("ledger_entries") == 1

    sync.apply_changes(
        [
            change("customer", bea, customer_doc("Bea")),
            change("ledger_entry", entry, {**doc, "customer_uuid": bea}),
        ],
        CURSOR,
    )
    assert venue.balances(ada_id).points == 0
    assert venue.balances(customer_row(venue, bea)["id"]).points == 40
