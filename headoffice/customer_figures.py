"""Head office's figures for each customer (visits, spending, first and last visit, items
and ways of paying), kept from closed tabs and shown in the customer's document."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, text

from headoffice.documents_store import load, save
from headoffice.schema import Instant, closed_tabs, customer_stats

_FIGURES = (
    "visits",
    "total_spent_minor",
    "first_visit",
    "last_visit",
    "item_counts",
    "payment_counts",
)
# Written out, as both databases spell it (SQLAlchemy cannot cache ON CONFLICT).
_PUT_FIGURES = text(
    f"INSERT INTO customer_stats (customer_uuid, {', '.join(_FIGURES)}) "
    f"VALUES (:customer_uuid, {', '.join(':' + n for n in _FIGURES)}) "
    "ON CONFLICT (customer_uuid) DO UPDATE SET "
    + ", ".join(f"{n} = excluded.{n}" for n in _FIGURES)
).bindparams(bindparam("first_visit", type_=Instant()), bindparam("last_visit", type_=Instant()))


@dataclass
class Visit:
    """What one closed tab adds to its customer's figures."""

    at: datetime
    spent_minor: int
    items: dict[str, int] = field(default_factory=dict)  # item uuid -> units
    payment_methods: list[str] = field(default_factory=list)  # each method once

    def to_json(self) -> str:
        return json.dumps(
            {
                "at": self.at.isoformat(),
                "spent_minor": self.spent_minor,
                "items": self.items,
                "payment_methods": self.payment_methods,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Visit:
        raw = json.loads(text)
        return cls(
            datetime.fromisoformat(raw["at"]),
            int(raw["spent_minor"]),
            {str(k): int(v) for k, v in raw["items"].items()},
            [str(m) for m in raw["payment_methods"]],
        )


@dataclass
class Figures:
    visits: int = 0
    total_spent_minor: int = 0
    first_visit: datetime | None = None
    last_visit: datetime | None = None
    item_counts: dict[str, int] = field(default_factory=dict)
    payment_counts: dict[str, int] = field(default_factory=dict)

    def as_document(self) -> dict[str, Any]:
        """The ``stats`` of a customer document."""
        return {
            "visits": self.visits,
            "total_spent_minor": self.total_spent_minor,
            "first_visit": None if self.first_visit is None else self.first_visit.isoformat(),
            "last_visit": None if self.last_visit is None else self.last_visit.isoformat(),
            "item_counts": dict(sorted(self.item_counts.items())),
            "payment_counts": dict(sorted(self.payment_counts.items())),
        }


def read_figures(conn: Connection, customer_uuid: str) -> Figures:
    s = customer_stats.c
    row = conn.execute(select(customer_stats).where(s.customer_uuid == customer_uuid)).first()
    if row is None:
        return Figures()
    return Figures(
        visits=int(row.visits),
        total_spent_minor=int(row.total_spent_minor),
        first_visit=row.first_visit,
        last_visit=row.last_visit,
        item_counts=json.loads(row.item_counts),
        payment_counts=json.loads(row.payment_counts),
    )


def with_visit(figures: Figures, visit: Visit) -> Figures:
    return Figures(
        visits=figures.visits + 1,
        total_spent_minor=figures.total_spent_minor + visit.spent_minor,
        first_visit=_earliest(figures.first_visit, visit.at),
        last_visit=_latest(figures.last_visit, visit.at),
        item_counts=_plus(figures.item_counts, visit.items),
        payment_counts=_plus(figures.payment_counts, dict.fromkeys(visit.payment_methods, 1)),
    )


def without_visit(conn: Connection, customer_uuid: str, figures: Figures, visit: Visit) -> Figures:
    """``figures`` less a withdrawn visit; first and last visit read again from the
    visits still counted (call after the withdrawn one stopped counting)."""
    c = closed_tabs.c
    first, last = conn.execute(
        select(func.min(c.closed_at), func.max(c.closed_at)).where(
            c.visit_customer_uuid == customer_uuid, c.counted.is_(True)
        )
    ).one()
    return Figures(
        visits=max(figures.visits - 1, 0),
        total_spent_minor=figures.total_spent_minor - visit.spent_minor,
        first_visit=first,
        last_visit=last,
        item_counts=_plus(figures.item_counts, {k: -v for k, v in visit.items.items()}),
        payment_counts=_plus(figures.payment_counts, dict.fromkeys(visit.payment_methods, -1)),
    )


def combined(kept: Figures, taken: Figures) -> Figures:
    """Both customers' figures as one (a merge)."""
    return Figures(
        visits=kept.visits + taken.visits,
        total_spent_minor=kept.total_spent_minor + taken.total_spent_minor,
        first_visit=_earliest(kept.first_visit, taken.first_visit),
        last_visit=_latest(kept.last_visit, taken.last_visit),
        item_counts=_plus(kept.item_counts, taken.item_counts),
        payment_counts=_plus(kept.payment_counts, taken.payment_counts),
    )


def store_figures(conn: Connection, customer_uuid: str, figures: Figures, now: datetime) -> None:
    """Keep the figures and put them in the customer's document (a new row version)."""
    if figures == Figures():
        conn.execute(delete(customer_stats).where(customer_stats.c.customer_uuid == customer_uuid))
    else:
        values = {
            "visits": figures.visits,
            "total_spent_minor": figures.total_spent_minor,
            "first_visit": figures.first_visit,
            "last_visit": figures.last_visit,
            "item_counts": json.dumps(figures.item_counts),
            "payment_counts": json.dumps(figures.payment_counts),
        }
        conn.execute(_PUT_FIGURES, {"customer_uuid": customer_uuid, **values})
    doc = load(conn, "customer", customer_uuid)
    if doc is not None and not doc.deleted:
        doc.data["stats"] = None if figures == Figures() else figures.as_document()
        save(conn, "customer", customer_uuid, doc.data, now, new=False)


def _plus(counts: Mapping[str, int], more: Mapping[str, int]) -> dict[str, int]:
    total = dict(counts)
    for key, units in more.items():
        left = total.get(key, 0) + units
        if left > 0:
            total[key] = left
        else:
            total.pop(key, None)
    return total


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)
