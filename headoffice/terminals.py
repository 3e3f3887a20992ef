"""Terminals head office knows: enrolment by one-time code, bearer tokens, revocation.

A terminal's token is ``<terminal_uuid>.<secret>``; head office keeps only the SHA-256 of
the secret (256 random bits, so a fast hash is enough) and compares in constant time.
Every request reads the terminal's row, so a revoke takes effect on the next request.
An enrolment code is 12 characters from an alphabet with no look-alikes (no 0/O, 1/I/L,
U), grouped in fours for reading aloud; only its hash is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Connection, String, Table, insert, select, update

from app.domain.ids import new_uuid7
from app.sync.documents import is_uuid
from app.sync.wire import ErrorCode
from headoffice.schema import Instant, metadata

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4
CODE_VALIDITY = timedelta(hours=24)
LAST_SEEN_EVERY = timedelta(minutes=1)
NAME_MAX = 80

terminals = Table(
    "terminals",
    metadata,
    Column("uuid", String(36), primary_key=True),
    Column("name", String(NAME_MAX), nullable=False),
    Column("token_hash", String(64), nullable=False),  # SHA-256 of the secret, hex
    Column("enrolled_at", Instant, nullable=False),
    Column("last_seen_at", Instant),
    Column("revoked_at", Instant),
)

enrolment_codes = Table(
    "enrolment_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),  # SHA-256 of the normalised code
    Column("terminal_name", String(NAME_MAX), nullable=False),
    Column("issued_at", Instant, nullable=False),
    Column("expires_at", Instant, nullable=False),
    Column("used_at", Instant),
    Column("terminal_uuid", String(36)),
)


class EnrolmentRefusedError(Exception):
    """An enrolment code that cannot enrol a terminal; ``str()`` says why and what to do."""


class UnauthorisedError(Exception):
    """A request without valid credentials; ``code`` is unauthorised or terminal_revoked."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class IssuedCode:
    code: str  # as read aloud: "K7QM-3XPR-9TWD"
    terminal_name: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Enrolment:
    terminal_uuid: str
    terminal_name: str
    token: str  # "<terminal_uuid>.<secret>", shown once


@dataclass(frozen=True, slots=True)
class Terminal:
    uuid: str
    name: str
    enrolled_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def normalise_code(code: str) -> str:
    """The code as stored: upper case, without the spaces and dashes people type."""
    return "".join(ch for ch in code.upper() if ch not in " -\t")


def new_code() -> str:
    chars = [secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * CODE_GROUP_LENGTH)]
    groups = [
        "".join(chars[i : i + CODE_GROUP_LENGTH]) for i in range(0, len(chars), CODE_GROUP_LENGTH)
    ]
    return "-".join(groups)


def check_terminal_name(name: str) -> str:
    """``name`` trimmed; ValueError with a sentence when it cannot name a terminal."""
    trimmed = " ".join(name.split())
    if not trimmed:
        raise ValueError("a terminal needs a name, such as 'Till 2' or 'Bar iPad'")
    if len(trimmed) > NAME_MAX:
        raise ValueError(f"a terminal's name is at most {NAME_MAX} characters")
    return trimmed


def issue_code(conn: Connection, terminal_name: str, now: datetime) -> IssuedCode:
    """A new one-time code for enrolling ``terminal_name``, valid for 24 hours."""
    name = check_terminal_name(terminal_name)
    code = new_code()
    expires_at = now + CODE_VALIDITY
    conn.execute(
        insert(enrolment_codes).values(
            code_hash=_sha256(normalise_code(code)),
            terminal_name=name,
            issued_at=now,
            expires_at=expires_at,
        )
    )
    return IssuedCode(code, name, expires_at)


def enrol(conn: Connection, code: str, now: datetime) -> Enrolment:
    """Use ``code`` (once) to enrol a new terminal; EnrolmentRefusedError otherwise."""
    code_hash = _sha256(normalise_code(code))
    row = conn.execute(
        select(
            enrolment_codes.c.terminal_name,
            enrolment_codes.c.expires_at,
            enrolment_codes.c.used_at,
        ).where(enrolment_codes.c.code_hash == code_hash)
    ).first()
    if row is None:
        raise EnrolmentRefusedError(
            "That enrolment code is not one head office issued. Check it with the manager, "
            "who can issue a new one with `python -m headoffice enrol-code`."
        )
    if row.used_at is not None:
        raise EnrolmentRefusedError(
            "That enrolment code has been used already; each code enrols one terminal. "
            "Ask head office for a new code."
        )
    if row.expires_at <= now:
        raise EnrolmentRefusedError(
            f"That enrolment code expired at {row.expires_at:%Y-%m-%d %H:%M} UTC (codes last "
            "24 hours). Ask head office for a new code."
        )
    terminal_uuid = new_uuid7()
    taken = conn.execute(
        update(enrolment_codes)
        .where(enrolment_codes.c.code_hash == code_hash, enrolment_codes.c.used_at.is_(None))
        .values(used_at=now, terminal_uuid=terminal_uuid)
    )
    if taken.rowcount != 1:  # another request took it between the read and the write
        raise EnrolmentRefusedError(
            "That enrolment code has been used already; each code enrols one terminal. "
            "Ask head office for a new code."
        )
    secret = secrets.token_urlsafe(32)
    conn.execute(
        insert(terminals).values(
            uuid=terminal_uuid,
            name=row.terminal_name,
            token_hash=_sha256(secret),
            enrolled_at=now,
        )
    )
    return Enrolment(terminal_uuid, row.terminal_name, f"{terminal_uuid}.{secret}")


