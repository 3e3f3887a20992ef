"""The offline cap: an enrolled till lets guests spend points and purse money within the
balance it knows (head office's opening plus its entries) and its allowance, less what
it spent in operations head office has not acknowledged. A standalone venue has no cap."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from app.domain.errors import ConflictError
from app.domain.ledger import Balances
from app.domain.payments import Tender
from app.domain.tabs import IdentifiedBy
from app.services.sync_ports import IncomingChange, OpeningBalance, OpOutcome
from app.store.database import create_session_factory
from app.store.sync_export import export_documents
from app.store.sync_store import SqlSyncStore
from tests.support.directory import CASHIER
from tests.support.venue import WAITER, Venue, venue_on_disk

ENROLLED = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded.with_settings(
            offline_points_allowance=500, offline_purse_allowance_minor=5_000
        )


@pytest.fixture
def sync(venue: Venue) -> SqlSyncStore:
    return SqlSyncStore(create_session_factory(venue.engine))


def enrol(sync: SqlSyncStore) -> None:
    sync.save_state(replace(sync.state(), terminal_uuid=ENROLLED, server_url="https://ho"))


def _tab(venue: Venue, customer: int, burgers: int) -> str:
    tab = venue.tabs.open(
        WAITER, table_id=venue.table_1, customer_id=customer, identified_by=IdentifiedBy.CARD
    )
    venue.tabs.add_item(WAITER, tab.uuid, venue.burger, burgers)  # 15.00 each
    return tab.uuid


def test_a_standalone_venue_has_no_allowance(venue: Venue) -> None:
    ada = venue.customer()
    venue.earn(ada, 2_000)
    paid = venue.checkout.pay(CASHIER, _tab(venue, ada, 8), [Tender.in_points(1_200)])
    assert paid.paid_minor == 12_000  # 1,200 points: well over the 500 an enrolled till allows


def test_points_beyond_the_allowance_wait_for_the_next_sync(
    venue: Venue, sync: SqlSyncStore
) -> None:
    enrol(sync)
    ada = venue.customer()
    venue.earn(ada, 2_000)
    venue.checkout.pay(CASHIER, _tab(venue, ada, 4), [Tender.in_points(400)])
    second = _tab(venue, ada, 2)
    before = venue.counts()

    with pytest.raises(ConflictError) as refused:
        venue.checkout.pay(CASHIER, second, [Tender.in_points(150)])

    assert str(refused.value) == (
        "Offline: at most 100 more points can be redeemed until this till syncs with head office"
    )
    assert venue.counts() == before  # nothing half-written
    assert venue.checkout.pay(CASHIER, second, [Tender.in_points(100)]).paid_minor == 1_000
    # Head office acknowledges what was sent: the allowance is whole again.
    sync.acknowledge([OpOutcome(op.id, "applied") for op in sync.pending(100)], 7, venue.clock.now)
    assert venue.checkout.pay(CASHIER, second, [Tender.in_points(200)]).paid_minor == 3_000


def test_purse_payments_beyond_the_allowance_are_refused(venue: Venue, sync: SqlSyncStore) -> None:
    enrol(sync)
    ada = venue.customer()
    venue.deposit(ada, 20_000)
    venue.checkout.pay(CASHIER, _tab(venue, ada, 3), [Tender.from_purse(4_000)])
    with pytest.raises(
        ConflictError,
        match=r"^Offline: at most 10\.00 GBP more can be paid from purses until this till "
        "syncs with head office$",
    ):
        venue.checkout.pay(CASHIER, _tab(venue, ada, 1), [Tender.from_purse(1_500)])
    assert venue.balances(ada) == Balances(points=0, purse_minor=16_000)


def test_the_balance_known_is_the_opening_plus_the_entries_held(
    venue: Venue, sync: SqlSyncStore
) -> None:
    enrol(sync)
    ada = venue.customer()
    [row] = venue.rows("customers", id=ada)
    sync.begin_snapshot("v1:9:max")
    catalogue = [  # head office's menu and floor: the venue's own, imported
        IncomingChange(entity, uuid, False, data)
        for entity, uuid, data in export_documents(venue.engine)
        if entity not in ("customer", "identifier", "ledger_entry")
    ]
    ada_doc = next(d for e, u, d in export_documents(venue.engine) if u == row["uuid"])
    sync.apply_snapshot_page(
        [*catalogue, IncomingChange("customer", row["uuid"], False, ada_doc)],
        [OpeningBalance(row["uuid"], "points", 120)],
        "",
    )
    sync.finish_snapshot()
    assert venue.balances(ada) == Balances(points=120, purse_minor=0)
    tab = _tab(venue, ada, 2)
    with pytest.raises(ConflictError, match="Only 120 points available; 150 asked"):
        venue.checkout.pay(CASHIER, tab, [Tender.in_points(150)])
    assert venue.checkout.pay(CASHIER, tab, [Tender.in_points(120)]).paid_minor == 1_200
