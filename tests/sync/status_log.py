"""A sync-status listener that keeps every status and lets a test wait for one."""

from __future__ import annotations

import threading
from collections.abc import Callable

from app.sync.status import SyncPhase, SyncStatus

WAIT_S = 20.0  # a bound on waiting for a condition, never a timing assertion


class StatusLog:
    def __init__(self) -> None:
        self.statuses: list[SyncStatus] = []
        self.threads: set[str] = set()
        self._changed = threading.Condition()

    def __call__(self, status: SyncStatus) -> None:
        with self._changed:
            self.statuses.append(status)
            self.threads.add(threading.current_thread().name)
            self._changed.notify_all()

    @property
    def latest(self) -> SyncStatus:
        with self._changed:
            return self.statuses[-1]

    def phases(self) -> list[SyncPhase]:
        with self._changed:
            phases = [s.state for s in self.statuses]
        return [p for i, p in enumerate(phases) if i == 0 or phases[i - 1] != p]

    def wait_for(self, condition: Callable[[SyncStatus], bool], what: str = "") -> SyncStatus:
        """The first status from now on (or the latest) meeting ``condition``."""
        with self._changed:
            found = self._changed.wait_for(
                lambda: bool(self.statuses) and condition(self.statuses[-1]), WAIT_S
            )
            if not found:
                shown = self.statuses[-1] if self.statuses else None
                raise AssertionError(f"no status {what or condition} came; latest: {shown}")
            return self.statuses[-1]

    def entered(self, condition: Callable[[SyncStatus], bool]) -> list[SyncStatus]:
        """The statuses at which ``condition`` became true."""
        with self._changed:
            statuses = list(self.statuses)
        met = [condition(s) for s in statuses]
        return [s for i, s in enumerate(statuses) if met[i] and (i == 0 or not met[i - 1])]

    def times(self, condition: Callable[[SyncStatus], bool]) -> int:
        """How many times ``condition`` became true, status after status."""
        return len(self.entered(condition))

    def wait_for_count(self, condition: Callable[[SyncStatus], bool], count: int) -> None:
        """Wait until ``condition`` has become true ``count`` times."""
        with self._changed:
            found = self._changed.wait_for(lambda: self.times(condition) >= count, WAIT_S)
        assert found, f"fewer than {count} matching statuses: {self.statuses}"
