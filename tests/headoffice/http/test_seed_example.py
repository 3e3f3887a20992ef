"""The example seed file shipped in resources/headoffice is a real, valid catalogue."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

from app.sync.documents import CATALOGUE_FIELDS, check_fields
from headoffice.catalogue import parse_catalogue
from tests.support.headoffice_server import REPO_ROOT

SEED = REPO_ROOT / "resources" / "headoffice" / "seed-example.json"


def test_every_row_is_a_valid_document() -> None:
    raw = json.loads(SEED.read_text(encoding="utf-8"))

    problems = [
        f"{entity} {row.get('uuid')}: {problem}"
        for entity, rows in raw.items()
        for row in rows
        for problem in check_fields(
            entity, {k: v for k, v in row.items() if k != "uuid"}, whole=True
        )
    ]

    assert set(raw) == set(CATALOGUE_FIELDS)
    assert problems == []
    assert len(parse_catalogue(raw)) == sum(len(rows) for rows in raw.values())


def test_it_is_a_small_but_real_menu_floor_and_promotions() -> None:
    raw = json.loads(SEED.read_text(encoding="utf-8"))
    rules_by_category = Counter(rule["category_uuid"] for rule in raw["sales_rule"])
    tables_by_division = Counter(table["division_uuid"] for table in raw["dining_table"])

    assert len(raw["menu_group"]) >= 3 and len(raw["menu_item"]) >= 10
    assert all(isinstance(item["price_minor"], int) for item in raw["menu_item"])
    assert {Decimal(item["tax_rate"]) for item in raw["menu_item"]} >= {Decimal("0.20")}
    assert len(raw["division"]) == 2
    assert set(tables_by_division) == {division["uuid"] for division in raw["division"]}
    assert len(raw["promotion_category"]) == 2
    assert set(rules_by_category) == {c["uuid"] for c in raw["promotion_category"]}
    assert len({rule["kind"] for rule in raw["sales_rule"]}) >= 4
