"""FREE_EVERY_N: which units of a tab count towards each rule, and which go free.

A rule frees ``(before + here) // n - before // n`` units, where ``before`` is the units
bought in scope on earlier tabs and ``here`` those on this tab's discountable lines that
collect the rule: exactly the units that cross a multiple of n. The cheapest units go
free (docs/PRICING.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from app.domain.line_plans import LinePlan
from app.domain.promotions import SalesRule

if TYPE_CHECKING:
    from app.domain.pricing import PricingLine

NO_FREE: Mapping[str, int] = {}
# FREE_EVERY_N rule uuid -> (the rule, the indexes of the lines that count towards it)
Counted = dict[str, tuple[SalesRule, list[int]]]


def collecting(lines: Sequence[PricingLine], plans: Sequence[LinePlan]) -> Counted:
    """The lines that count towards each FREE_EVERY_N rule: the discountable lines that
    collect it (its category reaches them, it covers the item, its window is open)."""
    counted: Counted = {}
    for index, plan in enumerate(plans):
        if plan.free_every_n and lines[index].discountable:
            for rule in plan.free_every_n:
                counted.setdefault(rule.uuid, (rule, []))[1].append(index)
    return counted


def units(lines: Sequence[PricingLine], counted: Counted) -> tuple[tuple[str, int], ...]:
    """(rule uuid, units on the tab that count towards it), by uuid."""
    return tuple(
        (uuid, sum(lines[i].quantity for i in indexes))
        for uuid, (_, indexes) in sorted(counted.items())
    )


def free_units(
    lines: Sequence[PricingLine],
    counted: Counted,
    before: Mapping[str, int],
) -> list[Mapping[str, int]]:
    """Free units per line and rule: from the cheapest unit price up, ties to the earlier
    line; ``before`` is the units bought in scope on earlier tabs, per rule."""
    free = [NO_FREE] * len(lines)
    chosen: dict[int, dict[str, int]] = {}
    for uuid, (rule, indexes) in counted.items():
        every_n = rule.every_n or 1
        past = before.get(uuid, 0)
        here = sum(lines[i].quantity for i in indexes)
        left = (past + here) // every_n - past // every_n
        for index in sorted(indexes, key=lambda i: (lines[i].unit_price_minor, i)):
            if left <= 0:
                break
            take = min(left, lines[index].quantity)
            left -= take
            chosen.setdefault(index, {})[uuid] = take
    for index, taken in chosen.items():
        free[index] = taken
    return free
