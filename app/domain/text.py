"""Text folding shared by validation, search and duplicate detection."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NON_DIGITS = re.compile(r"\D+")


def clean(text: str) -> str:
    """Trim and collapse runs of whitespace; drop control characters."""
    without_controls = "".join(
        ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\t\n "
    )
    return _SPACES.sub(" ", without_controls).strip()


def fold(text: str) -> str:
    """Lower-case, accent-free form used to compare and search names.

    ``fold("Zoë  O'Brien")`` is ``"zoe o'brien"``.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return clean(unicodedata.normalize("NFKD", stripped.casefold()))


def digits(text: str) -> str:
    """Only the ASCII digits of ``text``, as searched for in phone numbers."""
    ascii_digits = "".join(
        str(unicodedata.digit(ch)) if ch.isdigit() and unicodedata.digit(ch, -1) >= 0 else ch
        for ch in text
    )
    return _NON_DIGITS.sub("", ascii_digits)
