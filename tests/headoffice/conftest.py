"""Head office on both of its databases: every test taking ``ho_engine`` runs twice.

SQLite is a fresh file per test. PostgreSQL is the throwaway cluster `make test` starts
(TABKEEPER_TEST_PG_URL); each test gets a schema of its own, dropped afterwards, so
tests never see each other's rows. Without the cluster the PostgreSQL half skips and
says why, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from app.domain.hlc import HEAD_OFFICE_NODE, HybridClock
from headoffice.engine import open_engine
from headoffice.schema import create_schema
from tests.headoffice.terminal_ops import ManualTime


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def postgres_url() -> str:
    """The throwaway cluster's URL for psycopg 3; skips (fails under CI) without it."""
    url = os.environ.get("TABKEEPER_TEST_PG_URL", "")
    if not url:
        reason = (
            "the throwaway PostgreSQL cluster is not available: TABKEEPER_TEST_PG_URL is not "
            "set (`make test` starts it; `source var/test-services.env` when it runs)"
        )
        if _in_ci():
            pytest.fail(f"{reason} (CI=true, so this is a failure rather than a skip)")
        pytest.skip(reason)
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def postgres_schema_engine(schema: str) -> Engine:
    """A head-office engine whose connections use ``schema`` only."""
    return create_engine(
        postgres_url(), pool_size=8, connect_args={"options": f"-csearch_path={schema}"}
    )


@contextmanager
def postgres_head_office() -> Iterator[Engine]:
    """A head-office database in a fresh PostgreSQL schema, dropped afterwards."""
    admin = create_engine(postgres_url(), isolation_level="AUTOCOMMIT")
    schema = f"t_{secrets.token_hex(6)}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = postgres_schema_engine(schema)
    try:
        create_schema(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def ho_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A head-office database with its schema created, on SQLite then on PostgreSQL."""
    if request.param == "postgresql":
        with postgres_head_office() as engine:
            yield engine
        return
    engine = open_engine(f"sqlite:///{tmp_path / 'headoffice.db'}")
    create_schema(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def ho_pg_engine() -> Iterator[Engine]:
    """PostgreSQL only: for what only PostgreSQL does (concurrent writers)."""
    with postgres_head_office() as engine:
        yield engine


@pytest.fixture
def ho_time() -> ManualTime:
    return ManualTime()


@pytest.fixture
def ho_clock(ho_time: ManualTime) -> HybridClock:
    """Head office's hybrid clock, on the hand-moved wall clock."""
    return HybridClock(HEAD_OFFICE_NODE, ho_time)
