"""Two pseudo-terminals wired together by socat: a null-modem cable in software.

Device code opens one end as if it were a receipt printer's or a scale's serial
port; the test plays the device on the other end.
"""

from __future__ import annotations

import queue
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from os import PathLike

_PTY_LINE = re.compile(r"PTY is (\S+)")


@dataclass(frozen=True)
class SerialPair:
    a: str
    b: str


@contextmanager
def serial_pair(
    socat: str | None = None,
    timeout: float = 5.0,
    *,
    link_a: str | PathLike[str] | None = None,
    link_b: str | PathLike[str] | None = None,
) -> Iterator[SerialPair]:
    """Yield the device paths of two linked ptys; both go away on exit.

    ``link_a``/``link_b`` name a symlink socat creates to that end (and removes on
    exit); the pair then reports the link instead of /dev/pts/N. A fixed link is
    how a test unplugs a device (leave the block) and plugs a new one in at the same
    path (open another pair with the same link).
    """
    socat = socat or shutil.which("socat")
    if socat is None:
        raise FileNotFoundError("socat is not installed")
    ends = [
        "pty,raw,echo=0" + (f",link={link}" if link is not None else "")
        for link in (link_a, link_b)
    ]
    proc = subprocess.Popen(
        [socat, "-d", "-d", *ends],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Drain stderr in a thread: it is the only way to wait on it with a deadline,
    # and it keeps socat from blocking on a full pipe later.
    lines: queue.Queue[str | None] = queue.Queue()

    def drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, name="socat-stderr", daemon=True).start()
    try:
        paths: list[str] = []
        log: list[str] = []
        deadline = time.monotonic() + timeout
        # socat logs both ptys, then "starting data transfer loop" once bytes will flow.
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = lines.get(timeout=max(remaining, 0))
            except queue.Empty:
                line = None
            if line is None:
                raise RuntimeError(f"socat did not set up a pty pair: {''.join(log)!r}")
            log.append(line)
            if match := _PTY_LINE.search(line):
                paths.append(match.group(1))
            if "starting data transfer loop" in line and len(paths) == 2:
                break
        yield SerialPair(
            str(link_a) if link_a is not None else paths[0],
            str(link_b) if link_b is not None else paths[1],
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
