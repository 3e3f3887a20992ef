"""A card nobody holds, swiped at the till: enrolled on a customer (managers only), or handed
to a customer signed up on the spot (anyone who may sign customers up)."""

from __future__ import annotations

import pytest

from app.domain.errors import PermissionDeniedError, ValidationError
from app.domain.identifiers import IdentifierKind
from app.services.cards import SwipedCard
from app.services.customer_form import CustomerForm
from app.services.identification import Recognised, Unknown
from tests.support.directory import CASHIER, MANAGER, Directory

MAG = IdentifierKind.MAGNETIC_CARD
SWIPED = SwipedCard(MAG, "6391000012345678", "Club card")


def _emily(store: Directory) -> int:
    return store.directory.create(
        MANAGER, CustomerForm(first_name="Emily", last_name="Roberts")
    ).record.id


def test_a_manager_enrols_an_unknown_card_and_the_next_swipe_is_recognised(
    store: Directory,
) -> None:
    emily = _emily(store)
    assert isinstance(store.identification.identify(CASHIER, MAG, SWIPED.value), Unknown)
    view = store.identifiers.enrol(MANAGER, emily, SWIPED)
    assert (view.kind, view.value, view.label) == (MAG, SWIPED.value, "Club card")
    outcome = store.identification.identify(CASHIER, MAG, SWIPED.value)
    assert isinstance(outcome, Recognised)
    assert outcome.card.customer_id == emily
    assert store.audit_actions()[-1] == "identifier.added"


def test_the_service_refuses_a_cashier_who_tries_to_enrol(store: Directory) -> None:
    emily = _emily(store)
    audited = store.audit_actions()
    with pytest.raises(PermissionDeniedError):
        store.identifiers.enrol(CASHIER, emily, SWIPED)
    assert store.count("identifiers") == 0
    assert store.audit_actions() == audited
    assert store.identification.identify(CASHIER, MAG, SWIPED.value) == Unknown(
        MAG, SWIPED.value, False
    )


def test_a_cashier_signs_a_customer_up_with_the_card_just_swiped(store: Directory) -> None:
    saved = store.directory.create(
        CASHIER, CustomerForm(first_name="Tom", last_name="Hale"), SWIPED
    )
    assert [(c.kind, c.value, c.label) for c in saved.record.identifiers] == [
        (MAG, SWIPED.value, "Club card")
    ]
    outcome = store.identification.identify(CASHIER, MAG, SWIPED.value)
    assert isinstance(outcome, Recognised) and outcome.card.customer_id == saved.record.id
    assert store.audit_actions()[-2:] == ["customer.created", "identifier.added"]


def test_signing_up_with_a_card_someone_holds_saves_nothing(store: Directory) -> None:
    emily = _emily(store)
    store.identifiers.enrol(MANAGER, emily, SWIPED)
    customers = store.count("customers")
    with pytest.raises(ValidationError, match="already belongs to Emily Roberts"):
        store.directory.create(CASHIER, CustomerForm(first_name="Tom"), SWIPED)
    assert store.count("customers") == customers  # the customer went with the refused card


def test_a_payment_card_number_is_refused_as_a_card_for_a_new_customer(store: Directory) -> None:
    pan = "4111111111111111"
    with pytest.raises(ValidationError, match="Payment card numbers are never kept") as caught:
        store.directory.create(CASHIER, CustomerForm(first_name="Tom"), SwipedCard(MAG, pan))
    assert pan not in str(caught.value)
    assert (store.count("customers"), store.count("identifiers")) == (0, 0)


def test_a_bank_cards_keyed_hash_can_be_enrolled(store: Directory) -> None:
    emily = _emily(store)
    hashed = "PANHMAC:" + "AB" * 32  # as the stripe interpreter delivers it
    store.identifiers.enrol(MANAGER, emily, SwipedCard(MAG, hashed, "Bank card"))
    outcome = store.identification.identify(CASHIER, MAG, hashed)
    assert isinstance(outcome, Recognised) and outcome.card.customer_id == emily
