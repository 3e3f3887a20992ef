"""A venue on a real store: menu, floor, promotion categories with rules, and tab services.

``venue_on_disk`` seeds a fresh store; ``reopen_venue`` opens the same file again with
new engines and services, as a terminal does after a restart (the crash tests use it,
in a child process too).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from app.domain.catalogue import DiningTable, Division, MenuGroup, MenuItem, PromotionCategory
from app.domain.customers import Customer, CustomerKind
from app.domain.identifiers import IdentifierKind
from app.domain.ids import new_uuid7
from app.domain.ledger import Balances, LedgerEntry, Origin, deposit, earn
from app.domain.money import TaxMode, currency
from app.domain.promotions import Composition, RuleKind, RuleScope, SalesRule, ValidityWindow
from app.domain.staff import Actor, Role
from app.services.accounts import AccountService
from app.services.checkout import CheckoutService
from app.services.directory import VenueSettings
from app.services.identifiers import CardRequest, IdentifierService
from app.services.tab_settings import TabSettings
from app.services.tabs import TabService
from app.store import schema
from app.store.database import StoreLocation, create_session_factory, create_store_engine
from app.store.unit_of_work import SqlUnitOfWorkFactory
from tests.support.directory import MANAGER, FixedClock, directory_on_disk

WAITER = Actor(
    staff_uuid="00000000-0000-7000-8000-000000000003", name="Wendy Waiter", role=Role.WAITER
)
VAT = Decimal("0.20")
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday; London is on UTC in November

# Every table a tab, a payment or a close writes to: "nothing half-written" counts these.
TAB_TABLES = (
    "guest_tabs",
    "tab_lines",
    "tab_payments",
    "tab_attachments",
    "ledger_entries",
    "customer_stats",
    "visits",
    "outbox",
    "print_jobs",
    "audit_log",
)


@dataclass
class VenueIds:
    """What the seed made: menu groups, items, divisions, tables and categories."""

    drinks: int  # menu group ids
    food: int
    beer: int  # menu item ids: 5.00, 20 % VAT
    coffee: int  # 2.50, 20 % VAT, in Drinks
    burger: int  # 15.00, 20 % VAT
    gift_card: int  # 25.00, no VAT, not discountable, no points
    bar: int  # division ids
    terrace: int  # its category: Terrace lunch
    table_1: int  # table ids: 1 and 2 in the bar, T1 on the terrace
    table_2: int
    table_t1: int
    happy_hour: int  # category ids
    vip: int
    terrace_promo: int


def venue_settings(**changes: Any) -> TabSettings:
    """The venue's settings: GBP, VAT included, London time, 100 points = 10.00."""
    settings = TabSettings(
        terminal="Till 1",
        currency=currency("GBP"),
        tax_mode=TaxMode.INCLUDED,
        time_zone="Europe/London",
        venue_composition=Composition.BEST_OF,
    )
    return replace(settings, **changes)


def rule(name: str, kind: RuleKind, **fields: Any) -> SalesRule:
    """A sales rule with a fresh uuid."""
    return SalesRule(uuid=new_uuid7(), name=name, kind=kind, **fields)


