"""Terminals syncing with a real head office (a subprocess on loopback, on SQLite and on
PostgreSQL): enrolment by code, pushes of what the services wrote, pulls and snapshots of
head office's documents, and recovery when head office dies mid-sync."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, cast

import pytest

from app.services.dto import DirectoryQuery
from app.services.sync_ports import SyncStore
from app.sync.client import HeadOfficeClient
from app.sync.credentials import SERVICE
from app.sync.engine import CycleResult, SyncEngine
from app.sync.errors import RevokedError
from app.sync.status import SyncPhase
from app.sync.worker import Backoff
from tests.support.headoffice_server import REPO_ROOT, HeadOfficeProcess
from tests.sync.conftest import MANAGER, Till, Tills, head_office_counts
from tests.sync.memory_store import Dying, Killed
from tests.sync.status_log import StatusLog

SEED = REPO_ROOT / "resources" / "headoffice" / "seed-example.json"


def engine_of(till: Till, store: SyncStore | None = None, **options: Any) -> SyncEngine:
    """An engine for the terminal's store (or ``store`` standing for it)."""
    state = till.headless.sync_store.state()
    token = till.ring.get_password(SERVICE, state.server_url)
    assert token is not None, "the terminal is not enrolled"
    client = HeadOfficeClient(state.server_url, token=token)
    used = store if store is not None else till.headless.sync_store
    return SyncEngine(used, client, till.headless.terminal.hlc, **options)


def cycle(till: Till, **options: Any) -> CycleResult:
    engine = engine_of(till, **options)
    try:
        return engine.run_cycle()
    finally:
        engine.close()


def cycle_until(till: Till, done: Callable[[], bool], attempts: int = 200) -> CycleResult:
    """Sync until ``done()``: a pull sees a commit once every transaction older than it has
    ended, and on PostgreSQL that counts the whole (shared) cluster's transactions."""
    pause = threading.Event()
    for _attempt in range(attempts):
        result = cycle(till)
        if not result.ok or done():
            return result
        pause.wait(0.05)  # nothing to wait on but head office's next transaction
    raise AssertionError(f"still not there after {attempts} syncs")


def names(till: Till, text: str = "") -> list[str]:
    page = till.headless.directory.search(MANAGER, DirectoryQuery(text=text, limit=500))
    return sorted(row.full_name for row in page.rows)


def test_enrolment_keeps_the_token_in_the_keyring_and_the_identity_in_the_store(
    head_office: HeadOfficeProcess, tills: Tills
) -> None:
    till = tills("Till 1")
    node_before = till.headless.sync_store.state().node
    till.enrol(head_office, "Till 1")
    state = till.headless.sync_store.state()
    assert state.server_url == head_office.base_url and state.terminal_name == "Till 1"
    assert state.node == state.terminal_uuid != node_before
    token = till.ring.store[(SERVICE, head_office.base_url)]
    assert token.startswith(f"{state.terminal_uuid}.") and len(token) > 40
    assert not any(token in p.read_text(errors="ignore") for p in till.home.rglob("*.db"))


def test_writes_reach_head_office_once_and_another_terminal_pulls_them(
    head_office: HeadOfficeProcess, database_url: str, tills: Tills
) -> None:
    head_office.cli("seed", str(SEED))
    first, second = tills("Till 1"), tills("Till 2")
    first.enrol(head_office, "Till 1")
    second.enrol(head_office, "Till 2")
    fresh = cycle(second)  # a fresh terminal takes a snapshot: the seeded catalogue
    assert fresh.ok and fresh.snapshot_finished and fresh.pulled > 0
    assert "Regular" in [name for _, name in second.headless.terminal.promotion_categories()]

    first.add_customer("Ada", "Lovelace", "07911 123456")
    first.add_customer("Charles", "Babbage")
    pushed = cycle(first)
    assert pushed.ok, pushed.error
    assert pushed.applied >= 2  # a customer.upsert each
    assert first.headless.sync_store.counts().pending == 0

    again = cycle(first)  # nothing new: nothing sent twice
    assert again.ok and again.acknowledged == 0

    pulled = cycle_until(second, lambda: len(names(second)) == 2)
    assert pulled.ok and not pulled.snapshot_finished  # by pull, from the snapshot's cursor
    assert names(second) == ["Ada Lovelace", "Charles Babbage"]
    counts = head_office_counts(database_url)
    assert counts["customers"] == 2
    assert counts["applied"] == pushed.applied  # each operation exactly once


