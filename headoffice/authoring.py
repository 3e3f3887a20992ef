"""Documents written at head office itself: the seed file, a bulk import, a manager's
edit. Every field is stamped with head office's clock, so it merges like any edit.

A bulk import is written in chunks: each chunk checked whole first (nothing of a chunk
with a problem is written, and the caller's transaction rolls back what earlier chunks
wrote), then new documents inserted with executemany and existing ones merged. Put the
documents in snapshot order (catalogue, customers, cards, then ledger entries): an entry
or a card may only name a customer written before it, or in the same chunk.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from sqlalchemy import Connection

from app.domain.hlc import HybridClock
from app.sync.documents import DOCUMENT_FIELDS, NOTE_FIELDS, check_fields, is_uuid
from app.sync.wire import ENTITY_KINDS
from headoffice.customer_index import resolve, write_keys
from headoffice.documents_store import load, save
from headoffice.field_merge import HEAD_OFFICE_KEYS, merge_fields
from headoffice.import_writers import write_chunk
from headoffice.op_context import OpRejectedError, require_keys
from headoffice.row_versions import current_txid

CHUNK = 5000
MAX_PROBLEMS_SHOWN = 20


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
    balances as well; an entry head office has already is left as it is.
    """
    current_txid(conn)
    now = datetime.now(UTC)
    written = 0
    position = 0
    for chunk in _chunks(docs, CHUNK):
        problems = [
            f"document {position + i + 1} ({_label(doc)}): {problem}"
            for i, doc in enumerate(chunk)
            for problem in document_problems(doc)
        ]
        if problems:
            raise DocumentError(_summary(problems))
        by_entity: dict[str, dict[str, dict[str, Any]]] = {}
        for entity, uuid, data in chunk:
            by_entity.setdefault(entity, {})[uuid] = data  # the last of a uuid wins
        for entity in ENTITY_KINDS:
            if entity in by_entity:
                try:
                    written += write_chunk(conn, entity, by_entity[entity], str(clock.now()), now)
                except OpRejectedError as error:
                    raise DocumentError(
                        f"documents {position + 1} to {position + len(chunk)}: {error}"
                    ) from None
        position += len(chunk)
    return written


def edit_customer(
    conn: Connection, customer_uuid: str, fields: Mapping[str, Any], clock: HybridClock
) -> None:
    """A head-office manager's edit of some fields, merged last-writer-wins like any
    other; DocumentError when a field is wrong or the customer cannot be edited."""
    problems = check_fields("customer", fields, whole=False)
    reserved = sorted(HEAD_OFFICE_KEYS & set(fields))
    if reserved:
        problems.append(f"{', '.join(reserved)} cannot be edited: head office keeps them")
    if problems:
        raise DocumentError("; ".join(problems))
    current_txid(conn)
    doc = load(conn, "customer", customer_uuid)
    if doc is None:
        raise DocumentError(f"customer {customer_uuid} is unknown at head office")
    if doc.deleted:
        raise DocumentError(f"customer {customer_uuid} was deleted")
    survivor = doc.data.get("merged_into_uuid")
    if survivor:
        ref = resolve(conn, customer_uuid)
        name = doc.data.get("full_name") or customer_uuid
        raise DocumentError(
            f"{name} was merged into {survivor if ref is None else ref.full_name}; edit "
            f"{'that customer' if ref is None else ref.uuid} instead"
        )
    stamp = str(clock.now())
    taken = merge_fields(doc.data, fields, dict.fromkeys(fields, stamp))
    if taken:
        save(conn, "customer", customer_uuid, doc.data, datetime.now(UTC), new=False)
        write_keys(conn, customer_uuid, doc.data, new=False, phones_changed="phones" in taken)


def document_problems(doc: object) -> list[str]:
    """Every problem with one ``(entity, uuid, data)`` to import."""
    if not isinstance(doc, tuple) or len(doc) != 3:
        return ["must be (entity, uuid, data)"]
    entity, uuid, data = doc
    if entity not in DOCUMENT_FIELDS:
        return [f"unknown document kind {entity!r}; one of {', '.join(ENTITY_KINDS)}"]
    problems = [] if is_uuid(uuid) else ["the uuid must be a lower-case uuid"]
    if not isinstance(data, dict):
        return [*problems, "the data must be an object"]
    fields = {k: v for k, v in data.items() if k != "notes" or entity != "customer"}
    reserved = sorted(HEAD_OFFICE_KEYS & set(fields))
    if reserved:
        problems.append(f"{', '.join(reserved)} cannot be imported: head office keeps them")
        fields = {k: v for k, v in fields.items() if k not in reserved}
    problems += check_fields(entity, fields, whole=True)
    notes = data.get("notes", []) if entity == "customer" else []
    if not isinstance(notes, list):
        problems.append("notes must be a list")
    else:
        for index, note in enumerate(notes, start=1):
            try:
                if not isinstance(note, dict):
                    raise OpRejectedError(f"note {index} must be an object")
                require_keys(note, NOTE_FIELDS, f"note {index}")
            except OpRejectedError as error:
                problems.append(str(error))
    return problems


def _label(doc: object) -> str:
    if isinstance(doc, tuple) and len(doc) == 3:
        return f"{str(doc[0])[:30]} {str(doc[1])[:36]}"
    return "not a document"


def _summary(problems: list[str]) -> str:
    shown = problems[:MAX_PROBLEMS_SHOWN]
    more = len(problems) - len(shown)
    tail = f"\n... and {more} more problems" if more else ""
    return "nothing was written:\n" + "\n".join(shown) + tail


def _chunks(docs: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(docs)
    while chunk := list(islice(iterator, size)):
        yield chunk
