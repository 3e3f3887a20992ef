"""Merging duplicates into one survivor, and undoing a merge from its log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.domain.audit import AuditAction
from app.domain.customers import Customer, CustomerStatus, Gender
from app.domain.errors import ConflictError, NotFoundError, ValidationError
from app.domain.hlc import HybridClock
from app.domain.ledger import Origin
from app.domain.staff import Actor, Permission
from app.services.audit import require, write_audit
from app.services.directory import Clock, utc_clock
from app.services.dto import Changes
from app.services.merge_accounts import MergeParty, move_accounts, move_accounts_back
from app.services.ports import UnitOfWork, UnitOfWorkFactory
from app.services.records import CustomerRecord, record_of
from app.services.sync_docs import (
    customer_fields,
    default_hlc,
    identifier_fields,
    record_customer,
    record_identifier,
    record_merged,
)

# Child collections that follow the survivor, keyed for the merge log.
_COLLECTIONS = (
    "addresses",
    "preferences",
    "restrictions",
    "notes",
    "consents",
    "attributes",
    "identifiers",
)
# Fields the survivor takes from the merged record when its own are empty.
_FILLABLE = ("title", "company", "business_domain", "contact_person", "promotion_category_id")
_CHANGED = Changes(customers=True, identifiers=True, audit=True, accounts=True)


@dataclass(frozen=True, slots=True)
class MergeResult:
    merge_id: int
    survivor: CustomerRecord
    changes: Changes


class MergeService:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock = utc_clock,
        hlc: HybridClock | None = None,
        *,
        terminal: str = "Till 1",
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._hlc = hlc or default_hlc(clock)
        self._terminal = terminal  # names the till on the transfer entries

    def merge(self, actor: Actor, survivor_id: int, merged_id: int) -> MergeResult:
        """Move identifiers, contacts, notes, visits, guest tabs and statistics to the
        survivor and transfer the balances (a pair of ledger entries per account); the
        merge log records each. Head office gets the transfers, both records' changed
        fields and cards, then ``customers.merged``, in that order."""
        require(actor, Permission.MERGE_CUSTOMERS)
        if survivor_id == merged_id:
            raise ValidationError.single("merged_id", "Pick two different customers to merge.")
        with self._uow() as uow:
            survivor, merged = _get(uow, survivor_id), _get(uow, merged_id)
            for customer in (survivor, merged):
                if customer.merged_into_id is not None:
                    raise ConflictError(
                        f"{customer.full_name} is already merged into another record."
                    )
            before = _documents(uow, survivor, merged)
            now = self._clock()
            moved = _move_everything(uow, survivor, merged)
            moved["accounts"] = move_accounts(
                uow,
                MergeParty(survivor_id, survivor.uuid, survivor.full_name),
                MergeParty(merged_id, merged.uuid, merged.full_name),
                Origin(now, self._terminal, actor.staff_uuid),
            )
            moved["merged_status"] = merged.status.value
            moved["merged_reason"] = merged.status_reason
            merged.status = CustomerStatus.INACTIVE
            merged.status_reason = f"Merged into {survivor.full_name}"[:200]
            merged.merged_into_id = survivor.id
            for customer in (survivor, merged):
                customer.updated_at, customer.updated_by = now, actor.name
            uow.flush()
            moved["clocks_before"] = before.clocks
            moved["operations"] = [
                *moved["accounts"]["operations"],
                *self._record(uow, survivor, merged, before, now),
            ]
            merge_id = uow.merges.record(survivor_id, merged_id, actor.name, json.dumps(moved))
            summary = f"Merged {merged.full_name} into {survivor.full_name} (merge #{merge_id})"
            for customer in (survivor, merged):
                write_audit(uow, actor, AuditAction.CUSTOMERS_MERGED, customer.uuid, summary, moved)
            record = record_of(survivor)
            uow.commit()
            return MergeResult(merge_id, record, _CHANGED)

    def undo(self, actor: Actor, merge_id: int) -> MergeResult:
        """Put back everything a merge moved, as its log recorded it."""
        require(actor, Permission.MERGE_CUSTOMERS)
        with self._uow() as uow:
            log = uow.merges.get(merge_id)
            if log is None:
                raise NotFoundError(f"Merge #{merge_id} is not in the merge log.")
            if log.undone_at is not None:
                raise ConflictError(f"Merge #{merge_id} was already undone.")
            survivor, merged = _get(uow, log.survivor_id), _get(uow, log.merged_id)
            moved: dict[str, Any] = json.loads(log.moved)
            operations = moved.get("operations", [])
            if uow.outbox.handed_out(operations):
                raise ConflictError(
                    f"Merge #{merge_id} can no longer be undone here: it has already gone to "
                    "head office. Edit the two records instead, or ask head office to "
                    "separate them."
                )
            uow.outbox.withdraw(operations)
            _move_back(uow, survivor, merged, moved)
            _restore_clocks(uow, moved.get("clocks_before"))
            move_accounts_back(uow, log.survivor_id, log.merged_id, moved.get("accounts", {}))
            merged.status = CustomerStatus(moved["merged_status"])
            merged.status_reason = moved["merged_reason"]
            merged.merged_into_id = None
            now = self._clock()
            for customer in (survivor, merged):
                customer.updated_at, customer.updated_by = now, actor.name
            uow.merges.mark_undone(merge_id)
            summary = f"Undid merge #{merge_id}: {merged.full_name} is separate again"
            for customer in (survivor, merged):
                write_audit(uow, actor, AuditAction.CUSTOMERS_UNMERGED, customer.uuid, summary)
            uow.flush()
            record = record_of(survivor)
            uow.commit()
            return MergeResult(merge_id, record, _CHANGED)

    def _record(
        self,
        uow: UnitOfWork,
        survivor: Customer,
        merged: Customer,
        before: _Before,
        now: datetime,
    ) -> list[str]:
        """Queue both records' changed fields and the cards that changed hands, then the
        merge itself (head office redirects what names the merged customer after it)."""
        operations = [
            record_customer(uow, self._hlc, merged, before.customers[merged.uuid], now),
            record_customer(uow, self._hlc, survivor, before.customers[survivor.uuid], now),
        ]
        for card in survivor.identifiers:
            if card.uuid in before.cards:  # the merged customer's cards, now the survivor's
                operations.append(
                    record_identifier(uow, self._hlc, card, before.cards[card.uuid], now)
                )
        operations.append(record_merged(uow, self._hlc, survivor.uuid, merged.uuid, now))
        return [op for op in operations if op is not None]


@dataclass(frozen=True, slots=True)
class _Before:
    """Both records' documents and field clocks as they were before the merge."""

    customers: dict[str, dict[str, object]]
    cards: dict[str, dict[str, object]]
    clocks: dict[str, Any]


