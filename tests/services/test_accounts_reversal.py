"""Reversing a ledger entry: once, with a reason, even when two tills race for it."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any, Self

import pytest

from app.domain.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from app.domain.ledger import EntryKind, Origin, deposit, reverse
from app.services.accounts import AccountService
from app.services.tab_ports import AlreadyReversedError
from app.store.database import create_session_factory
from app.store.unit_of_work import SqlUnitOfWork
from tests.support.directory import CASHIER, MANAGER
from tests.support.venue import Venue, venue_on_disk


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


@pytest.fixture
def accounts(venue: Venue) -> AccountService:
    return AccountService(venue.uow, venue.settings, venue.clock)


class _StaleLedger:
    """A ledger that has not yet seen the other till's reversal."""

    def __init__(self, ledger: Any) -> None:
        self._ledger = ledger

    def reversed_uuids(self, entry_uuids: Collection[str]) -> frozenset[str]:
        return frozenset()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ledger, name)


class _StaleUnitOfWork(SqlUnitOfWork):
    def __enter__(self) -> Self:
        super().__enter__()
        self.ledger = _StaleLedger(self.ledger)
        return self


def test_a_reversal_undoes_the_entry_exactly_and_is_audited(
    venue: Venue, accounts: AccountService
) -> None:
    ada = venue.customer()
    top_up = venue.deposit(ada, 2_000)
    with pytest.raises(PermissionDeniedError):
        accounts.reverse(CASHIER, top_up.uuid, "typo")
    with pytest.raises(ValidationError, match="Say why the entry is reversed"):
        accounts.reverse(MANAGER, top_up.uuid, "")
    change = accounts.reverse(MANAGER, top_up.uuid, "Card payment failed")
    assert change.entry is not None
    assert (change.entry.kind, change.entry.amount) == (EntryKind.REVERSE, -2_000)
    assert change.entry.reverses_uuid == top_up.uuid
    assert change.summary.purse_minor == 0
    action, _, summary = venue.audit()[-1]
    assert action == "ledger.reversed"
    assert summary == (
        "Ada Lovelace: reversed the deposit of 20.00 GBP on 23 Nov 2026 12:00 "
        "(Card payment failed); purse now 0.00 GBP"
    )
    assert venue.count("outbox", kind="ledger.entry", entity_uuid=change.entry.uuid) == 1


def test_a_reversed_earning_no_longer_counts_towards_the_tier(
    venue: Venue, accounts: AccountService
) -> None:
    ada = venue.customer()
    venue.earn(ada, 600)
    venue.earn(ada, 500)
    assert accounts.summary(CASHIER, ada).tier == "Silver"
    [latest, _] = accounts.statement(CASHIER, ada).lines
    after = accounts.reverse(MANAGER, latest.uuid, "Wrong customer").summary
    assert (after.points, after.lifetime_points, after.tier) == (600, 600, "Bronze")


def test_an_entry_is_reversed_once_and_a_reversal_never(
    venue: Venue, accounts: AccountService
) -> None:
    ada = venue.customer()
    top_up = venue.deposit(ada, 2_000)
    undo = accounts.reverse(MANAGER, top_up.uuid, "Rang up twice").entry
    assert undo is not None
    with pytest.raises(ConflictError) as twice:
        accounts.reverse(MANAGER, top_up.uuid, "Rang up twice")
    assert str(twice.value) == (
        "The deposit of 20.00 GBP on 23 Nov 2026 12:00 was already reversed; "
        "an entry is reversed once"
    )
    with pytest.raises(ConflictError, match="A reversal cannot itself be reversed"):
        accounts.reverse(MANAGER, undo.uuid, "Changed my mind")
    with pytest.raises(NotFoundError, match="not in this store"):
        accounts.reverse(MANAGER, "0190d1e2-0000-7000-8000-000000000000", "Gone")
    assert venue.balances(ada).purse_minor == 0


def test_a_second_till_racing_to_reverse_gets_words_not_an_integrity_error(
    venue: Venue, accounts: AccountService
) -> None:
    ada = venue.customer()
    top_up = venue.deposit(ada, 2_000)
    accounts.reverse(MANAGER, top_up.uuid, "Rang up twice")  # the first till
    sessions = create_session_factory(venue.engine)
    other_till = AccountService(lambda: _StaleUnitOfWork(sessions), venue.settings, venue.clock)
    outbox = venue.count("outbox")
    with pytest.raises(ConflictError, match=r"The deposit of 20\.00 GBP .* was already reversed"):
        other_till.reverse(MANAGER, top_up.uuid, "Rang up twice")
    assert venue.count("ledger_entries", kind="reverse") == 1
    assert (venue.count("outbox"), venue.balances(ada).purse_minor) == (outbox, 0)


def test_the_store_refuses_a_second_reversal_and_stays_usable(
    venue: Venue, accounts: AccountService
) -> None:
    ada = venue.customer()
    top_up = venue.deposit(ada, 2_000)
    accounts.reverse(MANAGER, top_up.uuid, "Rang up twice")
    origin = Origin(venue.clock.now, "Till 2", MANAGER.staff_uuid)
    with venue.uow() as uow:
        again = reverse(top_up, origin, reason="again", reversed_uuids=())
        with pytest.raises(AlreadyReversedError):
            uow.ledger.add(again)
        uow.ledger.add(deposit(ada, 500, origin))  # the transaction goes on
        uow.commit()
    assert venue.balances(ada).purse_minor == 500
