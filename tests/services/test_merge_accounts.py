"""Merging customers with accounts: balances add up, tabs and statistics follow, undo
puts every row back; a customer with tabs or ledger entries cannot be deleted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.domain.errors import ConflictError
from app.domain.ledger import Balances
from app.domain.payments import Tender
from app.domain.tabs import IdentifiedBy
from app.services.directory import DirectoryService, VenueSettings
from app.services.merge import MergeService
from tests.support.directory import CASHIER, MANAGER
from tests.support.venue import NOON, WAITER, Venue, venue_on_disk


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


@pytest.fixture
def merges(venue: Venue) -> MergeService:
    return MergeService(venue.uow, venue.clock)


def _visit(venue: Venue, customer: int, item: int, quantity: int, tender: Tender) -> str:
    """A closed tab for ``customer``: ``quantity`` of ``item``, paid with ``tender``."""
    tab = venue.tabs.open(
        WAITER, table_id=venue.table_1, customer_id=customer, identified_by=IdentifiedBy.CARD
    )
    venue.tabs.add_item(WAITER, tab.uuid, item, quantity)
    venue.checkout.pay_and_close(CASHIER, tab.uuid, [tender])
    return tab.uuid


def _books(venue: Venue, *customers: int) -> dict[str, Any]:
    """Every row a merge touches for these customers, as plain values."""
    return {
        "ledger": [(e["id"], e["customer_id"]) for e in venue.rows("ledger_entries")],
        "tabs": [(t["id"], t["customer_id"]) for t in venue.rows("guest_tabs")],
        "visits": [(v["id"], v["customer_id"]) for v in venue.rows("visits")],
        "stats": [venue.rows("customer_stats", customer_id=c) for c in customers],
        "figures": [
            [(r["total_spent_minor"], r["order_count"], r["last_visit_at"])]
            for c in customers
            for r in venue.rows("customers", id=c)
        ],
    }


def _two_regulars(venue: Venue) -> tuple[int, int, str]:
    """Ada (a burger lunch ten days ago, 10.00 in her purse) and her duplicate (two ales
    five days ago by card, 20.00 in the purse, and a tab open now at table 2)."""
    ada = venue.customer("Ada Lovelace", promotion_category_id=venue.vip)
    twin = venue.customer("Ada King", promotion_category_id=venue.vip)
    venue.clock.now = NOON - timedelta(days=10)
    _visit(venue, ada, venue.burger, 2, Tender.in_cash(2_700))  # 27.00 after VIP: 27 points
    venue.deposit(ada, 1_000)
    venue.clock.now = NOON - timedelta(days=5)
    _visit(venue, twin, venue.beer, 2, Tender.by_card(900))  # 9.00: 9 points
    venue.deposit(twin, 2_000)
    venue.clock.now = NOON
    open_tab = venue.tabs.open(
        WAITER, table_id=venue.table_2, customer_id=twin, identified_by=IdentifiedBy.PHONE
    )
    return ada, twin, open_tab.uuid


def test_a_merge_adds_balances_and_statistics_and_moves_tabs(
    venue: Venue, merges: MergeService
) -> None:
    ada, twin, open_tab = _two_regulars(venue)
    assert venue.balances(ada) == Balances(points=27, purse_minor=1_000)
    assert venue.balances(twin) == Balances(points=9, purse_minor=2_000)

    result = merges.merge(MANAGER, ada, twin)

    assert result.changes.accounts
    assert venue.balances(ada) == Balances(points=36, purse_minor=3_000)
    assert venue.balances(twin) == Balances(points=0, purse_minor=0)
    assert {t["customer_id"] for t in venue.rows("guest_tabs")} == {ada}
    assert venue.tabs.view(WAITER, open_tab).customer_id == ada
    [stats] = venue.rows("customer_stats", customer_id=ada)
    assert (stats["visits"], stats["total_spent_minor"]) == (2, 3_600)
    assert (stats["first_visit_at"], stats["last_visit_at"]) == (
        NOON - timedelta(days=10),
        NOON - timedelta(days=5),
    )
    assert json.loads(stats["item_counts"]) == {str(venue.burger): 2, str(venue.beer): 2}
    assert json.loads(stats["payment_counts"]) == {"cash": 1, "card": 1}
    assert venue.rows("customer_stats", customer_id=twin) == []
    [survivor] = venue.rows("customers", id=ada)
    assert (survivor["total_spent_minor"], survivor["order_count"]) == (3_600, 2)
    assert survivor["last_visit_at"] == NOON - timedelta(days=5)
    [merged] = venue.rows("customers", id=twin)
    assert (merged["total_spent_minor"], merged["order_count"], merged["last_visit_at"]) == (
        0,
        0,
        None,
    )
    assert result.survivor.total_spent_minor == 3_600


def test_undo_puts_every_entry_tab_and_figure_back(venue: Venue, merges: MergeService) -> None:
    ada, twin, _ = _two_regulars(venue)
    before = _books(venue, ada, twin)
    merge_id = merges.merge(MANAGER, ada, twin).merge_id
    assert _books(venue, ada, twin) != before

    undone = merges.undo(MANAGER, merge_id)

    assert _books(venue, ada, twin) == before
    assert venue.balances(ada) == Balances(points=27, purse_minor=1_000)
    assert venue.balances(twin) == Balances(points=9, purse_minor=2_000)
    assert (undone.survivor.total_spent_minor, undone.survivor.order_count) == (2_700, 1)


def test_what_the_survivor_gains_after_the_merge_stays_on_undo(
    venue: Venue, merges: MergeService
) -> None:
    ada, twin, open_tab = _two_regulars(venue)
    merge_id = merges.merge(MANAGER, ada, twin).merge_id
    venue.clock.now = NOON + timedelta(hours=1)
    later = _visit(venue, ada, venue.burger, 1, Tender.in_cash(1_350))  # 13.50: 13 points

    merges.undo(MANAGER, merge_id)

    assert venue.balances(ada) == Balances(points=27 + 13, purse_minor=1_000)
    assert venue.balances(twin) == Balances(points=9, purse_minor=2_000)
    owners = {t["uuid"]: t["customer_id"] for t in venue.rows("guest_tabs")}
    assert (owners[open_tab], owners[later]) == (twin, ada)
    [kept] = venue.rows("customer_stats", customer_id=ada)
    assert (kept["visits"], kept["total_spent_minor"]) == (2, 2_700 + 1_350)
    assert (kept["first_visit_at"], kept["last_visit_at"]) == (
        NOON - timedelta(days=10),
        NOON + timedelta(hours=1),
    )
    assert json.loads(kept["item_counts"]) == {str(venue.burger): 3}
    [back] = venue.rows("customer_stats", customer_id=twin)
    assert (back["visits"], back["total_spent_minor"]) == (1, 900)
    assert json.loads(back["payment_counts"]) == {"card": 1}


def test_a_customer_with_tabs_or_ledger_entries_cannot_be_deleted(venue: Venue) -> None:
    directory = DirectoryService(venue.uow, VenueSettings(default_region="GB"), venue.clock)
    ada = venue.customer()
    venue.tabs.open(
        WAITER, table_id=venue.table_1, customer_id=ada, identified_by=IdentifiedBy.SEARCH
    )
    venue.deposit(ada, 1_000)
    venue.earn(ada, 50)
    with pytest.raises(ConflictError) as refused:
        directory.delete(MANAGER, ada)
    assert str(refused.value) == (
        "Ada Lovelace cannot be deleted: they have 1 tab, 0 visits and 2 ledger entries. "
        "Deactivate them instead."
    )
    assert venue.count("customers", id=ada) == 1
    assert venue.audit()[-1][0] == "customer.delete_refused"

    bea = venue.customer("Bea Purse")
    venue.deposit(bea, 500)  # a purse alone ties her to the books
    with pytest.raises(ConflictError, match="0 tabs, 0 visits and 1 ledger entry"):
        directory.delete(MANAGER, bea)
    newcomer = venue.customer("Cy Newcomer")
    assert directory.delete(MANAGER, newcomer).customers
    assert venue.count("customers", id=newcomer) == 0
