"""Scenarios from real venues, every figure worked out by hand in the comments."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from app.domain.money import CURRENCIES, TaxMode, format_money, round_cash
from app.domain.pricing import PricedTab, PricingLine, price_tab
from app.domain.promotions import (
    AttachLevel,
    Attachment,
    Composition,
    RuleKind,
    RuleScope,
    ValidityWindow,
)
from tests.domain.pricing_builders import (
    DRINKS,
    FOOD,
    attach,
    category,
    context,
    line,
    percent_off,
    points,
    sales_rule,
)

# Friday 13 June 2025, 18:30 in the bar. Ada was born on 15 June 1990.
HAPPY_HOUR = category(
    "Happy hour",
    percent_off(
        "20",
        "Happy hour",
        groups={DRINKS},
        window=ValidityWindow(weekdays=frozenset(range(5)), starts=time(17), ends=time(19)),
    ),
    priority=10,
)
VIP_CARD = category("VIP card", percent_off("10", "VIP"), points("2", "VIP points"), priority=5)
BIRTHDAY_CLUB = category(
    "Birthday club",
    sales_rule(
        RuleKind.BIRTHDAY_REWARD,
        "Birthday",
        percent=Decimal("15"),
        bonus_points=500,
        birthday_days=3,
    ),
    priority=1,
)
EVENING_IN_THE_BAR = [
    attach(AttachLevel.DIVISION, HAPPY_HOUR),
    attach(AttachLevel.CARD, VIP_CARD),
    attach(AttachLevel.CUSTOMER, BIRTHDAY_CLUB),
]
ADA = date(1990, 6, 15)
LONDON = ZoneInfo("Europe/London")


def ada_orders() -> list[PricingLine]:
    return [
        line("Mojito", 800, 2, item_id=11, group_id=DRINKS, tax="0.20"),  # gross 16.00
        line("Burger", 1500, 1, item_id=21, group_id=FOOD, tax="0.10"),  # gross 15.00
    ]


def figures(tab: PricedTab) -> dict[str, object]:
    return {
        "discounts": [[a.amount_minor for a in p.adjustments if a.amount_minor] for p in tab.lines],
        "nets": [p.net_minor for p in tab.lines],
        "total": tab.total_minor,
        "taxes": [(t.rate, t.base_minor, t.tax_minor) for t in tab.taxes],
        "points": [p.points for p in tab.lines],
        "bonus": tab.bonus_points,
    }


@pytest.mark.parametrize(
    ("venue", "expected"),
    [
        (
            # Mojitos: happy hour 320, VIP 160, birthday 240 → the best is 320.
            # Burger: VIP 150, birthday 225 → 225.
            # 20 %: 1280 holds 213.33 → 213; 10 %: 1275 holds 115.91 → 116.
            # Points at 2 per euro: 12.80 → 25.6 → 25; 12.75 → 25.5 → 25.
            Composition.BEST_OF,
            {
                "discounts": [[320], [225]],
                "nets": [1280, 1275],
                "total": 2555,
                "taxes": [(Decimal("0.10"), 1159, 116), (Decimal("0.20"), 1067, 213)],
                "points": [25, 25],
                "bonus": 500,
            },
        ),
        (
            # In order of priority: happy hour (10), VIP (5), birthday (1).
            # Mojitos: happy hour applies first → 320. Burger: not a drink → VIP 150.
            # 1350 holds 122.73 → 123; points 13.50 → 27.
            Composition.FIRST_APPLIES,
            {
                "discounts": [[320], [150]],
                "nets": [1280, 1350],
                "total": 2630,
                "taxes": [(Decimal("0.10"), 1227, 123), (Decimal("0.20"), 1067, 213)],
                "points": [25, 27],
                "bonus": 500,
            },
        ),
        (
            # Each on the full price. Mojitos: 320 + 160 + 240 = 720. Burger: 150 + 225.
            # 880 holds 146.67 → 147; 1125 holds 102.27 → 102; points 17.6 → 17, 22.5 → 22.
            Composition.SUM,
            {
                "discounts": [[320, 160, 240], [150, 225]],
                "nets": [880, 1125],
                "total": 2005,
                "taxes": [(Decimal("0.10"), 1023, 102), (Decimal("0.20"), 733, 147)],
                "points": [17, 22],
                "bonus": 500,
            },
        ),
        (
            # Each on what is left. Mojitos: 1600 - 320 = 1280; 10 % = 128 → 1152;
            # 15 % = 172.8 → 173 → 979. Burger: 1500 - 150 = 1350; 15 % = 202.5 → 203 → 1147.
            # 979 holds 163.17 → 163; 1147 holds 104.27 → 104; points 19.58 → 19, 22.94 → 22.
            Composition.SEQUENTIAL,
            {
                "discounts": [[320, 128, 173], [150, 203]],
                "nets": [979, 1147],
                "total": 2126,
                "taxes": [(Decimal("0.10"), 1043, 104), (Decimal("0.20"), 816, 163)],
                "points": [19, 22],
                "bonus": 500,
            },
        ),
    ],
)
def test_happy_hour_plus_a_vip_card_plus_a_birthday(
    venue: Composition, expected: dict[str, object]
) -> None:
    tab = price_tab(ada_orders(), EVENING_IN_THE_BAR, context(birthday=ADA, venue=venue))
    assert figures(tab) == expected
    assert tab.tax_minor == sum(t.tax_minor for t in tab.taxes)
    assert tab.adjustments[0].explanation == (
        "Birthday: 500 bonus points for the birthday (Birthday club)"
    )


def test_the_why_this_price_trace_of_the_sequential_evening() -> None:
    tab = price_tab(
        ada_orders(), EVENING_IN_THE_BAR, context(birthday=ADA, venue=Composition.SEQUENTIAL)
    )
    assert [a.explanation for a in tab.lines[0].adjustments] == [
        "Happy hour: −20 % on Mojito (Happy hour)",
        "VIP: −10 % on Mojito (VIP card, on what was left)",
        "Birthday: −15 % on Mojito for the birthday (Birthday club, on what was left)",
        "VIP points: 2 points per 1.00 EUR on Mojito = 19 points (VIP card)",
    ]
    assert [(a.category_name, a.level) for a in tab.lines[0].adjustments[:3]] == [
        ("Happy hour", AttachLevel.DIVISION),
        ("VIP card", AttachLevel.CARD),
        ("Birthday club", AttachLevel.CUSTOMER),
    ]


def test_after_happy_hour_and_away_from_the_birthday() -> None:
    # 20:00: happy hour is over. Mojitos: VIP 160 vs birthday 240 → 240; burger 225.
    late = context(at=datetime(2025, 6, 13, 20), birthday=ADA)
    tab = price_tab(ada_orders(), EVENING_IN_THE_BAR, late)
    assert [p.discount_minor for p in tab.lines] == [240, 225]
    # A month later, neither: only the VIP card's 10 %.
    july = context(at=datetime(2025, 7, 14, 20), birthday=ADA)
    tab = price_tab(ada_orders(), EVENING_IN_THE_BAR, july)
    assert [p.discount_minor for p in tab.lines] == [160, 150]
    assert tab.bonus_points == 0


def test_a_second_round_after_happy_hour_on_a_bill_settled_at_19_30() -> None:
    # The same evening in London: mojitos and the burger at 18:50, two more mojitos at
    # 19:05, the bill settled at 19:30. Best of per line:
    # 18:50 mojitos: happy hour 320 (VIP 160, birthday 240) → 1280.
    # 19:05 mojitos: happy hour is over; VIP 160, birthday 240 → 240 → 1360.
    # Burger: birthday 225 → 1275.
    # 20 %: 2640 holds 440; 10 %: 1275 holds 115.91 → 116. Points at 2 per euro:
    # 25.6 → 25, 27.2 → 27, 25.5 → 25.
    def at(hour: int, minute: int) -> datetime:
        return datetime(2025, 6, 13, hour, minute, tzinfo=LONDON)

    mojitos, burger = ada_orders()
    lines = [
        replace(mojitos, ordered_at=at(18, 50)),
        replace(mojitos, uuid="second-round", ordered_at=at(19, 5)),
        replace(burger, ordered_at=at(18, 50)),
    ]
    tab = price_tab(lines, EVENING_IN_THE_BAR, context(at=at(19, 30), birthday=ADA))
    assert figures(tab) == {
        "discounts": [[320], [240], [225]],
        "nets": [1280, 1360, 1275],
        "total": 3915,
        "taxes": [(Decimal("0.10"), 1159, 116), (Decimal("0.20"), 2200, 440)],
        "points": [25, 27, 25],
        "bonus": 500,
    }
    assert [p.adjustments[0].rule_name for p in tab.lines] == ["Happy hour", "Birthday", "Birthday"]


def test_the_venue_cap_on_the_summed_evening() -> None:
    # Mojitos: 720 summed, cap 40 % of 1600 = 640 → the birthday's 240 is cut to 160.
    # Burger: 375 is under 40 % of 1500 = 600.
    tab = price_tab(
        ada_orders(),
        EVENING_IN_THE_BAR,
        context(birthday=ADA, venue=Composition.SUM, venue_max_percent="40"),
    )
    assert figures(tab)["discounts"] == [[320, 160, 160], [150, 225]]
    assert tab.total_minor == 960 + 1125
    assert tab.lines[0].adjustments[2].explanation == (
        "Birthday: −15 % on Mojito for the birthday (Birthday club, capped at 40 % by the venue)"
    )


def test_a_staff_category_capped_at_its_own_percentage() -> None:
    # Staff: 50 % off food and 30 % off everything, summed, capped at 60 % of the line.
    # Burger 1500: 750 + 450 = 1200 > 900 → the 30 % is cut to 150.
    # Cola 300: 90 only (food rule does not cover it), under the 180 cap.
    staff = category(
        "Staff",
        percent_off("50", "Staff food", groups={FOOD}),
        percent_off("30", "Staff"),
        composition=Composition.SUM,
        max_percent="60",
    )
    lines = [line("Burger", 1500, group_id=FOOD), line("Cola", 300, group_id=DRINKS)]
    tab = price_tab(lines, [attach(AttachLevel.CARD, staff)], context())
    assert [[a.amount_minor for a in p.adjustments] for p in tab.lines] == [[750, 150], [90]]
    assert tab.total_minor == 600 + 210


class TestCoffeeCardAcrossVisits:
    """Every 10th coffee free, counted over all the customer's visits."""

    card = category(
        "Coffee card",
        sales_rule(
            RuleKind.FREE_EVERY_N,
            "Tenth coffee",
            every_n=10,
            scope=RuleScope(item_ids=frozenset({31, 32})),
        ),
    )
    rule_uuid = card.rules[0].uuid

    def visit(self, before: int, *lines: PricingLine) -> PricedTab:
        ctx = context(purchases={self.rule_uuid: before})
        return price_tab(list(lines), [Attachment(AttachLevel.CARD, self.card)], ctx)

    def test_the_tenth_coffee_over_three_visits(self) -> None:
        def latte(quantity: int) -> PricingLine:
            return line("Latte", 340, quantity, item_id=31)

        def espresso(quantity: int) -> PricingLine:
            return line("Espresso", 220, quantity, item_id=32)

        # Visit 1: 4 lattes (units 1-4) and a muffin, nothing free.
        assert self.visit(0, latte(4), line("Muffin", 280, item_id=40)).discount_minor == 0
        # Visit 2: 3 more lattes (5-7), still nothing.
        assert self.visit(4, latte(3)).discount_minor == 0
        # Visit 3: 2 lattes and 2 espressos are units 8-11: one crosses 10, and the
        # cheapest unit on the tab goes free: an espresso.
        third = self.visit(7, latte(2), espresso(2))
        assert [p.discount_minor for p in third.lines] == [0, 220]
        assert third.total_minor == 680 + 220
        assert third.lines[1].adjustments[0].explanation == (
            "Tenth coffee: 1 of 2 × Espresso free (every 10th) (Coffee card)"
        )

    def test_a_big_round_frees_one_unit_per_ten(self) -> None:
        # 9 before + 21 now = 30: the 10th, 20th and 30th are free (three lattes).
        tab = self.visit(9, line("Latte", 340, 21, item_id=31))
        assert tab.discount_minor == 3 * 340


