"""Taking a snapshot into a real store: openings swapped in with the entries they hold
deleted, so balances stay exact; what head office no longer has is dropped; into an
empty store the search index is built once at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from app.domain.identifiers import IdentifierKind
from app.domain.ids import new_uuid7
from app.domain.ledger import Balances
from app.domain.tabs import IdentifiedBy
from app.services.accounts import AccountService
from app.services.customer_form import CustomerForm
from app.services.identifiers import CardRequest
from app.services.sync_ports import IncomingChange, OpeningBalance, OpOutcome
from app.store.database import create_session_factory
from app.store.sync_export import export_documents
from app.store.sync_store import SqlSyncStore
from tests.store.test_sync_apply import (
    CURSOR,
    change,
    customer_doc,
    customer_row,
    directory,
    search,
)
from tests.support.directory import CASHIER, MANAGER
from tests.support.venue import WAITER, Venue, venue_on_disk

SNAPSHOT = "v1:99:max"  # W = 100


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


@pytest.fixture
def sync(venue: Venue) -> SqlSyncStore:
    return SqlSyncStore(create_session_factory(venue.engine))


def _triggers(venue: Venue) -> int:
    with venue.engine.connect() as connection:
        return int(
            connection.scalar(text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"))
            or 0
        )


def _catalogue(venue: Venue) -> list[IncomingChange]:
    """The seeded catalogue as head office's snapshot would carry it (same uuids)."""
    return [
        change(entity, uuid, data)
        for entity, uuid, data in export_documents(venue.engine)
        if entity not in ("customer", "identifier", "ledger_entry")
    ]


def test_openings_replace_what_head_office_acknowledged(venue: Venue, sync: SqlSyncStore) -> None:
    ada = new_uuid7()
    sync.apply_changes([change("customer", ada, customer_doc("Ada Lovelace"))], CURSOR)
    ada_id = customer_row(venue, ada)["id"]
    accounts = AccountService(venue.uow, venue.settings, venue.clock)
    accounts.top_up(CASHIER, ada_id, 1_000)  # acknowledged before the snapshot: in its openings
    accounts.top_up(CASHIER, ada_id, 300)  # acknowledged after it began: comes again by pull
    accounts.top_up(CASHIER, ada_id, 200)  # not acknowledged: stays
    first, second, _ = sync.pending(10)
    sync.acknowledge([OpOutcome(first.id, "applied")], txid=50, at=venue.clock.now)
    sync.acknowledge([OpOutcome(second.id, "applied")], txid=120, at=venue.clock.now)
    assert venue.balances(ada_id) == Balances(points=0, purse_minor=1_500)

    sync.begin_snapshot(SNAPSHOT)
    sync.apply_snapshot_page(
        [*_catalogue(venue), change("customer", ada, customer_doc("Ada Lovelace"))],
        [
            OpeningBalance(ada, "purse", 5_000 + 1_000),  # 50.00 paid in at another till
            OpeningBalance(ada, "points", 70, lifetime_points=90),
        ],
        "page-2",
    )
    assert venue.balances(ada_id) == Balances(points=0, purse_minor=1_500)  # not before finish
    sync.finish_snapshot()

    assert venue.balances(ada_id) == Balances(points=70, purse_minor=6_000 + 300 + 200)
    with venue.uow() as uow:
        assert uow.ledger.lifetime_points(ada_id) == 90
        card = uow.identification.customer_card(ada_id)
    assert card is not None and (card.points, card.purse_minor, card.lifetime_points) == (
        70,
        6_500,
        90,
    )
    assert [e["amount"] for e in venue.rows("ledger_entries")] == [300, 200]
    state = sync.state()
    assert (state.cursor, state.snapshot_cursor, state.snapshot_page) == (SNAPSHOT, "", "")


