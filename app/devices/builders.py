"""One builder per transport kind: settings in, a running device out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.devices.drivers import Transport
from app.devices.events import DeviceState, DeviceStatus, EventSink, utc_now
from app.devices.interpreters import Interpreter
from app.devices.manager import Builder, ConfiguredDevice, RunningDevice, terminator
from app.devices.modem import CallerIdModem, ModemConfig
from app.devices.pcsc_reader import PcscReaderWatcher
from app.devices.serial_line import SerialLineDevice
from app.devices.serial_port import SerialLineConfig
from app.devices.udp_listener import UdpListener


def _deliver(interpreter: Interpreter | None, sink: EventSink, data: bytes) -> None:
    if interpreter is not None:
        for event in interpreter(data):
            sink(event)


def _serial_config(device: ConfiguredDevice) -> SerialLineConfig:
    s = device.settings
    return SerialLineConfig(
        port=str(s["port"]),
        name=device.name,
        baudrate=int(str(s.get("baudrate", 9600))),
        bytesize=int(str(s.get("bytesize", 8))),
        parity=str(s.get("parity", "N")),
        stopbits=float(str(s.get("stopbits", 1))),
        terminator=terminator(s),
        idle_gap_s=int(str(s.get("idle_gap_ms", 50))) / 1000,
    )


def build_serial_line(
    device: ConfiguredDevice, interpreter: Interpreter | None, sink: EventSink
) -> RunningDevice:
    return SerialLineDevice(
        _serial_config(device), lambda frame: _deliver(interpreter, sink, frame), sink
    )


def build_modem(
    device: ConfiguredDevice, interpreter: Interpreter | None, sink: EventSink
) -> RunningDevice:
    config = ModemConfig(
        port=_serial_config(device),
        probe_every_s=float(str(device.settings.get("probe_every_s", 30))),
    )
    return CallerIdModem(
        config, lambda line: _deliver(interpreter, sink, line.encode("ascii", "replace")), sink
    )


def build_udp(
    device: ConfiguredDevice, interpreter: Interpreter | None, sink: EventSink
) -> RunningDevice:
    return UdpListener(
        on_datagram=lambda data, _sender: _deliver(interpreter, sink, data),
        on_status=sink,
        host=str(device.settings.get("host", "0.0.0.0")),
        port=int(str(device.settings.get("port", 3520))),
        name=device.name,
    )


def build_pcsc(
    device: ConfiguredDevice, _interpreter: Interpreter | None, sink: EventSink
) -> RunningDevice:
    reader = str(device.settings.get("reader", "")) or None
    return PcscReaderWatcher(sink, reader_filter=reader, device_name=device.name)


@dataclass
class KeyboardWedge:
    """Its keys arrive through the UI's event filter and ``DeviceManager.feed``."""

    device: ConfiguredDevice
    sink: EventSink

    def start(self) -> None:
        self.sink(
            DeviceStatus(
                self.device.name, DeviceState.CONNECTED, "Listening to the keyboard", utc_now()
            )
        )

    def stop(self) -> None:
        return None


def build_wedge(
    device: ConfiguredDevice, _interpreter: Interpreter | None, sink: EventSink
) -> RunningDevice:
    return KeyboardWedge(device, sink)


BUILDERS: Mapping[Transport, Builder] = {
    Transport.SERIAL_LINE: build_serial_line,
    Transport.MODEM: build_modem,
    Transport.UDP: build_udp,
    Transport.PCSC: build_pcsc,
    Transport.KEYBOARD_WEDGE: build_wedge,
}
