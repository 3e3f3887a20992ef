"""The print queue end to end on real parts: a store on disk, the store's writer thread, the
real layout and ESC/POS renderer, and a printer on loopback TCP that records every byte.

Each fault ends the same way: the receipt is printed exactly once, or it may have printed
in part and is printed again under a REPRINT mark. The recorded bytes are decoded to say so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.devices.backoff import Backoff
from app.devices.printing.connections import NetworkConnection, PrinterConnection
from app.devices.printing.cups import CupsConnection
from app.devices.printing.printers import (
    CUPS,
    NETWORK,
    PrinterConfig,
    TerminalDrivers,
    printer_config,
)
from app.devices.printing.profiles import EPSON_TM_T20
from app.devices.printing.queue_worker import Activity, Connect, receipt_renderer
from app.devices.printing.station import PrintStation
from app.services.print_ports import ClaimedJob
from app.services.printing import PrintService
from app.services.worker import StoreWorker
from tests.support.directory import MANAGER
from tests.support.escpos_decoder import decode
from tests.support.print_jobs import (
    COLUMNS,
    VENUE,
    Events,
    close_tab,
    complete,
    executable,
    marks,
)
from tests.support.test_printer import WAIT_S, LoopbackPrinter, print_data
from tests.support.venue import WAITER, Venue, venue_on_disk

QUERIES = 4 * 3  # DLE EOT 1..4 before every job


@dataclass
class Till:
    venue: Venue
    store: StoreWorker
    printer: LoopbackPrinter
    events: Events
    service: PrintService
    station: PrintStation | None = None

    def close_tab(self, beers: int = 2) -> str:
        return close_tab(self.venue, beers)

    def start(self, *printers: PrinterConfig, connect: Connect | None = None) -> PrintStation:
        self.station = PrintStation(
            self.service,
            self.store,
            receipt_renderer(VENUE),
            self.events,
            connect=connect or fast_connection,
            backoff=Backoff(initial_s=0.05, max_s=0.2),
            poll_s=0.05,
        )
        self.station.start(printers or [network_printer(self.printer)])
        return self.station

    def job(self, tab_uuid: str) -> dict[str, object]:
        [row] = [r for r in self.venue.rows("print_jobs", tab_uuid=tab_uuid)]
        return row

    def wait_printed(self, tab_uuid: str) -> None:
        self.printer.wait_for(lambda: self.job(tab_uuid)["status"] == "printed", "printed")

    def original_bytes(self, tab_uuid: str) -> bytes:
        """The job as it first printed: unmarked."""
        row = self.job(tab_uuid)
        payload = json.loads(str(row["payload"]))
        payload.pop("copy_mark", None)
        job = ClaimedJob(str(row["uuid"]), "receipt", tab_uuid, payload, 1, None)
        return receipt_renderer(VENUE)(job, EPSON_TM_T20)


def network_printer(
    printer: LoopbackPrinter, name: str = "Bar printer", **more: object
) -> PrinterConfig:
    settings = {"host": printer.host, "tcp_port": printer.port, "profile": EPSON_TM_T20.name}
    return printer_config(name, NETWORK, TerminalDrivers().check(NETWORK, settings | more))


def fast_connection(config: PrinterConfig) -> PrinterConnection:
    s = config.settings
    return NetworkConnection(
        str(s["host"]), int(str(s["tcp_port"])), connect_timeout_s=2, write_timeout_s=2,
        status_timeout_s=1,
    )  # fmt: skip


@pytest.fixture
def till(tmp_store_path: Path, store_template: Path) -> Iterator[Till]:
    store = StoreWorker("test-store")
    with venue_on_disk(tmp_store_path, store_template) as venue, LoopbackPrinter() as printer:
        made = Till(venue, store, printer, Events(), PrintService(venue.uow, venue.clock))
        try:
            yield made
        finally:
            if made.station is not None:
                made.station.stop()
            store.shutdown()


def test_a_closed_tab_prints_once(till: Till) -> None:
    tab_uuid = till.close_tab()
    till.start()

    till.wait_printed(tab_uuid)

    [receipt] = complete(till.printer.print_sessions())
    assert marks(receipt) == []
    assert "RECEIPT" in receipt.text() and "Tab 1" in receipt.text()
    assert receipt.drawer_kicks == 1  # paid in cash
    assert print_data(till.printer.print_sessions()[0]) == till.original_bytes(tab_uuid)
    till.events.wait_for(Activity.READY, "Receipt printed")
    assert till.job(tab_uuid)["attempts"] == 1


def test_printer_down_before_printing_waits_then_prints_once(till: Till) -> None:
    till.printer.go_down()
    tab_uuid = till.close_tab()
    till.start()

    waiting = till.events.wait_for(Activity.WAITING, "refused the connection")
    assert waiting.message.startswith("Receipt waiting: Printer at 127.0.0.1:")
    till.printer.wait_for(lambda: "refused" in str(till.job(tab_uuid)["last_error"]), "reason")
    assert till.job(tab_uuid)["status"] == "pending"

    till.printer.come_up()
    till.wait_printed(tab_uuid)

    [receipt] = complete(till.printer.print_sessions())
    assert marks(receipt) == []
    assert len(till.printer.print_sessions()) == 1


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ({"online": False, "paper_out": True}, "Out of paper"),
        ({"online": False, "cover_open": True}, "Cover open"),
    ],
)
def test_a_printer_that_cannot_print_keeps_the_job_waiting_and_says_why(
    till: Till, state: dict[str, bool], reason: str
) -> None:
    till.printer.set_status(**state)
    tab_uuid = till.close_tab()
    till.start()

    till.events.wait_for(Activity.WAITING, f"Receipt waiting: {reason}")
    till.printer.wait_for(lambda: till.job(tab_uuid)["last_error"] == reason, "the reason")
    assert till.printer.print_sessions() == []  # asked its status, sent nothing

    till.printer.set_status()  # paper loaded, cover closed
    till.wait_printed(tab_uuid)

    [receipt] = complete(till.printer.print_sessions())
    assert marks(receipt) == []


def test_a_disconnect_mid_job_reprints_marked_reprint(till: Till) -> None:
    tab_uuid = till.close_tab()
    till.printer.drop_after(QUERIES + 300)
    till.start()

    till.wait_printed(tab_uuid)

    first, second = till.printer.print_sessions()
    original = till.original_bytes(tab_uuid)
    assert original.startswith(print_data(first)) and len(print_data(first)) == 300
    [reprint] = complete([second])
    assert marks(reprint) == ["*** REPRINT ***", "*** REPRINT ***"]
    assert reprint.drawer_kicks == 0  # the first attempt may already have opened it
    unmarked = [line for line in reprint.lines if "REPRINT" not in line]
    assert [line for line in unmarked if line.strip()][:3] == [
        line for line in decode(original, COLUMNS).lines if line.strip()
    ][:3]
    waited = till.events.wait_for(Activity.WAITING, "possibly printed in part")
    assert "marked REPRINT" in waited.message


def test_a_printer_that_goes_down_while_printing_reprints_when_back(till: Till) -> None:
    tab_uuid = till.close_tab()
    till.printer.drop_after(QUERIES + 200, then_down=True)
    till.start()

    till.events.wait_for(Activity.WAITING, "refused the connection")
    assert till.job(tab_uuid)["status"] == "pending"
    assert json.loads(str(till.job(tab_uuid)["payload"]))["copy_mark"] == "REPRINT"

    till.printer.come_up()
    till.wait_printed(tab_uuid)

    partial, whole = till.printer.print_sessions()
    assert till.original_bytes(tab_uuid).startswith(print_data(partial))
    [reprint] = complete([whole])
    assert marks(reprint)[0] == "*** REPRINT ***"


def test_paper_running_out_under_a_receipt_reprints_it(till: Till) -> None:
    tab_uuid = till.close_tab()
    till.printer.emulator.run_out_after(400)
    till.start()

    till.events.wait_for(Activity.WAITING, "Out of paper — possibly printed in part")
    till.printer.set_status()  # a new roll
    till.wait_printed(tab_uuid)

    cut_short, reprinted = till.printer.print_sessions()
    assert marks(complete([reprinted])[0])[0] == "*** REPRINT ***"
    assert print_data(cut_short) == till.original_bytes(tab_uuid)  # all sent, not all printed


def test_a_crash_while_printing_reprints_marked_reprint(till: Till) -> None:
    tab_uuid, after = till.close_tab(), till.close_tab(1)
    claimed = till.service.next_job(["receipt"])  # committed as printing ...
    assert claimed is not None and claimed.tab_uuid == tab_uuid  # ... then the till died

    till.start()
    till.wait_printed(tab_uuid)
    till.wait_printed(after)

    first, second = complete(till.printer.print_sessions())
    assert marks(first)[0] == "*** REPRINT ***" and "Tab 1" in first.text()
    assert marks(second) == [] and "Tab 2" in second.text()


def test_a_managers_copy_prints_marked_copy(till: Till) -> None:
    tab_uuid = till.close_tab()
    station = till.start()
    till.wait_printed(tab_uuid)
    till.service.on_queued = station.wake

    copy = till.service.reprint(MANAGER, tab_uuid)
    till.printer.wait_for(lambda: len(till.printer.print_sessions()) == 2, "the copy")
    till.printer.wait_for(
        lambda: till.service.job(copy.uuid).status.value == "printed",  # type: ignore[union-attr]
        "the copy marked printed",
    )

    original, copied = complete(till.printer.print_sessions())
    assert marks(original) == []
    assert marks(copied) == ["*** COPY ***", "*** COPY ***"]
    assert copied.drawer_kicks == 0


def test_receipts_and_guest_checks_go_to_the_printers_that_print_them(till: Till) -> None:
    with LoopbackPrinter() as kitchen_pass:
        receipts = network_printer(till.printer, "Till printer", prints_guest_checks=False)
        checks = network_printer(kitchen_pass, "Floor printer", prints_receipts=False)
        tab = till.venue.tabs.open(WAITER, table_id=till.venue.table_2)
        till.venue.tabs.add_item(WAITER, tab.uuid, till.venue.coffee)
        till.venue.tabs.guest_check(WAITER, tab.uuid)
        closed = till.close_tab()
        station = till.start(receipts, checks)

        till.wait_printed(closed)
        kitchen_pass.wait_for(lambda: len(kitchen_pass.print_sessions()) == 1, "the check")
        kitchen_pass.wait_for(lambda: till.job(tab.uuid)["status"] == "printed", "printed")
        station.stop()

        [receipt] = complete(till.printer.print_sessions())
        [check] = complete(kitchen_pass.print_sessions())
    assert "RECEIPT" in receipt.text() and "GUEST CHECK" in check.text()


def test_a_changed_printer_setup_takes_over_without_losing_the_job(till: Till) -> None:
    till.printer.go_down()
    tab_uuid = till.close_tab()
    station = till.start()
    till.events.wait_for(Activity.WAITING, "refused the connection")

    with LoopbackPrinter() as replacement:
        station.restart([network_printer(replacement, "New bar printer")]).join(WAIT_S)
        replacement.wait_for(lambda: till.job(tab_uuid)["status"] == "printed", "printed")
        station.stop()
        [receipt] = complete(replacement.print_sessions())
    assert marks(receipt) == []  # the old printer never took a byte of it
    assert till.printer.print_sessions() == []


def test_a_paused_cups_queue_keeps_the_job_waiting_until_it_is_resumed(
    till: Till, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    state.write_text("disabled")
    lpstat = executable(
        tmp_path / "lpstat",
        f'if [ "$(cat {state})" = disabled ]; then\n'
        '  printf "printer Bar disabled since Mon -\\n\\tPaused\\n"\n'
        'else echo "printer Bar is idle.  enabled since Mon"; fi\n',
    )
    lp = executable(tmp_path / "lp", f"cat > {tmp_path}/job\n")
    cups = printer_config("Office printer", CUPS, TerminalDrivers().check(CUPS, {"queue": "Bar"}))
    tab_uuid = till.close_tab()
    till.start(cups, connect=lambda config: CupsConnection("Bar", lp=lp, lpstat=lpstat))

    till.events.wait_for(Activity.WAITING, "Receipt waiting: CUPS queue 'Bar' is paused: Paused")
    state.write_text("enabled")
    till.wait_printed(tab_uuid)

    [receipt] = complete([(tmp_path / "job").read_bytes()])
    assert marks(receipt) == [] and "Tab 1" in receipt.text()
