"""Guest tabs on a big demo store: pricing a full tab, and closing tabs for its customers.

``python -m benchmarks.tabs pricing STORE [--seed S] [--samples N]`` prices a 100-line tab
with categories at all seven levels, each with several rules, as read from the store:
customer (VIP and the Gold tier), impersonal card (Staff), tab (Party booking), order
(Service recovery, on order 2), line (Manager's comp, on three lines), division
(Terrace) and table (VIP table). It is a VIP's birthday and 10th visit, on a Friday at
17:30, so birthday and visit rules apply too. It times ``price_tab`` and, as the
baseline, summing the lines' gross with no promotions.

``python -m benchmarks.tabs close STORE [--seed S] [--samples N]`` copies the store
(the cached one never grows), then for customers drawn from it opens a tab, orders a few
items and sends them, and times ``CheckoutService.pay_and_close``: the payment, ledger
entries, visit, statistics, outbox and receipt print job in one transaction. It also
times ``TabService.view`` (read from the store and priced) of a 100-line tab like the
one above.

Each prints one JSON object: milliseconds, p50 / p99 / max (for closing, also the CPU
time each close took in this process, so a close that waited, on a checkpoint or another
process, shows as wall time above its CPU time).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.domain.errors import ConflictError
from app.domain.ids import new_uuid7
from app.domain.loyalty import TierLadder
from app.domain.money import TaxMode, currency
from app.domain.payments import Tender
from app.domain.pricing import PricingContext, PricingLine, price_tab
from app.domain.promotions import AttachLevel, Attachment
from app.domain.staff import Actor, Role
from app.domain.tabs import IdentifiedBy
from app.services.checkout import CheckoutService
from app.services.tab_settings import TabSettings
from app.services.tabs import TabService
from app.store.database import StoreLocation, create_session_factory, create_store_engine
from app.store.promotion_rules import SqlSalesRules
from app.store.unit_of_work import SqlUnitOfWorkFactory
from benchmarks.measure import percentile

ZONE = "Europe/London"
LINES = 100
ORDERS = 5  # the 100 lines go to the kitchen in five orders of 20
# level, category, target ("order" for order 2, "line" for three of the lines)
SEVEN_LEVELS: tuple[tuple[AttachLevel, str], ...] = (
    (AttachLevel.CUSTOMER, "VIP"),
    (AttachLevel.CUSTOMER, "Gold"),
    (AttachLevel.CARD, "Staff"),
    (AttachLevel.TAB, "Party booking"),
    (AttachLevel.ORDER, "Service recovery"),
    (AttachLevel.LINE, "Manager's comp"),
    (AttachLevel.DIVISION, "Terrace"),
    (AttachLevel.TABLE, "VIP table"),
)
COMPED_LINES = (3, 40, 77)


def friday_evening() -> datetime:
    """Next Friday at 17:30 in the venue's zone (happy hours and sundowners are on)."""
    today = datetime.now(ZoneInfo(ZONE)).date()
    friday = today + timedelta(days=(4 - today.weekday()) % 7)
    return datetime.combine(friday, clock_time(17, 30), ZoneInfo(ZONE))


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": statistics.median(values),
        "p99": percentile(values, 99),
        "max": max(values),
        "n": len(values),
    }


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def _menu(session: Session) -> list[tuple[Any, ...]]:
    return [
        tuple(row)
        for row in session.execute(
            text(
                "SELECT id, group_id, name, price_minor, tax_rate, discountable, earns_points "
                "FROM menu_items WHERE active ORDER BY id"
            )
        )
    ]


def _category_ids(session: Session) -> dict[str, int]:
    rows = session.execute(text("SELECT name, id FROM promotion_categories"))
    return {str(name): int(i) for name, i in rows}


def _hundred_lines(rng: random.Random, menu: list[tuple[Any, ...]]) -> list[PricingLine]:
    lines = []
    for n in range(LINES):
        item_id, group_id, name, price, rate, discountable, earns = rng.choice(menu)
        lines.append(
            PricingLine(
                uuid=new_uuid7(),
                item_id=item_id,
                group_id=group_id,
                name=name,
                quantity=rng.choice((1, 1, 1, 2, 2, 3)),
                unit_price_minor=price,
                tax_rate=Decimal(rate),
                discountable=bool(discountable),
                earns_points=bool(earns),
                order_no=n // (LINES // ORDERS) + 1,
            )
        )
    return lines


