"""What a merge moves besides the record: balances, guest tabs and statistics.

The ledger is append-only and head office keeps it too, so balances move by a pair of
transfer entries per account (merged -b, survivor +b), each queued for head office; the
merged customer's own entries stay theirs. The merge log keeps what moved (the
transfers, tab ids, both customers' statistics as they were), so undoing a merge that
has not been sent gives each back exactly, while whatever the survivor gained after the
merge (new entries, tabs, visits) stays with the survivor.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from app.domain.ledger import AccountKind, EntryKind, LedgerEntry, Origin
from app.domain.loyalty import FAVOURITES, CustomerStats
from app.domain.payments import PaymentMethod
from app.services.ports import UnitOfWork
from app.services.sync_docs import LEDGER_ENTRY, ledger_operation

_K = TypeVar("_K")


@dataclass(frozen=True, slots=True)
class MergeParty:
    """One side of a merge: the customer's key, uuid and name."""

    id: int
    uuid: str
    name: str


def move_accounts(
    uow: UnitOfWork, survivor: MergeParty, merged: MergeParty, origin: Origin
) -> dict[str, Any]:
    """Transfer the merged customer's balances, and move their tabs and statistics, to
    the survivor; the transfers go to the outbox. Returns what the merge log must keep
    to undo it (``operations``: the outbox operations written)."""
    survivor_id, merged_id = survivor.id, merged.id
    kept, taken = uow.stats.find(survivor_id), uow.stats.find(merged_id)
    transfers, operations = _transfer_balances(uow, survivor, merged, origin)
    moved: dict[str, Any] = {
        "transfers": transfers,
        "operations": operations,
        "tabs": uow.customers.move_tabs(merged_id, survivor_id),
        "stats_survivor": stats_to_json(kept),
        "stats_merged": stats_to_json(taken),
    }
    if taken is not None:
        combined = combine_stats(kept or CustomerStats(customer_id=survivor_id), taken)
        uow.stats.put(combined)
        uow.stats.remove(merged_id)
        moved["stats_combined_last"] = _iso(combined.last_visit)
    return moved


def _transfer_balances(
    uow: UnitOfWork, survivor: MergeParty, merged: MergeParty, origin: Origin
) -> tuple[list[str], list[str]]:
    """(entry uuids, operation ids) of the transfers; none for an empty account. A
    transfer is a correction: not held to the survivor's credit limit."""
    held = uow.ledger.balances(merged.id)
    entries: list[tuple[LedgerEntry, str]] = []
    for account, amount in (
        (AccountKind.POINTS, held.points),
        (AccountKind.PURSE, held.purse_minor),
    ):
        if amount == 0:
            continue
        for party, signed, reason in (
            (merged, -amount, f"merged into {survivor.name}"),
            (survivor, amount, f"merged from {merged.name}"),
        ):
            entry = LedgerEntry(
                customer_id=party.id,
                account=account,
                kind=EntryKind.ADJUST,
                amount=signed,
                at=origin.at,
                terminal=origin.terminal,
                staff_uuid=origin.staff_uuid,
                reason=reason[:200],
            )
            entries.append((entry, party.uuid))
    operations = []
    for entry, owner in entries:
        uow.ledger.add(entry)
        operations.append(
            uow.outbox.append(LEDGER_ENTRY, entry.uuid, ledger_operation(entry, owner), origin.at)
        )
    return [entry.uuid for entry, _ in entries], operations


def move_accounts_back(
    uow: UnitOfWork, survivor_id: int, merged_id: int, moved: Mapping[str, Any]
) -> None:
    """Undo :func:`move_accounts` from what it returned (an older log may hold nothing,
    or the entries it moved before merges wrote transfers)."""
    uow.ledger.discard(moved.get("transfers", []))
    uow.ledger.restore(moved.get("ledger", []), merged_id)
    uow.customers.restore_tabs(moved.get("tabs", []), merged_id)
    taken = stats_from_json(moved.get("stats_merged"), merged_id)
    if taken is None:
        return  # the merged customer had no statistics: the survivor's are its own
    kept = stats_from_json(moved.get("stats_survivor"), survivor_id)
    current = uow.stats.find(survivor_id) or CustomerStats(customer_id=survivor_id)
    combined_last = _instant(moved.get("stats_combined_last"))
    left = separate_stats(current, taken, kept, combined_last)
    if kept is None and _empty(left):
        uow.stats.remove(survivor_id)
    else:
        uow.stats.put(left)
    since = uow.stats.find(merged_id)  # normally None: a merged record takes no visits
    uow.stats.put(taken if since is None else combine_stats(taken, since))