def _documents(uow: UnitOfWork, survivor: Customer, merged: Customer) -> _Before:
    assert survivor.id is not None and merged.id is not None
    cards = [*survivor.identifiers, *merged.identifiers]
    return _Before(
        customers={c.uuid: customer_fields(uow, c) for c in (survivor, merged)},
        cards={card.uuid: identifier_fields(uow, card) for card in merged.identifiers},
        clocks={
            "customers": {
                str(c.id): uow.sync.clocks("customer", c.id)
                for c in (survivor, merged)
                if c.id is not None
            },
            "identifiers": {
                str(card.id): uow.sync.clocks("identifier", card.id)
                for card in cards
                if card.id is not None
            },
        },
    )


def _restore_clocks(uow: UnitOfWork, clocks: Any) -> None:
    """Put back the field clocks the merge's withdrawn operations had stamped."""
    if not isinstance(clocks, dict):
        return  # a merge logged before clocks were kept
    for entity, group in (("customer", "customers"), ("identifier", "identifiers")):
        for key, stamps in clocks.get(group, {}).items():
            uow.sync.set_clocks(entity, int(key), stamps)


def _get(uow: UnitOfWork, customer_id: int) -> Customer:
    customer = uow.customers.get(customer_id)
    if customer is None:
        raise NotFoundError("That customer no longer exists; refresh the list.")
    return customer


