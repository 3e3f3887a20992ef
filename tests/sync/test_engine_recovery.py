"""The engine's error paths and recovery: nothing lost, nothing doubled, nothing stuck.

Head office here is a small real HTTP server on loopback with canned answers (error
paths only); a terminal "killed" at a chosen store call is modelled by ``Dying``.
The same flows against the real head office are in test_against_head_office.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from app.domain.hlc import HybridClock, parse_stamp
from app.sync.client import HeadOfficeClient
from app.sync.engine import SNAPSHOT_DONE, SyncEngine
from app.sync.errors import BadAnswerError, OfflineError, ServerError
from tests.sync import answers
from tests.sync.canned_server import Canned, CannedHeadOffice, Seen, canned_head_office
from tests.sync.memory_store import Dying, Killed, MemorySyncStore

NOW = datetime(2026, 11, 23, 12, 5, tzinfo=UTC)
SYNCED = "v1:6:max"


@pytest.fixture
def office() -> Iterator[CannedHeadOffice]:
    with canned_head_office() as server:
        yield server


@pytest.fixture
def store() -> MemorySyncStore:
    synced = MemorySyncStore()
    synced.state_ = synced.state_.__class__(node=synced.state_.node, cursor=SYNCED)
    return synced


def _engine(office: CannedHeadOffice, store: Any, **options: Any) -> SyncEngine:
    client = HeadOfficeClient(office.url, token=f"{answers.TERMINAL}.s")
    clock = HybridClock(store.state().node, lambda: NOW)
    return SyncEngine(store, client, clock, now=lambda: NOW, **options)


def _echo(status: str = "applied") -> Any:
    def answer(seen: Seen) -> dict[str, Any]:
        return answers.pushed(seen.json()["ops"], status)

    return answer


def _pushed_ids(office: CannedHeadOffice) -> list[list[str]]:
    return [[op["id"] for op in s.json()["ops"]] for s in office.requests_to("/v1/push")]


def test_pushes_in_batches_until_none_are_left_then_pulls(
    office: CannedHeadOffice, store: MemorySyncStore
) -> None:
    ops = [store.write(n=i) for i in range(5)]
    office.answer("/v1/push", *[Canned(body=_echo()) for _ in range(3)])
    office.answer("/v1/pull", Canned(body=answers.pulled([answers.category()])))
    result = _engine(office, store, push_batch=2).run_cycle()
    assert result.ok and result.applied == 5 and result.pulled == 1
    assert _pushed_ids(office) == [[o.id for o in ops[i : i + 2]] for i in (0, 2, 4)]
    assert store.counts().pending == 0
    assert store.state().cursor == answers.CURSOR
    assert store.state().last_sync_at == NOW and store.state().last_error == ""


def test_an_answer_lost_after_head_office_committed_is_pushed_again_as_duplicate(
    office: CannedHeadOffice, store: MemorySyncStore
) -> None:
    op = store.write(points=10)
    office.answer("/v1/push", Canned(cut=True))  # committed there; the answer never arrives
    first = _engine(office, store).run_cycle()
    assert isinstance(first.error, OfflineError)
    assert store.counts().pending == 1
    assert "not reachable" in store.state().last_error

    office.answer("/v1/push", Canned(body=_echo("duplicate")))
    office.answer("/v1/pull", Canned(body=answers.pulled()))
    second = _engine(office, store).run_cycle()
    assert second.ok and second.duplicates == 1
    assert _pushed_ids(office) == [[op.id], [op.id]]
    assert store.counts().pending == 0 and store.state().last_error == ""


def test_killed_before_acknowledging_an_answer_the_same_ops_go_again(
    office: CannedHeadOffice, store: MemorySyncStore
) -> None:
    op = store.write()
    office.answer("/v1/push", Canned(body=_echo()))
    with pytest.raises(Killed):
        _engine(office, Dying(store, "acknowledge")).run_cycle()
    assert store.counts().pending == 1

    office.answer("/v1/push", Canned(body=_echo("duplicate")))
    office.answer("/v1/pull", Canned(body=answers.pulled()))
    assert _engine(office, store).run_cycle().duplicates == 1
    assert _pushed_ids(office) == [[op.id], [op.id]]


def test_a_rejected_op_is_kept_counted_and_not_sent_again(
    office: CannedHeadOffice, store: MemorySyncStore
) -> None:
    store.write()
    office.answer("/v1/push", Canned(body=_echo("rejected")))
    office.answer("/v1/pull", Canned(body=answers.pulled()), Canned(body=answers.pulled()))
    assert _engine(office, store).run_cycle().rejected == 1
    assert _engine(office, store).run_cycle().ok
    assert len(office.requests_to("/v1/push")) == 1
    assert store.counts().rejected == 1 and store.counts().pending == 0


def test_an_op_that_cannot_travel_is_refused_here_and_the_rest_go(
    office: CannedHeadOffice, store: MemorySyncStore
) -> None:
    broken = store.write(amount=math.nan)
    fine = store.write(amount=3)
    office.answer("/v1/push", Canned(body=_echo()))
    office.answer("/v1/pull", Canned(body=answers.pulled()))
    result = _engine(office, store).run_cycle()
    assert result.ok and (result.applied, result.rejected) == (1, 1)
    assert _pushed_ids(office) == [[fine.id]]
    assert store.outbox[broken.id].status == "rejected"
    assert "this terminal could not send it" in store.outbox[broken.id].reason


def test_head_office_answering_for_only_part_of_a_batch_does_not_loop(
    office: CannedHeadOffice, store: MemorySyncStore
) -> None:
    store.write()
    store.write()
    office.answer("/v1/push", Canned(body=lambda seen: answers.pushed(seen.json()["ops"][:1])))
    result = _engine(office, store).run_cycle()
    assert isinstance(result.error, BadAnswerError)
    assert store.counts().pending == 1
    assert len(office.requests_to("/v1/push")) == 1


def test_a_server_failure_keeps_everything_and_says_why(
    office: CannedHeadOffice, store: MemorySyncStore
) -> None:
    store.write()
    office.answer("/v1/push", Canned(503, answers.error("unavailable", "Database restarting.")))
    result = _engine(office, store).run_cycle()
    assert isinstance(result.error, ServerError)
    assert store.state().last_error.endswith("(HTTP 503): Database restarting.")
    assert store.state().last_sync_at is None and store.counts().pending == 1


def test_an_expired_cursor_takes_a_snapshot_then_pulls(
    office: CannedHeadOffice, store: MemorySyncStore
) -> None:
    office.answer("/v1/pull", Canned(410, answers.error("cursor_expired", "Too old.")))
    office.answer("/v1/snapshot", Canned(body=answers.snapshot_page([answers.category()])))
    office.answer("/v1/pull", Canned(body=answers.pulled(cursor="v1:8:1")))
    result = _engine(office, store).run_cycle()
    assert result.ok and result.snapshot_finished
    assert store.state().cursor == "v1:8:1"
    assert [s.path.split("?")[0] for s in office.seen] == ["/v1/pull", "/v1/snapshot", "/v1/pull"]


def _three_pages(office: CannedHeadOffice) -> None:
    office.answer(
        "/v1/snapshot",
        Canned(body=answers.snapshot_page([answers.category("A")], page="p2", done=False)),
        Canned(body=answers.snapshot_page([answers.category("B")], page="p3", done=False)),
        Canned(body=answers.snapshot_page([answers.category("C")])),
    )


def test_a_fresh_terminal_snapshots_first_and_a_killed_snapshot_resumes_without_pushing(
    office: CannedHeadOffice,
) -> None:
    store = MemorySyncStore()
    store.write()
    _three_pages(office)
    with pytest.raises(Killed):
        _engine(office, Dying(store, "apply_snapshot_page", nth=2, when="after")).run_cycle()
    assert store.state().snapshot_page == "p3" and store.state().snapshot_cursor == "v1:6:max"
    assert office.requests_to("/v1/push") == []

    office.answer("/v1/push", Canned(body=_echo()))
    office.answer("/v1/pull", Canned(body=answers.pulled()))
    result = _engine(office, store).run_cycle()
    assert result.ok and result.snapshot_pages == 1 and result.applied == 1
    pages = [s.path for s in office.requests_to("/v1/snapshot")]
    assert pages[-1].startswith("/v1/snapshot?page=p3&")
    assert [s.path.split("?")[0] for s in office.seen][-3:] == [
        "/v1/snapshot",
        "/v1/push",
        "/v1/pull",
    ]
    assert {d["name"] for d in store.docs.values()} == {"A", "B", "C"}
    assert store.state().cursor == answers.CURSOR


def test_killed_after_the_last_page_only_finishes_the_snapshot(office: CannedHeadOffice) -> None:
    store = MemorySyncStore()
    office.answer("/v1/snapshot", Canned(body=answers.snapshot_page([answers.category()])))
    with pytest.raises(Killed):
        _engine(office, Dying(store, "finish_snapshot")).run_cycle()
    assert store.state().snapshot_page == SNAPSHOT_DONE

    office.answer("/v1/pull", Canned(body=answers.pulled()))
    assert _engine(office, store).run_cycle().snapshot_finished
    assert len(office.requests_to("/v1/snapshot")) == 1
    assert store.state().cursor == answers.CURSOR and store.state().snapshot_cursor == ""


def test_a_page_head_office_no_longer_knows_restarts_the_snapshot(
    office: CannedHeadOffice,
) -> None:
    store = MemorySyncStore()
    _three_pages(office)
    with pytest.raises(Killed):
        _engine(office, Dying(store, "apply_snapshot_page", nth=1, when="after")).run_cycle()
    office.script["/v1/snapshot"].clear()
    office.answer(
        "/v1/snapshot",
        Canned(400, answers.error("bad_request", "The snapshot page token is not valid.")),
        Canned(body=answers.snapshot_page([answers.category("Z")], cursor="v1:9:max")),
    )
    office.answer("/v1/pull", Canned(body=answers.pulled(cursor="v1:9:4")))
    result = _engine(office, store).run_cycle()
    assert result.ok and result.snapshot_finished
    assert [s.path.split("&")[0] for s in office.requests_to("/v1/snapshot")][-2:] == [
        "/v1/snapshot?page=p2",
        "/v1/snapshot?page=",
    ]
    assert store.state().cursor == "v1:9:4"
    assert {d["name"] for d in store.docs.values()} == {"Z"}  # what head office dropped goes


def test_more_to_pull_without_a_moving_cursor_is_a_bad_answer(
    office: CannedHeadOffice, store: MemorySyncStore
) -> None:
    office.answer("/v1/pull", Canned(body=answers.pulled(cursor=SYNCED, more=True)))
    result = _engine(office, store).run_cycle()
    assert isinstance(result.error, BadAnswerError)
    assert len(office.requests_to("/v1/pull")) == 1


def test_every_answer_moves_the_terminals_clock_past_head_offices(
    office: CannedHeadOffice, store: MemorySyncStore
) -> None:
    ahead = "1795435230000-0007-~headoffice"  # 30 s ahead of this terminal
    office.answer("/v1/pull", Canned(body={**answers.pulled(), "hlc": ahead}))
    client = HeadOfficeClient(office.url, token="t.s")
    clock = HybridClock(store.state().node, lambda: NOW.replace(minute=0))
    SyncEngine(store, client, clock, now=lambda: NOW).run_cycle()
    assert clock.now() > parse_stamp(ahead)


def test_a_stopping_worker_interrupts_the_cycle_without_an_error(
    office: CannedHeadOffice, store: MemorySyncStore
) -> None:
    store.write()
    result = _engine(office, store, stopping=lambda: True).run_cycle()
    assert result.interrupted and not result.ok
    assert office.seen == [] and store.state().last_error == ""
