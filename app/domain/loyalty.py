"""Tiers by lifetime points, and a regular's running statistics, updated visit by visit.

Statistics are never rebuilt from the history: each closed tab adds its facts to the
figures kept so far (:func:`add_visit`).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import TypeVar

from app.domain.errors import ValidationError
from app.domain.ledger import as_utc
from app.domain.payments import PaymentMethod

_K = TypeVar("_K")

FAVOURITES = 5  # how many favourite items the statistics keep


@dataclass(frozen=True, slots=True)
class Tier:
    """A loyalty tier from ``min_points`` lifetime points up; its category applies to
    the customer's tabs while they hold the tier."""

    name: str
    min_points: int
    category_uuid: str | None = None


DEFAULT_TIERS = (Tier("Bronze", 0), Tier("Silver", 1000), Tier("Gold", 5000))


@dataclass(frozen=True)
class TierLadder:
    """Tiers in rising order; the first starts at 0 so every customer has one."""

    tiers: tuple[Tier, ...] = DEFAULT_TIERS

    def __post_init__(self) -> None:
        tiers = tuple(self.tiers)
        object.__setattr__(self, "tiers", tiers)
        if not tiers or tiers[0].min_points != 0:
            raise ValidationError.single("tiers", "The first tier must start at 0 points")
        for lower, upper in pairwise(tiers):
            if upper.min_points <= lower.min_points:
                raise ValidationError.single(
                    "tiers",
                    f"{upper.name} must start above {lower.name}'s {lower.min_points} points",
                )
        names = [t.name.strip().casefold() for t in tiers]
        if "" in names or len(set(names)) != len(names):
            raise ValidationError.single("tiers", "Each tier needs its own name")

    @classmethod
    def bronze_silver_gold(
        cls,
        silver_from: int = 1000,
        gold_from: int = 5000,
        *,
        categories: Mapping[str, str] | None = None,
    ) -> TierLadder:
        """The usual three tiers with these thresholds; ``categories`` maps a tier's
        name ("Gold") to its promotion category's uuid."""
        chosen = categories or {}
        return cls(
            tuple(
                Tier(name, start, chosen.get(name))
                for name, start in (("Bronze", 0), ("Silver", silver_from), ("Gold", gold_from))
            )
        )

    def tier_for(self, lifetime_points: int) -> Tier:
        """The highest tier whose threshold ``lifetime_points`` reach."""
        reached = self.tiers[0]
        for tier in self.tiers[1:]:
            if lifetime_points < tier.min_points:
                break
            reached = tier
        return reached

    def next_tier(self, lifetime_points: int) -> Tier | None:
        """The tier after the current one, or None at the top."""
        return next((t for t in self.tiers if t.min_points > lifetime_points), None)

    def points_to_next(self, lifetime_points: int) -> int | None:
        """Points still to earn for the next tier, or None at the top."""
        upcoming = self.next_tier(lifetime_points)
        return None if upcoming is None else upcoming.min_points - max(lifetime_points, 0)


@dataclass(frozen=True, kw_only=True)
class VisitFacts:
    """What one closed tab with a customer adds to their statistics."""

    at: datetime  # when the tab closed
    spent_minor: int  # what the guest paid for it
    items: Mapping[int, int] = field(default_factory=dict)  # menu item id -> units
    payment_methods: Iterable[PaymentMethod] = ()  # each method used, once or more
    rule_units: Mapping[str, int] = field(default_factory=dict)  # FREE_EVERY_N units in scope


@dataclass(frozen=True, kw_only=True)
class CustomerStats:
    """A regular's running figures. ``item_counts`` are all items ever bought (units);
    ``favourite_items`` the top :data:`FAVOURITES` of them, most bought first."""

    customer_id: int | None = None
    visits: int = 0
    total_spent_minor: int = 0
    first_visit: datetime | None = None
    last_visit: datetime | None = None
    item_counts: Mapping[int, int] = field(default_factory=dict)
    favourite_items: tuple[tuple[int, int], ...] = ()
    payment_counts: Mapping[PaymentMethod, int] = field(default_factory=dict)  # tabs using it
    rule_units: Mapping[str, int] = field(default_factory=dict)  # rule uuid -> units bought

    @property
    def average_check_minor(self) -> int:
        """Total spent over visits, rounded half up; 0 before the first visit."""
        if self.visits == 0:
            return 0
        return (2 * self.total_spent_minor + self.visits) // (2 * self.visits)

    @property
    def preferred_payment_method(self) -> PaymentMethod | None:
        """The method used on most visits; on a tie, the first in PaymentMethod's order."""
        best: PaymentMethod | None = None
        for method in PaymentMethod:
            count = self.payment_counts.get(method, 0)
            if count and (best is None or count > self.payment_counts[best]):
                best = method
        return best


