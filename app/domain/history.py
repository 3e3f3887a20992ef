"""What a regular has done with us: their visits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.domain.ids import new_uuid7


@dataclass(eq=False)
class Visit:
    """A closed sitting of a customer: when, where, how many and how much."""

    customer_id: int
    visited_at: datetime
    spent_minor: int
    order_count: int = 1
    guests: int = 1
    division_name: str = ""
    tab_uuid: str | None = None  # the guest tab it closed (none for imported history)
    identified_by: str = "none"  # card, phone, search or none (see tab_parts.IdentifiedBy)
    uuid: str = field(default_factory=new_uuid7)
    id: int | None = None
