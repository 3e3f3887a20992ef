"""A venue on a real store: menu, floor, promotion categories with rules, and tab services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from pathlib import Path

from app.domain.catalogue import DiningTable, Division, MenuGroup, MenuItem, PromotionCategory
from app.domain.customers import Customer, CustomerKind
from app.domain.ids import new_uuid7
from app.domain.ledger import RedemptionRate
from app.domain.money import TaxMode, currency
from app.domain.promotions import Composition, RuleKind, RuleScope, SalesRule, ValidityWindow
from app.domain.staff import Actor, Role
from app.services.checkout import CheckoutService
from app.services.tab_settings import TabSettings
from app.services.tabs import TabService
from tests.support.directory import Directory, directory_on_disk

WAITER = Actor(
    staff_uuid="00000000-0000-7000-8000-000000000003", name="Wendy Waiter", role=Role.WAITER
)


@dataclass
class Venue:
    """Ids of what the tests order and where they sit, with the services wired."""

    store: Directory
    tabs: TabService
    checkout: CheckoutService
    settings: TabSettings
    drinks: int  # menu group ids
    food: int
    beer: int  # menu item ids: 5.00, 20 % VAT
    burger: int  # 15.00, 20 % VAT
    gift_card: int  # 25.00, not discountable, no points
    bar: int  # division ids
    terrace: int
    table_1: int  # table ids (table_1 in the bar, table_t1 on the terrace)
    table_t1: int
    happy_hour: int  # category ids
    vip: int
    terrace_promo: int

    def customer(self, name: str = "Ada Lovelace", **fields: object) -> int:
        with self.store.uow() as uow:
            customer = Customer(
                kind=CustomerKind.INDIVIDUAL,
                full_name=name,
                created_at=self.store.clock.now,
                updated_at=self.store.clock.now,
                **fields,  # type: ignore[arg-type]
            )
            uow.customers.add(customer)
            uow.commit()
            assert customer.id is not None
            return customer.id


def _rule(name: str, kind: RuleKind, **fields: object) -> SalesRule:
    return SalesRule(uuid=new_uuid7(), name=name, kind=kind, **fields)  # type: ignore[arg-type]


def _category(uow: object, name: str, rules: list[SalesRule], **fields: object) -> int:
    category = PromotionCategory(name=name, **fields)  # type: ignore[arg-type]
    uow.catalogue.add(category)  # type: ignore[attr-defined]
    uow.flush()  # type: ignore[attr-defined]
    assert category.id is not None
    uow.promotions.replace_rules(category.id, rules)  # type: ignore[attr-defined]
    return category.id


@contextmanager
def venue_on_disk(path: Path, template: Path | None = None) -> Iterator[Venue]:
    """A bar and a terrace, drinks and food, and three promotion categories:

    - Happy hour: 20 % off drinks, 17:00-19:00 every day;
    - VIP: 10 % off everything, 1 point per 1.00 spent, 150.00 tab limit;
    - Terrace: 5 % off food (attached to the terrace division).
    """
    with directory_on_disk(path, template) as store:
        with store.uow() as uow:
            drinks, food = MenuGroup(name="Drinks"), MenuGroup(name="Food")
            uow.catalogue.add(drinks)
            uow.catalogue.add(food)
            uow.flush()
            assert drinks.id is not None and food.id is not None
            vat = Decimal("0.20")
            beer = MenuItem(name="Pale ale", group_id=drinks.id, price_minor=500, tax_rate=vat)
            burger = MenuItem(name="Burger", group_id=food.id, price_minor=1500, tax_rate=vat)
            gift = MenuItem(
                name="Gift card",
                group_id=food.id,
                price_minor=2500,
                tax_rate=Decimal("0"),
                discountable=False,
                earns_points=False,
            )
            for item in (beer, burger, gift):
                uow.catalogue.add(item)
            happy = _category(
                uow,
                "Happy hour",
                [
                    _rule(
                        "Happy hour drinks",
                        RuleKind.PERCENT_DISCOUNT,
                        percent=Decimal("20"),
                        scope=RuleScope(group_ids=frozenset({drinks.id})),
                        window=ValidityWindow(starts=time(17), ends=time(19)),
                    )
                ],
                priority=5,
            )
            vip = _category(
                uow,
                "VIP",
                [
                    _rule("VIP 10 %", RuleKind.PERCENT_DISCOUNT, percent=Decimal("10")),
                    _rule("VIP points", RuleKind.POINTS_ACCRUAL, points_per_unit=Decimal("1")),
                ],
                priority=10,
                tab_limit_minor=15_000,
            )
            terrace_promo = _category(
                uow,
                "Terrace lunch",
                [
                    _rule(
                        "Terrace food",
                        RuleKind.PERCENT_DISCOUNT,
                        percent=Decimal("5"),
                        scope=RuleScope(group_ids=frozenset({food.id})),
                    )
                ],
            )
            bar = Division(name="Bar")
            terrace = Division(name="Terrace", promotion_category_id=terrace_promo)
            uow.catalogue.add(bar)
            uow.catalogue.add(terrace)
            uow.flush()
            assert bar.id is not None and terrace.id is not None
            table_1 = DiningTable(division_id=bar.id, number="1")
            table_t1 = DiningTable(division_id=terrace.id, number="T1")
            uow.catalogue.add(table_1)
            uow.catalogue.add(table_t1)
            uow.flush()
            ids = (
                drinks.id,
                food.id,
                beer.id,
                burger.id,
                gift.id,
                bar.id,
                terrace.id,
                table_1.id,
                table_t1.id,
            )
            uow.commit()
        settings = TabSettings(
            terminal="Till 1",
            currency=currency("GBP"),
            tax_mode=TaxMode.INCLUDED,
            time_zone="Europe/London",
            redemption=RedemptionRate(points=100, value_minor=1000),
            venue_composition=Composition.BEST_OF,
        )
        assert all(i is not None for i in ids)
        store.clock.now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
        yield Venue(
            store,
            TabService(store.uow, settings, store.clock),
            CheckoutService(store.uow, settings, store.clock),
            settings,
            *ids,  # type: ignore[arg-type]
            happy_hour=happy,
            vip=vip,
            terrace_promo=terrace_promo,
        )
