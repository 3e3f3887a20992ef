from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import ConflictError, DomainError, ValidationError
from app.domain.ledger import (
    AccountKind,
    Balances,
    EntryKind,
    LedgerEntry,
    Origin,
    RedemptionRate,
    adjust,
    balance,
    check_points_redemption,
    check_purse_spend,
    deposit,
    earn,
    expire,
    format_minor,
    lifetime_earned_points,
    redeem,
    reverse,
    reversed_uuids,
    withdraw,
)

AT = datetime(2025, 3, 14, 19, 30, tzinfo=UTC)
HERE = Origin(at=AT, terminal="bar-1", staff_uuid="staff-1", tab_uuid="tab-1")
CUSTOMER = 7


def test_earn_redeem_expire_have_their_signs_and_account() -> None:
    e = earn(CUSTOMER, 120, HERE)
    r = redeem(CUSTOMER, 50, HERE, balance_points=120)
    x = expire(CUSTOMER, 20, HERE, balance_points=70)
    assert (e.kind, e.account, e.amount) == (EntryKind.EARN, AccountKind.POINTS, 120)
    assert (r.kind, r.amount) == (EntryKind.REDEEM, -50)
    assert (x.kind, x.amount) == (EntryKind.EXPIRE, -20)
    assert e.tab_uuid == "tab-1" and e.terminal == "bar-1" and e.staff_uuid == "staff-1"
    assert balance([e, r, x]) == 50


def test_deposit_and_withdraw_move_the_purse() -> None:
    d = deposit(CUSTOMER, 5000, HERE)
    w = withdraw(CUSTOMER, 1250, HERE, balance_minor=5000)
    assert (d.account, d.amount, w.amount) == (AccountKind.PURSE, 5000, -1250)
    assert Balances.of([d, w, earn(CUSTOMER, 9, HERE)]) == Balances(points=9, purse_minor=3750)


def test_entries_get_uuid7_ids_and_utc_times() -> None:
    paris = timezone(timedelta(hours=1))
    entry = earn(CUSTOMER, 1, Origin(datetime(2025, 1, 1, 20, tzinfo=paris), "t", "s"))
    assert entry.uuid[14] == "7"
    assert entry.at == datetime(2025, 1, 1, 19, tzinfo=UTC) and entry.at.tzinfo is UTC


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValidationError, match="no time zone"):
        earn(CUSTOMER, 1, Origin(datetime(2025, 1, 1), "t", "s"))


@pytest.mark.parametrize("amount", [0, -5])
def test_factories_take_positive_magnitudes(amount: int) -> None:
    with pytest.raises(ValidationError, match="above zero"):
        earn(CUSTOMER, amount, HERE)
    with pytest.raises(ValidationError, match="above zero"):
        deposit(CUSTOMER, amount, HERE)
    with pytest.raises(ValidationError, match="above zero"):
        redeem(CUSTOMER, amount, HERE, balance_points=100)


def test_a_bool_is_not_an_amount() -> None:
    with pytest.raises(ValidationError):
        earn(CUSTOMER, True, HERE)


@pytest.mark.parametrize(
    ("account", "kind", "amount"),
    [
        (AccountKind.PURSE, EntryKind.EARN, 10),
        (AccountKind.PURSE, EntryKind.REDEEM, -10),
        (AccountKind.PURSE, EntryKind.EXPIRE, -10),
        (AccountKind.POINTS, EntryKind.DEPOSIT, 10),
        (AccountKind.POINTS, EntryKind.WITHDRAW, -10),
    ],
)
def test_kinds_only_go_on_their_account(account: AccountKind, kind: EntryKind, amount: int) -> None:
    with pytest.raises(ValidationError, match="does not belong"):
        LedgerEntry(
            customer_id=1,
            account=account,
            kind=kind,
            amount=amount,
            at=AT,
            terminal="t",
            staff_uuid="s",
        )


