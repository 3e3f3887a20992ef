"""Helpers for print-queue tests: a receipt to print, the printers' events, decoded prints."""

from __future__ import annotations

import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path

from app.devices.printing.profiles import EPSON_TM_T20
from app.devices.printing.queue_worker import Activity, PrintEvent
from app.domain.payments import Tender
from app.services.receipt_layout import VenueInfo
from tests.support.directory import CASHIER
from tests.support.escpos_decoder import DecodedPrint, EscPosDecodeError, decode
from tests.support.test_printer import WAIT_S
from tests.support.venue import WAITER, Venue

VENUE = VenueInfo("The Test Arms", ("1 High Street",), footer="Thank you")
COLUMNS = EPSON_TM_T20.columns


def executable(path: Path, body: str) -> str:
    """A shell script at ``path`` (a stand-in for lp or lpstat); returns its path."""
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def close_tab(venue: Venue, beers: int = 2) -> str:
    """A tab paid in cash and closed, so its receipt is queued. Returns the tab's uuid."""
    tab = venue.tabs.open(WAITER, table_id=venue.table_1)
    venue.tabs.add_item(WAITER, tab.uuid, venue.beer, beers)
    venue.checkout.pay_and_close(CASHIER, tab.uuid, [Tender.in_cash(beers * 500)])
    return tab.uuid


@dataclass
class Events:
    """What the printers reported, for waiting on."""

    seen: list[PrintEvent] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, event: PrintEvent) -> None:
        with self.changed:
            self.seen.append(event)
            self.changed.notify_all()

    def wait_for(self, activity: Activity, text: str, timeout: float = WAIT_S) -> PrintEvent:
        def found() -> PrintEvent | None:
            return next(
                (e for e in self.seen if e.activity is activity and text in e.message), None
            )

        with self.changed:
            self.changed.wait_for(lambda: found() is not None, timeout)
            event = found()
        seen = "\n".join(f"  {e.activity}: {e.message}" for e in self.seen)
        assert event is not None, f"no {activity} event with {text!r} within {timeout} s:\n{seen}"
        return event


def complete(sessions: list[bytes]) -> list[DecodedPrint]:
    """The sessions that printed a whole receipt (it ends with its cut)."""
    whole = []
    for session in sessions:
        try:
            decoded = decode(session, COLUMNS)
        except EscPosDecodeError:
            continue  # cut off mid-command: a partial print
        if decoded.cuts == 1:
            whole.append(decoded)
    return whole


def marks(decoded: DecodedPrint) -> list[str]:
    return [line.strip() for line in decoded.lines if line.strip().startswith("***")]
