"""Enrolment: a one-time code from the CLI gives a terminal its token, once; wrong,
used and expired codes are refused in words, and guessing is cut off."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from headoffice.engine import open_engine
from headoffice.terminals import CODE_ALPHABET, AttemptLimiter, issue_code
from tests.support.headoffice_server import HeadOfficeProcess, running_headoffice, sqlite_url

CODE = re.compile(rf"^[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}$")


def post_code(http: httpx.Client, code: str, name: str = "Till 2") -> httpx.Response:
    return http.post("/v1/enrol", json={"code": code, "terminal_name": name})


def test_a_code_enrols_one_terminal_once(headoffice: HeadOfficeProcess) -> None:
    code = headoffice.enrolment_code("Till 2", by_cli=True)
    assert CODE.match(code), code

    with headoffice.client() as http:
        first = post_code(http, code)
        again = post_code(http, code)

    assert first.status_code == 200, first.text
    body = first.json()
    assert body["token"].startswith(body["terminal_uuid"] + ".")
    assert body["hlc"].endswith("~headoffice") and body["server_time"]
    assert again.status_code == 403
    assert again.json()["error"] == "enrolment_refused"
    assert "used already" in again.json()["message"]
    listing = headoffice.cli("terminals").stdout
    assert "Till 2" in listing and body["terminal_uuid"] in listing


def test_a_code_typed_in_lower_case_without_dashes_still_works(
    shared_headoffice: HeadOfficeProcess,
) -> None:
    code = shared_headoffice.enrolment_code("Bar")

    with shared_headoffice.client() as http:
        answer = post_code(http, " " + code.replace("-", "").lower() + " ")

    assert answer.status_code == 200, answer.text


def test_an_expired_code_says_when_it_expired(headoffice: HeadOfficeProcess) -> None:
    engine = open_engine(headoffice.database_url)
    try:
        with engine.begin() as conn:
            issued = issue_code(conn, "Terrace", datetime.now(UTC) - timedelta(hours=25))
    finally:
        engine.dispose()

    with headoffice.client() as http:
        answer = post_code(http, issued.code)

    assert answer.status_code == 403
    assert answer.json()["error"] == "enrolment_refused"
    assert "expired" in answer.json()["message"]
    assert "24 hours" in answer.json()["message"]


def test_a_wrong_code_is_refused_in_words(shared_headoffice: HeadOfficeProcess) -> None:
    with shared_headoffice.client() as http:
        answer = post_code(http, "AAAA-BBBB-CCCC")

    assert answer.status_code == 403
    assert "not one head office issued" in answer.json()["message"]


def test_guessing_codes_is_cut_off_even_for_a_right_code(tmp_path: Path) -> None:
    with running_headoffice(sqlite_url(tmp_path / "ho.db"), tmp_path) as server:
        good = server.enrolment_code("Till 9")
        with server.client() as http:
            wrong = [post_code(http, f"ZZZZ-ZZZZ-{n:04d}").status_code for n in range(10)]
            blocked = post_code(http, good)
        listing = server.cli("terminals").stdout

    assert wrong == [403] * 10
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "enrolment_refused"
    assert "wait" in blocked.json()["message"]
    assert 1 <= int(blocked.headers["Retry-After"]) <= 61
    assert "No terminal is enrolled" in listing


def test_the_limiter_frees_a_client_once_its_failures_are_a_minute_old() -> None:
    now = [1000.0]
    limiter = AttemptLimiter(per_client=3, overall=5, window_s=60, clock=lambda: now[0])

    for _ in range(3):
        limiter.failed("10.0.0.1")
    blocked = limiter.retry_after("10.0.0.1")
    other = limiter.retry_after("10.0.0.2")
    limiter.failed("10.0.0.2")
    limiter.failed("10.0.0.3")
    everyone = limiter.retry_after("10.0.0.4")
    now[0] += 60.0

    assert blocked == 61 and other == 0
    assert everyone == 61  # five failures in all, from anywhere, stop everyone
    assert limiter.retry_after("10.0.0.1") == 0


def test_an_empty_terminal_name_gets_no_code(shared_headoffice: HeadOfficeProcess) -> None:
    result = shared_headoffice.cli("enrol-code", "   ", check=False)

    assert result.returncode == 1
    assert "needs a name" in result.stderr
    assert "Traceback" not in result.stderr
