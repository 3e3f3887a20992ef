"""The device manager: starts each configured device, routes what it reads to events,
and keeps every device's live status.

Drivers are data (``app.devices.drivers``); here each transport kind has one builder,
so a new reader model is a new ``DriverSpec``, not a new branch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from app.devices.barcode import BarcodeFormat
from app.devices.drivers import TERMINATORS, DriverCatalogue, DriverSpec, Payload, Transport
from app.devices.events import (
    Clock,
    DeviceEvent,
    DeviceState,
    DeviceStatus,
    EventSink,
    utc_now,
)
from app.devices.interpreters import (
    BarcodeInterpreter,
    CardOrCodeInterpreter,
    Interpreter,
    MagstripeInterpreter,
    ModemInterpreter,
    WhozzInterpreter,
)
from app.devices.whozz import WhozzDeduplicator

log = logging.getLogger(__name__)


class RunningDevice(Protocol):
    def start(self) -> None: ...
    def stop(self) -> object: ...  # some transports report whether they stopped in time


@dataclass(frozen=True, slots=True)
class ConfiguredDevice:
    """A device as the manager needs it: name, driver and checked settings."""

    name: str
    driver: str
    settings: Mapping[str, object]


Builder = Callable[[ConfiguredDevice, Interpreter | None, EventSink], RunningDevice]


@dataclass
class DeviceManager:
    """Owns the running devices. ``sink`` receives every event, from device threads."""

    sink: EventSink
    builders: Mapping[Transport, Builder]
    catalogue: DriverCatalogue = field(default_factory=DriverCatalogue)
    pan_hmac_key: bytes | None = None
    clock: Clock = utc_now
    _running: dict[str, RunningDevice] = field(default_factory=dict, init=False)
    _interpreters: dict[str, Interpreter] = field(default_factory=dict, init=False)
    _statuses: dict[str, DeviceStatus] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def start(self, devices: list[ConfiguredDevice]) -> None:
        """Start every device; one that cannot start gets an error status, the rest run."""
        for device in devices:
            try:
                spec = self.catalogue.spec(device.driver)
                interpreter = self._interpreter(spec, device)
                builder = self.builders[spec.transport]
                running = builder(device, interpreter, self._receive)
                if interpreter is not None:
                    self._interpreters[device.name] = interpreter
                running.start()
            except Exception as error:  # a bad device must not stop the others
                log.exception("device %s could not start", device.name)
                self._receive(
                    DeviceStatus(
                        device.name, DeviceState.ERROR, f"Could not start: {error}", self.clock()
                    )
                )
                continue
            self._running[device.name] = running

    def stop(self) -> None:
        """Stop every device; each stop is bounded by its transport."""
        for name, running in list(self._running.items()):
            try:
                running.stop()
            except Exception:
                log.exception("device %s did not stop cleanly", name)
        self._running.clear()
        self._interpreters.clear()

    def restart(self, devices: list[ConfiguredDevice]) -> None:
        """Apply a changed configuration: stop everything, start what is configured now."""
        self.stop()
        with self._lock:
            self._statuses.clear()
        self.start(devices)

    def statuses(self) -> list[DeviceStatus]:
        with self._lock:
            return sorted(self._statuses.values(), key=lambda s: s.device)

    def feed(self, device: str, data: bytes) -> None:
        """Input that arrived some other way, e.g. a keyboard-wedge burst from the UI."""
        interpreter = self._interpreters.get(device)
        if interpreter is not None:
            for event in interpreter(data):
                self._receive(event)

    def _receive(self, event: DeviceEvent) -> None:
        if isinstance(event, DeviceStatus):
            with self._lock:
                self._statuses[event.device] = event
        self.sink(event)

    def _interpreter(self, spec: DriverSpec, device: ConfiguredDevice) -> Interpreter | None:
        name, settings = device.name, device.settings
        magstripe = MagstripeInterpreter(name, self.pan_hmac_key, self.clock)
        if spec.payload is Payload.MAGSTRIPE:
            return magstripe
        barcode = BarcodeInterpreter(name, _barcode_format(settings), self.clock)
        if spec.payload is Payload.BARCODE:
            return barcode
        if spec.payload is Payload.CARD_OR_CODE:
            sentinels = str(settings.get("sentinels", "%;+")).encode("ascii", "ignore")
            return CardOrCodeInterpreter(magstripe, barcode, sentinels)
        if spec.payload is Payload.CALLER_ID_MODEM:
            return ModemInterpreter(name, self.clock)
        if spec.payload is Payload.CALLER_ID_WHOZZ:
            window = float(str(settings.get("duplicate_window_s", 2.0)))
            return WhozzInterpreter(name, WhozzDeduplicator(window), self.clock)
        return None  # smart cards: the reader watcher reports events itself


def _barcode_format(settings: Mapping[str, object]) -> BarcodeFormat:
    return BarcodeFormat(
        prefix=str(settings.get("prefix", "")).encode("latin-1", "replace"),
        suffix=str(settings.get("suffix", "")).encode("latin-1", "replace"),
        aim_ids=bool(settings.get("aim_ids", False)),
    )


def terminator(settings: Mapping[str, object]) -> bytes | None:
    return TERMINATORS[str(settings.get("terminator", "CR"))]
