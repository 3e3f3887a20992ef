"""How the screens show money, times and phone numbers for the venue's locale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from babel.dates import format_datetime
from babel.numbers import format_currency, get_currency_precision

from app.services.contacts import display_phone


@dataclass(frozen=True, slots=True)
class DisplayFormats:
    """The venue's locale and currency, as the UI renders them."""

    locale: str = "en_GB"
    currency: str = "GBP"

    def money(self, minor_units: int) -> str:
        """``123456`` as ``£1,234.56``: integer minor units, never a float on the way."""
        amount = Decimal(minor_units).scaleb(-get_currency_precision(self.currency))
        return format_currency(amount, self.currency, locale=self.locale)

    def local_time(self, moment: datetime | None) -> str:
        """A UTC moment in the machine's local time, in the venue's short form."""
        if moment is None:
            return ""
        if moment.tzinfo is None:  # SQLite hands back naive datetimes; they are stored as UTC
            moment = moment.replace(tzinfo=UTC)
        return format_datetime(moment.astimezone(), "d MMM yyyy, HH:mm", locale=self.locale)

    def local_date(self, moment: datetime | None) -> str:
        """The local calendar day of a UTC moment, e.g. ``3 Mar 2024``."""
        if moment is None:
            return ""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return format_datetime(moment.astimezone(), "d MMM yyyy", locale=self.locale)

    @staticmethod
    def phone(e164: str | None) -> str:
        return display_phone(e164) if e164 else ""