@dataclass
class Venue(VenueIds):
    """The seeded ids with the store and the tab services wired as bootstrap does."""

    engine: Engine
    uow: SqlUnitOfWorkFactory
    clock: FixedClock
    settings: TabSettings
    tabs: TabService
    checkout: CheckoutService
    accounts: AccountService
    identifiers: IdentifierService
    path: Path

    @property
    def ids(self) -> VenueIds:
        return VenueIds(**{name: getattr(self, name) for name in _ID_FIELDS})

    def with_settings(self, **changes: Any) -> Venue:
        """The same venue with its tab services built on changed settings."""
        settings = replace(self.settings, **changes)
        return replace(
            self,
            settings=settings,
            tabs=TabService(self.uow, settings, self.clock),
            checkout=CheckoutService(self.uow, settings, self.clock),
            accounts=AccountService(self.uow, settings, self.clock),
        )

    # Making things -------------------------------------------------------------------

    def customer(
        self,
        name: str = "Ada Lovelace",
        kind: CustomerKind = CustomerKind.INDIVIDUAL,
        **fields: Any,
    ) -> int:
        with self.uow() as uow:
            customer = Customer(
                kind=kind,
                full_name=name,
                created_at=self.clock.now,
                updated_at=self.clock.now,
                **fields,
            )
            uow.customers.add(customer)
            uow.commit()
            assert customer.id is not None
            return customer.id

    def category(self, name: str, rules: list[SalesRule], **fields: Any) -> int:
        """A new promotion category with these rules; returns its id."""
        with self.uow() as uow:
            category_id = _category(uow, name, rules, **fields)
            uow.commit()
            return category_id

    def division(self, name: str, category_id: int | None = None) -> int:
        with self.uow() as uow:
            division = Division(name=name, promotion_category_id=category_id)
            uow.catalogue.add(division)
            uow.commit()
            assert division.id is not None
            return division.id

    def table(self, division_id: int, number: str, category_id: int | None = None) -> int:
        with self.uow() as uow:
            table = DiningTable(
                division_id=division_id, number=number, promotion_category_id=category_id
            )
            uow.catalogue.add(table)
            uow.commit()
            assert table.id is not None
            return table.id

    def impersonal_card(self, value: str, category_id: int) -> int:
        """Issue an impersonal card of a category through the identifiers service."""
        request = CardRequest(
            IdentifierKind.SMART_CARD, value, promotion_category_id=category_id, label="House"
        )
        return self.identifiers.issue(MANAGER, request).id

    def deposit(self, customer_id: int, amount_minor: int) -> LedgerEntry:
        """A purse top-up written straight to the ledger (before a tab uses it)."""
        entry = deposit(
            customer_id,
            amount_minor,
            Origin(self.clock.now, self.settings.terminal, MANAGER.staff_uuid),
            reason="top-up",
        )
        with self.uow() as uow:
            uow.ledger.add(entry)
            uow.commit()
        return entry

    def earn(self, customer_id: int, points: int) -> None:
        """Points from earlier visits, written straight to the ledger."""
        origin = Origin(self.clock.now, self.settings.terminal, MANAGER.staff_uuid)
        with self.uow() as uow:
            uow.ledger.add(earn(customer_id, points, origin, reason="earlier visits"))
            uow.commit()

    # Reading -------------------------------------------------------------------------

    def balances(self, customer_id: int) -> Balances:
        with self.uow() as uow:
            return uow.ledger.balances(customer_id)

    def count(self, table: str, **where: object) -> int:
        t = schema.metadata.tables[table]
        query = select(func.count()).select_from(t)
        for column, value in where.items():
            query = query.where(t.c[column] == value)
        with self.engine.connect() as connection:
            return int(connection.scalar(query) or 0)

    def counts(self) -> dict[str, int]:
        """Rows in every table a tab writes to."""
        return {table: self.count(table) for table in TAB_TABLES}

    def rows(self, table: str, **where: object) -> list[dict[str, Any]]:
        t = schema.metadata.tables[table]
        query = select(t).order_by(t.c.id if "id" in t.c else t.c[next(iter(t.c.keys()))])
        for column, value in where.items():
            query = query.where(t.c[column] == value)
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def audit(self) -> list[tuple[str, str, str]]:
        """(action, actor name, summary) of every audit entry, oldest first."""
        return [(r["action"], r["actor_name"], r["summary"]) for r in self.rows("audit_log")]


_ID_FIELDS = frozenset(VenueIds.__dataclass_fields__)


def _category(uow: Any, name: str, rules: list[SalesRule], **fields: Any) -> int:
    category = PromotionCategory(name=name, **fields)
    uow.catalogue.add(category)
    uow.flush()
    assert category.id is not None
    uow.promotions.replace_rules(category.id, rules)
    return category.id


