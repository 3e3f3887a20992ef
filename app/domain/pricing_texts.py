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


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st…"""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rule_texts(rule: SalesRule, currency: Currency, visit_number: int) -> tuple[str, str]:
    """The parts of a rule's explanation around the line's name."""
    kind = rule.kind
    if kind is FIXED:
        return f"{rule.name}: ", f" at {format_money(rule.fixed_price_minor or 0, currency)} each"
    if kind is FREE:
        return f"{rule.name}: ", f" free (every {ordinal(rule.every_n or 0)})"
    if kind is RuleKind.POINTS_ACCRUAL:
        unit = format_money(currency.minor_per_major, currency)
        rate = f"{(rule.points_per_unit or Decimal(0)).normalize():f}"
        return f"{rule.name}: {rate} points per {unit} on ", ""
    occasion = {
        RuleKind.BIRTHDAY_REWARD: "birthday ",
        RuleKind.NTH_VISIT_BONUS: f"{ordinal(visit_number)} visit ",
    }.get(kind, "")
    return f"{rule.name}: {occasion}−{percent_text(rule.percent or Decimal(0))} on ", ""


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
    """One discount on a line: ``texts`` are the rule's words around the line's name; then
    in brackets the category, whether it worked on what earlier discounts left, and
    ``note``, why it was cut."""
    what = line_name
    if kind is FREE:
        what = f"{free_units} of {quantity} × {line_name}"
    notes = category_name
    if on_rest:
        notes += ", " + ON_WHAT_WAS_LEFT
    if note:
        notes += ", " + note
    return f"{texts[0]}{what}{texts[1]} ({notes})"


def points_text(head: str, line_name: str, points: int, category_name: str) -> str:
    """Points accrued on a line."""
    return f"{head}{line_name} = {points} points ({category_name})"


def bonus_text(rule: SalesRule, points: int, visit_number: int, category_name: str) -> str:
    """Bonus points on the tab, for the birthday or the visit."""
    occasion = (
        "the birthday"
        if rule.kind is RuleKind.BIRTHDAY_REWARD
        else f"the {ordinal(visit_number)} visit"
    )
    return f"{rule.name}: {points} bonus points for {occasion} ({category_name})"


def category_cap_note(max_percent: Decimal) -> str:
    return f"capped at {percent_text(max_percent)} by the category"


def venue_cap_note(max_percent: Decimal) -> str:
    return f"capped at {percent_text(max_percent)} by the venue"


LINE_PRICE_NOTE = "limited to the line's price"
