from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.errors import ValidationError
from app.domain.money import (
    CURRENCIES,
    Currency,
    TaxMode,
    allocate,
    apply_rate,
    currency,
    div_half_up,
    format_money,
    percent_text,
    round_cash,
    tax_from_gross,
    tax_on_net,
    to_minor,
)

EUR, CHF, JPY, KWD, SEK = (CURRENCIES[c] for c in ("EUR", "CHF", "JPY", "KWD", "SEK"))


def test_the_known_currencies_and_their_minor_units() -> None:
    assert {"EUR", "GBP", "USD", "CHF", "JPY", "KWD", "SEK"} <= set(CURRENCIES)
    assert (EUR.exponent, EUR.cash_step_minor, EUR.minor_per_major) == (2, 1, 100)
    assert (JPY.exponent, JPY.minor_per_major) == (0, 1)
    assert (KWD.exponent, KWD.minor_per_major) == (3, 1000)
    assert CHF.cash_step_minor == 5
    assert SEK.cash_step_minor == 100


def test_currency_lookup_is_forgiving_about_case_and_refuses_unknown_codes() -> None:
    assert currency("eur") is EUR
    assert currency(" JPY ") is JPY
    with pytest.raises(ValidationError, match="Currency “XYZ” is not supported"):
        currency("XYZ")


@pytest.mark.parametrize(
    ("code", "exponent", "step", "message"),
    [
        ("eu", 2, 1, "not an ISO 4217 code"),
        ("EUR", 5, 1, "exponent must be 0 to 4"),
        ("EUR", 2, 0, "cash step must be at least one minor unit"),
    ],
)
def test_a_currency_refuses_nonsense(code: str, exponent: int, step: int, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Currency(code, exponent, step)


def test_tax_modes_have_stable_values() -> None:
    assert TaxMode.INCLUDED.value == "included"
    assert TaxMode("added") is TaxMode.ADDED


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(5, 2, 3), (4, 2, 2), (7, 2, 4), (-5, 2, -3), (-7, 3, -2), (1, 3, 0), (2, 3, 1), (0, 9, 0)],
)
def test_div_half_up_rounds_halves_away_from_zero(
    numerator: int, denominator: int, expected: int
) -> None:
    assert div_half_up(numerator, denominator) == expected


def test_div_half_up_wants_a_positive_denominator() -> None:
    with pytest.raises(ValueError):
        div_half_up(1, 0)


@given(st.integers(-(10**12), 10**12), st.integers(1, 10**6))
def test_div_half_up_matches_decimal_round_half_up(numerator: int, denominator: int) -> None:
    exact = Decimal(numerator) / Decimal(denominator)
    assert div_half_up(numerator, denominator) == int(exact.quantize(0, ROUND_HALF_UP))


def test_apply_rate_rounds_half_up_once() -> None:
    assert apply_rate(1250, Decimal("0.1")) == 125
    assert apply_rate(125, Decimal("0.1")) == 13  # 12.5 → 13
    assert apply_rate(124, Decimal("0.1")) == 12  # 12.4 → 12
    assert apply_rate(-125, Decimal("0.1")) == -13
    assert apply_rate(999, Decimal("0.075")) == 75  # 74.925 → 75


def test_apply_rate_refuses_a_rate_that_is_not_a_number() -> None:
    with pytest.raises(ValidationError, match="finite"):
        apply_rate(100, Decimal("NaN"))


def test_tax_on_net_adds_the_rate() -> None:
    assert tax_on_net(1000, Decimal("0.20")) == 200
    assert tax_on_net(999, Decimal("0.0825")) == 82  # 82.4175
    assert tax_on_net(1000, Decimal("0")) == 0


def test_tax_from_gross_extracts_the_tax_inside_a_price() -> None:
    assert tax_from_gross(1200, Decimal("0.20")) == 200
    assert tax_from_gross(1000, Decimal("0.20")) == 167  # 166.67
    assert tax_from_gross(1100, Decimal("0.10")) == 100
    assert tax_from_gross(105, Decimal("0.05")) == 5
    assert tax_from_gross(1000, Decimal("0.077")) == 71  # CHF 7.7 %: 71.49


def test_taxes_refuse_negative_rates() -> None:
    with pytest.raises(ValidationError, match="tax rate"):
        tax_on_net(100, Decimal("-0.1"))
    with pytest.raises(ValidationError, match="tax rate"):
        tax_from_gross(100, Decimal("-0.1"))


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(1247, 1245), (1248, 1250), (1242, 1240), (1243, 1245), (1250, 1250), (-1248, -1250)],
)
def test_round_cash_to_five_rappen(amount: int, expected: int) -> None:
    assert round_cash(amount, CHF) == expected


def test_round_cash_to_whole_kronor_and_not_at_all_in_euro() -> None:
    assert round_cash(9950, SEK) == 10000
    assert round_cash(9949, SEK) == 9900
    assert round_cash(1247, EUR) == 1247


def test_allocate_by_largest_remainder() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(10, [3, 3, 4]) == [3, 3, 4]
    assert allocate(5, [1, 2]) == [2, 3]  # 1.67 → 2, 3.33 → 3
    assert allocate(7, [0, 0]) == [4, 3]  # no weights: an even split
    assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]
    assert allocate(0, []) == []


def test_allocate_refuses_what_cannot_be_split() -> None:
    with pytest.raises(ValueError):
        allocate(1, [])
    with pytest.raises(ValueError):
        allocate(1, [1, -1])


@given(st.integers(-(10**9), 10**9), st.lists(st.integers(0, 10**6), min_size=1, max_size=30))
def test_allocate_sums_exactly_and_stays_within_one_unit_of_the_exact_share(
    total: int, weights: list[int]
) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert parts == allocate(total, weights)
    used = weights if any(weights) else [1] * len(weights)
    for part, weight in zip(parts, used, strict=True):
        assert abs(Decimal(part) - Decimal(total) * weight / sum(used)) < 1


@pytest.mark.parametrize(
    ("amount", "code", "text"),
    [
        (123450, "EUR", "1,234.50 EUR"),
        (-5, "CHF", "-0.05 CHF"),
        (1200, "JPY", "1,200 JPY"),
        (1, "KWD", "0.001 KWD"),
        (0, "GBP", "0.00 GBP"),
    ],
)
def test_format_money(amount: int, code: str, text: str) -> None:
    assert format_money(amount, CURRENCIES[code]) == text


def test_to_minor_is_exact_and_refuses_extra_decimals() -> None:
    assert to_minor("12.50", EUR) == 1250
    assert to_minor(Decimal("12.5"), EUR) == 1250
    assert to_minor(12, EUR) == 1200
    assert to_minor("1200", JPY) == 1200
    assert to_minor("1.234", KWD) == 1234
    with pytest.raises(ValidationError, match="EUR has 2 decimal places"):
        to_minor("1.005", EUR)
    with pytest.raises(ValidationError, match="not an amount"):
        to_minor("twelve", EUR)
    with pytest.raises(ValidationError, match="not an amount"):
        to_minor("Infinity", EUR)


def test_percent_text_drops_trailing_zeros() -> None:
    assert percent_text(Decimal("20")) == "20 %"
    assert percent_text(Decimal("12.50")) == "12.5 %"
    assert percent_text(Decimal("100")) == "100 %"