def seed_venue(uow_factory: SqlUnitOfWorkFactory) -> VenueIds:
    """A bar and a terrace, drinks and food, and three promotion categories:

    - Happy hour: 20 % off drinks, 17:00-19:00 every day (attached by tests);
    - VIP: 10 % off everything, 1 point per 1.00 spent, 150.00 tab limit;
    - Terrace lunch: 5 % off food, attached to the terrace division.
    """
    with uow_factory() as uow:
        drinks, food = MenuGroup(name="Drinks"), MenuGroup(name="Food")
        uow.catalogue.add(drinks)
        uow.catalogue.add(food)
        uow.flush()
        assert drinks.id is not None and food.id is not None
        beer = MenuItem(name="Pale ale", group_id=drinks.id, price_minor=500, tax_rate=VAT)
        coffee = MenuItem(name="Flat white", group_id=drinks.id, price_minor=250, tax_rate=VAT)
        burger = MenuItem(name="Burger", group_id=food.id, price_minor=1500, tax_rate=VAT)
        gift = MenuItem(
            name="Gift card",
            group_id=food.id,
            price_minor=2500,
            tax_rate=Decimal("0"),
            discountable=False,
            earns_points=False,
        )
        for item in (beer, coffee, burger, gift):
            uow.catalogue.add(item)
        happy = _category(
            uow,
            "Happy hour",
            [
                rule(
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
                rule("VIP 10 %", RuleKind.PERCENT_DISCOUNT, percent=Decimal("10")),
                rule("VIP points", RuleKind.POINTS_ACCRUAL, points_per_unit=Decimal("1")),
            ],
            priority=10,
            tab_limit_minor=15_000,
        )
        terrace_promo = _category(
            uow,
            "Terrace lunch",
            [
                rule(
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
        tables = [
            DiningTable(division_id=bar.id, number="1"),
            DiningTable(division_id=bar.id, number="2"),
            DiningTable(division_id=terrace.id, number="T1"),
        ]
        for table in tables:
            uow.catalogue.add(table)
        uow.flush()
        ids = VenueIds(
            drinks=drinks.id,
            food=food.id,
            beer=_id(beer.id),
            coffee=_id(coffee.id),
            burger=_id(burger.id),
            gift_card=_id(gift.id),
            bar=bar.id,
            terrace=terrace.id,
            table_1=_id(tables[0].id),
            table_2=_id(tables[1].id),
            table_t1=_id(tables[2].id),
            happy_hour=happy,
            vip=vip,
            terrace_promo=terrace_promo,
        )
        uow.commit()
        return ids


def _id(value: int | None) -> int:
    assert value is not None
    return value


def _venue(
    path: Path,
    engine: Engine,
    uow: SqlUnitOfWorkFactory,
    clock: FixedClock,
    ids: VenueIds,
    settings: TabSettings,
) -> Venue:
    return Venue(
        **asdict(ids),
        engine=engine,
        uow=uow,
        clock=clock,
        settings=settings,
        tabs=TabService(uow, settings, clock),
        checkout=CheckoutService(uow, settings, clock),
        accounts=AccountService(uow, settings, clock),
        identifiers=IdentifierService(uow, VenueSettings(default_region="GB"), clock),
        path=path,
    )


@contextmanager
def venue_on_disk(path: Path, template: Path | None = None) -> Iterator[Venue]:
    """A fresh store at ``path`` (a copy of ``template`` when given), seeded; noon."""
    with directory_on_disk(path, template) as store:
        ids = seed_venue(store.uow)
        store.clock.now = NOON
        yield _venue(path, store.engine, store.uow, store.clock, ids, venue_settings())


@contextmanager
def reopen_venue(
    path: Path, ids: VenueIds, at: datetime = NOON, settings: TabSettings | None = None
) -> Iterator[Venue]:
    """The store at ``path`` opened again, as after a restart: new engine, new services."""
    engine = create_store_engine(StoreLocation(path))
    try:
        uow = SqlUnitOfWorkFactory(create_session_factory(engine))
        yield _venue(path, engine, uow, FixedClock(at), ids, settings or venue_settings())
    finally:
        engine.dispose()
