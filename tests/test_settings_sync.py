"""The sync settings come from the environment; a bad value is refused naming its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.loyalty import TierLadder
from app.settings import Settings, SettingsError, tab_settings


def settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"TABKEEPER_HOME": str(tmp_path), **env})


def test_defaults_leave_sync_to_enrolment(tmp_path: Path) -> None:
    plain = settings(tmp_path)
    assert plain.head_office_url == ""
    assert plain.sync_interval_s == 30.0
    assert plain.head_office_ca_file is None
    assert (plain.offline_points_allowance, plain.offline_purse_allowance_minor) == (500, 5000)
    tabs = tab_settings(plain, TierLadder.bronze_silver_gold())
    assert (tabs.offline_points_allowance, tabs.offline_purse_allowance_minor) == (500, 5000)


def test_sync_settings_are_read(tmp_path: Path) -> None:
    read = settings(
        tmp_path,
        TABKEEPER_HEAD_OFFICE_URL=" https://office.example.com/ ",
        TABKEEPER_SYNC_INTERVAL_S="12.5",
        TABKEEPER_HEAD_OFFICE_CA_FILE="~/ca.pem",
        TABKEEPER_OFFLINE_POINTS_ALLOWANCE="120",
        TABKEEPER_OFFLINE_PURSE_ALLOWANCE_MINOR="2000",
    )
    assert read.head_office_url == "https://office.example.com"
    assert read.sync_interval_s == 12.5
    assert read.head_office_ca_file == Path("~/ca.pem").expanduser()
    assert (read.offline_points_allowance, read.offline_purse_allowance_minor) == (120, 2000)


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("TABKEEPER_HEAD_OFFICE_URL", "office.example.com", "must start with https://"),
        ("TABKEEPER_SYNC_INTERVAL_S", "soon", "a number of seconds, such as 30, not “soon”"),
        ("TABKEEPER_SYNC_INTERVAL_S", "0", "between 1 and 86400 seconds, not 0"),
        ("TABKEEPER_SYNC_INTERVAL_S", "nan", "between 1 and 86400 seconds"),
        ("TABKEEPER_OFFLINE_POINTS_ALLOWANCE", "lots", "whole number, not “lots”"),
        ("TABKEEPER_OFFLINE_PURSE_ALLOWANCE_MINOR", "-5", "0 or more, not -5"),
    ],
)
def test_a_bad_value_names_its_variable(
    tmp_path: Path, variable: str, value: str, words: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        settings(tmp_path, **{variable: value})
    assert str(caught.value).startswith(variable)
    assert words in str(caught.value)
