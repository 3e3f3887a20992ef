"""A hybrid clock started after a stamp (a restart) never hands out one below it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.domain.hlc import HybridClock, Stamp, wall_ms

NODE = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_a_clock_started_after_a_stamp_stamps_past_it_though_its_wall_clock_is_behind() -> None:
    before = Stamp(wall_ms(NOON), 7, "~headoffice")
    slow = NOON - timedelta(hours=2)

    clock = HybridClock(NODE, lambda: slow, start_after=before)

    first, second = clock.now(), clock.now()
    assert before < first < second
    assert (first.wall_ms, first.counter, first.node) == (before.wall_ms, 8, NODE)


def test_a_clock_started_after_an_old_stamp_follows_its_wall_clock() -> None:
    clock = HybridClock(NODE, lambda: NOON, start_after=Stamp(1000, 3, NODE))

    assert clock.now() == Stamp(wall_ms(NOON), 0, NODE)


def test_a_clock_with_no_start_begins_at_its_wall_clock() -> None:
    assert HybridClock(NODE, lambda: NOON).now() == Stamp(wall_ms(NOON), 0, NODE)
