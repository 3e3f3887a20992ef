"""What can go wrong when a terminal talks to head office, as typed errors.

Every error's ``str()`` is a sentence a person can act on; the worker shows it in the
status bar and keeps it in the store's sync state. Nothing else escapes the client: a
refused connection, a timeout, a 5xx or an answer Tabkeeper cannot read all become one
of these.
"""

from __future__ import annotations


class SyncError(Exception):
    """Sync with head office did not go through; ``str()`` says why and what to do."""


class OfflineError(SyncError):
    """Head office could not be reached (refused, timed out, name not found, cut off)."""


class TlsError(SyncError):
    """The connection is not safe: head office's certificate is not trusted."""


class UnauthorisedError(SyncError):
    """Head office does not know this terminal's credentials."""


class RevokedError(UnauthorisedError):
    """Head office revoked this terminal."""


class EnrolmentRefusedError(SyncError):
    """Head office refused the enrolment code (wrong, used or expired)."""


class SnapshotRequiredError(SyncError):
    """Head office wants this terminal to take a fresh snapshot before pulling."""


class CursorExpiredError(SnapshotRequiredError):
    """The pull cursor is older than head office's tombstones: a snapshot is needed."""


class RequestRefusedError(SyncError):
    """Head office refused a request as malformed or too large (its words say why)."""


class ServerError(SyncError):
    """Head office failed (a 5xx) or said it is unavailable; try again later."""


class BadAnswerError(SyncError):
    """Head office's answer could not be read (not JSON, the wrong shape, a wrong value)."""


class NotEnrolledError(SyncError):
    """This terminal has no head office to sync with yet."""


class CredentialsUnavailableError(SyncError):
    """The OS keyring cannot keep or give the terminal's token."""


class SetupError(SyncError):
    """A sync setting is unusable: a head office URL, a CA file, a code or a name."""
