"""The bootstrap: a fresh home becomes a migrated, seeded store; --check runs headless."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app.bootstrap import Settings, open_terminal, self_check
from app.domain.staff import Role
from app.services.dto import DirectoryQuery
from app.store.migrate import head_revision
from app.ui.virtual_display import display_available

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
