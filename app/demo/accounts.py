"""What guest tabs need of the demo's customers: categories, limits, cards and history.

Runs over customers from ``first_id`` on, after they are inserted, in bulk and in id
order with its own seeded random stream, so a fresh store and one seeded by an earlier
demo and then upgraded end up the same:

- customers' promotion categories (individuals: Regular, Coffee club, VIP, Staff;
  organisations: Corporate), credit limits ("pay later") and tab limits;
- impersonal cards' labels and categories (staff, coffee, VIP guest, company, party);
- ``customer_stats`` from the visits (count, total, first and last visit);
- the ledger: points earned on those visits at the Bronze rate (one EARN entry per
  customer, dated at the last visit), and purse deposits for a few customers.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime

from app.demo.customers import iso
from app.domain.ids import new_uuid7

# (category, share) for individuals; the rest have none. Tiers come from points instead.
INDIVIDUAL_CATEGORIES = (("Regular", 0.20), ("Coffee club", 0.08), ("VIP", 0.03), ("Staff", 0.01))
CORPORATE_SHARE = 0.7  # organisations filed under Corporate
# label, category of the impersonal cards, in the order they were made (then repeated)
CARD_PLAN = (
    *(("Staff card", "Staff"),) * 4,
    *(("Coffee card", "Coffee club"),) * 2,
    *(("VIP guest card", "VIP"),) * 2,
    *(("Company guest card", "Corporate"),) * 2,
    *(("Party card", "Party booking"),) * 2,
)
POINTS_PER_MAJOR = 100  # history earned at the Bronze rate: a point per 1.00 (minor units)
DEPOSIT_SHARE = 0.03
TERMINAL = "Demo import"
HISTORY_REASON = "Points from visits before Tabkeeper"
DEPOSIT_REASON = "Purse top-up"


def _limits(rng: random.Random, kind: str, category: str | None) -> tuple[int | None, int | None]:
    """(credit limit, tab limit) in minor units, or None for none."""
    credit = tab = None
    if kind == "organisation":
        if category == "Corporate" and rng.random() < 0.6:
            credit = rng.choice((50_000, 100_000, 250_000, 500_000))
        if rng.random() < 0.4:
            tab = rng.randrange(25_000, 150_001, 25_000)
    elif category == "VIP" and rng.random() < 0.3:
        credit = rng.randrange(20_000, 50_001, 10_000)
    elif category == "Regular" and rng.random() < 0.03:
        credit = rng.randrange(5_000, 10_001, 2_500)
    return credit, tab


def _category(rng: random.Random, kind: str) -> str | None:
    roll = rng.random()
    if kind == "organisation":
        return "Corporate" if roll < CORPORATE_SHARE else None
    for name, share in INDIVIDUAL_CATEGORIES:
        if roll < share:
            return name
        roll -= share
    return None


def assign_categories_and_limits(
    con: sqlite3.Connection,
    seed: int,
    first_id: int,
    categories: dict[str, int],
    *,
    replace: bool = False,
) -> None:
    """Each customer's promotion category and limits; ``replace`` clears what an
    earlier demo set first (new customers have none)."""
    rng = random.Random(f"demo:{seed}:accounts")
    if replace:
        con.execute(
            "UPDATE customers SET promotion_category_id = NULL, credit_limit_minor = NULL, "
            "tab_limit_minor = NULL WHERE id >= ? AND (promotion_category_id IS NOT NULL "
            "OR credit_limit_minor IS NOT NULL OR tab_limit_minor IS NOT NULL)",
            (first_id,),
        )
    rows = []
    for customer_id, kind in con.execute(
        "SELECT id, kind FROM customers WHERE id >= ? ORDER BY id", (first_id,)
    ).fetchall():
        name = _category(rng, kind)
        credit, tab = _limits(rng, kind, name)
        if name is not None or credit is not None or tab is not None:
            category = None if name is None else categories[name]
            rows.append((category, credit, tab, customer_id))
    con.executemany(
        "UPDATE customers SET promotion_category_id = ?, credit_limit_minor = ?, "
        "tab_limit_minor = ? WHERE id = ?",
        rows,
    )


def label_impersonal_cards(
    con: sqlite3.Connection, first_identifier_id: int, categories: dict[str, int]
) -> None:
    """Labels and categories of the cards the seeder made with no customer."""
    cards = [
        int(i)
        for (i,) in con.execute(
            "SELECT id FROM identifiers WHERE customer_id IS NULL AND id >= ? "
            "AND (label = '' OR label LIKE 'Table card %') ORDER BY id",
            (first_identifier_id,),
        )
    ]
    numbers: dict[str, int] = {}
    rows = []
    for n, card_id in enumerate(cards):
        label, category = CARD_PLAN[n % len(CARD_PLAN)]
        numbers[label] = numbers.get(label, 0) + 1
        rows.append((f"{label} {numbers[label]}", categories[category], card_id))
    con.executemany(
        "UPDATE identifiers SET label = ?, promotion_category_id = ? WHERE id = ?", rows
    )


def seed_customer_stats(con: sqlite3.Connection, first_id: int) -> None:
    """Statistics for customers with visits, from those visits (kept up to date by tabs
    from then on). Items and payment methods of the old visits are not known."""
    con.execute(
        "INSERT OR IGNORE INTO customer_stats "
        "(customer_id, visits, total_spent_minor, first_visit_at, last_visit_at) "
        "SELECT customer_id, count(*), sum(spent_minor), min(visited_at), max(visited_at) "
        "FROM visits WHERE customer_id >= ? GROUP BY customer_id ORDER BY customer_id",
        (first_id,),
    )


def seed_ledger(
    con: sqlite3.Connection, seed: int, first_id: int, staff_uuid: str, anchor: datetime
) -> None:
    """Points from past visits and a few purse deposits, for customers with no entries."""
    rng = random.Random(f"demo:{seed}:ledger")
    now = anchor.timestamp()
    rows = []
    for customer_id, spent, last_visit, created in con.execute(
        "SELECT c.id, s.total_spent_minor, s.last_visit_at, c.created_at FROM customers AS c "
        "LEFT JOIN customer_stats AS s ON s.customer_id = c.id "
        "WHERE c.id >= ? AND NOT EXISTS (SELECT 1 FROM ledger_entries AS l "
        "WHERE l.customer_id = c.id) ORDER BY c.id",
        (first_id,),
    ).fetchall():
        points = (spent or 0) // POINTS_PER_MAJOR
        if points > 0:
            rows.append(_entry(customer_id, "points", "earn", points, last_visit, staff_uuid))
        if rng.random() < DEPOSIT_SHARE:
            start = datetime.strptime(created, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
            at = iso(start + rng.random() * max(0.0, now - start))
            amount = rng.randrange(2_000, 20_001, 1_000)
            rows.append(_entry(customer_id, "purse", "deposit", amount, at, staff_uuid))
    con.executemany(
        "INSERT INTO ledger_entries (uuid, customer_id, account, kind, amount, at, tab_uuid, "
        "terminal, staff_uuid, reason, reverses_uuid) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, "
        "NULL)",
        rows,
    )


def _entry(
    customer_id: int, account: str, kind: str, amount: int, at: str, staff_uuid: str
) -> tuple[object, ...]:
    reason = HISTORY_REASON if kind == "earn" else DEPOSIT_REASON
    return (new_uuid7(), customer_id, account, kind, amount, at, TERMINAL, staff_uuid, reason)


def seed_accounts(
    con: sqlite3.Connection,
    seed: int,
    anchor: datetime,
    first_id: int,
    first_identifier_id: int,
    categories: dict[str, int],
    *,
    replace: bool = False,
) -> None:
    """Everything above, for customers from ``first_id`` and cards from the given id;
    ``replace`` for customers an earlier demo gave categories."""
    assign_categories_and_limits(con, seed, first_id, categories, replace=replace)
    label_impersonal_cards(con, first_identifier_id, categories)
    seed_customer_stats(con, first_id)
    row = con.execute("SELECT uuid FROM staff WHERE name = 'Demo Manager'").fetchone()
    seed_ledger(con, seed, first_id, str(row[0]), anchor)
