"""Normalisation never raises on arbitrary text, and is stable once applied."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import ValidationError
from app.domain.identifiers import (
    IdentifierKind,
    looks_like_payment_card,
    luhn_valid,
    normalise_identifier_value,
)
from app.domain.text import clean, digits, fold
from app.services.contacts import normalise_email, normalise_phone

any_text = st.text(max_size=300)


@given(any_text)
def test_folding_and_digits_accept_anything(text: str) -> None:
    assert fold(fold(text)) == fold(text)
    assert digits(text).isdigit() or digits(text) == ""
    assert clean(clean(text)) == clean(text)


@given(st.sampled_from(list(IdentifierKind)), any_text)
def test_identifier_normalisation_refuses_only_with_a_message(
    kind: IdentifierKind, raw: str
) -> None:
    try:
        value = normalise_identifier_value(kind, raw)
    except ValidationError as error:
        assert error.problems and all(p.message for p in error.problems)
        return
    assert value
    assert normalise_identifier_value(kind, value) == value


@settings(max_examples=300)
@given(st.one_of(any_text, st.from_regex(r"\+?[0-9 ()\-]{0,20}", fullmatch=True)))
def test_phone_normalisation_refuses_only_with_a_message(raw: str) -> None:
    try:
        phone = normalise_phone(raw, "GB")
    except ValidationError as error:
        assert error.problems[0].message.startswith("Phone")
        return
    assert phone.e164.startswith("+") and phone.digits.isdigit()
    assert normalise_phone(phone.e164, "GB") == phone
    assert normalise_phone(phone.display, "US") == phone  # a + number ignores the region


@given(any_text)
def test_email_normalisation_refuses_only_with_a_message(raw: str) -> None:
    try:
        email = normalise_email(raw)
    except ValidationError as error:
        assert error.problems[0].message.startswith("E-mail")
        return
    assert normalise_email(email.address) == email


def test_phone_examples() -> None:
    assert normalise_phone("020 7946 0000", "GB").e164 == "+442079460000"
    assert normalise_phone("(212) 555-0123", "US").e164 == "+12125550123"
    assert normalise_phone("+33 1 42 68 53 00", "GB").display == "+33 1 42 68 53 00"


def test_identifier_examples() -> None:
    assert normalise_identifier_value(IdentifierKind.SMART_CARD, "0x04:a2:3b:11") == "04A23B11"
    assert normalise_identifier_value(IdentifierKind.MAGNETIC_CARD, ";1234567890?") == "1234567890"
    assert (
        normalise_identifier_value(IdentifierKind.BARCODE_CARD, " 2900 0000 1234 5 ")
        == "2900000012345"
    )
    assert normalise_identifier_value(IdentifierKind.OTHER, "  Room   12 ") == "Room 12"


def test_product_barcodes_that_pass_luhn_are_not_taken_for_payment_cards() -> None:
    ean = "4000000000006"  # a valid EAN-13 that also passes Luhn, with a Visa-like prefix
    assert looks_like_payment_card(ean)
    assert normalise_identifier_value(IdentifierKind.BARCODE_CARD, ean) == ean
    try:
        normalise_identifier_value(IdentifierKind.BARCODE_CARD, "4111111111111111")
    except ValidationError as error:
        assert "payment card" in str(error)
    else:
        raise AssertionError("a 16-digit Visa number in a barcode must be refused")


def test_payment_cards_are_recognised_but_loyalty_numbers_are_not() -> None:
    assert luhn_valid("4111111111111111")
    assert looks_like_payment_card("4111 1111 1111 1111")
    assert looks_like_payment_card(";5555555555554444=2912?")
    assert looks_like_payment_card("%B378282246310005^AMEX/TEST^2912?")
    assert not looks_like_payment_card("4111111111111112")  # fails Luhn
    assert not looks_like_payment_card("6391000012345678")  # a loyalty scheme's IIN
    assert not looks_like_payment_card("1234")
