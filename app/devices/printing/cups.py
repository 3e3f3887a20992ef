"""A receipt printer behind a CUPS queue: the job goes through ``lp -d <queue> -o raw``, so
CUPS passes the ESC/POS bytes untouched, and the queue's state comes from ``lpstat -p``.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.devices.printing.connections import PrinterConnectionError


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """What ``lpstat -p`` says of a CUPS queue."""

    ready: bool
    reason: str


Runner = Callable[[Sequence[str], bytes, float], subprocess.CompletedProcess[bytes]]


def _run(argv: Sequence[str], data: bytes, timeout_s: float) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(argv, input=data, capture_output=True, timeout=timeout_s, check=False)


@dataclass
class CupsConnection:
    """A CUPS queue that passes ESC/POS through untouched (``lp -o raw``). One-way: CUPS
    owns the job once ``lp`` accepts it, so a job is either handed over whole or not."""

    queue: str
    lp: str = "lp"
    lpstat: str = "lpstat"
    timeout_s: float = 15.0
    runner: Runner = _run

    @property
    def where(self) -> str:
        return f"CUPS queue {self.queue}"

    @property
    def two_way(self) -> bool:
        return False

    def _command(self, name: str) -> str:
        found = shutil.which(name)
        if found is None:
            raise PrinterConnectionError(
                f"CUPS printing needs the '{name}' command (install cups-client)"
            )
        return found

    def open(self) -> None:
        self._command(self.lp)

    def send(self, data: bytes) -> None:
        argv = [self._command(self.lp), "-d", self.queue, "-o", "raw", "-t", "Tabkeeper", "-"]
        try:
            done = self.runner(argv, data, self.timeout_s)
        except subprocess.TimeoutExpired:
            raise PrinterConnectionError(f"{self.where}: lp did not answer") from None
        except OSError as error:
            raise PrinterConnectionError(f"{self.where}: lp could not run ({error})") from None
        if done.returncode != 0:
            said = done.stderr.decode(errors="replace").strip() or f"exit {done.returncode}"
            raise PrinterConnectionError(f"{self.where} refused the job: {said}")

    def query_status(self) -> QueueStatus:
        argv = [self._command(self.lpstat), "-p", self.queue]
        try:
            done = self.runner(argv, b"", self.timeout_s)
        except (subprocess.TimeoutExpired, OSError):
            raise PrinterConnectionError(f"{self.where}: lpstat did not answer") from None
        return parse_lpstat(self.queue, done.returncode, done.stdout.decode(errors="replace"))

    def close(self) -> None:
        """Nothing is held open between jobs."""


def parse_lpstat(queue: str, returncode: int, output: str) -> QueueStatus:
    """``lpstat -p queue``: "printer Q is idle.  enabled since …", "printer Q disabled …"."""
    first = output.strip().splitlines()[0] if output.strip() else ""
    if returncode != 0 or not first.startswith(f"printer {queue} "):
        return QueueStatus(False, f"CUPS has no printer queue '{queue}'")
    if "disabled" in first:
        detail = " ".join(line.strip() for line in output.strip().splitlines()[1:])
        return QueueStatus(
            False, f"CUPS queue '{queue}' is paused" + (f": {detail}" if detail else "")
        )
    return QueueStatus(True, "Ready")
