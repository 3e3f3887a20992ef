"""The end-of-run checks see what they must: a lost operation, a doubled ledger row, a
balance off by an entry, a field that differs, an operation stuck in an outbox."""

from __future__ import annotations

from collections import Counter

from tests.fault.checks import check_balances, check_operations, check_terminal, journal_ops
from tests.fault.ho_view import HeadOfficeView
from tests.fault.journal import JournalEntry, JournalOp
from tests.fault.terminal_view import TerminalView

ADA = "01900000-0000-7000-8000-00000000000a"
ADA_TWIN = "01900000-0000-7000-8000-00000000000b"
ENTRY = "01900000-0000-7000-8000-0000000000e1"


def _ledger_op(op_id: str, customer: str, amount: int, entry: str = ENTRY) -> JournalOp:
    payload = {"uuid": entry, "customer_uuid": customer, "account": "points", "amount": amount}
    return JournalOp(op_id, "ledger.entry", entry, payload)


def _head_office() -> HeadOfficeView:
    ho = HeadOfficeView()
    ho.documents["customer"] = {
        ADA: {"full_name": "Ada Lovelace", "notes": [], "merged_into_uuid": None},
        ADA_TWIN: {"full_name": "Ada Lovelace", "notes": [], "merged_into_uuid": ADA},
    }
    ho.balances = {ADA: {"points": 50, "purse": 0}, ADA_TWIN: {"points": 50, "purse": 0}}
    ho.answers = {"op-1": ("applied", "")}
    ho.ledger_uuids = {ENTRY}
    ho.ledger_rows_per_op = Counter({"op-1": 1})
    return ho


def test_an_operation_applied_once_with_its_row_passes() -> None:
    assert check_operations("T1", [_ledger_op("op-1", ADA_TWIN, 50)], _head_office()) == []


def test_an_operation_head_office_never_answered_is_lost() -> None:
    (finding,) = check_operations("T1", [_ledger_op("op-2", ADA, 5)], _head_office())

    assert (finding.kind, finding.terminal) == ("lost", "T1")


def test_a_rejected_operation_is_lost_with_the_reason() -> None:
    ho = _head_office()
    ho.answers["op-1"] = ("rejected", "customer unknown")

    (finding,) = check_operations("T1", [_ledger_op("op-1", ADA, 50)], ho)

    assert finding.kind == "lost" and "customer unknown" in finding.detail


def test_two_ledger_rows_from_one_operation_are_doubled() -> None:
    ho = _head_office()
    ho.ledger_rows_per_op["op-1"] = 2

    (finding,) = check_operations("T1", [_ledger_op("op-1", ADA, 50)], ho)

    assert finding.kind == "doubled"


def test_balances_follow_merges_and_catch_an_entry_too_many_or_too_few() -> None:
    op = _ledger_op("op-1", ADA_TWIN, 50)  # earned by the twin, held by the survivor
    assert check_balances([op], _head_office()) == []

    ho = _head_office()
    ho.balances[ADA]["points"] = 100
    assert [f.kind for f in check_balances([op], ho)] == ["doubled"]
    ho.balances[ADA]["points"] = 0
    assert [f.kind for f in check_balances([op], ho)] == ["lost"]


def test_a_terminal_that_differs_from_head_office_has_diverged() -> None:
    ho = _head_office()
    same = TerminalView(
        customers={
            ADA: {"full_name": "Ada Lovelace", "notes": [], "merged_into_uuid": None},
            ADA_TWIN: {"full_name": "Ada Lovelace", "notes": [], "merged_into_uuid": ADA},
        },
        balances={ADA: {"points": 50, "purse": 0}},
        outbox={"op-1": "done"},
    )
    assert check_terminal("T1", same, ho) == []

    same.customers[ADA]["full_name"] = "Ada King"
    same.balances[ADA]["points"] = 49
    same.outbox["op-9"] = "pending"
    subjects = sorted(f.subject for f in check_terminal("T1", same, ho))

    assert subjects == [f"customer {ADA} full_name", f"customer {ADA} points", "outbox"]


def test_each_operation_is_counted_once_across_journal_entries() -> None:
    op = _ledger_op("op-1", ADA, 50)
    entries = [JournalEntry(0, "top_up", (op,), 1), JournalEntry(1, "recovered", (op,), 1)]

    assert journal_ops(entries) == [op]
