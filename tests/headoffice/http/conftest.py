"""A real head office over real HTTP: ``python -m headoffice serve`` in a subprocess on a
loopback port (tests/support/headoffice_server.py), on SQLite and on the throwaway
PostgreSQL cluster. Without the cluster the PostgreSQL half skips and says why, except
under CI=true, where that is a failure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.headoffice_server import (
    HeadOfficeProcess,
    postgres_schema_url,
    running_headoffice,
    sqlite_url,
)
from tests.test_infrastructure import require_service


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty head-office database: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "headoffice.db")
        return
    raw = require_service("TABKEEPER_TEST_PG_URL", "the throwaway PostgreSQL cluster")
    with postgres_schema_url(raw) as url:
        yield url


@pytest.fixture
def headoffice(database_url: str, tmp_path: Path) -> Iterator[HeadOfficeProcess]:
    """A running head office of its own, on each database in turn."""
    with running_headoffice(database_url, tmp_path / "server") as server:
        yield server


@pytest.fixture(scope="module")
def shared_headoffice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeadOfficeProcess]:
    """One head office on SQLite for a module's tests that only read or refuse."""
    folder = tmp_path_factory.mktemp("headoffice")
    with running_headoffice(sqlite_url(folder / "headoffice.db"), folder / "server") as server:
        yield server
