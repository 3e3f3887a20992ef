"""Printer connections on real parts: loopback TCP, a CUPS queue through stand-in lp and
lpstat commands, and USB without pyusb; and printers configured like any other device."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.devices.printing.connections import (
    USB_NEEDS_PYUSB,
    NetworkConnection,
    PrinterConnectionError,
    UsbConnection,
    usb_available,
)
from app.devices.printing.cups import CupsConnection, parse_lpstat
from app.devices.printing.printers import (
    CUPS,
    NETWORK,
    SERIAL,
    USB,
    TerminalDrivers,
    connection_for,
    is_printer,
    printer_config,
)
from app.devices.printing.profiles import PROFILES
from app.devices.printing.station import configured_printers
from app.domain.errors import ValidationError
from app.services.devices import DeviceSettingsService
from app.services.dto import DeviceConfig
from tests.support.print_jobs import executable
from tests.support.test_printer import LoopbackPrinter, print_data


@pytest.fixture
def printer() -> Iterator[LoopbackPrinter]:
    with LoopbackPrinter() as running:
        yield running


def connect(printer: LoopbackPrinter) -> NetworkConnection:
    return NetworkConnection(
        printer.host, printer.port, connect_timeout_s=2, write_timeout_s=2, status_timeout_s=1
    )


# --- TCP 9100 ---------------------------------------------------------------------------


def test_bytes_reach_the_printer_and_its_status_comes_back(printer: LoopbackPrinter) -> None:
    link = connect(printer)
    link.open()
    try:
        assert link.query_status().reason == "Ready"
        link.send(b"\x1b@Hello\n" * 2000)  # several chunks
        printer.set_status(online=False, paper_out=True)
        status = link.query_status()
    finally:
        link.close()

    assert (status.ready, status.reason) == (False, "Out of paper")
    printer.wait_for(lambda: len(printer.sessions[0]) >= 16_000 + 24, "all bytes")
    assert print_data(bytes(printer.sessions[0])) == b"\x1b@Hello\n" * 2000


def test_a_printer_that_is_off_refuses_in_words(printer: LoopbackPrinter) -> None:
    printer.go_down()
    link = connect(printer)
    with pytest.raises(PrinterConnectionError) as refused:
        link.open()
    assert refused.value.reason == (
        f"Printer at 127.0.0.1:{printer.port} refused the connection — is it switched on?"
    )
    printer.come_up()
    link.open()
    link.close()


def test_a_connection_cut_mid_job_is_an_error_never_a_silent_success(
    printer: LoopbackPrinter,
) -> None:
    printer.drop_after(100)
    link = connect(printer)
    link.open()
    with pytest.raises(PrinterConnectionError) as cut:
        link.send(b"x" * 50_000)  # the kernel may take it all; the status query cannot pass
        link.query_status()
    link.close()
    assert "printer at 127.0.0.1" in cut.value.reason.lower()
    printer.wait_for(lambda: len(printer.sessions[0]) == 100, "the first 100 bytes")


# --- CUPS ------------------------------------------------------------------------------


def test_a_cups_queue_takes_the_job_raw(tmp_path: Path) -> None:
    lp = executable(tmp_path / "lp", f'echo "$@" > {tmp_path}/args\ncat > {tmp_path}/job\n')
    lpstat = executable(tmp_path / "lpstat", 'echo "printer Bar is idle.  enabled since today"\n')
    link = CupsConnection("Bar", lp=lp, lpstat=lpstat)

    link.open()
    assert link.query_status().ready
    link.send(b"\x1b@receipt\n\x1dV\x00")

    assert (tmp_path / "job").read_bytes() == b"\x1b@receipt\n\x1dV\x00"
    assert (tmp_path / "args").read_text().split() == [
        "-d", "Bar", "-o", "raw", "-t", "Tabkeeper", "-",
    ]  # fmt: skip
    assert not link.two_way


def test_a_refused_cups_job_says_what_lp_said(tmp_path: Path) -> None:
    lp = executable(
        tmp_path / "lp", 'echo "lp: The printer or class does not exist." >&2\nexit 1\n'
    )
    with pytest.raises(PrinterConnectionError, match="does not exist"):
        CupsConnection("Nope", lp=lp).send(b"x")


def test_cups_without_lp_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", os.devnull)
    with pytest.raises(PrinterConnectionError, match="install cups-client"):
        CupsConnection("Bar").open()


@pytest.mark.parametrize(
    ("code", "output", "ready", "reason"),
    [
        (0, "printer Bar is idle.  enabled since Mon", True, "Ready"),
        (0, "printer Bar now printing Bar-12.  enabled since Mon", True, "Ready"),
        (
            0,
            "printer Bar disabled since Mon -\n\tPaused by the manager",
            False,
            "CUPS queue 'Bar' is paused: Paused by the manager",
        ),
        (1, "", False, "CUPS has no printer queue 'Bar'"),
    ],
)
def test_lpstat_is_read(code: int, output: str, ready: bool, reason: str) -> None:
    status = parse_lpstat("Bar", code, output)
    assert (status.ready, status.reason) == (ready, reason)


# --- USB -------------------------------------------------------------------------------


@pytest.mark.skipif(usb_available(), reason="pyusb is installed here")
def test_usb_without_pyusb_says_so() -> None:
    with pytest.raises(PrinterConnectionError) as missing:
        UsbConnection(0x04B8, 0x0E15).open()
    assert missing.value.reason == USB_NEEDS_PYUSB


# --- configuration ---------------------------------------------------------------------


def test_printers_are_checked_like_every_device_with_every_problem_named() -> None:
    drivers = TerminalDrivers()
    with pytest.raises(ValidationError) as refused:
        drivers.check(
            USB,
            {"vendor_id": "zz", "product_id": "0", "prints_receipts": False,
             "prints_guest_checks": False, "profile": "Nope"},
        )  # fmt: skip
    assert {p.field: p.message for p in refused.value.problems} == {
        "settings.vendor_id": "USB vendor id must be 1 to 4 hex digits, like 04b8.",
        "settings.product_id": "USB product id must be 1 to 4 hex digits, like 04b8.",
        "settings.profile": f"Printer model must be one of {', '.join(sorted(PROFILES))}.",
        "settings.prints_receipts": (
            "Choose what this printer prints: receipts, guest checks or both."
        ),
    }
    with pytest.raises(ValidationError, match="Printer address"):
        drivers.check(NETWORK, {"host": "not a host"})
    with pytest.raises(ValidationError, match="CUPS queue name is needed"):
        drivers.check(CUPS, {})
    with pytest.raises(ValidationError, match="cannot contain spaces"):
        drivers.check(CUPS, {"queue": "Bar printer"})


def test_checked_printer_settings_are_complete_and_tidy() -> None:
    drivers = TerminalDrivers()
    assert drivers.check(USB, {"vendor_id": "0x4B8", "product_id": "E15"}) == {
        "vendor_id": "04b8",
        "product_id": "0e15",
        "profile": "Epson TM-T20",
        "prints_receipts": True,
        "prints_guest_checks": True,
    }
    assert (
        drivers.check(NETWORK, {"host": " 10.0.0.7 ", "prints_guest_checks": "no"})["host"]
        == "10.0.0.7"
    )
    assert drivers.check("keyboard-wedge", {})["max_gap_ms"] == 40  # readers as before


def test_each_printer_opens_its_own_kind_of_connection() -> None:
    def made(driver: str, **settings: object) -> object:
        checked = TerminalDrivers().check(driver, settings)
        return connection_for(printer_config("P", driver, checked))

    assert made(NETWORK, host="10.0.0.7").where == "10.0.0.7:9100"  # type: ignore[attr-defined]
    assert made(SERIAL, port="/dev/ttyUSB0").where == "/dev/ttyUSB0"  # type: ignore[attr-defined]
    assert made(USB, vendor_id="4b8", product_id="e15").where == "USB 04b8:0e15"  # type: ignore[attr-defined]
    assert made(CUPS, queue="Bar").where == "CUPS queue Bar"  # type: ignore[attr-defined]


def test_a_manager_sets_a_printer_up_where_readers_are(store) -> None:  # type: ignore[no-untyped-def]
    from tests.support.directory import MANAGER

    service = DeviceSettingsService(store.uow, TerminalDrivers(), store.clock)
    service.save(MANAGER, DeviceConfig("Keyboard card reader", "keyboard-wedge"))
    service.save(
        MANAGER,
        DeviceConfig(
            "Bar printer",
            NETWORK,
            {"host": "10.0.0.7", "profile": "Epson TM-T88", "prints_guest_checks": False},
        ),
    )
    service.save(MANAGER, DeviceConfig("Old printer", CUPS, {"queue": "old"}, enabled=False))

    configured = service.configured()
    [bar] = configured_printers(configured)

    assert [is_printer(c.driver) for c in configured] == [True, False, True]
    assert (bar.name, bar.profile.name, bar.kinds) == ("Bar printer", "Epson TM-T88", {"receipt"})
