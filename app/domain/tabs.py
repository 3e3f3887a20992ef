"""Guest tabs: lines ordered at a table, sent to the kitchen, paid and closed.

A tab is edited only while OPEN; a CLOSED tab is reopened by a manager, a MERGED one is
gone into another tab. Voiding is how a line is removed, with a reason; once the kitchen
has a line, only a manager may void it. Splitting and merging live in
:mod:`app.domain.tab_moves`; payments in :mod:`app.domain.payments`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from app.domain.catalogue import MenuItem
from app.domain.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from app.domain.ids import new_uuid7
from app.domain.ledger import RedemptionRate, as_utc, format_minor
from app.domain.loyalty import VisitFacts
from app.domain.payments import Payment, PaymentMethod, Tender, settle
from app.domain.promotions import AttachLevel
from app.domain.staff import Actor, Permission
from app.domain.tab_moves import merge_tabs, split_tab
from app.domain.tab_parts import (
    STAFF_LEVELS,
    IdentifiedBy,
    OrderLine,
    TabAttachment,
    TabStatus,
    check_limit,
    headroom_minor,
    now_or,
)

if TYPE_CHECKING:
    from app.domain.pricing import PricingLine

__all__ = [
    "STAFF_LEVELS",
    "GuestTab",
    "IdentifiedBy",
    "OrderLine",
    "Payment",
    "PaymentMethod",
    "TabAttachment",
    "TabStatus",
    "Tender",
    "check_limit",
    "headroom_minor",
]

MAX_GUESTS = 9_999


def _check_guests(guests: int) -> None:
    if isinstance(guests, bool) or guests < 1:
        raise ValidationError.single("guests", "A tab has at least one guest")
    if guests > MAX_GUESTS:
        raise ValidationError.single("guests", f"A tab has at most {MAX_GUESTS} guests")


# Paid from the customer's own accounts: such a payment needs the customer on the tab.
_ACCOUNTS = frozenset({PaymentMethod.PURSE, PaymentMethod.POINTS})


@dataclass(eq=False, kw_only=True)
class GuestTab:
    """A table's (or a bar guest's) running bill, from opening to closing."""

    uuid: str = field(default_factory=new_uuid7)
    number: int
    terminal: str
    waiter_uuid: str
    division_id: int | None = None
    table_id: int | None = None
    guests: int = 1
    customer_id: int | None = None
    identified_by: IdentifiedBy = IdentifiedBy.NONE
    card_identifier_id: int | None = None  # the personal or impersonal card presented
    opened_at: datetime
    closed_at: datetime | None = None
    status: TabStatus = TabStatus.OPEN
    lines: list[OrderLine] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    next_order_no: int = 1  # the number the next send_order() gives
    attachments: list[TabAttachment] = field(default_factory=list)
    limit_override_by: str | None = None  # the manager who let it go over its limit
    reopened_count: int = 0
    merged_into_uuid: str | None = None
    id: int | None = None  # the store's key

    def __post_init__(self) -> None:
        if self.number < 1:
            raise ValidationError.single("number", "A tab number starts at 1")
        _check_guests(self.guests)
        if (self.customer_id is None) != (self.identified_by is IdentifiedBy.NONE):
            raise ValidationError.single(
                "identified_by", "Say how the customer was found: card, phone or search"
            )
        self.opened_at = as_utc(self.opened_at, "opened_at")

    @classmethod
    def open(
        cls,
        number: int,
        *,
        terminal: str,
        waiter_uuid: str,
        division_id: int | None = None,
        table_id: int | None = None,
        guests: int = 1,
        customer_id: int | None = None,
        identified_by: IdentifiedBy = IdentifiedBy.NONE,
        card_identifier_id: int | None = None,
        at: datetime | None = None,
    ) -> GuestTab:
        """A new open tab; a customer is optional (and says how they were found)."""
        return cls(
            number=number,
            terminal=terminal,
            waiter_uuid=waiter_uuid,
            division_id=division_id,
            table_id=table_id,
            guests=guests,
            customer_id=customer_id,
            identified_by=identified_by,
            card_identifier_id=card_identifier_id,
            opened_at=now_or(at),
        )

    # State ----------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status is TabStatus.OPEN

    def require_open(self) -> None:
        """Refuse any edit unless the tab is open."""
        if self.status is TabStatus.CLOSED:
            raise ConflictError(f"Tab {self.number} is closed; a manager can reopen it")
        if self.status is TabStatus.MERGED:
            raise ConflictError(f"Tab {self.number} was merged into another tab")

    @property
    def active_lines(self) -> list[OrderLine]:
        """The lines that count: every line not voided."""
        return [line for line in self.lines if line.voided_at is None]

    @property
    def unsent_lines(self) -> list[OrderLine]:
        return [line for line in self.active_lines if line.order_no is None]

    def line(self, line_uuid: str) -> OrderLine:
        for line in self.lines:
            if line.uuid == line_uuid:
                return line
        raise NotFoundError(f"That line is not on tab {self.number} any more")

    def pricing_lines(self) -> list[PricingLine]:
        """The active lines for pricing; unsent ones carry the order number they will get."""
        return [line.to_pricing(self.next_order_no) for line in self.active_lines]

    # Lines ----------------------------------------------------------------------------

    def add_line(self, line: OrderLine) -> OrderLine:
        """Add a new, unsent line (price it with the others first to check the limit)."""
        self.require_open()
        if line.sent or line.voided:
            raise ValidationError.single("line", f"{line.name}: a new line is not sent or void")
        if any(existing.uuid == line.uuid for existing in self.lines):
            raise ConflictError(f"{line.name} is already on tab {self.number}")
        self.lines.append(line)
        return line

    def add_item(
        self, item: MenuItem, quantity: int = 1, *, by: str, at: datetime | None = None
    ) -> OrderLine:
        """Add ``quantity`` of a menu item at its menu price."""
        return self.add_line(OrderLine.for_item(item, quantity, at=at, by=by))

    def void_line(
        self, line_uuid: str, reason: str, actor: Actor, at: datetime | None = None
    ) -> OrderLine:
        """Remove a line by voiding it. A reason is required; a sent line needs a manager."""
        self.require_open()
        line = self.line(line_uuid)
        if not reason.strip():
            raise ValidationError.single("reason", f"Say why {line.name} is voided")
        if line.voided:
            raise ConflictError(f"{line.name} is already voided")
        if line.order_no is not None and not actor.may(Permission.VOID_SENT_LINE):
            raise PermissionDeniedError(
                f"{line.name} went to the kitchen with order {line.order_no}; "
                "a manager must void it"
            )
        if not actor.may(Permission.VOID_LINE):
            raise PermissionDeniedError(f"{actor.name} may not void lines; ask a manager")
        line.voided_at = now_or(at)
        line.void_reason = reason.strip()
        line.voided_by = actor.staff_uuid
        self.attachments = [
            a for a in self.attachments if (a.level, a.target) != (AttachLevel.LINE, line.uuid)
        ]
        return line

    def send_order(self, at: datetime | None = None) -> int:
        """Send the unsent lines to the kitchen as the next order; returns its number."""
        self.require_open()
        unsent = self.unsent_lines
        if not unsent:
            raise ConflictError("Nothing new to send to the kitchen")
        number, sent_at = self.next_order_no, now_or(at)
        for line in unsent:
            line.order_no, line.sent_at = number, sent_at
        self.next_order_no += 1
        return number

    # Customer, table, categories ------------------------------------------------------

    def attach_customer(
        self,
        customer_id: int,
        identified_by: IdentifiedBy,
        card_identifier_id: int | None = None,
    ) -> None:
        """Put the tab on a customer's name; ``card_identifier_id`` if found by their card."""
        self.require_open()
        if identified_by is IdentifiedBy.NONE:
            raise ValidationError.single(
                "identified_by", "Say how the customer was found: card, phone or search"
            )
        if self.customer_id is not None and self.customer_id != customer_id:
            raise ConflictError(f"Tab {self.number} already has a customer; detach them first")
        self.customer_id, self.identified_by = customer_id, identified_by
        if card_identifier_id is not None:
            self.card_identifier_id = card_identifier_id

    def detach_customer(self) -> None:
        """Take the customer off the tab, with the card they were found by."""
        self.require_open()
        if self.customer_id is None:
            raise ConflictError(f"Tab {self.number} has no customer")
        if any(p.method in _ACCOUNTS for p in self.payments):
            raise ConflictError(
                f"Tab {self.number} was paid in part from the customer's purse or points; "
                "the customer stays on it"
            )
        if self.identified_by is IdentifiedBy.CARD:
            self.card_identifier_id = None
        self.customer_id, self.identified_by = None, IdentifiedBy.NONE

    def present_card(self, card_identifier_id: int | None) -> None:
        """Record an impersonal card (or none) whose categories apply to the tab."""
        self.require_open()
        self.card_identifier_id = card_identifier_id

    def move_to(self, division_id: int | None, table_id: int | None) -> None:
        """Move the tab to another table (or division)."""
        self.require_open()
        self.division_id, self.table_id = division_id, table_id

    def split(
        self,
        line_uuids: Iterable[str],
        *,
        number: int,
        at: datetime | None = None,
        waiter_uuid: str | None = None,
        guests: int = 1,
    ) -> GuestTab:
        """Move these lines to a new tab ``number`` at the same table; refused once paid."""
        return split_tab(
            self, line_uuids, number=number, at=at, waiter_uuid=waiter_uuid, guests=guests
        )

    def merge_from(self, other: GuestTab, at: datetime | None = None) -> None:
        """Take every line of ``other``, which becomes MERGED into this tab."""
        merge_tabs(self, other, at)

    def set_guests(self, guests: int) -> None:
        self.require_open()
        _check_guests(guests)
        self.guests = guests

    def attach_category(
        self, level: AttachLevel, category_id: int, target: str | int | None = None
    ) -> TabAttachment:
        """Attach a category to the whole tab, one order (its number) or one line (uuid)."""
        self.require_open()
        text = None if target is None else str(target)
        if level is AttachLevel.ORDER and not (
            text is not None and text.isdigit() and 1 <= int(text) <= self.next_order_no
        ):
            raise ValidationError.single("target", f"Tab {self.number} has no order {text}")
        if level is AttachLevel.LINE and not any(line.uuid == text for line in self.active_lines):
            raise ValidationError.single("target", f"That line is not on tab {self.number}")
        attachment = TabAttachment(level=level, category_id=category_id, target=text)
        if attachment in self.attachments:
            raise ConflictError("That category is already attached there")
        self.attachments.append(attachment)
        return attachment

    def detach_category(
        self, level: AttachLevel, category_id: int, target: str | int | None = None
    ) -> None:
        self.require_open()
        text = None if target is None else str(target)
        wanted = TabAttachment(level=level, category_id=category_id, target=text)
        if wanted not in self.attachments:
            raise NotFoundError("That category is not attached there")
        self.attachments.remove(wanted)

    # Limit ----------------------------------------------------------------------------

    def override_limit(self, actor: Actor) -> None:
        """A manager lets this tab go over its limit (the service logs it)."""
        self.require_open()
        if not actor.may(Permission.OVERRIDE_TAB_LIMIT):
            raise PermissionDeniedError(
                f"{actor.name} may not let a tab go over its limit; ask a manager"
            )
        self.limit_override_by = actor.staff_uuid

    def check_limit(
        self, total_after_minor: int, limit_minor: int | None, *, exponent: int = 2
    ) -> None:
        """Refuse ``total_after_minor`` over the limit unless a manager overrode it."""
        check_limit(total_after_minor, limit_minor, self.limit_override_by, exponent=exponent)

    # Payments and closing -------------------------------------------------------------

    @property
    def paid_minor(self) -> int:
        return sum(p.amount_minor for p in self.payments)

    @property
    def change_minor(self) -> int:
        return sum(p.change_minor for p in self.payments)

    def due_minor(self, total_minor: int) -> int:
        """What is left to pay on ``total_minor``; below zero when overpaid."""
        return total_minor - self.paid_minor

    def add_payment(self, payment: Payment, *, total_minor: int, exponent: int = 2) -> Payment:
        """Record a payment; it may not pay more than is due."""
        self.require_open()
        if payment.method in _ACCOUNTS and self.customer_id is None:
            raise ConflictError(f"Attach the customer to pay with their {payment.method.value}")
        due = self.due_minor(total_minor)
        if payment.amount_minor > due:
            raise ConflictError(
                f"{format_minor(payment.amount_minor, exponent)} is more than the "
                f"{format_minor(max(due, 0), exponent)} left to pay on tab {self.number}"
            )
        self.payments.append(payment)
        return payment

    def pay(
        self,
        total_minor: int,
        tenders: Sequence[Tender],
        *,
        at: datetime,
        staff_uuid: str,
        rate: RedemptionRate | None = None,
        allow_partial: bool = False,
        points_balance: int | None = None,
        purse_balance_minor: int | None = None,
        credit_limit_minor: int = 0,
        exponent: int = 2,
    ) -> list[Payment]:
        """Settle what is due with ``tenders`` (see :func:`~app.domain.payments.settle`)."""
        self.require_open()
        if self.customer_id is None and any(t.method in _ACCOUNTS for t in tenders):
            raise ConflictError("Attach the customer to pay with their purse or points")
        payments = settle(
            self.due_minor(total_minor),
            tenders,
            at=at,
            staff_uuid=staff_uuid,
            rate=rate,
            allow_partial=allow_partial,
            points_balance=points_balance,
            purse_balance_minor=purse_balance_minor,
            credit_limit_minor=credit_limit_minor,
            exponent=exponent,
        )
        self.payments.extend(payments)
        return payments

    def close(self, total_minor: int, at: datetime, *, exponent: int = 2) -> None:
        """Close the tab; only when what was paid is exactly ``total_minor``."""
        self.require_open()
        due = self.due_minor(total_minor)
        if due > 0:
            raise ConflictError(f"Tab {self.number} still has {format_minor(due, exponent)} to pay")
        if due < 0:
            raise ConflictError(
                f"Tab {self.number} is paid {format_minor(-due, exponent)} more than its "
                f"{format_minor(total_minor, exponent)}; a manager must refund it before closing"
            )
        self.status, self.closed_at = TabStatus.CLOSED, as_utc(at)

    def reopen(self, actor: Actor, at: datetime) -> None:
        """A manager reopens a closed tab; payments stay (the service audits it)."""
        as_utc(at)
        if self.status is not TabStatus.CLOSED:
            self.require_open()
            raise ConflictError(f"Tab {self.number} is already open")
        if not actor.may(Permission.REOPEN_TAB):
            raise PermissionDeniedError(
                f"{actor.name} ({actor.role.value}) may not reopen a closed tab; ask a manager"
            )
        self.status, self.closed_at = TabStatus.OPEN, None
        self.reopened_count += 1

    def visit_facts(self, rule_units: Mapping[str, int] | None = None) -> VisitFacts:
        """What this closed tab adds to its customer's statistics."""
        if self.status is not TabStatus.CLOSED or self.closed_at is None:
            raise ConflictError(f"Tab {self.number} is not closed yet")
        items: Counter[int] = Counter()
        for line in self.active_lines:
            items[line.item_id] += line.quantity
        return VisitFacts(
            at=self.closed_at,
            spent_minor=self.paid_minor,
            items=dict(items),
            payment_methods=tuple(dict.fromkeys(p.method for p in self.payments)),
            rule_units=dict(rule_units or {}),
        )
