"""The venue's settings for tabs: currency, taxes, time zone, points and tiers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.domain.ledger import RedemptionRate
from app.domain.loyalty import TierLadder
from app.domain.money import Currency, TaxMode, currency
from app.domain.promotions import Composition


@dataclass(frozen=True)
class TabSettings:
    """What every tab on this terminal is priced and paid under.

    Head office will own these (issue 6); until then they come from the terminal's
    settings (see app.bootstrap).
    """

    terminal: str = "Till 1"
    currency: Currency = field(default_factory=lambda: currency("EUR"))
    tax_mode: TaxMode = TaxMode.INCLUDED
    time_zone: str = "Europe/London"
    redemption: RedemptionRate = field(
        default_factory=lambda: RedemptionRate(points=100, value_minor=1000)
    )
    tiers: TierLadder = field(default_factory=TierLadder)
    venue_composition: Composition = Composition.BEST_OF
    venue_max_percent: Decimal | None = None
    print_guest_check_on_request: bool = True
    receipt_on_close: bool = True
    # What an enrolled till may let guests spend from their accounts between syncs with
    # head office (docs/SYNC.md, "the offline cap"); a standalone venue has no cap.
    offline_points_allowance: int = 500
    offline_purse_allowance_minor: int = 5000

    def local(self, at: datetime) -> datetime:
        """``at`` on the venue's clock: validity windows and birthdays are read there."""
        return at.astimezone(ZoneInfo(self.time_zone))
