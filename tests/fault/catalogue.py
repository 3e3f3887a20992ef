"""The small catalogue a campaign run seeds head office with (``python -m headoffice
seed``): a menu, one division of tables, and a loyalty category whose points-accrual rule
is attached to the division, so every tab with a customer earns points."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any


def _uuid(run_seed: int, name: str) -> str:
    # stable per run, so a replayed run seeds the very same documents
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tabkeeper-fault:{run_seed}:{name}"))


def seed_catalogue(run_seed: int) -> dict[str, list[dict[str, Any]]]:
    loyalty = _uuid(run_seed, "category:loyalty")
    drinks, food = _uuid(run_seed, "group:drinks"), _uuid(run_seed, "group:food")
    bar = _uuid(run_seed, "division:bar")
    items = [
        ("Pale ale", drinks, 550, "0.20"),
        ("Espresso", drinks, 250, "0.20"),
        ("Burger", food, 1450, "0.20"),
        ("Chips", food, 400, "0.20"),
        ("Gift voucher", food, 2500, "0.00"),
    ]
    return {
        "promotion_category": [
            {"uuid": loyalty, "name": "Loyalty", "priority": 10, "active": True},
        ],
        "sales_rule": [
            {
                "uuid": _uuid(run_seed, "rule:points"),
                "category_uuid": loyalty,
                "name": "A point per pound",
                "kind": "points_accrual",
                "points_per_unit": "1",
                "active": True,
            }
        ],
        "menu_group": [
            {"uuid": drinks, "name": "Drinks", "sort_order": 0},
            {"uuid": food, "name": "Food", "sort_order": 1},
        ],
        "menu_item": [
            {
                "uuid": _uuid(run_seed, f"item:{name}"),
                "name": name,
                "group_uuid": group,
                "price_minor": price,
                "tax_rate": rate,
                "active": True,
            }
            for name, group, price, rate in items
        ],
        "division": [
            {"uuid": bar, "name": "Bar", "sort_order": 0, "promotion_category_uuid": loyalty},
        ],
        "dining_table": [
            {"uuid": _uuid(run_seed, f"table:{n}"), "division_uuid": bar, "number": str(n)}
            for n in range(1, 5)
        ],
    }


def write_seed_file(path: Path, run_seed: int) -> Path:
    path.write_text(json.dumps(seed_catalogue(run_seed), indent=1), encoding="utf-8")
    return path
