"""UDP listener on real sockets on 127.0.0.1 (a free port, never the real 3520)."""

from __future__ import annotations

import errno
import queue
import socket
import time
from collections.abc import Iterator

import pytest

from app.devices.backoff import Backoff
from app.devices.events import DeviceState
from app.devices.udp_listener import UdpListener, describe_bind_failure
from tests.devices.test_serial_line import WAIT_S, Recorder, running

HOST = "127.0.0.1"


@pytest.fixture
def taken_port() -> Iterator[socket.socket]:
    """A socket holding a free UDP port; close it to free the port for the listener."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind((HOST, 0))
    try:
        yield holder
    finally:
        holder.close()


def listener(port: int, seen: Recorder) -> UdpListener:
    datagrams: queue.Queue[tuple[bytes, tuple[str, int]]] = seen.frames
    return UdpListener(
        on_datagram=lambda data, sender: datagrams.put((data, sender)),
        on_status=seen.on_status,
        host=HOST,
        port=port,
        backoff=Backoff(initial_s=0.05, max_s=0.2),
        poll_s=0.05,
    )


def test_datagrams_are_delivered_with_their_sender(taken_port: socket.socket) -> None:
    port = taken_port.getsockname()[1]
    taken_port.close()
    seen = Recorder()
    with running(listener(port, seen)), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as unit:
        assert seen.status(DeviceState.CONNECTED) == f"Caller ID listener on UDP port {port} ready"
        unit.bind((HOST, 0))
        packets = [
            b"^^<U>000001<S>123456$01 I S 0000 G A1 03/21 02:05 PM 555-123-4567 DOE JOHN",
            b"second",
            b"",
        ]
        for packet in packets:
            unit.sendto(packet, (HOST, port))
        got = [seen.frame() for _ in packets]
        sender = unit.getsockname()
    assert got == [(packet, sender) for packet in packets]


def test_a_port_in_use_is_reported_then_taken_when_freed(taken_port: socket.socket) -> None:
    port = taken_port.getsockname()[1]
    seen = Recorder()
    with running(listener(port, seen)):
        message = seen.status(DeviceState.ERROR)
        assert message == (
            f"Caller ID listener: port {port} is in use by another program "
            "(is the caller-ID software open?) — retrying in 0.05 s"
        )
        taken_port.close()
        seen.status(DeviceState.CONNECTED, "ready")


def test_stop_is_bounded_and_reported(taken_port: socket.socket) -> None:
    port = taken_port.getsockname()[1]
    taken_port.close()
    seen = Recorder()
    device = listener(port, seen)
    device.start()
    seen.status(DeviceState.CONNECTED)
    started = time.monotonic()
    device.stop(timeout_s=WAIT_S)
    assert time.monotonic() - started < WAIT_S
    assert not device.running
    assert seen.status(DeviceState.DISCONNECTED) == f"Caller ID listener on UDP port {port} closed"
    # The port is free again for the next listener.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind((HOST, port))


def test_bind_failures_are_described_for_people() -> None:
    denied = OSError(errno.EACCES, "Permission denied")
    foreign = OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address")
    assert describe_bind_failure(denied, "0.0.0.0", 352) == (
        "permission denied for port 352 (ports below 1024 need administrator rights)"
    )
    assert describe_bind_failure(foreign, "10.9.9.9", 3520) == (
        "address 10.9.9.9 is not on this computer — check the network settings"
    )
