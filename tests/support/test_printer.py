"""A receipt printer for tests: records what it is sent and answers DLE EOT status queries.

`PrinterEmulator` is the printer's side of the protocol on any byte stream. `LoopbackPrinter`
serves it on loopback TCP (an ephemeral port standing in for 9100) and can be switched off
(connections refused), run out of paper, have its cover opened, or drop a connection after
N bytes of print data, as a printer losing power mid-receipt does. `SerialPrinterEnd` plays
the printer on the far end of a pty pair. Tests wait on conditions (`wait_for`), never on
time.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

import serial

from app.devices.printing.status import DLE_EOT, status_bytes

WAIT_S = 10.0
_POLL_S = 0.02  # how often the serving threads look up from a quiet socket


class PrinterEmulator:
    """Answers ``DLE EOT n`` (n = 1..4) from its current state; counts the other bytes as
    print data. Thread-safe; one instance may serve many connections in turn."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[str, bool] = {}
        self._tail = b""  # an unfinished "DLE EOT" at the end of a read
        self._paper_left: int | None = None  # print bytes until the roll runs out
        self.queries = 0

    def set_status(self, **state: bool) -> None:
        """online, cover_open, paper_out, paper_near_end, cutter_error… (see status_bytes)."""
        with self._lock:
            self._state = dict(state)

    def run_out_after(self, print_bytes: int) -> None:
        """The roll ends after this many more bytes of print data: offline, paper out."""
        with self._lock:
            self._paper_left = print_bytes

    def _printed(self) -> None:
        with self._lock:
            if self._paper_left is None:
                return
            self._paper_left -= 1
            if self._paper_left <= 0:
                self._paper_left = None
                self._state = {"online": False, "paper_out": True}

    def answers(self) -> bytes:
        with self._lock:
            return status_bytes(**self._state)

    def feed(self, data: bytes) -> tuple[bytes, int]:
        """Take bytes from the host: (the replies to send back, how many were print data)."""
        stream = self._tail + data
        self._tail = b""
        replies = bytearray()
        printed = 0
        index = 0
        while index < len(stream):
            if stream[index] == DLE_EOT[0]:
                rest = stream[index : index + 3]
                if len(rest) < 3 and DLE_EOT.startswith(rest[:2]):
                    self._tail = bytes(rest)  # finish it with the next read
                    break
                if rest[:2] == DLE_EOT and 1 <= rest[2] <= 4:
                    replies.append(self.answers()[rest[2] - 1])
                    self.queries += 1
                    index += 3
                    continue
            printed += 1
            index += 1
            self._printed()
        return bytes(replies), printed


