"""The points account and the client purse: append-only ledgers whose balance is a sum.

Entries are never edited; a mistake is undone by a REVERSE entry that negates it
exactly. Points are whole points; the purse is in minor units and may go below zero
down to the customer's credit limit ("pay later").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from app.domain.errors import ConflictError, ValidationError
from app.domain.ids import new_uuid7


class AccountKind(StrEnum):
    POINTS = "points"  # whole points
    PURSE = "purse"  # minor units of the venue's currency


class EntryKind(StrEnum):
    EARN = "earn"
    REDEEM = "redeem"
    DEPOSIT = "deposit"
    WITHDRAW = "withdraw"
    ADJUST = "adjust"
    EXPIRE = "expire"
    REVERSE = "reverse"


KINDS_BY_ACCOUNT: dict[AccountKind, frozenset[EntryKind]] = {
    AccountKind.POINTS: frozenset(
        {EntryKind.EARN, EntryKind.REDEEM, EntryKind.EXPIRE, EntryKind.ADJUST, EntryKind.REVERSE}
    ),
    AccountKind.PURSE: frozenset(
        {EntryKind.DEPOSIT, EntryKind.WITHDRAW, EntryKind.ADJUST, EntryKind.REVERSE}
    ),
}

_POSITIVE = frozenset({EntryKind.EARN, EntryKind.DEPOSIT})
_NEGATIVE = frozenset({EntryKind.REDEEM, EntryKind.WITHDRAW, EntryKind.EXPIRE})
_REASON_REQUIRED = frozenset({EntryKind.ADJUST, EntryKind.REVERSE})


def format_minor(amount_minor: int, exponent: int = 2) -> str:
    """``16250`` → ``"162.50"``: a plain amount for messages (no symbol, no grouping)."""
    if exponent == 0:
        return str(amount_minor)
    sign = "-" if amount_minor < 0 else ""
    whole, part = divmod(abs(amount_minor), 10**exponent)
    return f"{sign}{whole}.{part:0{exponent}d}"


def _points(n: int) -> str:
    return f"{n} point" if abs(n) == 1 else f"{n} points"


def as_utc(at: datetime, what: str = "at") -> datetime:
    """``at`` in UTC; a time with no zone is refused rather than guessed."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationError.single(what, f"The time {at.isoformat()} has no time zone")
    return at.astimezone(UTC)


@dataclass(frozen=True, kw_only=True)
class LedgerEntry:
    """One movement on a customer's points account or purse; never changed once written.

    ``amount`` is signed: whole points on POINTS, minor units on PURSE. Build entries with
    the factories below (:func:`earn`, :func:`redeem`, ...), which also check balances;
    the constructor checks what an entry can check on its own.
    """

    uuid: str = field(default_factory=new_uuid7)
    customer_id: int
    account: AccountKind
    kind: EntryKind
    amount: int
    at: datetime
    tab_uuid: str | None = None
    terminal: str
    staff_uuid: str
    reason: str = ""
    reverses_uuid: str | None = None
    id: int | None = field(default=None, compare=False)  # the store's key

    def __post_init__(self) -> None:
        if self.kind not in KINDS_BY_ACCOUNT[self.account]:
            raise ValidationError.single(
                "kind", f"A {self.kind.value} entry does not belong on the {self.account} account"
            )
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise ValidationError.single("amount", "A ledger amount is a whole number")
        if self.kind in _POSITIVE and self.amount <= 0:
            raise ValidationError.single("amount", f"A {self.kind.value} must be above zero")
        if self.kind in _NEGATIVE and self.amount >= 0:
            raise ValidationError.single(
                "amount", f"A {self.kind.value} is written below zero (it takes away)"
            )
        if self.amount == 0:
            raise ValidationError.single("amount", "A ledger entry cannot be zero")
        if (self.kind is EntryKind.REVERSE) != (self.reverses_uuid is not None):
            raise ValidationError.single(
                "reverses_uuid", "A reversal, and only a reversal, names the entry it undoes"
            )
        if self.kind in _REASON_REQUIRED and not self.reason.strip():
            raise ValidationError.single("reason", f"Say why: a {self.kind.value} needs a reason")
        if not self.terminal or not self.staff_uuid:
            raise ValidationError.single("staff_uuid", "Say which terminal and who wrote it")
        object.__setattr__(self, "at", as_utc(self.at))