def pricing(store: Path, seed: int, samples: int) -> dict[str, Any]:
    rng = random.Random(seed)
    engine = create_store_engine(StoreLocation(store))
    with create_session_factory(engine)() as session:
        ids = _category_ids(session)
        rules = SqlSalesRules(session).category_rules([ids[name] for _, name in SEVEN_LEVELS])
        menu = _menu(session)
    engine.dispose()
    lines = _hundred_lines(rng, menu)
    attachments = []
    for level, name in SEVEN_LEVELS:
        category = rules[ids[name]]
        if level is AttachLevel.ORDER:
            attachments.append(Attachment(level, category, "2"))
        elif level is AttachLevel.LINE:
            attachments += [Attachment(level, category, lines[i].uuid) for i in COMPED_LINES]
        else:
            attachments.append(Attachment(level, category))
    local = friday_evening()
    context = PricingContext(
        local_time=local,
        currency=currency("GBP"),
        tax_mode=TaxMode.INCLUDED,
        birthday=local.date().replace(year=1980),
        visit_number=10,
    )
    priced = price_tab(lines, attachments, context)
    levels = {a.level for line in priced.lines for a in line.adjustments}
    levels |= {a.level for a in priced.adjustments}
    for _ in range(200):  # warm-up
        price_tab(lines, attachments, context)
    priced_ms = [timed(lambda: price_tab(lines, attachments, context)) for _ in range(samples)]
    baseline_ms = [
        timed(lambda: sum(ln.quantity * ln.unit_price_minor for ln in lines))
        for _ in range(samples)
    ]
    return {
        "lines": len(lines),
        "levels_attached": len({level for level, _ in SEVEN_LEVELS}),
        "rules_attached": sum(len(a.category.rules) for a in attachments),
        "levels_with_effect": len(levels),
        "discount_minor": priced.discount_minor,
        "points": priced.total_points,
        "price": summary(priced_ms),
        "baseline": summary(baseline_ms),
    }


