"""How sync is wired into the terminal: its hybrid clock stamps what the services write,
the headless terminal never loads Qt, and the main window shows sync and offers
enrolment."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.bootstrap import directory_context, head_office_context, sync_indicator
from app.domain.hlc import parse_stamp
from app.services.customer_form import CustomerForm
from app.settings import Settings
from app.sync.credentials import TerminalCredentials
from app.sync.status import SyncPhase
from app.ui.main_window import MainWindow
from app.ui.tasks import TaskRunner
from app.wiring.sync import open_sync
from app.wiring.terminal import Terminal, open_terminal
from tests.support.headoffice_server import REPO_ROOT
from tests.sync.keyrings import MemoryKeyring


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    env = {
        "TABKEEPER_HOME": str(tmp_path),
        "TABKEEPER_DEMO_CUSTOMERS": "20",
        "TABKEEPER_TERMINAL": "Till 4",
        "TABKEEPER_HEAD_OFFICE_URL": "https://office.example.com",
    }
    opened = open_terminal(Settings.from_env(env))
    yield opened
    opened.close()


def test_the_services_stamp_edits_with_the_terminals_clock(terminal: Terminal) -> None:
    node = terminal.sync_store.state().node
    assert terminal.hlc.node == node
    terminal.directory.create(terminal.actor, CustomerForm(first_name="Ada", last_name="Byron"))
    (op,) = terminal.sync_store.pending(10)
    assert op.kind == "customer.upsert"
    assert parse_stamp(op.hlc).node == node


def test_the_headless_wiring_and_the_sync_commands_load_no_qt() -> None:
    probe = (
        "import sys, app.wiring.sync, app.wiring.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_main_window_shows_sync_and_offers_enrolment_to_managers(
    qtbot: QtBot, terminal: Terminal
) -> None:
    sync = open_sync(terminal, credentials=TerminalCredentials(MemoryKeyring()))
    runner = TaskRunner(terminal.worker)
    window = MainWindow(
        directory_context(terminal, runner),
        venue_name="Test",
        store_label="test.db",
        sync_status=sync_indicator(sync, terminal.settings),
        head_office=head_office_context(sync, terminal),
    )
    qtbot.addWidget(window)
    try:
        assert sync.start().state is SyncPhase.NOT_ENROLLED and not sync.running
        indicator = window.sync_status
        assert indicator is not None and indicator.parent() is not None
        qtbot.waitUntil(lambda: "Not connected" in indicator.summary.text(), timeout=5000)
        assert window.head_office_action.isEnabled()
        dialog = window.open_head_office()
        assert dialog is not None
        assert dialog.url.text() == "https://office.example.com"
        assert dialog.name.text() == "Till 4"
        dialog.close()
    finally:
        window.close()
        qtbot.waitUntil(lambda: runner.pending() == 0, timeout=5000)
        assert sync.stop()
