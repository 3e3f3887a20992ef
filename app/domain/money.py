"""Money: currencies, tax modes and the one rounding rule (integer minor units, never float).

Every amount is an ``int`` of the currency's minor unit (cents, pence, yen, fils). Rates
are ``Decimal``. An amount derived from a rate is rounded once, half-up (half away from
zero, as ``ROUND_HALF_UP``), to the minor unit. The arithmetic is exact: a rate is turned
into an integer ratio and divided with integers, so no binary fraction ever enters.
Cash tender rounding (to 5 Rappen, to whole kronor) is a separate, later step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from app.domain.errors import ValidationError


class TaxMode(StrEnum):
    """Whether menu prices already hold the tax."""

    INCLUDED = "included"  # prices are gross, VAT style: tax is extracted from them
    ADDED = "added"  # prices are net, sales-tax style: tax is added on top


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 currency: its minor-unit exponent and the smallest cash step."""

    code: str
    exponent: int
    cash_step_minor: int = 1  # CHF pays cash to 5 Rappen, SEK to whole kronor

    def __post_init__(self) -> None:
        if len(self.code) != 3 or not self.code.isalpha() or not self.code.isupper():
            raise ValidationError.single("currency", f"“{self.code}” is not an ISO 4217 code")
        if not 0 <= self.exponent <= 4:
            raise ValidationError.single(
                "currency", f"{self.code}: the minor-unit exponent must be 0 to 4"
            )
        if self.cash_step_minor < 1:
            raise ValidationError.single(
                "currency", f"{self.code}: the cash step must be at least one minor unit"
            )

    @property
    def minor_per_major(self) -> int:
        """How many minor units make one major unit (100 for EUR, 1 for JPY)."""
        return int(10**self.exponent)


CURRENCIES: dict[str, Currency] = {
    c.code: c
    for c in (
        Currency("EUR", 2),
        Currency("GBP", 2),
        Currency("USD", 2),
        Currency("CHF", 2, cash_step_minor=5),
        Currency("JPY", 0),
        Currency("KWD", 3),
        Currency("SEK", 2, cash_step_minor=100),
    )
}


def currency(code: str) -> Currency:
    """The currency for an ISO code such as ``"EUR"``; an unknown code is refused."""
    found = CURRENCIES.get(code.strip().upper())
    if found is None:
        known = ", ".join(sorted(CURRENCIES))
        raise ValidationError.single(
            "currency", f"Currency “{code}” is not supported (known: {known})"
        )
    return found


def ratio(rate: Decimal) -> tuple[int, int]:
    """The rate as an exact ``(numerator, denominator)`` pair, denominator > 0."""
    if not rate.is_finite():
        raise ValidationError.single("rate", f"A rate must be a finite number, not {rate}")
    return rate.as_integer_ratio()


def div_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half away from zero (``ROUND_HALF_UP``)."""
    if denominator <= 0:
        raise ValueError("the denominator must be positive")
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def apply_rate(amount_minor: int, rate: Decimal) -> int:
    """``amount × rate`` rounded half-up to the minor unit (``rate`` 0.20 for 20 %)."""
    num, den = ratio(rate)
    return div_half_up(amount_minor * num, den)


def tax_on_net(net_minor: int, rate: Decimal) -> int:
    """Tax to add on a net (tax-exclusive) amount: ``net × rate``, rounded half-up."""
    _check_tax_rate(rate)
    return apply_rate(net_minor, rate)


def tax_from_gross(gross_minor: int, rate: Decimal) -> int:
    """Tax held in a gross (tax-inclusive) amount: ``gross × rate / (1 + rate)``, half-up."""
    _check_tax_rate(rate)
    num, den = ratio(rate)
    return div_half_up(gross_minor * num, den + num)


def _check_tax_rate(rate: Decimal) -> None:
    if not rate.is_finite() or rate < 0:
        raise ValidationError.single("tax_rate", f"A tax rate cannot be {rate}")


def round_cash(amount_minor: int, currency: Currency) -> int:
    """What is paid in cash: the amount half-up to the currency's cash step.

    CHF 12.47 is paid as 12.45 and 12.48 as 12.50; SEK 99.50 as 100. Only cash tender
    rounds: card, purse and points pay the exact amount.
    """
    step = currency.cash_step_minor
    if step == 1:
        return amount_minor
    return div_half_up(amount_minor, step) * step


def allocate(total_minor: int, weights: Sequence[int]) -> list[int]:
    """Split ``total_minor`` in proportion to ``weights`` so the parts sum exactly.

    Largest remainder: each part gets the floor of its exact share, then the units left
    over go one each to the largest remainders, ties to the earlier weight. All-zero
    weights split evenly. A negative total is split as its absolute value, negated.
    """
    if not weights:
        if total_minor:
            raise ValueError("cannot allocate a non-zero amount over no weights")
        return []
    if min(weights) < 0:
        raise ValueError("weights cannot be negative")
    if total_minor < 0:
        return [-part for part in allocate(-total_minor, weights)]
    whole = sum(weights)
    if not whole:
        weights, whole = [1] * len(weights), len(weights)
    parts = [total_minor * weight // whole for weight in weights]
    left = total_minor - sum(parts)
    if left:
        remainders = [total_minor * w - p * whole for w, p in zip(weights, parts, strict=True)]
        # A reversed sort is still stable: equal remainders keep their order, earlier first.
        order = sorted(range(len(parts)), key=remainders.__getitem__, reverse=True)
        for index in order[:left]:
            parts[index] += 1
    return parts


def format_money(amount_minor: int, currency: Currency) -> str:
    """Plain, locale-free text such as ``"1,234.50 EUR"``, ``"-0.05 CHF"``, ``"1,200 JPY"``."""
    sign = "-" if amount_minor < 0 else ""
    major, minor = divmod(abs(amount_minor), currency.minor_per_major)
    text = f"{major:,}"
    if currency.exponent:
        text += f".{minor:0{currency.exponent}d}"
    return f"{sign}{text} {currency.code}"


def to_minor(amount: Decimal | str | int, currency: Currency) -> int:
    """Major units (``"12.50"``, ``Decimal("12.5")``, ``12``) as exact minor units.

    More decimals than the currency has are refused, not rounded: ``"1.005"`` EUR is
    a typing mistake, not a price.
    """
    try:
        value = Decimal(amount.strip()) if isinstance(amount, str) else Decimal(amount)
    except InvalidOperation:
        raise ValidationError.single("amount", f"“{amount}” is not an amount") from None
    if not value.is_finite():
        raise ValidationError.single("amount", f"“{amount}” is not an amount")
    scaled = value.scaleb(currency.exponent)
    if scaled != scaled.to_integral_value():
        raise ValidationError.single(
            "amount",
            f"{currency.code} has {currency.exponent} decimal places; “{amount}” has more",
        )
    return int(scaled)


def percent_text(percent: Decimal) -> str:
    """A percentage without trailing zeros: ``Decimal("12.50")`` → ``"12.5 %"``."""
    return f"{percent.normalize():f} %"