@pytest.mark.parametrize(
    ("kind", "amount", "message"),
    [
        (EntryKind.EARN, -1, "above zero"),
        (EntryKind.REDEEM, 1, "below zero"),
        (EntryKind.EXPIRE, 1, "below zero"),
        (EntryKind.ADJUST, 0, "cannot be zero"),
    ],
)
def test_the_constructor_holds_the_sign_rules(kind: EntryKind, amount: int, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        LedgerEntry(
            customer_id=1,
            account=AccountKind.POINTS,
            kind=kind,
            amount=amount,
            at=AT,
            terminal="t",
            staff_uuid="s",
            reason="why",
        )


def test_only_a_reversal_names_what_it_reverses() -> None:
    with pytest.raises(ValidationError, match="only a reversal"):
        LedgerEntry(
            customer_id=1,
            account=AccountKind.POINTS,
            kind=EntryKind.EARN,
            amount=5,
            at=AT,
            terminal="t",
            staff_uuid="s",
            reverses_uuid="x",
        )
    with pytest.raises(ValidationError, match="only a reversal"):
        LedgerEntry(
            customer_id=1,
            account=AccountKind.POINTS,
            kind=EntryKind.REVERSE,
            amount=5,
            at=AT,
            terminal="t",
            staff_uuid="s",
            reason="oops",
        )


def test_redeeming_more_than_the_balance_says_how_many_are_there() -> None:
    with pytest.raises(ConflictError, match=r"^Only 340 points available; 500 asked$"):
        redeem(CUSTOMER, 500, HERE, balance_points=340)
    with pytest.raises(ConflictError, match=r"^Only 1 point available; 2 asked$"):
        check_points_redemption(1, 2)
    check_points_redemption(340, 340)


def test_expiring_more_than_the_balance_is_refused() -> None:
    with pytest.raises(ConflictError, match="Only 10 points left to expire; 11 asked"):
        expire(CUSTOMER, 11, HERE, balance_points=10)


def test_the_purse_may_go_into_credit_down_to_the_limit() -> None:
    check_purse_spend(1000, 1000, 0)
    check_purse_spend(1000, 6000, 5000)
    w = withdraw(CUSTOMER, 6000, HERE, balance_minor=1000, credit_limit_minor=5000)
    assert balance([deposit(CUSTOMER, 1000, HERE), w]) == -5000


def test_a_purse_spend_over_the_credit_limit_is_explained() -> None:
    with pytest.raises(
        ConflictError,
        match=r"^The purse holds 10\.00 with 50\.00 credit; 70\.00 asked is 10\.00 over the limit$",
    ):
        check_purse_spend(1000, 7000, 5000)
    with pytest.raises(ConflictError, match=r"^The purse holds 12\.00; 20\.00 asked\. Top it up"):
        withdraw(CUSTOMER, 2000, HERE, balance_minor=1200)
    with pytest.raises(ConflictError, match=r"holds -3\.000 with 5\.000 credit"):
        check_purse_spend(-3000, 2500, 5000, exponent=3)


def test_adjustments_need_a_reason_and_respect_balances() -> None:
    with pytest.raises(ValidationError, match="needs a reason"):
        adjust(CUSTOMER, AccountKind.POINTS, 10, HERE, reason="  ", balance=0)
    with pytest.raises(ValidationError, match="not zero"):
        adjust(CUSTOMER, AccountKind.POINTS, 0, HERE, reason="x", balance=0)
    with pytest.raises(ConflictError, match="Only 5 points available; 6 asked"):
        adjust(CUSTOMER, AccountKind.POINTS, -6, HERE, reason="typo", balance=5)
    with pytest.raises(ConflictError, match="over the limit"):
        adjust(
            CUSTOMER, AccountKind.PURSE, -600, HERE, reason="x", balance=0, credit_limit_minor=500
        )
    entry = adjust(
        CUSTOMER,
        AccountKind.PURSE,
        -500,
        HERE,
        reason=" goodwill ",
        balance=0,
        credit_limit_minor=500,
    )
    assert (entry.kind, entry.amount, entry.reason) == (EntryKind.ADJUST, -500, "goodwill")


def test_a_reversal_negates_exactly_and_keeps_the_tab() -> None:
    original = redeem(CUSTOMER, 300, HERE, balance_points=300)
    later = Origin(AT + timedelta(hours=1), "bar-2", "manager-1")
    undo = reverse(original, later, reason="wrong customer", reversed_uuids=())
    assert undo.kind is EntryKind.REVERSE and undo.amount == 300
    assert undo.reverses_uuid == original.uuid and undo.account is AccountKind.POINTS
    assert undo.tab_uuid == "tab-1" and undo.staff_uuid == "manager-1"
    assert balance([original, undo]) == 0
    assert reversed_uuids([original, undo]) == {original.uuid}


def test_a_reversal_needs_a_reason() -> None:
    with pytest.raises(ValidationError, match="needs a reason"):
        reverse(earn(CUSTOMER, 1, HERE), HERE, reason="", reversed_uuids=())


def test_never_reverse_a_reversal_or_twice() -> None:
    original = deposit(CUSTOMER, 2000, HERE)
    undo = reverse(original, HERE, reason="duplicate", reversed_uuids=())
    with pytest.raises(ConflictError, match="already reversed"):
        reverse(original, HERE, reason="again", reversed_uuids=reversed_uuids([original, undo]))
    with pytest.raises(ConflictError, match="cannot itself be reversed"):
        reverse(undo, HERE, reason="undo the undo", reversed_uuids=())


def test_balance_refuses_to_add_points_to_money_unless_told_which() -> None:
    entries = [earn(CUSTOMER, 10, HERE), deposit(CUSTOMER, 500, HERE)]
    with pytest.raises(ValidationError, match="cannot be summed"):
        balance(entries)
    assert balance(entries, AccountKind.POINTS) == 10
    assert balance(entries, AccountKind.PURSE) == 500
    assert balance([]) == 0


def test_lifetime_points_count_earnings_less_reversed_earnings_only() -> None:
    a = earn(CUSTOMER, 400, HERE)
    b = earn(CUSTOMER, 100, HERE)
    spent = redeem(CUSTOMER, 450, HERE, balance_points=500)
    gone = reverse(b, HERE, reason="refund", reversed_uuids=())
    bonus = adjust(CUSTOMER, AccountKind.POINTS, 50, HERE, reason="goodwill", balance=0)
    entries = [a, b, spent, gone, bonus, deposit(CUSTOMER, 999, HERE)]
    assert lifetime_earned_points(entries) == 400
    assert balance(entries, AccountKind.POINTS) == 0


def test_redemption_rate_rounds_in_the_venues_favour() -> None:
    rate = RedemptionRate(points=100, value_minor=1000)  # 100 points = 10.00
    assert rate.points_for(1000) == 100
    assert rate.points_for(1005) == 101  # rounds up
    assert rate.points_for(0) == 0
    assert rate.value_of(100) == 1000
    assert rate.value_of(7) == 70
    odd = RedemptionRate(points=3, value_minor=1)
    assert odd.value_of(5) == 1  # rounds down
    assert odd.points_for(1) == 3
    with pytest.raises(ValidationError):
        RedemptionRate(points=0, value_minor=1)
    with pytest.raises(ValidationError):
        rate.value_of(-1)


@pytest.mark.parametrize(
    ("minor", "exponent", "text"),
    [(16250, 2, "162.50"), (-5, 2, "-0.05"), (1500, 0, "1500"), (1234, 3, "1.234")],
)
def test_format_minor(minor: int, exponent: int, text: str) -> None:
    assert format_minor(minor, exponent) == text


# Properties ----------------------------------------------------------------------------

rates = st.builds(RedemptionRate, st.integers(1, 10_000), st.integers(1, 100_000))


@given(rates, st.integers(0, 10**9))
def test_points_for_is_the_fewest_points_that_pay(rate: RedemptionRate, value: int) -> None:
    points = rate.points_for(value)
    assert rate.value_of(points) >= value
    assert points == 0 or rate.value_of(points - 1) < value


OPERATIONS = ["earn", "redeem", "expire", "adjust-points", "adjust-purse", "deposit", "withdraw"]
operations = st.lists(
    st.tuples(st.sampled_from(OPERATIONS), st.integers(-2_000, 2_000)), max_size=40
)


def _apply(entries: list[LedgerEntry], name: str, amount: int, credit: int) -> LedgerEntry:
    points = balance(entries, AccountKind.POINTS)
    purse = balance(entries, AccountKind.PURSE)
    if name == "earn":
        return earn(CUSTOMER, amount, HERE)
    if name == "redeem":
        return redeem(CUSTOMER, amount, HERE, balance_points=points)
    if name == "expire":
        return expire(CUSTOMER, amount, HERE, balance_points=points)
    if name == "deposit":
        return deposit(CUSTOMER, amount, HERE)
    if name == "withdraw":
        return withdraw(CUSTOMER, amount, HERE, balance_minor=purse, credit_limit_minor=credit)
    if name == "adjust-points":
        return adjust(CUSTOMER, AccountKind.POINTS, amount, HERE, reason="count", balance=points)
    return adjust(
        CUSTOMER,
        AccountKind.PURSE,
        amount,
        HERE,
        reason="count",
        balance=purse,
        credit_limit_minor=credit,
    )


@settings(max_examples=300)
@given(operations, st.integers(0, 5_000))
def test_validated_entries_keep_points_whole_and_the_purse_within_credit(
    ops: list[tuple[str, int]], credit: int
) -> None:
    entries: list[LedgerEntry] = []
    for name, amount in ops:
        with contextlib.suppress(DomainError):
            entries.append(_apply(entries, name, amount, credit))
        assert balance(entries, AccountKind.POINTS) >= 0
        assert balance(entries, AccountKind.PURSE) >= -credit
    totals = Balances.of(entries)
    assert totals.points == sum(e.amount for e in entries if e.account is AccountKind.POINTS)
    assert totals.purse_minor == sum(e.amount for e in entries if e.account is AccountKind.PURSE)


@settings(max_examples=200)
@given(operations, st.lists(st.integers(0, 1_000), max_size=60))
def test_reversals_bring_the_balance_back(ops: list[tuple[str, int]], picks: list[int]) -> None:
    entries: list[LedgerEntry] = []
    for name, amount in ops:
        with contextlib.suppress(DomainError):
            entries.append(_apply(entries, name, amount, 5_000))
    for pick in picks:  # reverse at random, including reversals and entries already undone
        if not entries:
            break
        target = entries[pick % len(entries)]
        before = Balances.of(entries)
        try:
            undo = reverse(target, HERE, reason="mistake", reversed_uuids=reversed_uuids(entries))
        except ConflictError:
            assert target.kind is EntryKind.REVERSE or target.uuid in reversed_uuids(entries)
            continue
        entries.append(undo)
        after = Balances.of(entries)
        assert undo.amount == -target.amount
        assert (after.points - before.points, after.purse_minor - before.purse_minor) == (
            (-target.amount, 0) if target.account is AccountKind.POINTS else (0, -target.amount)
        )
    undone = set(reversed_uuids(entries))
    for entry in list(entries):
        if entry.kind is not EntryKind.REVERSE and entry.uuid not in undone:
            entries.append(reverse(entry, HERE, reason="close", reversed_uuids=undone))
            undone.add(entry.uuid)
    assert Balances.of(entries) == Balances(0, 0)