class LoopbackPrinter:
    """A network receipt printer on 127.0.0.1. ``sessions`` holds each connection's bytes
    as received (status queries included), in order."""

    def __init__(self) -> None:
        self.emulator = PrinterEmulator()
        self.host = "127.0.0.1"
        self.sessions: list[bytearray] = []
        self._changed = threading.Condition()
        self._listener: socket.socket | None = None
        self._drop_after: int | None = None
        self._down_after_drop = False
        self._stopping = threading.Event()
        self._listen(0)
        self.port = self._bound_port
        self._thread = threading.Thread(target=self._serve, name="test-printer", daemon=True)
        self._thread.start()

    # --- control ---------------------------------------------------------------------------

    def set_status(self, **state: bool) -> None:
        self.emulator.set_status(**state)

    def go_down(self) -> None:
        """Switched off: the open connection is cut and new ones are refused."""
        with self._changed:
            listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown() stops a listening socket at once, even while select() holds it.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()

    def come_up(self) -> None:
        """Switched on again, on the same port."""
        with self._changed:
            if self._listener is None:
                self._listen(self.port)

    def drop_after(self, received: int, *, then_down: bool = False) -> None:
        """Cut the next connection (RST) once this many bytes arrived on it (status
        queries included); the bytes past that point are lost, as at a power cut."""
        with self._changed:
            self._drop_after = received
            self._down_after_drop = then_down

    def close(self) -> None:
        self._stopping.set()
        self.go_down()
        self._thread.join(WAIT_S)

    def __enter__(self) -> LoopbackPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading what happened --------------------------------------------------------------

    def print_sessions(self) -> list[bytes]:
        """The connections that carried print data, not only status queries."""
        with self._changed:
            return [bytes(s) for s in self.sessions if _strip_queries(bytes(s))]

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
        """Wait until ``condition()`` holds (checked whenever bytes arrive), or fail."""
        _wait(self._changed, condition, what, timeout)

    def notify(self) -> None:
        """Re-check waiters' conditions (for state that changed outside the printer)."""
        with self._changed:
            self._changed.notify_all()

    # --- serving ---------------------------------------------------------------------------

    def _listen(self, port: int) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, port))
        listener.listen(4)
        self._bound_port = listener.getsockname()[1]
        self._listener = listener

    def _serve(self) -> None:
        while not self._stopping.is_set():
            listener = self._listener
            if listener is None:
                self._stopping.wait(_POLL_S)
                continue
            try:
                ready, _, _ = select.select([listener], [], [], _POLL_S)
                if not ready:
                    continue
                connection, _ = listener.accept()
            except (OSError, ValueError):  # the listener was closed under us: switched off
                continue
            with connection:
                self._session(connection)

    def _session(self, connection: socket.socket) -> None:
        record = bytearray()
        with self._changed:
            self.sessions.append(record)
            drop_at, down = self._drop_after, self._down_after_drop
            self._drop_after = None
        received = 0
        while not self._stopping.is_set() and self._listener is not None:
            ready, _, _ = select.select([connection], [], [], _POLL_S)
            if not ready:
                continue
            try:
                data = connection.recv(65536)
            except OSError:
                return
            if not data:
                return
            if drop_at is not None and received + len(data) >= drop_at:
                data = data[: max(0, drop_at - received)]  # the rest never reached the paper
                self._record(record, data)
                _reset(connection)
                if down:
                    self.go_down()
                return
            replies, _printed = self.emulator.feed(data)
            received += len(data)
            self._record(record, data)
            with contextlib.suppress(OSError):
                connection.sendall(replies)
        _reset(connection)

    def _record(self, record: bytearray, data: bytes) -> None:
        with self._changed:
            record += data
            self._changed.notify_all()


def _wait(
    changed: threading.Condition, condition: Callable[[], bool], what: str, timeout: float
) -> None:
    """Re-check ``condition`` whenever ``changed`` is notified (and every 0.1 s, for
    conditions on state outside the printer, such as the store)."""
    deadline = time.monotonic() + timeout
    with changed:
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            changed.wait(min(remaining, 0.1))


def _reset(connection: socket.socket) -> None:
    """Close with RST, as a printer that lost power does (no orderly goodbye)."""
    with contextlib.suppress(OSError):
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        connection.close()


def _strip_queries(data: bytes) -> bytes:
    """``data`` without its DLE EOT status queries: the print data."""
    out = bytearray()
    index = 0
    while index < len(data):
        if (
            data[index : index + 2] == DLE_EOT
            and index + 2 < len(data)
            and 1 <= data[index + 2] <= 4
        ):
            index += 3
            continue
        out.append(data[index])
        index += 1
    return bytes(out)


def print_data(session: bytes) -> bytes:
    """What a session printed: its bytes without the status queries."""
    return _strip_queries(session)


class SerialPrinterEnd:
    """The printer on the far end of a serial line (a pty of a socat pair)."""

    def __init__(self, port: str) -> None:
        self.emulator = PrinterEmulator()
        self.received = bytearray()
        self._changed = threading.Condition()
        self._port: Any = serial.Serial(port, 9600, timeout=_POLL_S)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="serial-printer", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                data = self._port.read(4096)
            except (serial.SerialException, OSError, TypeError):
                return
            if not data:
                continue
            replies, _ = self.emulator.feed(data)
            if replies:
                self._port.write(replies)
            with self._changed:
                self.received += data
                self._changed.notify_all()

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
        """Wait until ``condition()`` holds (checked whenever bytes arrive), or fail."""
        _wait(self._changed, condition, what, timeout)

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(WAIT_S)
        self._port.close()
