"""A customer's points account and client purse: balances, statement, top-ups and a
manager's corrections, all on the append-only ledger.

Organisations have accounts just as individuals do. Every entry written here goes to the
outbox for head office and to the audit trail in the same transaction; a mistake is
reversed by a new entry, never edited.
"""

from __future__ import annotations

from datetime import datetime

from app.domain.audit import AuditAction
from app.domain.errors import ConflictError, NotFoundError, ValidationError
from app.domain.hlc import HybridClock
from app.domain.ledger import (
    AccountKind,
    EntryKind,
    LedgerEntry,
    Origin,
    adjust,
    check_purse_spend,
    deposit,
    expire,
    reverse,
    withdraw,
)
from app.domain.money import format_money
from app.domain.payments import PaymentMethod
from app.domain.staff import Actor, Permission
from app.services.account_input import check_amount, checked_limit, required_reason, with_note
from app.services.audit import require, write_audit
from app.services.directory import Clock, utc_clock
from app.services.dto import (
    AccountChange,
    AccountHolder,
    AccountSummary,
    Changes,
    Statement,
    StatementLine,
)
from app.services.ports import UnitOfWork, UnitOfWorkFactory
from app.services.sync_docs import default_hlc, ledger_operation, record_customer_fields
from app.services.tab_ports import AlreadyReversedError
from app.services.tab_settings import TabSettings

MAX_PAGE = 500
_CHANGED = Changes(customers=True, audit=True, accounts=True)
_CASH_OR_CARD = (PaymentMethod.CASH, PaymentMethod.CARD)


