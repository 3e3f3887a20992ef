"""What closing reads and writes quickly stays exact: rules edited anywhere price the next
tab, and the closed tab's payload is the view as ``asdict`` gives it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from app.domain.payments import Tender
from app.domain.promotions import RuleKind
from app.domain.tabs import IdentifiedBy
from tests.support.directory import CASHIER
from tests.support.venue import WAITER, Venue, rule, venue_on_disk


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


def _vip_tab(venue: Venue) -> str:
    """A burger (15.00) for a VIP at bar table 1: 10 % off, 1 point per 1.00."""
    ada = venue.customer(promotion_category_id=venue.vip)
    tab = venue.tabs.open(
        WAITER, table_id=venue.table_1, guests=1, customer_id=ada, identified_by=IdentifiedBy.SEARCH
    )
    venue.tabs.add_item(WAITER, tab.uuid, venue.burger, 1)
    return tab.uuid


def _discount(venue: Venue, tab_uuid: str) -> int:
    return venue.tabs.view(WAITER, tab_uuid).discount_minor


def _sql(venue: Venue, statement: str) -> None:
    with venue.engine.begin() as connection:  # another unit of work, as another till's sync
        connection.execute(text(statement))


def test_replaced_rules_price_the_next_reading(venue: Venue) -> None:
    tab_uuid = _vip_tab(venue)
    assert _discount(venue, tab_uuid) == 150
    with venue.uow() as uow:
        uow.promotions.replace_rules(
            venue.vip, [rule("VIP 20 %", RuleKind.PERCENT_DISCOUNT, percent=Decimal("20"))]
        )
        uow.commit()
    assert _discount(venue, tab_uuid) == 300


def test_rules_and_categories_edited_in_place_price_the_next_reading(venue: Venue) -> None:
    tab_uuid = _vip_tab(venue)
    assert _discount(venue, tab_uuid) == 150
    _sql(venue, "UPDATE sales_rules SET percent = '30' WHERE name = 'VIP 10 %'")
    assert _discount(venue, tab_uuid) == 450
    _sql(venue, "UPDATE sales_rules SET active = 0 WHERE name = 'VIP 10 %'")
    assert _discount(venue, tab_uuid) == 0
    _sql(venue, "UPDATE sales_rules SET active = 1 WHERE name = 'VIP 10 %'")
    assert _discount(venue, tab_uuid) == 450
    _sql(venue, f"UPDATE promotion_categories SET active = 0 WHERE id = {venue.vip}")
    assert _discount(venue, tab_uuid) == 0


def test_the_same_rules_are_built_once_and_a_rewritten_decimal_is_seen(venue: Venue) -> None:
    def vip() -> object:
        with venue.uow() as uow:
            return uow.promotions.category_rules([venue.vip])[venue.vip]

    first = vip()
    assert vip() is first  # unchanged rows: the memoised rules
    _sql(venue, "UPDATE sales_rules SET percent = '10.0' WHERE name = 'VIP 10 %'")
    rewritten = vip()  # equal as numbers, but it reads differently
    assert rewritten is not first
    assert [str(r.percent) for r in rewritten.rules] == ["10.0", "None"]  # type: ignore[attr-defined]


def test_the_closed_tab_payload_is_the_view_with_who_served_and_the_balances(
    venue: Venue,
) -> None:
    tab_uuid = _vip_tab(venue)
    view = venue.checkout.pay_and_close(CASHIER, tab_uuid, [Tender.by_card(1_350)])
    [row] = venue.rows("outbox", kind="tab.closed")
    [job] = venue.rows("print_jobs", kind="receipt")
    assert job["payload"] == row["payload"]
    payload = json.loads(row["payload"])
    customer = view.customer_id
    assert customer is not None
    balances = venue.balances(customer)
    assert payload.pop("balances_after") == {
        "points": balances.points,
        "purse_minor": balances.purse_minor,
    }
    assert balances.points == view.points_to_earn > 0
    assert payload.pop("waiter_name") == ""  # the tests' waiter is not in the staff table
    assert payload.pop("customer_identifier") is None
    assert payload.pop("customer_uuid")
    assert payload == json.loads(json.dumps(asdict(view), default=str, sort_keys=True))
