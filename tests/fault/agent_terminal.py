"""The agent's terminal: the wiring module's headless terminal (app.wiring.sync) on the
agent's own store, on a skewed wall clock, enrolled through the proxy."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.domain.staff import Actor, Role
from app.settings import Settings
from app.sync.errors import OfflineError, ServerError
from app.sync.worker import Backoff
from app.wiring.sync import HeadlessTerminal, headless_terminal
from tests.fault.processes import wait_until

log = logging.getLogger("fault.agent")

AGENT_ACTOR = Actor(
    staff_uuid="00000000-0000-7000-8000-00000000f417", name="Fault Agent", role=Role.MANAGER
)
ENROL_TIMEOUT_S = 60.0
ENROL_ANSWER_S = 30.0
# Redemptions a terminal may make offline between two syncs (docs/SYNC.md): enough that
# two terminals can spend the same points before either hears of the other's.
OFFLINE_POINTS = 300
OFFLINE_PURSE_MINOR = 3_000


class SkewedClock:
    """The machine's UTC time moved by a fixed offset: a terminal whose clock is wrong."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def agent_settings(data_dir: Path, name: str, sync_interval_s: float) -> Settings:
    return Settings(
        data_dir=data_dir,
        terminal=name,
        demo=False,
        sync_interval_s=sync_interval_s,
        offline_points_allowance=OFFLINE_POINTS,
        offline_purse_allowance_minor=OFFLINE_PURSE_MINOR,
    )


def open_agent_terminal(
    data_dir: Path, *, name: str, clock: SkewedClock, sync_interval_s: float
) -> HeadlessTerminal:
    """The headless terminal, sync started when enrolled; short backoff so a run's calm
    is not spent waiting out a minute-long retry."""
    return headless_terminal(
        agent_settings(data_dir, name, sync_interval_s),
        clock=clock,
        actor=AGENT_ACTOR,
        poll_s=min(0.5, sync_interval_s),
        debounce_s=0.1,
        backoff=Backoff(base_s=0.1, cap_s=2.0),
    )


def enrol(terminal: HeadlessTerminal, url: str, code: str, name: str) -> None:
    """Spend ``code`` at head office (through the proxy) unless already enrolled there;
    retried while the request gets no answer (it never reached head office)."""
    state = terminal.sync_store.state()
    if state.terminal_uuid and state.server_url == url:
        return

    def attempt() -> bool:
        try:
            terminal.sync.enrol(url, code, name).result(ENROL_ANSWER_S)
        except (OfflineError, ServerError) as error:
            log.info("enrolment not answered yet: %s", error)
            return False
        return True

    wait_until(attempt, timeout_s=ENROL_TIMEOUT_S, what=f"{name} to enrol")
