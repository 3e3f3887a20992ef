"""The agent's journal survives a kill in the middle of a line."""

from __future__ import annotations

from pathlib import Path

from tests.fault.journal import Journal, JournalEntry, JournalOp, read_journal


def _entry(step: int) -> JournalEntry:
    op = JournalOp(f"op-{step}", "ledger.entry", f"entity-{step}", {"amount": step})
    return JournalEntry(step, "top_up", (op,), outbox_max=step, terminal="T1")


def test_entries_read_back_as_written(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.append(_entry(1))
    journal.append(_entry(2))
    journal.close()

    assert read_journal(tmp_path / "journal.jsonl") == [_entry(1), _entry(2)]


def test_a_line_torn_by_a_kill_is_skipped_and_the_next_start_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.append(_entry(1))
    journal.close()
    with path.open("a") as handle:
        handle.write(_entry(2).to_json()[:25])  # what a SIGKILL mid-write leaves

    assert read_journal(path) == [_entry(1)]

    journal = Journal(path)  # the agent's next life
    journal.append(_entry(3))
    journal.close()

    assert read_journal(path) == [_entry(1), _entry(3)]


def test_no_journal_is_an_empty_one(tmp_path: Path) -> None:
    assert read_journal(tmp_path / "missing.jsonl") == []
