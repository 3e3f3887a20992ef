"""The terminal side of the sync benchmarks: a headless terminal on a store of its own,
enrolled with head office, its real sync engine and client, and operations made through
its real services (so they reach the outbox exactly as a till's would).

The engine is built as ``app.sync.enrolment.engine_connector`` builds it, with the store
and the client each wrapped in a :class:`Stopwatch` that adds up the time spent in each
method, so a figure can be split into network, head office and the terminal's own work.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import keyring.errors

from app.domain.errors import DomainError
from app.domain.ids import new_uuid7
from app.domain.ledger import AccountKind
from app.domain.staff import Actor, Role
from app.services.dto import DirectoryQuery
from app.settings import Settings
from app.store.sync_store import SqlSyncStore
from app.sync.client import HeadOfficeClient
from app.sync.credentials import TerminalCredentials
from app.sync.engine import SyncEngine
from app.sync.enrolment import enrol_terminal
from app.sync.wire import Operation
from app.wiring.sync import HeadlessTerminal, headless_terminal

BENCH_ACTOR = Actor(staff_uuid=new_uuid7(), name="Benchmark Manager", role=Role.MANAGER)
COMPANIES = ("Acme Ltd", "Blue Door Bakery", "Harbour & Co", "Northwind", "Quayside Fish")
TITLES = ("Mr", "Ms", "Mx", "Dr", "Prof")


class MemoryKeyring:
    """A keyring that keeps the token in memory: this process is the whole terminal."""

    priority = 1

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._values.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("no such password")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) process ``pid`` has used so far; 0.0 where /proc is not
    there to say."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Stopwatch:
    """Wraps an object; every method call is passed on and its wall time added up by
    name (``seconds``, ``calls``). ``marks`` keeps when the last call of each ended."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.marks: dict[str, float] = {}

    @property
    def inner(self) -> Any:
        """The wrapped object itself."""
        return self._inner

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if not callable(value):
            return value

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return value(*args, **kwargs)
            finally:
                ended = time.perf_counter()
                self.seconds[name] += ended - started
                self.calls[name] += 1
                self.marks[name] = ended

        return timed

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()
        self.marks.clear()


@dataclass
class BenchTerminal:
    """One enrolled headless terminal, its engine (not the worker: cycles run when the
    benchmark says) and the stopwatches around its store and client."""

    headless: HeadlessTerminal
    engine: SyncEngine
    store: Stopwatch
    client: Stopwatch
    url: str
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    head_office_pid: int = 0  # to read the CPU time head office spends

    def cpu(self) -> tuple[float, float]:
        """CPU seconds used so far by head office's process and by this one."""
        return cpu_seconds(self.head_office_pid), time.process_time()

    @property
    def sync_store(self) -> SqlSyncStore:
        return self.headless.sync_store

    def close(self) -> None:
        self.engine.close()
        self.headless.close()


def open_bench_terminal(folder: Path, url: str, code: str, name: str, seed: int) -> BenchTerminal:
    """An empty store (migrated, not seeded) enrolled at ``url`` with ``code``; the
    engine is ready, nothing is synced yet."""
    settings = Settings(data_dir=folder, demo=False, terminal=name)
    credentials = TerminalCredentials(MemoryKeyring())
    headless = headless_terminal(
        settings, actor=BENCH_ACTOR, credentials=credentials, start_sync=False
    )
    try:
        store = headless.sync_store
        enrolled = enrol_terminal(store, credentials, url, code, name, clock=headless.terminal.hlc)
        token = credentials.load(enrolled.head_office_url)
        assert token is not None, "enrolment kept no token"
        client = Stopwatch(HeadOfficeClient(enrolled.head_office_url, token=token))
        timed_store = Stopwatch(store)
        engine = SyncEngine(timed_store, client, headless.terminal.hlc)
    except BaseException:
        headless.close()
        raise
    return BenchTerminal(
        headless, engine, timed_store, client, enrolled.head_office_url, random.Random(seed)
    )


# Operations made through the services ---------------------------------------------------


@dataclass
class MadeOps:
    """What :func:`make_operations` made, by kind, and what it had to skip."""

    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    skipped: int = 0
    seconds: float = 0.0
    edited: list[int] = field(default_factory=list)  # customers given a customer.upsert


def customer_ids(terminal: BenchTerminal) -> list[int]:
    """Live, active customers of the terminal's store (the ones a till would serve)."""
    with terminal.headless.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id FROM customers WHERE status = 'active' AND merged_into_id IS NULL "
            "ORDER BY id"
        )
        return [int(row[0]) for row in rows]


