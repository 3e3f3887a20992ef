"""One campaign run, start to verdict.

1. Head office on a fresh database (SQLite file or a PostgreSQL schema), seeded with a
   small catalogue, one enrolment code per terminal; the fault proxy in front of it.
2. K terminal agents through the proxy, each on its own store, clock skewed.
3. The storm (proxy faults, SIGKILLs and restarts, link resets) while they work.
4. Calm: every fault stops, everyone is asked to sync, and the run waits (bounded) until
   every outbox is empty and every terminal has pulled head office's last change.
5. The checks (tests.fault.checks) on head office's data and each store and journal.
"""

from __future__ import annotations

import random
import shutil
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, text

from app.sync.wire import parse_cursor
from headoffice.engine import open_engine
from tests.fault import store_reads
from tests.fault.catalogue import write_seed_file
from tests.fault.chaos import Storm
from tests.fault.checks import (
    Verdict,
    check_balances,
    check_operations,
    check_terminal,
    journal_ops,
)
from tests.fault.ho_view import read_head_office
from tests.fault.journal import read_journal
from tests.fault.processes import WaitTimeoutError, wait_until
from tests.fault.proxy import FaultProxy
from tests.fault.terminal_view import read_terminal
from tests.fault.world import Agent, HarnessError, World, database, headoffice_command
from tests.support.headoffice_server import HeadOfficeProcess

ENROL_TIMEOUT_S = 90.0
NUDGE_EVERY_S = 1.0
FAR_AHEAD_S = 86_400.0  # one terminal a day fast in some runs
SKEW_S = 7_200.0


@dataclass(frozen=True)
class RunConfig:
    run_seed: int
    root: Path
    terminals: int = 3
    database: str = "sqlite"  # or "postgresql"
    steps: int = 40
    pace_ms: float = 80.0
    storm_min_s: float = 3.0
    storm_max_s: float = 45.0
    settle_timeout_s: float = 60.0
    keep: bool = False  # keep the folder even when the run passes
    template: Path | None = None  # an empty migrated store to start each terminal from
    chaos_gap_s: tuple[float, float] = (0.3, 1.5)  # between two moments of the storm

    @property
    def folder(self) -> Path:
        return self.root / f"run-{self.run_seed}"

    def replay(self) -> str:
        """The command that runs this run again (its seed and every setting it ran with)."""
        low, high = self.chaos_gap_s
        return (
            f"python -m tests.fault.campaign --run-seed {self.run_seed} "
            f"--terminals {self.terminals} --database {self.database} --steps {self.steps} "
            f"--pace-ms {self.pace_ms:g} --storm-min-s {self.storm_min_s:g} "
            f"--storm-max-s {self.storm_max_s:g} --chaos-gap-s {low:g} {high:g} "
            f"--settle-timeout-s {self.settle_timeout_s:g} --keep"
        )


@dataclass
class RunResult:
    config: RunConfig
    verdict: Verdict = field(default_factory=Verdict)
    faults: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)  # harness trouble, agent crashes, bugs
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds each part took
    _lap_at: float = field(default_factory=time.monotonic, repr=False)

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        self.phases[phase] = now - self._lap_at
        self._lap_at = now

    @property
    def ok(self) -> bool:
        return self.verdict.ok and not self.errors

    def report(self, shown: int = 12) -> str:
        """What went wrong, where the run's files are and how to replay it."""
        config, verdict = self.config, self.verdict
        lines = [
            f"run {config.run_seed} ({config.database}, {config.terminals} terminals) FAILED: "
            f"lost {verdict.count('lost')}, doubled {verdict.count('doubled')}, "
            f"diverged {verdict.count('diverged')}, errors {len(self.errors)}",
            f"  kept: {config.folder}",
            f"  replay: {config.replay()}",
        ]
        problems = [str(f) for f in verdict.findings] + self.errors
        lines += [f"  - {line}" for line in problems[:shown]]
        if len(problems) > shown:
            lines.append(f"  ... and {len(problems) - shown} more (verdict.txt has them all)")
        return "\n".join(lines)


def clock_offsets(rng: random.Random, count: int) -> list[float]:
    offsets = [round(rng.uniform(-SKEW_S, SKEW_S), 3) for _ in range(count)]
    if rng.random() < 0.5:
        offsets[rng.randrange(count)] = FAR_AHEAD_S
    return offsets


def run_once(config: RunConfig, pg_url: str = "") -> RunResult:
    result = RunResult(config)
    started = time.monotonic()
    folder = config.folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "replay.txt").write_text(config.replay() + "\n")
    keep = [True]  # until the verdict says otherwise
    try:
        with database(config.database, folder, pg_url, keep=keep) as url:
            _run(config, url, result)
            keep[0] = config.keep or not result.ok
    except HarnessError as error:
        result.errors.append(f"harness: {error}")
    result.seconds = time.monotonic() - started
    if result.ok and not config.keep:
        shutil.rmtree(folder, ignore_errors=True)
    elif not result.ok:
        (folder / "verdict.txt").write_text(result.report(shown=10**6) + "\n")
    return result


