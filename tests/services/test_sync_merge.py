"""A merge at the terminal: balances move by transfer entries pushed before
``customers.merged``; undo works until the operations are handed to the sync engine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.domain.errors import ConflictError
from app.domain.identifiers import IdentifierKind
from app.domain.ledger import Balances
from app.services.identifiers import CardRequest
from app.services.merge import MergeService
from app.store.database import create_session_factory
from app.store.sync_store import SqlSyncStore
from app.sync.documents import check_fields
from tests.support.directory import MANAGER
from tests.support.venue import Venue, venue_on_disk


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


def _ops(venue: Venue) -> list[tuple[str, dict[str, Any]]]:
    return [(r["kind"], json.loads(r["payload"])) for r in venue.rows("outbox")]


def _pair(venue: Venue) -> tuple[int, int]:
    ada, twin = venue.customer("Ada Lovelace"), venue.customer("Ada King")
    venue.earn(ada, 27)
    venue.earn(twin, 9)
    venue.deposit(twin, 2_000)
    venue.identifiers.issue(MANAGER, CardRequest(IdentifierKind.SMART_CARD, "0A0B", twin))
    return ada, twin


def test_a_merge_transfers_balances_then_says_so(venue: Venue) -> None:
    ada, twin = _pair(venue)
    [ada_uuid] = [r["uuid"] for r in venue.rows("customers", id=ada)]
    [twin_uuid] = [r["uuid"] for r in venue.rows("customers", id=twin)]
    entries_before = venue.count("ledger_entries")
    skip = len(_ops(venue))

    MergeService(venue.uow, venue.clock, terminal="Till 3").merge(MANAGER, ada, twin)

    assert venue.balances(ada) == Balances(points=36, purse_minor=2_000)
    assert venue.balances(twin) == Balances(points=0, purse_minor=0)
    assert venue.count("ledger_entries") == entries_before + 4  # insert-only: nothing moved
    with venue.uow() as uow:
        assert uow.ledger.lifetime_points(ada) == 36  # the twin's earnings count for the tier
    ops = _ops(venue)[skip:]
    kinds = [kind for kind, _ in ops]
    assert kinds == [
        "ledger.entry",
        "ledger.entry",
        "ledger.entry",
        "ledger.entry",
        "customer.upsert",  # the survivor had nothing to fill in: no edit of it
        "identifier.upsert",
        "customers.merged",
    ]
    transfers = [(p["customer_uuid"], p["account"], p["kind"], p["amount"]) for _, p in ops[:4]]
    assert transfers == [
        (twin_uuid, "points", "adjust", -9),
        (ada_uuid, "points", "adjust", 9),
        (twin_uuid, "purse", "adjust", -2_000),
        (ada_uuid, "purse", "adjust", 2_000),
    ]
    assert all(p["terminal"] == "Till 3" for _, p in ops[:4])
    assert all(check_fields("ledger_entry", p, whole=True) == [] for _, p in ops[:4])
    merged_fields = ops[4][1]
    assert merged_fields["customer_uuid"] == twin_uuid
    assert merged_fields["fields"] == {
        "status": "inactive",
        "status_reason": "Merged into Ada Lovelace",
    }
    assert ops[5][1]["fields"] == {"customer_uuid": ada_uuid}
    assert ops[6][1]["survivor_uuid"] == ada_uuid and ops[6][1]["merged_uuid"] == twin_uuid


def test_undo_before_sending_takes_the_operations_back(venue: Venue) -> None:
    ada, twin = _pair(venue)
    before = (venue.rows("outbox"), venue.rows("ledger_entries"), venue.rows("customers"))
    merges = MergeService(venue.uow, venue.clock)
    merge_id = merges.merge(MANAGER, ada, twin).merge_id

    merges.undo(MANAGER, merge_id)

    after = (venue.rows("outbox"), venue.rows("ledger_entries"), venue.rows("customers"))
    strip = {"updated_at", "updated_by"}
    assert after[0] == before[0] and after[1] == before[1]
    assert [{k: v for k, v in r.items() if k not in strip} for r in after[2]] == [
        {k: v for k, v in r.items() if k not in strip} for r in before[2]
    ]  # field clocks included
    assert venue.balances(twin) == Balances(points=9, purse_minor=2_000)


def test_undo_is_refused_once_the_merge_went_to_head_office(venue: Venue) -> None:
    ada, twin = _pair(venue)
    merges = MergeService(venue.uow, venue.clock)
    merge_id = merges.merge(MANAGER, ada, twin).merge_id
    SqlSyncStore(create_session_factory(venue.engine)).pending(1000)  # the engine took them
    with pytest.raises(ConflictError) as refused:
        merges.undo(MANAGER, merge_id)
    assert str(refused.value) == (
        f"Merge #{merge_id} can no longer be undone here: it has already gone to head office. "
        "Edit the two records instead, or ask head office to separate them."
    )
    assert venue.balances(ada) == Balances(points=36, purse_minor=2_000)


def test_changed_limits_go_to_head_office(venue: Venue) -> None:
    ada = venue.customer()
    venue.accounts.set_limits(MANAGER, ada, credit_limit_minor=5_000, tab_limit_minor=None)
    [(kind, payload)] = _ops(venue)
    assert kind == "customer.upsert"
    assert payload["fields"] == {"credit_limit_minor": 5_000}
    assert set(payload["clocks"]) == {"credit_limit_minor"}
