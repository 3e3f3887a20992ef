"""The protocol state machine's world, in one process: head office's real app on a
SQLite file (served in-process, see :mod:`tests.fault.inprocess`) and terminals that are
real stores with the real services, the real ``SqlSyncStore`` and the real
``SyncEngine`` over the real ``HeadOfficeClient``. Time is moved by hand; each terminal
reads it through its own skew."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.services.sync_ports import SyncState
from app.settings import Settings
from app.store.database import StoreLocation, create_session_factory, create_store_engine
from app.store.sync_store import SqlSyncStore
from app.sync.client import HeadOfficeClient
from app.sync.credentials import bearer_token
from app.sync.engine import CycleResult, SyncEngine
from app.wiring.terminal import Terminal
from app.wiring.terminal import open_terminal as wire_terminal
from headoffice import terminals
from headoffice.app import create_app
from headoffice.authoring import edit_customer, write_documents
from headoffice.catalogue import parse_catalogue
from headoffice.config import HeadOfficeSettings
from headoffice.runtime import HeadOfficeRuntime, open_runtime, prepare_database
from tests.fault import store_reads
from tests.fault.agent_terminal import AGENT_ACTOR, agent_settings
from tests.fault.catalogue import seed_catalogue
from tests.fault.inprocess import AppServer, FaultyTransport
from tests.fault.journal import JournalOp
from tests.fault.workload import Workload

URL = "http://headoffice.test"
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PULL_LIMIT = 5  # small pages, so a pull and a snapshot take several
SNAPSHOT_LIMIT = 4


class WorldTime:
    """The one true time of the world, moved by hand."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class SkewedTime:
    def __init__(self, world: WorldTime) -> None:
        self.world = world
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return self.world.now + self.offset


class InProcessHeadOffice:
    def __init__(self, folder: Path, time: WorldTime, run_seed: int) -> None:
        self.database_url = f"sqlite:///{folder / 'headoffice.db'}"
        settings = HeadOfficeSettings(database_url=self.database_url)
        self.runtime: HeadOfficeRuntime = open_runtime(settings, now=time)
        prepare_database(self.runtime)
        docs = parse_catalogue(seed_catalogue(run_seed))
        with self.runtime.gate.begin() as conn:
            write_documents(conn, ((d.entity, d.uuid, d.data) for d in docs), self.runtime.clock)
        self.server = AppServer(create_app(self.runtime))

    def enrolment_code(self, name: str) -> str:
        with self.runtime.gate.begin() as conn:
            return terminals.issue_code(conn, name, self.runtime.now()).code

    def edit_customer(self, customer_uuid: str, fields: dict[str, object]) -> None:
        with self.runtime.gate.begin() as conn:
            edit_customer(conn, customer_uuid, fields, self.runtime.clock)

    def close(self) -> None:
        self.server.close()
        self.runtime.close()


@dataclass(frozen=True)
class Enrolled:
    """What stays the same across a terminal's restarts: its store, name and token."""

    name: str
    index: int
    run_seed: int
    settings: Settings
    token: str
    time: SkewedTime
    transport: FaultyTransport


@dataclass
class SimTerminal:
    enrolled: Enrolled
    terminal: Terminal
    engine: SyncEngine
    workload: Workload

    @property
    def name(self) -> str:
        return self.enrolled.name

    @property
    def store(self) -> Path:
        return self.enrolled.settings.store_path

    @property
    def time(self) -> SkewedTime:
        return self.enrolled.time

    @property
    def transport(self) -> FaultyTransport:
        return self.enrolled.transport

    def cycle(self) -> CycleResult:
        return self.engine.run_cycle()

    def outbox_ops(self) -> list[JournalOp]:
        return store_reads.outbox_after(self.terminal.engine, 0)[1]

    def forget_cursor(self) -> None:
        """As after a cursor too old for head office: the next cycle takes a snapshot."""
        sync_store = self.terminal.sync_store
        state: SyncState = sync_store.state()
        sync_store.save_state(replace(state, cursor="", snapshot_page="", snapshot_cursor=""))

    def restart(self) -> None:
        """The till switched off and on: the same store wired afresh (a new hybrid clock
        on the wall clock, as a process started again has)."""
        self.close()
        self.terminal, self.engine, self.workload = _wire(self.enrolled)

    def close(self) -> None:
        self.engine.close()
        self.terminal.close()


def open_terminal(
    index: int,
    folder: Path,
    template: Path,
    head_office: InProcessHeadOffice,
    time: WorldTime,
    run_seed: int,
) -> SimTerminal:
    """A terminal enrolled with the in-process head office, wired by app.wiring as the
    app wires one, with its sync engine on the faulty transport."""
    name = f"Till {index + 1}"
    settings = agent_settings(folder / f"terminal-{index + 1}", name, sync_interval_s=30.0)
    settings.data_dir.mkdir(parents=True)
    shutil.copyfile(template, settings.store_path)
    transport = FaultyTransport(head_office.server)
    with HeadOfficeClient(URL, transport=transport) as client:
        answer = client.enrol(head_office.enrolment_code(name), name)
    _remember_enrolment(settings.store_path, answer.terminal_uuid, name)
    token = bearer_token(answer.terminal_uuid, answer.token)
    enrolled = Enrolled(name, index, run_seed, settings, token, SkewedTime(time), transport)
    return SimTerminal(enrolled, *_wire(enrolled))


def _wire(enrolled: Enrolled) -> tuple[Terminal, SyncEngine, Workload]:
    terminal = wire_terminal(enrolled.settings, clock=enrolled.time, actor=AGENT_ACTOR)
    engine = SyncEngine(
        terminal.sync_store,
        HeadOfficeClient(URL, token=enrolled.token, transport=enrolled.transport),
        terminal.hlc,
        now=enrolled.time,
        pull_limit=PULL_LIMIT,
        snapshot_limit=SNAPSHOT_LIMIT,
    )
    workload = Workload(
        terminal,
        AGENT_ACTOR,
        seed=enrolled.run_seed * 10 + enrolled.index,
        run_seed=enrolled.run_seed,
        terminal_index=enrolled.index,
    )
    return terminal, engine, workload


def _remember_enrolment(store: Path, terminal_uuid: str, name: str) -> None:
    """What enrolment keeps in the store (the token goes to the engine's client here)."""
    engine = create_store_engine(StoreLocation(store))
    try:
        sync_store = SqlSyncStore(create_session_factory(engine))
        state = sync_store.state()
        sync_store.save_state(
            replace(
                state,
                node=terminal_uuid,
                server_url=URL,
                terminal_uuid=terminal_uuid,
                terminal_name=name,
            )
        )
    finally:
        engine.dispose()
