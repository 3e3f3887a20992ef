"""The demo venue's menu, floor and staff, made or brought up to date by name.

Head office will send the catalogue and floor (issue 4); until then the demo store holds
this one. Each ``ensure_*`` function is convergent: it creates what is missing, in a fixed
order, and sets what exists to what is listed here. A store seeded by an earlier version
of the demo therefore ends with the same rows, and the same ids, as a fresh one.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from decimal import Decimal

from app.domain.ids import new_uuid7
from app.domain.staff import Role
from app.services.security import hash_pin

# name, table prefix, tables, seats; customers' visits name these divisions, in this order.
DIVISIONS: list[tuple[str, str, int, int]] = [
    ("Main hall", "", 20, 4),
    ("Bar", "B", 8, 2),
    ("Terrace", "T", 10, 4),
]

STAFF: list[tuple[str, Role, str]] = [
    ("Demo Manager", Role.MANAGER, "1234"),
    ("Demo Cashier", Role.CASHIER, "1111"),
    ("Demo Waiter", Role.WAITER, "2222"),
]

# (name, sort order) in creation order: the first menu's groups, then those added with tabs.
GROUPS: list[tuple[str, int]] = [
    ("Starters", 0),
    ("Mains", 1),
    ("Sides", 2),
    ("Desserts", 3),
    ("Drinks", 6),  # cocktails, spirits and soft drinks
    ("Hot drinks", 8),
    ("Retail", 9),
    ("Beer", 4),
    ("Wine", 5),
    ("Coffee", 7),
]
FOOD = ("Starters", "Mains", "Sides", "Desserts")
BAR = ("Beer", "Wine", "Drinks")

VAT = Decimal("0.20")
REDUCED = Decimal("0.05")  # food sold to take home
ZERO = Decimal("0.00")  # a voucher is taxed when it is spent, not when it is sold


@dataclass(frozen=True, slots=True)
class Dish:
    name: str
    group: str
    price_minor: int
    tax_rate: Decimal = VAT
    discountable: bool = True
    earns_points: bool = True


def _dishes(group: str, *items: tuple[str, int]) -> list[Dish]:
    return [Dish(name, group, price) for name, price in items]


# The first menu, in its creation order. Customers' favourite items are drawn from these
# alone: a longer list would change every customer a seed makes.
FIRST_MENU: list[Dish] = [
    *_dishes(
        "Starters",
        ("Soup of the day", 650),
        ("Burrata, heritage tomato", 950),
        ("Salt & pepper squid", 895),
        ("Chicken liver pâté", 825),
        ("Garlic flatbread", 550),
        ("Smoked salmon, soda bread", 1050),
    ),
    *_dishes(
        "Mains",
        ("Fish & chips", 1650),
        ("Steak frites", 2450),
        ("Mushroom risotto", 1595),
        ("Roast chicken, jus", 1850),
        ("Lamb rump, salsa verde", 2395),
        ("Beef burger, fries", 1595),
        ("Pan-fried sea bass", 2150),
        ("Vegan curry", 1450),
    ),
    *_dishes(
        "Sides",
        ("Fries", 450),
        ("Green salad", 425),
        ("Tenderstem broccoli", 495),
        ("Mash", 450),
    ),
    *_dishes(
        "Desserts",
        ("Sticky toffee pudding", 775),
        ("Crème brûlée", 725),
        ("Chocolate fondant", 825),
        ("Affogato", 595),
        ("Cheese board", 1150),
    ),
    Dish("Pint of lager", "Beer", 650),
    Dish("Pint of IPA", "Beer", 695),
    *_dishes("Drinks", ("Negroni", 1100), ("Gin & tonic", 950), ("Espresso martini", 1150)),
    *_dishes("Drinks", ("Sparkling water", 350), ("Fresh orange juice", 425)),
    *_dishes("Wine", ("House red, 175 ml", 795), ("House white, 175 ml", 795)),
    *_dishes("Wine", ("Prosecco, glass", 895), ("Bottle of Malbec", 3400)),
    *_dishes("Coffee", ("Espresso", 280), ("Flat white", 360), ("Cappuccino", 350)),
    *_dishes("Hot drinks", ("Pot of tea", 320), ("Hot chocolate", 390)),
    Dish("Gift voucher", "Retail", 2500, ZERO, discountable=False, earns_points=False),
    Dish("House granola, 500 g", "Retail", 650, REDUCED),
]

# Added with guest tabs, after the first menu's items.
TABS_MENU: list[Dish] = [
    *_dishes("Starters", ("Olives & sourdough", 495), ("Crispy calamari", 875)),
    *_dishes("Mains", ("Caesar salad", 1395), ("Pork belly, apple", 1895)),
    *_dishes("Desserts", ("Ice cream, three scoops", 650)),
    *_dishes("Beer", ("Half of lager", 350), ("Pint of stout", 675)),
    *_dishes("Beer", ("Bottle of pilsner", 550), ("Alcohol-free lager", 450)),
    *_dishes("Wine", ("Rosé, 175 ml", 825), ("Bottle of house red", 2600)),
    *_dishes("Wine", ("Bottle of Sancerre", 4200), ("Bottle of Champagne", 6500)),
    *_dishes("Drinks", ("Aperol spritz", 950), ("Mojito", 1050), ("Whisky, 25 ml", 550)),
    *_dishes("Drinks", ("Cola", 325), ("Lemonade", 325)),
    *_dishes("Coffee", ("Latte", 370), ("Americano", 320), ("Double espresso", 330)),
    *_dishes("Coffee", ("Mocha", 395)),
    *_dishes("Hot drinks", ("Herbal tea", 320)),
    Dish("Coffee beans, 250 g", "Retail", 950, REDUCED),
    Dish("House chutney", "Retail", 550, REDUCED),
]
MENU: list[Dish] = FIRST_MENU + TABS_MENU


def ids_by_name(con: sqlite3.Connection, table: str) -> dict[str, int]:
    """``name -> id`` of a table's rows."""
    return {str(name): int(i) for i, name in con.execute(f"SELECT id, name FROM {table}")}


