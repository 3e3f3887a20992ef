"""Serial frame devices: cut what a card reader or scanner sends into frames.

`SerialLineDevice` is the session for card readers and scanners, run on the port by
`app.devices.serial_port.PortSupervisor`: raw frames go to a callback; parsing them is
the parsers' job. The caller-ID modem in `app.devices.modem` runs its own session on
the same supervisor and cuts its lines with the same `FrameSplitter`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from app.devices.events import Clock, StatusSink, utc_now
from app.devices.serial_port import (
    PortOpener,
    PortSupervisor,
    SerialLineConfig,
    SerialPort,
    SessionControl,
    SupervisedDevice,
    open_serial_port,
)

log = logging.getLogger(__name__)


# --- framing ------------------------------------------------------------------------


class FrameSplitter:
    """Cuts a byte stream into frames; bytes may arrive in any chunks.

    Empty frames (two terminators in a row) are skipped. When more than
    ``max_frame`` bytes pile up without a frame end, they are dropped and the rest of
    that frame is discarded up to the next frame end; `feed` and `flush` count
    each such overflow so the owner can say so.
    """

    def __init__(self, terminator: bytes | None, max_frame: int) -> None:
        if terminator == b"":
            raise ValueError("a terminator must be None or at least one byte")
        self._terminator = terminator
        self._max_frame = max_frame
        self._buffer = bytearray()
        self._discarding = False

    @property
    def pending(self) -> bool:
        """Whether bytes of an unfinished frame are held (or being discarded)."""
        return bool(self._buffer) or self._discarding

    def feed(self, data: bytes) -> tuple[list[bytes], int]:
        """Add bytes; return the frames they completed and how many overflows began."""
        self._buffer += data
        frames: list[bytes] = []
        overflows = 0
        terminator = self._terminator
        if terminator is not None:
            while (end := self._buffer.find(terminator)) >= 0:
                frame = bytes(self._buffer[:end])
                del self._buffer[: end + len(terminator)]
                if self._discarding:
                    self._discarding = False
                elif len(frame) > self._max_frame:
                    overflows += 1
                elif frame:
                    frames.append(frame)
            # Keep a possible first half of a multi-byte terminator at the end.
            keep = len(terminator) - 1
        else:
            keep = 0
        if len(self._buffer) > self._max_frame + keep:
            if not self._discarding:
                overflows += 1
                self._discarding = True
            del self._buffer[: len(self._buffer) - keep]
        return frames, overflows

    def flush(self) -> bytes | None:
        """End the current frame (the line went quiet); None if there is none to give."""
        frame = None if self._discarding or not self._buffer else bytes(self._buffer)
        self._buffer.clear()
        self._discarding = False
        return frame


# --- the frame device ---------------------------------------------------------------


FrameSink = Callable[[bytes], None]


class SerialLineDevice(SupervisedDevice):
    """A card reader or scanner on a serial port: each frame it sends goes to ``on_frame``.

    Callbacks run on the port thread; ``on_frame`` gets raw bytes without the
    terminator. Statuses follow `PortSupervisor`.
    """

    def __init__(
        self,
        config: SerialLineConfig,
        on_frame: FrameSink,
        on_status: StatusSink,
        clock: Clock = utc_now,
        *,
        opener: PortOpener = open_serial_port,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._on_frame = on_frame
        self._monotonic = monotonic
        self._supervisor = PortSupervisor(config, self._session, on_status, clock, opener)

    def _session(self, port: SerialPort, control: SessionControl) -> None:
        config = self._config
        if config.init_bytes:
            port.write(config.init_bytes)
            port.flush()
        control.ready()
        splitter = FrameSplitter(config.terminator, config.max_frame)
        by_gap = config.terminator is None
        last_byte_at = self._monotonic()
        while not control.stopping:
            data = port.read(port.in_waiting or 1)
            now = self._monotonic()
            gap_passed = now - last_byte_at >= config.idle_gap_s
            if by_gap and gap_passed and splitter.pending:
                self._deliver(splitter.flush())
            if not data:
                continue
            last_byte_at = now
            frames, overflows = splitter.feed(data)
            for frame in frames:
                self._deliver(frame)
            if overflows:
                control.note(
                    f"{config.name} on {config.port} sent more than {config.max_frame} bytes "
                    "without a frame end; they were dropped — check its baud rate and terminator"
                )

    def _deliver(self, frame: bytes | None) -> None:
        if frame is None:
            return
        try:
            self._on_frame(frame)
        except Exception:
            # A parser bug must not take the reader down with it.
            log.exception("%s: frame handler failed", self._config.name)
