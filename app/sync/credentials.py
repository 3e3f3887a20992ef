"""The terminal's head-office token, kept in the OS keyring.

Service ``tabkeeper-sync``, user name = the head office URL (docs/SYNC.md). The token is
the bearer credential ``<terminal_uuid>.<secret>``; it is never written beside the store.
Without a usable keyring, sync stays off and :class:`CredentialsUnavailableError` says
why.
"""

from __future__ import annotations

from typing import Any

import keyring
import keyring.errors
from keyring.backends import fail

from app.sync.errors import CredentialsUnavailableError

SERVICE = "tabkeeper-sync"
_NO_KEYRING = (
    "No OS keyring is available, so this terminal cannot keep its head office credentials "
    "and sync stays off. Install and unlock a keyring (e.g. gnome-keyring or KWallet) and "
    "enrol again; see docs/SYNC.md."
)


def bearer_token(terminal_uuid: str, token: str) -> str:
    """The credential sent as ``Authorization: Bearer``: ``<terminal_uuid>.<secret>``.

    Head office may hand out the secret alone or the whole credential; both give the same.
    """
    prefix = f"{terminal_uuid}."
    return token if token.startswith(prefix) else prefix + token


class TerminalCredentials:
    """Reads and writes the terminal's token; ``backend`` replaces the OS keyring (tests)."""

    def __init__(self, backend: Any | None = None) -> None:
        self._backend = backend

    def _ring(self) -> Any:
        ring = self._backend if self._backend is not None else keyring.get_keyring()
        if isinstance(ring, fail.Keyring) or getattr(ring, "priority", 1) <= 0:
            raise CredentialsUnavailableError(_NO_KEYRING)
        return ring

    def check_usable(self) -> None:
        """Raise CredentialsUnavailableError unless a keyring can keep a token (checked
        before an enrolment code is spent)."""
        self._ring()

    def load(self, url: str) -> str | None:
        """The token for head office at ``url``, or None when this terminal has none."""
        ring = self._ring()
        try:
            token = ring.get_password(SERVICE, url)
        except keyring.errors.KeyringError as error:
            raise CredentialsUnavailableError(
                f"The OS keyring refused to give the head office token ({error}); "
                "unlock it and press Sync now"
            ) from None
        return token if isinstance(token, str) and token else None

    def save(self, url: str, token: str) -> None:
        ring = self._ring()
        try:
            ring.set_password(SERVICE, url, token)
        except keyring.errors.KeyringError as error:
            raise CredentialsUnavailableError(
                f"The OS keyring refused to keep the head office token ({error}); unlock it, "
                "ask head office for a new code and enrol again"
            ) from None

    def forget(self, url: str) -> None:
        """Remove the token for ``url``; nothing happens when there is none."""
        ring = self._ring()
        try:
            ring.delete_password(SERVICE, url)
        except keyring.errors.PasswordDeleteError:
            return
        except keyring.errors.KeyringError as error:
            raise CredentialsUnavailableError(
                f"The OS keyring refused to remove the head office token ({error})"
            ) from None
