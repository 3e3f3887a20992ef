"""Bulk documents from a JSON Lines file, one ``{"entity", "uuid", "data"}`` per line.

The file is read twice, streaming: first every line is checked (so a bad line at the
end writes nothing), then documents are written in chunks of 5,000, one transaction
each. Writing a document again replaces it, so an import cut short is finished by
running it again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.sync.documents import DOCUMENT_FIELDS, check_fields, is_uuid

CHUNK = 5000
MAX_REPORTED = 20

Document = tuple[str, str, dict[str, Any]]


class ImportFileError(Exception):
    """Lines that cannot be imported, each with its number and reason."""

    def __init__(self, problems: list[str], more: int) -> None:
        shown = problems + ([f"... and {more} more bad lines"] if more else [])
        super().__init__("; ".join(shown))
        self.problems = shown


@dataclass(frozen=True, slots=True)
class CheckedFile:
    path: Path
    documents: int


def check_import_file(path: Path) -> CheckedFile:
    """Every line of ``path`` checked; ImportFileError naming the bad ones."""
    problems: list[str] = []
    bad = count = 0
    for number, line in _lines(path):
        try:
            _parse_line(line)
            count += 1
        except ValueError as exc:
            bad += 1
            if len(problems) < MAX_REPORTED:
                problems.append(f"line {number}: {exc}")
    if bad:
        raise ImportFileError(problems, bad - len(problems))
    return CheckedFile(path, count)


def document_chunks(checked: CheckedFile, size: int = CHUNK) -> Iterator[list[Document]]:
    """The documents of a checked file, ``size`` at a time."""
    chunk: list[Document] = []
    for _number, line in _lines(checked.path):
        chunk.append(_parse_line(line))
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def import_documents(
    checked: CheckedFile,
    write_chunk: Callable[[list[Document]], int],
    progress: Callable[[int, int], None],
) -> int:
    """Write every document through ``write_chunk`` (one transaction each); returns how
    many were written. ``progress(done, total)`` after each chunk."""
    done = 0
    for chunk in document_chunks(checked):
        done += write_chunk(chunk)
        progress(done, checked.documents)
    return done


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError:
        raise ImportFileError([f"no such file: {path}"], 0) from None
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield number, line
        except UnicodeDecodeError:
            raise ImportFileError([f"{path} is not UTF-8 text"], 0) from None


def _parse_line(line: str) -> Document:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(row, dict) or set(row) != {"entity", "uuid", "data"}:
        raise ValueError('each line is an object with exactly "entity", "uuid" and "data"')
    entity, uuid, data = row["entity"], row["uuid"], row["data"]
    if entity not in DOCUMENT_FIELDS:
        raise ValueError(f"unknown entity {entity!r}; one of " + ", ".join(DOCUMENT_FIELDS))
    if not is_uuid(uuid):
        raise ValueError("uuid must be a lower-case uuid")
    if not isinstance(data, dict):
        raise ValueError("data must be an object")
    problems = check_fields(entity, data, whole=True)
    if problems:
        raise ValueError(f"{entity} {uuid}: " + "; ".join(problems))
    return entity, uuid, data
