"""Caller-ID modem transport: initialise a voice/data modem and hand on what it says.

On each open the modem is reset (``ATZ``), echo is turned off (``ATE0``) and the
caller-ID commands of the `ModemConfig` are tried in order until one answers ``OK``
(an ``ERROR`` or silence moves on to the next). After that every non-empty line the
modem sends goes to ``on_line`` as text, except echoes of our own commands and the
``OK``/``ERROR`` answers to them. ``RING`` lines are delivered: the caller-ID
assembler uses them to separate one call's block from the next.

A watchdog sends ``AT`` after ``probe_every_s`` of silence; no ``OK`` in time, or
signs that the modem restarted by itself (our echo back on, bytes that are not
text, a configured power-up banner), and the modem is reported DISCONNECTED and
initialised again. Opening, closing and reconnecting are `PortSupervisor`'s job.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from app.devices.events import Clock, DeviceState, StatusSink, utc_now
from app.devices.serial_line import FrameSplitter
from app.devices.serial_port import (
    DeviceLostError,
    PortOpener,
    PortSupervisor,
    SerialLineConfig,
    SerialPort,
    SessionControl,
    SupervisedDevice,
    open_serial_port,
)

log = logging.getLogger(__name__)

LineSink = Callable[[str], None]

CALLER_ID_COMMANDS = ("AT+VCID=1", "AT#CID=1", "AT%CCID=1", "AT*ID1")


@dataclass(frozen=True, slots=True)
class ModemConfig:
    """A caller-ID modem as data.

    ``port`` describes the serial line; its terminator, idle gap and init bytes are
    not used (modem lines end in CR and/or LF), its ``max_frame`` caps a line.
    """

    port: SerialLineConfig
    caller_id_commands: tuple[str, ...] = CALLER_ID_COMMANDS
    command_timeout_s: float = 3.0  # ATZ on a real modem can take a second or two
    probe_every_s: float = 30.0
    probe_timeout_s: float = 3.0
    reset_banners: tuple[str, ...] = ()  # lines some modems print when they power up


OK = "OK"
ERROR = "ERROR"


def _is_text(line: bytes) -> bool:
    return all(0x20 <= byte < 0x7F or byte == 0x09 for byte in line)


class _LineReader:
    """Lines from the port, CR and LF both ending one, read with deadlines."""

    def __init__(
        self,
        port: SerialPort,
        control: SessionControl,
        max_line: int,
        monotonic: Callable[[], float],
    ) -> None:
        self._port = port
        self._control = control
        self._splitter = FrameSplitter(b"\n", max_line)
        self._lines: deque[bytes] = deque()
        self._monotonic = monotonic
        self.overflowed = False

    def send(self, command: str) -> None:
        self._port.write(command.encode("ascii") + b"\r")
        self._port.flush()

    def next_line(self, deadline: float) -> bytes | None:
        """The next line, or None once ``deadline`` passes or a stop is requested."""
        while not self._lines:
            if self._control.stopping or self._monotonic() >= deadline:
                return None
            data = self._port.read(self._port.in_waiting or 1)
            if data:
                lines, overflows = self._splitter.feed(data.replace(b"\r", b"\n"))
                self._lines.extend(line.strip() for line in lines)
                self.overflowed = self.overflowed or overflows > 0
        return self._lines.popleft()


class CallerIdModem(SupervisedDevice):
    """A caller-ID modem on a serial port; each line it reports goes to ``on_line``.

    `start` opens and initialises the modem on the port thread and keeps it so.
    Callbacks run on the port thread.
    """

    def __init__(
        self,
        config: ModemConfig,
        on_line: LineSink,
        on_status: StatusSink,
        clock: Clock = utc_now,
        *,
        opener: PortOpener = open_serial_port,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._on_line = on_line
        self._monotonic = monotonic
        self._supervisor = PortSupervisor(config.port, self._session, on_status, clock, opener)

    # --- the session -------------------------------------------------------------

    def _session(self, port: SerialPort, control: SessionControl) -> None:
        reader = _LineReader(port, control, self._config.port.max_frame, self._monotonic)
        chosen = self._initialise(reader, control)
        if chosen is None:
            return  # stopping
        reader.overflowed = False  # noise while it reset is no news
        control.ready(f" (caller ID on with {chosen})")
        self._listen(reader, control)

    def _initialise(self, reader: _LineReader, control: SessionControl) -> str | None:
        for command in ("ATZ", "ATE0"):
            result = self._command(reader, command)
            if control.stopping:
                return None
            if result != OK:
                raise DeviceLostError(f"did not answer {command}", "retrying", DeviceState.ERROR)
        for command in self._config.caller_id_commands:
            result = self._command(reader, command)
            if control.stopping:
                return None
            if result == OK:
                return command
        tried = ", ".join(self._config.caller_id_commands)
        raise DeviceLostError(
            f"accepted none of the caller-ID commands ({tried}); it may not support caller ID",
            "retrying",
            DeviceState.ERROR,
        )

    def _command(self, reader: _LineReader, command: str) -> str | None:
        """Send one command; its final result, or None when the modem kept quiet."""
        reader.send(command)
        deadline = self._monotonic() + self._config.command_timeout_s
        while (raw := reader.next_line(deadline)) is not None:
            if not _is_text(raw):
                continue  # line noise while the modem resets
            line = raw.decode("ascii")
            if line.upper() == command.upper():
                continue  # echo, until ATE0 takes effect
            if line in (OK, ERROR):
                return line
            self._deliver(line)  # a call may ring during initialisation
        return None

    def _listen(self, reader: _LineReader, control: SessionControl) -> None:
        config = self._config
        poll_s = config.port.read_timeout_s
        last_heard = self._monotonic()
        probe_deadline: float | None = None
        while not control.stopping:
            now = self._monotonic()
            if probe_deadline is not None and now >= probe_deadline:
                raise DeviceLostError("stopped answering", "re-initialising")
            if probe_deadline is None and now - last_heard >= config.probe_every_s:
                reader.send("AT")
                probe_deadline = now + config.probe_timeout_s
            raw = reader.next_line(now + poll_s)
            if reader.overflowed:
                raise DeviceLostError(
                    "sent a long run of bytes that are not caller ID (it may have restarted)",
                    "re-initialising",
                )
            if raw is None:
                continue
            last_heard = self._monotonic()
            line = self._classify(raw)
            if line in (OK, ERROR):
                probe_deadline = None  # an answer of any kind shows the modem is alive
            elif line:
                self._deliver(line)

    def _classify(self, raw: bytes) -> str:
        """The line to act on; raises when it shows the modem restarted by itself."""
        if not _is_text(raw):
            raise DeviceLostError(
                "sent bytes that are not caller ID (it may have restarted)", "re-initialising"
            )
        line = raw.decode("ascii")
        if line.upper() == "AT":
            raise DeviceLostError("restarted by itself (its echo came back on)", "re-initialising")
        if line in self._config.reset_banners:
            raise DeviceLostError(f"restarted by itself ({line!r})", "re-initialising")
        return line

    def _deliver(self, line: str) -> None:
        try:
            self._on_line(line)
        except Exception:
            log.exception("%s: line handler failed", self._config.port.name)
