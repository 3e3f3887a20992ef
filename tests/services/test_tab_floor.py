"""Tabs across the floor: moving tables, categories staff attach, split, merge, guest check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

import pytest

from app.domain.errors import ConflictError, ValidationError
from app.domain.payments import Tender
from app.domain.promotions import AttachLevel, RuleKind, RuleScope
from app.domain.tabs import IdentifiedBy, TabStatus
from app.services.tab_views import TabView
from tests.support.directory import CASHIER
from tests.support.venue import WAITER, Venue, rule, venue_on_disk


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


def _percent_off(venue: Venue, name: str, percent: str, group: int | None = None) -> int:
    scope = RuleScope() if group is None else RuleScope(group_ids=frozenset({group}))
    return venue.category(
        name,
        [
            rule(
                f"{name} {percent} %",
                RuleKind.PERCENT_DISCOUNT,
                percent=Decimal(percent),
                scope=scope,
            )
        ],
    )


def _discounts(view: TabView) -> list[tuple[str, int]]:
    return [(ln.name, ln.discount_minor) for ln in view.lines if not ln.voided]


def test_a_moved_tab_takes_the_division_and_table_categories_of_its_new_place(
    venue: Venue,
) -> None:
    window = _percent_off(venue, "Window seat", "10", venue.drinks)
    table_t2 = venue.table(venue.terrace, "T2", window)
    tab = venue.tabs.open(WAITER, table_id=venue.table_1)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.beer, 2)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.burger)
    assert tab.total_minor == 2500  # 2 × 5.00 + 15.00 in the bar: no category

    tab = venue.tabs.move(WAITER, tab.uuid, None, venue.table_t1)
    # The division follows the table: Terrace lunch takes 5 % off the burger, 0.75.
    assert (tab.division_id, tab.division_name, tab.table_number) == (
        venue.terrace,
        "Terrace",
        "T1",
    )
    assert (_discounts(tab), tab.total_minor) == ([("Pale ale", 0), ("Burger", 75)], 2425)

    tab = venue.tabs.move(WAITER, tab.uuid, None, table_t2)
    # T2 adds its own category: 10 % off drinks, 1.00 off 10.00 of ale; the burger keeps
    # its 0.75 from the division. 25.00 - 1.75 = 23.25.
    assert (_discounts(tab), tab.total_minor) == ([("Pale ale", 100), ("Burger", 75)], 2325)
    assert tab.lines[0].why == ("Window seat 10 %: −10 % on Pale ale (Window seat)",)

    tab = venue.tabs.move(WAITER, tab.uuid, None, venue.table_2)
    assert (tab.division_name, tab.table_number, tab.total_minor) == ("Bar", "2", 2500)
    tab = venue.tabs.move(WAITER, tab.uuid, venue.terrace, None)  # to the terrace, no table
    assert (tab.division_name, tab.table_id, tab.total_minor) == ("Terrace", None, 2425)
    row = venue.rows("guest_tabs")[0]
    assert (row["division_id"], row["table_id"]) == (venue.terrace, None)


def test_a_table_is_refused_in_a_division_it_is_not_in(venue: Venue) -> None:
    with pytest.raises(ValidationError, match="Table T1 is in Terrace, not in Bar"):
        venue.tabs.open(WAITER, division_id=venue.bar, table_id=venue.table_t1)
    tab = venue.tabs.open(WAITER, table_id=venue.table_1)
    with pytest.raises(ValidationError, match="Table T1 is in Terrace, not in Bar"):
        venue.tabs.move(WAITER, tab.uuid, venue.bar, venue.table_t1)
    row = venue.rows("guest_tabs")[0]
    assert (venue.count("guest_tabs"), row["division_id"], row["table_id"]) == (
        1,
        venue.bar,
        venue.table_1,
    )


def test_categories_attach_to_the_tab_an_order_or_a_line(venue: Venue) -> None:
    regulars = _percent_off(venue, "Regulars", "10")
    delay = _percent_off(venue, "Kitchen delay", "20", venue.food)
    house = _percent_off(venue, "On the house", "100")
    tab = venue.tabs.open(WAITER, table_id=venue.table_1)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.burger)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.beer, 2)
    tab = venue.tabs.send_order(WAITER, tab.uuid)  # order 1: burger, 2 ales
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.burger)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.coffee)  # order 2 being built
    assert tab.total_minor == 4250  # 15.00 + 10.00 + 15.00 + 2.50

    tab = venue.tabs.attach_category(WAITER, tab.uuid, AttachLevel.TAB, regulars)
    # 10 % of every line: 1.50 + 1.00 + 1.50 + 0.25 = 4.25 off.
    assert (tab.discount_minor, tab.total_minor) == (425, 3825)

    tab = venue.tabs.attach_category(WAITER, tab.uuid, AttachLevel.ORDER, delay, 1)
    # Order 1's burger now has 20 % (3.00) from Kitchen delay, better than 10 % (best of):
    # 3.00 + 1.00 + 1.50 + 0.25 = 5.75 off.
    assert _discounts(tab) == [
        ("Burger", 300),
        ("Pale ale", 100),
        ("Burger", 150),
        ("Flat white", 25),
    ]
    assert tab.total_minor == 3675
    assert tab.lines[0].why == ("Kitchen delay 20 %: −20 % on Burger (Kitchen delay)",)

    coffee = tab.lines[3].uuid
    tab = venue.tabs.attach_category(WAITER, tab.uuid, AttachLevel.LINE, house, coffee)
    # The coffee is on the house: 3.00 + 1.00 + 1.50 + 2.50 = 8.00 off.
    assert (tab.discount_minor, tab.total_minor) == (800, 3450)

    tab = venue.tabs.detach_category(WAITER, tab.uuid, AttachLevel.TAB, regulars)
    # Without Regulars: 3.00 (order 1 burger) + 2.50 (coffee) = 5.50 off.
    assert (tab.discount_minor, tab.total_minor) == (550, 3700)
    assert [(r["level"], r["category_id"], r["target"]) for r in venue.rows("tab_attachments")] == [
        ("order", delay, "1"),
        ("line", house, coffee),
    ]

    with pytest.raises(ValidationError, match="Tab 1 has no order 5"):
        venue.tabs.attach_category(WAITER, tab.uuid, AttachLevel.ORDER, delay, 5)
    with pytest.raises(ValidationError, match="That line is not on tab 1"):
        venue.tabs.attach_category(WAITER, tab.uuid, AttachLevel.LINE, house, "no-such-line")
    with pytest.raises(ConflictError, match="already attached there"):
        venue.tabs.attach_category(WAITER, tab.uuid, AttachLevel.ORDER, delay, 1)
    with pytest.raises(ValidationError, match="Staff attach categories to the tab"):
        venue.tabs.attach_category(WAITER, tab.uuid, AttachLevel.DIVISION, delay)


def test_a_split_moves_lines_to_a_new_tab_at_the_same_table(venue: Venue) -> None:
    regulars = _percent_off(venue, "Regulars", "10")
    tab = venue.tabs.open(WAITER, table_id=venue.table_1, guests=3)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.beer, 2)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.burger)
    tab = venue.tabs.send_order(WAITER, tab.uuid)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.coffee)
    tab = venue.tabs.attach_category(WAITER, tab.uuid, AttachLevel.TAB, regulars)
    ale, burger, coffee = (ln.uuid for ln in tab.lines)

    new = venue.tabs.split(WAITER, tab.uuid, [burger, coffee])
    old = venue.tabs.view(WAITER, tab.uuid)

    assert (new.number, new.table_id, new.division_id, new.status) == (
        2,
        venue.table_1,
        venue.bar,
        TabStatus.OPEN,
    )
    # Both tabs keep Regulars' 10 %: 10.00 - 1.00 = 9.00 stays; the new tab has
    # 15.00 - 1.50 + 2.50 - 0.25 = 15.75. Lines keep their kitchen orders.
    assert [(ln.uuid, ln.order_no) for ln in old.lines] == [(ale, 1)]
    assert [(ln.uuid, ln.order_no) for ln in new.lines] == [(burger, 1), (coffee, None)]
    assert (old.total_minor, new.total_minor) == (900, 1575)
    by_tab = {r["uuid"]: r["id"] for r in venue.rows("guest_tabs")}
    assert [(r["uuid"], r["tab_id"]) for r in venue.rows("tab_lines")] == [
        (ale, by_tab[tab.uuid]),
        (burger, by_tab[new.uuid]),
        (coffee, by_tab[new.uuid]),
    ]
    assert venue.count("tab_attachments") == 2  # Regulars on each

    with pytest.raises(ConflictError, match="Leave at least one line on tab 1"):
        venue.tabs.split(WAITER, tab.uuid, [ale])
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.coffee)
    venue.checkout.pay(CASHIER, tab.uuid, [Tender.by_card(400)])
    with pytest.raises(ConflictError, match="Tab 1 has payments; it can no longer be split"):
        venue.tabs.split(WAITER, tab.uuid, [tab.lines[1].uuid])


def test_a_merge_brings_every_line_and_guest_onto_one_tab(venue: Venue) -> None:
    first = venue.tabs.open(WAITER, table_id=venue.table_1, guests=2)
    first = venue.tabs.add_item(WAITER, first.uuid, venue.beer, 2)
    first = venue.tabs.send_order(WAITER, first.uuid)
    second = venue.tabs.open(WAITER, table_id=venue.table_2, guests=3)
    second = venue.tabs.add_item(WAITER, second.uuid, venue.burger)
    second = venue.tabs.send_order(WAITER, second.uuid)
    second = venue.tabs.add_item(WAITER, second.uuid, venue.coffee)

    merged = venue.tabs.merge(WAITER, first.uuid, second.uuid)

    # The second tab's order 1 becomes order 2 here; its unsent coffee stays unsent.
    assert [(ln.name, ln.order_no) for ln in merged.lines] == [
        ("Pale ale", 1),
        ("Burger", 2),
        ("Flat white", None),
    ]
    assert (merged.guests, merged.total_minor) == (5, 2750)  # 10.00 + 15.00 + 2.50
    assert venue.tabs.send_order(WAITER, first.uuid).lines[2].order_no == 3
    gone = venue.tabs.view(WAITER, second.uuid)
    assert (gone.status, gone.lines, gone.total_minor) == (TabStatus.MERGED, (), 0)
    assert venue.rows("guest_tabs")[1]["merged_into_uuid"] == first.uuid
    assert [row.uuid for row in venue.tabs.open_tabs(WAITER)] == [first.uuid]
    with pytest.raises(ConflictError, match="Tab 2 was merged into another tab"):
        venue.tabs.add_item(WAITER, second.uuid, venue.beer)
    with pytest.raises(ValidationError, match="cannot be merged into itself"):
        venue.tabs.merge(WAITER, first.uuid, first.uuid)


def test_a_guest_check_queues_a_print_job_with_what_it_shows(venue: Venue) -> None:
    tab = venue.tabs.open(WAITER, table_id=venue.table_1)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.beer, 2)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.burger)

    check = venue.tabs.guest_check(WAITER, tab.uuid)

    assert check == tab
    [job] = venue.rows("print_jobs")
    assert (job["kind"], job["tab_uuid"], job["status"], job["created_at"]) == (
        "guest_check",
        tab.uuid,
        "pending",
        venue.clock.now,
    )
    payload = json.loads(job["payload"])
    assert payload == json.loads(json.dumps(asdict(check), default=str))
    assert (payload["number"], payload["total_minor"], payload["tax_minor"]) == (1, 2500, 417)
    assert [ln["name"] for ln in payload["lines"]] == ["Pale ale", "Burger"]
    assert venue.count("outbox") == 0  # a pre-bill is not a sale


def test_after_a_merge_or_a_split_the_lines_read_back_in_the_order_shown(venue: Venue) -> None:
    early = venue.tabs.open(WAITER, table_id=venue.table_2)
    early = venue.tabs.add_item(WAITER, early.uuid, venue.burger)  # the first line entered
    late = venue.tabs.open(WAITER, table_id=venue.table_1)
    late = venue.tabs.add_item(WAITER, late.uuid, venue.beer)
    late = venue.tabs.add_item(WAITER, late.uuid, venue.coffee)

    merged = venue.tabs.merge(WAITER, late.uuid, early.uuid)
    assert venue.tabs.view(WAITER, late.uuid) == merged

    burger, beer, coffee = (ln.uuid for ln in sorted(merged.lines, key=lambda ln: ln.name))
    new = venue.tabs.split(WAITER, late.uuid, [coffee, burger])  # chosen in any order
    assert venue.tabs.view(WAITER, new.uuid) == new
    assert [ln.uuid for ln in venue.tabs.view(WAITER, late.uuid).lines] == [beer]


def test_the_floor_lists_open_tabs_by_division(venue: Venue) -> None:
    ada = venue.customer()
    bar = venue.tabs.open(
        WAITER, table_id=venue.table_1, guests=2, customer_id=ada, identified_by=IdentifiedBy.SEARCH
    )
    terrace = venue.tabs.open(WAITER, table_id=venue.table_t1, guests=3)
    closed = venue.tabs.open(WAITER, table_id=venue.table_2)
    venue.tabs.add_item(WAITER, closed.uuid, venue.coffee)
    venue.checkout.pay_and_close(CASHIER, closed.uuid, [Tender.in_cash(250)])

    rows = venue.tabs.open_tabs(WAITER)
    assert [(r.number, r.table_id, r.guests, r.customer_name) for r in rows] == [
        (bar.number, venue.table_1, 2, "Ada Lovelace"),
        (terrace.number, venue.table_t1, 3, None),
    ]
    assert [r.uuid for r in venue.tabs.open_tabs(WAITER, venue.terrace)] == [terrace.uuid]
    venue.tabs.move(WAITER, bar.uuid, None, venue.table_t1)
    assert [r.uuid for r in venue.tabs.open_tabs(WAITER, venue.terrace)] == [
        bar.uuid,
        terrace.uuid,
    ]