class AccountService:
    """Use cases of the points account and the purse. Each runs in one unit of work."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        settings: TabSettings,
        clock: Clock = utc_clock,
        hlc: HybridClock | None = None,
    ) -> None:
        self._uow = uow_factory
        self._settings = settings
        self._clock = clock
        self._hlc = hlc or default_hlc(clock)

    # Reading ---------------------------------------------------------------------------

    def summary(self, actor: Actor, customer_id: int) -> AccountSummary:
        """Points, purse, tier (with points to the next one) and limits."""
        require(actor, Permission.VIEW_DIRECTORY)
        with self._uow() as uow:
            return self._summary(uow, _holder(uow, customer_id))

    def statement(
        self,
        actor: Actor,
        customer_id: int,
        *,
        offset: int = 0,
        limit: int = 50,
        account: AccountKind | None = None,
    ) -> Statement:
        """One page of entries, newest first; ``account`` shows points or purse only."""
        require(actor, Permission.VIEW_CUSTOMER_RECORD)
        if offset < 0 or not 1 <= limit <= MAX_PAGE:
            raise ValidationError.single(
                "limit", f"Ask for 1 to {MAX_PAGE} entries from a position of 0 or more"
            )
        with self._uow() as uow:
            _holder(uow, customer_id)
            found = uow.ledger.entries(customer_id, limit + 1, offset=offset, account=account)
            page = found[:limit]
            done = uow.ledger.reversed_uuids([e.uuid for e in page])
        lines = tuple(_line(e, e.uuid in done) for e in page)
        return Statement(customer_id, lines, offset, has_more=len(found) > limit)

    # The purse -------------------------------------------------------------------------

    def top_up(
        self,
        actor: Actor,
        customer_id: int,
        amount_minor: int,
        method: PaymentMethod = PaymentMethod.CASH,
        note: str = "",
    ) -> AccountChange:
        """Money paid into the purse at the till, by cash or card."""
        require(actor, Permission.TOP_UP_PURSE)
        check_amount(amount_minor, "A top-up")
        if method not in _CASH_OR_CARD:
            raise ValidationError.single("method", "A purse is topped up with cash or card")
        with self._uow() as uow:
            holder = _writable(uow, customer_id)
            now = self._clock()
            reason = with_note(f"top-up by {method.value}", note)
            entry = deposit(holder.id, amount_minor, self._origin(actor, now), reason)
            text = f"{holder.full_name}: purse topped up by {self._money(amount_minor)} ({method})"
            return self._write(uow, actor, holder, entry, AuditAction.PURSE_TOPPED_UP, text, now)

    def withdraw(
        self,
        actor: Actor,
        customer_id: int,
        amount_minor: int,
        reason: str = "",
        method: PaymentMethod = PaymentMethod.CASH,
    ) -> AccountChange:
        """A manager pays money back out of the purse (a refund); never more than it holds,
        since credit is for paying tabs, not for handing out cash."""
        require(actor, Permission.ADJUST_LEDGER)
        check_amount(amount_minor, "An amount to pay out")
        if method not in _CASH_OR_CARD:
            raise ValidationError.single("method", "A purse is paid out in cash or to a card")
        with self._uow() as uow:
            holder = _writable(uow, customer_id)
            held = uow.ledger.balance(holder.id, AccountKind.PURSE)
            if amount_minor > held:
                has = self._money(held) if held > 0 else "nothing"
                raise ConflictError(
                    f"{holder.full_name}'s purse holds {has}; "
                    f"{self._money(amount_minor)} cannot be paid out"
                )
            now = self._clock()
            entry = withdraw(
                holder.id,
                amount_minor,
                self._origin(actor, now),
                balance_minor=held,
                reason=with_note(f"refund by {method.value}", reason),
            )
            text = f"{holder.full_name}: {self._money(amount_minor)} paid out of the purse"
            return self._write(uow, actor, holder, entry, AuditAction.PURSE_WITHDRAWN, text, now)

    # A manager's corrections -----------------------------------------------------------

    def adjust(
        self, actor: Actor, customer_id: int, account: AccountKind, amount: int, reason: str
    ) -> AccountChange:
        """Add to (``amount`` > 0) or take from (< 0) points or purse, with a reason.
        Points never go below zero; the purse not below its credit limit."""
        require(actor, Permission.ADJUST_LEDGER)
        if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
            raise ValidationError.single("amount", "An adjustment is a whole number, not zero")
        why = required_reason(reason, "Say why the balance is adjusted")
        with self._uow() as uow:
            holder = _writable(uow, customer_id)
            held = uow.ledger.balance(holder.id, account)
            credit = holder.credit_limit_minor or 0
            if account is AccountKind.PURSE and amount < 0:
                check_purse_spend(held, -amount, credit, exponent=self._exponent)
            now = self._clock()
            entry = adjust(
                holder.id,
                account,
                amount,
                self._origin(actor, now),
                reason=why,
                balance=held,
                credit_limit_minor=credit,
            )
            text = f"{holder.full_name}: {account} adjusted by {self._signed(entry)} ({why})"
            return self._write(uow, actor, holder, entry, AuditAction.LEDGER_ADJUSTED, text, now)

    def reverse(self, actor: Actor, entry_uuid: str, reason: str) -> AccountChange:
        """Undo an entry exactly with a REVERSE entry; an entry is reversed once only."""
        require(actor, Permission.ADJUST_LEDGER)
        why = required_reason(reason, "Say why the entry is reversed")
        with self._uow() as uow:
            entry = uow.ledger.get(entry_uuid)
            if entry is None:
                raise NotFoundError("That ledger entry is not in this store; refresh the list")
            holder = _holder(uow, entry.customer_id)
            if entry.uuid in uow.ledger.reversed_uuids([entry.uuid]):
                raise ConflictError(self._already_reversed(entry))
            now = self._clock()
            undo = reverse(entry, self._origin(actor, now), reason=why, reversed_uuids=())
            text = f"{holder.full_name}: reversed {self._describe(entry)} ({why})"
            return self._write(uow, actor, holder, undo, AuditAction.LEDGER_REVERSED, text, now)

    def expire_points(
        self, actor: Actor, customer_id: int, points: int | None = None, reason: str = ""
    ) -> AccountChange:
        """Let points lapse: ``points`` of them, or the whole balance when None."""
        require(actor, Permission.ADJUST_LEDGER)
        if points is not None:
            check_amount(points, "Points to expire")
        with self._uow() as uow:
            holder = _writable(uow, customer_id)
            held = uow.ledger.balance(holder.id, AccountKind.POINTS)
            if held <= 0:
                raise ConflictError(f"{holder.full_name} has no points to expire")
            now = self._clock()
            entry = expire(
                holder.id,
                held if points is None else points,
                self._origin(actor, now),
                balance_points=held,
                reason=with_note("expired", reason),
            )
            text = f"{holder.full_name}: {self._describe(entry)}"
            return self._write(uow, actor, holder, entry, AuditAction.POINTS_EXPIRED, text, now)

    def set_limits(
        self,
        actor: Actor,
        customer_id: int,
        *,
        credit_limit_minor: int | None,
        tab_limit_minor: int | None,
    ) -> AccountChange:
        """Set how far the purse may go below zero ("pay later"; None or 0: no credit) and
        the customer's own guest-tab limit (None: only their categories' limits)."""
        require(actor, Permission.ADJUST_LEDGER)
        credit = checked_limit(credit_limit_minor, "credit_limit_minor", zero_allowed=True) or None
        tab = checked_limit(tab_limit_minor, "tab_limit_minor", zero_allowed=False)
        with self._uow() as uow:
            holder = _writable(uow, customer_id)
            before = (holder.credit_limit_minor, holder.tab_limit_minor)
            if before == (credit, tab):
                return AccountChange(None, self._summary(uow, holder), Changes())
            now = self._clock()
            uow.customers.set_limits(holder.id, credit, tab, now, actor.name)
            limits = {"credit_limit_minor": credit, "tab_limit_minor": tab}
            edited = {
                name: value
                for (name, value), old in zip(limits.items(), before, strict=True)
                if value != old
            }
            record_customer_fields(uow, self._hlc, holder.id, holder.uuid, edited, now)
            changed = [
                f"{what} {self._limit_text(old)} → {self._limit_text(new)}"
                for what, old, new in (
                    ("credit", before[0], credit),
                    ("tab limit", before[1], tab),
                )
                if old != new
            ]
            write_audit(
                uow,
                actor,
                AuditAction.CUSTOMER_LIMITS_CHANGED,
                holder.uuid,
                f"{holder.full_name}: " + "; ".join(changed),
                {"credit_limit_minor": [before[0], credit], "tab_limit_minor": [before[1], tab]},
            )
            holder = _holder(uow, holder.id)
            summary = self._summary(uow, holder)
            uow.commit()
            return AccountChange(None, summary, _CHANGED)

    # Steps -----------------------------------------------------------------------------

    def _write(
        self,
        uow: UnitOfWork,
        actor: Actor,
        holder: AccountHolder,
        entry: LedgerEntry,
        action: AuditAction,
        text: str,
        now: datetime,
    ) -> AccountChange:
        try:
            uow.ledger.add(entry)
        except AlreadyReversedError:
            original = uow.ledger.get(entry.reverses_uuid or "")
            raise ConflictError(
                "That entry was just reversed at another till; refresh the statement"
                if original is None
                else self._already_reversed(original)
            ) from None
        operation = ledger_operation(entry, holder.uuid)
        uow.outbox.append("ledger.entry", entry.uuid, operation, now)
        summary = self._summary(uow, holder)
        write_audit(
            uow,
            actor,
            action,
            holder.uuid,
            f"{text}; {self._balance_text(entry.account, summary)}",
            {
                "entry_uuid": entry.uuid,
                "account": entry.account.value,
                "kind": entry.kind.value,
                "amount": entry.amount,
                "reason": entry.reason,
                "reverses_uuid": entry.reverses_uuid,
            },
        )
        uow.commit()
        return AccountChange(_line(entry, False), summary, _CHANGED)

    def _summary(self, uow: UnitOfWork, holder: AccountHolder) -> AccountSummary:
        balances = uow.ledger.balances(holder.id)
        lifetime = uow.ledger.lifetime_points(holder.id)
        ladder = self._settings.tiers
        upcoming = ladder.next_tier(lifetime)
        return AccountSummary(
            customer_id=holder.id,
            customer_uuid=holder.uuid,
            full_name=holder.full_name,
            currency=self._settings.currency.code,
            points=balances.points,
            points_value_minor=self._settings.redemption.value_of(max(balances.points, 0)),
            purse_minor=balances.purse_minor,
            purse_available_minor=balances.purse_minor + (holder.credit_limit_minor or 0),
            lifetime_points=lifetime,
            tier=ladder.tier_for(lifetime).name,
            next_tier=None if upcoming is None else upcoming.name,
            points_to_next_tier=ladder.points_to_next(lifetime),
            credit_limit_minor=holder.credit_limit_minor,
            tab_limit_minor=holder.tab_limit_minor,
        )

    def _origin(self, actor: Actor, now: datetime) -> Origin:
        return Origin(now, self._settings.terminal, actor.staff_uuid)

    # Words -----------------------------------------------------------------------------

    @property
    def _exponent(self) -> int:
        return self._settings.currency.exponent

    def _money(self, amount_minor: int) -> str:
        return format_money(amount_minor, self._settings.currency)

    def _signed(self, entry: LedgerEntry) -> str:
        sign = "+" if entry.amount > 0 else ""
        if entry.account is AccountKind.POINTS:
            return f"{sign}{_points(entry.amount)}"
        return sign + self._money(entry.amount)

    def _describe(self, entry: LedgerEntry) -> str:
        """ "the deposit of 20.00 GBP on 23 Nov 2026 12:00", in venue time."""
        amount = abs(entry.amount)
        what = _points(amount) if entry.account is AccountKind.POINTS else self._money(amount)
        when = self._settings.local(entry.at).strftime("%d %b %Y %H:%M")
        return f"the {entry.kind.value} of {what} on {when}"

    def _already_reversed(self, entry: LedgerEntry) -> str:
        if entry.kind is EntryKind.REVERSE:
            return "A reversal cannot itself be reversed; write an adjustment instead"
        described = self._describe(entry)
        return (
            f"{described[0].upper()}{described[1:]} was already reversed; an entry is reversed once"
        )

    def _balance_text(self, account: AccountKind, summary: AccountSummary) -> str:
        if account is AccountKind.POINTS:
            return f"points now {summary.points}"
        return f"purse now {self._money(summary.purse_minor)}"

    def _limit_text(self, limit: int | None) -> str:
        return "none" if limit is None else self._money(limit)


def _holder(uow: UnitOfWork, customer_id: int) -> AccountHolder:
    holder = uow.customers.account_holder(customer_id)
    if holder is None:
        raise NotFoundError("That customer no longer exists; refresh the list.")
    return holder


def _writable(uow: UnitOfWork, customer_id: int) -> AccountHolder:
    holder = _holder(uow, customer_id)
    if holder.merged_into_id is not None:
        survivor = uow.customers.account_holder(holder.merged_into_id)
        into = "another record" if survivor is None else survivor.full_name
        raise ConflictError(
            f"{holder.full_name} was merged into {into}; use that customer's accounts"
        )
    return holder


def _line(entry: LedgerEntry, was_reversed: bool) -> StatementLine:
    return StatementLine(
        uuid=entry.uuid,
        account=entry.account,
        kind=entry.kind,
        amount=entry.amount,
        at=entry.at,
        tab_uuid=entry.tab_uuid,
        terminal=entry.terminal,
        staff_uuid=entry.staff_uuid,
        reason=entry.reason,
        reverses_uuid=entry.reverses_uuid,
        reversed=was_reversed,
    )


def _points(n: int) -> str:
    return f"{n} point" if abs(n) == 1 else f"{n} points"
