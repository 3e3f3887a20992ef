"""The device manager over real transports: a pty reader, a UDP unit, the wedge."""

from __future__ import annotations

import queue
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import serial

from app.devices.builders import BUILDERS
from app.devices.drivers import DriverCatalogue
from app.devices.events import (
    DeviceEvent,
    DeviceRejected,
    DeviceState,
    DeviceStatus,
    IdentificationEvent,
    IncomingCall,
)
from app.devices.manager import ConfiguredDevice, DeviceManager
from app.domain.identifiers import IdentifierKind
from tests.support.serial_pair import serial_pair
from tests.test_infrastructure import require_service

WAIT_S = 5.0


class Events:
    def __init__(self) -> None:
        self.queue: queue.Queue[DeviceEvent] = queue.Queue()
        self.seen: list[DeviceEvent] = []

    def __call__(self, event: DeviceEvent) -> None:
        self.queue.put(event)

    def next(self, kind: type, device: str | None = None) -> DeviceEvent:
        """The next event of ``kind`` (skipping others), or fail after WAIT_S."""
        while True:
            try:
                event = self.queue.get(timeout=WAIT_S)
            except queue.Empty:
                pytest.fail(f"no {kind.__name__} within {WAIT_S} s")
            self.seen.append(event)
            if isinstance(event, kind) and (
                device is None or getattr(event, "device", None) == device
            ):
                return event


def configured(name: str, driver: str, **settings: object) -> ConfiguredDevice:
    return ConfiguredDevice(name, driver, DriverCatalogue().check(driver, settings))


@contextmanager
def managing(events: Events, devices: list[ConfiguredDevice]) -> Iterator[DeviceManager]:
    manager = DeviceManager(events, BUILDERS)
    manager.start(devices)
    try:
        yield manager
    finally:
        manager.stop()


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_swipe_on_a_serial_reader_identifies() -> None:
    socat = require_service("TABKEEPER_TEST_SOCAT", "socat")
    events = Events()
    with (
        serial_pair(socat) as pair,
        managing(events, [configured("Bar reader", "serial-magstripe", port=pair.a)]),
    ):
        events.next(DeviceStatus)  # connected
        with serial.Serial(pair.b, timeout=1) as far_end:
            far_end.write(b";6391000012345678=49121010000?\r")
            far_end.write(b"%E?;E?\r")
            event = events.next(IdentificationEvent)
            rejected = events.next(DeviceRejected)
    assert isinstance(event, IdentificationEvent)
    assert (event.kind, event.value, event.device) == (
        IdentifierKind.MAGNETIC_CARD,
        "6391000012345678",
        "Bar reader",
    )
    assert isinstance(rejected, DeviceRejected) and "swipe again" in rejected.reason


def test_an_ethernet_caller_id_unit_rings_once_per_call() -> None:
    events = Events()
    port = free_udp_port()
    unit = configured("Phone line", "callerid-whozz", host="127.0.0.1", port=port)
    start = b"^^<U>000001<S>123456$01 I S 0000 G A1 11/23 12:00 PM 020-7946-0000   ROBERTS EMILY"
    with managing(events, [unit]) as manager:
        status = events.next(DeviceStatus)
        assert isinstance(status, DeviceStatus) and status.state is DeviceState.CONNECTED
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for _ in range(3):  # units repeat each packet
                sender.sendto(start, ("127.0.0.1", port))
            call = events.next(IncomingCall)
            sender.sendto(b"^^<U>000001<S>123456$garbage", ("127.0.0.1", port))
            events.next(DeviceRejected)
        assert [s.state for s in manager.statuses()] == [DeviceState.CONNECTED]
    assert isinstance(call, IncomingCall)
    assert (call.number, call.name, call.line) == ("02079460000", "ROBERTS EMILY", 1)
    assert events.queue.empty() or not any(
        isinstance(e, IncomingCall) for e in list(events.queue.queue)
    )


def test_wedge_bursts_are_fed_through_the_manager() -> None:
    events = Events()
    with managing(events, [configured("Till keyboard", "keyboard-wedge")]) as manager:
        events.next(DeviceStatus)
        manager.feed("Till keyboard", b"2900000012345")
        event = events.next(IdentificationEvent)
    assert isinstance(event, IdentificationEvent) and event.kind is IdentifierKind.BARCODE_CARD


def test_a_device_that_cannot_start_leaves_the_others_running() -> None:
    events = Events()
    broken = ConfiguredDevice("Old scanner", "fax-machine", {})
    missing = configured("Unplugged reader", "serial-magstripe", port="/dev/ttyDOESNOTEXIST")
    wedge = configured("Till keyboard", "keyboard-wedge")
    with managing(events, [broken, missing, wedge]) as manager:
        failed = events.next(DeviceStatus, "Old scanner")
        absent = events.next(DeviceStatus, "Unplugged reader")
        manager.feed("Till keyboard", b"2900000012345")
        events.next(IdentificationEvent)
    assert isinstance(failed, DeviceStatus) and failed.state is DeviceState.ERROR
    assert "not a device driver" in failed.message
    assert isinstance(absent, DeviceStatus) and absent.state is not DeviceState.CONNECTED
    assert "/dev/ttyDOESNOTEXIST" in absent.message
