"""The "why this price" sentences read as a person would say them (docs/PRICING.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.domain.money import CURRENCIES
from app.domain.pricing import PricedTab, PricingLine, price_tab
from app.domain.promotions import AttachLevel, RuleKind, RuleScope, SalesRule
from tests.domain.pricing_builders import attach, category, context, line, points, sales_rule

CARD = AttachLevel.CARD


def why(lines: list[PricingLine], *rules: SalesRule, **changes: object) -> list[list[str]]:
    tab = _priced(lines, *rules, **changes)
    return [[a.explanation for a in priced.adjustments] for priced in tab.lines]


def _priced(lines: list[PricingLine], *rules: SalesRule, **changes: object) -> PricedTab:
    house = [attach(CARD, category("House", *rules))]
    return price_tab(lines, house, context(**changes))  # type: ignore[arg-type]


def test_one_point_is_singular() -> None:
    # 1 point per euro: 1.50 earns 1 point, 2.00 earns 2.
    assert why([line(price=150), line(price=200)], points("1", "Points")) == [
        ["Points: 1 point per 1.00 EUR on Pale ale = 1 point (House)"],
        ["Points: 1 point per 1.00 EUR on Pale ale = 2 points (House)"],
    ]
    assert why([line(price=1000)], points("0.50", "Half")) == [
        ["Half: 0.5 points per 1.00 EUR on Pale ale = 5 points (House)"]
    ]
    yen = why([line("Highball", 1000)], points("1.0", "Yen points"), currency=CURRENCIES["JPY"])
    assert yen == [["Yen points: 1 point per 1 JPY on Highball = 1000 points (House)"]]


def test_one_bonus_point_is_singular() -> None:
    token = sales_rule(RuleKind.NTH_VISIT_BONUS, "Welcome back", every_n=1, bonus_points=1)
    tab = _priced([line()], token, visit_number=3)
    assert [a.explanation for a in tab.adjustments] == [
        "Welcome back: 1 bonus point for the 3rd visit (House)"
    ]


def test_the_occasion_comes_after_the_item() -> None:
    birthday = sales_rule(RuleKind.BIRTHDAY_REWARD, "Birthday", percent=Decimal(15))
    tenth = sales_rule(RuleKind.NTH_VISIT_BONUS, "Tenth visit", every_n=10, percent=Decimal(5))
    assert why([line()], birthday, birthday=date(1990, 6, 13)) == [
        ["Birthday: −15 % on Pale ale for the birthday (House)"]
    ]
    assert why([line()], tenth, visit_number=20) == [
        ["Tenth visit: −5 % on Pale ale for the 20th visit (House)"]
    ]


def test_a_fixed_price_says_each_only_for_several_units() -> None:
    deal = sales_rule(RuleKind.FIXED_PRICE, "Pint deal", fixed_price_minor=350)
    assert why([line(quantity=1), line(quantity=2)], deal) == [
        ["Pint deal: Pale ale at 3.50 EUR (House)"],
        ["Pint deal: Pale ale at 3.50 EUR each (House)"],
    ]


def test_free_units_are_counted_out_only_when_some_of_the_line_is_paid_for() -> None:
    card = sales_rule(
        RuleKind.FREE_EVERY_N, "Coffee card", every_n=2, scope=RuleScope(item_ids=frozenset({7}))
    )

    def coffee(quantity: int, price: int = 250) -> PricingLine:
        return line("Espresso", price, quantity, item_id=7)

    # One bought on an earlier visit: this one is the 2nd, free.
    assert why([coffee(1)], card, purchases={card.uuid: 1}) == [
        ["Coffee card: Espresso free (every 2nd) (House)"]
    ]
    # 1 before and 3 now: the 2nd and the 4th are free.
    assert why([coffee(3)], card, purchases={card.uuid: 1}) == [
        ["Coffee card: 2 of 3 × Espresso free (every 2nd) (House)"]
    ]
    # 4 now: 2 free, the cheapest, both on the first line.
    assert why([coffee(2, 200), coffee(2)], card) == [
        ["Coffee card: 2 × Espresso free (every 2nd) (House)"],
        [],
    ]
