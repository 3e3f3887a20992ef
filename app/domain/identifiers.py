"""Identifiers: the cards, keys and numbers that tell us who a regular is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from app.domain.errors import ValidationError
from app.domain.ids import new_uuid7
from app.domain.text import clean, digits

# Identifier values that are keyed hashes (HMAC-SHA256) of a payment card, never the number.
PAN_HASH_PREFIX = "PANHMAC:"


class IdentifierKind(StrEnum):
    MAGNETIC_CARD = "magnetic_card"
    SMART_CARD = "smart_card"  # contact smart cards, contactless cards and key fobs
    BARCODE_CARD = "barcode_card"
    PHONE = "phone"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    IdentifierKind.MAGNETIC_CARD: "Magnetic card",
    IdentifierKind.SMART_CARD: "Smart card or contactless key",
    IdentifierKind.BARCODE_CARD: "Barcode card",
    IdentifierKind.PHONE: "Phone",
    IdentifierKind.OTHER: "Other",
}


class IdentifierStatus(StrEnum):
    ACTIVE = "active"
    LOST = "lost"
    BLOCKED = "blocked"
    EXPIRED = "expired"


# Statuses whose value stays reserved: a lost card may be found again and a blocked
# one must keep being recognised (and refused), so neither value may be handed out.
IN_USE_STATUSES = frozenset(
    {IdentifierStatus.ACTIVE, IdentifierStatus.LOST, IdentifierStatus.BLOCKED}
)

MAX_VALUE_LENGTH = 128
_HEX = re.compile(r"^[0-9A-F]+$")
_PRINTABLE = re.compile(r"^[\x21-\x7E]+$")


def luhn_valid(number: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(number)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


# Issuer prefixes of the payment networks (ISO/IEC 7812 IINs), as (low, high, digits).
_PAYMENT_IIN_RANGES = (
    (4, 4, 1),  # Visa
    (51, 55, 2),  # Mastercard
    (2221, 2720, 4),  # Mastercard 2-series
    (34, 34, 2),
    (37, 37, 2),  # American Express
    (36, 36, 2),
    (300, 305, 3),
    (38, 39, 2),  # Diners Club
    (6011, 6011, 4),
    (644, 649, 3),
    (65, 65, 2),  # Discover
    (62, 62, 2),  # UnionPay
    (3528, 3589, 4),  # JCB
    (5018, 5018, 4),
    (5020, 5020, 4),
    (5038, 5038, 4),
    (6304, 6304, 4),
    (6759, 6763, 4),  # Maestro
)


def looks_like_payment_card(text: str) -> bool:
    """Whether ``text`` carries a payment card number (PAN), which we never keep.

    True for 13 to 19 Luhn-valid digits with a payment network's prefix, alone or as
    the account field of magnetic track data (before ``=`` or ``^``).
    """
    account = re.split(r"[=^]", text.strip("%;+?B b"), maxsplit=1)[0]
    account = account.replace(" ", "").replace("-", "")
    if not (account.isascii() and account.isdigit() and 13 <= len(account) <= 19):
        return False
    if not luhn_valid(account):
        return False
    return any(low <= int(account[:n]) <= high for low, high, n in _PAYMENT_IIN_RANGES)


PAYMENT_CARD_REFUSAL = (
    "This is a payment card. Payment card numbers are never kept; "
    "give the guest a loyalty card instead."
)


def _may_be_payment_card(kind: IdentifierKind, text: str) -> bool:
    # One EAN-13 or GTIN-14 in ten passes Luhn, and 40-44 are German GS1 prefixes that
    # look like Visa; payment cards printed as barcodes carry 15 to 19 digits.
    if kind is IdentifierKind.PHONE:
        return False
    if kind is IdentifierKind.BARCODE_CARD:
        return len(text.replace(" ", "")) >= 15
    return True


def normalise_identifier_value(kind: IdentifierKind, raw: str) -> str:
    """Return the canonical form of a card or key value, or raise ValidationError.

    - magnetic card: the printable characters between sentinels, upper-cased, spaces removed;
    - smart card / contactless key: the UID as upper-case hex, separators removed;
    - barcode card: the printable payload as scanned, upper-cased;
    - phone: E.164 is applied by the phone service; here only digits and a leading +;
    - other: trimmed, inner whitespace collapsed, case kept.
    """
    text = clean(raw)
    label = kind.label
    if _may_be_payment_card(kind, text) and looks_like_payment_card(text):
        raise ValidationError.single("value", f"{label}: {PAYMENT_CARD_REFUSAL}")
    if not text:
        raise ValidationError.single("value", f"{label}: the value is empty.")
    if kind is IdentifierKind.MAGNETIC_CARD:
        value = text.strip("%;+?").replace(" ", "").upper()
    elif kind is IdentifierKind.SMART_CARD:
        value = re.sub(r"[\s:\-]", "", text).upper()
        if value.startswith("0X"):
            value = value[2:]
        if not _HEX.fullmatch(value or "-"):
            raise ValidationError.single(
                "value", f"{label}: '{text[:40]}' is not a card UID (hexadecimal digits only)."
            )
        if len(value) % 2:
            raise ValidationError.single(
                "value",
                f"{label}: '{text[:40]}' has an odd number of hex digits; a UID is whole bytes.",
            )
    elif kind is IdentifierKind.BARCODE_CARD:
        value = text.replace(" ", "").upper()
    elif kind is IdentifierKind.PHONE:
        value = ("+" if text.startswith("+") else "") + digits(text)
        if len(digits(value)) < 3:
            raise ValidationError.single("value", f"{label}: '{text[:40]}' has too few digits.")
    else:
        value = text
    if not value:
        raise ValidationError.single("value", f"{label}: the value is empty.")
    if kind is not IdentifierKind.OTHER and not _PRINTABLE.fullmatch(value):
        raise ValidationError.single(
            "value", f"{label}: '{text[:40]}' contains characters a card cannot carry."
        )
    if len(value) > MAX_VALUE_LENGTH:
        raise ValidationError.single(
            "value",
            f"{label}: the value is {len(value)} characters long; at most {MAX_VALUE_LENGTH}.",
        )
    return value


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(eq=False)
class Identifier:
    """A card, key or number. Personal when it belongs to a customer; impersonal
    cards carry a promotion category of their own (a VIP card handed to a table)."""

    kind: IdentifierKind
    value: str
    customer_id: int | None = None
    promotion_category_id: int | None = None
    status: IdentifierStatus = IdentifierStatus.ACTIVE
    label: str = ""
    issued_at: datetime = field(default_factory=utcnow)
    expires_at: datetime | None = None
    replaces_id: int | None = None  # the lost card this one re-issues
    uuid: str = field(default_factory=new_uuid7)
    id: int | None = None

    @property
    def personal(self) -> bool:
        return self.customer_id is not None

    @property
    def in_use(self) -> bool:
        return self.status in IN_USE_STATUSES

    def usable_at(self, moment: datetime) -> bool:
        """Whether the card identifies someone right now (active and not past expiry)."""
        if self.status is not IdentifierStatus.ACTIVE:
            return False
        return self.expires_at is None or moment < self.expires_at
