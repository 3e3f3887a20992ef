"""Whatever bytes come back, the client raises one of its typed errors and nothing else.

A real socket on loopback sends each fuzzed answer; the client reads it as it would
head office's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.sync.client import HeadOfficeClient, Timeouts
from app.sync.errors import SyncError
from tests.sync import answers
from tests.sync.canned_server import RawAnswerServer

EXAMPLES = 150
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def server() -> Iterator[RawAnswerServer]:
    raw = RawAnswerServer()
    try:
        yield raw
    finally:
        raw.close()


@pytest.fixture(scope="module")
def client(server: RawAnswerServer) -> Iterator[HeadOfficeClient]:
    with HeadOfficeClient(server.url, token="t.s", timeouts=Timeouts(read=2.0)) as c:
        yield c


def _http(status: int, body: bytes, extra: bytes = b"") -> bytes:
    return (
        f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n".encode()
        + extra
        + b"Connection: close\r\n\r\n"
        + body
    )


def _every_call_fails_typed(client: HeadOfficeClient) -> None:
    calls: list[Any] = [
        lambda: client.pull(answers.CURSOR),
        lambda: client.snapshot(""),
        lambda: client.push([]),
        lambda: client.enrol("ABCD-EFGH", "Till 2"),
        client.health,
    ]
    for call in calls:
        try:
            call()
        except SyncError as error:
            assert str(error), "a typed error must say something"


@FUZZ
@given(st.binary(max_size=600))
def test_arbitrary_bytes(server: RawAnswerServer, client: HeadOfficeClient, data: bytes) -> None:
    server.answer = data
    _every_call_fails_typed(client)


@FUZZ
@given(
    st.integers(min_value=100, max_value=599),
    st.binary(max_size=400),
    st.sampled_from([b"", b"Content-Encoding: gzip\r\n", b"Content-Type: text/html\r\n"]),
)
def test_arbitrary_bodies_under_any_status(
    server: RawAnswerServer, client: HeadOfficeClient, status: int, body: bytes, extra: bytes
) -> None:
    server.answer = _http(status, body, extra)
    _every_call_fails_typed(client)


@FUZZ
@given(st.integers(min_value=200, max_value=599), json_values)
def test_arbitrary_json_under_any_status(
    server: RawAnswerServer, client: HeadOfficeClient, status: int, value: object
) -> None:
    server.answer = _http(status, json.dumps(value).encode())
    _every_call_fails_typed(client)


@FUZZ
@given(st.dictionaries(st.sampled_from(list(answers.pulled())), json_values))
def test_pull_answers_with_fuzzed_fields(
    server: RawAnswerServer, client: HeadOfficeClient, fields: dict[str, object]
) -> None:
    server.answer = _http(200, json.dumps({**answers.pulled(), **fields}).encode())
    try:
        client.pull(answers.CURSOR)
    except SyncError as error:
        assert str(error)
