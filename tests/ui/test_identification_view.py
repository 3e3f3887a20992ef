"""What the strip decides to show and offer for each outcome, without widgets."""

from __future__ import annotations

from datetime import UTC, datetime

from app.devices.events import (
    DeviceRejected,
    DeviceState,
    DeviceStatus,
    IdentificationEvent,
    IncomingCall,
)
from app.devices.resolution import CallIdentified, Identified
from app.domain.customers import CustomerStatus
from app.domain.identifiers import IdentifierKind
from app.services.dto import CategoryCard, CustomerCard, OpenTabRef, Restriction
from app.services.identification import Caller, ImpersonalCard, Recognised, Refused, Unknown
from app.ui.avatar import avatar_colour, initials
from app.ui.formatting import DisplayFormats
from app.ui.identification_view import StripView, strip_view

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MAG = IdentifierKind.MAGNETIC_CARD
FORMATS = DisplayFormats()


def _card(name: str, customer_id: int = 7, **extra: object) -> CustomerCard:
    fields: dict[str, object] = {
        "customer_id": customer_id,
        "full_name": name,
        "alias": None,
        "status": CustomerStatus.ACTIVE,
        "status_reason": "",
        "promotion_category": "Gold",
        "has_photo": False,
        "restrictions": (),
        "last_visit_at": None,
        "total_spent_minor": 0,
        "order_count": 0,
    }
    return CustomerCard(**(fields | extra))  # type: ignore[arg-type]


def _swiped(outcome: object, value: str = "6391", masked: str = "") -> StripView:
    event = IdentificationEvent(MAG, value, "Bar reader", NOON, masked)
    view = strip_view(Identified(event, outcome), FORMATS)  # type: ignore[arg-type]
    assert view is not None
    return view


def test_refusals_stop_and_offer_nothing() -> None:
    view = _swiped(Refused("Magnetic card reported lost. Keep it and ask a manager."))
    assert (view.style, view.customer_id, view.enrol, view.signup) == ("stop", None, None, None)
    assert view.face is None


def test_an_impersonal_card_names_its_category_and_tab_limit() -> None:
    view = _swiped(ImpersonalCard(CategoryCard(3, "VIP table", 50_000)))
    assert (view.headline, view.details) == ("VIP table card (no customer)", "Tab limit £500.00")
    assert view.enrol is None and view.customer_id is None


def test_allergies_are_the_alert_diets_the_details_and_the_alias_is_shown() -> None:
    card = _card(
        "Emily Roberts",
        alias="em",
        restrictions=(
            Restriction("diet", "vegan", None),
            Restriction("allergy", "sesame", "severe"),
            Restriction("intolerance", "lactose", None),
        ),
        last_visit_at=NOON,
    )
    view = _swiped(Recognised(card, None))
    assert view.headline == "Emily Roberts (@em)"
    assert view.alert == "⚠ Allergy: sesame (severe) · Intolerance: lactose"
    assert view.details.startswith("Active · Gold · Diet: vegan · Last visit 23 Nov 2026")
    assert (view.face, view.customer_id, view.style) == ("Emily Roberts", 7, "ok")


def test_an_unknown_bank_card_never_shows_its_hash_and_is_labelled_without_digits() -> None:
    hashed = "PANHMAC:" + "0F" * 32
    view = _swiped(Unknown(MAG, hashed, True), hashed, masked="411111******1111")
    assert view.headline == "Unknown magnetic card 411111******1111"
    assert view.enrol is not None and view.enrol.shown == "411111******1111"
    assert view.enrol.card.label == "Bank card" and view.enrol.card.value == hashed
    unmasked = _swiped(Unknown(MAG, hashed, True), hashed)
    assert "PANHMAC" not in unmasked.headline and "(bank card)" in unmasked.headline


def test_several_customers_on_one_number_are_searched_for() -> None:
    caller = Caller("+442079460000", "+44 20 7946 0000", None, (_card("A B", 1), _card("C D", 2)))
    call = IncomingCall("02079460000", None, None, "Phone line", NOON)
    view = strip_view(CallIdentified(call, caller), FORMATS)
    assert view is not None and view.headline == "☎ +44 20 7946 0000: A B, C D"
    assert (view.search, view.customer_id, view.signup) == ("+442079460000", None, None)


def test_rejections_are_shown_and_statuses_are_not() -> None:
    rejected = strip_view(DeviceRejected("Bar reader", "Swipe again, steadily.", NOON), FORMATS)
    assert rejected is not None and rejected.headline == "Bar reader: Swipe again, steadily."
    status = DeviceStatus("Bar reader", DeviceState.CONNECTED, "Listening", NOON)
    assert strip_view(status, FORMATS) is None


def test_initials_and_their_colour_are_stable() -> None:
    assert [initials(n) for n in ("Emily Roberts", "cher", "@em", "", "Mary Ann de la Cruz")] == [
        "ER",
        "C",
        "E",
        "?",
        "MC",
    ]
    assert avatar_colour("Emily Roberts") == avatar_colour("emily roberts")


def test_tier_balances_and_open_tabs_follow_the_last_visit() -> None:
    tabs = (OpenTabRef("u1", 12, "4", "Terrace"), OpenTabRef("u2", 15, None, "Bar"))
    card = _card("Tom Hale", tier="Silver", points=1250, purse_minor=500, open_tabs=tabs)
    view = _swiped(Recognised(card, None))
    assert view.details == (
        "Active · Gold · First visit · Silver tier · 1,250 points · Purse £5.00"
        " · Open tabs 12 (table 4), 15"
    )
    quiet = _swiped(Recognised(_card("Ann"), None))
    assert quiet.details == "Active · Gold · First visit"
