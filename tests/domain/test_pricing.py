"""price_tab, one rule of the stacking model at a time (docs/PRICING.md)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields
from datetime import date, datetime, time
from decimal import Decimal

import pytest

from app.domain.errors import ValidationError
from app.domain.money import CURRENCIES, TaxMode
from app.domain.pricing import Adjustment, PricedLine, PricingContext, PricingLine, price_tab
from app.domain.promotions import (
    AttachLevel,
    Composition,
    RuleKind,
    RuleScope,
    SalesRule,
    ValidityWindow,
)
from tests.domain.pricing_builders import (
    DRINKS,
    EUR,
    FOOD,
    attach,
    category,
    context,
    line,
    percent_off,
    points,
    sales_rule,
)

TAB, CUSTOMER, CARD = AttachLevel.TAB, AttachLevel.CUSTOMER, AttachLevel.CARD


class TestInputs:
    def test_a_line_refuses_nonsense_with_every_problem_named(self) -> None:
        with pytest.raises(ValidationError) as refused:
            PricingLine("u", 1, 1, "Ale", 0, -1, Decimal("-0.2"))
        assert str(refused.value) == (
            "Ale: the quantity must be 1 or more; Ale: the price is negative; "
            "Ale: the tax rate is not valid"
        )

    def test_a_context_refuses_nonsense(self) -> None:
        with pytest.raises(ValidationError, match="The visit number starts at 1"):
            context(visit_number=0)
        with pytest.raises(ValidationError, match="The venue cap must be 0 to 100 %"):
            context(venue_max_percent="150")
        with pytest.raises(ValidationError, match="Past purchases cannot be negative"):
            context(purchases={"r": -1})

    def test_context_defaults(self) -> None:
        ctx = PricingContext(datetime(2025, 1, 1, 12), EUR)
        assert ctx.tax_mode is TaxMode.INCLUDED
        assert (ctx.birthday, ctx.visit_number, dict(ctx.purchases_in_scope)) == (None, 1, {})
        assert ctx.venue_composition is Composition.BEST_OF


class TestNoPromotions:
    def test_an_empty_tab(self) -> None:
        tab = price_tab([], [], context())
        assert (tab.gross_minor, tab.discount_minor, tab.tax_minor, tab.total_minor) == (0, 0, 0, 0)
        assert tab.lines == () and tab.taxes == () and tab.adjustments == ()
        assert tab.tab_limit_minor is None and tab.total_points == 0

    def test_lines_at_list_price_with_the_tax_inside(self) -> None:
        tab = price_tab([line(price=500, quantity=3), line(price=1500, tax="0.10")], [], context())
        assert [(p.gross_minor, p.discount_minor, p.net_minor) for p in tab.lines] == [
            (1500, 0, 1500),
            (1500, 0, 1500),
        ]
        assert tab.total_minor == 3000
        assert [(t.rate, t.base_minor, t.tax_minor) for t in tab.taxes] == [
            (Decimal("0.10"), 1364, 136),  # 1500 / 1.1 = 1363.64
            (Decimal("0.20"), 1250, 250),
        ]

    def test_outputs_are_frozen(self) -> None:
        priced = price_tab([line()], [], context()).lines[0]
        with pytest.raises(FrozenInstanceError):
            priced.net_minor = 0  # type: ignore[misc]


class TestCollection:
    def test_tab_wide_levels_reach_every_line(self) -> None:
        for level in (CUSTOMER, CARD, TAB, AttachLevel.DIVISION, AttachLevel.TABLE):
            vip = category("VIP", percent_off("10"))
            tab = price_tab([line(), line(order_no=2)], [attach(level, vip)], context())
            assert [p.discount_minor for p in tab.lines] == [50, 50], level
            assert tab.lines[0].adjustments[0].level is level

    def test_an_order_level_category_reaches_only_that_order(self) -> None:
        staff = category("Staff meal", percent_off("50"))
        lines = [line(order_no=1), line(order_no=2), line(order_no=None)]
        tab = price_tab(lines, [attach(AttachLevel.ORDER, staff, "2")], context())
        assert [p.discount_minor for p in tab.lines] == [0, 250, 0]

    def test_a_line_level_category_reaches_only_that_line(self) -> None:
        comp = category("On the house", percent_off("100"))
        lines = [line(uuid="a"), line(uuid="b")]
        tab = price_tab(lines, [attach(AttachLevel.LINE, comp, "b")], context())
        assert [p.discount_minor for p in tab.lines] == [0, 500]
        assert tab.lines[1].adjustments[0].level is AttachLevel.LINE

    def test_a_category_attached_at_several_levels_counts_once_at_its_most_specific(self) -> None:
        vip = category("VIP", percent_off("10"))
        attachments = [attach(CUSTOMER, vip), attach(TAB, vip), attach(AttachLevel.LINE, vip, "a")]
        tab = price_tab(
            [line(uuid="a"), line(uuid="b")], attachments, context(venue=Composition.SUM)
        )
        assert [p.discount_minor for p in tab.lines] == [50, 50]
        assert [p.adjustments[0].level for p in tab.lines] == [AttachLevel.LINE, TAB]

    def test_higher_priority_comes_first_then_the_more_specific_level(self) -> None:
        low = category("Low", percent_off("30"), priority=1)
        high = category("High", percent_off("10"), priority=9)
        tab = price_tab(
            [line()],
            [attach(TAB, low), attach(CUSTOMER, high)],
            context(venue=Composition.FIRST_APPLIES),
        )
        assert tab.lines[0].adjustments[0].category_name == "High"
        table = category("Table", percent_off("10"))
        customer = category("Customer", percent_off("20"))
        tab = price_tab(
            [line()],
            [attach(CUSTOMER, customer), attach(AttachLevel.TABLE, table)],
            context(venue=Composition.FIRST_APPLIES),
        )
        assert tab.lines[0].adjustments[0].category_name == "Table"

    def test_the_tightest_tab_limit_of_the_attached_categories(self) -> None:
        attachments = [
            attach(CUSTOMER, category("Org", tab_limit_minor=50000)),
            attach(CARD, category("Card", tab_limit_minor=20000)),
            attach(TAB, category("Open")),
        ]
        assert price_tab([], attachments, context()).tab_limit_minor == 20000


class TestCompositionInsideACategory:
    def rules(self) -> tuple[SalesRule, ...]:
        return (percent_off("10", "Ten"), percent_off("25", "Quarter"), percent_off("20", "Fifth"))

    def price(self, composition: Composition, *rules: SalesRule) -> PricedLine:
        house = category("House", *(rules or self.rules()), composition=composition)
        return price_tab([line(price=1000)], [attach(TAB, house)], context()).lines[0]

    def test_best_of_takes_the_largest(self) -> None:
        priced = self.price(Composition.BEST_OF)
        assert [(a.rule_name, a.amount_minor) for a in priced.adjustments] == [("Quarter", 250)]

    def test_best_of_gives_a_tie_to_the_earlier_rule(self) -> None:
        priced = self.price(Composition.BEST_OF, percent_off("10", "A"), percent_off("10", "B"))
        assert priced.adjustments[0].rule_name == "A"

    def test_first_applies_takes_the_first_that_gives_a_discount(self) -> None:
        above_price = sales_rule(RuleKind.FIXED_PRICE, "Fixed 12.00", fixed_price_minor=1200)
        priced = self.price(Composition.FIRST_APPLIES, above_price, *self.rules())
        assert [(a.rule_name, a.amount_minor) for a in priced.adjustments] == [("Ten", 100)]

    def test_sum_adds_each_on_the_full_price(self) -> None:
        priced = self.price(Composition.SUM)
        assert [a.amount_minor for a in priced.adjustments] == [100, 250, 200]
        assert priced.discount_minor == 550

    def test_sequential_takes_each_on_what_is_left(self) -> None:
        priced = self.price(Composition.SEQUENTIAL)
        # 1000 - 10 % = 900; - 25 % (225) = 675; - 20 % (135) = 540
        assert [a.amount_minor for a in priced.adjustments] == [100, 225, 135]
        assert (
            priced.adjustments[1].explanation
            == "Quarter: −25 % on Pale ale (House, on what was left)"
        )


class TestCaps:
    def test_the_category_cap_is_a_share_of_the_gross_rounded_down(self) -> None:
        greedy = category(
            "Greedy",
            percent_off("30", "A"),
            percent_off("30", "B"),
            composition=Composition.SUM,
            max_percent="33.3",
        )
        priced = price_tab([line(price=1001)], [attach(TAB, greedy)], context()).lines[0]
        # 30 % + 30 % = 601 (300.3 → 300, then 300); cap 33.3 % of 1001 = 333.33 → 333
        assert [a.amount_minor for a in priced.adjustments] == [300, 33]
        assert priced.adjustments[1].explanation.endswith(
            "(Greedy, capped at 33.3 % by the category)"
        )

    def test_the_venue_cap_takes_from_the_last_category(self) -> None:
        tab = price_tab(
            [line(price=1000)],
            [
                attach(TAB, category("A", percent_off("30"), priority=2)),
                attach(TAB, category("B", percent_off("30"), priority=1)),
            ],
            context(venue=Composition.SUM, venue_max_percent="40"),
        )
        assert [a.amount_minor for a in tab.lines[0].adjustments] == [300, 100]
        assert "capped at 40 % by the venue" in tab.lines[0].adjustments[1].explanation

    def test_a_discount_that_cut_to_nothing_is_dropped(self) -> None:
        tab = price_tab(
            [line(price=1000)],
            [
                attach(TAB, category("A", percent_off("30"), priority=2)),
                attach(TAB, category("B", percent_off("30"), priority=1)),
            ],
            context(venue=Composition.SUM, venue_max_percent="30"),
        )
        assert [a.category_name for a in tab.lines[0].adjustments] == ["A"]

    def test_a_line_never_goes_below_zero(self) -> None:
        tab = price_tab(
            [line(price=1000)],
            [
                attach(TAB, category("A", percent_off("80"))),
                attach(CARD, category("B", percent_off("70"))),
            ],
            context(venue=Composition.SUM),
        )
        assert tab.lines[0].discount_minor == 1000
        assert tab.lines[0].adjustments[-1].explanation.endswith("limited to the line's price)")


class TestRuleKinds:
    def test_fixed_price_discounts_down_to_the_fixed_unit_price(self) -> None:
        deal = category(
            "Deal", sales_rule(RuleKind.FIXED_PRICE, "Pint deal", fixed_price_minor=350)
        )
        tab = price_tab(
            [line(price=500, quantity=3), line(price=300)], [attach(TAB, deal)], context()
        )
        assert [p.discount_minor for p in tab.lines] == [450, 0]
        assert (
            tab.lines[0].adjustments[0].explanation == "Pint deal: Pale ale at 3.50 EUR each (Deal)"
        )

    def test_a_validity_window_is_read_on_the_venue_clock(self) -> None:
        happy = category(
            "Happy hour",
            percent_off("20", window=ValidityWindow(starts=time(17), ends=time(19))),
        )
        before = context(at=datetime(2025, 6, 13, 16, 59))
        assert price_tab([line()], [attach(TAB, happy)], before).discount_minor == 0
        assert price_tab([line()], [attach(TAB, happy)], context()).discount_minor == 100

    def test_scope_by_group_and_item(self) -> None:
        rule = percent_off(
            "10", scope=RuleScope(group_ids=frozenset({FOOD}), item_ids=frozenset({7}))
        )
        tab = price_tab(
            [
                line(item_id=1, group_id=DRINKS),
                line(item_id=7, group_id=DRINKS),
                line(item_id=2, group_id=FOOD),
            ],
            [attach(TAB, category("Scoped", rule))],
            context(),
        )
        assert [p.discount_minor for p in tab.lines] == [0, 50, 50]

    def test_no_discount_on_a_line_that_is_not_discountable_but_it_earns_points(self) -> None:
        vip = category("VIP", percent_off("10"), points("1"))
        tab = price_tab([line(price=2500, discountable=False)], [attach(CARD, vip)], context())
        assert tab.lines[0].discount_minor == 0
        assert tab.lines[0].points == 25

    def test_birthday_reward_within_the_days_around_it(self) -> None:
        reward = sales_rule(
            RuleKind.BIRTHDAY_REWARD,
            "Birthday",
            percent=Decimal(15),
            bonus_points=500,
            birthday_days=3,
        )
        club = category("Club", reward)
        near = context(birthday=date(1990, 6, 16))  # three days after 13 June
        tab = price_tab([line(price=1000), line(price=1000)], [attach(CUSTOMER, club)], near)
        assert [p.discount_minor for p in tab.lines] == [150, 150]
        assert tab.bonus_points == 500  # once per tab, not per line
        assert (
            tab.adjustments[0].explanation == "Birthday: 500 bonus points for the birthday (Club)"
        )
        far = context(birthday=date(1990, 6, 17))
        assert price_tab([line()], [attach(CUSTOMER, club)], far).total_points == 0
        assert price_tab([line()], [attach(CUSTOMER, club)], context()).total_points == 0

    def test_a_bonus_needs_a_line_in_its_scope(self) -> None:
        reward = sales_rule(
            RuleKind.BIRTHDAY_REWARD,
            "Birthday drink",
            bonus_points=100,
            scope=RuleScope(group_ids=frozenset({DRINKS})),
        )
        ctx = context(birthday=date(1990, 6, 13))
        club = [attach(CUSTOMER, category("Club", reward))]
        assert price_tab([line(group_id=FOOD)], club, ctx).bonus_points == 0
        assert price_tab([line(group_id=DRINKS)], club, ctx).bonus_points == 100
        assert price_tab([], club, ctx).bonus_points == 0

    def test_nth_visit_bonus(self) -> None:
        tenth = sales_rule(
            RuleKind.NTH_VISIT_BONUS,
            "Tenth visit",
            every_n=10,
            percent=Decimal(50),
            bonus_points=200,
        )
        regulars = [attach(CUSTOMER, category("Regulars", tenth))]
        tab = price_tab([line(price=1000)], regulars, context(visit_number=20))
        assert (tab.discount_minor, tab.bonus_points) == (500, 200)
        assert tab.lines[0].adjustments[0].explanation == (
            "Tenth visit: −50 % on Pale ale for the 20th visit (Regulars)"
        )
        assert tab.adjustments[0].explanation == (
            "Tenth visit: 200 bonus points for the 20th visit (Regulars)"
        )
        assert price_tab([line()], regulars, context(visit_number=11)).total_points == 0

    def test_points_on_the_net_spend_at_the_best_rate_floored(self) -> None:
        attachments = [
            attach(CARD, category("VIP", percent_off("10"), points("1.5", "VIP points"))),
            attach(CUSTOMER, category("Base", points("1", "Base points"))),
        ]
        tab = price_tab(
            [line(price=1999), line(price=999, earns_points=False)], attachments, context()
        )
        # 1999 - 200 = 1799 → 17.99 EUR × 1.5 = 26.985 → 26 points
        assert [p.points for p in tab.lines] == [26, 0]
        assert tab.points_earned == 26
        earned = tab.lines[0].adjustments[-1]
        assert (earned.rule_name, earned.points, earned.amount_minor) == ("VIP points", 26, 0)
        assert (
            earned.explanation
            == "VIP points: 1.5 points per 1.00 EUR on Pale ale = 26 points (VIP)"
        )

    def test_points_in_a_currency_without_decimals(self) -> None:
        rule = points("0.01")  # one point per 100 yen
        tab = price_tab(
            [line(price=1480, quantity=2)],
            [attach(CARD, category("Members", rule))],
            context(currency=CURRENCIES["JPY"]),
        )
        assert tab.points_earned == 29


class TestFreeEveryN:
    coffee_card = category(
        "Coffee card", sales_rule(RuleKind.FREE_EVERY_N, "Every 5th coffee", every_n=5)
    )

    def price(self, lines: list[PricingLine], before: int) -> list[int]:
        rule_uuid = self.coffee_card.rules[0].uuid
        tab = price_tab(
            lines, [attach(CARD, self.coffee_card)], context(purchases={rule_uuid: before})
        )
        return [p.discount_minor for p in tab.lines]

    def test_history_counts_towards_the_next_free_unit(self) -> None:
        assert self.price([line(price=300)], before=3) == [0]
        assert self.price([line(price=300)], before=4) == [300]
        assert self.price([line(price=300, quantity=5)], before=4) == [300]  # the 5th only
        assert self.price([line(price=300, quantity=6)], before=4) == [600]  # 5th and 10th
        assert self.price([line(price=300, quantity=11)], before=4) == [900]  # 5th, 10th, 15th

    def test_the_cheapest_units_go_free_ties_to_the_earlier_line(self) -> None:
        lines = [line(price=450), line(price=300), line(price=300), line(price=500)]
        assert self.price(lines, before=3) == [0, 300, 0, 0]

    def test_lines_that_are_not_discountable_do_not_count(self) -> None:
        assert self.price([line(price=300, discountable=False)], before=4) == [0]

    def test_the_explanation_names_the_free_units(self) -> None:
        rule_uuid = self.coffee_card.rules[0].uuid
        tab = price_tab(
            [line("Flat white", price=300, quantity=5)],
            [attach(CARD, self.coffee_card)],
            context(purchases={rule_uuid: 4}),
        )
        assert tab.lines[0].adjustments[0].explanation == (
            "Every 5th coffee: 1 of 5 × Flat white free (every 5th) (Coffee card)"
        )


class TestTaxes:
    def test_added_tax_goes_on_top_of_the_net(self) -> None:
        tab = price_tab(
            [line(price=999, tax="0.0825"), line(price=1), line(price=1)],
            [],
            context(tax_mode=TaxMode.ADDED),
        )
        assert [(t.base_minor, t.tax_minor) for t in tab.taxes] == [(999, 82), (2, 0)]
        assert tab.total_minor == 1001 + 82

    def test_the_tax_of_a_rate_is_shared_out_to_its_lines_exactly(self) -> None:
        lines = [line(price=333), line(price=333), line(price=334)]
        tab = price_tab(lines, [], context())
        assert tab.taxes[0].tax_minor == 167  # 1000 / 6
        assert [p.tax_minor for p in tab.lines] == [56, 55, 56]
        assert sum(p.tax_minor for p in tab.lines) == 167


def test_adjustments_are_whole_ordinary_dataclass_instances() -> None:
    vip = category("VIP", percent_off("10"), points("1"))
    tab = price_tab([line(price=1000)], [attach(CARD, vip)], context())
    for adjustment in tab.lines[0].adjustments:
        again = Adjustment(**{f.name: getattr(adjustment, f.name) for f in fields(adjustment)})
        assert adjustment == again and hash(adjustment) == hash(again)
        assert repr(adjustment) == repr(again)
    priced = tab.lines[0]
    assert priced == PricedLine(**{f.name: getattr(priced, f.name) for f in fields(priced)})
    assert tab.lines[0].adjustments[0].kind is RuleKind.PERCENT_DISCOUNT