def make_operations(
    terminal: BenchTerminal,
    customers: list[int],
    mix: list[tuple[str, int]],
    *,
    distinct_edits: set[int] | None = None,
) -> MadeOps:
    """Queue operations as a till makes them: ``mix`` is ``(kind, count)`` with kind one
    of ``points`` (a manager's points adjustment), ``top_up`` (purse), ``edit`` (two
    directory fields) and ``note``. A customer a service refuses is skipped for another.
    ``distinct_edits`` collects edited customers and never edits one twice."""
    made = MadeOps()
    started = time.perf_counter()
    rng = terminal.rng
    actions: dict[str, Callable[[int, int], None]] = {
        "points": lambda cid, n: _points(terminal, cid, rng),
        "top_up": lambda cid, n: _top_up(terminal, cid, rng),
        "edit": lambda cid, n: _edit(terminal, cid, rng),
        "note": lambda cid, n: _note(terminal, cid, n),
    }
    plan = [kind for kind, count in mix for _ in range(count)]
    rng.shuffle(plan)
    for number, kind in enumerate(plan):
        for _attempt in range(50):  # some demo customers cannot be saved as they are
            customer = rng.choice(customers)
            if kind == "edit" and distinct_edits is not None and customer in distinct_edits:
                continue
            try:
                actions[kind](customer, number)
            except DomainError:
                made.skipped += 1
                continue
            made.by_kind[kind] += 1
            if kind == "edit":
                made.edited.append(customer)
                if distinct_edits is not None:
                    distinct_edits.add(customer)
            break
    made.seconds = time.perf_counter() - started
    return made


def _points(terminal: BenchTerminal, customer: int, rng: random.Random) -> None:
    accounts = terminal.headless.accounts
    amount = rng.randint(1, 200)
    accounts.adjust(BENCH_ACTOR, customer, AccountKind.POINTS, amount, "goodwill")


def _top_up(terminal: BenchTerminal, customer: int, rng: random.Random) -> None:
    terminal.headless.accounts.top_up(BENCH_ACTOR, customer, 100 * rng.randint(1, 50))


def _edit(terminal: BenchTerminal, customer: int, rng: random.Random) -> None:
    """A new alias (unique, so the edit always changes something) and one more field."""
    directory = terminal.headless.directory
    form = directory.open_record(BENCH_ACTOR, customer).form
    changes: dict[str, Any] = {"alias": f"bench-{new_uuid7()[-12:]}"}
    other = rng.choice(("company", "title", "dob"))
    if other == "company":
        changes["company"] = rng.choice(COMPANIES)
    elif other == "title":
        changes["title"] = rng.choice(TITLES)
    else:
        changes["date_of_birth"] = date(1950 + rng.randrange(50), 1 + rng.randrange(12), 1)
    directory.edit(BENCH_ACTOR, customer, replace(form, **changes))


def _note(terminal: BenchTerminal, customer: int, number: int) -> None:
    terminal.headless.directory.add_note(BENCH_ACTOR, customer, f"benchmark note {number}")


def outbox_high(terminal: BenchTerminal) -> int:
    """The newest outbox row's key (0 when empty)."""
    with terminal.headless.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM outbox").scalar_one())


def operations_since(terminal: BenchTerminal, high: int) -> list[dict[str, Any]]:
    """The outbox's operations queued after row ``high``, as the wire carries them."""
    with terminal.headless.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT uuid, kind, entity_uuid, created_at, hlc, payload FROM outbox "
            "WHERE id > ? ORDER BY id",
            (high,),
        ).all()
    return [
        Operation(
            id=uuid,
            kind=kind,
            entity_uuid=entity,
            created_at=created,
            hlc=hlc,
            payload=json.loads(payload),
        ).model_dump(mode="json")
        for uuid, kind, entity, created, hlc, payload in rows
    ]


def search_ready(terminal: BenchTerminal, text: str) -> int:
    """Search the directory as the app does; how many rows the first page found."""
    page = terminal.headless.directory.search(BENCH_ACTOR, DirectoryQuery(text=text))
    return len(page.rows)


def store_counts(terminal: BenchTerminal) -> dict[str, int]:
    """Customers, cards and indexed customers in the terminal's store."""
    with terminal.headless.engine.connect() as conn:

        def count(sql: str) -> int:
            return int(conn.exec_driver_sql(sql).scalar_one())

        return {
            "customers": count("SELECT count(*) FROM customers"),
            "identifiers": count("SELECT count(*) FROM identifiers"),
            "indexed": count("SELECT count(*) FROM customer_search"),
            "openings": count("SELECT count(*) FROM sync_openings"),
        }
