"""The catalogue head office owns, read from a seed file and checked whole before any of
it is written: menu groups and items, divisions and tables, promotion categories and
their sales rules (``app.sync.documents.CATALOGUE_FIELDS``).

A seed file is a JSON object with one list per entity kind; each row is the document's
fields plus its ``uuid``::

    {"menu_group": [{"uuid": "0190…", "name": "Starters", "sort_order": 0}], ...}

References (``group_uuid``, ``division_uuid``, ``category_uuid``, ...) must name a row of
the same file: the file describes the whole catalogue.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.domain.errors import ValidationError
from app.domain.promotions import RuleKind, SalesRule, ValidityWindow
from app.sync.documents import CATALOGUE_FIELDS, check_fields, is_uuid
from app.sync.wire import ENTITY_KINDS

CATALOGUE_ORDER = [kind for kind in ENTITY_KINDS if kind in CATALOGUE_FIELDS]

# field -> the entity kind it must name (one uuid, or a list of them)
REFERENCES: Mapping[str, Mapping[str, str]] = {
    "sales_rule": {
        "category_uuid": "promotion_category",
        "group_uuids": "menu_group",
        "item_uuids": "menu_item",
    },
    "menu_item": {"group_uuid": "menu_group"},
    "division": {"promotion_category_uuid": "promotion_category"},
    "dining_table": {
        "division_uuid": "division",
        "promotion_category_uuid": "promotion_category",
    },
}


@dataclass(frozen=True, slots=True)
class CatalogueDocument:
    entity: str
    uuid: str
    data: dict[str, Any]


class SeedFileError(Exception):
    """A seed file that cannot be used; ``problems`` lists each bad row and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def read_seed_file(path: Path) -> list[CatalogueDocument]:
    """Every document of the seed file at ``path``, in snapshot order; SeedFileError
    naming every problem (nothing is written by this function)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SeedFileError([f"no such file: {path}"]) from None
    except UnicodeDecodeError:
        raise SeedFileError([f"{path} is not UTF-8 text"]) from None
    except json.JSONDecodeError as exc:
        raise SeedFileError(
            [f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]
        ) from None
    return parse_catalogue(raw)


def parse_catalogue(raw: object) -> list[CatalogueDocument]:
    if not isinstance(raw, dict):
        raise SeedFileError(
            ["a seed file is a JSON object with a list per kind: " + ", ".join(CATALOGUE_ORDER)]
        )
    problems = [
        f"unknown kind {key!r}; a seed file lists " + ", ".join(CATALOGUE_ORDER)
        for key in raw
        if key not in CATALOGUE_FIELDS
    ]
    docs: list[CatalogueDocument] = []
    seen: dict[str, str] = {}  # uuid -> where it first appeared
    for entity in CATALOGUE_ORDER:
        rows = raw.get(entity, [])
        if not isinstance(rows, list):
            problems.append(f"{entity} must be a list of rows")
            continue
        for position, row in enumerate(rows, start=1):
            where = f"{entity} #{position}"
            if not isinstance(row, dict):
                problems.append(f"{where}: a row must be an object")
                continue
            name = row.get("name") or row.get("number")
            if isinstance(name, str) and name:
                where += f" ({name})"
            data = {k: v for k, v in row.items() if k != "uuid"}
            uuid = row.get("uuid")
            if not is_uuid(uuid):
                problems.append(f"{where}: uuid must be a lower-case uuid")
            elif uuid in seen:
                problems.append(f"{where}: uuid {uuid} is also used by {seen[uuid]}")
            else:
                seen[str(uuid)] = where
            found = check_fields(entity, data, whole=True) or _meaning_problems(entity, data)
            problems += [f"{where}: {problem}" for problem in found]
            if is_uuid(uuid):
                docs.append(CatalogueDocument(entity, str(uuid), data))
    kinds = {doc.uuid: doc.entity for doc in docs}
    for position_doc in docs:
        problems += _reference_problems(position_doc, kinds, seen)
    if problems:
        raise SeedFileError(problems)
    return docs


def _reference_problems(
    doc: CatalogueDocument, kinds: Mapping[str, str], where: Mapping[str, str]
) -> list[str]:
    found: list[str] = []
    for name, target in REFERENCES.get(doc.entity, {}).items():
        value = doc.data.get(name)
        named = value if isinstance(value, list) else [] if value is None else [value]
        for ref in named:
            if kinds.get(ref) != target:
                found.append(f"{where[doc.uuid]}: {name} {ref!r} names no {target} in this file")
    return found


def _meaning_problems(entity: str, data: Mapping[str, Any]) -> list[str]:
    """What the field checker cannot see: ranges, and a sales rule that makes sense."""
    found: list[str] = []
    if entity == "menu_item":
        if data["price_minor"] < 0:
            found.append("price_minor cannot be negative")
        if not Decimal(0) <= Decimal(data["tax_rate"]) < 1:
            found.append('tax_rate is a fraction from 0 to below 1, such as "0.20" for 20 %')
    elif entity == "promotion_category":
        cap = data.get("max_percent")
        if cap is not None and not Decimal(0) < Decimal(cap) <= 100:
            found.append("max_percent must be above 0 and at most 100")
    elif entity == "dining_table":
        if data.get("seats", 0) < 0:
            found.append("seats cannot be negative")
    elif entity == "sales_rule":
        found += _rule_problems(data)
    return found


def _rule_problems(data: Mapping[str, Any]) -> list[str]:
    weekdays = data.get("weekdays", [])
    if any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in weekdays):
        return ["weekdays are whole numbers from 0 (Monday) to 6 (Sunday)"]
    for name in ("group_uuids", "item_uuids"):
        if any(not is_uuid(ref) for ref in data.get(name, [])):
            return [f"{name} must list lower-case uuids"]

    def decimal(name: str) -> Decimal | None:
        value = data.get(name)
        return None if value is None else Decimal(value)

    def parsed(name: str, parse: Any) -> Any:
        value = data.get(name)
        return None if value is None else parse(value)

    try:
        window = ValidityWindow(
            weekdays=frozenset(weekdays),
            starts=parsed("starts", time.fromisoformat),
            ends=parsed("ends", time.fromisoformat),
            first_day=parsed("first_day", date.fromisoformat),
            last_day=parsed("last_day", date.fromisoformat),
        )
        SalesRule(
            uuid="",
            name=data["name"],
            kind=RuleKind(data["kind"]),
            window=window,
            percent=decimal("percent"),
            fixed_price_minor=data.get("fixed_price_minor"),
            points_per_unit=decimal("points_per_unit"),
            every_n=data.get("every_n"),
            bonus_points=data.get("bonus_points"),
            birthday_days=data.get("birthday_days", 0),
            repeats=data.get("repeats", True),
        )
    except ValidationError as exc:
        return [problem.message for problem in exc.problems]
    return []
