"""Head office's tables, on SQLite and PostgreSQL alike (docs/SYNC.md).

Every syncable thing is a row of ``documents``: its whole document as JSON text (so a
pull can splice it into an answer without parsing it), a tombstone flag and its row
version ``(txid, seq)``. Beside the documents sit the tables head office computes from
the operations it applied: the ledger and balances, closed tabs and customer figures,
and the small indexes that find duplicates (phones, card values).

Other head-office modules (terminals, enrolment) add their tables to :data:`metadata`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Dialect,
    Engine,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    insert,
    select,
)
from sqlalchemy.types import TypeDecorator

from app.sync.wire import ENTITY_KINDS


class Instant(TypeDecorator[datetime]):
    """An aware time kept as fixed-width UTC text ("2026-11-23T12:00:00.000000+00:00"),
    so it sorts and compares as text on both databases; a time with no zone is refused
    rather than guessed."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"the time {value.isoformat()} has no time zone")
        return value.astimezone(UTC).isoformat(timespec="microseconds")

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return datetime.fromisoformat(str(value)).astimezone(UTC)


metadata = MetaData()

ENTITY_RANK: dict[str, int] = {name: rank for rank, name in enumerate(ENTITY_KINDS)}
"""Each entity kind's place in snapshot order, stored instead of its name."""