@dataclass(frozen=True, slots=True)
class Caller:
    """The terminal a request authenticated as, and whether its last-seen time is due."""

    terminal_uuid: str
    last_seen_due: bool


def authenticate(conn: Connection, authorization: str | None, now: datetime) -> Caller:
    """The terminal an ``Authorization`` header proves; UnauthorisedError otherwise."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise UnauthorisedError(
            ErrorCode.UNAUTHORISED,
            "This request needs the terminal's token (Authorization: Bearer <token>); "
            "enrol the terminal with a code from head office first.",
        )
    terminal_uuid, _, secret = credentials.strip().partition(".")
    row = None
    if is_uuid(terminal_uuid) and secret:
        row = conn.execute(
            select(terminals.c.token_hash, terminals.c.revoked_at, terminals.c.last_seen_at).where(
                terminals.c.uuid == terminal_uuid
            )
        ).first()
    if row is None or not hmac.compare_digest(_sha256(secret), row.token_hash):
        raise UnauthorisedError(
            ErrorCode.UNAUTHORISED,
            "Head office does not recognise this terminal's token. Enrol the terminal "
            "again with a new code from head office.",
        )
    if row.revoked_at is not None:
        raise UnauthorisedError(
            ErrorCode.TERMINAL_REVOKED,
            f"Head office revoked this terminal on {row.revoked_at:%Y-%m-%d %H:%M} UTC; it "
            "can no longer sync. Ask head office for a new enrolment code.",
        )
    due = row.last_seen_at is None or now - row.last_seen_at >= LAST_SEEN_EVERY
    return Caller(terminal_uuid, due)


def record_seen(conn: Connection, terminal_uuid: str, now: datetime) -> None:
    """Note that the terminal was seen, unless another request did in the last minute."""
    conn.execute(
        update(terminals)
        .where(
            terminals.c.uuid == terminal_uuid,
            (terminals.c.last_seen_at.is_(None))
            | (terminals.c.last_seen_at <= now - LAST_SEEN_EVERY),
        )
        .values(last_seen_at=now)
    )


def revoke(conn: Connection, terminal_uuid: str, now: datetime) -> Terminal:
    """Revoke a terminal (again: no change); LookupError when head office never enrolled it."""
    conn.execute(
        update(terminals)
        .where(terminals.c.uuid == terminal_uuid, terminals.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    for terminal in list_terminals(conn, terminal_uuid):
        return terminal
    raise LookupError(
        f"no terminal {terminal_uuid} is enrolled here; `python -m headoffice terminals` lists them"
    )


def list_terminals(conn: Connection, only_uuid: str | None = None) -> list[Terminal]:
    query = select(
        terminals.c.uuid,
        terminals.c.name,
        terminals.c.enrolled_at,
        terminals.c.last_seen_at,
        terminals.c.revoked_at,
    ).order_by(terminals.c.enrolled_at, terminals.c.uuid)
    if only_uuid is not None:
        query = query.where(terminals.c.uuid == only_uuid)
    return [Terminal(*row) for row in conn.execute(query)]


class AttemptLimiter:
    """Wrong enrolment codes allowed per minute, per client address and in all.

    Kept in memory: a restart forgets it, which costs a guesser nothing useful against
    codes of 59 bits that live a day.
    """

    def __init__(
        self,
        per_client: int = 10,
        overall: int = 50,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_client = per_client
        self._overall = overall
        self._window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds until ``client`` may try again; 0 when it may try now."""
        with self._lock:
            now = self._clock()
            mine = self._failures.get(client, deque())
            self._expire(mine, now)
            self._expire(self._all, now)
            waits = [
                q[0] + self._window_s - now
                for q, cap in ((mine, self._per_client), (self._all, self._overall))
                if len(q) >= cap
            ]
            return max(1, int(max(waits)) + 1) if waits else 0

    def failed(self, client: str) -> None:
        with self._lock:
            now = self._clock()
            self._failures.setdefault(client, deque()).append(now)
            self._all.append(now)
            if len(self._failures) > 10_000:  # forget clients whose failures are old
                for key in [k for k, q in self._failures.items() if q[-1] < now - self._window_s]:
                    del self._failures[key]

    def _expire(self, failures: deque[float], now: float) -> None:
        while failures and failures[0] <= now - self._window_s:
            failures.popleft()
