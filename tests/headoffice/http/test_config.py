"""Head office's settings: file, environment, defaults, and one clear line when wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from headoffice.config import ConfigError, load_settings
from tests.support.headoffice_server import REPO_ROOT


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_a_local_sqlite_file_on_loopback() -> None:
    settings = load_settings(None, {})

    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("headoffice.db")
    assert (settings.host, settings.port) == ("127.0.0.1", 8470)
    assert settings.tombstone_retention_days == 30
    assert settings.max_clock_skew_s == 300
    assert settings.tls_cert is None and settings.base_url == "http://127.0.0.1:8470"


def test_the_environment_beats_the_file(tmp_path: Path) -> None:
    config = write(
        tmp_path / "ho.toml",
        '[headoffice]\nport = 9000\nhost = "0.0.0.0"\ndatabase_url = "sqlite:///a.db"\n',
    )

    settings = load_settings(
        config,
        {"TABKEEPER_HO_PORT": "9100", "TABKEEPER_HO_TOMBSTONE_RETENTION_DAYS": "7"},
    )

    assert (settings.host, settings.port) == ("0.0.0.0", 9100)
    assert settings.tombstone_retention_days == 7
    assert settings.database_url == "sqlite:///a.db"


def test_postgresql_urls_get_the_psycopg_driver() -> None:
    for given in ("postgresql://ho@db/ho", "postgres://ho@db/ho"):
        url = load_settings(None, {"TABKEEPER_HO_DATABASE_URL": given}).database_url
        assert url == "postgresql+psycopg://ho@db/ho"


def test_tls_takes_a_certificate_and_its_key(tmp_path: Path) -> None:
    cert = write(tmp_path / "ho.crt", "x")
    key = write(tmp_path / "ho.key", "x")

    settings = load_settings(
        None, {"TABKEEPER_HO_TLS_CERT": str(cert), "TABKEEPER_HO_TLS_KEY": str(key)}
    )

    assert settings.tls_cert == cert and settings.tls_key == key
    assert settings.base_url == "https://127.0.0.1:8470"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"TABKEEPER_HO_PORT": "eighty"}, "TABKEEPER_HO_PORT: expected a port number"),
        ({"TABKEEPER_HO_PORT": "70000"}, "from 0 to 65535"),
        ({"TABKEEPER_HO_DATABASE_URL": "mysql://x/y"}, "SQLite (sqlite:///path) or PostgreSQL"),
        ({"TABKEEPER_HO_DATABASE_URL": "sqlite:ho.db"}, "sqlite:///path/to/headoffice.db"),
        ({"TABKEEPER_HO_TLS_CERT": "/nowhere/ho.crt"}, "no such file: /nowhere/ho.crt"),
        ({"TABKEEPER_HO_MAX_CLOCK_SKEW_S": "-1"}, "TABKEEPER_HO_MAX_CLOCK_SKEW_S: expected"),
        ({"TABKEEPER_HO_TOMBSTONE_RETENTION_DAYS": "0"}, "expected days from 1"),
    ],
)
def test_a_bad_setting_is_named_with_where_it_came_from(
    environ: dict[str, str], expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, environ)

    assert expected in str(caught.value)


def test_half_a_tls_setting_is_refused(tmp_path: Path) -> None:
    cert = write(tmp_path / "ho.crt", "x")

    with pytest.raises(ConfigError, match="both a certificate and its private key"):
        load_settings(None, {"TABKEEPER_HO_TLS_CERT": str(cert)})


def test_a_bad_file_is_named(tmp_path: Path) -> None:
    typo = write(tmp_path / "typo.toml", "prot = 8000\n")
    broken = write(tmp_path / "broken.toml", "port = \n")

    with pytest.raises(ConfigError, match="unknown setting 'prot'"):
        load_settings(typo, {})
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(broken, {})
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", {})


def test_serve_with_a_bad_config_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    config = write(tmp_path / "ho.toml", 'port = "eighty"\n')

    result = subprocess.run(
        [sys.executable, "-m", "headoffice", "serve", "--config", str(config)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )

    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"head office: {config}: port: expected a port number from 0 to 65535, not 'eighty'"
    )
    assert result.stdout == ""