@dataclass(frozen=True, slots=True)
class Balances:
    """A customer's two balances: whole points and the purse in minor units."""

    points: int
    purse_minor: int

    @classmethod
    def of(cls, entries: Iterable[LedgerEntry]) -> Balances:
        points = purse = 0
        for entry in entries:
            if entry.account is AccountKind.POINTS:
                points += entry.amount
            else:
                purse += entry.amount
        return cls(points, purse)


def balance(entries: Iterable[LedgerEntry], account: AccountKind | None = None) -> int:
    """The sum of the entries' amounts, on ``account`` only when one is named.

    With no account named, the entries must all be on the same one: adding points to
    money is refused rather than summed.
    """
    total = 0
    seen: AccountKind | None = None
    for entry in entries:
        if account is not None:
            if entry.account is account:
                total += entry.amount
            continue
        if seen is not None and entry.account is not seen:
            raise ValidationError.single("account", "Points and purse entries cannot be summed")
        seen = entry.account
        total += entry.amount
    return total


def reversed_uuids(entries: Iterable[LedgerEntry]) -> frozenset[str]:
    """The uuids of the entries that a reversal among ``entries`` has already undone."""
    return frozenset(e.reverses_uuid for e in entries if e.reverses_uuid is not None)


def lifetime_earned_points(entries: Iterable[LedgerEntry]) -> int:
    """Points ever earned, less earnings reversed; spending and expiry do not lower it.

    This is what tiers are decided by (see :mod:`app.domain.loyalty`).
    """
    earned: dict[str, int] = {}
    reversals: list[LedgerEntry] = []
    for entry in entries:
        if entry.account is not AccountKind.POINTS:
            continue
        if entry.kind is EntryKind.EARN:
            earned[entry.uuid] = entry.amount
        elif entry.kind is EntryKind.REVERSE:
            reversals.append(entry)
    return sum(earned.values()) + sum(r.amount for r in reversals if r.reverses_uuid in earned)


