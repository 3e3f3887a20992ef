"""``ledger.entry``: entries are only ever added, once each by their uuid, and head office
keeps every customer's balances in the same transaction (docs/SYNC.md, "Ledger").

An entry that takes an account below zero (points) or below the customer's credit limit
(purse) is applied all the same and listed in ``overdraft_reviews``: the guest was served
offline, within what the terminal knew, and the money is real.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, text

from app.domain.errors import ValidationError
from app.domain.hlc import HEAD_OFFICE_NODE
from app.domain.ledger import AccountKind, EntryKind, LedgerEntry
from app.sync.documents import LEDGER_ENTRY_FIELDS
from headoffice.bulk import bulk_insert
from headoffice.customer_index import CustomerRef, resolve
from headoffice.documents_store import dumps, insert_documents
from headoffice.op_context import AlreadyAppliedError, OpContext, OpRejectedError, require_keys
from headoffice.row_versions import current_txid
from headoffice.schema import ledger, overdraft_reviews

HEAD_OFFICE_TERMINAL = "head office"
_ENTRY_KNOWN = select(ledger.c.uuid).where(ledger.c.uuid == bindparam("e_uuid"))
# Written out, as both databases spell it: SQLAlchemy cannot cache a dialect's
# ON CONFLICT construct, and compiling it anew for every entry cost more than the entry.
_ADD_TO_BALANCE = (
    "INSERT INTO balances (customer_uuid, account, amount, lifetime_points) "
    "VALUES (:customer_uuid, :account, :amount, :lifetime_points) "
    "ON CONFLICT (customer_uuid, account) DO UPDATE SET "
    "amount = balances.amount + excluded.amount, "
    "lifetime_points = balances.lifetime_points + excluded.lifetime_points"
)
_ADD = text(_ADD_TO_BALANCE)
_ADD_RETURNING = text(_ADD_TO_BALANCE + " RETURNING amount")
_UPSERT_ROWS = 500  # balances per multi-row upsert: 2,000 parameters
_SPENDING = frozenset({EntryKind.REDEEM.value, EntryKind.WITHDRAW.value})


@dataclass(frozen=True)
class Posting:
    """One entry as head office writes it: its document and its share of lifetime points."""

    data: dict[str, Any]  # the ledger_entry document (every field of LEDGER_ENTRY_FIELDS)
    lifetime_delta: int
    op_id: str | None
    terminal_uuid: str | None


def apply_ledger_entry(ctx: OpContext, payload: Mapping[str, Any]) -> None:
    """Add the entry a terminal wrote, to the customer it names (after merges)."""
    require_keys(payload, LEDGER_ENTRY_FIELDS, "the ledger entry")
    entry = checked_entry(payload)
    conn = ctx.conn
    if conn.execute(_ENTRY_KNOWN, {"e_uuid": entry["uuid"]}).first():
        raise AlreadyAppliedError
    ref = resolve(conn, entry["customer_uuid"])
    refusal = refused_customer(entry["customer_uuid"], ref)
    if refusal is not None or ref is None:
        raise OpRejectedError(refusal or "")
    entry["customer_uuid"] = ref.uuid
    lifetime = lifetime_share(conn, entry)
    after = post(conn, [Posting(entry, lifetime, ctx.op_id, ctx.terminal_uuid)], ctx.now)
    review = overdraft_review(entry, ref, after[(ref.uuid, entry["account"])], ctx)
    if review is not None:
        conn.execute(insert(overdraft_reviews), review)


def refused_customer(asked: str, ref: CustomerRef | None) -> str | None:
    """Why an entry cannot go to the customer ``asked`` leads to; None when it can."""
    if ref is None:
        return f"customer {asked} is unknown at head office"
    if ref.deleted:
        return f"customer {ref.full_name} ({ref.uuid}) was deleted at head office"
    return None


def overdraft_review(
    entry: Mapping[str, Any], ref: CustomerRef, balance: int, ctx: OpContext
) -> dict[str, Any] | None:
    """The ``overdraft_reviews`` row when spending ``entry`` left ``balance`` below the
    account's floor; None otherwise."""
    floor = 0 if entry["account"] == AccountKind.POINTS else -(ref.credit_limit_minor or 0)
    if entry["kind"] not in _SPENDING or balance >= floor:
        return None
    return {
        "entry_uuid": entry["uuid"],
        "customer_uuid": ref.uuid,
        "account": entry["account"],
        "amount": entry["amount"],
        "balance_after": balance,
        "credit_limit_minor": -floor,
        "terminal_uuid": ctx.terminal_uuid,
        "entry_at": datetime.fromisoformat(entry["at"]),
        "recorded_at": ctx.now,
    }