documents = Table(
    "documents",
    metadata,
    Column("rank", SmallInteger, nullable=False),  # ENTITY_RANK of the entity kind
    Column("uuid", String(36), nullable=False),
    Column("data", Text, nullable=False),  # the whole document as JSON ("{}" when deleted)
    Column("deleted", Boolean, nullable=False, default=False),
    Column("deleted_at", Instant),
    Column("txid", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("updated_at", Instant, nullable=False),
    PrimaryKeyConstraint("rank", "uuid", name="pk_documents"),  # also the snapshot's keyset
    Index("ix_documents_version", "txid", "seq"),
)

row_counters = Table(
    "row_counters",
    metadata,
    Column("name", String(16), primary_key=True),  # "txid" (SQLite only)
    Column("value", BigInteger, nullable=False),
)

sync_meta = Table(
    "sync_meta",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)

applied_ops = Table(
    "applied_ops",
    metadata,
    Column("op_id", String(36), primary_key=True),
    Column("terminal_uuid", String(36), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("status", String(10), nullable=False),  # applied | duplicate | rejected
    Column("reason", Text, nullable=False, default=""),
    Column("applied_at", Instant, nullable=False),
    Column("txid", BigInteger, nullable=False),
)

customer_keys = Table(
    "customer_keys",
    metadata,
    Column("uuid", String(36), primary_key=True),
    Column("full_name", Text, nullable=False),
    Column("folded_name", Text, nullable=False),
    Column("created_at", Instant),
    Column("merged_into_uuid", String(36)),
    Column("credit_limit_minor", BigInteger),
    Column("deleted", Boolean, nullable=False, default=False),
)
"""What finding duplicates and following merges needs of each customer, kept beside its
document so neither needs the JSON parsed."""

customer_phones = Table(
    "customer_phones",
    metadata,
    Column("e164", String(20), nullable=False),
    Column("customer_uuid", String(36), nullable=False),
    PrimaryKeyConstraint("e164", "customer_uuid", name="pk_customer_phones"),
    Index("ix_customer_phones_customer", "customer_uuid"),
)

identifier_keys = Table(
    "identifier_keys",
    metadata,
    Column("kind", String(20), nullable=False),
    Column("value", String(128), nullable=False),
    Column("identifier_uuid", String(36), nullable=False),
    PrimaryKeyConstraint("kind", "value", name="pk_identifier_keys"),
    Index("ix_identifier_keys_uuid", "identifier_uuid"),
)
"""The card values in use (active, lost or blocked): one holder per kind and value."""

identifier_holders = Table(
    "identifier_holders",
    metadata,
    Column("identifier_uuid", String(36), primary_key=True),
    Column("customer_uuid", String(36), nullable=False),
    Index("ix_identifier_holders_customer", "customer_uuid"),
)
"""Which customer each personal card belongs to, so a merge can re-point them."""

ledger = Table(
    "ledger",
    metadata,
    Column("uuid", String(36), primary_key=True),
    Column("customer_uuid", String(36), nullable=False),  # after following merges
    Column("account", String(8), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("lifetime_delta", BigInteger, nullable=False),  # its share of lifetime points
    Column("at", Instant, nullable=False),
    Column("op_id", String(36)),  # None when head office wrote it (merge, import)
    Column("terminal_uuid", String(36)),
    Column("txid", BigInteger, nullable=False),
    Index("ix_ledger_customer", "customer_uuid", "txid"),
)

balances = Table(
    "balances",
    metadata,
    Column("customer_uuid", String(36), nullable=False),
    Column("account", String(8), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("lifetime_points", BigInteger, nullable=False),
    PrimaryKeyConstraint("customer_uuid", "account", name="pk_balances"),
)

overdraft_reviews = Table(
    "overdraft_reviews",
    metadata,
    Column("entry_uuid", String(36), primary_key=True),
    Column("customer_uuid", String(36), nullable=False),
    Column("account", String(8), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("balance_after", BigInteger, nullable=False),
    Column("credit_limit_minor", BigInteger, nullable=False),
    Column("terminal_uuid", String(36)),
    Column("entry_at", Instant, nullable=False),
    Column("recorded_at", Instant, nullable=False),
)

closed_tabs = Table(
    "closed_tabs",
    metadata,
    Column("op_id", String(36), primary_key=True),
    Column("tab_uuid", String(36), nullable=False),
    Column("terminal_uuid", String(36), nullable=False),
    Column("customer_uuid", String(36)),  # as named by the terminal
    Column("visit_customer_uuid", String(36)),  # whose figures the visit went to
    Column("closed_at", Instant, nullable=False),
    Column("paid_minor", BigInteger, nullable=False),
    Column("guests", BigInteger, nullable=False),
    Column("visit", Text, nullable=False),  # the visit's facts as JSON
    Column("payload", Text, nullable=False),  # the closed tab's view as sent
    Column("counted", Boolean, nullable=False),  # its visit is in the figures now
    Column("txid", BigInteger, nullable=False),
    Index("ix_closed_tabs_tab", "tab_uuid"),
)

tab_reopenings = Table(
    "tab_reopenings",
    metadata,
    Column("op_id", String(36), primary_key=True),
    Column("tab_uuid", String(36), nullable=False),
    Column("terminal_uuid", String(36), nullable=False),
    Column("at", Instant, nullable=False),
    Index("ix_tab_reopenings_tab", "tab_uuid"),
)

customer_stats = Table(
    "customer_stats",
    metadata,
    Column("customer_uuid", String(36), primary_key=True),
    Column("visits", Integer, nullable=False),
    Column("total_spent_minor", BigInteger, nullable=False),
    Column("first_visit", Instant),
    Column("last_visit", Instant),
    Column("item_counts", Text, nullable=False),  # {item uuid: quantity}
    Column("payment_counts", Text, nullable=False),  # {payment method: count}
)

clamped_clocks = Table(
    "clamped_clocks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("op_id", String(36), nullable=False),
    Column("terminal_uuid", String(36), nullable=False),
    Column("field", String(64), nullable=False),
    Column("sent", String(64), nullable=False),
    Column("clamped_to", String(64), nullable=False),
    Column("recorded_at", Instant, nullable=False),
)
"""Clocks a terminal sent too far ahead of head office's, and what they were cut to."""


def is_postgresql(conn: Connection) -> bool:
    """Whether ``conn`` talks to PostgreSQL (otherwise it is SQLite)."""
    return conn.dialect.name == "postgresql"


def create_schema(engine: Engine) -> None:
    """Create every table that is missing, and SQLite's txid counter; running it again
    changes nothing."""
    metadata.create_all(engine)
    with engine.begin() as conn:
        have = set(conn.scalars(select(row_counters.c.name)))
        missing = [{"name": n, "value": 0} for n in ("txid",) if n not in have]
        if missing:
            conn.execute(insert(row_counters), missing)


def upsert_statement(conn: Connection, table: Table) -> Any:
    """An INSERT that takes ``on_conflict_do_update``/``_nothing`` on either database."""
    if is_postgresql(conn):
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)
