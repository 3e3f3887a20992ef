"""The identification card shows the regular's balances, tier and open tabs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.domain.customers import PhoneKind
from app.domain.identifiers import IdentifierKind
from app.domain.ledger import Origin, reverse
from app.domain.loyalty import TierLadder
from app.domain.payments import Tender
from app.domain.tabs import IdentifiedBy
from app.services.customer_form import CustomerForm, PhoneEntry
from app.services.directory import DirectoryService, VenueSettings
from app.services.dto import OpenTabRef
from app.services.identification import IdentificationService, Recognised
from app.services.identifiers import CardRequest
from tests.support.directory import CASHIER, MANAGER
from tests.support.venue import WAITER, Venue, venue_on_disk

SMART = IdentifierKind.SMART_CARD
GB = VenueSettings(default_region="GB")


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


def _regular(venue: Venue) -> tuple[int, str]:
    """Ada, on the phone book, with 1,200 points, 35.00 in her purse, a lunch already
    closed on the terrace and a tab open now at table 2 in the bar."""
    form = CustomerForm(
        first_name="Ada",
        last_name="Lovelace",
        phones=(PhoneEntry("020 7946 0000", PhoneKind.WORKING),),
    )
    ada = DirectoryService(venue.uow, GB, venue.clock).create(MANAGER, form).record.id
    venue.earn(ada, 1_200)
    venue.deposit(ada, 3_500)
    lunch = venue.tabs.open(
        WAITER, table_id=venue.table_t1, customer_id=ada, identified_by=IdentifiedBy.CARD
    )
    venue.tabs.add_item(WAITER, lunch.uuid, venue.coffee)
    venue.checkout.pay_and_close(CASHIER, lunch.uuid, [Tender.in_cash(250)])
    now = venue.tabs.open(
        WAITER, table_id=venue.table_2, customer_id=ada, identified_by=IdentifiedBy.CARD
    )
    return ada, now.uuid


def test_a_card_brings_up_balances_tier_and_open_tabs(venue: Venue) -> None:
    ada, open_tab = _regular(venue)
    venue.identifiers.issue(MANAGER, CardRequest(SMART, "04A23B11", ada))
    identification = IdentificationService(venue.uow, GB, venue.clock)

    outcome = identification.identify(CASHIER, SMART, "04A23B11")

    assert isinstance(outcome, Recognised)
    card = outcome.card
    assert (card.points, card.purse_minor, card.lifetime_points) == (1_200, 3_500, 1_200)
    assert card.tier == "Silver"
    assert card.open_tabs == (OpenTabRef(open_tab, 2, "2", "Bar"),)


def test_the_tier_follows_the_venue_ladder_and_reversed_earnings(venue: Venue) -> None:
    ada, _ = _regular(venue)
    venue.identifiers.issue(MANAGER, CardRequest(SMART, "04A23B11", ada))
    generous = TierLadder.bronze_silver_gold(silver_from=200, gold_from=1_000)
    identification = IdentificationService(venue.uow, GB, venue.clock, tiers=generous)
    first = identification.identify(CASHIER, SMART, "04A23B11")
    assert isinstance(first, Recognised) and first.card.tier == "Gold"

    with venue.uow() as uow:
        [earned] = [e for e in uow.ledger.entries(ada) if e.kind.value == "earn"]
        origin = Origin(venue.clock.now, "Till 1", MANAGER.staff_uuid)
        uow.ledger.add(reverse(earned, origin, reason="wrong customer", reversed_uuids=()))
        uow.commit()
    again = identification.identify(CASHIER, SMART, "04A23B11")
    assert isinstance(again, Recognised)
    assert (again.card.points, again.card.lifetime_points, again.card.tier) == (0, 0, "Bronze")
    assert again.card.purse_minor == 3_500


def test_a_caller_is_shown_with_balances_and_open_tabs(venue: Venue) -> None:
    ada, open_tab = _regular(venue)
    caller = IdentificationService(venue.uow, GB, venue.clock).caller(CASHIER, "02079460000", None)
    [card] = caller.customers
    assert (card.customer_id, card.purse_minor, card.tier) == (ada, 3_500, "Silver")
    assert [t.uuid for t in card.open_tabs] == [open_tab]
