"""The client's failures come out as typed errors with sentences a person can act on.

Error paths only, against a small real HTTP server on loopback that answers with canned
bytes; the happy paths run against the real head office (test_against_head_office.py).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from app.domain.ids import new_uuid7
from app.sync.client import HeadOfficeClient, Timeouts, check_head_office_url
from app.sync.errors import (
    BadAnswerError,
    CursorExpiredError,
    EnrolmentRefusedError,
    OfflineError,
    RequestRefusedError,
    RevokedError,
    ServerError,
    SetupError,
    SnapshotRequiredError,
    UnauthorisedError,
)
from app.sync.wire import Operation
from tests.sync import answers
from tests.sync.canned_server import Canned, CannedHeadOffice, canned_head_office

TOKEN = f"{answers.TERMINAL}.s3cret"


@pytest.fixture
def office() -> Iterator[CannedHeadOffice]:
    with canned_head_office() as server:
        yield server


@pytest.fixture
def client(office: CannedHeadOffice) -> Iterator[HeadOfficeClient]:
    with HeadOfficeClient(office.url, token=TOKEN, timeouts=Timeouts(read=0.5)) as c:
        yield c


def _operation() -> Operation:
    return Operation(
        id=new_uuid7(),
        kind="customer.note",
        entity_uuid=new_uuid7(),
        created_at=datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
        hlc="1795435200000-0000-x",
        payload={"note": "likes the window table"},
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_connection_is_offline_and_names_head_office() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    with HeadOfficeClient(url, token=TOKEN) as client, pytest.raises(OfflineError) as caught:
        client.pull(answers.CURSOR)
    assert str(caught.value) == f"Head office at {url} is not reachable: connection refused"


def test_no_answer_in_time_is_offline(office: CannedHeadOffice, client: HeadOfficeClient) -> None:
    release = threading.Event()
    office.answer("/v1/pull", Canned(body=answers.pulled(), hold=release))
    try:
        with pytest.raises(OfflineError, match="did not answer in time"):
            client.pull(answers.CURSOR)
    finally:
        release.set()


def test_a_connection_cut_before_the_answer_is_offline(
    office: CannedHeadOffice, client: HeadOfficeClient
) -> None:
    office.answer("/v1/push", Canned(cut=True))
    with pytest.raises(OfflineError, match="not reachable"):
        client.push([_operation()])


@pytest.mark.parametrize(
    ("status", "body", "error", "words"),
    [
        (401, answers.error("terminal_revoked", "revoked"), RevokedError, "revoked at head"),
        (401, answers.error("unauthorised", "who?"), UnauthorisedError, "enrol it again"),
        (401, b"", UnauthorisedError, "does not recognise"),
        (409, answers.error("snapshot_required", "no cursor"), SnapshotRequiredError, "no cursor"),
        (410, answers.error("cursor_expired", "too old"), CursorExpiredError, "fresh copy"),
        (400, answers.error("bad_request", "The cursor is bad."), RequestRefusedError, "cursor"),
        (503, answers.error("unavailable", "Database down."), ServerError, "Database down"),
        (502, b"<html>Bad Gateway</html>", ServerError, "HTTP 502"),
        (404, b'{"detail":"Not Found"}', BadAnswerError, "really head office"),
        (200, b"{not json", BadAnswerError, "cannot read"),
        (200, b'{"changes": 3}', BadAnswerError, "cannot read"),
        (200, b"[]", BadAnswerError, "cannot read"),
    ],
)
def test_answers_become_typed_errors_in_words(
    office: CannedHeadOffice,
    client: HeadOfficeClient,
    status: int,
    body: object,
    error: type[Exception],
    words: str,
) -> None:
    office.answer("/v1/pull", Canned(status, body))
    with pytest.raises(error, match=words):
        client.pull(answers.CURSOR)


def test_revocation_says_what_to_do(office: CannedHeadOffice, client: HeadOfficeClient) -> None:
    office.answer("/v1/push", Canned(401, answers.error("terminal_revoked", "Revoked.")))
    with pytest.raises(RevokedError) as caught:
        client.push([_operation()])
    assert str(caught.value) == "This terminal was revoked at head office; enrol it again"


def test_a_server_failure_quotes_head_offices_message(
    office: CannedHeadOffice, client: HeadOfficeClient
) -> None:
    office.answer("/v1/push", Canned(503, answers.error("unavailable", "The database is busy.")))
    with pytest.raises(ServerError) as caught:
        client.push([_operation()])
    assert str(caught.value) == (
        f"Head office at {office.url} failed (HTTP 503): The database is busy."
    )


@pytest.mark.parametrize(
    "broken",
    [
        answers.pulled(cursor="nope"),
        {**answers.pulled(), "hlc": "yesterday"},
        {**answers.pulled(), "server_time": "soon"},
        {**answers.pulled(), "changes": [{"entity": "customer", "uuid": "x", "data": {}}]},
    ],
)
def test_a_wrong_value_in_a_well_formed_answer_is_a_bad_answer(
    office: CannedHeadOffice, client: HeadOfficeClient, broken: dict[str, object]
) -> None:
    office.answer("/v1/pull", Canned(body=broken))
    with pytest.raises(BadAnswerError, match=office.url):
        client.pull(answers.CURSOR)


def test_a_snapshot_page_neither_done_nor_pointing_on_is_refused(
    office: CannedHeadOffice, client: HeadOfficeClient
) -> None:
    office.answer("/v1/snapshot", Canned(body=answers.snapshot_page(done=False, page="")))
    with pytest.raises(BadAnswerError, match="no next page"):
        client.snapshot("")


def test_a_refused_enrolment_code_says_so(office: CannedHeadOffice) -> None:
    message = "This code was already used; ask head office for a new one."
    office.answer("/v1/enrol", Canned(403, answers.error("enrolment_refused", message)))
    with HeadOfficeClient(office.url) as client, pytest.raises(EnrolmentRefusedError) as caught:
        client.enrol("ABCD-EFGH-JKMN", "Till 2")
    assert str(caught.value) == f"Head office refused the enrolment code: {message}"
    assert "Authorization" not in office.seen[0].headers


def test_requests_carry_the_bearer_token_and_the_cursor(
    office: CannedHeadOffice, client: HeadOfficeClient
) -> None:
    office.answer("/v1/pull", Canned(body=answers.pulled()))
    answer = client.pull("v1:5:2", 100)
    assert answer.cursor == answers.CURSOR
    seen = office.seen[0]
    assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
    assert seen.path == "/v1/pull?cursor=v1%3A5%3A2&limit=100"


def test_one_connection_is_kept_alive_across_requests(
    office: CannedHeadOffice, client: HeadOfficeClient
) -> None:
    office.answer("/v1/pull", Canned(body=answers.pulled()), Canned(body=answers.pulled()))
    client.pull(answers.CURSOR)
    client.pull(answers.CURSOR)
    assert [s.headers.get("Connection", "keep-alive") for s in office.seen] == ["keep-alive"] * 2


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("", "Enter head office's address"),
        ("office.example.com", "must start with https://"),
        ("ftp://office.example.com", "must start with https://"),
        ("https://", "names no host"),
        ("https://bob:pw@office.example.com", "user name and password"),
        ("https://office.example.com/?x=1", "takes no"),
        ("https://office.example.com:99999", "not a web address"),
    ],
)
def test_a_bad_head_office_address_is_refused_in_words(typed: str, words: str) -> None:
    with pytest.raises(SetupError, match=words):
        check_head_office_url(typed)


def test_a_head_office_address_is_kept_without_its_trailing_slash() -> None:
    assert check_head_office_url(" https://office.example.com/ ") == "https://office.example.com"
    assert check_head_office_url("http://10.0.0.5:8080/ho/") == "http://10.0.0.5:8080/ho"
