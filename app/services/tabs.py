"""Guest tabs at the till: open, order, void, move, split, merge and the guest check.

Each method is one short unit of work: read the tab, apply the domain's rule, price it
where the rule needs the price, write what changed and commit. The tab lives in the
store after every step, so a terminal that dies mid-service loses nothing.
Paying and closing are in :mod:`app.services.checkout`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import datetime

from app.domain.audit import AuditAction
from app.domain.customers import CustomerStatus
from app.domain.errors import ConflictError, NotFoundError, ValidationError
from app.domain.identifiers import IdentifierStatus
from app.domain.promotions import AttachLevel
from app.domain.staff import Actor, Permission
from app.domain.tabs import GuestTab, IdentifiedBy
from app.services.audit import require, write_audit
from app.services.directory import Clock, utc_clock
from app.services.ports import UnitOfWork, UnitOfWorkFactory
from app.services.tab_ports import OpenTabRow
from app.services.tab_pricing import price
from app.services.tab_settings import TabSettings
from app.services.tab_views import TabView, tab_view


def load(uow: UnitOfWork, tab_uuid: str) -> GuestTab:
    tab = uow.tabs.get(tab_uuid)
    if tab is None:
        raise NotFoundError("That tab is not in this terminal's store")
    return tab


def tab_customer(uow: UnitOfWork, customer_id: int) -> None:
    """Refuse a customer who cannot be put on a tab: gone, merged away or blocked."""
    customer = uow.customers.get(customer_id)
    if customer is None:
        raise NotFoundError("That customer is not in the directory any more")
    if customer.merged_into_id is not None:
        raise ConflictError(
            f"{customer.full_name} was merged into another record "
            f"({customer.status_reason or 'merged'}); put the tab on that one"
        )
    if customer.status is CustomerStatus.BLOCKED:
        raise ConflictError(
            f"{customer.full_name} is blocked: {customer.status_reason or 'no reason given'}"
        )


def presented_card(
    uow: UnitOfWork, identifier_id: int, at: datetime, *, customer_id: int | None
) -> None:
    """Refuse a card that cannot price this tab: unknown, not in use, or someone else's.

    ``customer_id`` is the tab's customer when the card found them; None when the card
    is presented for its own category (an impersonal card).
    """
    card = uow.identifiers.get(identifier_id)
    if card is None:
        raise NotFoundError("That card is not known here; a manager can issue it")
    label = card.kind.label
    if card.status is IdentifierStatus.LOST:
        raise ConflictError(f"{label} reported lost; keep it and ask a manager")
    if not card.usable_at(at):
        state = "blocked" if card.status is IdentifierStatus.BLOCKED else "expired"
        raise ConflictError(f"{label} is {state}; ask a manager")
    if customer_id is None and card.personal:
        raise ConflictError(f"{label} is a customer's own card; attach the customer instead")
    if customer_id is not None and card.customer_id != customer_id:
        raise ConflictError(f"{label} is not this customer's card")


def floor_division(uow: UnitOfWork, division_id: int | None, table_id: int | None) -> int | None:
    """The division a tab sits in: the table's own, which must be the one named if any."""
    place = uow.promotions.place(division_id, table_id)
    if division_id is not None and place.division_name is None:
        raise NotFoundError("That division is not on the floor plan")
    if table_id is None:
        return division_id
    if place.table_division_id is None:
        raise NotFoundError("That table is not on the floor plan")
    if division_id is not None and division_id != place.table_division_id:
        home = uow.promotions.place(place.table_division_id, None).division_name
        raise ValidationError.single(
            "table",
            f"Table {place.table_number} is in {home}, not in {place.division_name}",
        )
    return place.table_division_id


