"""``python -m app sync enrol/now/status`` as a person runs them (subprocesses, a real
head office), and a head office behind TLS with its own certificate authority."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.sync.client import HeadOfficeClient
from app.sync.errors import TlsError
from tests.fault.file_keyring import BACKEND, FILE_VARIABLE
from tests.support.headoffice_server import (
    REPO_ROOT,
    HeadOfficeProcess,
    running_headoffice,
    self_signed_certificate,
    sqlite_url,
)

SEED = REPO_ROOT / "resources" / "headoffice" / "seed-example.json"


def sync_command(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "TABKEEPER_HOME": str(home),
        "TABKEEPER_DEMO": "0",
        "TABKEEPER_TIME_ZONE": "UTC",
        "PYTHON_KEYRING_BACKEND": BACKEND,  # the OS keyring's stand-in: a file
        FILE_VARIABLE: str(home.parent / f"{home.name}-keyring.json"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "app", "sync", *args],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def head_office(tmp_path: Path) -> HeadOfficeProcess:
    with running_headoffice(sqlite_url(tmp_path / "ho.db"), tmp_path / "headoffice") as ho:
        yield ho  # type: ignore[misc]


def test_enrol_sync_and_status_from_the_command_line(
    head_office: HeadOfficeProcess, tmp_path: Path
) -> None:
    home = tmp_path / "till"
    head_office.cli("seed", str(SEED))

    never = sync_command(home, "status")
    assert never.returncode == 0, never.stdout + never.stderr
    assert "Head office: none: not enrolled" in never.stdout
    assert "Last sync:   never" in never.stdout

    refused = sync_command(home, "enrol", head_office.base_url, "WXYZ-WXYZ-WXYZ", "--name", "T3")
    assert refused.returncode == 1
    assert refused.stdout.startswith("Not enrolled: Head office refused the enrolment code")

    code = head_office.enrolment_code("Till 3")
    enrolled = sync_command(home, "enrol", head_office.base_url, code, "--name", "Till 3")
    assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
    assert f"Enrolled “Till 3” with head office at {head_office.base_url}" in enrolled.stdout

    synced = sync_command(home, "now")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert synced.stdout.startswith(f"Synced with head office at {head_office.base_url}: ")
    assert "(a full copy)" in synced.stdout

    status = sync_command(home, "status")
    assert status.returncode == 0
    assert f"{head_office.base_url}, enrolled as “Till 3”" in status.stdout
    assert "Last sync:   never" not in status.stdout and "(UTC)" in status.stdout
    assert "Not synced:  0 operations" in status.stdout

    head_office.kill()
    offline = sync_command(home, "now")
    assert offline.returncode == 1
    assert offline.stdout.startswith(
        f"Sync stopped: Head office at {head_office.base_url} is not reachable: connection refused."
    )
    after = sync_command(home, "status")
    assert "Last error:  Head office at" in after.stdout


def test_bad_arguments_and_settings_exit_2_with_a_reason(tmp_path: Path) -> None:
    home = tmp_path / "till"
    bad_url = sync_command(home, "enrol", "office.example.com", "ABCD-EFGH")
    assert bad_url.returncode == 2
    assert "must start with https://" in bad_url.stdout
    bad_setting = sync_command(home, "status", TABKEEPER_SYNC_INTERVAL_S="often")
    assert bad_setting.returncode == 2
    assert "TABKEEPER_SYNC_INTERVAL_S must be a number of seconds" in bad_setting.stdout
    no_command = sync_command(home)
    assert no_command.returncode == 2 and "COMMAND" in no_command.stderr


def test_a_private_certificate_authority_is_trusted_only_when_given(tmp_path: Path) -> None:
    tls = self_signed_certificate(tmp_path / "tls")
    with running_headoffice(
        sqlite_url(tmp_path / "ho.db"), tmp_path / "headoffice", tls=tls
    ) as head_office:
        assert head_office.base_url.startswith("https://")
        with HeadOfficeClient(head_office.base_url) as client, pytest.raises(TlsError) as caught:
            client.health()
        assert "TABKEEPER_HEAD_OFFICE_CA_FILE" in str(caught.value)
        with HeadOfficeClient(head_office.base_url, ca_file=tls.cert) as client:
            assert client.health().status == "ok"
