"""Enrolling the terminal from its screen: fields checked as they are typed, the call to
head office off the UI thread, and why it failed in words."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from app.domain.hlc import HybridClock
from app.sync.credentials import SERVICE, TerminalCredentials
from app.sync.link import SyncLink
from app.sync.status import SyncPhase
from app.ui.head_office_dialog import HeadOfficeContext, HeadOfficeDialog
from tests.support.headoffice_server import running_headoffice, sqlite_url
from tests.sync import answers
from tests.sync.canned_server import Canned, CannedHeadOffice, canned_head_office
from tests.sync.keyrings import MemoryKeyring
from tests.sync.memory_store import MemorySyncStore


@pytest.fixture
def ring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def link(ring: MemoryKeyring) -> Iterator[SyncLink]:
    sync = SyncLink(MemorySyncStore(), TerminalCredentials(ring), HybridClock("n"))
    yield sync
    assert sync.stop()


def dialog_for(qtbot: QtBot, link: SyncLink, url: str = "", name: str = "") -> HeadOfficeDialog:
    dialog = HeadOfficeDialog(HeadOfficeContext(link.enrol, url, name))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def type_into(qtbot: QtBot, field: object, text: str) -> None:
    field.selectAll()  # type: ignore[attr-defined]
    qtbot.keyClicks(field, text)  # type: ignore[arg-type]


def test_fields_are_checked_as_they_are_typed(qtbot: QtBot, link: SyncLink) -> None:
    dialog = dialog_for(qtbot, link, name="Till 1")
    assert not dialog.enrol_button.isEnabled()
    assert not dialog.hints[dialog.url].isVisible()  # nothing said before typing

    type_into(qtbot, dialog.url, "office.example.com")
    assert dialog.hints[dialog.url].isVisible()
    assert "must start with https://" in dialog.hints[dialog.url].text()
    assert "must start with https://" in dialog.url.accessibleDescription()

    type_into(qtbot, dialog.url, "https://office.example.com")
    assert not dialog.hints[dialog.url].isVisible()
    type_into(qtbot, dialog.code, "AB")
    assert "4 to 64 characters" in dialog.hints[dialog.code].text()
    assert not dialog.enrol_button.isEnabled()
    type_into(qtbot, dialog.code, "K7QM-3XPR-9TWD")
    assert dialog.enrol_button.isEnabled()
    type_into(qtbot, dialog.name, " ")
    assert "Give this terminal a name" in dialog.hints[dialog.name].text()
    assert not dialog.enrol_button.isEnabled()


def test_plain_http_to_another_machine_is_allowed_with_a_warning(
    qtbot: QtBot, link: SyncLink
) -> None:
    dialog = dialog_for(qtbot, link, url="http://10.0.0.5:8080", name="Till 1")
    type_into(qtbot, dialog.code, "K7QM-3XPR-9TWD")
    assert dialog.enrol_button.isEnabled()
    assert "travels unencrypted" in dialog.hints[dialog.url].text()
    type_into(qtbot, dialog.url, "http://127.0.0.1:8080")
    assert not dialog.hints[dialog.url].isVisible()


@pytest.fixture
def office() -> Iterator[CannedHeadOffice]:
    with canned_head_office() as server:
        yield server


def test_a_refused_code_is_explained_and_the_form_stays_open(
    qtbot: QtBot, link: SyncLink, office: CannedHeadOffice, ring: MemoryKeyring
) -> None:
    said = "This code was already used; ask head office for a new one."
    office.answer("/v1/enrol", Canned(403, answers.error("enrolment_refused", said)))
    dialog = dialog_for(qtbot, link, url=office.url, name="Till 2")
    type_into(qtbot, dialog.code, "K7QM-3XPR-9TWD")
    dialog.submit()
    assert not dialog.enrol_button.isEnabled() and dialog.code.isReadOnly()
    qtbot.waitUntil(lambda: not dialog.code.isReadOnly(), timeout=20000)
    assert dialog.message.text() == f"Head office refused the enrolment code: {said}"
    assert dialog.isVisible() and dialog.enrol_button.isEnabled()
    assert ring.store == {}


def test_head_office_out_of_reach_is_explained(qtbot: QtBot, link: SyncLink) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    dialog = dialog_for(qtbot, link, url=url, name="Till 2")
    type_into(qtbot, dialog.code, "K7QM-3XPR-9TWD")
    dialog.enrol_button.click()
    qtbot.waitUntil(lambda: dialog.message.text().endswith("connection refused"), timeout=20000)
    assert dialog.message.text() == f"Head office at {url} is not reachable: connection refused"


def test_enrolling_with_the_real_head_office_closes_the_dialog_and_starts_sync(
    qtbot: QtBot, link: SyncLink, ring: MemoryKeyring, tmp_path: Path
) -> None:
    with running_headoffice(sqlite_url(tmp_path / "ho.db"), tmp_path / "ho") as ho:
        code = ho.enrolment_code("Bar till")
        dialog = dialog_for(qtbot, link, url=ho.base_url, name="Bar till")
        type_into(qtbot, dialog.code, code)
        with qtbot.waitSignal(dialog.sig_enrolled, timeout=30000) as enrolled:
            dialog.enrol_button.click()
        assert enrolled.args == ["Bar till", ho.base_url]
        assert dialog.result() == QDialog.DialogCode.Accepted
        assert ring.store[(SERVICE, ho.base_url)].count(".") == 1
        qtbot.waitUntil(lambda: link.status.state is not SyncPhase.NOT_ENROLLED, timeout=30000)
        assert link.running
