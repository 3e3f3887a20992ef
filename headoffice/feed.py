"""What terminals download: pull since a cursor, and the snapshot (docs/SYNC.md).

Each change is handed over as the raw JSON text of one wire ``Change``, built around the
stored document text without parsing it, so the server splices it into its answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from app.sync.wire import Opening
from headoffice.accounts import balances, overdraft_reviews
from headoffice.authoring import DocumentError, edit_customer, write_documents

__all__ = [  # the last five live in authoring.py and accounts.py; importable from here too
    "CursorExpiredError",
    "DocumentError",
    "FeedPage",
    "SnapshotChunk",
    "SnapshotRequiredError",
    "balances",
    "edit_customer",
    "overdraft_reviews",
    "pull",
    "purge_tombstones",
    "snapshot_page",
    "write_documents",
]


class CursorExpiredError(Exception):
    """The cursor is older than a tombstone head office no longer keeps: take a snapshot."""


class SnapshotRequiredError(Exception):
    """No cursor yet: a terminal that never synced takes a snapshot first."""


@dataclass(frozen=True)
class FeedPage:
    """One pull answer: changes in row-version order, the cursor after them, and whether
    more can be fetched now."""

    changes_json: list[str]
    cursor: str
    more: bool


@dataclass(frozen=True)
class SnapshotChunk:
    """One snapshot page: documents, the openings of the customers among them, the token
    of the next page ("" with ``done``) and the cursor pull continues from."""

    changes_json: list[str]
    openings: list[Opening]
    page: str
    done: bool
    cursor: str


def pull(conn: Connection, cursor: str, limit: int) -> FeedPage:
    """Documents changed after ``cursor`` by transactions below the watermark, at most
    ``limit``. SnapshotRequiredError for "", CursorExpiredError for a cursor older than a
    purged tombstone, ValueError (readable) for a malformed cursor."""
    raise NotImplementedError


def snapshot_page(conn: Connection, page: str, limit: int) -> SnapshotChunk:
    """One page of every live document; ``page`` "" begins a snapshot, and each answer's
    ``page`` continues it. ValueError (readable) for a malformed page token."""
    raise NotImplementedError


def purge_tombstones(conn: Connection, older_than: datetime) -> int:
    """Delete tombstones deleted before ``older_than``; cursors from before the newest of
    them then get CursorExpiredError. Returns how many went."""
    raise NotImplementedError
