"""A serial receipt printer on a real pty pair (socat): status by DLE EOT, then the receipt."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.devices.backoff import Backoff
from app.devices.printing.printers import SERIAL, TerminalDrivers, printer_config
from app.devices.printing.profiles import EPSON_TM_T20
from app.devices.printing.queue_worker import Activity, receipt_renderer
from app.devices.printing.station import PrintStation
from app.devices.printing.status import DLE_EOT
from app.services.printing import PrintService
from app.services.worker import StoreWorker
from tests.support.print_jobs import VENUE, Events, close_tab, complete, marks
from tests.support.serial_pair import serial_pair
from tests.support.test_printer import SerialPrinterEnd
from tests.support.venue import Venue, venue_on_disk
from tests.test_infrastructure import require_service


@pytest.fixture
def socat() -> str:
    return require_service("TABKEEPER_TEST_SOCAT", "socat")


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


def test_a_serial_printer_out_of_paper_waits_then_prints(socat: str, venue: Venue) -> None:
    store = StoreWorker("test-store")
    events = Events()
    with serial_pair(socat) as pair:
        printer = SerialPrinterEnd(pair.b)
        printer.emulator.set_status(online=False, paper_out=True)
        settings = TerminalDrivers().check(
            SERIAL, {"port": pair.a, "baudrate": 115200, "profile": EPSON_TM_T20.name}
        )
        station = PrintStation(
            PrintService(venue.uow, venue.clock),
            store,
            receipt_renderer(VENUE),
            events,
            backoff=Backoff(initial_s=0.05, max_s=0.2),
            poll_s=0.05,
        )
        tab_uuid = close_tab(venue)
        station.start([printer_config("Counter printer", SERIAL, settings)])
        try:
            events.wait_for(Activity.WAITING, "Receipt waiting: Out of paper")
            assert set(bytes(printer.received[:12])) <= set(DLE_EOT + b"\x01\x02\x03\x04")

            printer.emulator.set_status()
            printer.wait_for(
                lambda: venue.rows("print_jobs", tab_uuid=tab_uuid)[0]["status"] == "printed",
                "the receipt printed",
            )
        finally:
            station.stop()
            store.shutdown()
            printer.close()

    # The refused attempts sent only status queries, which the decoder reads as such.
    [receipt] = complete([bytes(printer.received)])
    assert marks(receipt) == []
    assert "Tab 1" in receipt.text()
