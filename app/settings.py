"""The terminal's settings, declared once with their types and defaults.

Read from TABKEEPER_* environment variables (tests and kiosks use these) by
:meth:`Settings.from_env`, which refuses a bad value with a message naming its variable;
:func:`tab_settings` turns the tab-related ones into the services' :class:`TabSettings`.
Only the wiring (app.bootstrap, app.wiring) uses this module.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platformdirs import user_data_dir

from app.domain.errors import DomainError
from app.domain.ledger import RedemptionRate
from app.domain.loyalty import TierLadder
from app.domain.money import TaxMode, currency, to_minor
from app.services.tab_settings import TabSettings
from app.sync.client import check_head_office_url
from app.sync.errors import SetupError

STORE_FILE = "tabkeeper.db"
_NO = ("0", "false", "no", "off")


class SettingsError(RuntimeError):
    """A setting the terminal cannot run with; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting the terminal reads, with its type and default."""

    data_dir: Path
    venue_name: str = "Demo Bistro"
    locale: str = "en_GB"
    currency: str = "GBP"
    default_region: str = "GB"
    terminal: str = "Till 1"  # on tabs, ledger entries and receipts
    tax_mode: str = "included"  # menu prices hold the tax (VAT); "added": sales tax on top
    time_zone: str = "Europe/London"  # the venue's clock: happy hours, birthdays
    redemption_points: int = 100  # this many points...
    redemption_value: str = "10.00"  # ...are worth this much, in the currency
    identify_by_bank_card: bool = False  # a keyed hash of a bank card may find a regular
    demo: bool = True  # seed an empty store, and complete an older demo store
    demo_customers: int = 2000  # seeded into an empty store on first run
    demo_seed: int = 7
    # Sync with head office (docs/SYNC.md). Enrolment keeps head office's URL in the
    # store; this one is used until then, or when the store names none.
    head_office_url: str = ""
    sync_interval_s: float = 30.0  # how often the worker syncs when nothing else asks
    head_office_ca_file: Path | None = None  # a private CA's certificate (PEM)
    # What an enrolled till may redeem between two syncs (docs/SYNC.md, the offline cap).
    offline_points_allowance: int = 500
    offline_purse_allowance_minor: int = 5000

    @property
    def store_path(self) -> Path:
        return self.data_dir / STORE_FILE

    @property
    def selfcheck_dir(self) -> Path:
        return self.data_dir / "selfcheck"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Defaults, overridden by TABKEEPER_* variables."""
        home = env.get("TABKEEPER_HOME") or user_data_dir("Tabkeeper", appauthor=False)
        d = cls(Path(home))
        return cls(
            data_dir=Path(home).expanduser(),
            venue_name=env.get("TABKEEPER_VENUE", d.venue_name),
            locale=env.get("TABKEEPER_LOCALE", d.locale),
            currency=env.get("TABKEEPER_CURRENCY", d.currency),
            default_region=env.get("TABKEEPER_REGION", d.default_region),
            terminal=env.get("TABKEEPER_TERMINAL", d.terminal),
            tax_mode=env.get("TABKEEPER_TAX_MODE", d.tax_mode),
            time_zone=env.get("TABKEEPER_TIME_ZONE", d.time_zone),
            redemption_points=_number(env, "TABKEEPER_REDEMPTION_POINTS", d.redemption_points),
            redemption_value=env.get("TABKEEPER_REDEMPTION_VALUE", d.redemption_value),
            identify_by_bank_card=env.get("TABKEEPER_IDENTIFY_BY_BANK_CARD", "0").strip().lower()
            not in _NO,
            demo=env.get("TABKEEPER_DEMO", "1").strip().lower() not in _NO,
            demo_customers=_number(env, "TABKEEPER_DEMO_CUSTOMERS", d.demo_customers),
            head_office_url=_url(env, "TABKEEPER_HEAD_OFFICE_URL"),
            sync_interval_s=_seconds(env, "TABKEEPER_SYNC_INTERVAL_S", d.sync_interval_s),
            head_office_ca_file=_path(env, "TABKEEPER_HEAD_OFFICE_CA_FILE"),
            offline_points_allowance=_allowance(
                env, "TABKEEPER_OFFLINE_POINTS_ALLOWANCE", d.offline_points_allowance
            ),
            offline_purse_allowance_minor=_allowance(
                env, "TABKEEPER_OFFLINE_PURSE_ALLOWANCE_MINOR", d.offline_purse_allowance_minor
            ),
        )


def _number(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not “{text}”") from None


def _allowance(env: Mapping[str, str], name: str, default: int) -> int:
    value = _number(env, name, default)
    if value < 0:
        raise SettingsError(f"{name} must be 0 or more, not {value}")
    return value


MIN_SYNC_INTERVAL_S = 1.0
MAX_SYNC_INTERVAL_S = 24 * 3600.0


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(
            f"{name} must be a number of seconds, such as 30, not “{text}”"
        ) from None
    if not MIN_SYNC_INTERVAL_S <= value <= MAX_SYNC_INTERVAL_S:  # also refuses nan and inf
        raise SettingsError(
            f"{name} must be between {MIN_SYNC_INTERVAL_S:g} and {MAX_SYNC_INTERVAL_S:g} "
            f"seconds, not {text}"
        )
    return value


def _url(env: Mapping[str, str], name: str) -> str:
    text = env.get(name, "").strip()
    if not text:
        return ""
    try:
        return check_head_office_url(text)
    except SetupError as error:
        raise SettingsError(f"{name}: {error}") from None


def _path(env: Mapping[str, str], name: str) -> Path | None:
    text = env.get(name, "").strip()
    return Path(text).expanduser() if text else None


def tab_settings(settings: Settings, tiers: TierLadder) -> TabSettings:
    """What tabs are priced and paid under on this terminal."""
    try:
        money = currency(settings.currency)
    except DomainError as error:
        raise SettingsError(f"TABKEEPER_CURRENCY: {error}") from None
    modes = ", ".join(m.value for m in TaxMode)
    try:
        mode = TaxMode(settings.tax_mode.strip().lower())
    except ValueError:
        raise SettingsError(
            f"TABKEEPER_TAX_MODE must be one of {modes}, not “{settings.tax_mode}”"
        ) from None
    try:
        ZoneInfo(settings.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"TABKEEPER_TIME_ZONE: “{settings.time_zone}” is not a time zone "
            "(such as Europe/London)"
        ) from None
    try:
        value = to_minor(settings.redemption_value, money)
        rate = RedemptionRate(points=settings.redemption_points, value_minor=value)
    except DomainError as error:
        raise SettingsError(
            f"TABKEEPER_REDEMPTION_POINTS / TABKEEPER_REDEMPTION_VALUE: {error}"
        ) from None
    return TabSettings(
        terminal=settings.terminal,
        currency=money,
        tax_mode=mode,
        time_zone=settings.time_zone,
        redemption=rate,
        tiers=tiers,
        offline_points_allowance=settings.offline_points_allowance,
        offline_purse_allowance_minor=settings.offline_purse_allowance_minor,
    )
