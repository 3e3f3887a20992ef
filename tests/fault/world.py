"""The processes of one campaign run: head office (a real server process on its own
database), the fault proxy in front of it, and the terminal agents behind the proxy.

Head office's housekeeping (tables, the seed catalogue, enrolment codes) goes through
its real CLI, called in this process to save a Python start per command.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from app.settings import STORE_FILE
from headoffice.cli import main as headoffice_cli
from tests.fault import store_reads
from tests.fault.file_keyring import BACKEND, FILE_VARIABLE
from tests.fault.processes import ChildProcess, python_module
from tests.fault.terminal_agent import read_status
from tests.support.headoffice_server import HeadOfficeProcess, postgres_admin_url


class HarnessError(RuntimeError):
    """The harness itself could not do its part (a process would not start, ...)."""


@dataclass
class Agent:
    """One terminal agent and the files of its life."""

    index: int
    name: str
    folder: Path
    clock_offset_s: float
    process: ChildProcess
    _terminal_uuid: str | None = field(default=None, repr=False)

    @property
    def store(self) -> Path:
        return self.folder / STORE_FILE

    @property
    def journal(self) -> Path:
        return self.folder / "journal.jsonl"

    @property
    def status(self) -> dict[str, object]:
        return read_status(self.folder / "status.json")

    @property
    def done(self) -> bool:
        status = self.status
        return bool(status.get("done")) and status.get("pid") == self.process.pid

    @property
    def ready(self) -> bool:
        """Its signal handlers are installed (SIGUSR1 would end it before)."""
        return self.process.alive and self.status.get("pid") == self.process.pid

    @property
    def terminal_uuid(self) -> str:
        """Head office's uuid for this terminal, once enrolled ("" before)."""
        if self._terminal_uuid is None and self.store.exists():
            found = store_reads.sync_values(self.store).get("terminal_uuid", "")
            self._terminal_uuid = found or None
        return self._terminal_uuid or ""

    @property
    def enrolled(self) -> bool:
        return (
            bool(store_reads.sync_values(self.store).get("terminal_uuid"))
            if (self.store.exists())
            else False
        )


def headoffice_command(database_url: str, *args: str, env: Mapping[str, str] | None = None) -> str:
    """``python -m headoffice <args>`` on ``database_url``, in this process; its stdout."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TABKEEPER_HO_")}
    environ.update(env or {})
    environ["TABKEEPER_HO_DATABASE_URL"] = database_url
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = headoffice_cli(list(args), environ)
    if code != 0:
        raise HarnessError(f"python -m headoffice {' '.join(args)} exited {code}: {err.getvalue()}")
    return out.getvalue()


@contextmanager
def database(kind: str, folder: Path, pg_url: str, *, keep: list[bool]) -> Iterator[str]:
    """Head office's database for a run: a SQLite file in ``folder``, or a PostgreSQL
    schema of its own, dropped afterwards unless ``keep[0]`` is set by then (a failed
    run keeps its data for the post-mortem)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'headoffice.db'}"
        return
    schema = "fault_" + folder.name.replace("-", "_").lower()
    admin = create_engine(postgres_admin_url(pg_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        (folder / "postgresql-schema.txt").write_text(f"{pg_url} schema {schema}\n")
        separator = "&" if "?" in pg_url else "?"
        yield postgres_admin_url(pg_url) + f"{separator}options=-csearch_path%3D{schema}"
        if not keep[0]:
            with admin.connect() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    finally:
        admin.dispose()


@dataclass
class World:
    folder: Path
    database_url: str
    headoffice: HeadOfficeProcess
    agents: list[Agent] = field(default_factory=list)

    def start_headoffice(self) -> None:
        try:
            self.headoffice.start()
        except RuntimeError as error:
            raise HarnessError(f"head office would not start: {error}") from None

    def add_agent(
        self,
        index: int,
        *,
        proxy_url: str,
        code: str,
        seed: int,
        run_seed: int,
        steps: int,
        pace_ms: float,
        clock_offset_s: float,
        template: Path | None = None,
    ) -> Agent:
        name = f"Till {index + 1}"
        folder = self.folder / f"terminal-{index + 1}"
        folder.mkdir(parents=True, exist_ok=True)
        if template is not None:  # an empty store already migrated: no migrations to wait for
            shutil.copyfile(template, folder / STORE_FILE)
        env = dict(os.environ)
        env.update(
            PYTHONUNBUFFERED="1",
            PYTHON_KEYRING_BACKEND=BACKEND,
            **{FILE_VARIABLE: str(folder / "keyring.json")},
        )
        argv = python_module(
            "tests.fault.terminal_agent",
            *("--data-dir", str(folder), "--head-office", proxy_url),
            *("--code", code, "--name", name, "--index", str(index)),
            *("--seed", str(seed), "--run-seed", str(run_seed), "--steps", str(steps)),
            *("--pace-ms", str(pace_ms), "--clock-offset-s", str(clock_offset_s)),
            *("--journal", str(folder / "journal.jsonl")),
            *("--status", str(folder / "status.json")),
        )
        process = ChildProcess(name, argv, log_path=folder / "agent.log", env=env)
        agent = Agent(index, name, folder, clock_offset_s, process)
        self.agents.append(agent)
        return agent

    def stop_all(self) -> None:
        for agent in self.agents:
            agent.process.stop()
        self.headoffice.stop()
