"""Enrolment refuses what cannot work before spending the code, and says why in words.

Error paths against a small real HTTP server on loopback; enrolling for real is in
test_against_head_office.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from keyring.backends import fail

from app.domain.hlc import HybridClock
from app.sync.credentials import TerminalCredentials
from app.sync.enrolment import check_code, check_terminal_name, enrol_terminal
from app.sync.errors import CredentialsUnavailableError, EnrolmentRefusedError, SetupError
from app.sync.link import SyncLink
from app.sync.status import SyncPhase
from tests.sync import answers
from tests.sync.canned_server import Canned, CannedHeadOffice, canned_head_office
from tests.sync.keyrings import LockedKeyring, MemoryKeyring
from tests.sync.memory_store import MemorySyncStore
from tests.sync.status_log import StatusLog


@pytest.fixture
def office() -> Iterator[CannedHeadOffice]:
    with canned_head_office() as server:
        yield server


@pytest.mark.parametrize(
    ("url", "code", "name", "words"),
    [
        ("office", "ABCD-EFGH", "Till 2", "must start with https://"),
        ("https://office.example.com", "AB", "Till 2", "4 to 64 characters"),
        ("https://office.example.com", "  ", "Till 2", "Enter the enrolment code"),
        ("https://office.example.com", "ABCD-EFGH", "   ", "Give this terminal a name"),
        ("https://office.example.com", "ABCD-EFGH", "x" * 81, "at most 80 characters"),
    ],
)
def test_bad_input_is_refused_before_anything_is_sent(
    office: CannedHeadOffice, url: str, code: str, name: str, words: str
) -> None:
    store = MemorySyncStore()
    with pytest.raises(SetupError, match=words):
        enrol_terminal(store, TerminalCredentials(MemoryKeyring()), url, code, name)
    assert store.state().server_url == ""


def test_codes_and_names_are_tidied() -> None:
    assert check_code(" k7qm 3xpr-9twd ") == "k7qm3xpr-9twd"
    assert check_terminal_name("  Till   2 ") == "Till 2"


def test_without_a_keyring_the_code_is_not_spent(office: CannedHeadOffice) -> None:
    with pytest.raises(CredentialsUnavailableError, match="No OS keyring"):
        enrol_terminal(
            MemorySyncStore(), TerminalCredentials(fail.Keyring()), office.url, "ABCD-EFGH", "T"
        )
    assert office.seen == []


def test_a_refused_code_changes_nothing(office: CannedHeadOffice) -> None:
    store = MemorySyncStore()
    ring = MemoryKeyring()
    message = "This enrolment code has expired; ask head office for a new one."
    office.answer("/v1/enrol", Canned(403, answers.error("enrolment_refused", message)))
    with pytest.raises(EnrolmentRefusedError, match="has expired"):
        enrol_terminal(store, TerminalCredentials(ring), office.url, "ABCD-EFGH", "Till 2")
    assert ring.store == {} and store.state().server_url == ""
    assert office.seen[0].json() == {"code": "ABCD-EFGH", "terminal_name": "Till 2"}


def test_a_keyring_that_refuses_after_the_code_is_spent_says_to_ask_for_another(
    office: CannedHeadOffice,
) -> None:
    class LocksAfterCheck(LockedKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            return None

    office.answer("/v1/enrol", Canned(body=answers.enrolled()))
    store = MemorySyncStore()
    with pytest.raises(CredentialsUnavailableError, match="ask it for a new one"):
        enrol_terminal(
            store, TerminalCredentials(LocksAfterCheck()), office.url, "ABCD-EFGH", "Till 2"
        )
    assert store.state().server_url == ""


def test_a_terminal_not_enrolled_runs_no_worker_and_says_why() -> None:
    store = MemorySyncStore()
    store.write()
    link = SyncLink(store, TerminalCredentials(MemoryKeyring()), HybridClock("n"))
    log = StatusLog()
    link.add_listener(log)
    status = link.start()
    assert not link.running
    assert status.state is SyncPhase.NOT_ENROLLED and status.pending == 1
    assert "python -m app sync enrol" in status.last_error
    assert log.latest == status
    assert link.stop()


def test_a_store_naming_head_office_without_a_token_is_not_enrolled(
    office: CannedHeadOffice,
) -> None:
    store = MemorySyncStore()
    store.state_ = store.state_.__class__(node="n", server_url=office.url)
    link = SyncLink(store, TerminalCredentials(MemoryKeyring()), HybridClock("n"))
    status = link.start()
    assert status.state is SyncPhase.NOT_ENROLLED and not link.running
    assert f"no credentials for head office at {office.url}" in status.last_error


def test_no_keyring_keeps_sync_off_with_the_reason(office: CannedHeadOffice) -> None:
    store = MemorySyncStore()
    store.state_ = store.state_.__class__(node="n", server_url=office.url)
    link = SyncLink(store, TerminalCredentials(fail.Keyring()), HybridClock("n"))
    status = link.start()
    assert status.state is SyncPhase.ERROR and not link.running
    assert status.last_error.startswith("No OS keyring is available")


def test_enrolling_through_the_link_runs_off_the_callers_thread(
    office: CannedHeadOffice,
) -> None:
    message = "This code was already used; ask head office for a new one."
    office.answer("/v1/enrol", Canned(403, answers.error("enrolment_refused", message)))
    link = SyncLink(MemorySyncStore(), TerminalCredentials(MemoryKeyring()), HybridClock("n"))
    future = link.enrol(office.url, "ABCD-EFGH", "Till 2")
    with pytest.raises(EnrolmentRefusedError, match="already used"):
        future.result(timeout=20)
    assert not link.running and len(office.seen) == 1


def test_sync_now_picks_up_an_enrolment_made_from_the_command_line(
    office: CannedHeadOffice,
) -> None:
    store = MemorySyncStore()
    ring = MemoryKeyring()
    link = SyncLink(store, TerminalCredentials(ring), HybridClock("n"))
    log = StatusLog()
    link.add_listener(log)
    assert link.start().state is SyncPhase.NOT_ENROLLED

    # What `python -m app sync enrol` leaves behind, in another process:
    store.state_ = store.state_.__class__(node="n", server_url=office.url, cursor="v1:6:max")
    TerminalCredentials(ring).save(office.url, f"{answers.TERMINAL}.s")
    office.answer("/v1/pull", Canned(body=answers.pulled()))
    link.sync_now()
    log.wait_for(lambda s: s.state is SyncPhase.IDLE and s.online, "synced")
    assert link.running and office.requests_to("/v1/pull")
    assert link.stop()
