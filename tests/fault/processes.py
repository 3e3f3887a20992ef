"""Child processes the campaign starts, SIGKILLs and restarts, and bounded waits.

Each process writes its output to a log file of its own (appended across restarts, with
a line marking each start), so a failed run's folder tells what every process said.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

POLL_S = 0.05  # how often a bounded wait looks again at what it waits for
STOP_TIMEOUT_S = 20.0


class WaitTimeoutError(AssertionError):
    """A bounded wait ran out; the message says what was awaited and what was seen."""


def wait_until(
    probe: Callable[[], T | None],
    *,
    timeout_s: float,
    what: str,
    seen: Callable[[], str] | None = None,
) -> T:
    """Call ``probe`` until it returns something other than None (or False) and return
    it; :class:`WaitTimeoutError` naming ``what`` (and ``seen()``) after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() >= deadline:
            detail = f"; last seen: {seen()}" if seen is not None else ""
            raise WaitTimeoutError(f"gave up after {timeout_s:.0f} s waiting for {what}{detail}")
        time.sleep(POLL_S)


class ChildProcess:
    """One program the harness runs; :meth:`start` again after :meth:`kill` restarts it
    with the same arguments (so on the same store or database)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(os.environ if env is None else env)
        self.cwd = cwd
        self.starts = 0
        self.kills = 0
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return None if self._popen is None else self._popen.pid

    @property
    def alive(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self._popen is None else self._popen.poll()

    def start(self) -> None:
        if self.alive:
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        self.starts += 1
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n=== start {self.starts}: {' '.join(self.argv)}\n".encode())
            log.flush()
            self._popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,  # a SIGKILL of its group takes its children too
            )

    def kill(self) -> None:
        """SIGKILL, at whatever point the process has reached; waits for it to be gone."""
        popen = self._popen
        if popen is None or popen.poll() is not None:
            return
        self.kills += 1
        self._signal_group(popen, signal.SIGKILL)
        popen.wait(STOP_TIMEOUT_S)

    def stop(self) -> None:
        """SIGTERM and wait for an orderly exit; SIGKILL if it does not come."""
        popen = self._popen
        if popen is None or popen.poll() is not None:
            return
        self._signal_group(popen, signal.SIGTERM)
        try:
            popen.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._signal_group(popen, signal.SIGKILL)
            popen.wait(STOP_TIMEOUT_S)

    def send(self, signum: int) -> None:
        popen = self._popen
        if popen is not None and popen.poll() is None:
            popen.send_signal(signum)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    @staticmethod
    def _signal_group(popen: subprocess.Popen[bytes], signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(popen.pid, signum)  # its own session: the group is only its own


def python_module(module: str, *args: str) -> list[str]:
    """argv running ``module`` with this interpreter (the project's .venv)."""
    return [sys.executable, "-m", module, *args]
