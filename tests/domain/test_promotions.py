from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from app.domain.errors import ValidationError
from app.domain.promotions import (
    LEVEL_PRECEDENCE,
    TAB_WIDE_LEVELS,
    AttachLevel,
    Attachment,
    CategoryRules,
    Composition,
    RuleKind,
    RuleScope,
    SalesRule,
    ValidityWindow,
    anniversary,
)

FRIDAY = date(2025, 6, 13)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)


def rule(
    kind: RuleKind = RuleKind.PERCENT_DISCOUNT, name: str = "Rule", **fields: object
) -> SalesRule:
    if kind is RuleKind.PERCENT_DISCOUNT and "percent" not in fields:
        fields["percent"] = Decimal("10")
    return SalesRule("rule-uuid", name, kind, **fields)  # type: ignore[arg-type]


def test_enum_values_are_stable_text() -> None:
    assert [level.value for level in AttachLevel] == [
        "customer",
        "card",
        "tab",
        "order",
        "line",
        "division",
        "table",
    ]
    assert Composition.FIRST_APPLIES.value == "first_applies"
    assert RuleKind.NTH_VISIT_BONUS.value == "nth_visit_bonus"


def test_every_level_has_a_precedence_and_the_tab_wide_ones_are_five() -> None:
    assert sorted(LEVEL_PRECEDENCE) == sorted(AttachLevel)
    assert LEVEL_PRECEDENCE[0] is AttachLevel.LINE
    whole_tab = set(AttachLevel) - {AttachLevel.ORDER, AttachLevel.LINE}
    assert whole_tab == TAB_WIDE_LEVELS


class TestRuleScope:
    def test_an_empty_scope_covers_everything(self) -> None:
        assert RuleScope().covers(1, 2)
        assert RuleScope().is_everything

    def test_groups_and_items_add_up(self) -> None:
        scope = RuleScope(group_ids=frozenset({10}), item_ids=frozenset({7}))
        assert scope.covers(1, 10)  # any item of group 10
        assert scope.covers(7, 99)  # item 7 whatever its group
        assert not scope.covers(8, 11)
        assert not scope.is_everything


class TestValidityWindow:
    def test_an_empty_window_is_always_open(self) -> None:
        assert ValidityWindow().is_open(at(FRIDAY, 3))

    def test_time_of_day_starts_inclusive_ends_exclusive(self) -> None:
        happy_hour = ValidityWindow(starts=time(17), ends=time(19))
        assert not happy_hour.is_open(at(FRIDAY, 16, 59))
        assert happy_hour.is_open(at(FRIDAY, 17))
        assert happy_hour.is_open(at(FRIDAY, 18, 59))
        assert not happy_hour.is_open(at(FRIDAY, 19))

    def test_only_a_start_or_only_an_end(self) -> None:
        assert ValidityWindow(starts=time(22)).is_open(at(FRIDAY, 23, 59))
        assert not ValidityWindow(starts=time(22)).is_open(at(FRIDAY, 1))
        assert ValidityWindow(ends=time(11)).is_open(at(FRIDAY, 0))
        assert not ValidityWindow(ends=time(11)).is_open(at(FRIDAY, 11))

    def test_weekdays(self) -> None:
        weekdays = ValidityWindow(weekdays=frozenset(range(5)))
        assert weekdays.is_open(at(FRIDAY, 12))
        assert not weekdays.is_open(at(date(2025, 6, 14), 12))  # Saturday

    def test_a_window_wrapping_midnight_belongs_to_the_evening_it_opened(self) -> None:
        friday_night = ValidityWindow(weekdays=frozenset({4}), starts=time(22), ends=time(2))
        assert friday_night.wraps_midnight
        assert friday_night.is_open(at(FRIDAY, 23))
        assert friday_night.is_open(at(date(2025, 6, 14), 1, 30))  # Saturday small hours
        assert not friday_night.is_open(at(date(2025, 6, 14), 2))
        assert not friday_night.is_open(at(date(2025, 6, 14), 23))  # Saturday evening
        assert not friday_night.is_open(at(FRIDAY, 1))  # Thursday's night
        assert not friday_night.is_open(at(FRIDAY, 12))

    def test_date_range_is_inclusive_and_read_on_the_opening_day(self) -> None:
        june = ValidityWindow(first_day=date(2025, 6, 1), last_day=date(2025, 6, 30))
        assert june.is_open(at(date(2025, 6, 1), 0))
        assert june.is_open(at(date(2025, 6, 30), 23, 59))
        assert not june.is_open(at(date(2025, 7, 1), 0))
        assert not june.is_open(at(date(2025, 5, 31), 23))
        late = ValidityWindow(starts=time(22), ends=time(4), last_day=date(2025, 6, 30))
        assert late.is_open(at(date(2025, 7, 1), 1))  # the night of 30 June

    def test_an_aware_time_is_read_on_its_own_wall_clock(self) -> None:
        from datetime import timedelta, timezone

        local = datetime(2025, 6, 13, 18, 0, tzinfo=timezone(timedelta(hours=2)))
        assert ValidityWindow(starts=time(17), ends=time(19)).is_open(local)

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"weekdays": frozenset({7})}, r"Weekdays run from 0 \(Monday\) to 6 \(Sunday\)"),
            ({"starts": time(17), "ends": time(17)}, "starts and ends at the same time"),
            (
                {"first_day": date(2025, 2, 1), "last_day": date(2025, 1, 1)},
                r"The last day \(2025-01-01\) is before the first \(2025-02-01\)",
            ),
        ],
    )
    def test_nonsense_is_refused(self, fields: dict[str, object], message: str) -> None:
        with pytest.raises(ValidationError, match=message):
            ValidityWindow(**fields)  # type: ignore[arg-type]


