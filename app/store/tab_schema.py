"""Tables of guest tabs, sales rules, the ledger, customer statistics, outbox and print jobs.

They share ``schema.metadata`` with the directory's tables; migration 0004 creates them.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from app.domain.ledger import AccountKind, EntryKind
from app.domain.payments import PaymentMethod
from app.domain.promotions import AttachLevel, RuleKind
from app.domain.tab_parts import IdentifiedBy, TabStatus
from app.store.schema import metadata, sync_mark_column, uuid_column
from app.store.types import DecimalText, UTCDateTime, enum_column


def _tab_fk() -> Column[int]:
    return Column(
        "tab_id", Integer, ForeignKey("guest_tabs.id", ondelete="CASCADE"), nullable=False
    )


sales_rules = Table(
    "sales_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),
    Column(
        "category_id",
        Integer,
        ForeignKey("promotion_categories.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("position", Integer, nullable=False, server_default="0"),
    Column("name", String(120), nullable=False),
    Column("kind", enum_column(RuleKind), nullable=False),
    # Scope and window as compact text: "3,7" id lists, "0,1,2" weekdays, "17:00" times.
    Column("group_ids", String(400), nullable=False, server_default=""),
    Column("item_ids", String(400), nullable=False, server_default=""),
    Column("weekdays", String(16), nullable=False, server_default=""),
    Column("starts", String(8)),
    Column("ends", String(8)),
    Column("first_day", Date),
    Column("last_day", Date),
    Column("percent", DecimalText),
    Column("fixed_price_minor", Integer),
    Column("points_per_unit", DecimalText),
    Column("every_n", Integer),
    Column("bonus_points", Integer),
    Column("birthday_days", Integer, nullable=False, server_default="0"),
    Column("repeats", Boolean, nullable=False, server_default=text("1")),
    Column("active", Boolean, nullable=False, server_default=text("1")),
    sync_mark_column(),
)

guest_tabs = Table(
    "guest_tabs",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),
    Column("number", Integer, nullable=False, index=True),
    Column("terminal", String(80), nullable=False),
    Column("waiter_uuid", String(36), nullable=False),
    Column("division_id", Integer, ForeignKey("divisions.id", ondelete="SET NULL")),
    Column("table_id", Integer, ForeignKey("dining_tables.id", ondelete="SET NULL")),
    Column("guests", Integer, nullable=False, server_default="1"),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="RESTRICT"), index=True),
    Column("identified_by", enum_column(IdentifiedBy), nullable=False),
    Column("card_identifier_id", Integer, ForeignKey("identifiers.id", ondelete="SET NULL")),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, index=True),
    Column("status", enum_column(TabStatus), nullable=False),
    Column("next_order_no", Integer, nullable=False, server_default="1"),
    Column("limit_override_by", String(80)),
    Column("reopened_count", Integer, nullable=False, server_default="0"),
    Column("merged_into_uuid", String(36)),
    # The priced figures at close, for history and reports (the lines stay the truth).
    Column("total_minor", Integer, nullable=False, server_default="0"),
    Column("discount_minor", Integer, nullable=False, server_default="0"),
    Column("points_earned", Integer, nullable=False, server_default="0"),
    Index(
        "ix_guest_tabs_open",
        "division_id",
        "table_id",
        sqlite_where=text("status = 'open'"),
        postgresql_where=text("status = 'open'"),
    ),
)

tab_lines = Table(
    "tab_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),
    _tab_fk(),
    Column("item_id", Integer, ForeignKey("menu_items.id"), nullable=False),
    Column("group_id", Integer, nullable=False),
    Column("name", String(120), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", Integer, nullable=False),
    Column("tax_rate", DecimalText, nullable=False),
    Column("discountable", Boolean, nullable=False),
    Column("earns_points", Boolean, nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    Column("added_by", String(36), nullable=False),
    Column("order_no", Integer),
    Column("sent_at", UTCDateTime),
    Column("voided_at", UTCDateTime),
    Column("void_reason", String(200), nullable=False, server_default=""),
    Column("voided_by", String(80)),
    Index("ix_tab_lines_tab_id", "tab_id"),
)

tab_payments = Table(
    "tab_payments",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),
    _tab_fk(),
    Column("method", enum_column(PaymentMethod), nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("tendered_minor", Integer, nullable=False),
    Column("change_minor", Integer, nullable=False),
    Column("points", Integer, nullable=False, server_default="0"),
    Column("at", UTCDateTime, nullable=False),
    Column("staff_uuid", String(36), nullable=False),
    Index("ix_tab_payments_tab_id", "tab_id"),
)

# Categories staff attach to a whole tab, one order (target = order number) or one
# line (target = line uuid). Customer, card, division and table categories live on those.
tab_attachments = Table(
    "tab_attachments",
    metadata,
    Column("id", Integer, primary_key=True),
    _tab_fk(),
    Column("level", enum_column(AttachLevel), nullable=False),
    Column(
        "category_id",
        Integer,
        ForeignKey("promotion_categories.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("target", String(36)),
    Index("ix_tab_attachments_tab_id", "tab_id"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),
    Column(
        "customer_id",
        Integer,
        ForeignKey("customers.id", ondelete="RESTRICT"),
        nullable=False,
    ),
    Column("account", enum_column(AccountKind), nullable=False),
    Column("kind", enum_column(EntryKind), nullable=False),
    Column("amount", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("tab_uuid", String(36), index=True),
    Column("terminal", String(80), nullable=False),
    Column("staff_uuid", String(36), nullable=False),
    Column("reason", String(200), nullable=False, server_default=""),
    # An entry can be reversed once: the store refuses a second reversal outright.
    Column("reverses_uuid", String(36), unique=True),
    # Covering index: a balance is an index-only sum.
    Index("ix_ledger_entries_balance", "customer_id", "account", "kind", "amount"),
)

# Running figures per customer, updated as each tab closes; never recomputed by a scan.
customer_stats = Table(
    "customer_stats",
    metadata,
    Column(
        "customer_id",
        Integer,
        ForeignKey("customers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("visits", Integer, nullable=False, server_default="0"),
    Column("total_spent_minor", Integer, nullable=False, server_default="0"),
    Column("first_visit_at", UTCDateTime),
    Column("last_visit_at", UTCDateTime),
    Column("item_counts", Text, nullable=False, server_default="{}"),  # JSON item id -> units
    Column("payment_counts", Text, nullable=False, server_default="{}"),  # JSON method -> n
    Column("rule_units", Text, nullable=False, server_default="{}"),  # JSON rule uuid -> units
)

# Operations for head office, in the order they happened (docs/SYNC.md, "Push"). An
# operation stays "pending" until head office answers; then "done" (applied or a
# duplicate) or "rejected", kept with the reason for a manager to see.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),  # the operation id head office deduplicates on
    Column("kind", String(40), nullable=False),
    Column("entity_uuid", String(36), nullable=False, index=True),
    Column("payload", Text, nullable=False),  # JSON
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),  # first handed to the sync engine to push
    Column("hlc", String(64), nullable=False, server_default=""),  # the operation's stamp
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("reason", Text, nullable=False, server_default=""),  # why head office rejected it
    Column("acked_at", UTCDateTime),
    Column("ho_txid", Integer),  # the head-office transaction that applied it
    Index(
        "ix_outbox_pending",
        "id",
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
)

# Receipts and guest checks to print, written in the transaction that asks for them.
print_jobs = Table(
    "print_jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),
    Column("kind", String(24), nullable=False),  # guest_check | receipt
    Column("tab_uuid", String(36), nullable=False, index=True),
    Column("payload", Text, nullable=False),  # JSON: what the layout needs
    Column("created_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", String(300), nullable=False, server_default=""),
    Column("printed_at", UTCDateTime),
    Index(
        "ix_print_jobs_pending",
        "id",
        sqlite_where=text("status IN ('pending', 'printing')"),
        postgresql_where=text("status IN ('pending', 'printing')"),
    ),
)


# The sync tables share the metadata too: whoever loads the tab tables sees the whole store.
from app.store import sync_schema as _sync_schema  # noqa: E402, F401