class TabService:
    def __init__(
        self, uow_factory: UnitOfWorkFactory, settings: TabSettings, clock: Clock = utc_clock
    ) -> None:
        self._uow = uow_factory
        self._settings = settings
        self._clock = clock

    # Reading ---------------------------------------------------------------------------

    def view(self, actor: Actor, tab_uuid: str) -> TabView:
        require(actor, Permission.OPEN_TAB)
        with self._uow() as uow:
            return self._view(uow, load(uow, tab_uuid))

    def open_tabs(self, actor: Actor, division_id: int | None = None) -> list[OpenTabRow]:
        require(actor, Permission.OPEN_TAB)
        with self._uow() as uow:
            return uow.tabs.open_tabs(division_id)

    # Opening ---------------------------------------------------------------------------

    def open(
        self,
        actor: Actor,
        *,
        division_id: int | None = None,
        table_id: int | None = None,
        guests: int = 1,
        customer_id: int | None = None,
        identified_by: IdentifiedBy = IdentifiedBy.NONE,
        card_identifier_id: int | None = None,
    ) -> TabView:
        """Open a tab at a table for a number of guests, optionally on a customer's name."""
        require(actor, Permission.OPEN_TAB)
        if customer_id is not None:
            require(actor, Permission.ATTACH_CUSTOMER)
        with self._uow() as uow:
            now = self._clock()
            if customer_id is not None:
                tab_customer(uow, customer_id)
            if card_identifier_id is not None:
                presented_card(uow, card_identifier_id, now, customer_id=customer_id)
            tab = GuestTab.open(
                uow.tabs.next_number(),
                terminal=self._settings.terminal,
                waiter_uuid=actor.staff_uuid,
                division_id=floor_division(uow, division_id, table_id),
                table_id=table_id,
                guests=guests,
                customer_id=customer_id,
                identified_by=identified_by,
                card_identifier_id=card_identifier_id,
                at=now,
            )
            uow.tabs.add(tab)
            view = self._view(uow, tab)
            uow.commit()
            return view

    # Lines -----------------------------------------------------------------------------

    def add_item(self, actor: Actor, tab_uuid: str, item_id: int, quantity: int = 1) -> TabView:
        """Add an item; refused over the tab's limit unless a manager overrode it."""
        require(actor, Permission.EDIT_TAB)
        with self._uow() as uow:
            tab = load(uow, tab_uuid)
            item = uow.promotions.menu_item(item_id)
            if item is None:
                raise NotFoundError("That item is not on the menu any more")
            now = self._clock()
            tab.add_item(item, quantity, by=actor.staff_uuid, at=now)
            pricing = price(uow, tab, self._settings, now)
            tab.check_limit(
                pricing.priced.total_minor, pricing.limit_minor, exponent=self._exponent
            )
            uow.tabs.save(tab)
            view = tab_view(tab, pricing, self._settings.currency.code)
            uow.commit()
            return view

    def void_line(self, actor: Actor, tab_uuid: str, line_uuid: str, reason: str) -> TabView:
        """Void a line with a reason; once the kitchen has it, only a manager, audited."""
        require(actor, Permission.VOID_LINE)

        def void(uow: UnitOfWork, tab: GuestTab) -> None:
            line = tab.void_line(line_uuid, reason, actor, self._clock())
            if line.order_no is not None:
                write_audit(
                    uow,
                    actor,
                    AuditAction.TAB_LINE_VOIDED,
                    tab.uuid,
                    f"Tab {tab.number}: {line.quantity} × {line.name} voided after order "
                    f"{line.order_no} went to the kitchen: {line.void_reason}",
                )

        return self._change(actor, tab_uuid, void)

    def send_order(self, actor: Actor, tab_uuid: str) -> TabView:
        require(actor, Permission.EDIT_TAB)
        return self._change(actor, tab_uuid, lambda _, tab: tab.send_order(self._clock()))

    # Customer, table and categories ----------------------------------------------------

    def attach_customer(
        self,
        actor: Actor,
        tab_uuid: str,
        customer_id: int,
        identified_by: IdentifiedBy,
        card_identifier_id: int | None = None,
    ) -> TabView:
        require(actor, Permission.ATTACH_CUSTOMER)

        def attach(uow: UnitOfWork, tab: GuestTab) -> None:
            tab.require_open()
            tab_customer(uow, customer_id)
            if card_identifier_id is not None:
                presented_card(uow, card_identifier_id, self._clock(), customer_id=customer_id)
            tab.attach_customer(customer_id, identified_by, card_identifier_id)

        return self._change(actor, tab_uuid, attach)

    def detach_customer(self, actor: Actor, tab_uuid: str) -> TabView:
        require(actor, Permission.ATTACH_CUSTOMER)
        return self._change(actor, tab_uuid, lambda _, tab: tab.detach_customer())

    def present_card(self, actor: Actor, tab_uuid: str, identifier_id: int | None) -> TabView:
        """An impersonal card (a staff card, a partner's voucher card) prices the tab."""
        require(actor, Permission.EDIT_TAB)

        def present(uow: UnitOfWork, tab: GuestTab) -> None:
            tab.require_open()
            if identifier_id is not None:
                presented_card(uow, identifier_id, self._clock(), customer_id=None)
            tab.present_card(identifier_id)

        return self._change(actor, tab_uuid, present)

    def move(
        self, actor: Actor, tab_uuid: str, division_id: int | None, table_id: int | None
    ) -> TabView:
        require(actor, Permission.MOVE_TAB)

        def move(uow: UnitOfWork, tab: GuestTab) -> None:
            tab.move_to(floor_division(uow, division_id, table_id), table_id)

        return self._change(actor, tab_uuid, move)

    def set_guests(self, actor: Actor, tab_uuid: str, guests: int) -> TabView:
        require(actor, Permission.EDIT_TAB)
        return self._change(actor, tab_uuid, lambda _, tab: tab.set_guests(guests))

    def attach_category(
        self,
        actor: Actor,
        tab_uuid: str,
        level: AttachLevel,
        category_id: int,
        target: str | int | None = None,
    ) -> TabView:
        """Attach a promotion category to the tab, one order or one line."""
        require(actor, Permission.EDIT_TAB)

        def attach(uow: UnitOfWork, tab: GuestTab) -> None:
            if not uow.promotions.category_rules([category_id]):
                raise NotFoundError("That promotion category is not active")
            tab.attach_category(level, category_id, target)

        return self._change(actor, tab_uuid, attach)

    def detach_category(
        self,
        actor: Actor,
        tab_uuid: str,
        level: AttachLevel,
        category_id: int,
        target: str | int | None = None,
    ) -> TabView:
        require(actor, Permission.EDIT_TAB)
        return self._change(
            actor, tab_uuid, lambda _, tab: tab.detach_category(level, category_id, target)
        )

    def override_limit(self, actor: Actor, tab_uuid: str, reason: str) -> TabView:
        """A manager lets the tab go over its limit; the override is audited."""
        require(actor, Permission.OVERRIDE_TAB_LIMIT)

        def override(uow: UnitOfWork, tab: GuestTab) -> None:
            tab.override_limit(actor)
            write_audit(
                uow,
                actor,
                AuditAction.TAB_LIMIT_OVERRIDDEN,
                tab.uuid,
                f"Tab {tab.number} may go over its limit: {reason.strip() or 'no reason given'}",
            )

        return self._change(actor, tab_uuid, override)

    # Split and merge -------------------------------------------------------------------

    def split(self, actor: Actor, tab_uuid: str, line_uuids: Iterable[str]) -> TabView:
        """Move these lines to a new tab at the same table; returns the new tab."""
        require(actor, Permission.SPLIT_MERGE_TAB)
        with self._uow() as uow:
            source = load(uow, tab_uuid)
            new = source.split(
                line_uuids,
                number=uow.tabs.next_number(),
                at=self._clock(),
                waiter_uuid=actor.staff_uuid,
            )
            uow.tabs.add(new)
            uow.tabs.save(source)
            view = self._view(uow, new)
            uow.commit()
            return view

    def merge(self, actor: Actor, into_uuid: str, other_uuid: str) -> TabView:
        """Bring every line of ``other`` onto ``into``; ``other`` is marked merged."""
        require(actor, Permission.SPLIT_MERGE_TAB)
        with self._uow() as uow:
            into, other = load(uow, into_uuid), load(uow, other_uuid)
            into.merge_from(other, self._clock())
            uow.tabs.save(into)
            uow.tabs.save(other)
            view = self._view(uow, into)
            uow.commit()
            return view

    # Guest check -----------------------------------------------------------------------

    def guest_check(self, actor: Actor, tab_uuid: str) -> TabView:
        """Queue the pre-bill for printing, in the same transaction; returns what it shows."""
        require(actor, Permission.PRINT_GUEST_CHECK)
        with self._uow() as uow:
            tab = load(uow, tab_uuid)
            tab.require_open()
            view = self._view(uow, tab)
            uow.print_jobs.add("guest_check", tab.uuid, asdict(view), self._clock())
            uow.commit()
            return view

    # Helpers ---------------------------------------------------------------------------

    @property
    def _exponent(self) -> int:
        return self._settings.currency.exponent

    def _view(self, uow: UnitOfWork, tab: GuestTab, at: datetime | None = None) -> TabView:
        pricing = price(uow, tab, self._settings, at or self._clock())
        return tab_view(tab, pricing, self._settings.currency.code)

    def _change(
        self, actor: Actor, tab_uuid: str, change: Callable[[UnitOfWork, GuestTab], object]
    ) -> TabView:
        with self._uow() as uow:
            tab = load(uow, tab_uuid)
            change(uow, tab)
            uow.tabs.save(tab)
            view = self._view(uow, tab)
            uow.commit()
            return view
