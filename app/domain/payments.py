"""Paying a guest tab: cash, card, the client purse, points, or any mix of them.

:func:`settle` turns what the guest hands over (tenders) into payments against what is
due. Card, purse and points are applied first, in the order given, and may never exceed
what is left to pay; cash comes last and is the only tender that gives change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from app.domain.errors import ConflictError, ValidationError
from app.domain.ids import new_uuid7
from app.domain.ledger import (
    RedemptionRate,
    as_utc,
    check_points_redemption,
    check_purse_spend,
    format_minor,
)


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    PURSE = "purse"  # the customer's client purse, credit included
    POINTS = "points"  # the customer's points at the redemption rate


_LABEL = {
    PaymentMethod.CASH: "Cash",
    PaymentMethod.CARD: "Card",
    PaymentMethod.PURSE: "Purse",
    PaymentMethod.POINTS: "Points",
}


@dataclass(frozen=True, kw_only=True)
class Payment:
    """Money applied to a tab. ``amount_minor`` counts towards the bill;
    ``tendered_minor`` is what was handed over (``amount + change``; change only in cash);
    ``points`` is how many points a POINTS payment redeems."""

    uuid: str = field(default_factory=new_uuid7)
    method: PaymentMethod
    amount_minor: int
    tendered_minor: int
    change_minor: int = 0
    points: int = 0
    at: datetime
    staff_uuid: str
    id: int | None = field(default=None, compare=False)  # the store's key

    def __post_init__(self) -> None:
        if self.amount_minor <= 0:
            raise ValidationError.single("amount", "A payment must be above zero")
        if self.change_minor < 0:
            raise ValidationError.single("change", "Change cannot be below zero")
        if self.change_minor and self.method is not PaymentMethod.CASH:
            raise ValidationError.single("change", "Only cash gives change")
        if self.tendered_minor != self.amount_minor + self.change_minor:
            raise ValidationError.single("tendered", "Tendered must be the amount plus change")
        if (self.points > 0) != (self.method is PaymentMethod.POINTS) or self.points < 0:
            raise ValidationError.single("points", "Only a points payment redeems points")
        object.__setattr__(self, "at", as_utc(self.at))


@dataclass(frozen=True, slots=True)
class Tender:
    """What the guest offers: cash handed over, a card or purse amount, or points."""

    method: PaymentMethod
    amount_minor: int = 0  # cash handed over, or the card or purse amount
    points: int = 0  # for POINTS only

    @classmethod
    def in_cash(cls, handed_over_minor: int) -> Tender:
        return cls(PaymentMethod.CASH, handed_over_minor)

    @classmethod
    def by_card(cls, amount_minor: int) -> Tender:
        return cls(PaymentMethod.CARD, amount_minor)

    @classmethod
    def from_purse(cls, amount_minor: int) -> Tender:
        return cls(PaymentMethod.PURSE, amount_minor)

    @classmethod
    def in_points(cls, points: int) -> Tender:
        return cls(PaymentMethod.POINTS, points=points)


def points_to_cover(due_minor: int, available_points: int, rate: RedemptionRate) -> int:
    """The most points worth using on ``due_minor``: all of them, or just enough."""
    return max(0, min(available_points, rate.points_for(max(due_minor, 0))))


def _check_tender(tender: Tender, rate: RedemptionRate | None) -> None:
    label = _LABEL[tender.method]
    if tender.method is PaymentMethod.POINTS:
        if tender.points <= 0 or tender.amount_minor:
            raise ValidationError.single("points", "Say how many points to redeem (above zero)")
        if rate is None:
            raise ValidationError.single("points", "Points cannot pay: no redemption rate is set")
    elif tender.amount_minor <= 0 or tender.points:
        raise ValidationError.single("amount", f"{label} amount must be above zero")


def _check_accounts(
    tenders: Sequence[Tender],
    points_balance: int | None,
    purse_balance_minor: int | None,
    credit_limit_minor: int,
    exponent: int,
) -> None:
    points = sum(t.points for t in tenders if t.method is PaymentMethod.POINTS)
    purse = sum(t.amount_minor for t in tenders if t.method is PaymentMethod.PURSE)
    if points and points_balance is not None:
        check_points_redemption(points_balance, points)
    if purse and purse_balance_minor is not None:
        check_purse_spend(purse_balance_minor, purse, credit_limit_minor, exponent=exponent)


def settle(
    total_due: int,
    tenders: Sequence[Tender],
    *,
    at: datetime,
    staff_uuid: str,
    rate: RedemptionRate | None = None,
    allow_partial: bool = False,
    points_balance: int | None = None,
    purse_balance_minor: int | None = None,
    credit_limit_minor: int = 0,
    exponent: int = 2,
) -> list[Payment]:
    """Payments, in the tenders' order, that pay ``total_due`` exactly.

    Card and purse may not exceed what is left; points are converted by ``rate`` and
    may not be more than the fewest points that pay what is left; cash pays the rest
    and gives change. Unless ``allow_partial``, the tenders must cover the whole bill.
    When balances are given, points and purse are checked against them first.
    Raises a :class:`~app.domain.errors.DomainError` saying what to change.
    """

    def money(amount_minor: int) -> str:
        return format_minor(amount_minor, exponent)

    if total_due < 0:
        raise ValidationError.single("total", "Nothing is due on a bill below zero")
    if not tenders:
        raise ValidationError.single("tenders", "Choose how the guest pays")
    for tender in tenders:
        _check_tender(tender, rate)
    _check_accounts(tenders, points_balance, purse_balance_minor, credit_limit_minor, exponent)

    remaining = total_due
    placed: dict[int, Payment] = {}
    cash_last = sorted(range(len(tenders)), key=lambda i: tenders[i].method is PaymentMethod.CASH)
    for index in cash_last:
        tender = tenders[index]
        label = _LABEL[tender.method]
        if remaining == 0:
            raise ConflictError(f"The bill is already covered; remove the {label.lower()}")
        change = points = 0
        if tender.method is PaymentMethod.CASH:
            applied = min(tender.amount_minor, remaining)
            change = tender.amount_minor - applied
        elif tender.method is PaymentMethod.POINTS:
            assert rate is not None  # _check_tender refused points without a rate
            points, needed = tender.points, rate.points_for(remaining)
            if points > needed:
                raise ConflictError(
                    f"{points} points are worth {money(rate.value_of(points))}, more than the "
                    f"{money(remaining)} left to pay; {needed} points cover it"
                )
            applied = min(rate.value_of(points), remaining)
            if applied == 0:
                raise ConflictError(
                    f"{points} points are worth nothing; it takes {rate.points_for(1)} "
                    "to pay the smallest amount"
                )
        else:
            applied = tender.amount_minor
            if applied > remaining:
                raise ConflictError(
                    f"{label} {money(applied)} is more than the {money(remaining)} left to pay"
                )
        remaining -= applied
        placed[index] = Payment(
            method=tender.method,
            amount_minor=applied,
            tendered_minor=applied + change,
            change_minor=change,
            points=points,
            at=at,
            staff_uuid=staff_uuid,
        )
    if remaining and not allow_partial:
        paid = total_due - remaining
        raise ConflictError(
            f"Payments come to {money(paid)} of the {money(total_due)} due; "
            f"{money(remaining)} short"
        )
    return [placed[i] for i in range(len(tenders))]
