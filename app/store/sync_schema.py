"""Tables of the terminal's sync bookkeeping (docs/SYNC.md); migration 0005 creates them.

Columns added to existing tables for sync (field clocks, the snapshot mark, the outbox's
acknowledgements) are described with their tables in ``schema`` and ``tab_schema``.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text

from app.store.schema import metadata

# Key and value: node, cursor, snapshot page, terminal uuid... (SyncState), one row each.
sync_state = Table(
    "sync_state",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("value", Text, nullable=False),
)

# Head office's balances brought forward by the last snapshot: balance = opening + entries.
sync_openings = Table(
    "sync_openings",
    metadata,
    Column(
        "customer_id",
        Integer,
        ForeignKey("customers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("account", String(8), primary_key=True),
    Column("amount", Integer, nullable=False),
    Column("lifetime_points", Integer, nullable=False, server_default="0"),
)

# Openings of a snapshot under way, by customer uuid (the customer may come on a later
# page); swapped into sync_openings when the snapshot finishes.
sync_openings_staged = Table(
    "sync_openings_staged",
    metadata,
    Column("customer_uuid", String(36), primary_key=True),
    Column("account", String(8), primary_key=True),
    Column("amount", Integer, nullable=False),
    Column("lifetime_points", Integer, nullable=False, server_default="0"),
)

# A pulled document waiting for something it refers to that is not (yet) in the store.
# With ``data`` empty only the reference waits (its column is left NULL and filled in
# when the target arrives); with ``data``, the whole document waits (a menu item whose
# group has not come), and is applied when it can be.
sync_waiting = Table(
    "sync_waiting",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity", String(24), nullable=False),
    Column("uuid", String(36), nullable=False, index=True),
    Column("field", String(40), nullable=False),
    Column("target_uuid", String(36), nullable=False, index=True),
    Column("data", Text),
)