def test_a_snapshot_killed_half_way_resumes_and_pushes_only_after_it(
    head_office: HeadOfficeProcess, tills: Tills
) -> None:
    head_office.cli("seed", str(SEED))
    first = tills("Till 1")
    first.enrol(head_office, "Till 1")
    for n in range(7):
        first.add_customer("Guest", f"Number {n}")
    assert cycle(first).ok

    fresh = tills("Till 2")
    fresh.enrol(head_office, "Till 2")
    fresh.add_customer("Walk", "In")  # waiting in the outbox while the snapshot runs
    store = fresh.headless.sync_store
    dying = cast(SyncStore, Dying(store, "apply_snapshot_page", nth=3, when="after"))
    engine = engine_of(fresh, dying, snapshot_limit=3)
    with pytest.raises(Killed):
        engine.run_cycle()
    engine.close()
    killed_at = store.state()
    assert killed_at.snapshot_page and killed_at.snapshot_cursor and not killed_at.cursor
    assert store.counts().pending == 1  # nothing pushed during the snapshot

    resumed = cycle(fresh, snapshot_limit=3)
    assert resumed.ok and resumed.snapshot_finished and resumed.applied == 1
    assert store.state().snapshot_page == "" and store.state().cursor
    assert names(fresh, "Number") == [f"Guest Number {n}" for n in range(7)]
    assert names(fresh, "Walk") == ["Walk In"]


def test_head_office_killed_mid_sync_the_worker_backs_off_recovers_and_loses_nothing(
    head_office: HeadOfficeProcess, database_url: str, tills: Tills
) -> None:
    log = StatusLog()
    till = tills("Till 1", listener=log, backoff=Backoff(base_s=0.05, cap_s=0.4))
    till.enrol(head_office, "Till 1")
    till.headless.sync.start()
    log.wait_for(lambda s: s.state is SyncPhase.IDLE and s.online, "the first sync")

    for n in range(60):
        till.add_customer("Regular", f"Guest {n:02d}")
    log.wait_for(lambda s: s.state is SyncPhase.SYNCING and s.pending > 0, "syncing the writes")
    head_office.kill()  # wherever it is: before, during or after committing the push
    for n in range(60, 80):
        till.add_customer("Regular", f"Guest {n:02d}")
    log.wait_for_count(lambda s: s.state is SyncPhase.OFFLINE, 3)
    offline = log.latest
    assert offline.online is False and "is not reachable" in offline.last_error
    assert offline.next_attempt_at is not None and offline.pending > 0

    head_office.start()  # same database, same port: the network is back
    back = log.wait_for(
        lambda s: s.state is SyncPhase.IDLE and s.online and s.pending == 0, "recovered"
    )
    assert back.last_error == "" and back.rejected == 0
    counts = head_office_counts(database_url)
    assert counts["customers"] == 80  # nothing lost, nothing doubled
    assert counts.get("rejected", 0) == 0

    other = tills("Till 2")
    other.enrol(head_office, "Till 2")
    assert cycle(other).ok
    assert names(other, "Regular") == [f"Regular Guest {n:02d}" for n in range(80)]


def test_a_revoked_terminal_stops_syncing_and_says_so(
    head_office: HeadOfficeProcess, tills: Tills
) -> None:
    log = StatusLog()
    till = tills("Till 1", listener=log)
    till.enrol(head_office, "Till 1")
    till.headless.sync.start()
    log.wait_for(lambda s: s.state is SyncPhase.IDLE and s.online, "the first sync")

    head_office.cli("revoke", till.headless.sync_store.state().terminal_uuid)
    till.add_customer("After", "Revocation")
    till.headless.sync.sync_now()
    status = log.wait_for(lambda s: s.state is SyncPhase.REVOKED, "revoked")
    assert status.last_error == "This terminal was revoked at head office; enrol it again"
    assert status.pending == 1 and till.headless.sync_store.counts().pending == 1
    assert isinstance(cycle(till).error, RevokedError)
