"""The sync worker: when it syncs, how it backs off, what status it reports, and stopping.

Head office is a small real HTTP server on loopback with canned answers, or a closed
port; the worker is a real thread. Tests wait on conditions, never on time.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.domain.hlc import HybridClock
from app.sync.client import HeadOfficeClient
from app.sync.engine import SyncEngine
from app.sync.errors import CredentialsUnavailableError, NotEnrolledError
from app.sync.status import SyncPhase, SyncStatus
from app.sync.worker import Backoff, SyncWorker
from tests.sync import answers
from tests.sync.canned_server import Canned, CannedHeadOffice, Seen, canned_head_office
from tests.sync.memory_store import MemorySyncStore
from tests.sync.status_log import StatusLog

NOW = datetime(2026, 11, 23, 12, 5, tzinfo=UTC)
FAST: dict[str, Any] = {"poll_s": 0.02, "debounce_s": 0.02}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def office() -> Iterator[CannedHeadOffice]:
    with canned_head_office() as server:
        yield server


@pytest.fixture
def store() -> MemorySyncStore:
    synced = MemorySyncStore()
    synced.state_ = synced.state_.__class__(
        node=synced.state_.node, cursor="v1:6:max", server_url="http://head.office"
    )
    return synced


@pytest.fixture
def log() -> StatusLog:
    return StatusLog()


def _connector(url: str, store: MemorySyncStore) -> Callable[[Callable[[], bool]], SyncEngine]:
    def connect(stopping: Callable[[], bool]) -> SyncEngine:
        client = HeadOfficeClient(url, token="t.s")
        clock = HybridClock(store.state().node, lambda: NOW)
        return SyncEngine(store, client, clock, stopping=stopping)

    return connect


@pytest.fixture
def running() -> Iterator[list[SyncWorker]]:
    workers: list[SyncWorker] = []
    yield workers
    for worker in workers:
        assert worker.stop(), "the sync worker did not stop"


def _start(running: list[SyncWorker], worker: SyncWorker) -> SyncWorker:
    running.append(worker)
    worker.start()
    return worker


def _echo(seen: Seen) -> dict[str, Any]:
    return answers.pushed(seen.json()["ops"])


def _pulls(n: int) -> list[Canned]:
    return [Canned(body=answers.pulled()) for _ in range(n)]


# --- backoff --------------------------------------------------------------------


def test_backoff_doubles_from_one_second_up_to_a_minute_with_full_jitter() -> None:
    backoff = Backoff()
    top = [backoff.delay(n, lambda: 1.0) for n in range(9)]
    assert top == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert [backoff.delay(n, lambda: 0.25) for n in range(4)] == [0.25, 0.5, 1.0, 2.0]
    assert backoff.delay(3, lambda: 0.0) == 0.0
    assert backoff.delay(10_000, lambda: 0.5) == 30.0  # no overflow after days offline


def test_offline_the_worker_retries_with_growing_jittered_delays(
    store: MemorySyncStore, log: StatusLog, running: list[SyncWorker]
) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    worker = SyncWorker(
        store,
        _connector(url, store),
        log,
        backoff=Backoff(base_s=0.01, cap_s=0.04),
        random=lambda: 1.0,
        now=lambda: NOW,
        **FAST,
    )
    _start(running, worker)

    def offline(status: SyncStatus) -> bool:
        return status.state is SyncPhase.OFFLINE

    log.wait_for_count(offline, 5)
    retries = [s.next_attempt_at for s in log.entered(offline)][:5]
    assert retries == [NOW + timedelta(seconds=d) for d in (0.01, 0.02, 0.04, 0.04, 0.04)]
    status = log.latest
    assert status.online is False
    assert status.last_error == f"Head office at {url} is not reachable: connection refused"


def test_when_head_office_is_back_the_worker_recovers_and_nothing_is_lost(
    office: CannedHeadOffice, store: MemorySyncStore, log: StatusLog, running: list[SyncWorker]
) -> None:
    op = store.write()
    office.answer("/v1/push", Canned(cut=True), Canned(body=_echo))
    office.answer("/v1/pull", *_pulls(3))
    worker = SyncWorker(
        store, _connector(office.url, store), log, backoff=Backoff(0.01, 0.02), **FAST
    )
    _start(running, worker)
    status = log.wait_for(lambda s: s.state is SyncPhase.IDLE and s.online, "back online")
    assert status.pending == 0 and status.last_error == "" and status.last_sync_at is not None
    assert SyncPhase.OFFLINE in log.phases()
    assert store.outbox[op.id].status == "done"


# --- triggers -------------------------------------------------------------------


def test_the_timer_syncs_again_every_interval(
    office: CannedHeadOffice, store: MemorySyncStore, log: StatusLog, running: list[SyncWorker]
) -> None:
    office.answer("/v1/pull", *_pulls(5))
    worker = SyncWorker(store, _connector(office.url, store), log, interval_s=0.02, **FAST)
    _start(running, worker)
    log.wait_for_count(lambda s: s.state is SyncPhase.IDLE and s.online, 3)
    assert len(office.requests_to("/v1/pull")) >= 3


def test_a_local_write_is_pushed_soon_without_waiting_for_the_timer(
    office: CannedHeadOffice, store: MemorySyncStore, log: StatusLog, running: list[SyncWorker]
) -> None:
    office.answer("/v1/pull", *_pulls(2))
    office.answer("/v1/push", Canned(body=_echo))
    worker = SyncWorker(store, _connector(office.url, store), log, interval_s=3600, **FAST)
    _start(running, worker)
    log.wait_for(lambda s: s.state is SyncPhase.IDLE and s.online, "first sync")
    op = store.write()
    log.wait_for(lambda s: s.pending == 1, "the write seen")
    log.wait_for(lambda s: s.pending == 0 and s.state is SyncPhase.IDLE, "the write pushed")
    assert store.outbox[op.id].status == "done"
    assert worker.cycles == 2


def test_sync_now_runs_a_cycle_at_once(
    office: CannedHeadOffice, store: MemorySyncStore, log: StatusLog, running: list[SyncWorker]
) -> None:
    office.answer("/v1/pull", *_pulls(2))
    worker = SyncWorker(store, _connector(office.url, store), log, interval_s=3600, **FAST)
    _start(running, worker)
    log.wait_for(lambda s: s.state is SyncPhase.IDLE and s.online)
    worker.sync_now()
    log.wait_for_count(lambda s: s.state is SyncPhase.SYNCING, 2)
    log.wait_for(lambda s: s.state is SyncPhase.IDLE)
    assert len(office.requests_to("/v1/pull")) == 2


# --- stopped states -------------------------------------------------------------


def test_revoked_the_worker_stops_syncing_and_says_so(
    office: CannedHeadOffice, store: MemorySyncStore, log: StatusLog, running: list[SyncWorker]
) -> None:
    store.write()
    office.answer("/v1/push", Canned(401, answers.error("terminal_revoked", "Revoked.")))
    worker = SyncWorker(store, _connector(office.url, store), log, interval_s=0.01, **FAST)
    _start(running, worker)
    status = log.wait_for(lambda s: s.state is SyncPhase.REVOKED, "revoked")
    assert status.stopped and status.pending == 1
    assert status.last_error == "This terminal was revoked at head office; enrol it again"
    store.write()  # a write after the revocation starts nothing
    log.wait_for(lambda s: s.pending == 2, "the write seen")
    store.wait_calls("counts", store.calls.count("counts") + 3)  # a few polls later...
    assert len(office.seen) == 1 and worker.cycles == 1  # ...still nothing sent


def test_not_enrolled_it_waits_and_enrolment_on_its_thread_starts_sync(
    office: CannedHeadOffice, store: MemorySyncStore, log: StatusLog, running: list[SyncWorker]
) -> None:
    enrolled = threading.Event()
    office.answer("/v1/pull", *_pulls(1))
    connect_there = _connector(office.url, store)

    def connect(stopping: Callable[[], bool]) -> SyncEngine:
        if not enrolled.is_set():
            raise NotEnrolledError("This terminal is not enrolled with head office")
        return connect_there(stopping)

    worker = _start(running, SyncWorker(store, connect, log, interval_s=3600, **FAST))
    status = log.wait_for(lambda s: s.state is SyncPhase.NOT_ENROLLED and s.last_error != "")
    assert status.stopped and status.last_error == "This terminal is not enrolled with head office"

    def enrol() -> str:
        enrolled.set()
        worker.reconnect()
        return threading.current_thread().name

    assert worker.submit(enrol).result(timeout=20) == "sync-worker"
    log.wait_for(lambda s: s.state is SyncPhase.IDLE and s.online, "synced after enrolment")
    assert log.threads == {"sync-worker"}


def test_without_a_keyring_sync_stays_off_with_the_reason(
    store: MemorySyncStore, log: StatusLog, running: list[SyncWorker]
) -> None:
    def connect(stopping: Callable[[], bool]) -> SyncEngine:
        raise CredentialsUnavailableError("No OS keyring is available, so ...")

    _start(running, SyncWorker(store, connect, log, interval_s=0.01, **FAST))
    status = log.wait_for(lambda s: s.state is SyncPhase.ERROR)
    assert status.last_error.startswith("No OS keyring is available")
    assert status.next_attempt_at is None


# --- the thread -----------------------------------------------------------------


def test_a_failing_listener_does_not_stop_the_worker(
    office: CannedHeadOffice, store: MemorySyncStore, running: list[SyncWorker]
) -> None:
    office.answer("/v1/pull", *_pulls(2))
    log = StatusLog()

    def listener(status: SyncStatus) -> None:
        log(status)
        raise RuntimeError("a screen that went away")

    worker = _start(running, SyncWorker(store, _connector(office.url, store), listener, **FAST))
    log.wait_for(lambda s: s.state is SyncPhase.IDLE and s.online)
    worker.sync_now()
    log.wait_for_count(lambda s: s.state is SyncPhase.IDLE and s.online, 2)


def test_stop_ends_a_long_snapshot_between_pages(
    office: CannedHeadOffice, log: StatusLog, running: list[SyncWorker]
) -> None:
    fresh = MemorySyncStore()
    release = threading.Event()
    page = answers.snapshot_page([answers.category()], page="next", done=False)
    office.answer("/v1/snapshot", Canned(body=page, hold=release), *[Canned(body=page)] * 3)
    worker = SyncWorker(fresh, _connector(office.url, fresh), log, **FAST)
    worker.start()
    log.wait_for(lambda s: s.state is SyncPhase.SYNCING)
    stopper = threading.Thread(target=worker.stop)
    stopper.start()
    release.set()
    stopper.join(20)
    assert not stopper.is_alive()
    assert worker.stop(timeout=0)
    assert len(office.requests_to("/v1/snapshot")) == 1
    assert fresh.state().snapshot_page == "next"  # the page it had is kept; it resumes there
