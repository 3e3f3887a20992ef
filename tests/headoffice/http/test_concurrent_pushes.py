"""Pushes racing each other over real HTTP: the same operations sent by many connections
at once are applied exactly once (PostgreSQL retries the batch that lost the race; SQLite
serialises writers), and every answer is a 200."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from app.domain.ids import new_uuid7
from tests.headoffice.http.feeds import settled
from tests.support.headoffice_server import HeadOfficeProcess

SENDERS = 12


def entry(customer_uuid: str, amount: int) -> dict[str, Any]:
    uuid = new_uuid7()
    at = datetime.now(UTC).isoformat()
    return {
        "id": new_uuid7(),
        "kind": "ledger.entry",
        "entity_uuid": uuid,
        "created_at": at,
        "payload": {
            "uuid": uuid,
            "customer_uuid": customer_uuid,
            "account": "points",
            "kind": "earn",
            "amount": amount,
            "at": at,
            "tab_uuid": None,
            "terminal": "Till 1",
            "staff_uuid": "00000000-0000-7000-8000-000000000001",
            "reason": "",
            "reverses_uuid": None,
        },
    }


def customer(uuid: str, terminal_uuid: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    stamp = f"{int(now.timestamp() * 1000):013d}-0000-{terminal_uuid}"
    fields = {
        "kind": "individual",
        "full_name": "Ada Lovelace",
        "created_at": now.isoformat(),
        "phones": [],
        "emails": [],
    }
    return {
        "id": new_uuid7(),
        "kind": "customer.upsert",
        "entity_uuid": uuid,
        "created_at": now.isoformat(),
        "hlc": stamp,
        "payload": {
            "customer_uuid": uuid,
            "fields": fields,
            "clocks": dict.fromkeys(fields, stamp),
        },
    }


def test_the_same_batch_from_many_connections_is_applied_once(
    headoffice: HeadOfficeProcess,
) -> None:
    terminal = headoffice.enrol("Till 1")
    customer_uuid = new_uuid7()
    with headoffice.client(terminal.token) as http:
        created = http.post(
            "/v1/push", json={"ops": [customer(customer_uuid, terminal.terminal_uuid)]}
        )
    batch = [entry(customer_uuid, n) for n in range(1, 41)]

    def send(_sender: int) -> tuple[int, list[str], int]:
        with headoffice.client(terminal.token) as http:
            answer = http.post("/v1/push", json={"ops": batch})
        body = answer.json()
        return (
            answer.status_code,
            [r["status"] for r in body.get("results", [])],
            body.get("txid", 0),
        )

    with ThreadPoolExecutor(SENDERS) as pool:
        answers = list(pool.map(send, range(SENDERS)))
    with headoffice.client(terminal.token) as http:
        settled(http, max(txid for _, _, txid in answers))
        snapshot = http.get("/v1/snapshot", params={"limit": 100}).json()

    assert created.json()["results"][0]["status"] == "applied", created.text
    assert [code for code, _, _ in answers] == [200] * SENDERS
    for position in range(len(batch)):
        statuses = sorted(statuses[position] for _, statuses, _ in answers)
        assert statuses == ["applied"] + ["duplicate"] * (SENDERS - 1)
    points = [o for o in snapshot["openings"] if o["customer_uuid"] == customer_uuid]
    assert [(o["account"], o["amount"]) for o in points] == [("points", sum(range(1, 41)))]
