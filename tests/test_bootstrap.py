"""The bootstrap: a fresh home becomes a migrated, seeded store; --check runs headless."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.bootstrap import Settings, SignInError, Terminal, open_terminal, self_check
from app.domain.ledger import RedemptionRate
from app.domain.loyalty import TierLadder
from app.domain.money import TaxMode
from app.domain.payments import Tender
from app.domain.staff import Role
from app.domain.tabs import IdentifiedBy, TabStatus
from app.services.dto import DirectoryQuery
from app.settings import SettingsError, tab_settings
from app.store.migrate import head_revision
from app.ui.virtual_display import display_available
from tests.support.directory import FixedClock

REPO_ROOT = Path(__file__).resolve().parent.parent
SMALL = "40"


def test_settings_come_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"TABKEEPER_HOME": str(tmp_path), "TABKEEPER_DEMO_CUSTOMERS": SMALL}
    )
    assert settings.data_dir == tmp_path
    assert settings.store_path == tmp_path / "tabkeeper.db"
    assert settings.demo_customers == 40
    assert Settings.from_env({}).data_dir.name.lower() == "tabkeeper"


def test_a_fresh_home_is_created_migrated_and_seeded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = Settings.from_env({"TABKEEPER_HOME": str(home), "TABKEEPER_DEMO_CUSTOMERS": SMALL})
    terminal = open_terminal(settings)
    try:
        assert terminal.seeded
        assert terminal.actor.name == "Demo Manager"
        assert terminal.actor.role is Role.MANAGER
        facts = terminal.facts()
        assert facts.schema_revision == facts.head_revision == head_revision()
        assert facts.customers == 40
        assert facts.size_bytes > 0
        page = terminal.worker.submit(
            terminal.directory.search, terminal.actor, DirectoryQuery(limit=10)
        ).result(timeout=30)
        assert len(page.rows) == 10
        assert terminal.promotion_categories()
    finally:
        terminal.close()

    # A second start finds the store and leaves it as it is.
    again = open_terminal(settings)
    try:
        assert not again.seeded
        assert again.facts().customers == 40
    finally:
        again.close()
    assert self_check(settings).path == str(home / "tabkeeper.db")


def test_there_is_a_display_only_when_something_says_so() -> None:
    assert not display_available({}, platform="linux")
    assert display_available({"DISPLAY": ":3"}, platform="linux")
    assert display_available({"QT_QPA_PLATFORM": "offscreen"}, platform="linux")
    assert display_available({}, platform="win32")


def test_check_mode_writes_screenshots_and_a_report(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TABKEEPER_HOME": str(tmp_path),
        "TABKEEPER_DEMO_CUSTOMERS": SMALL,
        "QT_QPA_PLATFORM": "offscreen",
    }
    result = subprocess.run(
        [sys.executable, "-m", "app", "--check"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = tmp_path / "selfcheck"
    assert str(out) in result.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["ok"] is True
    assert report["store"]["customers"] == 40
    assert report["store"]["schema_revision"] == report["store"]["head_revision"]
    assert "identifiers" in report["store"]
    for name in ("01-directory.png", "02-directory-search.png", "03-customer-dialog.png"):
        shot = out / name
        assert shot.exists() and shot.stat().st_size > 5_000, name
    assert "PASSED" in (out / "report.txt").read_text()


def test_tab_settings_come_from_the_environment(tmp_path: Path) -> None:
    env = {
        "TABKEEPER_HOME": str(tmp_path),
        "TABKEEPER_TERMINAL": "Bar till",
        "TABKEEPER_CURRENCY": "CHF",
        "TABKEEPER_TAX_MODE": "added",
        "TABKEEPER_TIME_ZONE": "Europe/Zurich",
        "TABKEEPER_REDEMPTION_POINTS": "50",
        "TABKEEPER_REDEMPTION_VALUE": "2.50",
    }
    ladder = TierLadder.bronze_silver_gold(categories={"Gold": "g"})
    tabs = tab_settings(Settings.from_env(env), ladder)
    assert (tabs.terminal, tabs.currency.code, tabs.currency.cash_step_minor) == (
        "Bar till",
        "CHF",
        5,
    )
    assert (tabs.tax_mode, tabs.time_zone) == (TaxMode.ADDED, "Europe/Zurich")
    assert tabs.redemption == RedemptionRate(points=50, value_minor=250)
    assert tabs.tiers is ladder
    defaults = tab_settings(Settings.from_env({"TABKEEPER_HOME": str(tmp_path)}), ladder)
    assert (defaults.currency.code, defaults.tax_mode) == ("GBP", TaxMode.INCLUDED)
    assert defaults.redemption == RedemptionRate(points=100, value_minor=1000)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("TABKEEPER_TAX_MODE", "vat", "TABKEEPER_TAX_MODE must be one of included, added"),
        ("TABKEEPER_CURRENCY", "XYZ", "TABKEEPER_CURRENCY: Currency “XYZ” is not supported"),
        ("TABKEEPER_TIME_ZONE", "Mars/Olympus", "“Mars/Olympus” is not a time zone"),
        ("TABKEEPER_REDEMPTION_VALUE", "0", "a value above zero"),
        ("TABKEEPER_REDEMPTION_VALUE", "1.005", "GBP has 2 decimal places"),
        ("TABKEEPER_REDEMPTION_POINTS", "lots", "must be a whole number, not “lots”"),
    ],
)
def test_a_bad_tab_setting_is_refused_by_name(
    tmp_path: Path, name: str, value: str, says: str
) -> None:
    with pytest.raises(SettingsError, match=re.escape(says)):
        tab_settings(
            Settings.from_env({"TABKEEPER_HOME": str(tmp_path), name: value}), TierLadder()
        )


def _one(terminal: Terminal, sql: str, **params: object) -> Any:
    with terminal.engine.connect() as connection:
        return connection.execute(text(sql), params).one()


def test_a_demo_terminal_runs_a_tab_on_seeded_tables_and_items(tmp_path: Path) -> None:
    # A Friday at 17:30 in London (GMT in November): the bar's happy hour is on.
    clock = FixedClock(datetime(2026, 11, 27, 17, 30, tzinfo=UTC))
    settings = Settings.from_env(
        {"TABKEEPER_HOME": str(tmp_path), "TABKEEPER_DEMO_CUSTOMERS": SMALL}
    )
    terminal = open_terminal(settings, clock=clock)
    try:
        tiers = {t.name: t.category_uuid for t in terminal.tab_settings.tiers.tiers}
        for name, uuid in tiers.items():
            assert (
                _one(terminal, "SELECT name FROM promotion_categories WHERE uuid = :u", u=uuid)[0]
                == name
            )
        actor = terminal.actor
        (table,) = _one(terminal, "SELECT id FROM dining_tables WHERE number = 'B1'")
        lager, fish = (
            _one(terminal, "SELECT id FROM menu_items WHERE name = :n", n=name)[0]
            for name in ("Pint of lager", "Fish & chips")
        )
        customer, spent, visits = _one(
            terminal,
            "SELECT c.id, s.total_spent_minor, s.visits FROM customers AS c "
            "JOIN customer_stats AS s ON s.customer_id = c.id "
            "WHERE c.status = 'active' AND c.promotion_category_id IS NULL "
            "AND s.total_spent_minor < 100000 ORDER BY c.id LIMIT 1",
        )
        tab = terminal.tabs.open(
            actor, table_id=table, guests=2, customer_id=customer, identified_by=IdentifiedBy.SEARCH
        )
        assert (tab.division_name, tab.table_number, tab.tier_name) == ("Bar", "B1", "Bronze")
        terminal.tabs.add_item(actor, tab.uuid, lager, 2)
        tab = terminal.tabs.add_item(actor, tab.uuid, fish)
        # Happy hour takes 20 % off the beer; the Bronze tier earns a point a pound.
        assert [(ln.gross_minor, ln.discount_minor) for ln in tab.lines] == [(1300, 260), (1650, 0)]
        assert (tab.total_minor, tab.points_to_earn) == (2690, 10 + 16)
        terminal.tabs.send_order(actor, tab.uuid)
        closed = terminal.checkout.pay_and_close(actor, tab.uuid, [Tender.in_cash(3000)])
        assert (closed.status, closed.paid_minor, closed.change_minor) == (
            TabStatus.CLOSED,
            2690,
            310,
        )
        assert _one(
            terminal,
            "SELECT visits, total_spent_minor FROM customer_stats WHERE customer_id = :c",
            c=customer,
        ) == (visits + 1, spent + 2690)
        assert _one(
            terminal,
            "SELECT amount FROM ledger_entries WHERE tab_uuid = :t AND kind = 'earn'",
            t=tab.uuid,
        ) == (26,)
        assert _one(terminal, "SELECT kind FROM print_jobs WHERE tab_uuid = :t", t=tab.uuid) == (
            "receipt",
        )
        assert terminal.accounts is not None
    finally:
        terminal.close()


def test_a_terminal_that_is_not_a_demo_leaves_an_empty_store_empty(tmp_path: Path) -> None:
    settings = Settings.from_env({"TABKEEPER_HOME": str(tmp_path), "TABKEEPER_DEMO": "no"})
    assert not settings.demo
    with pytest.raises(SignInError):
        open_terminal(settings)
