"""The status bar's sync entry: fed from the worker's thread through a queued signal, it
says online or offline, what is not synced, when it last synced in local time and the
last error in words, and offers "Sync now"."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pytestqt.qtbot import QtBot

from app.sync.status import SyncPhase, SyncStatus
from app.ui.sync_status import SyncStatusBridge, SyncStatusIndicator, short_error

LONDON = ZoneInfo("Europe/London")
NOON_UTC = datetime(2026, 7, 14, 12, 0, tzinfo=UTC)  # 13:00 in London (summer time)
URL = "https://office.example.com"


def indicator(
    qtbot: QtBot,
    bridge: SyncStatusBridge | None = None,
    sync_now: Callable[[], None] | None = None,
) -> SyncStatusIndicator:
    widget = SyncStatusIndicator(bridge, sync_now=sync_now, time_zone=LONDON, now=lambda: NOON_UTC)
    qtbot.addWidget(widget)
    return widget


def test_statuses_from_the_worker_thread_reach_the_widget_on_the_ui_thread(
    qtbot: QtBot,
) -> None:
    bridge = SyncStatusBridge()
    widget = indicator(qtbot, bridge=bridge)
    shown_on: list[str] = []
    widget.sig_changed.connect(lambda _text: shown_on.append(threading.current_thread().name))
    status = SyncStatus(SyncPhase.IDLE, online=True, last_sync_at=NOON_UTC)

    with qtbot.waitSignal(widget.sig_changed, timeout=5000) as changed:
        worker = threading.Thread(target=bridge.deliver, args=(status,), name="sync-worker")
        worker.start()
        worker.join()

    assert changed.args == ["Online · synced 13:00"]
    assert widget.summary.text() == "Online · synced 13:00"
    assert shown_on == [threading.main_thread().name]


def test_online_with_work_waiting_and_refused(qtbot: QtBot) -> None:
    widget = indicator(qtbot)
    widget.show_status(
        SyncStatus(
            SyncPhase.IDLE,
            online=True,
            pending=3,
            rejected=1,
            last_sync_at=datetime(2026, 7, 14, 11, 2, tzinfo=UTC),
            head_office_url=URL,
            terminal_name="Till 2",
        )
    )
    assert widget.summary.text() == "Online · synced 12:02 · 3 not synced · 1 refused"
    tip = widget.toolTip()
    assert f"Head office: {URL}" in tip and "This terminal: Till 2" in tip
    assert "Last sync: 14 Jul 2026 12:02" in tip
    assert "Refused by head office: 1 (kept for a manager)" in tip


def test_a_sync_on_an_earlier_day_shows_the_date(qtbot: QtBot) -> None:
    widget = indicator(qtbot)
    earlier = datetime(2026, 7, 12, 20, 30, tzinfo=UTC)
    widget.show_status(SyncStatus(SyncPhase.IDLE, online=True, last_sync_at=earlier))
    assert widget.summary.text() == "Online · synced 12 Jul 21:30"


def test_offline_shows_the_reason_briefly_and_in_full_in_the_tooltip(qtbot: QtBot) -> None:
    widget = indicator(qtbot)
    error = f"Head office at {URL} is not reachable: connection refused"
    retry = datetime(2026, 7, 14, 12, 0, 8, tzinfo=UTC)
    widget.show_status(
        SyncStatus(SyncPhase.OFFLINE, pending=12, last_error=error, next_attempt_at=retry)
    )
    assert widget.summary.text() == "Offline: connection refused · 12 not synced"
    assert f"Last error: {error}" in widget.toolTip()
    assert "Next try: 13:00:08" in widget.toolTip()
    assert widget.light.accessibleDescription() == "Offline"


def test_revoked_and_not_enrolled_say_what_to_do(qtbot: QtBot) -> None:
    widget = indicator(qtbot)
    widget.show_status(
        SyncStatus(
            SyncPhase.REVOKED,
            online=True,
            pending=2,
            last_error="This terminal was revoked at head office; enrol it again",
        )
    )
    assert widget.summary.text() == "Revoked at head office: enrol again · 2 not synced"
    assert "enrol it again" in widget.toolTip()
    widget.show_status(SyncStatus(SyncPhase.NOT_ENROLLED, last_error="Enrol it under Terminal"))
    assert widget.summary.text() == "Not connected to head office"
    assert "Last sync: never" in widget.toolTip()


def test_sync_now_asks_the_worker_and_waits_while_syncing(qtbot: QtBot) -> None:
    asked: list[bool] = []
    widget = indicator(qtbot, sync_now=lambda: asked.append(True))
    assert widget.button.accessibleName() == "Sync now"
    assert widget.summary.accessibleName() == "Sync status"
    widget.show_status(SyncStatus(SyncPhase.OFFLINE, last_error="x: connection refused"))
    widget.button.click()
    assert asked == [True]
    widget.show_status(SyncStatus(SyncPhase.SYNCING))
    assert not widget.button.isEnabled()
    assert widget.summary.text() == "Syncing…"


def test_without_sync_the_button_is_off(qtbot: QtBot) -> None:
    widget = indicator(qtbot)
    assert not widget.button.isEnabled()


def test_short_errors_keep_the_words_that_matter() -> None:
    assert short_error("Head office at https://x is not reachable: connection refused") == (
        "connection refused"
    )
    assert short_error("Head office at x failed (HTTP 503): The database is busy.") == (
        "The database is busy"
    )
    long = "This terminal was revoked at head office; enrol it again and then some more"
    assert short_error(long, 30) == "This terminal was revoked at…"
