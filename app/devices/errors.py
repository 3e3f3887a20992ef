"""The one error every device parser raises: bytes we cannot read, with the reason why."""

from __future__ import annotations


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
