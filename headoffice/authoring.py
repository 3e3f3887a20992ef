"""Documents written at head office itself: the seed file, a bulk import, a manager's
edit. Every field is stamped with head office's clock, so it merges like any edit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection

from app.domain.hlc import HybridClock


class DocumentError(ValueError):
    """Documents that cannot be written; the message names each one and its problems.
    Nothing of the call was written (the caller rolls its transaction back)."""


def write_documents(
    conn: Connection, docs: Iterable[tuple[str, str, dict[str, Any]]], clock: HybridClock
) -> int:
    """Write ``(entity, uuid, data)`` documents authored by head office; returns how many.

    Checked with ``app.sync.documents.check_fields`` (DocumentError names each problem);
    every field stamped with head-office clocks; written in chunks with executemany.
    ``ledger_entry`` documents (an imported venue's history) go into the ledger and the
    balances as well.
    """
    raise NotImplementedError


def edit_customer(
    conn: Connection, customer_uuid: str, fields: Mapping[str, Any], clock: HybridClock
) -> None:
    """A head-office manager's edit of some fields, merged last-writer-wins like any
    other; DocumentError when a field is wrong or the customer is unknown."""
    raise NotImplementedError