def ensure_menu(con: sqlite3.Connection) -> list[tuple[int, int]]:
    """Make the menu the listed one; returns (id, price) of the first menu's items."""
    groups = ids_by_name(con, "menu_groups")
    for name, order in GROUPS:
        if name in groups:
            con.execute("UPDATE menu_groups SET sort_order = ? WHERE id = ?", (order, groups[name]))
        else:
            groups[name] = int(
                con.execute(
                    "INSERT INTO menu_groups (uuid, name, sort_order) VALUES (?, ?, ?)",
                    (new_uuid7(), name, order),
                ).lastrowid
                or 0
            )
    items = ids_by_name(con, "menu_items")
    for dish in MENU:
        values = (
            groups[dish.group],
            dish.price_minor,
            str(dish.tax_rate),
            int(dish.discountable),
            int(dish.earns_points),
        )
        if dish.name in items:
            con.execute(
                "UPDATE menu_items SET group_id = ?, price_minor = ?, tax_rate = ?, "
                "discountable = ?, earns_points = ?, active = 1 WHERE id = ?",
                (*values, items[dish.name]),
            )
        else:
            items[dish.name] = int(
                con.execute(
                    "INSERT INTO menu_items (uuid, name, group_id, price_minor, tax_rate, "
                    "discountable, earns_points, active) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                    (new_uuid7(), dish.name, *values),
                ).lastrowid
                or 0
            )
    return [(items[dish.name], dish.price_minor) for dish in FIRST_MENU]


def ensure_divisions(con: sqlite3.Connection) -> list[str]:
    """The divisions and their tables; returns the division names, in order."""
    existing = ids_by_name(con, "divisions")
    for order, (name, prefix, count, seats) in enumerate(DIVISIONS):
        division_id = existing.get(name)
        if division_id is None:
            division_id = int(
                con.execute(
                    "INSERT INTO divisions (uuid, name, sort_order) VALUES (?, ?, ?)",
                    (new_uuid7(), name, order),
                ).lastrowid
                or 0
            )
        tables = {
            str(n)
            for (n,) in con.execute(
                "SELECT number FROM dining_tables WHERE division_id = ?", (division_id,)
            )
        }
        con.executemany(
            "INSERT INTO dining_tables (uuid, division_id, number, seats) VALUES (?, ?, ?, ?)",
            [
                (new_uuid7(), division_id, f"{prefix}{n}", seats)
                for n in range(1, count + 1)
                if f"{prefix}{n}" not in tables
            ],
        )
    return [name for name, *_ in DIVISIONS]


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
