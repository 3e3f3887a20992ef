"""Identifiers: the cards, keys and numbers that tell us who a regular is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from app.domain.errors import ValidationError
from app.domain.ids import new_uuid7
from app.domain.text import clean, digits


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
IN_USE_STATUSES = frozenset({IdentifierStatus.ACTIVE, IdentifierStatus.LOST, IdentifierStatus.BLOCKED})

MAX_VALUE_LENGTH = 128
_HEX = re.compile(r"^[0-9A-F]+$")
_PRINTABLE = re.compile(r"^[\x21-\x7E]+$")


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
                "value", f"{label}: '{text[:40]}' has an odd number of hex digits; a UID is whole bytes."
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
            "value", f"{label}: the value is {len(value)} characters long; at most {MAX_VALUE_LENGTH}."
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
