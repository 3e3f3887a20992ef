"""Customer notes from head office's documents: a union by uuid (docs/SYNC.md).

A note uuid is held once in the store (``customer_notes.uuid`` is unique). A document
bringing a note the store already holds on another customer moves it there (head office
gives a merged customer's notes to its survivor), unless the document is itself a merged
customer's: a merged customer never takes a note back from anyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection

from app.store.sync_apply_values import BadDocumentError, chunks, insert_rows, utc_text

Row = tuple[object, ...]
NOTE_COLUMNS = ("customer_id", "uuid", "text", "author", "created_at")
_MOVE = (
    f"INSERT INTO customer_notes ({', '.join(NOTE_COLUMNS)}) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (uuid) DO UPDATE SET customer_id = excluded.customer_id"
)


def _note_list(value: object) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if type(value) is not list:
        raise BadDocumentError("notes must be a list")
    return value


def held_notes(conn: Connection, documents: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Note uuid -> the customer key holding it, of every note ``documents`` bring that
    the store has (one read per page)."""
    wanted: list[str] = []
    for data in documents:
        notes = data.get("notes")
        if type(notes) is list:
            wanted.extend(str(n["uuid"]) for n in notes if isinstance(n, dict) and "uuid" in n)
    found: dict[str, int] = {}
    for chunk in chunks(list(dict.fromkeys(wanted))):
        marks = ", ".join("?" for _ in chunk)
        for uuid, key in conn.exec_driver_sql(
            f"SELECT uuid, customer_id FROM customer_notes WHERE uuid IN ({marks})", tuple(chunk)
        ):
            found[str(uuid)] = int(key)
    return found


def _text(value: object, name: str, limit: int) -> str:
    if value is None:
        return ""
    if type(value) is not str:
        raise BadDocumentError(f"{name} is not text")
    return value[:limit]


class NoteRows:
    """The notes of a batch of documents: new ones to insert, held ones to move."""

    def __init__(self, held: dict[str, int]) -> None:
        self._held = held  # note uuid -> customer key, kept up to date as notes are added
        self.new: list[Row] = []
        self.moved: list[Row] = []

    def build(self, key: int, d: Mapping[str, Any], *, merged: bool) -> list[tuple[Row, bool]]:
        """Customer ``key``'s rows from document ``d``, each with whether it moves a held
        note; nothing is recorded until :meth:`keep` (the document may yet be left out)."""
        rows: list[tuple[Row, bool]] = []
        seen: set[str] = set()
        try:
            for note in _note_list(d.get("notes")):
                uuid = str(note["uuid"])
                holder = self._held.get(uuid)
                if uuid in seen or holder == key or (holder is not None and merged):
                    continue
                row = (
                    key,
                    uuid,
                    _text(note["text"], "note", 10_000),
                    _text(note["author"], "note author", 80),
                    utc_text(note["created_at"], "note created_at"),
                )
                rows.append((row, holder is not None))
                seen.add(uuid)
        except (KeyError, TypeError) as problem:
            raise BadDocumentError(f"a note is not right ({problem})") from None
        return rows

    def keep(self, key: int, rows: list[tuple[Row, bool]]) -> None:
        for row, moves in rows:
            (self.moved if moves else self.new).append(row)
            self._held[str(row[1])] = key

    def write(self, conn: Connection) -> None:
        """After the customers' rows: new notes in bulk, held ones moved (or written again
        if their holder went in the meantime)."""
        insert_rows(conn, "customer_notes", NOTE_COLUMNS, self.new)
        if self.moved:
            conn.exec_driver_sql(_MOVE, [tuple(r) for r in self.moved])
        self.new, self.moved = [], []
