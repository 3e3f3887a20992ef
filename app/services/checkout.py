"""Paying, closing and reopening guest tabs.

Closing is one transaction: the tab's status, the points it earned (ledger), the
customer's visit and statistics, the operations for head office (outbox) and the
receipt to print. Either all of it is in the store or none of it, so a terminal that
dies between payment and close finds the tab still open with its payments on restart,
and closing it again does the rest exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from app.domain.audit import AuditAction
from app.domain.errors import ConflictError
from app.domain.history import Visit
from app.domain.identifiers import PAN_HASH_PREFIX
from app.domain.ledger import Balances, EntryKind, LedgerEntry, Origin, earn, redeem, reverse
from app.domain.ledger import withdraw as withdraw_entry
from app.domain.loyalty import add_visit, remove_visit
from app.domain.money import format_money
from app.domain.payments import Payment, PaymentMethod, Tender
from app.domain.receipts import mask_identifier
from app.domain.staff import Actor, Permission
from app.domain.tabs import GuestTab
from app.services.audit import require, write_audit
from app.services.directory import Clock, utc_clock
from app.services.ports import UnitOfWork, UnitOfWorkFactory
from app.services.sync_docs import ledger_operation
from app.services.tab_pricing import TabPricing, price
from app.services.tab_settings import TabSettings
from app.services.tab_views import TabView, tab_view, view_payload
from app.services.tabs import load


class CheckoutService:
    def __init__(
        self, uow_factory: UnitOfWorkFactory, settings: TabSettings, clock: Clock = utc_clock
    ) -> None:
        self._uow = uow_factory
        self._settings = settings
        self._clock = clock

    def pay(
        self, actor: Actor, tab_uuid: str, tenders: Sequence[Tender], *, partial: bool = True
    ) -> TabView:
        """Take payments (cash, card, purse, points or a mix); the tab stays open."""
        require(actor, Permission.TAKE_PAYMENT)
        with self._uow() as uow:
            now = self._clock()
            tab = load(uow, tab_uuid)
            pricing = price(uow, tab, self._settings, now)
            self._take(uow, actor, tab, pricing, tenders, now, partial=partial)
            uow.tabs.save(tab)
            view = tab_view(tab, pricing, self._settings.currency.code)
            uow.commit()
            return view

    def close(self, actor: Actor, tab_uuid: str) -> TabView:
        """Close a fully paid tab: points, visit, statistics, outbox and receipt at once."""
        require(actor, Permission.CLOSE_TAB)
        with self._uow() as uow:
            now = self._clock()
            tab = load(uow, tab_uuid)
            view = self._close(uow, actor, tab, price(uow, tab, self._settings, now), now)
            uow.commit()
            return view

    def pay_and_close(self, actor: Actor, tab_uuid: str, tenders: Sequence[Tender]) -> TabView:
        """The usual end of a tab: the whole bill paid and the tab closed in one step."""
        require(actor, Permission.TAKE_PAYMENT)
        require(actor, Permission.CLOSE_TAB)
        with self._uow() as uow:
            now = self._clock()
            tab = load(uow, tab_uuid)
            pricing = price(uow, tab, self._settings, now)
            balances = self._take(uow, actor, tab, pricing, tenders, now, partial=False)
            view = self._close(uow, actor, tab, pricing, now, balances)
            uow.commit()
            return view

    def reopen(self, actor: Actor, tab_uuid: str, reason: str) -> TabView:
        """A manager reopens a closed tab. Its earned points are reversed and its visit
        taken back, so closing it again counts once; the reopening is audited."""
        require(actor, Permission.REOPEN_TAB)
        with self._uow() as uow:
            now = self._clock()
            tab = load(uow, tab_uuid)
            if tab.customer_id is not None and tab.closed_at is not None:
                pricing = price(uow, tab, self._settings, now)  # as it closed
                facts = tab.visit_facts(pricing.free_units)
                if uow.tabs.remove_visit(tab.uuid):
                    stats = uow.stats.get(tab.customer_id)
                    uow.stats.save(remove_visit(stats, facts))
            tab.reopen(actor, now)
            origin = Origin(now, self._settings.terminal, actor.staff_uuid, tab.uuid)
            entries = [e for e in uow.ledger.for_tab(tab.uuid) if e.kind is EntryKind.EARN]
            done = uow.ledger.reversed_uuids([e.uuid for e in entries])
            owners: dict[int, str] = {}
            for entry in entries:
                if entry.uuid not in done:
                    if entry.customer_id not in owners:
                        holder = uow.tabs.customer(entry.customer_id)
                        owners[entry.customer_id] = "" if holder is None else holder.uuid
                    owner_uuid = owners[entry.customer_id]
                    undo = reverse(
                        entry, origin, reason=f"tab {tab.number} reopened", reversed_uuids=done
                    )
                    uow.ledger.add(undo)
                    uow.outbox.append(
                        "ledger.entry", undo.uuid, ledger_operation(undo, owner_uuid), now
                    )
            uow.tabs.save(tab)
            write_audit(
                uow,
                actor,
                AuditAction.TAB_REOPENED,
                tab.uuid,
                f"Tab {tab.number} reopened: {reason.strip() or 'no reason given'}",
            )
            uow.outbox.append("tab.reopened", tab.uuid, {"tab_uuid": tab.uuid}, now)
            view = tab_view(tab, price(uow, tab, self._settings, now), self._settings.currency.code)
            uow.commit()
            return view

    # Steps ----------------------------------------------------------------------------

    def _take(
        self,
        uow: UnitOfWork,
        actor: Actor,
        tab: GuestTab,
        pricing: TabPricing,
        tenders: Sequence[Tender],
        now: datetime,
        *,
        partial: bool,
    ) -> Balances | None:
        """Take the tenders; the customer's balances after them (None without a customer)."""
        customer = pricing.customer
        balances = None if customer is None else uow.ledger.balances(customer.id)
        credit = 0 if customer is None else customer.credit_limit_minor or 0
        payments = tab.pay(
            pricing.priced.total_minor,
            tenders,
            at=now,
            staff_uuid=actor.staff_uuid,
            rate=self._settings.redemption,
            allow_partial=partial,
            points_balance=None if balances is None else balances.points,
            purse_balance_minor=None if balances is None else balances.purse_minor,
            credit_limit_minor=credit,
            exponent=self._settings.currency.exponent,
        )
        if customer is None or balances is None:
            return None
        self._within_offline_allowance(uow, payments)
        origin = Origin(now, self._settings.terminal, actor.staff_uuid, tab.uuid)
        points, purse = balances.points, balances.purse_minor
        for payment in payments:
            entry: LedgerEntry | None = None
            if payment.method is PaymentMethod.POINTS:
                entry = redeem(
                    customer.id,
                    payment.points,
                    origin,
                    balance_points=points,
                    reason=f"tab {tab.number}",
                )
                points += entry.amount
            elif payment.method is PaymentMethod.PURSE:
                entry = withdraw_entry(
                    customer.id,
                    payment.amount_minor,
                    origin,
                    balance_minor=purse,
                    credit_limit_minor=credit,
                    reason=f"tab {tab.number}",
                )
                purse += entry.amount
            if entry is not None:
                uow.ledger.add(entry)
                uow.outbox.append(
                    "ledger.entry", entry.uuid, ledger_operation(entry, customer.uuid), now
                )
        return Balances(points=points, purse_minor=purse)

    def _within_offline_allowance(self, uow: UnitOfWork, payments: Sequence[Payment]) -> None:
        """An enrolled till lets guests spend points and purse money only up to its
        allowance, less what it has spent in operations head office has not acknowledged
        (its balances may be out of date). A standalone venue has no such cap."""
        points = sum(p.points for p in payments if p.method is PaymentMethod.POINTS)
        purse = sum(p.amount_minor for p in payments if p.method is PaymentMethod.PURSE)
        if not (points or purse) or not uow.sync.enrolled():
            return
        spent_points, spent_purse = uow.sync.offline_spent()
        settings = self._settings
        points_left = max(settings.offline_points_allowance - spent_points, 0)
        if points > points_left:
            raise ConflictError(
                f"Offline: at most {points_left} more points can be redeemed until this till "
                "syncs with head office"
            )
        purse_left = max(settings.offline_purse_allowance_minor - spent_purse, 0)
        if purse > purse_left:
            raise ConflictError(
                f"Offline: at most {format_money(purse_left, settings.currency)} more can be "
                "paid from purses until this till syncs with head office"
            )

    def _close(
        self,
        uow: UnitOfWork,
        actor: Actor,
        tab: GuestTab,
        pricing: TabPricing,
        now: datetime,
        balances: Balances | None = None,
    ) -> TabView:
        """Close the tab; ``balances`` are the customer's as this transaction left them so
        far (read here when not given), so the balances after need no second sum."""
        priced = pricing.priced
        tab.close(priced.total_minor, now, exponent=self._settings.currency.exponent)
        points = 0
        customer = pricing.customer
        if customer is not None:
            if balances is None:
                balances = uow.ledger.balances(customer.id)
            points = priced.total_points
            if points > 0:
                origin = Origin(now, self._settings.terminal, actor.staff_uuid, tab.uuid)
                entry = earn(customer.id, points, origin, reason=f"tab {tab.number}")
                uow.ledger.add(entry)
                uow.outbox.append(
                    "ledger.entry", entry.uuid, ledger_operation(entry, customer.uuid), now
                )
            uow.tabs.record_visit(
                Visit(
                    customer_id=customer.id,
                    visited_at=now,
                    spent_minor=tab.paid_minor,
                    guests=tab.guests,
                    division_name=pricing.place.division_name or "",
                    tab_uuid=tab.uuid,
                    identified_by=tab.identified_by.value,
                )
            )
            stats = pricing.stats if pricing.stats is not None else uow.stats.get(customer.id)
            uow.stats.save(add_visit(stats, tab.visit_facts(pricing.free_units)))
        uow.tabs.save(tab)
        uow.tabs.record_totals(tab.uuid, priced.total_minor, priced.discount_minor, points)
        view = tab_view(tab, pricing, self._settings.currency.code)
        snapshot = view_payload(view)
        snapshot.update(_receipt_people(uow, tab))
        if customer is not None and balances is not None:
            earned = points if points > 0 else 0
            snapshot["balances_after"] = {
                "points": balances.points + earned,
                "purse_minor": balances.purse_minor,
            }
            snapshot["customer_uuid"] = customer.uuid
        uow.outbox.append("tab.closed", tab.uuid, snapshot, now)
        if self._settings.receipt_on_close:
            uow.print_jobs.add("receipt", tab.uuid, snapshot, now)
        return view


def _receipt_people(uow: UnitOfWork, tab: GuestTab) -> dict[str, object]:
    """Who served, and the card the guest was found by, masked as a receipt may show it."""
    waiter = uow.staff.by_uuid(tab.waiter_uuid)
    card: str | None = None
    if tab.card_identifier_id is not None:
        identifier = uow.identifiers.get(tab.card_identifier_id)
        if identifier is not None:
            hashed = identifier.value.startswith(PAN_HASH_PREFIX)
            card = "Bank card" if hashed else mask_identifier(identifier.value)
    return {"waiter_name": "" if waiter is None else waiter.name, "customer_identifier": card}