def _rank(entry: tuple[int, int]) -> tuple[int, int]:
    item_id, count = entry
    return count, -item_id  # most bought first; on a tie the lower item id


def _favourites(
    counts: Mapping[int, int],
    previous: Sequence[tuple[int, int]],
    touched: Iterable[int],
    top: int,
) -> tuple[tuple[int, int], ...]:
    # Counts only grow, so the new top N lies within the old top N and the items just
    # bought; the whole count map is read only while the old list is not yet full.
    if len(previous) >= top:
        candidates = {item for item, _ in previous} | set(touched)
        pool: Iterable[tuple[int, int]] = ((item, counts[item]) for item in candidates)
    else:
        pool = counts.items()
    return tuple(heapq.nlargest(top, pool, key=_rank))


def add_visit(stats: CustomerStats, facts: VisitFacts, *, top: int = FAVOURITES) -> CustomerStats:
    """``stats`` with one more visit: figures grow by the facts of one closed tab."""
    at = as_utc(facts.at)
    if facts.spent_minor < 0:
        raise ValidationError.single("spent", "A visit cannot spend below zero")
    if any(units <= 0 for units in facts.items.values()):
        raise ValidationError.single("items", "Item counts of a visit must be above zero")
    if any(units < 0 for units in facts.rule_units.values()):
        raise ValidationError.single("rule_units", "Units in a rule's scope cannot be negative")
    counts = dict(stats.item_counts)
    for item_id, units in facts.items.items():
        counts[item_id] = counts.get(item_id, 0) + units
    payments = dict(stats.payment_counts)
    for method in set(facts.payment_methods):
        payments[method] = payments.get(method, 0) + 1
    rule_units = dict(stats.rule_units)
    for rule_uuid, units in facts.rule_units.items():
        if units:
            rule_units[rule_uuid] = rule_units.get(rule_uuid, 0) + units
    return CustomerStats(
        customer_id=stats.customer_id,
        visits=stats.visits + 1,
        total_spent_minor=stats.total_spent_minor + facts.spent_minor,
        first_visit=at if stats.first_visit is None else min(stats.first_visit, at),
        last_visit=at if stats.last_visit is None else max(stats.last_visit, at),
        item_counts=counts,
        favourite_items=_favourites(counts, stats.favourite_items, facts.items, top),
        payment_counts=payments,
        rule_units=rule_units,
    )


def _less(counts: Mapping[_K, int], taken: Mapping[_K, int]) -> dict[_K, int]:
    left = dict(counts)
    for key, units in taken.items():
        remaining = left.get(key, 0) - units
        if remaining > 0:
            left[key] = remaining
        else:
            left.pop(key, None)
    return left


def remove_visit(
    stats: CustomerStats, facts: VisitFacts, *, top: int = FAVOURITES
) -> CustomerStats:
    """``stats`` without one visit, when a manager reopens the tab that made it.

    Counts and totals shrink by the visit's facts. First and last visit stay as they
    were (the guest did come), unless no visit is left. Favourites are chosen again
    from the remaining counts, which are bounded by the menu's size.
    """
    if stats.visits < 1:
        raise ValidationError.single("visits", "There is no visit to take back")
    counts = _less(stats.item_counts, facts.items)
    payments = _less(stats.payment_counts, {m: 1 for m in set(facts.payment_methods)})
    visits = stats.visits - 1
    return CustomerStats(
        customer_id=stats.customer_id,
        visits=visits,
        total_spent_minor=max(0, stats.total_spent_minor - facts.spent_minor),
        first_visit=stats.first_visit if visits else None,
        last_visit=stats.last_visit if visits else None,
        item_counts=counts,
        favourite_items=tuple(heapq.nlargest(top, counts.items(), key=_rank)),
        payment_counts=payments,
        rule_units=_less(stats.rule_units, facts.rule_units),
    )