@dataclass(frozen=True, slots=True)
class RedemptionRate:
    """What points are worth: ``RedemptionRate(100, 1000)`` is 100 points = 10.00."""

    points: int
    value_minor: int

    def __post_init__(self) -> None:
        if self.points <= 0 or self.value_minor <= 0:
            raise ValidationError.single(
                "redemption_rate", "A redemption rate needs points and a value above zero"
            )

    def points_for(self, value_minor: int) -> int:
        """Points needed to pay ``value_minor``, rounded up: the venue is never short."""
        if value_minor < 0:
            raise ValidationError.single("amount", "An amount to pay cannot be below zero")
        return -((-value_minor * self.points) // self.value_minor)

    def value_of(self, points: int) -> int:
        """What ``points`` pay, in minor units, rounded down."""
        if points < 0:
            raise ValidationError.single("points", "Points cannot be below zero")
        return points * self.value_minor // self.points


# Balance checks ------------------------------------------------------------------------


def check_points_redemption(balance_points: int, points: int) -> None:
    """Refuse to take more points than the account holds."""
    if points <= 0:
        raise ValidationError.single("points", "Redeem at least one point")
    if points > balance_points:
        raise ConflictError(f"Only {_points(max(balance_points, 0))} available; {points} asked")


def check_purse_spend(
    balance_minor: int, amount_minor: int, credit_limit_minor: int, *, exponent: int = 2
) -> None:
    """Refuse a purse payment that would take it below ``-credit_limit_minor``.

    A purse may go negative ("pay later") as far as the customer's credit limit.
    """
    if amount_minor <= 0:
        raise ValidationError.single("amount", "A purse payment must be above zero")
    if credit_limit_minor < 0:
        raise ValidationError.single("credit_limit", "A credit limit cannot be below zero")
    available = balance_minor + credit_limit_minor
    if amount_minor <= available:
        return
    held, asked = format_minor(balance_minor, exponent), format_minor(amount_minor, exponent)
    if credit_limit_minor == 0:
        raise ConflictError(
            f"The purse holds {held}; {asked} asked. Top it up or pay the rest another way"
        )
    credit = format_minor(credit_limit_minor, exponent)
    over = format_minor(amount_minor - available, exponent)
    raise ConflictError(
        f"The purse holds {held} with {credit} credit; {asked} asked is {over} over the limit"
    )


# Factories -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Origin:
    """Where and by whom an entry is written: the same for every entry of one operation."""

    at: datetime
    terminal: str
    staff_uuid: str
    tab_uuid: str | None = None


def _entry(
    customer_id: int,
    account: AccountKind,
    kind: EntryKind,
    amount: int,
    origin: Origin,
    reason: str = "",
    reverses_uuid: str | None = None,
) -> LedgerEntry:
    return LedgerEntry(
        customer_id=customer_id,
        account=account,
        kind=kind,
        amount=amount,
        at=origin.at,
        tab_uuid=origin.tab_uuid,
        terminal=origin.terminal,
        staff_uuid=origin.staff_uuid,
        reason=reason.strip(),
        reverses_uuid=reverses_uuid,
    )


def _require_positive(value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationError.single("amount", f"{what} must be a whole number above zero")


def earn(customer_id: int, points: int, origin: Origin, reason: str = "") -> LedgerEntry:
    """Points earned (``points`` > 0), usually on a closed tab."""
    _require_positive(points, "Points earned")
    return _entry(customer_id, AccountKind.POINTS, EntryKind.EARN, points, origin, reason)


def redeem(
    customer_id: int, points: int, origin: Origin, *, balance_points: int, reason: str = ""
) -> LedgerEntry:
    """Points spent (``points`` > 0); refused beyond the current balance."""
    _require_positive(points, "Points to redeem")
    check_points_redemption(balance_points, points)
    return _entry(customer_id, AccountKind.POINTS, EntryKind.REDEEM, -points, origin, reason)


def expire(
    customer_id: int, points: int, origin: Origin, *, balance_points: int, reason: str = ""
) -> LedgerEntry:
    """Points lapsing (``points`` > 0); never more than the balance holds."""
    _require_positive(points, "Points to expire")
    if points > balance_points:
        raise ConflictError(
            f"Only {_points(max(balance_points, 0))} left to expire; {points} asked"
        )
    return _entry(customer_id, AccountKind.POINTS, EntryKind.EXPIRE, -points, origin, reason)


def deposit(customer_id: int, amount_minor: int, origin: Origin, reason: str = "") -> LedgerEntry:
    """Money put into the purse (a top-up), ``amount_minor`` > 0."""
    _require_positive(amount_minor, "A top-up")
    return _entry(customer_id, AccountKind.PURSE, EntryKind.DEPOSIT, amount_minor, origin, reason)


def withdraw(
    customer_id: int,
    amount_minor: int,
    origin: Origin,
    *,
    balance_minor: int,
    credit_limit_minor: int = 0,
    reason: str = "",
) -> LedgerEntry:
    """Money taken from the purse (paying a tab, a payout); refused past the credit limit."""
    _require_positive(amount_minor, "A purse payment")
    check_purse_spend(balance_minor, amount_minor, credit_limit_minor)
    return _entry(customer_id, AccountKind.PURSE, EntryKind.WITHDRAW, -amount_minor, origin, reason)


def adjust(
    customer_id: int,
    account: AccountKind,
    amount: int,
    origin: Origin,
    *,
    reason: str,
    balance: int,
    credit_limit_minor: int = 0,
) -> LedgerEntry:
    """A manager's correction, signed; points stay >= 0 and the purse within its credit."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise ValidationError.single("amount", "An adjustment is a whole number, not zero")
    if amount < 0:
        if account is AccountKind.POINTS:
            check_points_redemption(balance, -amount)
        else:
            check_purse_spend(balance, -amount, credit_limit_minor)
    return _entry(customer_id, account, EntryKind.ADJUST, amount, origin, reason)


def reverse(
    entry: LedgerEntry, origin: Origin, *, reason: str, reversed_uuids: Collection[str]
) -> LedgerEntry:
    """The entry that undoes ``entry`` exactly; ``reversed_uuids`` are those already undone.

    A reversal is a correction, so it is not held to the balance: reversing points that
    were already spent can leave the account below zero, for a manager to settle.
    """
    if entry.kind is EntryKind.REVERSE:
        raise ConflictError("A reversal cannot itself be reversed; write a new entry instead")
    if entry.uuid in reversed_uuids:
        raise ConflictError(f"This {entry.kind.value} entry was already reversed")
    return _entry(
        entry.customer_id,
        entry.account,
        EntryKind.REVERSE,
        -entry.amount,
        Origin(origin.at, origin.terminal, origin.staff_uuid, origin.tab_uuid or entry.tab_uuid),
        reason,
        reverses_uuid=entry.uuid,
    )
