"""Gather what prices a tab: the categories of all seven levels, and the sitting's context.

Happy hours and the other validity windows are judged per line, when it was ordered
(``OrderLine.added_at``, docs/PRICING.md), whenever the tab is priced. Birthdays and the
visit number are judged on the day of the pricing, so :func:`price` decides when that is:
an open tab is priced now, unless its payments settle it exactly at the moment of the
last one, when the bill the guest paid stands; a closed tab is priced as it closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from app.domain.ledger import EntryKind
from app.domain.loyalty import CustomerStats, Tier, remove_visit
from app.domain.pricing import PricedTab, PricingContext, price_tab, units_in_scope
from app.domain.promotions import AttachLevel, Attachment
from app.domain.tabs import GuestTab, TabStatus
from app.services.ports import UnitOfWork
from app.services.tab_ports import FloorPlace, TabCustomer
from app.services.tab_settings import TabSettings


@dataclass(frozen=True, slots=True)
class TabPricing:
    """A tab priced at the moment that counts (``at``), with what was needed to price it."""

    priced: PricedTab
    at: datetime  # the moment it was priced at (see price())
    customer: TabCustomer | None
    place: FloorPlace
    stats: CustomerStats | None
    tier: Tier | None
    limit_minor: int | None  # the tightest of the categories' and the customer's own
    free_units: Mapping[str, int]  # FREE_EVERY_N rule uuid -> units in scope on this tab


def _tightest(*limits: int | None) -> int | None:
    present = [limit for limit in limits if limit is not None]
    return min(present) if present else None


def settled_at(tab: GuestTab) -> datetime | None:
    """When the tab's last payment was taken, or None before any."""
    return max((p.at for p in tab.payments), default=None)


def price(uow: UnitOfWork, tab: GuestTab, settings: TabSettings, now: datetime) -> TabPricing:
    """Price ``tab`` with every category that applies to it, at the moment that counts.

    - An open tab whose payments come exactly to its price at the time of the last one
      is priced then: the guest paid that bill, so closing it after midnight (or after a
      restart) closes it at the prices paid, a birthday reward included. A new line, a
      void or a partial payment leaves it unsettled, and it is priced ``now``. (A happy
      hour needs none of this: each line keeps the windows open when it was ordered.)
    - A closed tab is priced as it closed: when it was settled, with the customer's tier
      and statistics as they were before its own visit and points. (Exact while it is
      the customer's latest visit; a later visit has moved the statistics since.)
    """
    paid_at = settled_at(tab)
    if tab.status is TabStatus.CLOSED:
        return _price(uow, tab, settings, paid_at or tab.closed_at or now, closed=True)
    if paid_at is not None:
        settled = _price(uow, tab, settings, paid_at, closed=False)
        if tab.due_minor(settled.priced.total_minor) == 0:
            return settled
    return _price(uow, tab, settings, now, closed=False)


def _earned_on(uow: UnitOfWork, tab_uuid: str) -> int:
    """Points the tab earned when it closed, less any reversed since."""
    earned = [e for e in uow.ledger.for_tab(tab_uuid) if e.kind is EntryKind.EARN]
    undone = uow.ledger.reversed_uuids([e.uuid for e in earned])
    return sum(e.amount for e in earned if e.uuid not in undone)


def _price(
    uow: UnitOfWork, tab: GuestTab, settings: TabSettings, at: datetime, *, closed: bool
) -> TabPricing:
    customer = None if tab.customer_id is None else uow.tabs.customer(tab.customer_id)
    place = uow.promotions.place(tab.division_id, tab.table_id)
    wanted: list[tuple[AttachLevel, int, str | None]] = []
    stats: CustomerStats | None = None
    tier: Tier | None = None
    local = settings.local(at)
    if customer is not None:
        stats = uow.stats.get(customer.id)
        if customer.promotion_category_id is not None:
            wanted.append((AttachLevel.CUSTOMER, customer.promotion_category_id, None))
        lifetime = uow.ledger.lifetime_points(customer.id)
        if closed:  # the tier it was priced under, before its own points
            lifetime -= _earned_on(uow, tab.uuid)
        tier = settings.tiers.tier_for(lifetime)
        if tier.category_uuid is not None:
            tier_category = uow.promotions.category_id(tier.category_uuid)
            if tier_category is not None:
                wanted.append((AttachLevel.CUSTOMER, tier_category, None))
    if tab.card_identifier_id is not None:
        card_category = uow.tabs.card_category(tab.card_identifier_id)
        if card_category is not None:
            wanted.append((AttachLevel.CARD, card_category, None))
    if place.division_category_id is not None:
        wanted.append((AttachLevel.DIVISION, place.division_category_id, None))
    if place.table_category_id is not None:
        wanted.append((AttachLevel.TABLE, place.table_category_id, None))
    wanted.extend((a.level, a.category_id, a.target) for a in tab.attachments)
    rules = uow.promotions.category_rules({category_id for _, category_id, _ in wanted})
    attachments = [
        Attachment(level=level, category=rules[category_id], target=target)
        for level, category_id, target in wanted
        if category_id in rules
    ]
    lines = tab.pricing_lines()
    context = PricingContext(
        local_time=local,
        currency=settings.currency,
        tax_mode=settings.tax_mode,
        birthday=None if customer is None else customer.birthday,
        visit_number=1 if stats is None else stats.visits + 1,
        purchases_in_scope={} if stats is None else stats.rule_units,
        venue_composition=settings.venue_composition,
        venue_max_percent=settings.venue_max_percent,
    )
    if closed and stats is not None and stats.visits > 0:
        # As before this visit: its own units (which do not depend on the statistics)
        # and the visit are taken back out.
        stats = remove_visit(stats, tab.visit_facts(units_in_scope(lines, attachments, context)))
        context = replace(
            context, visit_number=stats.visits + 1, purchases_in_scope=stats.rule_units
        )
    priced = price_tab(lines, attachments, context)
    return TabPricing(
        priced=priced,
        at=at,
        customer=customer,
        place=place,
        stats=stats,
        tier=tier,
        limit_minor=_tightest(
            priced.tab_limit_minor, None if customer is None else customer.tab_limit_minor
        ),
        free_units=dict(priced.free_every_n_units),
    )
