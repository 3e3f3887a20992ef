"""The "why this price" sentences: one per discount, points award and bonus.

Worded for the screen and the receipt (docs/PRICING.md): the rule's name, what it did,
then in brackets the category and any note ("on what was left", "capped at 40 % by the
venue").
"""

from __future__ import annotations

from decimal import Decimal

from app.domain.money import Currency, format_money, percent_text
from app.domain.promotions import RuleKind, SalesRule

FIXED, FREE = RuleKind.FIXED_PRICE, RuleKind.FREE_EVERY_N
ON_WHAT_WAS_LEFT = "on what was left"
# Kinds whose sentence depends on the line's units; the others read, when nothing was
# left or cut: "{rule's head}{line name}{rule's tail} ({category})".
WORDED_BY_UNITS = frozenset({FIXED, FREE})


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st…"""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def points(count: int | Decimal, kind: str = "") -> str:
    """``1 point``, ``2 points``, ``0.5 points``, ``1 bonus point``."""
    number = f"{count.normalize():f}" if isinstance(count, Decimal) else str(count)
    return f"{number} {kind}{'point' if count == 1 else 'points'}"


def rule_texts(rule: SalesRule, currency: Currency, visit_number: int) -> tuple[str, str]:
    """The parts of a rule's explanation around the line's name (see ``discount_text``)."""
    kind = rule.kind
    if kind is FIXED:
        return f"{rule.name}: ", f" at {format_money(rule.fixed_price_minor or 0, currency)}"
    if kind is FREE:
        return f"{rule.name}: ", f" free (every {ordinal(rule.every_n or 0)})"
    if kind is RuleKind.POINTS_ACCRUAL:
        unit = format_money(currency.minor_per_major, currency)
        rate = rule.points_per_unit or Decimal(0)
        return f"{rule.name}: {points(rate)} per {unit} on ", ""
    occasion = {
        RuleKind.BIRTHDAY_REWARD: " for the birthday",
        RuleKind.NTH_VISIT_BONUS: f" for the {ordinal(visit_number)} visit",
    }.get(kind, "")
    return f"{rule.name}: −{percent_text(rule.percent or Decimal(0))} on ", occasion


def discount_text(
    texts: tuple[str, str],
    kind: RuleKind,
    line_name: str,
    quantity: int,
    free_units: int,
    category_name: str,
    on_rest: bool,
    note: str,
) -> str:
    """One discount on a line: the rule's words around the line's name (``texts``), then
    in brackets the category, whether it worked on what earlier discounts left, and why
    it was cut (``note``)::

        Happy hour: −20 % on Mojito (Happy hour)
        Birthday: −15 % on Mojito for the birthday (Birthday club, on what was left)
        Pint deal: Pale ale at 3.50 EUR each (Deal)
        Tenth coffee: 1 of 2 × Espresso free (every 10th) (Coffee card)
    """
    what, tail = line_name, texts[1]
    if kind is FREE:
        if free_units != quantity:
            what = f"{free_units} of {quantity} × {line_name}"
        elif quantity > 1:
            what = f"{quantity} × {line_name}"
    elif kind is FIXED and quantity > 1:
        tail += " each"
    notes = category_name
    if on_rest:
        notes += ", " + ON_WHAT_WAS_LEFT
    if note:
        notes += ", " + note
    return f"{texts[0]}{what}{tail} ({notes})"


def points_text(head: str, line_name: str, earned: int, category_name: str) -> str:
    """Points accrued on a line: ``VIP points: 2 points per 1.00 EUR on Mojito = 19 points
    (VIP card)``; ``head`` is the rule's words up to the line's name."""
    return f"{head}{line_name} = {earned} {'point' if earned == 1 else 'points'} ({category_name})"


def bonus_text(rule: SalesRule, bonus: int, visit_number: int, category_name: str) -> str:
    """Bonus points on the tab, for the birthday or the visit."""
    occasion = (
        "the birthday"
        if rule.kind is RuleKind.BIRTHDAY_REWARD
        else f"the {ordinal(visit_number)} visit"
    )
    return f"{rule.name}: {points(bonus, 'bonus ')} for {occasion} ({category_name})"


def category_cap_note(max_percent: Decimal) -> str:
    return f"capped at {percent_text(max_percent)} by the category"


def venue_cap_note(max_percent: Decimal) -> str:
    return f"capped at {percent_text(max_percent)} by the venue"


LINE_PRICE_NOTE = "limited to the line's price"
