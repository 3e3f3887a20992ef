from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import ConflictError, DomainError, ValidationError
from app.domain.ledger import RedemptionRate
from app.domain.payments import Payment, PaymentMethod, Tender, points_to_cover, settle

AT = datetime(2025, 3, 14, 21, 0, tzinfo=UTC)
RATE = RedemptionRate(points=100, value_minor=1000)  # 100 points = 10.00
CASH, CARD, PURSE, POINTS = PaymentMethod


def pay(due: int, *tenders: Tender, **options: object) -> list[Payment]:
    return settle(due, tenders, at=AT, staff_uuid="cashier-1", rate=RATE, **options)


def test_cash_over_the_bill_gives_change() -> None:
    [cash] = pay(4250, Tender.in_cash(5000))
    assert (cash.method, cash.amount_minor, cash.tendered_minor, cash.change_minor) == (
        CASH,
        4250,
        5000,
        750,
    )
    assert cash.staff_uuid == "cashier-1" and cash.at == AT and cash.uuid[14] == "7"


def test_exact_card_payment() -> None:
    [card] = pay(4250, Tender.by_card(4250))
    assert (card.method, card.amount_minor, card.tendered_minor, card.change_minor) == (
        CARD,
        4250,
        4250,
        0,
    )


def test_a_card_never_pays_more_than_is_due() -> None:
    with pytest.raises(ConflictError, match=r"^Card 50\.00 is more than the 42\.50 left to pay$"):
        pay(4250, Tender.by_card(5000))
    with pytest.raises(ConflictError, match=r"Card 30\.00 is more than the 22\.50 left"):
        pay(4250, Tender.from_purse(2000), Tender.by_card(3000))


def test_mixed_points_purse_and_cash_with_change_from_cash_only() -> None:
    payments = pay(6480, Tender.in_cash(2000), Tender.in_points(250), Tender.from_purse(3000))
    assert [p.method for p in payments] == [CASH, POINTS, PURSE]  # the order given
    cash, points, purse = payments
    assert (points.points, points.amount_minor) == (250, 2500)
    assert purse.amount_minor == 3000 and purse.change_minor == 0
    assert (cash.amount_minor, cash.tendered_minor, cash.change_minor) == (980, 2000, 1020)
    assert sum(p.amount_minor for p in payments) == 6480


def test_points_for_more_than_is_left_are_refused_with_how_many_cover_it() -> None:
    with pytest.raises(
        ConflictError,
        match=r"^500 points are worth 50\.00, more than the 42\.50 left to pay; 425 points cover",
    ):
        pay(4250, Tender.in_points(500))


def test_points_rounded_up_pay_the_odd_cent() -> None:
    [points] = pay(1005, Tender.in_points(101))  # 101 points are worth 10.10
    assert (points.amount_minor, points.points) == (1005, 101)
    assert points_to_cover(1005, 5000, RATE) == 101
    assert points_to_cover(1005, 40, RATE) == 40
    assert points_to_cover(0, 40, RATE) == 0


def test_points_worth_nothing_are_refused() -> None:
    with pytest.raises(ConflictError, match="worth nothing; it takes 3 to pay"):
        settle(
            500,
            [Tender.in_points(1), Tender.in_cash(500)],
            at=AT,
            staff_uuid="s",
            rate=RedemptionRate(points=3, value_minor=1),
        )


def test_points_need_a_rate() -> None:
    with pytest.raises(ValidationError, match="no redemption rate"):
        settle(100, [Tender.in_points(10)], at=AT, staff_uuid="s")


def test_short_tenders_are_refused_unless_partial() -> None:
    with pytest.raises(ConflictError, match=r"^Payments come to 20\.00 of the 42\.50 due; 22\.50"):
        pay(4250, Tender.by_card(2000))
    [card] = pay(4250, Tender.by_card(2000), allow_partial=True)
    assert card.amount_minor == 2000


