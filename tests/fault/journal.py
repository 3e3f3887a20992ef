"""The terminal agent's journal: every operation it committed, so the harness knows
exactly what must reach head office.

One JSON line per workload step, fsync'd before the agent goes on. A step names the
outbox operations its transaction wrote (read back from the store by their row ids), so
the journal holds the very ids and payloads head office must end up with. A line torn
by a SIGKILL is ignored when read; the agent's next start journals whatever the store
committed after the last whole line (``recovered``), so nothing committed goes unlisted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class JournalOp:
    """One outbox operation as the terminal committed it."""

    id: str
    kind: str
    entity_uuid: str
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One workload step: what was done, and the operations its transaction wrote."""

    step: int
    action: str
    ops: tuple[JournalOp, ...]
    outbox_max: int  # the largest outbox row id once this step committed
    terminal: str = ""
    facts: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @staticmethod
    def from_json(line: str) -> JournalEntry:
        raw = json.loads(line)
        return JournalEntry(
            step=int(raw["step"]),
            action=str(raw["action"]),
            ops=tuple(JournalOp(**op) for op in raw["ops"]),
            outbox_max=int(raw["outbox_max"]),
            terminal=str(raw.get("terminal", "")),
            facts=dict(raw.get("facts", {})),
        )


class Journal:
    """Appends entries to ``path``, each fsync'd before :meth:`append` returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._repair()
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def append(self, entry: JournalEntry) -> None:
        os.write(self._fd, (entry.to_json() + "\n").encode())
        os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)

    def _repair(self) -> None:
        # A SIGKILL mid-write leaves a line with no newline; end it so the next entry
        # starts a line of its own (the torn line is skipped by read_journal).
        if self.path.exists() and self.path.stat().st_size:
            with self.path.open("rb+") as handle:
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":
                    handle.write(b"\n")
                    handle.flush()
                    os.fsync(handle.fileno())


def read_journal(path: Path) -> list[JournalEntry]:
    """Every whole entry in ``path`` (none when it does not exist)."""
    return list(_entries(path))


def _entries(path: Path) -> Iterator[JournalEntry]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                return  # torn by a kill: never fsync'd whole, so never promised
            try:
                yield JournalEntry.from_json(line)
            except (ValueError, KeyError, TypeError):
                continue  # a torn line that a later start ended with a newline
