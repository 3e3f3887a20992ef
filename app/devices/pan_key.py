"""The venue's key for identifying regulars by their bank card, kept in the OS keyring.

Only a keyed hash (HMAC-SHA256) of a card number ever reaches the store, and only where
the venue turns "identify by bank card" on. The key is made on first use, 32 random
bytes, and lives in the OS keyring (Secret Service, macOS Keychain, Windows Credential
Locker). Without a working keyring the option stays off and the reason is given: the key
is never written next to the database.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

import keyring
import keyring.errors
from keyring.backends import fail

SERVICE = "tabkeeper"
ENTRY = "bank-card-identification-key"
KEY_BYTES = 32


class PanKeyUnavailableError(Exception):
    """The key cannot be kept safely here; ``str()`` says why and what to do."""


def _backend_usable(backend: Any) -> bool:
    return not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 1) > 0


def load_or_create_pan_key(terminal: str, backend: Any | None = None) -> bytes:
    """The venue's HMAC key for bank-card identification, created on first use.

    Raises :class:`PanKeyUnavailableError` when no usable keyring backend exists or the
    stored key is damaged; the caller then leaves bank-card identification off.
    """
    ring = backend if backend is not None else keyring.get_keyring()
    if not _backend_usable(ring):
        raise PanKeyUnavailableError(
            "No OS keyring is available, so bank cards cannot identify regulars on this "
            "terminal. Install and unlock a keyring (e.g. gnome-keyring or KWallet), or turn "
            "the option off; see docs/DEVICES.md."
        )
    username = f"{ENTRY}:{terminal}"
    try:
        stored = ring.get_password(SERVICE, username)
        if stored is None:
            key = secrets.token_bytes(KEY_BYTES)
            ring.set_password(SERVICE, username, base64.b64encode(key).decode("ascii"))
            return key
    except keyring.errors.KeyringError as error:
        raise PanKeyUnavailableError(
            f"The OS keyring refused the bank-card key ({error}); unlock it and restart."
        ) from None
    try:
        key = base64.b64decode(stored, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise PanKeyUnavailableError(
            "The bank-card key in the OS keyring is damaged; a manager must restore it from "
            "head office (a new key would not recognise cards enrolled before)."
        )
    return key
