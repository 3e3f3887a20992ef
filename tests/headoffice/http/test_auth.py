"""Bearer tokens: only an enrolled terminal's token opens push, pull and snapshot, and a
revoke takes effect on the very next request."""

from __future__ import annotations

import httpx
import pytest

from tests.support.headoffice_server import HeadOfficeProcess

PROTECTED = [("POST", "/v1/push"), ("GET", "/v1/pull"), ("GET", "/v1/snapshot")]


def call(http: httpx.Client, method: str, path: str) -> httpx.Response:
    if method == "POST":
        return http.post(path, json={"ops": []})
    return http.get(path, params={"cursor": "v1:0:0"} if path == "/v1/pull" else None)


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_no_token_or_a_forged_one_is_unauthorised(
    shared_headoffice: HeadOfficeProcess, method: str, path: str
) -> None:
    real = shared_headoffice.enrol("Till 1")
    forged = real.token[:-4] + ("AAAA" if not real.token.endswith("AAAA") else "BBBB")
    stranger = "0190f5a2-7b1c-7d3e-8f00-0123456789ab." + real.token.split(".", 1)[1]

    answers = []
    for token in (None, "not-a-token", forged, stranger):
        with shared_headoffice.client(token) as http:
            answers.append(call(http, method, path))

    for answer in answers:
        assert answer.status_code == 401, answer.text
        assert answer.json()["error"] == "unauthorised"
        assert "enrol" in answer.json()["message"].lower()
        assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_a_revoked_terminal_is_refused_on_its_next_request(
    headoffice: HeadOfficeProcess,
) -> None:
    kept = headoffice.enrol("Till 1")
    revoked = headoffice.enrol("Till 2")
    with headoffice.client(revoked.token) as http:
        before = http.post("/v1/push", json={"ops": []})

    result = headoffice.cli("revoke", revoked.terminal_uuid)

    with headoffice.client(revoked.token) as http:
        after = [call(http, method, path) for method, path in PROTECTED]
    with headoffice.client(kept.token) as http:
        other = http.post("/v1/push", json={"ops": []})
    assert before.status_code == 200, before.text
    assert "Revoked “Till 2”" in result.stdout
    for answer in after:
        assert answer.status_code == 401
        assert answer.json()["error"] == "terminal_revoked"
        assert "revoked this terminal" in answer.json()["message"]
    assert other.status_code == 200, other.text
    listing = headoffice.cli("terminals").stdout.splitlines()
    till_2 = next(line for line in listing if line.startswith("Till 2"))
    assert till_2.count("20") >= 3  # enrolled, last seen and revoked are all filled in


def test_revoking_an_unknown_terminal_says_so(shared_headoffice: HeadOfficeProcess) -> None:
    result = shared_headoffice.cli("revoke", "0190f5a2-7b1c-7d3e-8f00-0123456789ab", check=False)

    assert result.returncode == 1
    assert "no terminal 0190f5a2-7b1c-7d3e-8f00-0123456789ab" in result.stderr
