"""The terminal's token lives in the OS keyring, under tabkeeper-sync and head office's
URL; without a usable keyring sync stays off and says why."""

from __future__ import annotations

import pytest
from keyring.backends import fail

from app.sync.credentials import SERVICE, TerminalCredentials, bearer_token
from app.sync.errors import CredentialsUnavailableError
from tests.sync.keyrings import LockedKeyring, MemoryKeyring

URL = "https://office.example.com"
TERMINAL = "01900000-0000-7000-8000-00000000000a"


def test_the_token_is_kept_under_the_head_office_url() -> None:
    ring = MemoryKeyring()
    credentials = TerminalCredentials(ring)
    assert credentials.load(URL) is None
    credentials.save(URL, f"{TERMINAL}.secret")
    assert ring.store == {(SERVICE, URL): f"{TERMINAL}.secret"}
    assert credentials.load(URL) == f"{TERMINAL}.secret"
    assert credentials.load("https://other.example.com") is None
    credentials.forget(URL)
    credentials.forget(URL)  # forgetting twice is fine
    assert credentials.load(URL) is None


def test_no_keyring_means_no_sync_with_a_reason() -> None:
    credentials = TerminalCredentials(fail.Keyring())
    with pytest.raises(CredentialsUnavailableError, match="No OS keyring is available"):
        credentials.check_usable()
    with pytest.raises(CredentialsUnavailableError, match="sync stays off"):
        credentials.load(URL)


def test_a_locked_keyring_says_unlock_it() -> None:
    credentials = TerminalCredentials(LockedKeyring())
    with pytest.raises(CredentialsUnavailableError, match=r"refused to give.*unlock it"):
        credentials.load(URL)
    with pytest.raises(CredentialsUnavailableError, match=r"refused to keep.*enrol again"):
        credentials.save(URL, "t")


def test_the_bearer_is_the_terminal_uuid_and_the_secret_once() -> None:
    assert bearer_token(TERMINAL, "s3cret") == f"{TERMINAL}.s3cret"
    assert bearer_token(TERMINAL, f"{TERMINAL}.s3cret") == f"{TERMINAL}.s3cret"
