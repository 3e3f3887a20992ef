"""A store the demo seeded before guest tabs (schema 0003) becomes what a fresh build is.

The old store is made as that demo made it: its six categories, its menu (the same
items, in the same order, in its seven groups, with its tax rates and flags), the same
floor and staff, and the customers of ``seed_customers`` with the categories and card
labels it gave them. Upgrading it must then give, row for row, the store a fresh build
with the same seed and day gives (uuids, PIN hashes and staff uuids aside).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from app.demo import complete_demo_store, seed_demo_store, upgrade_demo_store
from app.demo.catalogue import FIRST_MENU, ensure_divisions, ensure_staff
from app.demo.customers import Venue
from app.demo.seed import seed_customers
from app.domain.ids import new_uuid7
from app.store.database import StoreLocation, create_store_engine
from app.store.migrate import current_revision, head_revision, upgrade_store

ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)
CUSTOMERS, SEED = 250, 5
FIRST_CATEGORIES = [
    ("Regular", 10, 20_000),
    ("Silver", 20, 30_000),
    ("Gold", 30, 50_000),
    ("Staff", 40, 10_000),
    ("VIP table", 50, None),
    ("Corporate", 25, 200_000),
]
FIRST_GROUPS = ["Starters", "Mains", "Sides", "Desserts", "Drinks", "Hot drinks", "Retail"]
MOVED = {"Beer": "Drinks", "Wine": "Drinks", "Coffee": "Hot drinks"}  # where they were
TABLES = [
    "customers",
    "customer_phones",
    "customer_emails",
    "customer_addresses",
    "customer_preferences",
    "customer_restrictions",
    "customer_notes",
    "customer_consents",
    "customer_attributes",
    "identifiers",
    "visits",
    "menu_groups",
    "menu_items",
    "divisions",
    "dining_tables",
    "promotion_categories",
    "sales_rules",
    "staff",
    "customer_stats",
    "ledger_entries",
]
RANDOM_COLUMNS = {"uuid", "pin_hash", "staff_uuid"}


def first_demo_store(path: Path) -> Engine:
    """A store at revision 0003 seeded as the demo before guest tabs seeded it."""
    engine = create_store_engine(StoreLocation(path))
    upgrade_store(engine, "0003")
    raw = engine.raw_connection()
    con = raw.driver_connection
    assert isinstance(con, sqlite3.Connection)
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO promotion_categories (uuid, name, priority, tab_limit_minor, "
        "description, active) VALUES (?, ?, ?, ?, '', 1)",
        [(new_uuid7(), *category) for category in FIRST_CATEGORIES],
    )
    divisions = ensure_divisions(con)
    groups = {
        name: con.execute(
            "INSERT INTO menu_groups (uuid, name, sort_order) VALUES (?, ?, ?)",
            (new_uuid7(), name, order),
        ).lastrowid
        for order, name in enumerate(FIRST_GROUPS)
    }
    menu = []
    for dish in FIRST_MENU:
        rate = "0.00" if dish.group == "Retail" else "0.20"
        cursor = con.execute(
            "INSERT INTO menu_items (uuid, name, group_id, price_minor, tax_rate, "
            "discountable, earns_points, active) VALUES (?, ?, ?, ?, ?, ?, 1, 1)",
            (
                new_uuid7(),
                dish.name,
                groups[MOVED.get(dish.group, dish.group)],
                dish.price_minor,
                rate,
                int(rate != "0.00"),
            ),
        )
        menu.append((int(cursor.lastrowid or 0), dish.price_minor))
    venue = Venue(divisions=divisions, menu=menu, staff=ensure_staff(con))
    seed_customers(con, venue, CUSTOMERS, SEED, ANCHOR)
    # What that demo's draws gave them: categories 1-6 or none, "Table card n" labels.
    con.execute("UPDATE customers SET promotion_category_id = nullif(id % 7, 0)")
    con.execute(
        "UPDATE identifiers SET label = 'Table card ' || id, promotion_category_id = 1 + id % 6 "
        "WHERE customer_id IS NULL"
    )
    con.execute("COMMIT")
    raw.close()
    assert current_revision(engine) == "0003"
    return engine


def table_rows(engine: Engine, table: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        names = [
            str(r[1])
            for r in connection.execute(text(f"PRAGMA table_info({table})"))
            if r[1] not in RANDOM_COLUMNS
        ]
        key = "customer_id" if table == "customer_stats" else "id"
        columns = ", ".join(f'"{n}"' for n in names)
        query = text(f"SELECT {columns} FROM {table} ORDER BY {key}")
        return [tuple(r) for r in connection.execute(query)]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = create_store_engine(StoreLocation(tmp_path_factory.mktemp("fresh") / "fresh.db"))
    seed_demo_store(engine, CUSTOMERS, SEED, anchor=ANCHOR, workers=1)
    return engine


def test_an_upgraded_first_demo_store_is_a_fresh_one(fresh: Engine, tmp_path: Path) -> None:
    path = tmp_path / "first.db"
    first_demo_store(path).dispose()
    # The schema step with foreign keys off, as SQLite's table rebuilds need (see below).
    plain = create_engine(f"sqlite:///{path}")
    upgrade_store(plain)
    plain.dispose()
    upgraded = create_store_engine(StoreLocation(path))
    assert complete_demo_store(upgraded, SEED, anchor=ANCHOR)
    for table in TABLES:
        assert table_rows(upgraded, table) == table_rows(fresh, table), table
    assert not complete_demo_store(upgraded, SEED, anchor=ANCHOR)  # once only
    upgraded.dispose()


def test_a_first_demo_store_upgrades_with_the_apps_own_upgrade(tmp_path: Path) -> None:
    engine = first_demo_store(tmp_path / "first.db")
    try:
        assert upgrade_demo_store(engine, SEED, anchor=ANCHOR)
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:  # foreign keys are enforced again afterwards
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    finally:
        engine.dispose()
