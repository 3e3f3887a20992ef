"""Tax on a bill: once per rate on the total at that rate, then shared out to its lines.

See docs/PRICING.md, "Where rounding happens": rounding the tax once per rate on the bill
(not per line) is what VAT receipts show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.domain.money import TaxMode, allocate, tax_from_gross, tax_on_net


@dataclass(frozen=True, slots=True)
class TaxLine:
    """Tax at one rate over the whole tab. ``base_minor`` excludes the tax."""

    rate: Decimal
    base_minor: int
    tax_minor: int

    @property
    def gross_minor(self) -> int:
        return self.base_minor + self.tax_minor


def taxes_by_rate(
    rates: Sequence[Decimal], nets: Sequence[int], mode: TaxMode
) -> tuple[list[int], tuple[TaxLine, ...]]:
    """Tax per rate on the tab's total at that rate, then shared out to the lines."""
    by_rate: dict[Decimal, list[int]] = {}
    for index, rate in enumerate(rates):
        by_rate.setdefault(rate, []).append(index)
    line_tax = [0] * len(nets)
    taxes: list[TaxLine] = []
    for rate in sorted(by_rate):
        indexes = by_rate[rate]
        weights = [nets[i] for i in indexes] if len(indexes) < len(nets) else list(nets)
        amount = sum(weights)
        if mode is TaxMode.INCLUDED:
            tax = tax_from_gross(amount, rate)
            base = amount - tax
        else:
            tax = tax_on_net(amount, rate)
            base = amount
        if len(indexes) == len(nets):
            line_tax = _share_out(tax, weights, amount)
        else:
            for index, part in zip(indexes, _share_out(tax, weights, amount), strict=True):
                line_tax[index] = part
        taxes.append(TaxLine(rate, base, tax))
    return line_tax, tuple(taxes)


def _share_out(total: int, weights: list[int], whole: int) -> list[int]:
    """``money.allocate(total, weights)`` for a total and weights of at least 0 summing to
    ``whole``, the case of a rate's tax over its lines, with less work per line."""
    if not whole:
        return allocate(total, weights)
    parts = [total * weight // whole for weight in weights]
    left = total - sum(parts)
    if left:
        remainders = [total * weight % whole for weight in weights]
        # A reversed sort is still stable: equal remainders keep their order, earlier first.
        for index in sorted(range(len(parts)), key=remainders.__getitem__, reverse=True)[:left]:
            parts[index] += 1
    return parts
