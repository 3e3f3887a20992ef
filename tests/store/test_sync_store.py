"""The sync bookkeeping in a real store: the node, the state, the outbox as the engine
sees it (pending, acknowledged, rejected) and the counts the status bar shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from app.services.customer_form import CustomerForm
from app.services.sync_ports import OpOutcome, SyncState
from app.store.database import StoreLocation, create_session_factory, create_store_engine
from app.store.sync_store import SqlSyncStore
from app.store.tab_schema import outbox
from tests.support.directory import MANAGER, Directory

AT = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


def test_the_node_is_made_once_and_the_state_kept(store: Directory, tmp_store_path: Path) -> None:
    sync = SqlSyncStore(create_session_factory(store.engine))
    first = sync.state()
    assert len(first.node) == 36 and first.cursor == "" and first.last_sync_at is None
    assert sync.state().node == first.node
    saved = replace(
        first,
        server_url="https://ho.example",
        terminal_uuid="0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        terminal_name="Till 2",
        cursor="v1:4:7",
        last_sync_at=AT,
        last_error="Head office did not answer",
        extra={"backoff": "30"},
    )
    sync.save_state(saved)

    engine = create_store_engine(StoreLocation(tmp_store_path))  # as after a restart
    try:
        again = SqlSyncStore(create_session_factory(engine)).state()
    finally:
        engine.dispose()
    assert again == saved
    assert isinstance(again, SyncState) and again.last_sync_at == AT


def test_pending_operations_go_oldest_first_until_acknowledged(store: Directory) -> None:
    sync = SqlSyncStore(create_session_factory(store.engine))
    for name in ("Ann", "Bob", "Cy"):
        store.clock.now += timedelta(minutes=1)
        store.directory.create(MANAGER, CustomerForm(first_name=name))
    ann, bob, cy = sync.pending(10)
    assert [op.payload["fields"]["full_name"] for op in (ann, bob, cy)] == ["Ann", "Bob", "Cy"]
    assert (
        ann.kind == "customer.upsert"
        and ann.hlc
        and ann.entity_uuid == ann.payload["customer_uuid"]
    )
    assert [op.id for op in sync.pending(2)] == [ann.id, bob.id]
    counts = sync.counts()
    assert (counts.pending, counts.rejected, counts.oldest_pending_at) == (3, 0, ann.created_at)

    sync.acknowledge(
        [OpOutcome(ann.id, "applied"), OpOutcome(bob.id, "rejected", "alias taken at head office")],
        txid=42,
        at=AT,
    )
    sync.acknowledge([OpOutcome(ann.id, "duplicate")], txid=43, at=AT)  # the answer came twice

    assert [op.id for op in sync.pending(10)] == [cy.id]
    counts = sync.counts()
    assert (counts.pending, counts.rejected, counts.oldest_pending_at) == (1, 1, cy.created_at)
    rows = {r["uuid"]: r for r in _outbox(store)}
    assert (rows[ann.id]["status"], rows[ann.id]["ho_txid"]) == ("done", 43)
    assert (rows[bob.id]["status"], rows[bob.id]["reason"]) == (
        "rejected",
        "alias taken at head office",
    )
    assert rows[bob.id]["acked_at"] == AT


def _outbox(store: Directory) -> list[dict[str, object]]:
    with store.engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(select(outbox))]
