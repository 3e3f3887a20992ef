"""What a person types for an account: amounts, limits and reasons, checked with words."""

from __future__ import annotations

from app.domain.errors import ValidationError

MAX_REASON = 200  # ledger_entries.reason


def check_amount(value: int, what: str) -> None:
    """Refuse anything but a whole number above zero ("A top-up must be ...")."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationError.single("amount", f"{what} must be a whole number above zero")


def checked_limit(value: int | None, field: str, *, zero_allowed: bool) -> int | None:
    """A credit or tab limit in minor units, or None for no limit."""
    if value is None:
        return None
    what = "A credit limit" if field == "credit_limit_minor" else "A tab limit"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError.single(field, f"{what} is an amount in minor units")
    if value < 0:
        raise ValidationError.single(field, f"{what} cannot be below zero")
    if value == 0 and not zero_allowed:
        raise ValidationError.single(field, f"{what} must be above zero; leave it empty for none")
    return value


def with_note(lead: str, note: str) -> str:
    """An entry's reason: ``"top-up by card: Christmas party"``, tidied and cut to fit."""
    note = " ".join(note.split())
    return (f"{lead}: {note}" if note else lead)[:MAX_REASON]


def required_reason(reason: str, ask: str) -> str:
    """The reason a manager gave, tidied; none at all is refused with ``ask``."""
    why = " ".join(reason.split())
    if not why:
        raise ValidationError.single("reason", ask)
    return why[:MAX_REASON]
