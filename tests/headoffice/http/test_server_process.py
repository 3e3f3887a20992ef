"""The server process itself: killed and started again on the same database and port, it
carries on (tokens still valid, nothing lost); SIGTERM stops it cleanly; and its hybrid
clock moves past what terminals send, never beyond the skew bound."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.domain.hlc import parse_stamp, wall_ms
from app.domain.ids import new_uuid7
from tests.support.headoffice_server import HeadOfficeProcess, running_headoffice, sqlite_url


def test_killed_and_restarted_on_the_same_database_and_port(
    headoffice: HeadOfficeProcess,
) -> None:
    terminal = headoffice.enrol("Till 1")
    port, first_pid = headoffice.port, headoffice.pid

    headoffice.kill()
    killed_rc = headoffice.process.returncode if headoffice.process else None
    headoffice.start()
    with headoffice.client(terminal.token) as http:
        after = http.post("/v1/push", json={"ops": []})

    assert killed_rc == -9
    assert headoffice.port == port and headoffice.pid != first_pid
    assert after.status_code == 200, after.text
    assert headoffice.stop() == -15  # uvicorn shuts down, then dies of the SIGTERM it caught
    assert "Application shutdown complete" in headoffice.log_tail(5)


def test_the_clock_moves_past_a_terminal_but_not_past_the_skew_bound(tmp_path: Path) -> None:
    env = {"TABKEEPER_HO_MAX_CLOCK_SKEW_S": "60"}
    with running_headoffice(sqlite_url(tmp_path / "ho.db"), tmp_path, env=env) as server:
        terminal = server.enrol("Till 1")
        now = datetime.now(UTC)
        ahead = f"{wall_ms(now + timedelta(seconds=30)):013d}-0042-{terminal.terminal_uuid}"
        far = f"{wall_ms(now + timedelta(days=1)):013d}-0000-{terminal.terminal_uuid}"

        def push(stamp: str) -> str:
            op = {
                "id": new_uuid7(),
                "kind": "tab.reopened",
                "entity_uuid": new_uuid7(),
                "created_at": now.isoformat(),
                "hlc": stamp,
                "payload": {"tab_uuid": new_uuid7()},
            }
            with server.client(terminal.token) as http:
                answer = http.post("/v1/push", json={"ops": [op]})
            assert answer.status_code == 200, answer.text
            return str(answer.json()["hlc"])

        after_ahead = parse_stamp(push(ahead))
        after_far = parse_stamp(push(far))
        done = datetime.now(UTC)

    assert after_ahead > parse_stamp(ahead)
    assert after_ahead.node == "~headoffice"
    assert after_far.wall_ms <= wall_ms(done + timedelta(seconds=60)) + 1
    assert after_far.wall_ms < parse_stamp(far).wall_ms
