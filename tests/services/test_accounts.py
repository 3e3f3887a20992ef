"""The points account and the purse: balances and tier, statement, top-ups, payouts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.domain.customers import CustomerKind
from app.domain.errors import ConflictError, PermissionDeniedError, ValidationError
from app.domain.ledger import AccountKind, EntryKind
from app.domain.money import currency
from app.domain.payments import PaymentMethod
from app.services.accounts import AccountService
from app.services.merge import MergeService
from tests.support.directory import CASHIER, MANAGER
from tests.support.venue import WAITER, Venue, venue_on_disk


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


@pytest.fixture
def accounts(venue: Venue) -> AccountService:
    return AccountService(venue.uow, venue.settings, venue.clock)


def test_balances_tier_and_points_to_the_next_tier(venue: Venue, accounts: AccountService) -> None:
    ada = venue.customer()
    venue.earn(ada, 1_200)
    venue.deposit(ada, 2_500)
    summary = accounts.summary(WAITER, ada)
    assert (summary.points, summary.purse_minor, summary.currency) == (1_200, 2_500, "GBP")
    assert summary.points_value_minor == 12_000  # 100 points = 10.00
    assert (summary.tier, summary.next_tier, summary.points_to_next_tier) == (
        "Silver",
        "Gold",
        3_800,
    )
    assert (summary.credit_limit_minor, summary.purse_available_minor) == (None, 2_500)
    newcomer = accounts.summary(WAITER, venue.customer("Bea Newcomer"))
    assert (newcomer.points, newcomer.purse_minor, newcomer.tier) == (0, 0, "Bronze")
    assert newcomer.points_to_next_tier == 1_000


def test_an_organisation_tops_up_its_purse_by_card(venue: Venue, accounts: AccountService) -> None:
    firm = venue.customer("Roberts & Co", kind=CustomerKind.ORGANISATION)
    change = accounts.top_up(CASHIER, firm, 20_000, PaymentMethod.CARD, "  Christmas  party ")
    assert change.entry is not None
    assert (change.entry.kind, change.entry.amount) == (EntryKind.DEPOSIT, 20_000)
    assert change.entry.reason == "top-up by card: Christmas party"
    assert change.summary.purse_minor == 20_000
    assert change.changes.accounts
    action, actor, summary = venue.audit()[-1]
    assert (action, actor) == ("ledger.purse_topped_up", "Carl Cashier")
    assert summary == ("Roberts & Co: purse topped up by 200.00 GBP (card); purse now 200.00 GBP")
    [operation] = venue.rows("outbox")
    assert (operation["kind"], operation["entity_uuid"]) == ("ledger.entry", change.entry.uuid)
    payload = json.loads(operation["payload"])
    assert (payload["kind"], payload["amount"]) == ("deposit", 20_000)
    assert payload["customer_uuid"] == change.summary.customer_uuid


def test_top_ups_need_the_till_and_cash_or_card(venue: Venue, accounts: AccountService) -> None:
    ada = venue.customer()
    with pytest.raises(PermissionDeniedError, match="may not top up a customer's purse"):
        accounts.top_up(WAITER, ada, 1_000)
    with pytest.raises(ValidationError, match="topped up with cash or card"):
        accounts.top_up(CASHIER, ada, 1_000, PaymentMethod.POINTS)
    with pytest.raises(ValidationError, match="A top-up must be a whole number above zero"):
        accounts.top_up(CASHIER, ada, 0)
    assert venue.count("ledger_entries") == 0


def test_the_statement_pages_newest_first(venue: Venue, accounts: AccountService) -> None:
    ada = venue.customer()
    first = venue.deposit(ada, 1_000)
    venue.earn(ada, 40)
    accounts.top_up(CASHIER, ada, 500)
    accounts.reverse(MANAGER, first.uuid, "Rang up twice")
    page = accounts.statement(CASHIER, ada, limit=3)
    assert [(line.kind, line.amount) for line in page.lines] == [
        (EntryKind.REVERSE, -1_000),
        (EntryKind.DEPOSIT, 500),
        (EntryKind.EARN, 40),
    ]
    assert page.has_more and page.lines[0].reverses_uuid == first.uuid
    rest = accounts.statement(CASHIER, ada, offset=3, limit=3)
    assert [(line.uuid, line.reversed) for line in rest.lines] == [(first.uuid, True)]
    assert not rest.has_more
    points = accounts.statement(CASHIER, ada, account=AccountKind.POINTS)
    assert [line.amount for line in points.lines] == [40]
    with pytest.raises(ValidationError, match="Ask for 1 to 500 entries"):
        accounts.statement(CASHIER, ada, limit=0)


def test_a_manager_pays_out_no_more_than_the_purse_holds(
    venue: Venue, accounts: AccountService
) -> None:
    ada = venue.customer(credit_limit_minor=5_000)
    venue.deposit(ada, 1_500)
    with pytest.raises(PermissionDeniedError, match="may not adjust or reverse"):
        accounts.withdraw(CASHIER, ada, 500)
    with pytest.raises(ConflictError) as refused:
        accounts.withdraw(MANAGER, ada, 2_000, "leaving town")
    assert str(refused.value) == (
        "Ada Lovelace's purse holds 15.00 GBP; 20.00 GBP cannot be paid out"
    )
    change = accounts.withdraw(MANAGER, ada, 1_500, "leaving town")
    assert change.entry is not None
    assert (change.entry.kind, change.entry.amount) == (EntryKind.WITHDRAW, -1_500)
    assert change.entry.reason == "refund by cash: leaving town"
    assert change.summary.purse_minor == 0  # credit is for tabs, not for cash out
    assert venue.audit()[-1][0] == "ledger.purse_withdrawn"
    assert venue.count("outbox", kind="ledger.entry") == 1


def test_messages_follow_the_currency_exponent(venue: Venue) -> None:
    yen = venue.with_settings(currency=currency("JPY"))
    accounts = AccountService(yen.uow, yen.settings, yen.clock)
    ada = venue.customer()
    venue.deposit(ada, 1_200)
    with pytest.raises(ConflictError, match="holds 1,200 JPY; 5,000 JPY cannot be paid out"):
        accounts.withdraw(MANAGER, ada, 5_000)


def test_adjustments_need_a_manager_and_a_reason(venue: Venue, accounts: AccountService) -> None:
    ada = venue.customer()
    venue.earn(ada, 100)
    with pytest.raises(PermissionDeniedError):
        accounts.adjust(CASHIER, ada, AccountKind.POINTS, 50, "goodwill")
    with pytest.raises(ValidationError, match="Say why the balance is adjusted"):
        accounts.adjust(MANAGER, ada, AccountKind.POINTS, 50, "   ")
    with pytest.raises(ConflictError, match="Only 100 points available; 150 asked"):
        accounts.adjust(MANAGER, ada, AccountKind.POINTS, -150, "typo")
    change = accounts.adjust(MANAGER, ada, AccountKind.POINTS, 50, "Birthday goodwill")
    assert change.summary.points == 150
    action, _, summary = venue.audit()[-1]
    assert action == "ledger.adjusted"
    assert (
        summary == "Ada Lovelace: points adjusted by +50 points (Birthday goodwill); points now 150"
    )


def test_the_purse_may_go_below_zero_down_to_the_credit_limit(
    venue: Venue, accounts: AccountService
) -> None:
    ada = venue.customer()
    with pytest.raises(ConflictError, match=r"The purse holds 0\.00; 30\.00 asked"):
        accounts.adjust(MANAGER, ada, AccountKind.PURSE, -3_000, "bar bill")
    change = accounts.set_limits(MANAGER, ada, credit_limit_minor=5_000, tab_limit_minor=20_000)
    assert (change.summary.credit_limit_minor, change.summary.tab_limit_minor) == (5_000, 20_000)
    assert change.summary.purse_available_minor == 5_000
    assert venue.audit()[-1][0] == "customer.limits_changed"
    assert venue.audit()[-1][2] == (
        "Ada Lovelace: credit none → 50.00 GBP; tab limit none → 200.00 GBP"
    )
    after = accounts.adjust(MANAGER, ada, AccountKind.PURSE, -3_000, "bar bill")
    assert (after.summary.purse_minor, after.summary.purse_available_minor) == (-3_000, 2_000)
    with pytest.raises(ConflictError, match=r"is 10\.00 over the limit"):
        accounts.adjust(MANAGER, ada, AccountKind.PURSE, -3_000, "another bar bill")


def test_limits_are_checked_and_an_unchanged_form_writes_nothing(
    venue: Venue, accounts: AccountService
) -> None:
    ada = venue.customer(credit_limit_minor=1_000)
    with pytest.raises(PermissionDeniedError):
        accounts.set_limits(CASHIER, ada, credit_limit_minor=None, tab_limit_minor=None)
    with pytest.raises(ValidationError, match="A credit limit cannot be below zero"):
        accounts.set_limits(MANAGER, ada, credit_limit_minor=-1, tab_limit_minor=None)
    with pytest.raises(ValidationError, match="A tab limit must be above zero"):
        accounts.set_limits(MANAGER, ada, credit_limit_minor=1_000, tab_limit_minor=0)
    same = accounts.set_limits(MANAGER, ada, credit_limit_minor=1_000, tab_limit_minor=None)
    assert not same.changes.accounts and venue.count("audit_log") == 0
    cut = accounts.set_limits(MANAGER, ada, credit_limit_minor=0, tab_limit_minor=None)
    assert cut.summary.credit_limit_minor is None  # 0 is no credit
    [row] = venue.rows("customers", id=ada)
    assert (row["credit_limit_minor"], row["updated_by"]) == (None, "Maria Manager")


def test_expiring_points_takes_the_balance_or_part_of_it(
    venue: Venue, accounts: AccountService
) -> None:
    ada = venue.customer()
    venue.earn(ada, 300)
    part = accounts.expire_points(MANAGER, ada, 100)
    assert part.summary.points == 200
    assert part.summary.lifetime_points == 300  # expiry never lowers the tier
    rest = accounts.expire_points(MANAGER, ada, reason="12 months without a visit")
    assert rest.entry is not None and rest.entry.amount == -200
    assert rest.entry.reason == "expired: 12 months without a visit"
    with pytest.raises(ConflictError, match="Ada Lovelace has no points to expire"):
        accounts.expire_points(MANAGER, ada)
    assert venue.audit()[-1][0] == "ledger.points_expired"


def test_a_merged_customer_has_no_accounts_to_write_to(
    venue: Venue, accounts: AccountService
) -> None:
    ada, twin = venue.customer(), venue.customer("Ada L.")
    MergeService(venue.uow, venue.clock).merge(MANAGER, ada, twin)
    with pytest.raises(ConflictError, match=r"Ada L\. was merged into Ada Lovelace"):
        accounts.top_up(CASHIER, twin, 1_000)
