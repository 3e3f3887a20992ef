"""Terminals against a real head office: ``python -m headoffice serve`` in a subprocess
(tests/support/headoffice_server.py) on SQLite and on the throwaway PostgreSQL cluster,
and headless terminals (app.wiring.sync) on real SQLite stores, each with its own
in-memory keyring. Without the cluster the PostgreSQL half skips and says why, except
under CI=true, where that is a failure."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from app.domain.staff import Actor, Role
from app.services.customer_form import CustomerForm, PhoneEntry
from app.settings import Settings
from app.sync.credentials import TerminalCredentials
from app.sync.enrolment import enrol_terminal
from app.sync.wire import ENTITY_KINDS
from app.wiring.sync import HeadlessTerminal, headless_terminal
from headoffice.schema import applied_ops, documents
from tests.support.headoffice_server import (
    HeadOfficeProcess,
    postgres_schema_url,
    running_headoffice,
    sqlite_url,
)
from tests.sync.keyrings import MemoryKeyring
from tests.test_infrastructure import require_service

MANAGER = Actor(
    staff_uuid="00000000-0000-7000-8000-0000000000ee", name="Sam Manager", role=Role.MANAGER
)
CUSTOMER_RANK = ENTITY_KINDS.index("customer")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh head-office database: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "headoffice.db")
        return
    raw = require_service("TABKEEPER_TEST_PG_URL", "the throwaway PostgreSQL cluster")
    with postgres_schema_url(raw) as url:
        yield url


@pytest.fixture
def head_office(database_url: str, tmp_path: Path) -> Iterator[HeadOfficeProcess]:
    with running_headoffice(database_url, tmp_path / "headoffice") as server:
        yield server


@dataclass
class Till:
    """A headless terminal and its keyring."""

    headless: HeadlessTerminal
    ring: MemoryKeyring
    home: Path

    def add_customer(self, first: str, last: str, phone: str = "") -> str:
        form = CustomerForm(
            first_name=first,
            last_name=last,
            phones=(PhoneEntry(phone),) if phone else (),
        )
        return self.headless.run(self.headless.directory.create, MANAGER, form).record.uuid

    def customers(self) -> int:
        return self.headless.terminal.facts().customers

    def enrol(self, head_office: HeadOfficeProcess, name: str) -> None:
        """Enrol (not through the link, which would start syncing at once)."""
        code = head_office.enrolment_code(name)
        enrol_terminal(
            self.headless.sync_store,
            TerminalCredentials(self.ring),
            head_office.base_url,
            code,
            name,
            clock=self.headless.terminal.hlc,
        )


Tills = Callable[..., Till]


@pytest.fixture
def tills(tmp_path: Path) -> Iterator[Tills]:
    """Makes terminals: ``tills("Till 1")``; each is closed after the test."""
    opened: list[Till] = []

    def make(name: str, **options: Any) -> Till:
        home = tmp_path / name.replace(" ", "-")
        env = {"TABKEEPER_HOME": str(home), "TABKEEPER_DEMO": "0", "TABKEEPER_TERMINAL": name}
        ring = MemoryKeyring()
        options.setdefault("start_sync", False)
        options.setdefault("poll_s", 0.05)
        options.setdefault("debounce_s", 0.05)
        headless = headless_terminal(
            Settings.from_env(env),
            actor=MANAGER,
            credentials=TerminalCredentials(ring),
            **options,
        )
        till = Till(headless, ring, home)
        opened.append(till)
        return till

    yield make
    for till in opened:
        till.headless.close()


def head_office_counts(database_url: str) -> dict[str, int]:
    """Live customers and operations by status, read from head office's database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            customers = conn.scalar(
                select(func.count())
                .select_from(documents)
                .where(documents.c.rank == CUSTOMER_RANK, documents.c.deleted.is_(False))
            )
            statuses = dict(
                conn.execute(
                    select(applied_ops.c.status, func.count()).group_by(applied_ops.c.status)
                ).all()
            )
    finally:
        engine.dispose()
    return {"customers": int(customers or 0), **{str(k): int(v) for k, v in statuses.items()}}
