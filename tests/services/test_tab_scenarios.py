"""Evenings from real venues, with every figure worked out by hand in the comments."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from app.domain.customers import CustomerKind
from app.domain.errors import ConflictError, PermissionDeniedError
from app.domain.loyalty import TierLadder
from app.domain.payments import Tender
from app.domain.promotions import Composition, RuleKind
from app.domain.tabs import IdentifiedBy
from tests.support.directory import CASHIER, MANAGER
from tests.support.venue import WAITER, Venue, rule, venue_on_disk


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


def _birthday_evening(venue: Venue) -> tuple[Venue, str]:
    """Ada, three days before her birthday, at the cocktail bar's happy hour, where the
    table is handed the house VIP card (an impersonal card of the VIP category)."""
    members = venue.category(
        "Members",
        [
            rule(
                "Birthday treat",
                RuleKind.BIRTHDAY_REWARD,
                percent=Decimal("15"),
                bonus_points=200,
                birthday_days=3,
            )
        ],
        priority=1,
    )
    with venue.uow() as uow:
        members_uuid = uow.catalogue.promotion_category(members).uuid  # type: ignore[union-attr]
    # The Members category comes with the Bronze tier, which every customer holds.
    venue = venue.with_settings(
        venue_composition=Composition.SEQUENTIAL,
        venue_max_percent=Decimal("35"),
        tiers=TierLadder.bronze_silver_gold(categories={"Bronze": members_uuid}),
    )
    cocktails = venue.division("Cocktail bar", venue.happy_hour)
    stool = venue.table(cocktails, "C1")
    ada = venue.customer(date_of_birth=date(1990, 7, 12))
    vip_card = venue.impersonal_card("0A1B2C3D", venue.vip)
    # Friday 10 July, 16:30 UTC: 17:30 in London (summer time), inside 17:00-19:00;
    # read as UTC it would be outside, so the happy hour proves the venue's clock is used.
    venue.clock.now = datetime(2026, 7, 10, 16, 30, tzinfo=UTC)
    tab = venue.tabs.open(WAITER, table_id=stool, customer_id=ada, identified_by=IdentifiedBy.PHONE)
    venue.tabs.present_card(WAITER, tab.uuid, vip_card)
    venue.tabs.add_item(WAITER, tab.uuid, venue.beer, 4)
    venue.tabs.add_item(WAITER, tab.uuid, venue.burger)
    venue.tabs.add_item(WAITER, tab.uuid, venue.gift_card)
    return venue, tab.uuid


def test_happy_hour_a_vip_and_a_birthday_stack_in_sequence_under_the_venue_cap(
    venue: Venue,
) -> None:
    venue, tab_uuid = _birthday_evening(venue)
    tab = venue.tabs.view(WAITER, tab_uuid)

    # Categories in priority order: VIP (10, the card's), Happy hour (5, the division's),
    # Members (1, Ada's tier's); the venue
    # composes them in sequence, each on what the one before left, capped at 35 %.
    # Ales, 4 × 5.00 = 20.00: VIP 10 % = 2.00, leaves 18.00; happy hour 20 % = 3.60,
    #   leaves 14.40; birthday 15 % = 2.16 makes 7.76 off, over the cap of 35 % × 20.00
    #   = 7.00, so the birthday is cut to 1.40. Net 13.00.
    # Burger 15.00: VIP 1.50, leaves 13.50; no happy hour on food; birthday 15 % of
    #   13.50 = 2.025, half up 2.03. 3.53 off, under the cap (5.25). Net 11.47.
    # Gift card 25.00: not discountable.
    assert [(ln.name, ln.discount_minor, ln.net_minor) for ln in tab.lines] == [
        ("Pale ale", 700, 1300),
        ("Burger", 353, 1147),
        ("Gift card", 0, 2500),
    ]
    # 60.00 - 10.53 = 49.47; VAT 20 % included in 13.00 + 11.47 = 24.47: 24.47 / 6 = 4.078,
    # 4.08; the gift card carries no VAT.
    assert (tab.gross_minor, tab.discount_minor, tab.total_minor, tab.tax_minor) == (
        6000,
        1053,
        4947,
        408,
    )
    # Points: VIP's 1 per 1.00 of net, floored: 13 + 11 (the gift card earns none),
    # and 200 for the birthday.
    assert ([ln.points for ln in tab.lines], tab.points_to_earn) == ([13, 11, 0], 224)
    assert tab.lines[0].why == (
        "VIP 10 %: −10 % on Pale ale (VIP)",
        "Happy hour drinks: −20 % on Pale ale (Happy hour, on what was left)",
        "Birthday treat: −15 % on Pale ale for the birthday "
        "(Members, on what was left, capped at 35 % by the venue)",
        "VIP points: 1 point per 1.00 GBP on Pale ale = 13 points (VIP)",
    )
    assert tab.bonus_why == ("Birthday treat: 200 bonus points for the birthday (Members)",)

    # The same tab under a venue that takes the best category per line and no cap:
    # ales: best of 2.00, 4.00 (happy hour), 3.00 = 4.00; burger: best of 1.50 and
    # 2.25 (birthday, 15 % of 15.00) = 2.25. 60.00 - 6.25 = 53.75.
    best_of = venue.with_settings(venue_composition=Composition.BEST_OF, venue_max_percent=None)
    assert best_of.tabs.view(WAITER, tab_uuid).total_minor == 5375

    closed = venue.checkout.pay_and_close(CASHIER, tab_uuid, [Tender.by_card(4947)])
    customer = closed.customer_id
    assert customer is not None
    assert (closed.paid_minor, venue.balances(customer).points) == (4947, 224)
    [earned] = venue.rows("ledger_entries")
    assert (earned["kind"], earned["amount"], earned["tab_uuid"]) == ("earn", 224, tab_uuid)


def test_the_ales_keep_happy_hour_after_it_ends_and_a_later_round_does_not_get_it(
    venue: Venue,
) -> None:
    venue, tab_uuid = _birthday_evening(venue)
    venue.clock.now = datetime(2026, 7, 10, 18, 5, tzinfo=UTC)  # 19:05 in London
    tab = venue.tabs.add_item(WAITER, tab_uuid, venue.beer, 4)
    # The first ales (17:30) are priced as in happy hour, 7.00 off (see above). The new
    # round, 19:05: VIP 2.00, leaves 18.00; no happy hour; birthday 15 % = 2.70; 4.70
    # off, under the cap (7.00). Net 15.30.
    assert [ln.discount_minor for ln in tab.lines] == [700, 353, 0, 470]
    assert tab.total_minor == 8000 - 700 - 353 - 470


def test_an_organisations_tab_limit_is_reached_mid_order(venue: Venue) -> None:
    corporate = venue.category(
        "Corporate account",
        [rule("Corporate 5 %", RuleKind.PERCENT_DISCOUNT, percent=Decimal("5"))],
        tab_limit_minor=8_000,
    )
    # The firm's own limit, 60.00, is tighter than its category's 80.00.
    acme = venue.customer(
        "Acme Ltd",
        CustomerKind.ORGANISATION,
        promotion_category_id=corporate,
        tab_limit_minor=6_000,
    )
    tab = venue.tabs.open(
        WAITER,
        table_id=venue.table_1,
        guests=4,
        customer_id=acme,
        identified_by=IdentifiedBy.SEARCH,
    )
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.burger, 3)
    # 45.00 - 5 % (2.25) = 42.75; 60.00 - 42.75 = 17.25 left.
    assert (tab.total_minor, tab.limit_minor, tab.headroom_minor) == (4275, 6000, 1725)
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.burger)
    # 15.00 - 0.75 = 14.25 more: 57.00, 3.00 left.
    assert (tab.total_minor, tab.headroom_minor) == (5700, 300)

    before = venue.counts()
    with pytest.raises(ConflictError) as refused:
        venue.tabs.add_item(WAITER, tab.uuid, venue.beer, 2)
    # 2 ales, 10.00 - 0.50 = 9.50, would make 66.50.
    assert str(refused.value) == (
        "This line takes the tab to 66.50, over its 60.00 limit; a manager can override"
    )
    assert venue.counts() == before
    with pytest.raises(PermissionDeniedError) as denied:
        venue.tabs.override_limit(WAITER, tab.uuid, "regulars")
    assert str(denied.value) == (
        "Wendy Waiter (waiter) may not let a tab go over its limit; ask a manager."
    )

    tab = venue.tabs.override_limit(MANAGER, tab.uuid, "client lunch, approved by phone")
    assert venue.audit() == [
        (
            "tab.limit_overridden",
            "Maria Manager",
            "Tab 1 may go over its limit: client lunch, approved by phone",
        )
    ]
    tab = venue.tabs.add_item(WAITER, tab.uuid, venue.beer, 2)
    assert (tab.total_minor, tab.headroom_minor, tab.limit_override_by) == (
        6650,
        -650,
        MANAGER.staff_uuid,
    )
    assert [(ln.name, ln.quantity) for ln in tab.lines][-1] == ("Pale ale", 2)
