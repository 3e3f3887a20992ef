"""The store's tables. Alembic migrations create them; this module describes them.

Every table that syncs has a UUIDv7 ``uuid`` next to its local integer key. The
integer key stays because SQLite's FTS5 index and foreign keys want a stable rowid.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from app.domain.audit import AuditAction
from app.domain.customers import (
    AddressKind,
    ConsentChannel,
    CustomerKind,
    CustomerStatus,
    DietaryKind,
    Gender,
    PhoneKind,
    Severity,
    SignupSource,
)
from app.domain.identifiers import IdentifierKind, IdentifierStatus
from app.domain.promotions import Composition
from app.domain.staff import Role
from app.store.types import DecimalText, UTCDateTime, enum_column

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def uuid_column() -> Column[str]:
    return Column("uuid", String(36), nullable=False, unique=True)


_NOW_MS = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
# A UUIDv7 made by SQLite itself, for rows written by plain SQL that names no uuid (the
# demo builder's notes); the code gives every record its uuid (app.domain.ids).
UUID7_SQL = (
    f"(substr(printf('%012x', {_NOW_MS}), 1, 8) || '-' || substr(printf('%012x', {_NOW_MS}), 9, 4)"
    " || '-7' || substr(lower(hex(randomblob(2))), 2) || '-'"
    " || substr('89ab', 1 + abs(random() % 4), 1) || substr(lower(hex(randomblob(2))), 2)"
    " || '-' || lower(hex(randomblob(6))))"
)


def _customer_fk(*, nullable: bool = False) -> Column[int]:
    return Column(
        "customer_id",
        Integer,
        ForeignKey("customers.id", ondelete="CASCADE"),
        nullable=nullable,
        index=True,
    )


def sync_mark_column() -> Column[int]:
    # The snapshot that last brought this row from head office; NULL: never came from it.
    return Column("sync_mark", Integer)


def clocks_column() -> Column[str]:
    # JSON: each synced field's hybrid logical clock (docs/SYNC.md, "Merging directory edits").
    return Column("clocks", Text, nullable=False, server_default="{}")


def _category_fk() -> Column[int]:
    return Column(
        "promotion_category_id",
        Integer,
        ForeignKey("promotion_categories.id", ondelete="SET NULL"),
    )


promotion_categories = Table(
    "promotion_categories",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),
    Column("name", String(80), nullable=False, unique=True),
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("tab_limit_minor", Integer),
    Column("description", Text, nullable=False, server_default=""),
    Column("active", Boolean, nullable=False, server_default=text("1")),
    Column("composition", enum_column(Composition), nullable=False, server_default="best_of"),
    Column("max_percent", DecimalText),
    sync_mark_column(),
)

staff = Table(
    "staff",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),
    Column("name", String(80), nullable=False),
    Column("role", enum_column(Role), nullable=False),
    Column("pin_hash", String(200), nullable=False, server_default=""),
    Column("active", Boolean, nullable=False, server_default=text("1")),
)

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),
    Column("kind", enum_column(CustomerKind), nullable=False),
    Column("full_name", String(200), nullable=False),
    # fold(full_name): accent-free lower case, for name-prefix search and sorting
    Column("name_folded", String(200), nullable=False, index=True),
    Column("first_name", String(100), nullable=False, server_default=""),
    Column("last_name", String(100), nullable=False, server_default=""),
    Column("title", String(40), nullable=False, server_default=""),
    Column("alias", String(64)),
    Column("alias_folded", String(64), unique=True),
    Column("company", String(200), nullable=False, server_default=""),
    Column("business_domain", String(100), nullable=False, server_default=""),
    Column("contact_person", String(200), nullable=False, server_default=""),
    Column("gender", enum_column(Gender), nullable=False),
    Column("date_of_birth", Date),
    Column("status", enum_column(CustomerStatus), nullable=False, index=True),
    Column("status_reason", String(200), nullable=False, server_default=""),
    Column(
        "promotion_category_id",
        Integer,
        ForeignKey("promotion_categories.id", ondelete="SET NULL"),
        index=True,
    ),
    Column("credit_limit_minor", Integer),
    Column("tab_limit_minor", Integer),
    Column("signup_source", enum_column(SignupSource), nullable=False),
    Column("merged_into_id", Integer, ForeignKey("customers.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("created_by", String(80), nullable=False, server_default=""),
    Column("updated_by", String(80), nullable=False, server_default=""),
    Column("last_visit_at", UTCDateTime, index=True),
    Column("total_spent_minor", Integer, nullable=False, server_default="0", index=True),
    Column("order_count", Integer, nullable=False, server_default="0", index=True),
    clocks_column(),
    sync_mark_column(),
    # Few customers are merged: the survivor's tier counts theirs, and a redirect finds them.
    Index(
        "ix_customers_merged_into_id",
        "merged_into_id",
        sqlite_where=text("merged_into_id IS NOT NULL"),
        postgresql_where=text("merged_into_id IS NOT NULL"),
    ),
)

customer_photos = Table(
    "customer_photos",
    metadata,
    Column(
        "customer_id",
        Integer,
        ForeignKey("customers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("jpeg", LargeBinary, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
)

customer_phones = Table(
    "customer_phones",
    metadata,
    Column("id", Integer, primary_key=True),
    _customer_fk(),
    Column("e164", String(20), nullable=False, index=True),
    Column("digits", String(20), nullable=False),
    Column("kind", enum_column(PhoneKind), nullable=False),
    Column("primary", Boolean, nullable=False, server_default=text("0")),
)

customer_emails = Table(
    "customer_emails",
    metadata,
    Column("id", Integer, primary_key=True),
    _customer_fk(),
    Column("address", String(254), nullable=False),
    Column("normalised", String(254), nullable=False, index=True),
    Column("primary", Boolean, nullable=False, server_default=text("0")),
)

customer_addresses = Table(
    "customer_addresses",
    metadata,
    Column("id", Integer, primary_key=True),
    _customer_fk(),
    Column("kind", enum_column(AddressKind), nullable=False),
    Column("line1", String(200), nullable=False),
    Column("line2", String(200), nullable=False, server_default=""),
    Column("city", String(100), nullable=False, server_default=""),
    Column("postcode", String(20), nullable=False, server_default=""),
    Column("country", String(2), nullable=False, server_default=""),
    Column("note", String(200), nullable=False, server_default=""),
)

customer_preferences = Table(
    "customer_preferences",
    metadata,
    Column("id", Integer, primary_key=True),
    _customer_fk(),
    Column("text", String(500), nullable=False),
    Column("favourite_item_id", Integer, ForeignKey("menu_items.id", ondelete="SET NULL")),
)

customer_restrictions = Table(
    "customer_restrictions",
    metadata,
    Column("id", Integer, primary_key=True),
    _customer_fk(),
    Column("kind", enum_column(DietaryKind), nullable=False),
    Column("name", String(100), nullable=False),
    Column("severity", enum_column(Severity)),
    Column("note", String(500), nullable=False, server_default=""),
)

customer_notes = Table(
    "customer_notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uuid", String(36), nullable=False, unique=True, server_default=text(UUID7_SQL)),
    _customer_fk(),
    Column("text", Text, nullable=False),
    Column("author", String(80), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

customer_consents = Table(
    "customer_consents",
    metadata,
    Column("id", Integer, primary_key=True),
    _customer_fk(),
    Column("channel", enum_column(ConsentChannel), nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("source", String(200), nullable=False, server_default=""),
)

customer_attributes = Table(
    "customer_attributes",
    metadata,
    Column("id", Integer, primary_key=True),
    _customer_fk(),
    Column("key", String(64), nullable=False),
    Column("value", String(500), nullable=False),
)

identifiers = Table(
    "identifiers",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),
    Column("kind", enum_column(IdentifierKind), nullable=False),
    Column("value", String(128), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), index=True),
    Column(
        "promotion_category_id",
        Integer,
        ForeignKey("promotion_categories.id", ondelete="SET NULL"),
    ),
    Column("status", enum_column(IdentifierStatus), nullable=False),
    Column("label", String(80), nullable=False, server_default=""),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("replaces_id", Integer, ForeignKey("identifiers.id", ondelete="SET NULL")),
    clocks_column(),
    sync_mark_column(),
    Index("ix_identifiers_kind_value", "kind", "value"),
    # A value is unique per kind among cards still in use (active, lost or blocked).
    Index(
        "uq_identifiers_in_use",
        "kind",
        "value",
        unique=True,
        sqlite_where=text("status IN ('active', 'lost', 'blocked')"),
        postgresql_where=text("status IN ('active', 'lost', 'blocked')"),
    ),
)

visits = Table(
    "visits",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),
    _customer_fk(),
    Column("visited_at", UTCDateTime, nullable=False),
    Column("spent_minor", Integer, nullable=False),
    Column("order_count", Integer, nullable=False, server_default="1"),
    Column("guests", Integer, nullable=False, server_default="1"),
    Column("division_name", String(80), nullable=False, server_default=""),
    Column("tab_uuid", String(36), index=True),
    Column("identified_by", String(24), nullable=False, server_default="none"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("action", enum_column(AuditAction, 40), nullable=False),
    Column("actor_uuid", String(36), nullable=False),
    Column("actor_name", String(80), nullable=False),
    Column("entity_uuid", String(36), nullable=False, index=True),
    Column("summary", String(500), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
)

customer_merges = Table(
    "customer_merges",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_name", String(80), nullable=False),
    Column("survivor_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("merged_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    # JSON: which child rows moved and the merged record's status before, to undo
    Column("moved", Text, nullable=False),
    Column("undone_at", UTCDateTime),
)

menu_groups = Table(
    "menu_groups",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),
    Column("name", String(80), nullable=False),
    Column("sort_order", Integer, nullable=False, server_default="0"),
    sync_mark_column(),
)

menu_items = Table(
    "menu_items",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),
    Column("name", String(120), nullable=False),
    Column("group_id", Integer, ForeignKey("menu_groups.id"), nullable=False, index=True),
    Column("price_minor", Integer, nullable=False),
    Column("tax_rate", DecimalText, nullable=False),
    Column("discountable", Boolean, nullable=False, server_default=text("1")),
    Column("earns_points", Boolean, nullable=False, server_default=text("1")),
    Column("active", Boolean, nullable=False, server_default=text("1")),
    sync_mark_column(),
)

divisions = Table(
    "divisions",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),
    Column("name", String(80), nullable=False, unique=True),
    Column("sort_order", Integer, nullable=False, server_default="0"),
    _category_fk(),
    sync_mark_column(),
)

dining_tables = Table(
    "dining_tables",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),
    Column("division_id", Integer, ForeignKey("divisions.id"), nullable=False, index=True),
    Column("number", String(16), nullable=False),
    Column("seats", Integer, nullable=False, server_default="4"),
    _category_fk(),
    sync_mark_column(),
)

# Devices plugged into this terminal; the store is the terminal's own, so no terminal id.
devices = Table(
    "devices",
    metadata,
    Column("id", Integer, primary_key=True),
    uuid_column(),
    Column("name", String(80), nullable=False, unique=True),
    Column("driver", String(40), nullable=False),
    Column("settings", Text, nullable=False),  # JSON object, checked by the driver
    Column("enabled", Boolean, nullable=False, server_default=text("1")),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(80), nullable=False, server_default=""),
)
