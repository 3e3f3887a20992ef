"""A display for machines without one: is there a screen, and if not, an Xvfb to use.

No Qt here: this runs before the QApplication exists, since Qt picks its platform once.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

X11_SOCKETS = Path("/tmp/.X11-unix")
START_TIMEOUT_S = 10.0
SCREEN = "1280x800x24"


def display_available(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """True when Qt can show windows: always off Linux; on Linux a display or a QPA choice."""
    if not platform.startswith("linux"):
        return True
    return any(env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


class DisplayStartError(RuntimeError):
    """Xvfb could not be started; the message says why."""


@dataclass
class VirtualDisplay:
    """A running Xvfb; ``stop()`` ends it."""

    number: int
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    @property
    def name(self) -> str:
        return f":{self.number}"

    @classmethod
    def start(cls, xvfb: str, timeout_s: float = START_TIMEOUT_S) -> VirtualDisplay:
        """Start Xvfb on a free display number and wait (bounded) for its socket."""
        read_fd, write_fd = os.pipe()
        # A file, not a pipe: a chatty Xvfb must never block. stop() closes it.
        log = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            # -displayfd lets Xvfb pick a free number itself, so two starts never race.
            process = subprocess.Popen(
                [xvfb, "-displayfd", str(write_fd), "-screen", "0", SCREEN, "-nolisten", "tcp"],
                pass_fds=(write_fd,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        except OSError as error:
            log.close()
            os.close(read_fd)
            os.close(write_fd)
            raise DisplayStartError(f"Could not run {xvfb}: {error}") from error
        os.close(write_fd)
        deadline = time.monotonic() + timeout_s
        try:
            number = _read_display_number(read_fd, deadline)
        finally:
            os.close(read_fd)
        display = cls(number if number is not None else -1, process, log)
        socket = X11_SOCKETS / f"X{number}"
        while number is not None and not socket.exists() and time.monotonic() < deadline:
            if process.poll() is not None:
                break
            time.sleep(0.05)
        if number is None or not socket.exists():
            log.seek(0)
            errors = log.read().decode(errors="replace")[-500:]
            display.stop()
            raise DisplayStartError(
                f"Xvfb did not come up within {timeout_s:.0f} s. {errors}".strip()
            )
        return display

    def stop(self, timeout_s: float = 5.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout_s)
        self.log.close()


def _read_display_number(fd: int, deadline: float) -> int | None:
    text = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 64)
        if not chunk:
            break
        text += chunk
        if text.endswith(b"\n"):
            break
    try:
        return int(text.strip())
    except ValueError:
        return None