class TestSalesRuleValidation:
    @pytest.mark.parametrize(
        ("kind", "fields"),
        [
            (RuleKind.PERCENT_DISCOUNT, {"percent": Decimal("12.5")}),
            (RuleKind.FIXED_PRICE, {"fixed_price_minor": 0}),
            (RuleKind.POINTS_ACCRUAL, {"points_per_unit": Decimal("0.5")}),
            (RuleKind.FREE_EVERY_N, {"every_n": 2}),
            (RuleKind.BIRTHDAY_REWARD, {"bonus_points": 100, "birthday_days": 7}),
            (RuleKind.BIRTHDAY_REWARD, {"percent": Decimal("100")}),
            (RuleKind.NTH_VISIT_BONUS, {"every_n": 1, "percent": Decimal("5")}),
            (RuleKind.NTH_VISIT_BONUS, {"every_n": 10, "bonus_points": 1, "repeats": False}),
        ],
    )
    def test_each_kind_accepts_its_fields(self, kind: RuleKind, fields: dict[str, object]) -> None:
        assert rule(kind, "Rule", **fields).kind is kind

    @pytest.mark.parametrize(
        ("kind", "fields", "message"),
        [
            (
                RuleKind.PERCENT_DISCOUNT,
                {"percent": None},
                "a percentage discount needs a percentage",
            ),
            (RuleKind.PERCENT_DISCOUNT, {"percent": Decimal("0")}, "above 0 and at most 100"),
            (RuleKind.PERCENT_DISCOUNT, {"percent": Decimal("101")}, "above 0 and at most 100"),
            (RuleKind.PERCENT_DISCOUNT, {"percent": Decimal("NaN")}, "above 0 and at most 100"),
            (RuleKind.FIXED_PRICE, {}, "a fixed-price rule needs the price"),
            (RuleKind.FIXED_PRICE, {"fixed_price_minor": -1}, "the fixed price cannot be negative"),
            (RuleKind.POINTS_ACCRUAL, {}, "needs the points per currency unit"),
            (RuleKind.POINTS_ACCRUAL, {"points_per_unit": Decimal("0")}, "must be above 0"),
            (RuleKind.FREE_EVERY_N, {}, r"needs N \(every how many\)"),
            (RuleKind.FREE_EVERY_N, {"every_n": 1}, "needs N of 2 or more, not 1"),
            (RuleKind.NTH_VISIT_BONUS, {"every_n": 0, "bonus_points": 5}, "1 or more, not 0"),
            (RuleKind.BIRTHDAY_REWARD, {}, "a reward needs a percentage, bonus points, or both"),
            (RuleKind.BIRTHDAY_REWARD, {"bonus_points": 0}, "bonus points must be above 0"),
            (RuleKind.BIRTHDAY_REWARD, {"bonus_points": 5, "birthday_days": 40}, "0 to 31"),
            (RuleKind.FIXED_PRICE, {"fixed_price_minor": 5, "percent": Decimal(5)}, "percentage"),
            (RuleKind.PERCENT_DISCOUNT, {"fixed_price_minor": 5}, "only a fixed-price rule"),
            (RuleKind.PERCENT_DISCOUNT, {"points_per_unit": Decimal(1)}, "only a points rule"),
            (RuleKind.PERCENT_DISCOUNT, {"every_n": 3}, "only free-every-N and visit bonuses"),
            (RuleKind.PERCENT_DISCOUNT, {"bonus_points": 3}, "only birthday and visit rewards"),
            (RuleKind.PERCENT_DISCOUNT, {"birthday_days": 3}, "only a birthday reward"),
        ],
    )
    def test_a_readable_refusal(
        self, kind: RuleKind, fields: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ValidationError, match=message) as refused:
            rule(kind, name="Happy hour", **fields)
        assert str(refused.value).startswith("“Happy hour”: ")

    def test_every_problem_is_named_at_once(self) -> None:
        with pytest.raises(ValidationError) as refused:
            SalesRule("u", " ", RuleKind.FIXED_PRICE, percent=Decimal(5), every_n=2)
        fields = [problem.field for problem in refused.value.problems]
        assert fields == ["name", "percent", "fixed_price_minor", "every_n"]
        assert str(refused.value).startswith("A sales rule: needs a name")

    def test_reward_and_discount_kinds_say_whether_they_discount(self) -> None:
        assert rule().gives_discount
        assert not rule(RuleKind.POINTS_ACCRUAL, points_per_unit=Decimal(1)).gives_discount
        assert not rule(RuleKind.BIRTHDAY_REWARD, bonus_points=10).gives_discount
        assert rule(RuleKind.BIRTHDAY_REWARD, percent=Decimal(10)).gives_discount


