"""A database that goes away: head office answers 503 unavailable in words, keeps
serving, and recovers by itself when the database is back."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.support.headoffice_server import postgres_admin_url, running_headoffice
from tests.test_infrastructure import require_service


@pytest.fixture
def own_database() -> Iterator[tuple[Engine, str, str]]:
    """A PostgreSQL database of this test's own: (admin engine, name, URL)."""
    raw = require_service("TABKEEPER_TEST_PG_URL", "the throwaway PostgreSQL cluster")
    admin = create_engine(postgres_admin_url(raw), isolation_level="AUTOCOMMIT")
    name = f"ho_down_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    base, _, _ = postgres_admin_url(raw).partition("?")
    try:
        yield admin, name, base.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def cut_off(admin: Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )


def let_back(admin: Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true"))


def test_503_while_the_database_is_down_then_back_to_work(
    own_database: tuple[Engine, str, str], tmp_path: Path
) -> None:
    admin, name, url = own_database
    with running_headoffice(url, tmp_path) as server:
        terminal = server.enrol("Till 1")
        with server.client(terminal.token) as http:
            cut_off(admin, name)
            try:
                health = http.get("/v1/health")
                push = http.post("/v1/push", json={"ops": []})
                snapshot = http.get("/v1/snapshot")
            finally:
                let_back(admin, name)
            after = http.post("/v1/push", json={"ops": []})

    for answer in (health, push, snapshot):
        assert answer.status_code == 503, answer.text
        assert answer.json() == {
            "error": "unavailable",
            "message": "Head office cannot reach its database just now; nothing was changed. "
            "The terminal will try again shortly.",
        }
        assert answer.headers["Retry-After"] == "5"
    assert after.status_code == 200, after.text