def _run(config: RunConfig, url: str, result: RunResult) -> None:
    rng = random.Random(config.run_seed)
    seed_file = write_seed_file(config.folder / "catalogue.json", config.run_seed)
    headoffice_command(url, "init-db")
    headoffice_command(url, "seed", str(seed_file))
    world = World(config.folder, url, HeadOfficeProcess(url, config.folder / "headoffice"))
    try:
        world.start_headoffice()
        with FaultProxy(("127.0.0.1", world.headoffice.port), seed=rng.randrange(2**31)) as proxy:
            for index, offset in enumerate(clock_offsets(rng, config.terminals)):
                name = f"Till {index + 1}"
                code = headoffice_command(url, "enrol-code", name).strip()
                agent = world.add_agent(
                    index,
                    proxy_url=proxy.url,
                    code=code,
                    seed=rng.randrange(2**31),
                    run_seed=config.run_seed,
                    steps=config.steps,
                    pace_ms=config.pace_ms,
                    clock_offset_s=offset,
                    template=config.template,
                )
                result.faults["skewed_clock"] += 1 if abs(offset) >= 1 else 0
                agent.process.start()
            _wait_enrolled(world)
            result.lap("start")
            storm = Storm(
                world,
                proxy,
                rng,
                min_s=config.storm_min_s,
                max_s=config.storm_max_s,
                gap_s=config.chaos_gap_s,
            )
            storm.run()
            result.lap("storm")
            result.faults.update(proxy.counts())
            result.faults.update(storm.counts)
            try:
                _settle(world, config.settle_timeout_s, result)
            except WaitTimeoutError as error:  # checked all the same: what is missing?
                result.errors.append(str(error))
            result.lap("calm")
        world.stop_all()
        try:
            _check(world, result)
        except Exception as error:  # the data core or a store could not even be read
            result.errors.append(f"the checks could not run: {type(error).__name__}: {error}")
        result.lap("checks")
    except WaitTimeoutError as error:
        result.errors.append(str(error))
    finally:
        world.stop_all()
        for agent in world.agents:
            _agent_errors(agent, result)


def _wait_enrolled(world: World) -> None:
    def enrolled() -> bool:
        for agent in world.agents:
            if agent.process.returncode not in (None, 0):
                raise HarnessError(
                    f"{agent.name} exited {agent.process.returncode} before enrolling:\n"
                    + agent.process.log_tail()
                )
        return all(agent.enrolled for agent in world.agents)

    wait_until(
        enrolled,
        timeout_s=ENROL_TIMEOUT_S,
        what="every terminal to enrol",
        seen=lambda: ", ".join(f"{a.name}: {a.enrolled}" for a in world.agents),
    )


def _head_version(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT txid, seq FROM documents ORDER BY txid DESC, seq DESC LIMIT 1")
        ).first()
    return (0, 0) if row is None else (int(row[0]), int(row[1]))


def _settle(world: World, timeout_s: float, result: RunResult) -> None:
    """Wait until every workload is done, every outbox is empty and every terminal has
    head office's last change; agents found dead are restarted (and the crash
    reported)."""
    engine = open_engine(world.database_url)
    nudged = [0.0]

    def where(agent: Agent) -> str:
        values = store_reads.sync_values(agent.store)
        pending = store_reads.pending_ops(agent.store)
        done = "done" if agent.done else "still working"
        return f"{agent.name}: {done}, {pending} pending, cursor {values.get('cursor', '')!r}"

    def quiet() -> bool:
        for agent in world.agents:
            if not agent.process.alive:
                code = agent.process.returncode
                result.errors.append(
                    f"{agent.name} exited {code} on its own; restarted:\n"
                    + agent.process.log_tail(15)
                )
                agent.process.start()
        if time.monotonic() - nudged[0] >= NUDGE_EVERY_S:
            nudged[0] = time.monotonic()
            for agent in world.agents:
                if agent.ready:
                    agent.process.send(signal.SIGUSR1)
        if not all(agent.done for agent in world.agents):
            return False  # a storm cut short at its bound: the workloads finish first
        head = _head_version(engine)
        for agent in world.agents:
            values = store_reads.sync_values(agent.store)
            cursor = values.get("cursor", "")
            if store_reads.pending_ops(agent.store) or values.get("snapshot_cursor"):
                return False
            if not cursor or parse_cursor(cursor) < head:
                return False
        return True

    try:
        wait_until(
            quiet,
            timeout_s=timeout_s,
            what="every terminal to push everything and pull head office's last change",
            seen=lambda: (
                f"head office at {_head_version(engine)}; "
                + "; ".join(where(a) for a in world.agents)
            ),
        )
    finally:
        engine.dispose()


def _check(world: World, result: RunResult) -> None:
    ho = read_head_office(world.database_url)
    verdict = result.verdict
    everything = []
    for agent in world.agents:
        ops = journal_ops(read_journal(agent.journal))
        everything += ops
        verdict.operations += len(ops)
        verdict.findings += check_operations(agent.name, ops, ho)
        terminal = read_terminal(agent.store)
        verdict.findings += check_terminal(agent.name, terminal, ho)
        unlisted = set(terminal.outbox) - {op.id for op in ops}
        if unlisted:
            result.errors.append(f"{agent.name}: {len(unlisted)} committed ops not journalled")
    verdict.findings += check_balances(everything, ho)


def _agent_errors(agent: Agent, result: RunResult) -> None:
    for entry in read_journal(agent.journal):
        if entry.action == "error":
            result.errors.append(f"{agent.name} step {entry.step}: {entry.facts.get('error')}")