def checked_entry(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The entry as a whole document (absent optional fields filled in), once the
    ledger's own rules hold: the kind belongs on the account, the sign fits the kind,
    a reversal names what it undoes, an adjustment says why. OpRejectedError otherwise."""
    entry: dict[str, Any] = {name: payload.get(name) for name in LEDGER_ENTRY_FIELDS}
    entry["reason"] = entry["reason"] or ""
    entry["terminal"] = entry["terminal"] or ""
    try:
        at = datetime.fromisoformat(str(entry["at"]))
        LedgerEntry(
            uuid=str(entry["uuid"]),
            customer_id=0,
            account=AccountKind(str(entry["account"])),
            kind=EntryKind(str(entry["kind"])),
            amount=entry["amount"],
            at=at,
            tab_uuid=entry["tab_uuid"],
            terminal=str(entry["terminal"]),
            staff_uuid=str(entry["staff_uuid"] or ""),
            reason=str(entry["reason"]),
            reverses_uuid=entry["reverses_uuid"],
        )
    except ValidationError as error:
        raise OpRejectedError(f"the ledger entry is not valid: {error}") from None
    entry["at"] = at.astimezone(UTC).isoformat()
    return entry


def lifetime_share(conn: Connection, entry: Mapping[str, Any]) -> int:
    """What an entry adds to lifetime points: an earning, or the reversal of one."""
    if entry["account"] != AccountKind.POINTS:
        return 0
    if entry["kind"] == EntryKind.EARN:
        return int(entry["amount"])
    if entry["kind"] == EntryKind.REVERSE and entry["reverses_uuid"]:
        kind = conn.execute(
            select(ledger.c.kind).where(ledger.c.uuid == entry["reverses_uuid"])
        ).scalar()
        return lifetime_given(entry, kind)
    return lifetime_given(entry, None)


def lifetime_given(entry: Mapping[str, Any], reversed_kind: str | None) -> int:
    """:func:`lifetime_share` once the kind of the entry it reverses (if any) is known."""
    if entry["account"] != AccountKind.POINTS:
        return 0
    if entry["kind"] == EntryKind.EARN:
        return int(entry["amount"])
    if entry["kind"] == EntryKind.REVERSE and entry["reverses_uuid"]:
        return int(entry["amount"]) if reversed_kind == EntryKind.EARN else 0
    return 0


def post(
    conn: Connection, postings: Sequence[Posting], now: datetime
) -> dict[tuple[str, str], int]:
    """Write entries (ledger rows, their documents, the balances); returns each touched
    ``(customer, account)`` balance afterwards. An entry whose amount is zero (a merge
    moving only lifetime points) is kept in the ledger but sends no document."""
    if not postings:
        return {}
    write_entries(conn, postings, now)
    deltas: dict[tuple[str, str], list[int]] = {}
    for p in postings:
        key = (p.data["customer_uuid"], p.data["account"])
        total = deltas.setdefault(key, [0, 0])
        total[0] += int(p.data["amount"])
        total[1] += p.lifetime_delta
    return add_to_balances(conn, deltas)


def write_entries(conn: Connection, postings: Sequence[Posting], now: datetime) -> None:
    """The ledger rows and the documents of ``postings``; balances are the caller's."""
    txid = current_txid(conn)
    bulk_insert(
        conn,
        ledger,
        [
            {
                "uuid": p.data["uuid"],
                "customer_uuid": p.data["customer_uuid"],
                "account": p.data["account"],
                "kind": p.data["kind"],
                "amount": p.data["amount"],
                "lifetime_delta": p.lifetime_delta,
                "at": datetime.fromisoformat(p.data["at"]),
                "op_id": p.op_id,
                "terminal_uuid": p.terminal_uuid,
                "txid": txid,
            }
            for p in postings
        ],
    )
    insert_documents(
        conn,
        "ledger_entry",
        [(p.data["uuid"], dumps(p.data)) for p in postings if p.data["amount"] != 0],
        now,
    )


def add_to_balances(
    conn: Connection, deltas: Mapping[tuple[str, str], Sequence[int]]
) -> dict[tuple[str, str], int]:
    """Add ``[amount, lifetime]`` to each ``(customer, account)``; the new amounts."""
    rows = [
        {"customer_uuid": c, "account": a, "amount": d[0], "lifetime_points": d[1]}
        for (c, a), d in sorted(deltas.items())
    ]
    if len(rows) > 1:  # many at once (imports, merges): no need to read them back
        conn.execute(_ADD, rows)
        return {}
    result = conn.execute(_ADD_RETURNING, rows[0]).scalar_one()
    customer, account = next(iter(deltas))
    return {(customer, account): int(result)}


def add_to_balances_returning(
    conn: Connection, deltas: Mapping[tuple[str, str], Sequence[int]]
) -> dict[tuple[str, str], int]:
    """:func:`add_to_balances` reading every new amount back, a few hundred rows per
    statement (one multi-row upsert, in key order so concurrent pushes lock alike)."""
    items = sorted(deltas.items())
    after: dict[tuple[str, str], int] = {}
    for start in range(0, len(items), _UPSERT_ROWS):
        chunk = items[start : start + _UPSERT_ROWS]
        values = ", ".join(f"(:c{i}, :a{i}, :m{i}, :l{i})" for i in range(len(chunk)))
        params: dict[str, Any] = {}
        for i, ((customer, account), delta) in enumerate(chunk):
            params.update({f"c{i}": customer, f"a{i}": account, f"m{i}": delta[0]})
            params[f"l{i}"] = delta[1]
        statement = _ADD_TO_BALANCE.replace(
            "VALUES (:customer_uuid, :account, :amount, :lifetime_points)", f"VALUES {values}"
        )
        rows = conn.execute(text(statement + " RETURNING customer_uuid, account, amount"), params)
        after.update({(row.customer_uuid, row.account): int(row.amount) for row in rows})
    return after


def head_office_entry(
    uuid: str, customer_uuid: str, account: str, amount: int, reason: str, at: datetime
) -> dict[str, Any]:
    """An adjustment head office writes itself (a merge's transfer)."""
    return {
        "uuid": uuid,
        "customer_uuid": customer_uuid,
        "account": account,
        "kind": EntryKind.ADJUST.value,
        "amount": amount,
        "at": at.astimezone(UTC).isoformat(),
        "tab_uuid": None,
        "terminal": HEAD_OFFICE_TERMINAL,
        "staff_uuid": HEAD_OFFICE_NODE,
        "reason": reason[:500],
        "reverses_uuid": None,
    }
