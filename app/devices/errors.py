"""The one error every device parser raises: bytes we cannot read, with the reason why."""

from __future__ import annotations

import re


class DeviceParseError(ValueError):
    """Raised by every parser in app.devices, and nothing else is.

    ``reason`` is a sentence a person can act on ("Track 2 has no end sentinel; swipe
    again"). ``data`` is a short, safe preview of the input for the device log: parsers
    never put card numbers or track data in it.
    """

    def __init__(self, reason: str, data: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.data = data


_LONG_DIGITS = re.compile(r"\d{12,}")


def masked_preview(text: str, limit: int = 40) -> str:
    """A printable preview for the device log; long digit runs (card numbers) masked."""
    shown = _LONG_DIGITS.sub(lambda match: "9" * len(match.group()), text[:limit])
    escaped = shown if shown.isprintable() else repr(shown)[1:-1]
    return escaped + ("…" if len(text) > limit else "")
