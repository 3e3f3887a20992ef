"""Promotion categories, the menu and the floor, as the directory and tabs need them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from app.domain.ids import new_uuid7
from app.domain.promotions import Composition


@dataclass(eq=False)
class PromotionCategory:
    """A named set of sales rules with a guest-tab limit and a priority.

    The rules are stored beside it (the store's ``sales_rules``) and reach pricing as
    :class:`app.domain.promotions.CategoryRules`.
    """

    name: str
    priority: int = 0
    tab_limit_minor: int | None = None  # None: no limit
    description: str = ""
    active: bool = True
    composition: Composition = Composition.BEST_OF  # how its own rules combine
    max_percent: Decimal | None = None  # cap on its discount, as a share of a line
    uuid: str = field(default_factory=new_uuid7)
    id: int | None = None


@dataclass(eq=False)
class MenuGroup:
    name: str
    sort_order: int = 0
    uuid: str = field(default_factory=new_uuid7)
    id: int | None = None


@dataclass(eq=False)
class MenuItem:
    name: str
    group_id: int
    price_minor: int
    tax_rate: Decimal = Decimal("0")  # 0.20 for 20 %
    discountable: bool = True
    earns_points: bool = True
    active: bool = True
    uuid: str = field(default_factory=new_uuid7)
    id: int | None = None


@dataclass(eq=False)
class Division:
    """A hall, bar or terrace."""

    name: str
    sort_order: int = 0
    promotion_category_id: int | None = None
    uuid: str = field(default_factory=new_uuid7)
    id: int | None = None


@dataclass(eq=False)
class DiningTable:
    division_id: int
    number: str
    seats: int = 4
    promotion_category_id: int | None = None
    uuid: str = field(default_factory=new_uuid7)
    id: int | None = None
