"""Fixtures shared by the record screens' tests: a small store, scripted prompts, the directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.ui.directory_window import DirectoryWindow
from app.ui.tasks import TaskRunner
from tests.ui import AnsweringPrompts, UiStore, retire, ui_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[UiStore]:
    with ui_store(tmp_path / "store.db", customers=3) as store:
        yield store


@pytest.fixture
def prompts() -> AnsweringPrompts:
    return AnsweringPrompts()


@pytest.fixture
def window(qtbot: QtBot, store: UiStore, prompts: AnsweringPrompts) -> Iterator[DirectoryWindow]:
    runner = TaskRunner(store.worker)
    screen = DirectoryWindow(store.context(runner), prompts)
    qtbot.addWidget(screen)
    screen.show()
    with qtbot.waitSignal(screen.model.sig_page_loaded, timeout=5000):
        screen.start()
    qtbot.waitUntil(lambda: runner.pending() == 0)
    yield screen
    retire(qtbot, screen, runner)