class SteppingClock:
    """Friday evening, one second later at every reading."""

    def __init__(self, start: datetime) -> None:
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@contextmanager
def store_copy(store: Path) -> Iterator[Path]:
    """A copy of the store beside it, removed afterwards."""
    copy = store.with_name(f"{store.stem}-close-bench.db")
    for leftover in copy.parent.glob(copy.name + "*"):
        leftover.unlink()
    shutil.copyfile(store, copy)
    # Written out before measuring: the kernel's writeback of a 3 GB copy would otherwise
    # hold up the commits being timed.
    descriptor = os.open(copy, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        yield copy
    finally:
        for made in copy.parent.glob(copy.name + "*"):
            made.unlink()


def _actor(session: Session, role: Role) -> Actor:
    staff_uuid, name = session.execute(
        text("SELECT uuid, name FROM staff WHERE role = :r AND active ORDER BY id LIMIT 1"),
        {"r": role.value},
    ).one()
    return Actor(staff_uuid=str(staff_uuid), name=str(name), role=role)


def _customers(session: Session, rng: random.Random, count: int) -> list[int]:
    top = int(session.execute(text("SELECT max(id) FROM customers")).scalar_one())
    chosen: list[int] = []
    while len(chosen) < count:
        found = session.execute(
            text(
                "SELECT id FROM customers WHERE id >= :i AND status = 'active' "
                "AND merged_into_id IS NULL LIMIT 1"
            ),
            {"i": rng.randint(1, top)},
        ).scalar()
        if found is not None and found not in chosen:
            chosen.append(int(found))
    return chosen


def close(store: Path, seed: int, samples: int, view_samples: int) -> dict[str, Any]:
    rng = random.Random(seed)
    with store_copy(store) as copy:
        engine = create_store_engine(StoreLocation(copy))
        try:
            return _close(engine, rng, samples, view_samples)
        finally:
            engine.dispose()


def _close(engine: Any, rng: random.Random, samples: int, view_samples: int) -> dict[str, Any]:
    sessions = create_session_factory(engine)
    with sessions() as session:
        ids = _category_ids(session)
        tiers = {
            str(n): str(u)
            for n, u in session.execute(
                text(
                    "SELECT name, uuid FROM promotion_categories WHERE name IN "
                    "('Bronze', 'Silver', 'Gold')"
                )
            )
        }
        menu = [row[0] for row in _menu(session)]
        tables = [int(t) for (t,) in session.execute(text("SELECT id FROM dining_tables"))]
        waiter, cashier = _actor(session, Role.WAITER), _actor(session, Role.CASHIER)
        manager = _actor(session, Role.MANAGER)
        warm_up = 20
        customers = _customers(session, rng, samples + warm_up + 1)
        vip_table = session.execute(
            text("SELECT id FROM dining_tables WHERE promotion_category_id = :c"),
            {"c": ids["VIP table"]},
        ).scalar_one()
        staff_card = session.execute(
            text("SELECT id FROM identifiers WHERE label = 'Staff card 1'")
        ).scalar_one()
    uow = SqlUnitOfWorkFactory(sessions)
    settings = TabSettings(
        terminal="Benchmark till",
        currency=currency("GBP"),
        time_zone=ZONE,
        tiers=TierLadder.bronze_silver_gold(categories=tiers),
    )
    clock = SteppingClock(friday_evening())
    tabs, checkout = TabService(uow, settings, clock), CheckoutService(uow, settings, clock)
    closed: list[str] = []
    close_ms: list[float] = []
    close_cpu_ms: list[float] = []  # this process's CPU time: what the code costs, unshared
    for n, customer in enumerate(customers[:-1]):
        tab = tabs.open(
            waiter,
            table_id=rng.choice(tables),
            guests=rng.randint(1, 4),
            customer_id=customer,
            identified_by=IdentifiedBy.SEARCH,
        )
        for _ in range(rng.randint(3, 8)):
            try:
                tab = tabs.add_item(waiter, tab.uuid, rng.choice(menu), rng.choice((1, 1, 2)))
            except ConflictError:  # over a small tab limit: the tab is full enough
                break
        tab = tabs.send_order(waiter, tab.uuid)
        tab_uuid, tender = tab.uuid, [Tender.by_card(tab.due_minor)]
        started, cpu_started = time.perf_counter(), time.process_time()
        checkout.pay_and_close(cashier, tab_uuid, tender)
        elapsed = (time.perf_counter() - started) * 1000
        cpu = (time.process_time() - cpu_started) * 1000
        if n >= warm_up:
            close_ms.append(elapsed)
            close_cpu_ms.append(cpu)
            closed.append(tab_uuid)
    view_ms = _view_of_a_full_tab(
        tabs, waiter, manager, customers[-1], ids, vip_table, staff_card, menu, rng, view_samples
    )
    return {
        "close": summary(close_ms),
        "close_cpu": summary(close_cpu_ms),
        "view": summary(view_ms),
        "complete": _all_written(engine, closed),
    }


def _view_of_a_full_tab(
    tabs: TabService,
    waiter: Actor,
    manager: Actor,
    customer: int,
    ids: dict[str, int],
    table: int,
    card: int,
    menu: list[int],
    rng: random.Random,
    samples: int,
) -> list[float]:
    """Times reading and pricing a 100-line tab with categories at all seven levels."""
    tab = tabs.open(
        waiter, table_id=table, guests=8, customer_id=customer, identified_by=IdentifiedBy.SEARCH
    )
    tabs.present_card(waiter, tab.uuid, card)
    tabs.override_limit(manager, tab.uuid, "a party of eight on a staff card")
    tabs.attach_category(waiter, tab.uuid, AttachLevel.TAB, ids["Party booking"])
    recovery = ids["Service recovery"]
    for n in range(LINES):
        view = tabs.add_item(waiter, tab.uuid, rng.choice(menu), rng.choice((1, 1, 1, 2, 3)))
        if n in COMPED_LINES:
            tabs.attach_category(
                waiter, tab.uuid, AttachLevel.LINE, ids["Manager's comp"], view.lines[-1].uuid
            )
        if (n + 1) % (LINES // ORDERS) == 0:
            sent = tabs.send_order(waiter, tab.uuid)
            if sent.lines[-1].order_no == 2:
                tabs.attach_category(waiter, tab.uuid, AttachLevel.ORDER, recovery, 2)
    for _ in range(20):
        tabs.view(waiter, tab.uuid)
    return [timed(lambda: tabs.view(waiter, tab.uuid)) for _ in range(samples)]


def _all_written(engine: Any, tab_uuids: list[str]) -> bool:
    """Every closed tab left its ledger entry, visit, outbox operation and print job."""
    checks = (
        "SELECT count(DISTINCT tab_uuid) FROM visits WHERE tab_uuid IN ({})",
        "SELECT count(DISTINCT entity_uuid) FROM outbox WHERE kind = 'tab.closed' "
        "AND entity_uuid IN ({})",
        "SELECT count(DISTINCT tab_uuid) FROM print_jobs WHERE kind = 'receipt' "
        "AND tab_uuid IN ({})",
        "SELECT count(*) FROM guest_tabs WHERE status = 'closed' AND uuid IN ({})",
    )
    marks = ", ".join(f"'{u}'" for u in tab_uuids)
    with engine.connect() as connection:
        return all(
            connection.execute(text(sql.format(marks))).scalar_one() == len(tab_uuids)
            for sql in checks
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tabs")
    parser.add_argument("kind", choices=("pricing", "close"))
    parser.add_argument("store", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--samples", type=int, default=0, help="default 5000 / 400")
    parser.add_argument("--view-samples", type=int, default=200)
    args = parser.parse_args()
    if args.kind == "pricing":
        result = pricing(args.store, args.seed, args.samples or 5000)
    else:
        result = close(args.store, args.seed, args.samples or 400, args.view_samples)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
