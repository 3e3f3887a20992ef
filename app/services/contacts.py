"""Phone numbers and e-mail addresses: parsed, checked offline and normalised."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from app.domain.errors import ValidationError
from app.domain.text import clean

MAX_INPUT = 254


@dataclass(frozen=True, slots=True)
class NormalisedPhone:
    e164: str  # "+442079460000"
    display: str  # "+44 20 7946 0000"

    @property
    def digits(self) -> str:
        return self.e164.lstrip("+")


def normalise_phone(raw: str, default_region: str, field: str = "phone") -> NormalisedPhone:
    """Parse a phone number as typed at the till, in the venue's region unless it has a +.

    Never raises anything but ValidationError, whatever text it is given.
    """
    text = clean(raw)[:MAX_INPUT]
    if not text:
        raise ValidationError.single(field, "Phone: the number is empty.")
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise ValidationError.single(
            field, f"Phone '{text[:40]}' is not a phone number we can read."
        ) from None
    if not phonenumbers.is_valid_number(number):
        region = phonenumbers.region_code_for_number(number) or default_region
        raise ValidationError.single(
            field, f"Phone '{text[:40]}' is not a valid number for {region}; check the digits."
        )
    return NormalisedPhone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        display=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
    )


def display_phone(e164: str) -> str:
    """``+442079460000`` as ``+44 20 7946 0000``; unparseable text comes back unchanged."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@dataclass(frozen=True, slots=True)
class NormalisedEmail:
    address: str  # as typed, with the domain in lower case
    normalised: str  # lower case, for matching duplicates


def normalise_email(raw: str, field: str = "email") -> NormalisedEmail:
    """Check an address's syntax offline (no DNS) and normalise it."""
    text = clean(raw)
    if not text:
        raise ValidationError.single(field, "E-mail: the address is empty.")
    if len(text) > MAX_INPUT:
        raise ValidationError.single(field, f"E-mail is {len(text)} characters; at most 254.")
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationError.single(field, f"E-mail '{text[:60]}' is not valid: {error}") from None
    return NormalisedEmail(address=checked.normalized, normalised=checked.normalized.casefold())