class TestTaxIncludedVersusAdded:
    """The same evening (best of) in a VAT country and in a sales-tax one."""

    def test_included_extracts_the_tax_from_the_discounted_prices(self) -> None:
        tab = price_tab(ada_orders(), EVENING_IN_THE_BAR, context(birthday=ADA))
        # 1280 at 20 %: 1280 × 0.2 / 1.2 = 213.33 → 213; 1275 at 10 %: 115.91 → 116.
        assert (tab.gross_minor, tab.discount_minor, tab.tax_minor, tab.total_minor) == (
            3100,
            545,
            329,
            2555,
        )
        assert [p.tax_minor for p in tab.lines] == [213, 116]

    def test_added_puts_the_tax_on_top_of_the_discounted_prices(self) -> None:
        added = context(birthday=ADA, tax_mode=TaxMode.ADDED)
        tab = price_tab(ada_orders(), EVENING_IN_THE_BAR, added)
        # 1280 × 0.20 = 256; 1275 × 0.10 = 127.5 → 128. Total 2555 + 384.
        assert (tab.gross_minor, tab.discount_minor, tab.tax_minor, tab.total_minor) == (
            3100,
            545,
            384,
            2939,
        )
        assert [(t.base_minor, t.tax_minor, t.gross_minor) for t in tab.taxes] == [
            (1275, 128, 1403),
            (1280, 256, 1536),
        ]
        assert [p.points for p in tab.lines] == [25, 25]  # points on the spend before tax

    def test_tax_is_rounded_once_per_rate_on_the_bill_not_per_line(self) -> None:
        # Three 0.05 items at 20 % included: 0.83 tax each would be 3 × 1 = 3 per line;
        # on the bill, 15 holds 2.5 → 3, shared 1 + 1 + 1.
        tab = price_tab([line(price=5), line(price=5), line(price=5)], [], context())
        assert tab.tax_minor == 3
        tab = price_tab([line(price=4), line(price=4), line(price=4)], [], context())
        assert tab.tax_minor == 2  # 12 / 6 = 2, where per line 0.67 → 1 would give 3


