"""The end-of-run checks: nothing lost, nothing doubled, nothing diverged.

- Every operation in every journal is at head office exactly once: answered ``applied``
  (a ``rejected`` answer counts as lost, with head office's reason), and its business row
  is there once (a ledger entry by uuid and by operation, a closed tab, a note, the
  customer or card it created).
- Each surviving customer's balances at head office are the sum of the journals'
  ledger entries of every customer merged into it (more: doubled; less: lost).
- Every terminal holds head office's directory (customers field by field, notes, merge
  redirects, cards), catalogue and balances, and has no operation left unacknowledged.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from app.sync.documents import CUSTOMER_FIELDS, IDENTIFIER_FIELDS
from tests.fault.ho_view import HeadOfficeView
from tests.fault.journal import JournalEntry, JournalOp
from tests.fault.terminal_view import CATALOGUE_COLUMNS, TerminalView

Kind = Literal["lost", "doubled", "diverged"]
ACCOUNTS = ("points", "purse")
_SHOWN = 160


@dataclass(frozen=True, slots=True)
class Finding:
    kind: Kind
    terminal: str  # "" when it is head office's alone
    subject: str
    detail: str

    def __str__(self) -> str:
        where = f"[{self.terminal}] " if self.terminal else ""
        return f"{self.kind}: {where}{self.subject}: {self.detail}"


@dataclass
class Verdict:
    operations: int = 0
    findings: list[Finding] = field(default_factory=list)

    def count(self, kind: Kind) -> int:
        return sum(1 for f in self.findings if f.kind == kind)

    @property
    def ok(self) -> bool:
        return not self.findings


def journal_ops(entries: Iterable[JournalEntry]) -> list[JournalOp]:
    """Each operation once, in the order the terminal committed them."""
    seen: dict[str, JournalOp] = {}
    for entry in entries:
        for op in entry.ops:
            seen.setdefault(op.id, op)
    return list(seen.values())


def check_operations(terminal: str, ops: Sequence[JournalOp], ho: HeadOfficeView) -> list[Finding]:
    found: list[Finding] = []

    def report(kind: Kind, op: JournalOp, detail: str) -> None:
        found.append(Finding(kind, terminal, f"{op.kind} {op.id}", detail))

    for op in ops:
        answer = ho.answers.get(op.id)
        if answer is None:
            report("lost", op, "head office has no answer for this operation")
            continue
        status, reason = answer
        if status != "applied":
            report("lost", op, f"head office answered {status!r}: {reason[:_SHOWN]}")
            continue
        payload = op.payload
        if op.kind == "ledger.entry":
            rows = ho.ledger_rows_per_op[op.id]
            if str(payload.get("uuid")) not in ho.ledger_uuids or rows == 0:
                report("lost", op, f"ledger entry {payload.get('uuid')} is not in the ledger")
            elif rows > 1:
                report("doubled", op, f"{rows} ledger rows came from this operation")
        elif op.kind == "tab.closed":
            tab_uuid = str(payload.get("uuid") or op.entity_uuid)
            if op.id not in ho.closed_tab_ops:
                report("lost", op, f"tab {tab_uuid} is not among the closed tabs")
            elif ho.closings_per_tab[tab_uuid] > 1:
                report("doubled", op, f"tab {tab_uuid} closed {ho.closings_per_tab[tab_uuid]}x")
        elif op.kind == "customer.note":
            note = payload.get("note") or {}
            owner = ho.survivor(str(payload.get("customer_uuid")))
            doc = ho.customer(owner) or {}
            times = sum(1 for n in doc.get("notes", []) if n.get("uuid") == note.get("uuid"))
            if times == 0:
                report("lost", op, f"note {note.get('uuid')} is not on customer {owner}")
            elif times > 1:
                report("doubled", op, f"note {note.get('uuid')} is on customer {owner} {times}x")
        elif op.kind in {"customer.upsert", "identifier.upsert"}:
            entity = op.kind.split(".", 1)[0]
            if op.entity_uuid not in ho.documents.get(entity, {}):
                report("lost", op, f"head office has no {entity} {op.entity_uuid}")
    return found


def check_balances(all_ops: Iterable[JournalOp], ho: HeadOfficeView) -> list[Finding]:
    """Each surviving customer's balances against the journals' ledger entries."""
    expected: dict[str, Counter[str]] = defaultdict(Counter)
    for op in all_ops:
        if op.kind == "ledger.entry" and ho.answers.get(op.id, ("",))[0] == "applied":
            owner = ho.survivor(str(op.payload.get("customer_uuid")))
            expected[owner][str(op.payload.get("account"))] += int(op.payload.get("amount", 0))
    found: list[Finding] = []
    for uuid, doc in ho.documents.get("customer", {}).items():
        if doc.get("merged_into_uuid"):
            continue
        held = ho.balances.get(uuid, {})
        for account in ACCOUNTS:
            want, have = expected[uuid][account], int(held.get(account, 0))
            if want != have:
                kind: Kind = "doubled" if have > want else "lost"
                found.append(
                    Finding(
                        kind, "", f"customer {uuid} {account}", f"{have}, the journals say {want}"
                    )
                )
    return found


def check_terminal(terminal: str, view: TerminalView, ho: HeadOfficeView) -> list[Finding]:
    """The terminal's directory, catalogue, balances and outbox against head office."""
    found: list[Finding] = []

    def differ(subject: str, detail: str) -> None:
        found.append(Finding("diverged", terminal, subject, detail))

    ho_customers = ho.documents.get("customer", {})
    for uuid in sorted(set(ho_customers) | set(view.customers)):
        mine, theirs = view.customers.get(uuid), ho_customers.get(uuid)
        if mine is None or theirs is None:
            differ(
                f"customer {uuid}", "only at " + ("head office" if mine is None else "the terminal")
            )
            continue
        wanted = {name: theirs.get(name) for name in CUSTOMER_FIELDS}
        wanted["notes"] = sorted((n.get("uuid"), n.get("text")) for n in theirs.get("notes", []))
        wanted["merged_into_uuid"] = theirs.get("merged_into_uuid")
        for name, value in _differences(wanted, mine):
            differ(f"customer {uuid} {name}", value)
        if not theirs.get("merged_into_uuid"):
            for account in ACCOUNTS:
                have = view.balances.get(uuid, {}).get(account, 0)
                want = ho.balances.get(uuid, {}).get(account, 0)
                if have != want:
                    differ(f"customer {uuid} {account}", f"{have} here, {want} at head office")
    ho_cards = ho.documents.get("identifier", {})
    for uuid in sorted(set(ho_cards) | set(view.identifiers)):
        mine, theirs = view.identifiers.get(uuid), ho_cards.get(uuid)
        if mine is None or theirs is None:
            differ(f"card {uuid}", _only_at(mine is None))
            continue
        wanted = {name: theirs.get(name) for name in IDENTIFIER_FIELDS}
        for name, value in _differences(wanted, mine):
            differ(f"card {uuid} {name}", value)
    for entity, rows in view.catalogue.items():
        docs = ho.documents.get(entity, {})
        if set(docs) != set(rows):
            differ(entity, f"{len(rows)} here, {len(docs)} at head office")
        for uuid in set(docs) & set(rows):
            wanted = {k: v for k, v in docs[uuid].items() if k in CATALOGUE_COLUMNS}
            for name, value in _differences(wanted, rows[uuid]):
                differ(f"{entity} {uuid} {name}", value)
    stuck = Counter(status for status in view.outbox.values() if status != "done")
    for status, times in stuck.items():
        differ("outbox", f"{times} operation(s) still {status}")
    return found


def _only_at(head_office: bool) -> str:
    return "only at " + ("head office" if head_office else "the terminal")


def _differences(wanted: Mapping[str, Any], have: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    for name, value in wanted.items():
        if _norm(value) != _norm(have.get(name)):
            out.append((name, f"{_short(have.get(name))} here, {_short(value)} at head office"))
    return out


def _norm(value: Any) -> Any:
    """Values as compared: instants in one spelling, tuples as lists, "" and None alike."""
    if isinstance(value, str):
        if len(value) >= 19 and value[4] == "-" and "T" in value:
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value
            if parsed.tzinfo is not None:
                return parsed.astimezone(UTC).isoformat()
        return value if value else None
    if isinstance(value, list | tuple):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."
