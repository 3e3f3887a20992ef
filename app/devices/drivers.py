"""The drivers a terminal can use, described as data: transport, parser and settings.

A configured device names a driver and fills in its settings; the device manager builds
the transport from the spec, never from a branch per device model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from app.domain.errors import FieldProblem, ValidationError


class Transport(StrEnum):
    SERIAL_LINE = "serial_line"
    MODEM = "modem"
    UDP = "udp"
    PCSC = "pcsc"
    KEYBOARD_WEDGE = "keyboard_wedge"
    PRINTER = "printer"  # the print queue drives it (app.devices.printing), not the manager


class Payload(StrEnum):
    MAGSTRIPE = "magstripe"
    BARCODE = "barcode"
    CARD_OR_CODE = "card_or_code"  # wedge: a stripe if it starts with a sentinel, else a code
    SMART_CARD = "smart_card"
    CALLER_ID_MODEM = "caller_id_modem"
    CALLER_ID_WHOZZ = "caller_id_whozz"
    PRINTER_STATUS = "printer_status"  # a printer reads back only its own status


SettingValue = str | int | float | bool


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    label: str
    default: SettingValue | None  # None: the person must give it
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[SettingValue, ...] = ()

    def check(self, raw: object) -> SettingValue:
        """The value converted to the setting's type, or ValueError with a reason."""
        kind = type(self.default) if self.default is not None else str
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            if str(raw).strip().lower() in ("1", "true", "yes", "on"):
                return True
            if str(raw).strip().lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"{self.label} must be yes or no.")
        if kind in (int, float):
            try:
                number: int | float = int(str(raw)) if kind is int else float(str(raw))
            except (TypeError, ValueError):
                raise ValueError(f"{self.label} must be a number, not '{raw}'.") from None
            if self.minimum is not None and number < self.minimum:
                raise ValueError(f"{self.label} must be at least {self.minimum:g}.")
            if self.maximum is not None and number > self.maximum:
                raise ValueError(f"{self.label} must be at most {self.maximum:g}.")
            value: SettingValue = number
        else:
            value = str(raw)
            if self.default is None and not value.strip():
                raise ValueError(f"{self.label} is needed.")
        if self.choices and value not in self.choices:
            allowed = ", ".join(str(c) for c in self.choices)
            raise ValueError(f"{self.label} must be one of {allowed}.")
        return value


@dataclass(frozen=True, slots=True)
class DriverSpec:
    id: str
    label: str
    transport: Transport
    payload: Payload
    settings: tuple[Setting, ...]


_PORT = Setting("port", "Serial port", None)
_SERIAL = (
    Setting(
        "baudrate", "Baud rate", 9600, choices=(1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
    ),
    Setting("bytesize", "Data bits", 8, choices=(7, 8)),
    Setting("parity", "Parity", "N", choices=("N", "E", "O")),
    Setting("stopbits", "Stop bits", 1, choices=(1, 2)),
    Setting("terminator", "Terminator", "CR", choices=("CR", "LF", "CRLF", "none")),
    Setting("idle_gap_ms", "End of data after a pause of (ms)", 50, minimum=5, maximum=2000),
)

DRIVERS: tuple[DriverSpec, ...] = (
    DriverSpec(
        "serial-magstripe",
        "Magnetic stripe reader (serial)",
        Transport.SERIAL_LINE,
        Payload.MAGSTRIPE,
        (_PORT, *_SERIAL),
    ),
    DriverSpec(
        "serial-barcode",
        "Barcode scanner (serial)",
        Transport.SERIAL_LINE,
        Payload.BARCODE,
        (
            _PORT,
            *_SERIAL,
            Setting("prefix", "Prefix the scanner adds", ""),
            Setting("suffix", "Suffix the scanner adds", ""),
            Setting("aim_ids", "Scanner sends AIM symbology identifiers", False),
        ),
    ),
    DriverSpec(
        "keyboard-wedge",
        "Card reader or scanner that types (keyboard wedge)",
        Transport.KEYBOARD_WEDGE,
        Payload.CARD_OR_CODE,
        (
            Setting("max_gap_ms", "Longest pause between a device's keys (ms)", 40, 5, 200),
            Setting("min_length", "Shortest payload", 4, 1, 64),
            Setting("terminator", "Terminator", "CR", choices=("CR", "LF", "TAB", "none")),
            Setting("sentinels", "Stripe start sentinels", "%;+"),
        ),
    ),
    DriverSpec(
        "pcsc",
        "Smart-card or contactless reader (PC/SC)",
        Transport.PCSC,
        Payload.SMART_CARD,
        (Setting("reader", "Use readers whose name contains (empty: any)", ""),),
    ),
    DriverSpec(
        "callerid-modem",
        "Caller-ID modem (serial)",
        Transport.MODEM,
        Payload.CALLER_ID_MODEM,
        (
            _PORT,
            Setting("baudrate", "Baud rate", 115200, choices=(9600, 19200, 38400, 57600, 115200)),
            Setting("probe_every_s", "Check the modem answers every (s)", 30, 5, 3600),
        ),
    ),
    DriverSpec(
        "callerid-whozz",
        "Ethernet caller-ID unit (Whozz Calling?)",
        Transport.UDP,
        Payload.CALLER_ID_WHOZZ,
        (
            Setting("host", "Listen on address", "0.0.0.0"),
            Setting("port", "UDP port", 3520, 1, 65535),
            Setting("duplicate_window_s", "Ignore repeats within (s)", 2.0, 0.1, 60),
        ),
    ),
)

TERMINATORS = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "TAB": b"\t", "none": None}


class DriverCatalogue:
    """The drivers this build knows; implements the services' ``DeviceDrivers`` port."""

    def __init__(self, drivers: tuple[DriverSpec, ...] = DRIVERS) -> None:
        self._drivers = {spec.id: spec for spec in drivers}

    def spec(self, driver: str) -> DriverSpec:
        try:
            return self._drivers[driver]
        except KeyError:
            raise ValidationError.single(
                "driver", f"'{driver}' is not a device driver this terminal knows."
            ) from None

    def specs(self) -> list[DriverSpec]:
        return list(self._drivers.values())

    def check(self, driver: str, settings: Mapping[str, object]) -> dict[str, object]:
        spec = self.spec(driver)
        known = {s.name for s in spec.settings}
        problems = [
            FieldProblem(f"settings.{name}", f"{spec.label} has no setting '{name}'.")
            for name in settings
            if name not in known
        ]
        checked: dict[str, object] = {}
        for setting in spec.settings:
            raw = settings.get(setting.name, setting.default)
            if raw is None:
                problems.append(
                    FieldProblem(f"settings.{setting.name}", f"{setting.label} is needed.")
                )
                continue
            try:
                checked[setting.name] = setting.check(raw)
            except ValueError as error:
                problems.append(FieldProblem(f"settings.{setting.name}", str(error)))
        if problems:
            raise ValidationError(problems)
        return checked
