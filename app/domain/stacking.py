"""How promotions stack on one line: composition inside and across categories, and caps.

Steps 2 and 3 of the stacking model (docs/PRICING.md), on a line plan from
``app.domain.line_plans``: integer arithmetic only. Used by
``app.domain.pricing.price_tab``, which words what was granted
(``app.domain.pricing_texts``).
"""

from __future__ import annotations

from collections.abc import Mapping

from app.domain.line_plans import CategoryPlan, LinePlan
from app.domain.prepared_rules import FIXED, PreparedCategory, PreparedRule
from app.domain.pricing_texts import LINE_PRICE_NOTE
from app.domain.promotions import AttachLevel, Composition

BEST_OF, FIRST, SUM, SEQUENTIAL = (
    Composition.BEST_OF,
    Composition.FIRST_APPLIES,
    Composition.SUM,
    Composition.SEQUENTIAL,
)

# (rule, category, level, amount, computed on what was left, why it was cut)
Granted = tuple[PreparedRule, PreparedCategory, AttachLevel, int, bool, str]


def _amount(rule: PreparedRule, base: int, quantity: int, free: Mapping[str, int]) -> int:
    """What one rule takes off ``base``, the part of the line's price it works on."""
    if rule.by_rate:
        return (base * rule.num2 + rule.den) // rule.den2
    if rule.kind is FIXED:
        return max(0, base - rule.fixed * quantity)
    units = free.get(rule.uuid, 0)  # FREE_EVERY_N: the value of its free units
    return (2 * base * units + quantity) // (2 * quantity) if units else 0


def _in_category(
    plan: CategoryPlan, base: int, gross: int, quantity: int, free: Mapping[str, int]
) -> tuple[list[Granted], int]:
    category, level, rules, _ = plan
    composition = category.composition
    on_rest = base < gross
    granted: list[Granted] = []
    total = 0
    if len(rules) == 1:  # the usual case, alike under every composition
        rule = rules[0]
        if rule.by_rate:
            total = (base * rule.num2 + rule.den) // rule.den2
        else:
            total = _amount(rule, base, quantity, free)
        if total > 0:
            granted.append((rule, category, level, total, on_rest, ""))
    elif composition is SEQUENTIAL:
        for rule in rules:
            left = base - total
            if rule.by_rate:
                amount = (left * rule.num2 + rule.den) // rule.den2
            else:
                amount = _amount(rule, left, quantity, free)
            if amount > 0:
                granted.append((rule, category, level, amount, left < gross, ""))
                total += amount
    elif composition is SUM:
        for rule in rules:
            if rule.by_rate:
                amount = (base * rule.num2 + rule.den) // rule.den2
            else:
                amount = _amount(rule, base, quantity, free)
            if amount > 0:
                granted.append((rule, category, level, amount, on_rest, ""))
                total += amount
    else:
        best = None
        for rule in rules:
            if rule.by_rate:
                amount = (base * rule.num2 + rule.den) // rule.den2
            else:
                amount = _amount(rule, base, quantity, free)
            if amount > total:
                best, total = rule, amount
                if composition is FIRST:
                    break
        if best is not None:
            granted.append((best, category, level, total, on_rest, ""))
    cap = category.cap
    if cap is not None:
        limit = gross * cap[0] // cap[1]  # caps round down: never exceeded
        if limit < base:
            if total > limit:
                return _trim(granted, total - limit, category.cap_note), limit
            return granted, total
    if total > base:
        return _trim(granted, total - base, LINE_PRICE_NOTE), base
    return granted, total


def _trim(granted: list[Granted], excess: int, note: str) -> list[Granted]:
    """Take ``excess`` off the discounts, from the last granted backwards."""
    kept = list(granted)
    for index in range(len(kept) - 1, -1, -1):
        if excess <= 0:
            break
        rule, category, level, amount, on_rest, _ = kept[index]
        cut = min(amount, excess)
        excess -= cut
        if cut == amount:
            del kept[index]
        else:
            kept[index] = (rule, category, level, amount - cut, on_rest, note)
    return kept


