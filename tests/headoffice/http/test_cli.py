"""``python -m headoffice`` commands run as a manager runs them, in a subprocess, against
SQLite and PostgreSQL: seed, import-docs, overdrafts, init-db."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.domain.ids import new_uuid7
from headoffice.engine import open_engine
from headoffice.schema import documents
from tests.support.headoffice_server import REPO_ROOT, HeadOfficeProcess

SEED = REPO_ROOT / "resources" / "headoffice" / "seed-example.json"


@pytest.fixture
def manager(database_url: str, tmp_path: Path) -> HeadOfficeProcess:
    """Head office's CLI on a fresh database; no server running."""
    return HeadOfficeProcess(database_url, tmp_path)


def document_count(database_url: str) -> int:
    engine = open_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(documents)).scalar_one())
    finally:
        engine.dispose()


def customer_line(name: str) -> dict[str, Any]:
    return {
        "entity": "customer",
        "uuid": new_uuid7(),
        "data": {
            "kind": "individual",
            "full_name": name,
            "status": "active",
            "created_at": datetime(2026, 1, 5, 18, 30, tzinfo=UTC).isoformat(),
            "phones": [],
            "emails": [],
        },
    }


def test_init_db_then_seed_the_example_catalogue(manager: HeadOfficeProcess) -> None:
    init = manager.cli("init-db")
    seeded = manager.cli("seed", str(SEED))
    again = manager.cli("seed", str(SEED))  # the same uuids: replaced, not doubled

    assert "tables are ready" in init.stdout
    assert "Seeded 49 documents" in seeded.stdout
    assert "menu_item" in seeded.stdout and "sales_rule" in seeded.stdout
    assert "Seeded 49 documents" in again.stdout
    assert document_count(manager.database_url) == 49


def test_a_bad_seed_file_names_every_bad_row_and_writes_nothing(
    manager: HeadOfficeProcess, tmp_path: Path
) -> None:
    catalogue = json.loads(SEED.read_text(encoding="utf-8"))
    catalogue["menu_item"][2]["price_minor"] = "8.95"
    catalogue["sales_rule"][5]["percent"] = "150"
    catalogue["dining_table"][0]["division_uuid"] = "0190f5a2-7b1c-7d3e-8f00-0123456789ab"
    catalogue["menu_group"][1]["uuid"] = catalogue["menu_group"][0]["uuid"]
    catalogue["sides"] = []
    bad = tmp_path / "bad-seed.json"
    bad.write_text(json.dumps(catalogue), encoding="utf-8")

    result = manager.cli("seed", str(bad), check=False)

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"head office: {bad}: nothing was written; fix these and run it again:"
    problems = "\n".join(lines[1:])
    assert "unknown kind 'sides'" in problems
    assert "menu_item #3 (Garlic flatbread): price_minor must be a whole number" in problems
    assert "sales_rule #6 (Happy hour): “Happy hour”: the percentage must be above 0" in problems
    assert "menu_group #2 (Mains): uuid" in problems and "also used by menu_group #1" in problems
    assert "dining_table #1 (1): division_uuid" in problems and "names no division" in problems
    assert "Traceback" not in result.stderr
    assert document_count(manager.database_url) == 0


def test_a_seed_file_that_is_not_json_says_where(
    manager: HeadOfficeProcess, tmp_path: Path
) -> None:
    bad = tmp_path / "seed.json"
    bad.write_text('{"menu_group": [}\n', encoding="utf-8")

    result = manager.cli("seed", str(bad), check=False)

    assert result.returncode == 1
    assert "is not valid JSON" in result.stderr and "line 1, column 17" in result.stderr


def test_import_docs_streams_in_chunks_with_progress(
    manager: HeadOfficeProcess, tmp_path: Path
) -> None:
    lines = tmp_path / "customers.jsonl"
    with lines.open("w", encoding="utf-8") as out:
        for n in range(10_001):
            out.write(json.dumps(customer_line(f"Guest {n}")) + "\n")
            if n == 2:
                out.write("\n")  # blank lines are allowed

    result = manager.cli("import-docs", str(lines))

    assert "Imported 10,001 documents" in result.stdout
    assert "10,001 documents checked" in result.stderr
    progress = [line.strip() for line in result.stderr.splitlines() if "written" in line]
    assert progress == [
        "5,000 of 10,001 documents written",
        "10,000 of 10,001 documents written",
        "10,001 of 10,001 documents written",
    ]
    assert document_count(manager.database_url) == 10_001


def test_import_docs_names_bad_lines_and_writes_nothing(
    manager: HeadOfficeProcess, tmp_path: Path
) -> None:
    lines = tmp_path / "mixed.jsonl"
    good = json.dumps(customer_line("Ada Lovelace"))
    wrong_kind = customer_line("Bob")
    wrong_kind["data"]["kind"] = "alien"
    lines.write_text(
        "\n".join(
            [
                good,
                '{"entity": "customer", "uuid": ',
                json.dumps({"entity": "spaceship", "uuid": new_uuid7(), "data": {}}),
                json.dumps(wrong_kind),
                good,
            ]
        )
        + "\n",
        encoding="utf-8",
    )

    result = manager.cli("import-docs", str(lines), check=False)

    assert result.returncode == 1
    assert "nothing was written" in result.stderr
    assert "line 2: not valid JSON" in result.stderr
    assert "line 3: unknown entity 'spaceship'" in result.stderr
    assert "line 4: customer" in result.stderr and "kind must be one of" in result.stderr
    assert "line 1" not in result.stderr and "line 5" not in result.stderr
    assert document_count(manager.database_url) == 0


def test_overdrafts_lists_an_entry_that_took_an_account_below_zero(
    headoffice: HeadOfficeProcess,
) -> None:
    customer = new_uuid7()
    imported = headoffice.workdir / "one.jsonl"
    line = customer_line("Ada Lovelace")
    line["uuid"] = customer
    imported.write_text(json.dumps(line) + "\n", encoding="utf-8")
    headoffice.cli("import-docs", str(imported))
    before = headoffice.cli("overdrafts")
    terminal = headoffice.enrol("Till 1")
    entry = new_uuid7()
    at = datetime.now(UTC).isoformat()
    op = {
        "id": new_uuid7(),
        "kind": "ledger.entry",
        "entity_uuid": entry,
        "created_at": at,
        "payload": {
            "uuid": entry,
            "customer_uuid": customer,
            "account": "points",
            "kind": "redeem",
            "amount": -300,
            "at": at,
            "tab_uuid": None,
            "terminal": "Till 1",
            "staff_uuid": "00000000-0000-7000-8000-000000000001",
            "reason": "",
            "reverses_uuid": None,
        },
    }
    with headoffice.client(terminal.token) as http:
        pushed = http.post("/v1/push", json={"ops": [op]})

    after = headoffice.cli("overdrafts")

    assert before.stdout.strip() == "No overdraft to review."
    assert pushed.json()["results"][0]["status"] == "applied", pushed.text
    header, row = after.stdout.splitlines()
    assert header.split()[:2] == ["entry_uuid", "customer_uuid"]
    assert row.startswith(entry) and customer in row and "-300" in row
