"""Cards and keys: uniqueness among cards in use, re-issue, impersonal cards, PAN refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from app.domain.errors import ConflictError, PermissionDeniedError, ValidationError
from app.domain.identifiers import IdentifierKind, IdentifierStatus
from app.services.customer_form import CustomerForm
from app.services.identifiers import CardRequest
from tests.support.directory import CASHIER, MANAGER, Directory

SMART = IdentifierKind.SMART_CARD
MAG = IdentifierKind.MAGNETIC_CARD


def _emily(store: Directory) -> int:
    return store.directory.create(
        MANAGER, CustomerForm(first_name="Emily", last_name="Roberts")
    ).record.id


def test_issue_normalises_and_lookup_finds_the_owner(store: Directory) -> None:
    emily = _emily(store)
    view = store.identifiers.issue(MANAGER, CardRequest(SMART, "04:a2:3b:11", emily))
    assert view.value == "04A23B11"
    hit = store.identifiers.lookup(SMART, "04 A2 3B 11")
    assert hit is not None
    assert (hit.customer_id, hit.customer_name, hit.status) == (
        emily,
        "Emily Roberts",
        IdentifierStatus.ACTIVE,
    )
    assert store.identifiers.lookup(SMART, "04A23B12") is None


def test_a_value_in_use_cannot_be_issued_twice(store: Directory) -> None:
    emily = _emily(store)
    store.identifiers.issue(MANAGER, CardRequest(SMART, "04A23B11", emily))
    tom = store.directory.create(MANAGER, CustomerForm(first_name="Tom")).record.id
    with pytest.raises(ValidationError) as caught:
        store.identifiers.issue(MANAGER, CardRequest(SMART, "04a23b11", tom))
    assert str(caught.value) == (
        "Smart card or contactless key 04A23B11 already belongs to Emily Roberts (active); "
        "that card is active."
    )
    # The same value of another kind is another identifier.
    store.identifiers.issue(MANAGER, CardRequest(IdentifierKind.BARCODE_CARD, "04A23B11", tom))


def test_reissue_keeps_the_customer_and_reserves_the_lost_value(store: Directory) -> None:
    emily = _emily(store)
    lost = store.identifiers.issue(MANAGER, CardRequest(SMART, "04A23B11", emily))
    new = store.identifiers.reissue(MANAGER, lost.id, "04A23B99")
    with store.uow() as uow:
        old, fresh = uow.identifiers.get(lost.id), uow.identifiers.get(new.id)
        assert old is not None and fresh is not None
        assert old.status is IdentifierStatus.LOST
        assert (fresh.customer_id, fresh.replaces_id) == (emily, lost.id)
    lost_hit = store.identifiers.lookup(SMART, "04A23B11")
    assert lost_hit is not None and lost_hit.status is IdentifierStatus.LOST
    with pytest.raises(ValidationError, match="that card is lost"):
        store.identifiers.issue(MANAGER, CardRequest(SMART, "04A23B11", emily))


def test_an_expired_card_frees_its_value(store: Directory) -> None:
    emily = _emily(store)
    card = store.identifiers.issue(MANAGER, CardRequest(MAG, "LOYAL-0001", emily))
    store.identifiers.set_status(MANAGER, card.id, IdentifierStatus.EXPIRED)
    again = store.identifiers.issue(MANAGER, CardRequest(MAG, "loyal-0001", emily))
    assert again.id != card.id
    with pytest.raises(ConflictError, match="issued again"):
        store.identifiers.set_status(MANAGER, card.id, IdentifierStatus.ACTIVE)


def test_impersonal_card_needs_a_promotion_category(store: Directory) -> None:
    with pytest.raises(ValidationError, match="impersonal card needs a promotion category"):
        store.identifiers.issue(MANAGER, CardRequest(SMART, "AABBCCDD"))
    vip = store.identifiers.issue(
        MANAGER,
        CardRequest(SMART, "AABBCCDD", promotion_category_id=store.gold_id, label="VIP table"),
    )
    hit = store.identifiers.lookup(SMART, "aabbccdd")
    assert hit is not None
    assert (hit.customer_id, hit.promotion_category_id) == (None, store.gold_id)
    assert vip.label == "VIP table"


def test_card_inherits_the_customers_category_unless_it_has_its_own(store: Directory) -> None:
    emily = store.directory.create(
        MANAGER, CustomerForm(first_name="Emily", promotion_category_id=store.gold_id)
    ).record.id
    store.identifiers.issue(MANAGER, CardRequest(SMART, "01020304", emily))
    hit = store.identifiers.lookup(SMART, "01020304")
    assert hit is not None and hit.promotion_category_id == store.gold_id


def test_payment_cards_are_refused_and_never_stored_or_logged(store: Directory) -> None:
    emily = _emily(store)
    for swipe in (
        ";4111111111111111=29121010000000000000?",
        "%B4111111111111111^ROBERTS/EMILY^2912101?",
    ):
        with pytest.raises(ValidationError, match="Payment card numbers are never kept") as caught:
            store.identifiers.issue(MANAGER, CardRequest(MAG, swipe, emily))
        assert "4111" not in str(caught.value)
    with store.engine.connect() as connection:
        dump = "\n".join(connection.connection.driver_connection.iterdump())  # type: ignore[union-attr]
        assert "4111111111111111" not in dump
        assert connection.execute(text("select count(*) from identifiers")).scalar() == 0


def test_expiry_in_the_past_is_refused(store: Directory) -> None:
    emily = _emily(store)
    with pytest.raises(ValidationError, match="already past"):
        store.identifiers.issue(
            MANAGER,
            CardRequest(SMART, "0A0B0C0D", emily, expires_at=store.clock.now - timedelta(days=1)),
        )


def test_cashier_cannot_issue_cards(store: Directory) -> None:
    emily = _emily(store)
    with pytest.raises(PermissionDeniedError, match="issue, block or re-issue cards"):
        store.identifiers.issue(CASHIER, CardRequest(SMART, "0A0B0C0D", emily))
