"""The demo venue: promotion categories, menu, floor and staff."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from app.domain.ids import new_uuid7
from app.domain.staff import Role
from app.services.security import hash_pin

# name, priority, tab limit (minor units, None: no limit), description
CATEGORIES: list[tuple[str, int, int | None, str]] = [
    ("Regular", 10, 20_000, "Known faces: a coffee on the house now and then"),
    ("Silver", 20, 30_000, "5 % off food"),
    ("Gold", 30, 50_000, "10 % off food and drink"),
    ("Staff", 40, 10_000, "Staff meals at cost"),
    ("VIP table", 50, None, "Reserved table, no tab limit"),
    ("Corporate", 25, 200_000, "Monthly invoice for the company account"),
]
# Share of customers in each category (the rest have none).
CATEGORY_WEIGHTS = [0.18, 0.08, 0.05, 0.01, 0.01, 0.04]

DIVISIONS: list[tuple[str, str, int, int]] = [  # name, table prefix, tables, seats
    ("Main hall", "", 20, 4),
    ("Bar", "B", 8, 2),
    ("Terrace", "T", 10, 4),
]

STAFF: list[tuple[str, Role, str]] = [
    ("Demo Manager", Role.MANAGER, "1234"),
    ("Demo Cashier", Role.CASHIER, "1111"),
    ("Demo Waiter", Role.WAITER, "2222"),
]

_VAT = Decimal("0.20")
_ZERO = Decimal("0.00")
MENU: dict[str, list[tuple[str, int, Decimal]]] = {
    "Starters": [
        ("Soup of the day", 650, _VAT),
        ("Burrata, heritage tomato", 950, _VAT),
        ("Salt & pepper squid", 895, _VAT),
        ("Chicken liver pâté", 825, _VAT),
        ("Garlic flatbread", 550, _VAT),
        ("Smoked salmon, soda bread", 1050, _VAT),
    ],
    "Mains": [
        ("Fish & chips", 1650, _VAT),
        ("Steak frites", 2450, _VAT),
        ("Mushroom risotto", 1595, _VAT),
        ("Roast chicken, jus", 1850, _VAT),
        ("Lamb rump, salsa verde", 2395, _VAT),
        ("Beef burger, fries", 1595, _VAT),
        ("Pan-fried sea bass", 2150, _VAT),
        ("Vegan curry", 1450, _VAT),
    ],
    "Sides": [
        ("Fries", 450, _VAT),
        ("Green salad", 425, _VAT),
        ("Tenderstem broccoli", 495, _VAT),
        ("Mash", 450, _VAT),
    ],
    "Desserts": [
        ("Sticky toffee pudding", 775, _VAT),
        ("Crème brûlée", 725, _VAT),
        ("Chocolate fondant", 825, _VAT),
        ("Affogato", 595, _VAT),
        ("Cheese board", 1150, _VAT),
    ],
    "Drinks": [
        ("Pint of lager", 650, _VAT),
        ("Pint of IPA", 695, _VAT),
        ("Negroni", 1100, _VAT),
        ("Gin & tonic", 950, _VAT),
        ("Espresso martini", 1150, _VAT),
        ("Sparkling water", 350, _VAT),
        ("Fresh orange juice", 425, _VAT),
        ("House red, 175 ml", 795, _VAT),
        ("House white, 175 ml", 795, _VAT),
        ("Prosecco, glass", 895, _VAT),
        ("Bottle of Malbec", 3400, _VAT),
    ],
    "Hot drinks": [
        ("Espresso", 280, _VAT),
        ("Flat white", 360, _VAT),
        ("Cappuccino", 350, _VAT),
        ("Pot of tea", 320, _VAT),
        ("Hot chocolate", 390, _VAT),
    ],
    "Retail": [("Gift voucher", 2500, _ZERO), ("House granola, 500 g", 650, _ZERO)],
}


def _ids_by_name(con: sqlite3.Connection, table: str) -> dict[str, int]:
    return {str(name): int(i) for i, name in con.execute(f"SELECT id, name FROM {table}")}


def ensure_categories(con: sqlite3.Connection) -> list[int]:
    """The demo categories' ids, in CATEGORIES order, creating those that are missing."""
    existing = _ids_by_name(con, "promotion_categories")
    con.executemany(
        "INSERT INTO promotion_categories (uuid, name, priority, tab_limit_minor, description, "
        "active) VALUES (?, ?, ?, ?, ?, 1)",
        [(new_uuid7(), *c) for c in CATEGORIES if c[0] not in existing],
    )
    existing = _ids_by_name(con, "promotion_categories")
    return [existing[name] for name, *_ in CATEGORIES]


def ensure_divisions(con: sqlite3.Connection) -> list[str]:
    existing = _ids_by_name(con, "divisions")
    for order, (name, prefix, count, seats) in enumerate(DIVISIONS):
        if name in existing:
            continue
        cursor = con.execute(
            "INSERT INTO divisions (uuid, name, sort_order) VALUES (?, ?, ?)",
            (new_uuid7(), name, order),
        )
        con.executemany(
            "INSERT INTO dining_tables (uuid, division_id, number, seats) VALUES (?, ?, ?, ?)",
            [(new_uuid7(), cursor.lastrowid, f"{prefix}{n}", seats) for n in range(1, count + 1)],
        )
    return [name for name, *_ in DIVISIONS]


def ensure_menu(con: sqlite3.Connection) -> list[tuple[int, int]]:
    """(item id, price) of every menu item, creating the demo menu if there is none."""
    if con.execute("SELECT count(*) FROM menu_items").fetchone()[0] == 0:
        for order, (group, items) in enumerate(MENU.items()):
            cursor = con.execute(
                "INSERT INTO menu_groups (uuid, name, sort_order) VALUES (?, ?, ?)",
                (new_uuid7(), group, order),
            )
            con.executemany(
                "INSERT INTO menu_items (uuid, name, group_id, price_minor, tax_rate, "
                "discountable, earns_points, active) VALUES (?, ?, ?, ?, ?, ?, 1, 1)",
                [
                    (new_uuid7(), name, cursor.lastrowid, price, str(rate), int(rate != _ZERO))
                    for name, price, rate in items
                ],
            )
    return [(int(i), int(p)) for i, p in con.execute("SELECT id, price_minor FROM menu_items")]


def ensure_staff(con: sqlite3.Connection) -> list[str]:
    existing = {str(n) for (n,) in con.execute("SELECT name FROM staff")}
    con.executemany(
        "INSERT INTO staff (uuid, name, role, pin_hash, active) VALUES (?, ?, ?, ?, 1)",
        [
            (new_uuid7(), name, role.value, hash_pin(pin))
            for name, role, pin in STAFF
            if name not in existing
        ],
    )
    return [name for name, _, _ in STAFF]
