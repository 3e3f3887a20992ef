"""A till killed between payment and close loses nothing, and closing later counts once.

The pay and the close run in a child process that is killed (SIGKILL) at the worst
moment: inside the close's transaction, as it queues the receipt, after every other
write of the close and before its commit. The test process then opens the store again,
as a restarted till does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.domain.payments import PaymentMethod
from app.domain.promotions import AttachLevel
from app.domain.tabs import IdentifiedBy, TabStatus
from tests.support.directory import CASHIER, MANAGER
from tests.support.venue import WAITER, Venue, VenueIds, reopen_venue, venue_on_disk

ROOT = Path(__file__).resolve().parents[2]
PAID_AT = datetime(2026, 11, 23, 18, 50, tzinfo=UTC)  # happy hour (London is on UTC)
RESTARTED_AT = datetime(2026, 11, 23, 19, 10, tzinfo=UTC)  # after it

# argv: store path, venue ids (JSON), tab uuid, clock (ISO), what to run, where to die.
CHILD = textwrap.dedent(
    """
    import json, os, signal, sys
    from dataclasses import asdict
    from datetime import datetime
    from pathlib import Path

    from app.domain.payments import Tender
    from app.store import ledger
    from tests.support.directory import CASHIER
    from tests.support.venue import VenueIds, reopen_venue

    path, ids, tab_uuid, at, run, die_in = sys.argv[1:]

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    tenders = [Tender.in_points(100), Tender.in_cash(1_000)]
    with reopen_venue(Path(path), VenueIds(**json.loads(ids)), datetime.fromisoformat(at)) as v:
        if run == "pay, then close":
            v.checkout.pay(CASHIER, tab_uuid, tenders)
        setattr(getattr(ledger, die_in.split(".")[0]), die_in.split(".")[1], die)
        if run == "pay, then close":
            v.checkout.close(CASHIER, tab_uuid)
        elif run == "pay_and_close":
            v.checkout.pay_and_close(CASHIER, tab_uuid, tenders)
        else:
            v.checkout.pay(CASHIER, tab_uuid, tenders)
    sys.exit(3)  # the hook should have killed us first
    """
)


def _run_and_kill(path: Path, ids: VenueIds, tab_uuid: str, run: str, die_in: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [path, json.dumps(asdict(ids)), tab_uuid, PAID_AT.isoformat(), run, die_in]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr


def _tab_for_ada(venue: Venue) -> tuple[int, str]:
    """Ada, a VIP with 500 points, orders four ales at happy hour: 16.00 to pay."""
    ada = venue.customer(promotion_category_id=venue.vip)
    venue.earn(ada, 500)
    venue.clock.now = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)
    tab = venue.tabs.open(
        WAITER, table_id=venue.table_1, customer_id=ada, identified_by=IdentifiedBy.CARD
    )
    venue.tabs.attach_category(WAITER, tab.uuid, AttachLevel.TAB, venue.happy_hour)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.beer, 4)
    # 4 × 5.00 = 20.00; best of VIP 10 % (2.00) and happy hour 20 % (4.00): 16.00.
    # VIP's points: 1 per 1.00 of 16.00 = 16.
    assert (tab.total_minor, tab.points_to_earn) == (1_600, 16)
    venue.tabs.send_order(WAITER, tab.uuid)
    return ada, tab.uuid


def _closing_effects(venue: Venue, ada: int, tab_uuid: str) -> dict[str, object]:
    with venue.uow() as uow:
        stats = uow.stats.get(ada)
    return {
        "earn": [e["amount"] for e in venue.rows("ledger_entries", tab_uuid=tab_uuid, kind="earn")],
        "visits": venue.count("visits", tab_uuid=tab_uuid),
        "stat_visits": stats.visits,
        "tab.closed": venue.count("outbox", kind="tab.closed"),
        "receipts": venue.count("print_jobs", tab_uuid=tab_uuid, kind="receipt"),
    }


NOTHING_CLOSED = {"earn": [], "visits": 0, "stat_visits": 0, "tab.closed": 0, "receipts": 0}
CLOSED_ONCE = {"earn": [16], "visits": 1, "stat_visits": 1, "tab.closed": 1, "receipts": 1}


def test_a_till_killed_inside_the_close_finds_the_tab_open_and_paid(
    tmp_store_path: Path, store_template: Path
) -> None:
    with venue_on_disk(tmp_store_path, store_template) as venue:
        ada, tab_uuid = _tab_for_ada(venue)
        ids = venue.ids

    _run_and_kill(tmp_store_path, ids, tab_uuid, "pay, then close", "SqlPrintJobs.add")

    with reopen_venue(tmp_store_path, ids, RESTARTED_AT) as restarted:
        tab = restarted.tabs.view(WAITER, tab_uuid)
        # The payment committed: 100 points pay 10.00, cash pays the 6.00 left of 10.00.
        assert tab.status is TabStatus.OPEN
        assert [(p.method, p.amount_minor, p.change_minor) for p in tab.payments] == [
            (PaymentMethod.POINTS, 1_000, 0),
            (PaymentMethod.CASH, 600, 400),
        ]
        assert [(ln.name, ln.quantity, ln.order_no) for ln in tab.lines] == [("Pale ale", 4, 1)]
        # Happy hour is over, but the bill was settled during it: nothing more is due.
        assert (tab.total_minor, tab.due_minor) == (1_600, 0)
        redeemed = restarted.rows("ledger_entries", tab_uuid=tab_uuid)
        assert [(e["kind"], e["amount"]) for e in redeemed] == [("redeem", -100)]
        assert _closing_effects(restarted, ada, tab_uuid) == NOTHING_CLOSED
        assert restarted.balances(ada).points == 400

        closed = restarted.checkout.close(CASHIER, tab_uuid)

        assert (closed.status, closed.total_minor, closed.closed_at) == (
            TabStatus.CLOSED,
            1_600,
            RESTARTED_AT,
        )
        assert _closing_effects(restarted, ada, tab_uuid) == CLOSED_ONCE
        assert restarted.balances(ada).points == 416  # 500 - 100 + 16

        restarted.clock.now = datetime(2026, 11, 23, 19, 30, tzinfo=UTC)
        reopened = restarted.checkout.reopen(MANAGER, tab_uuid, "the points went to the wrong card")
        assert (reopened.status, reopened.due_minor) == (TabStatus.OPEN, 0)
        reversals = restarted.rows("ledger_entries", tab_uuid=tab_uuid, kind="reverse")
        assert [e["amount"] for e in reversals] == [-16]
        assert restarted.balances(ada).points == 400
        assert (
            restarted.count("visits"),
            _closing_effects(restarted, ada, tab_uuid)["stat_visits"],
        ) == (0, 0)
        assert restarted.audit()[-1][:2] == ("tab.reopened", "Maria Manager")

        restarted.checkout.close(CASHIER, tab_uuid)
        effects = _closing_effects(restarted, ada, tab_uuid)
        # Earned again once (the first earning is reversed), one visit, one more receipt.
        assert (effects["earn"], effects["visits"], effects["stat_visits"]) == ([16, 16], 1, 1)
        assert (effects["tab.closed"], effects["receipts"]) == (2, 2)
        assert restarted.balances(ada).points == 416


@pytest.mark.parametrize(
    ("run", "die_in"),
    [
        ("pay_and_close", "SqlPrintJobs.add"),  # paid and closed in one transaction
        ("pay", "SqlOutbox.append"),  # inside the payment, after its REDEEM entry
    ],
)
def test_a_till_killed_inside_a_payment_loses_the_payment_whole(
    tmp_store_path: Path, store_template: Path, run: str, die_in: str
) -> None:
    with venue_on_disk(tmp_store_path, store_template) as venue:
        ada, tab_uuid = _tab_for_ada(venue)
        ids = venue.ids
        before = venue.counts()

    _run_and_kill(tmp_store_path, ids, tab_uuid, run, die_in)

    with reopen_venue(tmp_store_path, ids, RESTARTED_AT) as restarted:
        assert restarted.counts() == before
        tab = restarted.tabs.view(WAITER, tab_uuid)
        # Nothing was paid; the ales were ordered in happy hour and keep its price after it.
        assert (tab.status, tab.payments, tab.due_minor) == (TabStatus.OPEN, (), 1_600)
        assert restarted.balances(ada).points == 500
