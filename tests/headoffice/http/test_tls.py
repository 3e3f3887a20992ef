"""TLS: head office serves HTTPS with the configured certificate, and a client that
checks the certificate gets through; a certificate that does not fit stops serve."""

from __future__ import annotations

import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.headoffice_server import (
    REPO_ROOT,
    running_headoffice,
    self_signed_certificate,
    sqlite_url,
)


def test_https_with_a_verified_certificate(tmp_path: Path) -> None:
    tls = self_signed_certificate(tmp_path / "tls")

    with running_headoffice(sqlite_url(tmp_path / "ho.db"), tmp_path, tls=tls) as server:
        assert server.base_url.startswith("https://127.0.0.1:")
        terminal = server.enrol("Till 1")
        with server.client(terminal.token) as http:
            pushed = http.post("/v1/push", json={"ops": []})
        untrusting = httpx.Client(verify=ssl.create_default_context(), timeout=10)
        with untrusting, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            untrusting.get(f"{server.base_url}/v1/health")
        plain_http = server.base_url.replace("https://", "http://")
        with httpx.Client(timeout=10) as plain, pytest.raises(httpx.TransportError):
            plain.get(f"{plain_http}/v1/health")

    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["results"] == []


def test_a_key_that_does_not_fit_the_certificate_stops_serve(tmp_path: Path) -> None:
    one = self_signed_certificate(tmp_path / "one")
    other = self_signed_certificate(tmp_path / "other")

    result = subprocess.run(
        [sys.executable, "-m", "headoffice", "serve"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "TABKEEPER_HO_DATABASE_URL": sqlite_url(tmp_path / "ho.db"),
            "TABKEEPER_HO_TLS_CERT": str(one.cert),
            "TABKEEPER_HO_TLS_KEY": str(other.key),
        },
    )

    assert result.returncode == 2
    assert "cannot use the TLS certificate" in result.stderr
    assert "the key must belong to the certificate" in result.stderr
    assert "Traceback" not in result.stderr
