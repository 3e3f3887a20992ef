"""The parts of a guest tab: its status, lines, the categories staff attach, its limit.

Everything here is re-exported by :mod:`app.domain.tabs`; import it from there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from app.domain.catalogue import MenuItem
from app.domain.errors import ConflictError, ValidationError
from app.domain.identifiers import utcnow
from app.domain.ids import new_uuid7
from app.domain.ledger import as_utc, format_minor
from app.domain.promotions import AttachLevel

if TYPE_CHECKING:
    from app.domain.pricing import PricingLine


class TabStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    MERGED = "merged"  # its lines went into another tab (merged_into_uuid)


class IdentifiedBy(StrEnum):
    """How the tab's customer was found."""

    CARD = "card"  # any device: card, key fob, barcode
    PHONE = "phone"  # caller ID or a typed number
    SEARCH = "search"
    NONE = "none"  # no customer


STAFF_LEVELS = frozenset({AttachLevel.TAB, AttachLevel.ORDER, AttachLevel.LINE})
MAX_LINE_QUANTITY = 9_999  # more on one line is a slip of the finger, not an order


def now_or(at: datetime | None) -> datetime:
    """``at`` in UTC (refused without a zone), or now."""
    return utcnow() if at is None else as_utc(at)


def check_limit(
    total_after_minor: int, limit_minor: int | None, override_by: str | None, *, exponent: int = 2
) -> None:
    """Refuse a change that takes the tab over its limit, unless a manager overrode it.

    ``limit_minor`` None means no limit; ``override_by`` is the overriding manager's uuid.
    """
    if limit_minor is None or override_by is not None or total_after_minor <= limit_minor:
        return
    raise ConflictError(
        f"This line takes the tab to {format_minor(total_after_minor, exponent)}, over its "
        f"{format_minor(limit_minor, exponent)} limit; a manager can override"
    )


def headroom_minor(total_minor: int, limit_minor: int | None) -> int | None:
    """What the tab may still spend under its limit (below zero when over), or None."""
    return None if limit_minor is None else limit_minor - total_minor


@dataclass(frozen=True, kw_only=True)
class TabAttachment:
    """A promotion category staff attached to the whole tab, one order or one line.

    ``target`` is the order number as text for ORDER, the line's uuid for LINE.
    """

    level: AttachLevel
    category_id: int
    target: str | None = None
    id: int | None = field(default=None, compare=False)  # the store's key

    def __post_init__(self) -> None:
        if self.level not in STAFF_LEVELS:
            raise ValidationError.single(
                "level", "Staff attach categories to the tab, an order or a line"
            )
        if (self.level is AttachLevel.TAB) != (self.target is None):
            raise ValidationError.single(
                "target", "An order or a line category names its order or line; a tab one not"
            )

    def __iter__(self) -> Iterator[AttachLevel | int | str | None]:
        """Unpacks as ``(level, category_id, target)``, the triple the tab spec names."""
        return iter((self.level, self.category_id, self.target))


@dataclass(eq=False, kw_only=True)
class OrderLine:
    """One item ordered on a tab. A voided line stays, with who voided it and why."""

    uuid: str = field(default_factory=new_uuid7)
    item_id: int
    group_id: int
    name: str
    quantity: int
    unit_price_minor: int
    tax_rate: Decimal
    discountable: bool = True
    earns_points: bool = True
    added_at: datetime
    added_by: str  # staff uuid
    order_no: int | None = None  # set when sent to the kitchen
    sent_at: datetime | None = None
    voided_at: datetime | None = None
    void_reason: str = ""
    voided_by: str | None = None  # staff uuid
    id: int | None = None  # the store's key

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or self.quantity < 1:
            raise ValidationError.single("quantity", f"{self.name}: the quantity must be 1 or more")
        if self.quantity > MAX_LINE_QUANTITY:
            raise ValidationError.single(
                "quantity", f"{self.name}: at most {MAX_LINE_QUANTITY} on one line"
            )
        if self.unit_price_minor < 0:
            raise ValidationError.single("price", f"{self.name}: the price cannot be below zero")
        if not isinstance(self.tax_rate, Decimal) or not self.tax_rate.is_finite():
            raise ValidationError.single("tax_rate", f"{self.name}: the tax rate is not valid")
        if self.tax_rate < 0:
            raise ValidationError.single("tax_rate", f"{self.name}: the tax rate is not valid")
        self.added_at = as_utc(self.added_at, "added_at")

    @classmethod
    def for_item(
        cls,
        item: MenuItem,
        quantity: int = 1,
        *,
        at: datetime | None = None,
        by: str,
        unit_price_minor: int | None = None,
    ) -> OrderLine:
        """A new line for ``item`` at its menu price (or an open price)."""
        if item.id is None:
            raise ValidationError.single("item", f"{item.name} is not on the menu yet")
        return cls(
            item_id=item.id,
            group_id=item.group_id,
            name=item.name,
            quantity=quantity,
            unit_price_minor=item.price_minor if unit_price_minor is None else unit_price_minor,
            tax_rate=item.tax_rate,
            discountable=item.discountable,
            earns_points=item.earns_points,
            added_at=now_or(at),
            added_by=by,
        )

    @property
    def sent(self) -> bool:
        return self.order_no is not None

    @property
    def voided(self) -> bool:
        return self.voided_at is not None

    @property
    def gross_minor(self) -> int:
        """Quantity times unit price, before any discount."""
        return self.quantity * self.unit_price_minor

    def to_pricing(self, order_no: int | None = None) -> PricingLine:
        """This line as the pricing engine sees it; ``order_no`` stands in while unsent."""
        from app.domain.pricing import PricingLine

        return PricingLine(
            uuid=self.uuid,
            item_id=self.item_id,
            group_id=self.group_id,
            name=self.name,
            quantity=self.quantity,
            unit_price_minor=self.unit_price_minor,
            tax_rate=self.tax_rate,
            discountable=self.discountable,
            earns_points=self.earns_points,
            order_no=self.order_no if self.order_no is not None else order_no,
            ordered_at=self.added_at,  # its happy hour is judged when it was ordered
        )
