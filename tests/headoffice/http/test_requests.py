"""Requests head office must refuse, each with a sentence a person can act on, plus the
endpoints anyone may read (health, OpenAPI)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from app.domain.ids import new_uuid7
from app.sync.wire import MAX_PUSH_OPS
from tests.support.headoffice_server import (
    EnrolledTerminal,
    HeadOfficeProcess,
    running_headoffice,
    sqlite_url,
)


@pytest.fixture(scope="module")
def terminal(shared_headoffice: HeadOfficeProcess) -> EnrolledTerminal:
    return shared_headoffice.enrol("Till 1")


@pytest.fixture
def http(shared_headoffice: HeadOfficeProcess, terminal: EnrolledTerminal) -> httpx.Client:
    return shared_headoffice.client(terminal.token)


def operation(**changes: object) -> dict[str, object]:
    op: dict[str, object] = {
        "id": new_uuid7(),
        "kind": "customer.note",
        "entity_uuid": new_uuid7(),
        "created_at": "2026-11-23T12:00:00Z",
        "hlc": "",
        "payload": {},
    }
    op.update(changes)
    return op


def refused(answer: httpx.Response, status: int, code: str) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert set(body) == {"error", "message"}
    assert body["error"] == code
    assert body["message"].strip()
    return str(body["message"])


def test_health_answers_with_the_time_and_clock(shared_headoffice: HeadOfficeProcess) -> None:
    with shared_headoffice.client() as http:
        body = http.get("/v1/health").json()

    assert body["status"] == "ok"
    assert body["server_time"].endswith("Z")
    assert body["hlc"].endswith("-~headoffice")


def test_openapi_lists_every_endpoint_with_the_wire_models(
    shared_headoffice: HeadOfficeProcess,
) -> None:
    with shared_headoffice.client() as http:
        schema = http.get("/openapi.json").json()

    paths = schema["paths"]
    assert set(paths) >= {"/v1/enrol", "/v1/push", "/v1/pull", "/v1/snapshot", "/v1/health"}
    assert "post" in paths["/v1/enrol"] and "post" in paths["/v1/push"]
    assert "get" in paths["/v1/pull"] and "get" in paths["/v1/snapshot"]
    models = set(schema["components"]["schemas"])
    assert models >= {
        "EnrolRequest",
        "EnrolResponse",
        "PushRequest",
        "PushResponse",
        "PullResponse",
        "SnapshotPage",
        "ErrorBody",
        "Operation",
        "Change",
        "Opening",
    }
    pull_ok = paths["/v1/pull"]["get"]["responses"]["200"]["content"]["application/json"]
    assert pull_ok["schema"]["$ref"].endswith("/PullResponse")
    assert {"401", "409", "410"} <= set(paths["/v1/pull"]["get"]["responses"])
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_malformed_json_is_refused_in_words(http: httpx.Client) -> None:
    answer = http.post(
        "/v1/push", content=b'{"ops": [', headers={"Content-Type": "application/json"}
    )

    assert "not valid JSON" in refused(answer, 400, "bad_request")


def test_a_body_that_is_not_json_says_how_to_send_it(http: httpx.Client) -> None:
    answer = http.post("/v1/push", content=b"ops=1", headers={"Content-Type": "text/plain"})

    assert "JSON object" in refused(answer, 400, "bad_request")


def test_a_wrong_field_is_named_with_its_path(http: httpx.Client) -> None:
    answer = http.post(
        "/v1/push", json={"ops": [operation(), operation(id="not-a-uuid", created_at="yesterday")]}
    )

    message = refused(answer, 400, "bad_request")
    assert "ops[1].id must be a lower-case uuid" in message
    assert "ops[1].created_at" in message


def test_a_missing_field_and_an_unknown_one_are_named(http: httpx.Client) -> None:
    op = operation(colour="red")
    del op["payload"]

    message = refused(http.post("/v1/push", json={"ops": [op]}), 400, "bad_request")

    assert "ops[0].payload is missing" in message
    assert "ops[0].colour is not a field of this message" in message


def test_more_operations_than_a_push_takes_is_too_large(http: httpx.Client) -> None:
    ops = [operation() for _ in range(MAX_PUSH_OPS + 1)]

    message = refused(http.post("/v1/push", json={"ops": ops}), 413, "too_large")

    assert f"at most {MAX_PUSH_OPS} operations" in message
    assert f"not {MAX_PUSH_OPS + 1}" in message


def test_a_pull_limit_out_of_range_is_named(http: httpx.Client) -> None:
    message = refused(http.get("/v1/pull", params={"limit": 0}), 400, "bad_request")

    assert "query parameter limit" in message


def test_a_malformed_cursor_is_refused(http: httpx.Client) -> None:
    message = refused(http.get("/v1/pull", params={"cursor": "v2:x"}), 400, "bad_request")

    assert "cursor is not valid" in message and "v2:x" in message


def test_pull_without_a_cursor_asks_for_a_snapshot(http: httpx.Client) -> None:
    message = refused(http.get("/v1/pull"), 409, "snapshot_required")

    assert "snapshot" in message


def test_an_unknown_path_answers_as_an_error_body(http: httpx.Client) -> None:
    assert "/v1" in refused(http.get("/v1/nothing-here"), 404, "bad_request")
    assert "GET" in refused(http.get("/v1/push"), 405, "bad_request")


def test_a_body_over_the_size_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    env = {"TABKEEPER_HO_MAX_BODY_BYTES": "4096"}
    with running_headoffice(sqlite_url(tmp_path / "ho.db"), tmp_path, env=env) as server:
        terminal = server.enrol("Till 1")
        body = json.dumps({"ops": [operation(payload={"text": "x" * 5000})]}).encode()
        with server.client(terminal.token) as http:
            by_length = http.post(
                "/v1/push", content=body, headers={"Content-Type": "application/json"}
            )
            streamed = http.post(
                "/v1/push",
                content=iter([body[:3000], body[3000:]]),  # chunked: no Content-Length
                headers={"Content-Type": "application/json"},
            )

    assert "4,096 bytes" in refused(by_length, 413, "too_large")
    assert "4,096 bytes" in refused(streamed, 413, "too_large")