def _move_everything(uow: UnitOfWork, survivor: Customer, merged: Customer) -> dict[str, Any]:
    assert survivor.id is not None and merged.id is not None
    moved: dict[str, Any] = {}
    # Contacts the survivor already has stay behind rather than appear twice.
    have_phones = {p.e164 for p in survivor.phones}
    phones = [p for p in merged.phones if p.e164 not in have_phones]
    have_emails = {e.normalised for e in survivor.emails}
    emails = [e for e in merged.emails if e.normalised not in have_emails]
    for name, items in (("phones", phones), ("emails", emails)):
        for item in items:
            item.primary = False  # the survivor's own primary contacts stay primary
        moved[name] = _transfer(getattr(merged, name), getattr(survivor, name), items)
    for name in _COLLECTIONS:
        source = getattr(merged, name)
        moved[name] = _transfer(source, getattr(survivor, name), list(source))
    moved["visits"] = uow.customers.move_history(merged.id, survivor.id)
    moved["filled"] = _fill_blanks(survivor, merged)
    if survivor.alias is None and merged.alias is not None:
        moved["alias"], merged.alias = merged.alias, None
        uow.flush()  # free the unique alias before the survivor takes it
        survivor.alias = moved["alias"]
    # The directory's figures follow the visits; the merged record keeps none of them.
    moved["totals"] = {
        "spent": merged.total_spent_minor,
        "orders": merged.order_count,
        "survivor_last_visit": _iso(survivor.last_visit_at),
        "merged_last_visit": _iso(merged.last_visit_at),
        "merged_cleared": True,
    }
    survivor.total_spent_minor += merged.total_spent_minor
    survivor.order_count += merged.order_count
    if merged.last_visit_at and (
        survivor.last_visit_at is None or merged.last_visit_at > survivor.last_visit_at
    ):
        survivor.last_visit_at = merged.last_visit_at
    merged.total_spent_minor, merged.order_count, merged.last_visit_at = 0, 0, None
    return moved


def _transfer(source: list[Any], target: list[Any], items: list[Any]) -> list[int]:
    ids = []
    for item in items:
        source.remove(item)
        target.append(item)
        ids.append(item.id)
    return ids


def _fill_blanks(survivor: Customer, merged: Customer) -> dict[str, Any]:
    filled: dict[str, Any] = {}
    for name in _FILLABLE:
        if not getattr(survivor, name) and getattr(merged, name):
            filled[name] = getattr(merged, name)
            setattr(survivor, name, filled[name])
    if survivor.date_of_birth is None and merged.date_of_birth is not None:
        survivor.date_of_birth = merged.date_of_birth
        filled["date_of_birth"] = merged.date_of_birth.isoformat()
    if survivor.gender is Gender.UNSPECIFIED and merged.gender is not Gender.UNSPECIFIED:
        survivor.gender = merged.gender
        filled["gender"] = merged.gender.value
    return filled


def _move_back(
    uow: UnitOfWork, survivor: Customer, merged: Customer, moved: dict[str, Any]
) -> None:
    assert merged.id is not None
    for name in ("phones", "emails", *_COLLECTIONS):
        ids = set(moved.get(name, []))
        source = getattr(survivor, name)
        _transfer(source, getattr(merged, name), [i for i in source if i.id in ids])
    uow.customers.restore_history(moved.get("visits", []), merged.id)
    for name, value in moved.get("filled", {}).items():
        restored = date.fromisoformat(value) if name == "date_of_birth" else value
        current = getattr(survivor, name)
        if current == restored or (name == "gender" and current.value == value):
            setattr(survivor, name, Gender.UNSPECIFIED if name == "gender" else _blank(name))
    if "alias" in moved and survivor.alias == moved["alias"]:
        survivor.alias = None
        uow.flush()
        merged.alias = moved["alias"]
    for name in ("phones", "emails"):
        items = getattr(merged, name)
        if items and not any(item.primary for item in items):
            items[0].primary = True
    totals = moved.get("totals", {})
    spent, orders = int(totals.get("spent", 0)), int(totals.get("orders", 0))
    survivor.total_spent_minor -= spent
    survivor.order_count -= orders
    merged_last = merged.last_visit_at
    if totals.get("merged_cleared"):  # older merges left the merged record's figures
        merged_last = _instant(totals.get("merged_last_visit"))
        merged.total_spent_minor += spent
        merged.order_count += orders
        merged.last_visit_at = _latest(merged.last_visit_at, merged_last)
    if merged_last is not None and survivor.last_visit_at == merged_last:
        survivor.last_visit_at = _instant(totals.get("survivor_last_visit"))


def _blank(name: str) -> Any:
    return None if name in ("promotion_category_id", "date_of_birth") else ""


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _instant(text: object) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) and text else None


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return a or b if a is None or b is None else max(a, b)