def _category_total(
    plan: CategoryPlan, base: int, gross: int, quantity: int, free: Mapping[str, int]
) -> int:
    """What ``_in_category`` takes off ``base`` in all, without saying how: across
    categories, BEST_OF and FIRST_APPLIES need the details of the winner only."""
    category, _, rules, _ = plan
    if len(rules) == 1:
        rule = rules[0]
        if rule.by_rate:
            total = (base * rule.num2 + rule.den) // rule.den2
        else:
            total = _amount(rule, base, quantity, free)
    else:
        composition = category.composition
        total = 0
        if composition is SEQUENTIAL:
            for rule in rules:
                if rule.by_rate:
                    total += ((base - total) * rule.num2 + rule.den) // rule.den2
                else:
                    total += _amount(rule, base - total, quantity, free)
        elif composition is SUM:
            for rule in rules:
                if rule.by_rate:
                    total += (base * rule.num2 + rule.den) // rule.den2
                else:
                    total += _amount(rule, base, quantity, free)
        else:
            for rule in rules:
                if rule.by_rate:
                    amount = (base * rule.num2 + rule.den) // rule.den2
                else:
                    amount = _amount(rule, base, quantity, free)
                if amount > total:
                    total = amount
                    if composition is FIRST:
                        break
    cap = category.cap
    if cap is not None:
        limit = gross * cap[0] // cap[1]  # caps round down: never exceeded
        if limit < base:
            return total if total <= limit else limit
    return total if total <= base else base


def line_discounts(
    plan: LinePlan,
    gross: int,
    quantity: int,
    free: Mapping[str, int],
    venue: Composition,
    venue_cap: tuple[int, int] | None,
    venue_cap_note: str,
) -> tuple[list[Granted], int]:
    """The discounts a line gets from its categories, composed and capped, and their sum.

    A category whose only rule is a percentage (the usual case) is worked out inline: its
    discount is at most the amount it works on, so only its own cap can cut it.
    """
    granted: list[Granted] = []
    total = 0
    if venue is SEQUENTIAL or venue is SUM:
        sequential = venue is SEQUENTIAL
        for entry in plan.discounts:
            base = gross - total if sequential else gross
            rule = entry[3]
            if rule is None:
                found, amount = _in_category(entry, base, gross, quantity, free)
                granted += found
                total += amount
                continue
            category, note = entry[0], ""
            amount = (base * rule.num2 + rule.den) // rule.den2
            cap = category.cap
            if cap is not None and amount > gross * cap[0] // cap[1]:
                amount, note = gross * cap[0] // cap[1], category.cap_note
            if amount > 0:
                granted.append((rule, category, entry[1], amount, base < gross, note))
                total += amount
    else:
        best, capped = None, False
        for entry in plan.discounts:
            rule = entry[3]
            cut = False
            if rule is None:
                amount = _category_total(entry, gross, gross, quantity, free)
            else:
                amount = (gross * rule.num2 + rule.den) // rule.den2
                cap = entry[0].cap
                if cap is not None and amount > gross * cap[0] // cap[1]:
                    amount, cut = gross * cap[0] // cap[1], True
            if amount > total:
                best, total, capped = entry, amount, cut
                if venue is FIRST:
                    break
        if best is None:
            return granted, 0
        category, level, _, rule = best
        if rule is None:
            granted, total = _in_category(best, gross, gross, quantity, free)
        else:
            granted = [(rule, category, level, total, False, category.cap_note if capped else "")]
    limit, note = gross, LINE_PRICE_NOTE
    if venue_cap is not None:
        venue_limit = gross * venue_cap[0] // venue_cap[1]
        if venue_limit < limit:
            limit, note = venue_limit, venue_cap_note
    if total > limit:
        return _trim(granted, total - limit, note), limit
    return granted, total


def accrued_points(rule: PreparedRule, net: int) -> int:
    """Points for a net spend (minor units) at the rule's rate, floored to whole points."""
    return net * rule.num // rule.den
