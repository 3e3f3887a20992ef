"""guest tabs, sales rules, the ledger, customer statistics, outbox and print jobs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:10:00

Existing tables gain columns with plain ``ADD COLUMN`` (no batch copy), so the
directory's search triggers on ``customers`` survive. Divisions and tables, which have
no triggers, are batch-migrated to get their promotion category foreign key.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _uuid() -> sa.Column[str]:
    return sa.Column("uuid", sa.String(length=36), nullable=False)


def _ref(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKey:
    name = op.f(f"fk_{table}_{column}_{target}")
    return sa.ForeignKey(f"{target}.id", name=name, ondelete=ondelete)


def _tab_fk(table: str) -> sa.Column[int]:
    return sa.Column(
        "tab_id", sa.Integer(), _ref(table, "tab_id", "guest_tabs", "CASCADE"), nullable=False
    )


def _existing_tables() -> None:
    op.add_column(
        "promotion_categories",
        sa.Column("composition", sa.String(length=24), server_default="best_of", nullable=False),
    )
    op.add_column("promotion_categories", sa.Column("max_percent", sa.String(length=24)))
    op.add_column("customers", sa.Column("credit_limit_minor", sa.Integer()))
    op.add_column("customers", sa.Column("tab_limit_minor", sa.Integer()))
    op.add_column("visits", sa.Column("tab_uuid", sa.String(length=36)))
    op.add_column(
        "visits",
        sa.Column("identified_by", sa.String(length=24), server_default="none", nullable=False),
    )
    op.create_index("ix_visits_tab_uuid", "visits", ["tab_uuid"])
    for table in ("divisions", "dining_tables"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("promotion_category_id", sa.Integer()))
            batch_op.create_foreign_key(
                op.f(f"fk_{table}_promotion_category_id_promotion_categories"),
                "promotion_categories",
                ["promotion_category_id"],
                ["id"],
                ondelete="SET NULL",
            )


def _sales_rules() -> None:
    op.create_table(
        "sales_rules",
        sa.Column("id", sa.Integer(), primary_key=True),
        _uuid(),
        sa.Column(
            "category_id",
            sa.Integer(),
            _ref("sales_rules", "category_id", "promotion_categories", "CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("group_ids", sa.String(length=400), server_default="", nullable=False),
        sa.Column("item_ids", sa.String(length=400), server_default="", nullable=False),
        sa.Column("weekdays", sa.String(length=16), server_default="", nullable=False),
        sa.Column("starts", sa.String(length=8)),
        sa.Column("ends", sa.String(length=8)),
        sa.Column("first_day", sa.Date()),
        sa.Column("last_day", sa.Date()),
        sa.Column("percent", sa.String(length=24)),
        sa.Column("fixed_price_minor", sa.Integer()),
        sa.Column("points_per_unit", sa.String(length=24)),
        sa.Column("every_n", sa.Integer()),
        sa.Column("bonus_points", sa.Integer()),
        sa.Column("birthday_days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("repeats", sa.Boolean(), server_default=sa.text("1"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("1"), nullable=False),
        sa.UniqueConstraint("uuid", name=op.f("uq_sales_rules_uuid")),
    )
    op.create_index("ix_sales_rules_category_id", "sales_rules", ["category_id"])


def _tabs() -> None:
    op.create_table(
        "guest_tabs",
        sa.Column("id", sa.Integer(), primary_key=True),
        _uuid(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("terminal", sa.String(length=80), nullable=False),
        sa.Column("waiter_uuid", sa.String(length=36), nullable=False),
        sa.Column(
            "division_id", sa.Integer(), _ref("guest_tabs", "division_id", "divisions", "SET NULL")
        ),
        sa.Column(
            "table_id", sa.Integer(), _ref("guest_tabs", "table_id", "dining_tables", "SET NULL")
        ),
        sa.Column("guests", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "customer_id", sa.Integer(), _ref("guest_tabs", "customer_id", "customers", "RESTRICT")
        ),
        sa.Column("identified_by", sa.String(length=24), nullable=False),
        sa.Column(
            "card_identifier_id",
            sa.Integer(),
            _ref("guest_tabs", "card_identifier_id", "identifiers", "SET NULL"),
        ),
        sa.Column("opened_at", sa.String(length=32), nullable=False),
        sa.Column("closed_at", sa.String(length=32)),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("next_order_no", sa.Integer(), server_default="1", nullable=False),
        sa.Column("limit_override_by", sa.String(length=80)),
        sa.Column("reopened_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("merged_into_uuid", sa.String(length=36)),
        sa.Column("total_minor", sa.Integer(), server_default="0", nullable=False),
        sa.Column("discount_minor", sa.Integer(), server_default="0", nullable=False),
        sa.Column("points_earned", sa.Integer(), server_default="0", nullable=False),
        sa.UniqueConstraint("uuid", name=op.f("uq_guest_tabs_uuid")),
    )
    op.create_index("ix_guest_tabs_number", "guest_tabs", ["number"])
    op.create_index("ix_guest_tabs_customer_id", "guest_tabs", ["customer_id"])
    op.create_index("ix_guest_tabs_closed_at", "guest_tabs", ["closed_at"])
    op.create_index(
        "ix_guest_tabs_open",
        "guest_tabs",
        ["division_id", "table_id"],
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "tab_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        _uuid(),
        _tab_fk("tab_lines"),
        sa.Column(
            "item_id", sa.Integer(), _ref("tab_lines", "item_id", "menu_items"), nullable=False
        ),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.Integer(), nullable=False),
        sa.Column("tax_rate", sa.String(length=24), nullable=False),
        sa.Column("discountable", sa.Boolean(), nullable=False),
        sa.Column("earns_points", sa.Boolean(), nullable=False),
        sa.Column("added_at", sa.String(length=32), nullable=False),
        sa.Column("added_by", sa.String(length=36), nullable=False),
        sa.Column("order_no", sa.Integer()),
        sa.Column("sent_at", sa.String(length=32)),
        sa.Column("voided_at", sa.String(length=32)),
        sa.Column("void_reason", sa.String(length=200), server_default="", nullable=False),
        sa.Column("voided_by", sa.String(length=80)),
        sa.UniqueConstraint("uuid", name=op.f("uq_tab_lines_uuid")),
    )
    op.create_index("ix_tab_lines_tab_id", "tab_lines", ["tab_id"])
    op.create_table(
        "tab_payments",
        sa.Column("id", sa.Integer(), primary_key=True),
        _uuid(),
        _tab_fk("tab_payments"),
        sa.Column("method", sa.String(length=24), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("tendered_minor", sa.Integer(), nullable=False),
        sa.Column("change_minor", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), server_default="0", nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("staff_uuid", sa.String(length=36), nullable=False),
        sa.UniqueConstraint("uuid", name=op.f("uq_tab_payments_uuid")),
    )
    op.create_index("ix_tab_payments_tab_id", "tab_payments", ["tab_id"])
    op.create_table(
        "tab_attachments",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tab_fk("tab_attachments"),
        sa.Column("level", sa.String(length=24), nullable=False),
        sa.Column(
            "category_id",
            sa.Integer(),
            _ref("tab_attachments", "category_id", "promotion_categories", "CASCADE"),
            nullable=False,
        ),
        sa.Column("target", sa.String(length=36)),
    )
    op.create_index("ix_tab_attachments_tab_id", "tab_attachments", ["tab_id"])


def _ledger_and_stats() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        _uuid(),
        sa.Column(
            "customer_id",
            sa.Integer(),
            _ref("ledger_entries", "customer_id", "customers", "RESTRICT"),
            nullable=False,
        ),
        sa.Column("account", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("tab_uuid", sa.String(length=36)),
        sa.Column("terminal", sa.String(length=80), nullable=False),
        sa.Column("staff_uuid", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.String(length=200), server_default="", nullable=False),
        sa.Column("reverses_uuid", sa.String(length=36)),
        sa.UniqueConstraint("uuid", name=op.f("uq_ledger_entries_uuid")),
        sa.UniqueConstraint("reverses_uuid", name=op.f("uq_ledger_entries_reverses_uuid")),
    )
    op.create_index("ix_ledger_entries_tab_uuid", "ledger_entries", ["tab_uuid"])
    op.create_index(
        "ix_ledger_entries_balance",
        "ledger_entries",
        ["customer_id", "account", "kind", "amount"],
    )
    op.create_table(
        "customer_stats",
        sa.Column(
            "customer_id",
            sa.Integer(),
            _ref("customer_stats", "customer_id", "customers", "CASCADE"),
            primary_key=True,
        ),
        sa.Column("visits", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_spent_minor", sa.Integer(), server_default="0", nullable=False),
        sa.Column("first_visit_at", sa.String(length=32)),
        sa.Column("last_visit_at", sa.String(length=32)),
        sa.Column("item_counts", sa.Text(), server_default="{}", nullable=False),
        sa.Column("payment_counts", sa.Text(), server_default="{}", nullable=False),
        sa.Column("rule_units", sa.Text(), server_default="{}", nullable=False),
    )


def _outbox_and_print_jobs() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        _uuid(),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("entity_uuid", sa.String(length=36), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.String(length=32)),
        sa.UniqueConstraint("uuid", name=op.f("uq_outbox_uuid")),
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["id"],
        sqlite_where=sa.text("sent_at IS NULL"),
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_table(
        "print_jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        _uuid(),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("tab_uuid", sa.String(length=36), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(length=300), server_default="", nullable=False),
        sa.Column("printed_at", sa.String(length=32)),
        sa.UniqueConstraint("uuid", name=op.f("uq_print_jobs_uuid")),
    )
    op.create_index("ix_print_jobs_tab_uuid", "print_jobs", ["tab_uuid"])
    op.create_index(
        "ix_print_jobs_pending",
        "print_jobs",
        ["id"],
        sqlite_where=sa.text("status IN ('pending', 'printing')"),
        postgresql_where=sa.text("status IN ('pending', 'printing')"),
    )


def upgrade() -> None:
    _existing_tables()
    _sales_rules()
    _tabs()
    _ledger_and_stats()
    _outbox_and_print_jobs()


def downgrade() -> None:
    for table in (
        "print_jobs",
        "outbox",
        "customer_stats",
        "ledger_entries",
        "tab_attachments",
        "tab_payments",
        "tab_lines",
        "guest_tabs",
        "sales_rules",
    ):
        op.drop_table(table)
    for table in ("dining_tables", "divisions"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(
                op.f(f"fk_{table}_promotion_category_id_promotion_categories"), "foreignkey"
            )
            batch_op.drop_column("promotion_category_id")
    op.drop_index("ix_visits_tab_uuid", "visits")
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy would drop the search triggers.
    for table, column in (
        ("visits", "identified_by"),
        ("visits", "tab_uuid"),
        ("customers", "tab_limit_minor"),
        ("customers", "credit_limit_minor"),
        ("promotion_categories", "max_percent"),
        ("promotion_categories", "composition"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