def test_a_tender_after_the_bill_is_covered_is_refused() -> None:
    with pytest.raises(ConflictError, match="already covered; remove the cash"):
        pay(1000, Tender.by_card(1000), Tender.in_cash(500))
    with pytest.raises(ConflictError, match="already covered"):
        pay(0, Tender.in_cash(500))


@pytest.mark.parametrize(
    "tender",
    [Tender.in_cash(0), Tender.by_card(-1), Tender(PURSE, 100, points=3), Tender.in_points(0)],
)
def test_nonsense_tenders_are_refused(tender: Tender) -> None:
    with pytest.raises(ValidationError):
        pay(1000, tender)


def test_nothing_offered_or_a_negative_bill_is_refused() -> None:
    with pytest.raises(ValidationError, match="Choose how the guest pays"):
        pay(1000)
    with pytest.raises(ValidationError):
        pay(-1, Tender.in_cash(1))


def test_balances_are_checked_before_anything_is_paid() -> None:
    with pytest.raises(ConflictError, match="Only 340 points available; 500 asked"):
        pay(9000, Tender.in_points(500), Tender.in_cash(9000), points_balance=340)
    with pytest.raises(ConflictError, match=r"The purse holds 10\.00 with 20\.00 credit"):
        pay(9000, Tender.from_purse(4000), purse_balance_minor=1000, credit_limit_minor=2000)
    [purse] = pay(3000, Tender.from_purse(3000), purse_balance_minor=1000, credit_limit_minor=2000)
    assert purse.amount_minor == 3000


@pytest.mark.parametrize(
    "fields",
    [
        {"method": CARD, "amount_minor": 100, "tendered_minor": 200, "change_minor": 100},
        {"method": CASH, "amount_minor": 100, "tendered_minor": 150, "change_minor": 0},
        {"method": CASH, "amount_minor": 0, "tendered_minor": 0},
        {"method": CASH, "amount_minor": 100, "tendered_minor": 100, "points": 5},
        {"method": POINTS, "amount_minor": 100, "tendered_minor": 100},
    ],
)
def test_a_payment_holds_its_own_rules(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Payment(at=AT, staff_uuid="s", **fields)


def test_a_payment_wants_an_aware_time() -> None:
    with pytest.raises(ValidationError, match="no time zone"):
        Payment(
            method=CARD, amount_minor=1, tendered_minor=1, at=datetime(2025, 1, 1), staff_uuid="s"
        )


tenders = st.one_of(
    st.builds(Tender.in_cash, st.integers(-100, 20_000)),
    st.builds(Tender.by_card, st.integers(-100, 20_000)),
    st.builds(Tender.from_purse, st.integers(-100, 20_000)),
    st.builds(Tender.in_points, st.integers(-10, 2_000)),
)


@settings(max_examples=500)
@given(st.integers(0, 30_000), st.lists(tenders, max_size=5), st.booleans())
def test_settle_properties(due: int, offered: list[Tender], partial: bool) -> None:
    try:
        payments = pay(due, *offered, allow_partial=partial)
    except DomainError:
        return
    paid = sum(p.amount_minor for p in payments)
    assert paid == due or (partial and paid < due)
    assert [p.method for p in payments] == [t.method for t in offered]
    for payment, tender in zip(payments, offered, strict=True):
        assert payment.change_minor >= 0
        assert payment.amount_minor > 0
        if payment.change_minor:
            assert payment.method is CASH and tender.amount_minor > payment.amount_minor
        if payment.method is CASH:
            assert payment.tendered_minor == tender.amount_minor
        else:
            assert payment.change_minor == 0
        if payment.method in (CARD, PURSE):
            assert payment.amount_minor == tender.amount_minor
        if payment.method is POINTS:
            assert payment.points == tender.points
            assert payment.amount_minor <= RATE.value_of(tender.points)
    # Change only when cash over-tenders the rest of the bill.
    non_cash = sum(p.amount_minor for p in payments if p.method is not CASH)
    cash_in = sum(t.amount_minor for t in offered if t.method is CASH)
    change = sum(p.change_minor for p in payments)
    assert change == max(0, cash_in - (due - non_cash))
