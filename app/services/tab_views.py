"""What the till shows of a tab: lines with their prices and the reasons, totals, payments."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from app.domain.payments import PaymentMethod
from app.domain.pricing import TaxLine
from app.domain.tabs import GuestTab, TabStatus
from app.services.tab_pricing import TabPricing


@dataclass(frozen=True, slots=True)
class LineView:
    uuid: str
    item_id: int
    name: str
    quantity: int
    unit_price_minor: int
    gross_minor: int
    discount_minor: int
    net_minor: int
    points: int
    order_no: int | None  # None until sent to the kitchen
    voided: bool
    void_reason: str
    why: tuple[str, ...]  # "why this price": one line per discount or points rule


@dataclass(frozen=True, slots=True)
class PaymentView:
    uuid: str
    method: PaymentMethod
    amount_minor: int
    tendered_minor: int
    change_minor: int
    points: int
    at: datetime


@dataclass(frozen=True, slots=True)
class TabView:
    uuid: str
    number: int
    status: TabStatus
    terminal: str
    waiter_uuid: str
    division_id: int | None
    division_name: str | None
    table_id: int | None
    table_number: str | None
    guests: int
    customer_id: int | None
    customer_name: str | None
    tier_name: str | None
    opened_at: datetime
    closed_at: datetime | None
    lines: tuple[LineView, ...]  # voided lines included, marked
    gross_minor: int
    discount_minor: int
    tax_minor: int
    total_minor: int
    taxes: tuple[TaxLine, ...]
    paid_minor: int
    due_minor: int  # what is left to pay (never below zero)
    change_minor: int
    payments: tuple[PaymentView, ...]
    points_to_earn: int  # accrual plus bonuses, written to the ledger on close
    bonus_why: tuple[str, ...]  # the tab-level bonuses (birthday, Nth visit)
    limit_minor: int | None
    headroom_minor: int | None  # how much of the limit is left (negative: over it)
    limit_override_by: str | None
    currency: str

    @property
    def is_open(self) -> bool:
        return self.status is TabStatus.OPEN


def tab_view(tab: GuestTab, pricing: TabPricing, currency_code: str) -> TabView:
    priced = pricing.priced
    by_uuid = {line.uuid: line for line in priced.lines}
    # Points go to a customer's account: with nobody on the tab, none are shown as earned.
    earns = tab.customer_id is not None
    lines: list[LineView] = []
    for line in tab.lines:
        p = by_uuid.get(line.uuid)
        lines.append(
            LineView(
                uuid=line.uuid,
                item_id=line.item_id,
                name=line.name,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                gross_minor=line.gross_minor,
                discount_minor=0 if p is None else p.discount_minor,
                net_minor=0 if p is None else p.net_minor,
                points=0 if p is None or not earns else p.points,
                order_no=line.order_no,
                voided=line.voided,
                void_reason=line.void_reason,
                why=()
                if p is None
                else tuple(a.explanation for a in p.adjustments if earns or not a.points),
            )
        )
    total = priced.total_minor
    limit = pricing.limit_minor
    return TabView(
        uuid=tab.uuid,
        number=tab.number,
        status=tab.status,
        terminal=tab.terminal,
        waiter_uuid=tab.waiter_uuid,
        division_id=tab.division_id,
        division_name=pricing.place.division_name,
        table_id=tab.table_id,
        table_number=pricing.place.table_number,
        guests=tab.guests,
        customer_id=tab.customer_id,
        customer_name=None if pricing.customer is None else pricing.customer.name,
        tier_name=None if pricing.tier is None else pricing.tier.name,
        opened_at=tab.opened_at,
        closed_at=tab.closed_at,
        lines=tuple(lines),
        gross_minor=priced.gross_minor,
        discount_minor=priced.discount_minor,
        tax_minor=priced.tax_minor,
        total_minor=total,
        taxes=priced.taxes,
        paid_minor=tab.paid_minor,
        due_minor=max(0, tab.due_minor(total)),
        change_minor=tab.change_minor,
        payments=tuple(
            PaymentView(
                p.uuid, p.method, p.amount_minor, p.tendered_minor, p.change_minor, p.points, p.at
            )
            for p in tab.payments
        ),
        points_to_earn=priced.total_points if earns else 0,
        bonus_why=tuple(a.explanation for a in priced.adjustments if earns or not a.points),
        limit_minor=limit,
        headroom_minor=None if limit is None else limit - total,
        limit_override_by=tab.limit_override_by,
        currency=currency_code,
    )


_VIEW_FIELDS = tuple(f.name for f in fields(TabView))
_LINE_FIELDS = tuple(f.name for f in fields(LineView))
_PAYMENT_FIELDS = tuple(f.name for f in fields(PaymentView))
_TAX_FIELDS = tuple(f.name for f in fields(TaxLine))


def view_payload(view: TabView) -> dict[str, object]:
    """The view as plain dicts and lists, as ``dataclasses.asdict`` gives it, for a JSON
    payload (outbox, receipt). Field by field: asdict deep-copies every value."""
    payload: dict[str, object] = {name: getattr(view, name) for name in _VIEW_FIELDS}
    payload["lines"] = [{n: getattr(line, n) for n in _LINE_FIELDS} for line in view.lines]
    payload["payments"] = [{n: getattr(p, n) for n in _PAYMENT_FIELDS} for p in view.payments]
    payload["taxes"] = [{n: getattr(tax, n) for n in _TAX_FIELDS} for tax in view.taxes]
    return payload