def test_yen_have_no_minor_unit() -> None:
    # ¥1,480 × 2 with 15 % off: 444 off → ¥2,516. 10 % consumption tax included:
    # 2516 / 11 = 228.7 → ¥229. One point per ¥100: 25.16 → 25.
    jpy = CURRENCIES["JPY"]
    members = category("Members", percent_off("15", "Members"), points("0.01", "Member points"))
    tab = price_tab(
        [line("Highball", 1480, 2, tax="0.10")],
        [attach(AttachLevel.CARD, members)],
        context(currency=jpy),
    )
    assert (tab.discount_minor, tab.total_minor, tab.tax_minor, tab.points_earned) == (
        444,
        2516,
        229,
        25,
    )
    assert format_money(tab.total_minor, jpy) == "2,516 JPY"
    assert tab.lines[0].adjustments[1].explanation == (
        "Member points: 0.01 points per 1 JPY on Highball = 25 points (Members)"
    )


def test_kuwaiti_dinar_have_three_decimals() -> None:
    # KWD 2.375 with 12.5 % off: 296.875 → 297 fils off → 2.078.
    tab = price_tab(
        [line("Karak", 2375, tax="0")],
        [attach(AttachLevel.TAB, category("House", percent_off("12.5")))],
        context(currency=CURRENCIES["KWD"]),
    )
    assert tab.total_minor == 2078
    assert format_money(tab.total_minor, CURRENCIES["KWD"]) == "2.078 KWD"


def test_swiss_cash_is_rounded_only_at_the_till() -> None:
    # CHF 12.47 exact (card pays it); cash pays 12.45.
    chf = CURRENCIES["CHF"]
    tab = price_tab([line("Rivella", 1247, tax="0.081")], [], context(currency=chf))
    assert tab.total_minor == 1247
    assert round_cash(tab.total_minor, chf) == 1245
