"""Identification by bank card is off unless the venue turns it on, and needs the keyring."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from app.bootstrap import bank_card_key
from app.settings import Settings
from tests.devices.test_pan_key import MemoryKeyring


def test_off_by_default_and_no_keyring_is_touched(tmp_path: Path) -> None:
    settings = Settings.from_env({"TABKEEPER_HOME": str(tmp_path)})
    assert settings.identify_by_bank_card is False
    assert bank_card_key(settings) is None


def test_turned_on_the_key_comes_from_the_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ring = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: ring)
    env = {"TABKEEPER_HOME": str(tmp_path), "TABKEEPER_IDENTIFY_BY_BANK_CARD": "1"}
    key = bank_card_key(Settings.from_env(env))
    assert key is not None and len(key) == 32
    assert bank_card_key(Settings.from_env(env)) == key
    assert not any(tmp_path.rglob("*"))  # nothing written beside the store


def test_turned_on_without_a_keyring_stays_off_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    env = {"TABKEEPER_HOME": str(tmp_path), "TABKEEPER_IDENTIFY_BY_BANK_CARD": "yes"}
    assert bank_card_key(Settings.from_env(env)) is None
    assert "Bank-card identification is off: No OS keyring is available" in caplog.text
