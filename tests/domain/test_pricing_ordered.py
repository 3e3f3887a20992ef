"""Validity windows judged per line, at the moment it was ordered (docs/PRICING.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import ValidationError
from app.domain.pricing import PricingLine, price_tab, units_in_scope
from app.domain.promotions import AttachLevel, RuleKind, RuleScope, ValidityWindow
from app.domain.rule_windows import WindowClock
from tests.domain.pricing_builders import (
    DRINKS,
    FOOD,
    attach,
    category,
    context,
    line,
    percent_off,
    sales_rule,
)

LONDON = ZoneInfo("Europe/London")
DIVISION, CUSTOMER = AttachLevel.DIVISION, AttachLevel.CUSTOMER
HAPPY_HOUR = category(
    "Happy hour",
    percent_off(
        "20", "Happy hour", groups={DRINKS}, window=ValidityWindow(starts=time(17), ends=time(19))
    ),
)


def at(hour: int, minute: int = 0, day: int = 13) -> datetime:
    """June 2025 in London (summer time, UTC+1); the 13th is a Friday."""
    return datetime(2025, 6, day, hour, minute, tzinfo=LONDON)


def ales(*ordered: datetime | None) -> list[PricingLine]:
    return [line("Pale ale", 500, 2, ordered_at=moment) for moment in ordered]


class TestWhenEachLineWasOrdered:
    def test_a_round_ordered_in_happy_hour_keeps_it_when_the_bill_is_settled_after(
        self,
    ) -> None:
        # 18:50: 10.00 - 20 % = 8.00. 19:05: after happy hour, 10.00. Settled at 19:30.
        tab = price_tab(
            ales(at(18, 50), at(19, 5)), [attach(DIVISION, HAPPY_HOUR)], context(at=at(19, 30))
        )
        assert [p.discount_minor for p in tab.lines] == [200, 0]
        assert (tab.total_minor, tab.tax_minor) == (1800, 300)
        assert tab.lines[0].adjustments[0].explanation == (
            "Happy hour: −20 % on Pale ale (Happy hour)"
        )

    def test_the_ordering_time_is_read_on_the_venue_clock(self) -> None:
        # 17:50 and 18:05 UTC are 18:50 and 19:05 in London in June.
        ordered = ales(
            datetime(2025, 6, 13, 17, 50, tzinfo=UTC), datetime(2025, 6, 13, 18, 5, tzinfo=UTC)
        )
        attachments = [attach(DIVISION, HAPPY_HOUR)]
        in_london = price_tab(ordered, attachments, context(at=at(19, 30)))
        assert [p.discount_minor for p in in_london.lines] == [200, 0]
        # A venue whose clock is UTC reads 17:50 and 18:05: both in its happy hour.
        on_utc = context(at=datetime(2025, 6, 13, 18, 30, tzinfo=UTC))
        assert [p.discount_minor for p in price_tab(ordered, attachments, on_utc).lines] == [
            200,
            200,
        ]

    def test_a_line_with_no_ordering_time_is_judged_at_the_moment_of_pricing(self) -> None:
        attachments = [attach(DIVISION, HAPPY_HOUR)]
        lines = ales(at(18, 50), None)
        assert [
            p.discount_minor for p in price_tab(lines, attachments, context(at=at(19, 30))).lines
        ] == [200, 0]
        assert [
            p.discount_minor for p in price_tab(lines, attachments, context(at=at(18, 0))).lines
        ] == [200, 200]

    def test_birthdays_are_judged_on_the_day_of_the_visit(self) -> None:
        reward = sales_rule(
            RuleKind.BIRTHDAY_REWARD, "Birthday", percent=Decimal(15), bonus_points=100
        )
        club = [attach(CUSTOMER, category("Club", reward))]
        burger = [line("Burger", 1000, group_id=FOOD, ordered_at=at(23, 50))]
        born = date(1990, 6, 13)
        on_the_day = price_tab(burger, club, context(at=at(23, 55), birthday=born))
        assert (on_the_day.discount_minor, on_the_day.bonus_points) == (150, 100)
        # Priced after midnight, the visit is on the 14th: no longer the birthday.
        after = price_tab(burger, club, context(at=at(0, 10, day=14), birthday=born))
        assert (after.discount_minor, after.bonus_points) == (0, 0)

    def test_a_window_over_midnight_belongs_to_the_evening_it_opened(self) -> None:
        friday_late = ValidityWindow(weekdays=frozenset({4}), starts=time(22), ends=time(2))
        late_bar = [attach(DIVISION, category("Late bar", percent_off("10", window=friday_late)))]
        # Friday 23:30 and Saturday 01:30 are Friday's late bar; Saturday 02:10 and 23:30
        # are not. Priced on Sunday.
        ordered = ales(at(23, 30), at(1, 30, day=14), at(2, 10, day=14), at(23, 30, day=14))
        tab = price_tab(ordered, late_bar, context(at=at(0, 30, day=15)))
        assert [p.discount_minor for p in tab.lines] == [100, 100, 0, 0]

    def test_units_count_towards_a_free_one_only_when_ordered_while_it_applied(self) -> None:
        card = sales_rule(
            RuleKind.FREE_EVERY_N,
            "Third coffee",
            every_n=3,
            scope=RuleScope(item_ids=frozenset({7})),
            window=ValidityWindow(weekdays=frozenset(range(5))),  # Monday to Friday
        )
        club = [attach(CUSTOMER, category("Coffee club", card))]
        coffees = [
            line("Flat white", 250, 2, item_id=7, ordered_at=at(23, 0)),  # Friday
            line("Flat white", 250, 2, item_id=7, ordered_at=at(0, 30, day=14)),  # Saturday
        ]
        saturday = context(at=at(1, 0, day=14), purchases={card.uuid: 1})
        tab = price_tab(coffees, club, saturday)
        # Friday's 2 count, after 1 from earlier tabs: the 3rd is free, on Friday's line.
        assert [p.discount_minor for p in tab.lines] == [250, 0]
        assert tab.free_every_n_units == ((card.uuid, 2),)
        assert units_in_scope(coffees, club, saturday) == {card.uuid: 2}

    def test_a_bonus_needs_a_line_ordered_while_it_applied(self) -> None:
        friday = ValidityWindow(weekdays=frozenset({4}))
        visit = sales_rule(
            RuleKind.NTH_VISIT_BONUS, "Friday regular", every_n=1, bonus_points=50, window=friday
        )
        regulars = [attach(CUSTOMER, category("Regulars", visit))]
        saturday = context(at=at(1, 0, day=14))
        assert price_tab(ales(at(23, 0)), regulars, saturday).bonus_points == 50
        assert price_tab(ales(at(0, 30, day=14)), regulars, saturday).bonus_points == 0

    def test_ordering_times_need_their_zone(self) -> None:
        with pytest.raises(ValidationError) as refused:
            line(ordered_at=datetime(2025, 6, 13, 18, 50))
        assert [p.message for p in refused.value.problems] == [
            "Pale ale: the time it was ordered needs its zone"
        ]
        with pytest.raises(ValidationError) as refused:
            price_tab(ales(at(18, 50)), [], context(at=datetime(2025, 6, 13, 19, 30)))
        assert refused.value.problems[0].field == "local_time"


# Windows whose edges fall in the small hours of the clock changes of 2025 in London:
# 30 March (01:00 becomes 02:00) and 26 October (02:00 becomes 01:00 again).
WINDOWS = [
    ValidityWindow(starts=time(1), ends=time(1, 30)),
    ValidityWindow(starts=time(0, 45, 30), ends=time(2, 15)),
    ValidityWindow(starts=time(23), ends=time(1, 10)),
    ValidityWindow(weekdays=frozenset({6})),
    ValidityWindow(ends=time(1, 59, 59)),
    ValidityWindow(first_day=date(2025, 10, 26), last_day=date(2025, 10, 26)),
]
# An hour and a half before each change (both happen at 01:00 UTC).
CHANGES = [datetime(2025, 3, 29, 23, 30, tzinfo=UTC), datetime(2025, 10, 25, 23, 30, tzinfo=UTC)]
SECONDS = st.integers(0, 3 * 3600)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(CHANGES),
    st.lists(SECONDS | st.none(), max_size=40),
    st.lists(st.sampled_from(WINDOWS), min_size=1, max_size=4, unique=True),
    SECONDS,
)
def test_the_clock_reads_each_line_as_the_windows_would_one_at_a_time(
    start: datetime, seconds: list[int | None], windows: list[ValidityWindow], now: int
) -> None:
    ordered = [None if s is None else start + timedelta(seconds=s) for s in seconds]
    local_time = (start + timedelta(seconds=now)).astimezone(LONDON)

    def one_at_a_time(moment: datetime | None) -> int:
        local = local_time if moment is None else moment.astimezone(LONDON)
        return sum(1 << i for i, w in enumerate(windows) if w.is_open(local))

    clock = WindowClock(windows, local_time)
    assert clock.open_when_ordered(ordered) == [one_at_a_time(m) for m in ordered]


def test_the_clock_is_not_fooled_when_the_same_hour_comes_round_twice() -> None:
    # 26 October 2025: 00:10, 00:40 and 01:10 UTC read 01:10, 01:40 (summer time) and
    # 01:10 again (winter time) in London. The first and last read alike; the middle
    # one is outside 01:00-01:30.
    window = ValidityWindow(starts=time(1), ends=time(1, 30))
    ordered = [datetime(2025, 10, 26, 0, m, tzinfo=UTC) for m in (10, 40)]
    ordered.append(datetime(2025, 10, 26, 1, 10, tzinfo=UTC))
    clock = WindowClock([window], datetime(2025, 10, 26, 2, tzinfo=UTC).astimezone(LONDON))
    assert clock.open_when_ordered(ordered) == [1, 0, 1]
