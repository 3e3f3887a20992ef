"""Receipt printers as configured devices: their drivers as data, checked settings, and the
connection each one opens.

A printer is a row in the terminal's ``devices`` table like a card reader: a name people
recognise ("Bar printer"), a driver (network, serial, USB or CUPS) and the driver's
settings, which also say which profile the printer is and which jobs it prints. Managers
set printers up on the same Devices screen, through the same `DeviceSettingsService`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from app.devices.drivers import DRIVERS, DriverCatalogue, DriverSpec, Payload, Setting, Transport
from app.devices.printing.connections import (
    NetworkConnection,
    PrinterConnection,
    SerialConnection,
    UsbConnection,
)
from app.devices.printing.cups import CupsConnection
from app.devices.printing.profiles import PROFILES, PrinterProfile, profile
from app.domain.errors import FieldProblem, ValidationError
from app.domain.receipts import GUEST_CHECK, RECEIPT

NETWORK, SERIAL, USB, CUPS = "printer-network", "printer-serial", "printer-usb", "printer-cups"
DEFAULT_PROFILE = "Epson TM-T20"

_JOBS = (
    Setting("profile", "Printer model", DEFAULT_PROFILE, choices=tuple(sorted(PROFILES))),
    Setting("prints_receipts", "Prints receipts", True),
    Setting("prints_guest_checks", "Prints guest checks", True),
)

PRINTER_DRIVERS: tuple[DriverSpec, ...] = (
    DriverSpec(
        NETWORK,
        "Receipt printer (network, port 9100)",
        Transport.PRINTER,
        Payload.PRINTER_STATUS,
        (
            Setting("host", "Printer address (IP or host name)", None),
            Setting("tcp_port", "TCP port", 9100, 1, 65535),
            *_JOBS,
        ),
    ),
    DriverSpec(
        SERIAL,
        "Receipt printer (serial)",
        Transport.PRINTER,
        Payload.PRINTER_STATUS,
        (
            Setting("port", "Serial port", None),
            Setting("baudrate", "Baud rate", 9600, choices=(9600, 19200, 38400, 57600, 115200)),
            Setting("flow_control", "Flow control", "none", choices=("none", "rtscts", "dsrdtr")),
            *_JOBS,
        ),
    ),
    DriverSpec(
        USB,
        "Receipt printer (USB)",
        Transport.PRINTER,
        Payload.PRINTER_STATUS,
        (
            Setting("vendor_id", "USB vendor id (hex, e.g. 04b8)", None),
            Setting("product_id", "USB product id (hex, e.g. 0e15)", None),
            *_JOBS,
        ),
    ),
    DriverSpec(
        CUPS,
        "Receipt printer (CUPS queue)",
        Transport.PRINTER,
        Payload.PRINTER_STATUS,
        (Setting("queue", "CUPS queue name", None), *_JOBS),
    ),
)

PRINTER_DRIVER_IDS = frozenset(spec.id for spec in PRINTER_DRIVERS)
_HOST = re.compile(r"^[A-Za-z0-9.:\-\[\]]{1,253}$")
_HEX_ID = re.compile(r"^(0x)?[0-9A-Fa-f]{1,4}$")
_QUEUE = re.compile(r"^[^\s/#\\\"']{1,127}$")  # CUPS refuses spaces, /, # and quotes


def is_printer(driver: str) -> bool:
    """Whether a configured device is a printer (the print queue runs it, not the manager)."""
    return driver in PRINTER_DRIVER_IDS


def _hex_id(raw: object) -> int:
    return int(str(raw).strip().lower().removeprefix("0x"), 16)


def _printer_problems(driver: str, settings: Mapping[str, object]) -> list[FieldProblem]:
    """What the per-setting checks cannot see: address and id formats, and the jobs.
    A setting missing here was already refused on its own."""
    problems: list[FieldProblem] = []

    def bad(name: str, message: str) -> None:
        problems.append(FieldProblem(f"settings.{name}", message))

    host, queue = settings.get("host"), settings.get("queue")
    if driver == NETWORK and host is not None and not _HOST.match(str(host).strip()):
        bad("host", "Printer address must be an IP address or host name.")
    for name, label in (("vendor_id", "USB vendor id"), ("product_id", "USB product id")):
        raw = settings.get(name)
        if driver != USB or raw is None or not str(raw).strip():
            continue
        if not _HEX_ID.match(str(raw).strip()) or _hex_id(raw) == 0:
            bad(name, f"{label} must be 1 to 4 hex digits, like 04b8.")
    if driver == CUPS and queue is not None and not _QUEUE.match(str(queue).strip()):
        bad("queue", "CUPS queue name cannot contain spaces, '/', '#' or quotes.")
    if settings.get("prints_receipts") is False and settings.get("prints_guest_checks") is False:
        bad("prints_receipts", "Choose what this printer prints: receipts, guest checks or both.")
    return problems


class TerminalDrivers(DriverCatalogue):
    """Every driver a terminal offers: readers, scanners, caller ID, and printers.

    Printers' settings get the checks a setting alone cannot make (addresses, USB ids,
    at least one kind of job), so the Devices screen lists every problem at once.
    """

    def __init__(self, drivers: tuple[DriverSpec, ...] = DRIVERS + PRINTER_DRIVERS) -> None:
        super().__init__(drivers)

    def check(self, driver: str, settings: Mapping[str, object]) -> dict[str, object]:
        if not is_printer(driver):
            return super().check(driver, settings)
        problems: list[FieldProblem] = []
        try:
            checked = super().check(driver, settings)
        except ValidationError as error:
            problems += error.problems
            refused = {p.field.removeprefix("settings.") for p in error.problems}
            checked = {k: v for k, v in settings.items() if k not in refused}
        problems += _printer_problems(driver, checked)
        if problems:
            raise ValidationError(problems)
        if driver == USB:
            for name in ("vendor_id", "product_id"):
                checked[name] = f"{_hex_id(checked[name]):04x}"
        for name in ("host", "queue"):
            if name in checked:
                checked[name] = str(checked[name]).strip()
        return checked


@dataclass(frozen=True, slots=True)
class PrinterConfig:
    """One configured printer as the print queue needs it."""

    name: str  # "Bar printer"
    driver: str
    settings: Mapping[str, object]
    profile: PrinterProfile
    kinds: frozenset[str]  # the jobs it prints: "receipt", "guest_check"


def printer_config(name: str, driver: str, settings: Mapping[str, object]) -> PrinterConfig:
    """A stored printer's settings (checked when saved) as the queue's record."""
    if not is_printer(driver):
        raise ValueError(f"'{driver}' is not a printer driver")
    kinds = {
        kind
        for kind, setting in ((RECEIPT, "prints_receipts"), (GUEST_CHECK, "prints_guest_checks"))
        if bool(settings.get(setting, True))
    }
    return PrinterConfig(
        name=name,
        driver=driver,
        settings=dict(settings),
        profile=profile(str(settings.get("profile", DEFAULT_PROFILE))),
        kinds=frozenset(kinds),
    )


def connection_for(config: PrinterConfig) -> PrinterConnection:
    """A new, unopened connection to the printer; the queue opens one per job."""
    s = config.settings
    if config.driver == NETWORK:
        return NetworkConnection(str(s["host"]), int(str(s.get("tcp_port", 9100))))
    if config.driver == SERIAL:
        return SerialConnection(
            str(s["port"]),
            baudrate=int(str(s.get("baudrate", 9600))),
            flow_control=str(s.get("flow_control", "none")),
        )
    if config.driver == USB:
        return UsbConnection(_hex_id(s["vendor_id"]), _hex_id(s["product_id"]))
    return CupsConnection(str(s["queue"]))