def test_what_head_office_no_longer_has_goes_but_the_tills_own_stays(
    venue: Venue, sync: SqlSyncStore
) -> None:
    gone, kept_by_history, sent = new_uuid7(), new_uuid7(), new_uuid7()
    sync.apply_changes(
        [
            change("customer", gone, customer_doc("Gone Away")),
            change("customer", kept_by_history, customer_doc("Tab Holder")),
        ],
        CURSOR,
    )
    holder = customer_row(venue, kept_by_history)["id"]
    venue.tabs.open(
        WAITER, table_id=venue.table_1, customer_id=holder, identified_by=IdentifiedBy.PHONE
    )
    till = directory(venue)
    pending = till.create(MANAGER, CustomerForm(first_name="New", last_name="Here")).record
    acked = till.create(MANAGER, CustomerForm(first_name="Sent", last_name="Before")).record
    [acked_op] = [op for op in sync.pending(10) if op.entity_uuid == acked.uuid]
    sync.acknowledge([OpOutcome(acked_op.id, "applied")], txid=10, at=venue.clock.now)
    before_sync = venue.customer("Old Regular")  # from before this store synced: no operation
    venue.identifiers.issue(MANAGER, _card(holder))

    sync.begin_snapshot(SNAPSHOT)
    sync.apply_snapshot_page([change("customer", sent, customer_doc("Only HO"))], [], "")
    sync.finish_snapshot()

    names = {r["full_name"]: r["status"] for r in venue.rows("customers")}
    assert "Gone Away" not in names and "Sent Before" not in names
    assert names["Tab Holder"] == "inactive"  # their open tab keeps them, deactivated
    assert {"New Here", "Old Regular", "Only HO"} <= set(names)
    assert venue.rows("customers", id=before_sync)[0]["status"] == "active"
    assert venue.count("menu_items") == 0 and venue.count("divisions") == 0  # head office's menu
    assert pending.uuid in {r["uuid"] for r in venue.rows("customers")}


def _card(customer_id: int) -> CardRequest:
    return CardRequest(IdentifierKind.SMART_CARD, "04FF", customer_id)


def test_customers_written_in_bulk_are_indexed_as_the_triggers_would(
    venue: Venue, sync: SqlSyncStore
) -> None:
    with_triggers = _triggers(venue)
    docs = [
        change(
            "customer",
            new_uuid7(),
            customer_doc(
                name,
                company=company,
                alias=f"guest{i}" if i % 3 == 0 else None,
                phones=[{"e164": f"+4477009{i:05d}", "kind": "mobile", "primary": True}],
                emails=[{"address": f"Guest{i}@Example.com", "primary": True}],
            ),
        )
        for i, (name, company) in enumerate(
            [(f"Guest Number{i}", "") for i in range(20)]
            + [("Zoë Brontë", "Café Rouge"), ("Łukasz Żółć", "ŁÓDŹ Sp. z o.o."), ("Ægir Ørn", "")]
        )
    ]
    sync.begin_snapshot(SNAPSHOT)
    sync.apply_snapshot_page([*_catalogue(venue), *docs[:15]], [], "p2")
    assert search(venue, "number7") == ["Guest Number7"]  # searchable from the first page
    walk_in = directory(venue).create(MANAGER, CustomerForm(first_name="Walk", last_name="Inn"))
    sync.apply_snapshot_page(docs[15:], [], "")
    sync.finish_snapshot()

    assert _triggers(venue) == with_triggers and venue.count("sync_state", key="_bulk") == 0
    assert search(venue, "number17") == ["Guest Number17"]
    assert search(venue, "walk inn") == ["Walk Inn"]
    assert search(venue, "cafe rouge") == ["Zoë Brontë"]
    assert walk_in.record.uuid in {r["uuid"] for r in venue.rows("customers")}
    with venue.engine.connect() as connection:

        def rows(sql: str) -> list[tuple[object, ...]]:
            return sorted(tuple(r) for r in connection.execute(text(sql)))

        assert rows(
            "SELECT rowid, name, alias, company, phones, emails FROM customer_search"
        ) == rows("SELECT id, name, alias, company, phones, emails FROM customer_search_source")
        assert rows("SELECT key, customer_id FROM customer_name_keys") == sorted(
            set(rows("SELECT key, customer_id FROM customer_name_key_source"))
        )
