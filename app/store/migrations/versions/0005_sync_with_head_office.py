"""sync with head office: field clocks, note uuids, outbox acknowledgements, sync state

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:00:00

``customers`` and ``identifiers`` gain columns with plain ``ADD COLUMN`` (no batch copy),
so the directory's search triggers survive. ``customer_notes`` has no triggers and is
batch-migrated to get its unique ``uuid``; existing notes are given a UUIDv7 each.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.domain.ids import new_uuid7

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CATALOGUE = (
    "promotion_categories",
    "sales_rules",
    "menu_groups",
    "menu_items",
    "divisions",
    "dining_tables",
)
_OUTBOX_COLUMNS = ("ho_txid", "acked_at", "reason", "status", "hlc")
_NOW_MS = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
# A UUIDv7 made by SQLite, for notes written by plain SQL that names no uuid.
_UUID7_SQL = (
    f"(substr(printf('%012x', {_NOW_MS}), 1, 8) || '-' || substr(printf('%012x', {_NOW_MS}), 9, 4)"
    " || '-7' || substr(lower(hex(randomblob(2))), 2) || '-'"
    " || substr('89ab', 1 + abs(random() % 4), 1) || substr(lower(hex(randomblob(2))), 2)"
    " || '-' || lower(hex(randomblob(6))))"
)


def _clocks() -> sa.Column[str]:
    return sa.Column("clocks", sa.Text(), server_default="{}", nullable=False)


def _existing_tables() -> None:
    for table in ("customers", "identifiers"):
        op.add_column(table, _clocks())
        op.add_column(table, sa.Column("sync_mark", sa.Integer()))
    op.create_index(
        "ix_customers_merged_into_id",
        "customers",
        ["merged_into_id"],
        sqlite_where=sa.text("merged_into_id IS NOT NULL"),
        postgresql_where=sa.text("merged_into_id IS NOT NULL"),
    )
    for table in _CATALOGUE:
        op.add_column(table, sa.Column("sync_mark", sa.Integer()))
    op.add_column("customer_notes", sa.Column("uuid", sa.String(length=36)))
    notes = sa.table("customer_notes", sa.column("id", sa.Integer), sa.column("uuid", sa.String))
    connection = op.get_bind()
    ids = [row[0] for row in connection.execute(sa.select(notes.c.id).order_by(notes.c.id))]
    if ids:
        connection.execute(
            sa.update(notes).where(notes.c.id == sa.bindparam("note_id")),
            [{"note_id": note_id, "uuid": new_uuid7()} for note_id in ids],
        )
    with op.batch_alter_table("customer_notes") as batch_op:
        batch_op.alter_column(
            "uuid",
            existing_type=sa.String(length=36),
            nullable=False,
            server_default=sa.text(_UUID7_SQL),
        )
        batch_op.create_unique_constraint(op.f("uq_customer_notes_uuid"), ["uuid"])


def _outbox() -> None:
    op.add_column(
        "outbox", sa.Column("hlc", sa.String(length=64), server_default="", nullable=False)
    )
    op.add_column(
        "outbox",
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
    )
    op.add_column("outbox", sa.Column("reason", sa.Text(), server_default="", nullable=False))
    op.add_column("outbox", sa.Column("acked_at", sa.String(length=32)))
    op.add_column("outbox", sa.Column("ho_txid", sa.Integer()))
    op.drop_index("ix_outbox_pending", "outbox")
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["id"],
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_outbox_entity_uuid", "outbox", ["entity_uuid"])


def _sync_tables() -> None:
    op.create_table(
        "sync_state",
        sa.Column("key", sa.String(length=80), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "sync_openings",
        sa.Column(
            "customer_id",
            sa.Integer(),
            sa.ForeignKey(
                "customers.id",
                name=op.f("fk_sync_openings_customer_id_customers"),
                ondelete="CASCADE",
            ),
            primary_key=True,
        ),
        sa.Column("account", sa.String(length=8), primary_key=True),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("lifetime_points", sa.Integer(), server_default="0", nullable=False),
    )
    op.create_table(
        "sync_openings_staged",
        sa.Column("customer_uuid", sa.String(length=36), primary_key=True),
        sa.Column("account", sa.String(length=8), primary_key=True),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("lifetime_points", sa.Integer(), server_default="0", nullable=False),
    )
    op.create_table(
        "sync_waiting",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entity", sa.String(length=24), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("target_uuid", sa.String(length=36), nullable=False),
        sa.Column("data", sa.Text()),
    )
    op.create_index("ix_sync_waiting_uuid", "sync_waiting", ["uuid"])
    op.create_index("ix_sync_waiting_target_uuid", "sync_waiting", ["target_uuid"])


def upgrade() -> None:
    _existing_tables()
    _outbox()
    _sync_tables()


def downgrade() -> None:
    for table in ("sync_waiting", "sync_openings_staged", "sync_openings", "sync_state"):
        op.drop_table(table)
    op.drop_index("ix_outbox_entity_uuid", "outbox")
    op.drop_index("ix_outbox_pending", "outbox")
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["id"],
        sqlite_where=sa.text("sent_at IS NULL"),
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    with op.batch_alter_table("customer_notes") as batch_op:
        batch_op.drop_constraint(op.f("uq_customer_notes_uuid"), "unique")
        batch_op.drop_column("uuid")
    op.drop_index("ix_customers_merged_into_id", "customers")
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy would drop the search triggers.
    drops = [("outbox", column) for column in _OUTBOX_COLUMNS]
    drops += [(table, "sync_mark") for table in _CATALOGUE]
    drops += [(t, c) for t in ("identifiers", "customers") for c in ("sync_mark", "clocks")]
    for table, column in drops:
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
