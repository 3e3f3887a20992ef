"""Serial frame transport on real pty pairs: the test plays the reader on the far end."""

from __future__ import annotations

import errno
import itertools
import os
import queue
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import serial
from hypothesis import given
from hypothesis import strategies as st

from app.devices.backoff import Backoff
from app.devices.events import DeviceState, DeviceStatus
from app.devices.serial_line import FrameSplitter, SerialLineDevice
from app.devices.serial_port import (
    PortInfo,
    SerialLineConfig,
    describe_open_failure,
    list_serial_ports,
)
from tests.support.serial_pair import SerialPair, serial_pair
from tests.test_infrastructure import require_service

WAIT_S = 3.0


class Recorder:
    """Collects what a transport hands out, for waiting on with a timeout."""

    def __init__(self) -> None:
        self.frames: queue.Queue[Any] = queue.Queue()
        self.statuses: queue.Queue[DeviceStatus] = queue.Queue()
        self.seen: list[DeviceStatus] = []

    def on_frame(self, frame: Any) -> None:
        self.frames.put(frame)

    def on_status(self, status: DeviceStatus) -> None:
        self.statuses.put(status)

    def frame(self, timeout: float = WAIT_S) -> Any:
        try:
            return self.frames.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"nothing delivered within {timeout} s") from None

    def no_frame(self, within: float = 0.2) -> None:
        with pytest.raises(queue.Empty):
            unexpected = self.frames.get(timeout=within)
            pytest.fail(f"unexpected delivery {unexpected!r}")

    def status(self, state: DeviceState, contains: str = "", timeout: float = WAIT_S) -> str:
        """Wait for a status in ``state`` whose message contains ``contains``."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                status = self.statuses.get(timeout=remaining)
            except queue.Empty:
                break
            self.seen.append(status)
            if status.state is state and contains in status.message:
                return status.message
        seen = "\n".join(f"  {s.state}: {s.message}" for s in self.seen)
        raise AssertionError(f"no {state} status with {contains!r} within {timeout} s:\n{seen}")


@pytest.fixture
def socat() -> str:
    return require_service("TABKEEPER_TEST_SOCAT", "socat")


@pytest.fixture
def pair(socat: str) -> Iterator[SerialPair]:
    with serial_pair(socat) as ports:
        yield ports


def fast_config(port: str | Path, **changes: Any) -> SerialLineConfig:
    """A reader record with test-sized timeouts and backoff."""
    settings: dict[str, Any] = {
        "name": "Bar card reader",
        "backoff": Backoff(initial_s=0.05, max_s=0.2),
        "read_timeout_s": 0.05,
    }
    settings.update(changes)
    return SerialLineConfig(port=str(port), **settings)


@contextmanager
def running(device: Any) -> Iterator[Any]:
    device.start()
    try:
        yield device
    finally:
        device.stop()
        assert not device.running


@contextmanager
def far_end(path: str) -> Iterator[serial.Serial]:
    with serial.Serial(path, 9600, timeout=1) as port:
        yield port


def send(port: serial.Serial, data: bytes) -> None:
    port.write(data)
    port.flush()


# --- framing without a port -------------------------------------------------------

frame_bytes = st.binary(min_size=1, max_size=20).filter(lambda b: b"\r" not in b)


@given(
    frames=st.lists(frame_bytes, max_size=10),
    cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=10),
)
def test_frames_survive_any_chunking(frames: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(frame + b"\r\n" for frame in frames)
    points = sorted({min(c, len(stream)) for c in cuts} | {0, len(stream)})
    splitter = FrameSplitter(b"\r\n", max_frame=64)
    out: list[bytes] = []
    for start, end in itertools.pairwise(points):
        got, overflows = splitter.feed(stream[start:end])
        out.extend(got)
        assert overflows == 0
    assert out == frames


def test_over_long_frame_is_dropped_up_to_the_next_frame_end() -> None:
    splitter = FrameSplitter(b"\r", max_frame=8)
    assert splitter.feed(b"0123456789ABC") == ([], 1)
    assert splitter.feed(b"DEF" * 10) == ([], 0)  # same overflow, still discarding
    assert splitter.feed(b"tail\rGOOD\r") == ([b"GOOD"], 0)
    assert splitter.feed(b"0123456789\rOK\r") == ([b"OK"], 1)


def test_idle_gap_frames_flush_and_overflow() -> None:
    splitter = FrameSplitter(None, max_frame=4)
    assert splitter.feed(b"12") == ([], 0)
    assert splitter.feed(b"34") == ([], 0)
    assert splitter.flush() == b"1234"
    assert splitter.feed(b"123456") == ([], 1)
    assert splitter.flush() is None
    assert not splitter.pending


def test_open_failures_are_described_for_people() -> None:
    missing = serial.SerialException(errno.ENOENT, "could not open port /dev/x: No such file")
    denied = serial.SerialException(errno.EACCES, "could not open port /dev/x: denied")
    locked = serial.SerialException("Could not exclusively lock port /dev/x: [Errno 11]")
    assert describe_open_failure(missing) == (
        "no such port — check the cable and the port name in the settings",
        True,
    )
    assert describe_open_failure(denied)[0] == (
        "permission denied (add the user to the dialout group)"
    )
    assert describe_open_failure(locked)[0] == "the port is in use by another program"


def test_list_serial_ports_gives_port_records() -> None:
    assert all(isinstance(info, PortInfo) for info in list_serial_ports())


# --- on a pty pair ----------------------------------------------------------------


def test_frames_split_on_the_terminator(pair: SerialPair) -> None:
    seen = Recorder()
    device = SerialLineDevice(fast_config(pair.a), seen.on_frame, seen.on_status)
    with running(device), far_end(pair.b) as reader:
        assert seen.status(DeviceState.CONNECTED) == f"Bar card reader on {pair.a} ready"

        send(reader, b"A1\rB2\rC3\r")  # several frames in one read
        assert [seen.frame(), seen.frame(), seen.frame()] == [b"A1", b"B2", b"C3"]

        send(reader, b"%B1234")  # a frame split across reads
        seen.no_frame(within=0.2)
        send(reader, b"5678?\r")
        assert seen.frame() == b"%B12345678?"


def test_two_byte_terminator_split_between_reads(pair: SerialPair) -> None:
    seen = Recorder()
    device = SerialLineDevice(
        fast_config(pair.a, terminator=b"\r\n"), seen.on_frame, seen.on_status
    )
    with running(device), far_end(pair.b) as scanner:
        seen.status(DeviceState.CONNECTED)
        send(scanner, b"5012345678900\r")
        seen.no_frame(within=0.2)
        send(scanner, b"\nSECOND\r\n")
        assert [seen.frame(), seen.frame()] == [b"5012345678900", b"SECOND"]


def test_frames_end_after_an_idle_gap_without_terminator(pair: SerialPair) -> None:
    seen = Recorder()
    config = fast_config(pair.a, terminator=None, idle_gap_s=0.15)
    device = SerialLineDevice(config, seen.on_frame, seen.on_status)
    with running(device), far_end(pair.b) as scanner:
        seen.status(DeviceState.CONNECTED)
        send(scanner, b"04D1")
        send(scanner, b"5EA5")  # well within the gap: the same frame
        assert seen.frame() == b"04D15EA5"
        send(scanner, b"NEXT")
        assert seen.frame() == b"NEXT"


def test_over_long_garbage_is_dropped_with_a_note(pair: SerialPair) -> None:
    seen = Recorder()
    device = SerialLineDevice(fast_config(pair.a, max_frame=16), seen.on_frame, seen.on_status)
    with running(device), far_end(pair.b) as reader:
        seen.status(DeviceState.CONNECTED)
        send(reader, b"\xff\x00" * 40 + b"\rGOOD\r")
        assert seen.frame() == b"GOOD"
        note = seen.status(DeviceState.CONNECTED, "dropped")
        assert "more than 16 bytes without a frame end" in note
        assert "check its baud rate and terminator" in note


def test_init_bytes_are_sent_after_opening(pair: SerialPair) -> None:
    seen = Recorder()
    config = fast_config(pair.a, init_bytes=b"\x16T\r")
    with far_end(pair.b) as scanner:
        scanner.reset_input_buffer()
        with running(SerialLineDevice(config, seen.on_frame, seen.on_status)):
            assert scanner.read(3) == b"\x16T\r"


def test_a_failing_frame_handler_does_not_stop_the_reader(pair: SerialPair) -> None:
    seen = Recorder()

    def picky(frame: bytes) -> None:
        if frame == b"BAD":
            raise ValueError("parser bug")
        seen.on_frame(frame)

    with running(SerialLineDevice(fast_config(pair.a), picky, seen.on_status)):
        seen.status(DeviceState.CONNECTED)
        with far_end(pair.b) as reader:
            send(reader, b"BAD\rGOOD\r")
            assert seen.frame() == b"GOOD"


def test_unplug_reports_then_reconnects_at_the_same_path(socat: str, tmp_path: Path) -> None:
    link = tmp_path / "ttyV0"
    seen = Recorder()
    with running(SerialLineDevice(fast_config(link), seen.on_frame, seen.on_status)):
        with serial_pair(socat, link_a=link) as pair, far_end(pair.b) as reader:
            seen.status(DeviceState.CONNECTED, "ready")
            plugged_in = len(seen.seen)
            send(reader, b"BEFORE\r")
            assert seen.frame() == b"BEFORE"
        # socat is gone: the cable is out.
        lost = seen.status(DeviceState.DISCONNECTED, "stopped answering")
        assert lost == f"Bar card reader on {link} stopped answering — reconnecting in 0.05 s"
        seen.status(DeviceState.DISCONNECTED, "no such port")  # unplugged, not an error
        with serial_pair(socat, link_a=link) as pair, far_end(pair.b) as reader:
            seen.status(DeviceState.CONNECTED, "ready")
            send(reader, b"AFTER\r")
            assert seen.frame() == b"AFTER"
    # Before the first pair existed the port was an ERROR (never seen); after, never.
    assert all(s.state is not DeviceState.ERROR for s in seen.seen[plugged_in:])


def test_a_missing_port_is_an_error(tmp_path: Path) -> None:
    seen = Recorder()
    config = fast_config(tmp_path / "ttyUSB9")
    with running(SerialLineDevice(config, seen.on_frame, seen.on_status)):
        message = seen.status(DeviceState.ERROR, "no such port")
    assert message.startswith(f"Bar card reader on {tmp_path / 'ttyUSB9'}: no such port")
    assert message.endswith("retrying in 0.05 s")


@contextmanager
def without_access_to(path: str) -> Iterator[None]:
    """Make ``path`` unopenable for this process: as root, act as nobody for a while."""
    if os.geteuid() != 0:
        mode = os.stat(path).st_mode
        os.chmod(path, 0)
        try:
            yield
        finally:
            os.chmod(path, mode)
        return
    os.seteuid(65534)  # applies to every thread; root comes back in finally
    try:
        yield
    finally:
        os.seteuid(0)


def test_permission_denied_says_what_to_do(pair: SerialPair) -> None:
    seen = Recorder()
    device = SerialLineDevice(fast_config(pair.a), seen.on_frame, seen.on_status)
    with without_access_to(pair.a), running(device):
        message = seen.status(DeviceState.ERROR, "permission denied")
    assert message == (
        f"Bar card reader on {pair.a}: permission denied (add the user to the dialout group)"
        " — retrying in 0.05 s"
    )


def test_a_port_held_by_another_program_is_reported(pair: SerialPair) -> None:
    seen = Recorder()
    device = SerialLineDevice(fast_config(pair.a), seen.on_frame, seen.on_status)
    with serial.Serial(pair.a, exclusive=True), running(device):
        seen.status(DeviceState.ERROR, "in use by another program")
    with running(SerialLineDevice(fast_config(pair.a), seen.on_frame, seen.on_status)):
        seen.status(DeviceState.CONNECTED, "ready")


def test_stop_returns_promptly_while_a_read_blocks(pair: SerialPair) -> None:
    seen = Recorder()
    config = fast_config(pair.a, read_timeout_s=30.0)  # only cancel_read can end the read
    device = SerialLineDevice(config, seen.on_frame, seen.on_status)
    device.start()
    seen.status(DeviceState.CONNECTED)
    started = time.monotonic()
    device.stop()
    assert time.monotonic() - started < 10.0  # not the 30 s the read was allowed
    assert not device.running
    assert seen.status(DeviceState.DISCONNECTED) == f"Bar card reader on {pair.a} closed"
