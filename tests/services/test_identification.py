"""Every outcome of a swipe or a ring: recognised, impersonal, refused, unknown, caller."""

from __future__ import annotations

from datetime import timedelta

from app.domain.customers import CustomerStatus, DietaryKind, PhoneKind, Severity
from app.domain.identifiers import IdentifierKind, IdentifierStatus
from app.services.customer_form import CustomerForm, PhoneEntry, RestrictionEntry
from app.services.identification import ImpersonalCard, Recognised, Refused, Unknown
from app.services.identifiers import CardRequest
from tests.support.directory import CASHIER, MANAGER, Directory

SMART = IdentifierKind.SMART_CARD


def _emily(store: Directory, **extra: object) -> int:
    form = CustomerForm(
        first_name="Emily",
        last_name="Roberts",
        promotion_category_id=store.gold_id,
        phones=(PhoneEntry("020 7946 0000", PhoneKind.WORKING),),
        restrictions=(RestrictionEntry(DietaryKind.ALLERGY, "peanuts", Severity.ANAPHYLACTIC),),
        **extra,  # type: ignore[arg-type]
    )
    return store.directory.create(MANAGER, form).record.id


def test_a_customer_card_brings_up_the_customer(store: Directory) -> None:
    emily = _emily(store)
    store.identifiers.issue(MANAGER, CardRequest(SMART, "04A23B11", emily))
    outcome = store.identification.identify(CASHIER, SMART, "04A23B11")
    assert isinstance(outcome, Recognised)
    card = outcome.card
    assert (card.customer_id, card.full_name, card.promotion_category) == (
        emily,
        "Emily Roberts",
        "Gold",
    )
    assert [(r.name, r.severity) for r in card.restrictions] == [("peanuts", "anaphylactic")]
    assert outcome.category is not None and outcome.category.name == "Gold"
    assert outcome.warning == ""


def test_an_impersonal_card_brings_its_category(store: Directory) -> None:
    store.identifiers.issue(
        MANAGER, CardRequest(SMART, "AABBCCDD", promotion_category_id=store.gold_id)
    )
    outcome = store.identification.identify(CASHIER, SMART, "AABBCCDD")
    assert isinstance(outcome, ImpersonalCard)
    assert (outcome.category.name, outcome.category.tab_limit_minor) == ("Gold", 50_000)


def test_unknown_cards_offer_enrolment_to_managers_only(store: Directory) -> None:
    assert store.identification.identify(MANAGER, SMART, "0102") == Unknown(SMART, "0102", True)
    assert store.identification.identify(CASHIER, SMART, "0102") == Unknown(SMART, "0102", False)


def test_lost_blocked_and_expired_cards_are_refused(store: Directory) -> None:
    emily = _emily(store)
    lost = store.identifiers.issue(MANAGER, CardRequest(SMART, "01010101", emily))
    store.identifiers.set_status(MANAGER, lost.id, IdentifierStatus.LOST)
    blocked = store.identifiers.issue(MANAGER, CardRequest(SMART, "02020202", emily))
    store.identifiers.set_status(MANAGER, blocked.id, IdentifierStatus.BLOCKED)
    store.identifiers.issue(
        MANAGER,
        CardRequest(SMART, "03030303", emily, expires_at=store.clock.now + timedelta(days=1)),
    )
    store.clock.now += timedelta(days=2)
    reasons = [
        store.identification.identify(CASHIER, SMART, v)
        for v in ("01010101", "02020202", "03030303")
    ]
    assert all(isinstance(r, Refused) for r in reasons)
    assert [r.reason.split(".")[0] for r in reasons if isinstance(r, Refused)] == [
        "Smart card or contactless key reported lost",
        "Smart card or contactless key is blocked",
        "Smart card or contactless key has expired",
    ]


def test_inactive_customers_are_recognised_with_a_warning_blocked_ones_refused(
    store: Directory,
) -> None:
    emily = _emily(store)
    store.identifiers.issue(MANAGER, CardRequest(SMART, "04A23B11", emily))
    store.directory.set_status(MANAGER, emily, CustomerStatus.INACTIVE, "Moved away")
    outcome = store.identification.identify(CASHIER, SMART, "04A23B11")
    assert isinstance(outcome, Recognised)
    assert outcome.warning == "Emily Roberts is inactive: Moved away."
    store.directory.set_status(MANAGER, emily, CustomerStatus.BLOCKED, "Unpaid tab")
    assert store.identification.identify(CASHIER, SMART, "04A23B11") == Refused(
        "Emily Roberts is blocked: Unpaid tab."
    )


def test_a_caller_is_matched_on_every_phone_and_shown_when_unknown(store: Directory) -> None:
    emily = _emily(store)
    tom = store.directory.create(
        MANAGER,
        CustomerForm(
            first_name="Tom",
            phones=(PhoneEntry("07911 123456"), PhoneEntry("+442079460000", PhoneKind.PERSONAL)),
        ),
    ).record.id
    caller = store.identification.caller(CASHIER, "02079460000", "ROBERTS E")
    assert caller.number == "+442079460000"
    assert caller.shown_as == "+44 20 7946 0000"
    assert [c.customer_id for c in caller.customers] == [emily, tom]
    stranger = store.identification.caller(CASHIER, "0161 496 0000", None)
    assert (stranger.shown_as, stranger.customers) == ("+44 161 496 0000", ())
    withheld = store.identification.caller(CASHIER, None, None)
    assert withheld.shown_as == "Withheld"
    garbled = store.identification.caller(CASHIER, "12", "X")
    assert (garbled.number, garbled.shown_as) == (None, "12")