class TestBirthday:
    def test_on_the_day_only_by_default(self) -> None:
        reward = rule(RuleKind.BIRTHDAY_REWARD, bonus_points=100)
        born = date(1990, 6, 13)
        assert reward.is_birthday(FRIDAY, born)
        assert not reward.is_birthday(date(2025, 6, 12), born)
        assert not reward.is_birthday(FRIDAY, None)

    def test_days_around_the_birthday_cross_the_new_year(self) -> None:
        week = rule(RuleKind.BIRTHDAY_REWARD, bonus_points=100, birthday_days=3)
        born = date(1990, 12, 30)
        assert week.is_birthday(date(2026, 1, 2), born)  # 3 days after
        assert not week.is_birthday(date(2026, 1, 3), born)
        assert week.is_birthday(date(2025, 12, 27), born)  # 3 days before
        assert not week.is_birthday(date(2025, 12, 26), born)
        newyear = date(2000, 1, 1)
        assert week.is_birthday(date(2025, 12, 29), newyear)

    def test_the_29th_of_february_is_kept_on_the_28th_in_common_years(self) -> None:
        leapling = date(2000, 2, 29)
        assert anniversary(leapling, 2025) == date(2025, 2, 28)
        assert anniversary(leapling, 2024) == date(2024, 2, 29)
        reward = rule(RuleKind.BIRTHDAY_REWARD, bonus_points=100)
        assert reward.is_birthday(date(2025, 2, 28), leapling)
        assert not reward.is_birthday(date(2025, 3, 1), leapling)
        assert reward.is_birthday(date(2024, 2, 29), leapling)
        assert not reward.is_birthday(date(2024, 2, 28), leapling)


class TestNthVisit:
    def test_every_nth_visit_repeats(self) -> None:
        tenth = rule(RuleKind.NTH_VISIT_BONUS, every_n=10, bonus_points=100)
        assert [v for v in range(1, 31) if tenth.is_bonus_visit(v)] == [10, 20, 30]

    def test_only_the_nth_visit_when_it_does_not_repeat(self) -> None:
        fifth = rule(RuleKind.NTH_VISIT_BONUS, every_n=5, bonus_points=100, repeats=False)
        assert [v for v in range(1, 31) if fifth.is_bonus_visit(v)] == [5]

    def test_every_visit_with_n_of_one(self) -> None:
        each = rule(RuleKind.NTH_VISIT_BONUS, every_n=1, bonus_points=1)
        assert each.is_bonus_visit(1) and each.is_bonus_visit(2)


class TestCategoryRules:
    def test_defaults(self) -> None:
        category = CategoryRules("c", "Regulars")
        assert category.composition is Composition.BEST_OF
        assert (category.priority, category.max_percent, category.tab_limit_minor) == (
            0,
            None,
            None,
        )
        assert category.rules == ()

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"name": ""}, "A promotion category needs a name"),
            ({"max_percent": Decimal("120")}, "the cap must be 0 to 100 %, not 120"),
            ({"tab_limit_minor": -1}, "the tab limit is negative"),
            ({"rules": (rule(), rule())}, "rule “Rule” is listed twice"),
        ],
    )
    def test_refusals(self, fields: dict[str, object], message: str) -> None:
        values: dict[str, object] = {"uuid": "c", "name": "VIP"} | fields
        with pytest.raises(ValidationError, match=message):
            CategoryRules(**values)  # type: ignore[arg-type]


class TestAttachment:
    category = CategoryRules("c", "VIP")

    def test_order_and_line_levels_name_their_target(self) -> None:
        assert Attachment(AttachLevel.ORDER, self.category, "2").target == "2"
        with pytest.raises(ValidationError, match="attached to an order needs the order number"):
            Attachment(AttachLevel.ORDER, self.category)
        with pytest.raises(ValidationError, match="attached to a line needs the line's uuid"):
            Attachment(AttachLevel.LINE, self.category, "")
        with pytest.raises(ValidationError, match="order number “first” is not a number"):
            Attachment(AttachLevel.ORDER, self.category, "first")

    def test_tab_wide_levels_take_no_target(self) -> None:
        assert Attachment(AttachLevel.CUSTOMER, self.category).target is None
        with pytest.raises(ValidationError, match="covers the whole tab and takes no target"):
            Attachment(AttachLevel.TABLE, self.category, "12")
