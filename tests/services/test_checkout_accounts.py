"""Paying from the customer's accounts: points, the client purse and customer credit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.domain.errors import ConflictError
from app.domain.ledger import Balances
from app.domain.payments import PaymentMethod, Tender
from app.domain.tabs import IdentifiedBy, TabStatus
from tests.support.directory import CASHIER
from tests.support.venue import WAITER, Venue, venue_on_disk


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


def _tab(venue: Venue, customer: int, *items: tuple[int, int]) -> str:
    tab = venue.tabs.open(
        WAITER, table_id=venue.table_1, customer_id=customer, identified_by=IdentifiedBy.CARD
    )
    for item, quantity in items:
        venue.tabs.add_item(WAITER, tab.uuid, item, quantity)
    return tab.uuid


def test_part_in_points_part_from_a_topped_up_purse_and_the_rest_in_cash(venue: Venue) -> None:
    ada = venue.customer(promotion_category_id=venue.vip)
    venue.earn(ada, 350)  # from earlier visits
    tab_uuid = _tab(venue, ada, (venue.burger, 2), (venue.beer, 2))
    # At the till she tops her purse up by 20.00 on her card, to pay from it.
    venue.accounts.top_up(CASHIER, ada, 2_000, PaymentMethod.CARD)
    assert venue.balances(ada) == Balances(points=350, purse_minor=2_000)
    # 30.00 + 10.00 = 40.00, VIP 10 % off: 36.00.
    assert venue.tabs.view(WAITER, tab_uuid).total_minor == 3_600

    with pytest.raises(ConflictError, match="Only 350 points available; 400 asked"):
        venue.checkout.pay(CASHIER, tab_uuid, [Tender.in_points(400)])

    # 250 of her 350 points at 100 points = 10.00 pay 25.00, leaving 11.00; the purse
    # pays 8.00, leaving 3.00; she hands over 5.00 in cash and gets 2.00 back.
    closed = venue.checkout.pay_and_close(
        CASHIER,
        tab_uuid,
        [Tender.in_points(250), Tender.from_purse(800), Tender.in_cash(500)],
    )

    assert closed.status is TabStatus.CLOSED
    assert [
        (p.method, p.amount_minor, p.tendered_minor, p.change_minor, p.points)
        for p in closed.payments
    ] == [
        (PaymentMethod.POINTS, 2_500, 2_500, 0, 250),
        (PaymentMethod.PURSE, 800, 800, 0, 0),
        (PaymentMethod.CASH, 300, 500, 200, 0),
    ]
    assert (closed.paid_minor, closed.due_minor, closed.change_minor) == (3_600, 0, 200)
    # She earns on the 36.00 net: burgers 27.00 → 27 points, ales 9.00 → 9 points.
    entries = [
        (e["account"], e["kind"], e["amount"], e["tab_uuid"]) for e in venue.rows("ledger_entries")
    ]
    assert entries[1:] == [
        ("purse", "deposit", 2_000, None),
        ("points", "redeem", -250, tab_uuid),
        ("purse", "withdraw", -800, tab_uuid),
        ("points", "earn", 36, tab_uuid),
    ]
    # Points: 350 - 250 + 36 = 136; purse: 20.00 - 8.00 = 12.00.
    assert venue.balances(ada) == Balances(points=136, purse_minor=1_200)
    outbox = venue.rows("outbox")
    # The top-up, the redemption, the withdrawal and the earning, then the closed tab.
    assert [o["kind"] for o in outbox] == [*["ledger.entry"] * 4, "tab.closed"]
    closing = json.loads(outbox[-1]["payload"])
    assert closing["balances_after"] == {"points": 136, "purse_minor": 1_200}


def test_points_pay_no_more_than_what_is_left(venue: Venue) -> None:
    ada = venue.customer()
    venue.earn(ada, 1_000)
    tab_uuid = _tab(venue, ada, (venue.beer, 1))
    with pytest.raises(ConflictError, match="50 points cover it"):
        venue.checkout.pay(CASHIER, tab_uuid, [Tender.in_points(60)])
    # 50 points are worth exactly the 5.00 ale.
    paid = venue.checkout.pay(CASHIER, tab_uuid, [Tender.in_points(50)])
    assert (paid.due_minor, venue.balances(ada).points) == (0, 950)


def test_the_purse_goes_below_zero_down_to_the_credit_limit_and_no_further(
    venue: Venue,
) -> None:
    bob = venue.customer("Bob Stone", credit_limit_minor=5_000)  # pays later, up to 50.00
    venue.deposit(bob, 1_000)

    first = _tab(venue, bob, (venue.burger, 2))  # 30.00
    venue.checkout.pay_and_close(CASHIER, first, [Tender.from_purse(3_000)])
    assert venue.balances(bob).purse_minor == -2_000  # 10.00 - 30.00: he owes 20.00

    second = _tab(venue, bob, (venue.burger, 2))  # 30.00 more: -50.00, exactly the limit
    venue.checkout.pay_and_close(CASHIER, second, [Tender.from_purse(3_000)])
    assert venue.balances(bob).purse_minor == -5_000

    third = _tab(venue, bob, (venue.beer, 1))
    before = venue.counts()
    with pytest.raises(ConflictError) as refused:
        venue.checkout.pay_and_close(CASHIER, third, [Tender.from_purse(500)])
    assert str(refused.value) == (
        "The purse holds -50.00 with 50.00 credit; 5.00 asked is 5.00 over the limit"
    )
    assert venue.counts() == before  # no payment, no entry, no close
    assert venue.tabs.view(WAITER, third).payments == ()

    venue.deposit(bob, 2_000)  # he settles part of what he owes
    venue.checkout.pay_and_close(CASHIER, third, [Tender.from_purse(500)])
    assert venue.balances(bob).purse_minor == -3_500  # -50.00 + 20.00 - 5.00


def test_without_credit_the_purse_stops_at_zero(venue: Venue) -> None:
    cleo = venue.customer("Cleo Park")
    venue.deposit(cleo, 300)
    tab_uuid = _tab(venue, cleo, (venue.beer, 1))
    with pytest.raises(ConflictError) as refused:
        venue.checkout.pay(CASHIER, tab_uuid, [Tender.from_purse(500)])
    assert str(refused.value) == (
        "The purse holds 3.00; 5.00 asked. Top it up or pay the rest another way"
    )
    paid = venue.checkout.pay(CASHIER, tab_uuid, [Tender.from_purse(300), Tender.in_cash(200)])
    assert (paid.due_minor, venue.balances(cleo).purse_minor) == (0, 0)


def test_purse_and_points_need_the_customer_on_the_tab(venue: Venue) -> None:
    tab = venue.tabs.open(WAITER, table_id=venue.table_1)
    venue.tabs.add_item(WAITER, tab.uuid, venue.beer)
    with pytest.raises(ConflictError, match="Attach the customer to pay with their purse"):
        venue.checkout.pay(CASHIER, tab.uuid, [Tender.from_purse(500)])
    assert venue.count("tab_payments") == 0
