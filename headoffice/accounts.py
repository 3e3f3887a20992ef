"""Reading head office's accounts: a customer's balances and the overdrafts to review."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from headoffice.customer_index import resolve
from headoffice.schema import balances as balance_rows
from headoffice.schema import customer_keys
from headoffice.schema import overdraft_reviews as review_rows


def balances(conn: Connection, customer_uuid: str) -> dict[str, int]:
    """``{"points": n, "purse": n}`` for a customer, followed through merges (an unknown
    customer has nothing: both are 0)."""
    ref = resolve(conn, customer_uuid)
    found = {"points": 0, "purse": 0}
    if ref is None:
        return found
    b = balance_rows.c
    for account, amount in conn.execute(
        select(b.account, b.amount).where(b.customer_uuid == ref.uuid)
    ):
        found[str(account)] = int(amount)
    return found


def lifetime_points(conn: Connection, customer_uuid: str) -> int:
    """Points ever earned by a customer (after merges), less earnings reversed."""
    ref = resolve(conn, customer_uuid)
    if ref is None:
        return 0
    b = balance_rows.c
    value = conn.execute(
        select(b.lifetime_points).where(b.customer_uuid == ref.uuid, b.account == "points")
    ).scalar()
    return int(value or 0)


def overdraft_reviews(conn: Connection) -> list[dict[str, Any]]:
    """Entries that took an account below zero (or below the credit limit), oldest first:
    ``entry_uuid, customer_uuid, customer_name, account, amount, balance_after,
    credit_limit_minor, terminal_uuid, entry_at, recorded_at``."""
    o, k = review_rows.c, customer_keys.c
    query = (
        select(
            o.entry_uuid,
            o.customer_uuid,
            k.full_name.label("customer_name"),
            o.account,
            o.amount,
            o.balance_after,
            o.credit_limit_minor,
            o.terminal_uuid,
            o.entry_at,
            o.recorded_at,
        )
        .select_from(review_rows.outerjoin(customer_keys, k.uuid == o.customer_uuid))
        .order_by(o.recorded_at, o.entry_uuid)
    )
    return [dict(row._mapping) for row in conn.execute(query)]
