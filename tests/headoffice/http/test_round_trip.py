"""A terminal's whole conversation over real HTTP, on SQLite and PostgreSQL: the seeded
catalogue by snapshot, a push applied once (and a duplicate the second time), the change
by pull from the snapshot's cursor, and balances brought forward in the next snapshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.domain.hlc import parse_stamp
from app.domain.ids import new_uuid7
from app.sync.wire import ENTITY_KINDS, PullResponse, PushResponse, SnapshotPage
from tests.headoffice.http.feeds import settled
from tests.support.headoffice_server import REPO_ROOT, HeadOfficeProcess

SEED = REPO_ROOT / "resources" / "headoffice" / "seed-example.json"


def snapshot_all(http: httpx.Client, limit: int) -> tuple[list[SnapshotPage], str]:
    pages: list[SnapshotPage] = []
    token = ""
    while True:
        answer = http.get("/v1/snapshot", params={"page": token, "limit": limit})
        assert answer.status_code == 200, answer.text
        page = SnapshotPage.model_validate_json(answer.content)  # the spliced body is a model
        pages.append(page)
        if page.done:
            return pages, page.cursor
        token = page.page


def new_customer(terminal_uuid: str, name: str) -> tuple[str, dict[str, Any]]:
    uuid = new_uuid7()
    now = datetime.now(UTC)
    stamp = f"{int(now.timestamp() * 1000):013d}-0000-{terminal_uuid}"
    fields = {
        "kind": "individual",
        "full_name": name,
        "status": "active",
        "created_at": now.isoformat(),
        "phones": [],
        "emails": [],
    }
    return uuid, {
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


def points(customer_uuid: str, amount: int) -> dict[str, Any]:
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


def test_seed_snapshot_push_pull_and_openings(headoffice: HeadOfficeProcess) -> None:
    seeded = headoffice.cli("seed", str(SEED))
    terminal = headoffice.enrol("Till 1")
    with headoffice.client(terminal.token) as http:
        pages, cursor = snapshot_all(http, limit=7)
        uuid, op = new_customer(terminal.terminal_uuid, "Ada Lovelace")
        first = http.post("/v1/push", json={"ops": [op, points(uuid, 120)]})
        again = http.post("/v1/push", json={"ops": [op]})
        settled(http, first.json()["txid"])
        pulled = http.get("/v1/pull", params={"cursor": cursor, "limit": 100})
        next_cursor = PullResponse.model_validate_json(pulled.content).cursor
        idle = http.get("/v1/pull", params={"cursor": next_cursor})
        after, _ = snapshot_all(http, limit=100)

    assert "Seeded 49 documents" in seeded.stdout
    changes = [change for page in pages for change in page.changes]
    assert len(changes) == 49 and len(pages) == 8
    ranks = [ENTITY_KINDS.index(change.entity) for change in changes]
    assert ranks == sorted(ranks)  # what a document refers to comes before it
    assert {c.data["name"] for c in changes if c.entity == "division"} == {"Main hall", "Bar"}
    assert first.status_code == 200, first.text
    pushed = PushResponse.model_validate_json(first.content)
    assert [(r.status, r.reason) for r in pushed.results] == [("applied", "")] * 2
    assert parse_stamp(pushed.hlc).node == "~headoffice"
    assert datetime.now(UTC) - pushed.server_time < timedelta(minutes=5)
    assert [r.status for r in PushResponse.model_validate_json(again.content).results] == [
        "duplicate"
    ]
    assert pulled.status_code == 200, pulled.text
    got = PullResponse.model_validate_json(pulled.content)
    customers = [c for c in got.changes if c.entity == "customer"]
    assert [c.uuid for c in customers] == [uuid]
    assert customers[0].data["full_name"] == "Ada Lovelace"
    assert not got.more
    assert PullResponse.model_validate_json(idle.content).changes == []
    openings = [o for page in after for o in page.openings if o.customer_uuid == uuid]
    assert [(o.account, o.amount) for o in openings] == [("points", 120)]


def test_a_cursor_from_before_purged_tombstones_gets_410(headoffice: HeadOfficeProcess) -> None:
    terminal = headoffice.enrol("Till 1")
    with headoffice.client(terminal.token) as http:
        _, cursor = snapshot_all(http, limit=100)
        uuid, op = new_customer(terminal.terminal_uuid, "Grace Hopper")
        later = op["hlc"][:14] + "0001" + op["hlc"][18:]
        deleted = {
            "id": new_uuid7(),
            "kind": "customer.deleted",
            "entity_uuid": uuid,
            "created_at": datetime.now(UTC).isoformat(),
            "hlc": later,
            "payload": {"customer_uuid": uuid, "hlc": later},
        }
        pushed = http.post("/v1/push", json={"ops": [op, deleted]})
        kept = headoffice.cli("purge-tombstones")
        purged = headoffice.cli("purge-tombstones", "--days", "0")
        expired = http.get("/v1/pull", params={"cursor": cursor})
        _, fresh = snapshot_all(http, limit=100)
        resumed = http.get("/v1/pull", params={"cursor": fresh})

    assert [r["status"] for r in pushed.json()["results"]] == ["applied", "applied"]
    assert "Purged 0 tombstones" in kept.stdout  # deleted a moment ago: kept 30 days
    assert "Purged 1 tombstone " in purged.stdout
    assert expired.status_code == 410, expired.text
    assert expired.json()["error"] == "cursor_expired"
    assert "fresh snapshot" in expired.json()["message"]
    assert resumed.status_code == 200, resumed.text
