"""Reading head office's accounts: a customer's balances and the overdrafts to review."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection


def balances(conn: Connection, customer_uuid: str) -> dict[str, int]:
    """``{"points": n, "purse": n}`` for a customer (followed through merges)."""
    raise NotImplementedError


def overdraft_reviews(conn: Connection) -> list[dict[str, Any]]:
    """Entries that took an account below zero (or below the credit limit), oldest first:
    ``entry_uuid, customer_uuid, customer_name, account, amount, balance_after,
    credit_limit_minor, terminal_uuid, entry_at, recorded_at``."""
    raise NotImplementedError