def combine_stats(kept: CustomerStats, taken: CustomerStats) -> CustomerStats:
    """Both customers' figures as one: counts and totals added, first and last visit
    the earliest and the latest. The result belongs to ``kept``'s customer."""
    counts = _plus(kept.item_counts, taken.item_counts)
    return CustomerStats(
        customer_id=kept.customer_id,
        visits=kept.visits + taken.visits,
        total_spent_minor=kept.total_spent_minor + taken.total_spent_minor,
        first_visit=_earliest(kept.first_visit, taken.first_visit),
        last_visit=_latest(kept.last_visit, taken.last_visit),
        item_counts=counts,
        favourite_items=_favourites(counts),
        payment_counts=_plus(kept.payment_counts, taken.payment_counts),
        rule_units=_plus(kept.rule_units, taken.rule_units),
    )


def separate_stats(
    current: CustomerStats,
    taken: CustomerStats,
    kept: CustomerStats | None,
    combined_last: datetime | None,
) -> CustomerStats:
    """The survivor's figures without what a merge brought in (``taken``).

    ``kept`` is the survivor's statistics before the merge and ``combined_last`` the last
    visit just after it: a later last visit is the survivor's own and stays.
    """
    counts = _less(current.item_counts, taken.item_counts)
    visits = max(0, current.visits - taken.visits)
    first = last = None
    if visits:
        if kept is not None and kept.first_visit is not None:
            first = kept.first_visit
        elif current.first_visit != taken.first_visit:
            first = current.first_visit
        else:  # only visits since the merge are left; the earliest of them is not kept
            first = current.last_visit
        last = current.last_visit
        if last == combined_last and kept is not None and kept.last_visit is not None:
            last = kept.last_visit
    return CustomerStats(
        customer_id=current.customer_id,
        visits=visits,
        total_spent_minor=max(0, current.total_spent_minor - taken.total_spent_minor),
        first_visit=first,
        last_visit=last,
        item_counts=counts,
        favourite_items=_favourites(counts),
        payment_counts=_less(current.payment_counts, taken.payment_counts),
        rule_units=_less(current.rule_units, taken.rule_units),
    )


# The merge log's JSON ------------------------------------------------------------------


def stats_to_json(stats: CustomerStats | None) -> dict[str, Any] | None:
    if stats is None:
        return None
    return {
        "visits": stats.visits,
        "total_spent_minor": stats.total_spent_minor,
        "first_visit": _iso(stats.first_visit),
        "last_visit": _iso(stats.last_visit),
        "item_counts": {str(k): v for k, v in stats.item_counts.items()},
        "payment_counts": {str(k): v for k, v in stats.payment_counts.items()},
        "rule_units": dict(stats.rule_units),
    }


def stats_from_json(data: Mapping[str, Any] | None, customer_id: int) -> CustomerStats | None:
    if data is None:
        return None
    counts = {int(k): int(v) for k, v in data["item_counts"].items()}
    return CustomerStats(
        customer_id=customer_id,
        visits=int(data["visits"]),
        total_spent_minor=int(data["total_spent_minor"]),
        first_visit=_instant(data["first_visit"]),
        last_visit=_instant(data["last_visit"]),
        item_counts=counts,
        favourite_items=_favourites(counts),
        payment_counts={PaymentMethod(k): int(v) for k, v in data["payment_counts"].items()},
        rule_units={str(k): int(v) for k, v in data["rule_units"].items()},
    )


# Helpers -------------------------------------------------------------------------------


def _plus(a: Mapping[_K, int], b: Mapping[_K, int]) -> dict[_K, int]:
    total = dict(a)
    for key, units in b.items():
        total[key] = total.get(key, 0) + units
    return total


def _less(a: Mapping[_K, int], b: Mapping[_K, int]) -> dict[_K, int]:
    left = dict(a)
    for key, units in b.items():
        remaining = left.get(key, 0) - units
        if remaining > 0:
            left[key] = remaining
        else:
            left.pop(key, None)
    return left


def _favourites(counts: Mapping[int, int]) -> tuple[tuple[int, int], ...]:
    # The same order as app.domain.loyalty: most bought first, the lower item id on a tie.
    return tuple(heapq.nlargest(FAVOURITES, counts.items(), key=lambda e: (e[1], -e[0])))


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return a or b if a is None or b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return a or b if a is None or b is None else max(a, b)


def _empty(stats: CustomerStats) -> bool:
    return not (
        stats.visits
        or stats.total_spent_minor
        or stats.item_counts
        or stats.payment_counts
        or stats.rule_units
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _instant(text: object) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) and text else None
