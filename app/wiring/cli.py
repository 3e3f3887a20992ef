"""``python -m app sync …``: enrol this terminal, sync once, or say how sync stands.

    python -m app sync enrol https://office.example.com K7QM-3XPR-9TWD --name "Till 2"
    python -m app sync now
    python -m app sync status

They work on the store in TABKEEPER_HOME (as the app does) and never start Qt. Exit
status: 0 done, 1 sync failed (the message says why), 2 a bad argument or setting.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine

from app.domain.hlc import HybridClock
from app.services.sync_ports import SyncStore
from app.settings import Settings, SettingsError
from app.store.database import StoreLocation, create_session_factory, create_store_engine
from app.store.migrate import upgrade_store
from app.store.sync_store import SqlSyncStore
from app.sync.credentials import TerminalCredentials
from app.sync.engine import CycleResult
from app.sync.enrolment import engine_connector, enrol_terminal
from app.sync.errors import SetupError, SyncError

FAILED, BAD_INPUT = 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m app sync", description="Sync this terminal with head office."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    enrol = commands.add_parser(
        "enrol", help="enrol this terminal with a one-time code from head office"
    )
    enrol.add_argument("url", help="head office's address, e.g. https://office.example.com")
    enrol.add_argument("code", help="the code head office gave (python -m headoffice enrol-code)")
    enrol.add_argument("--name", help="this terminal's name at head office (TABKEEPER_TERMINAL)")
    commands.add_parser("now", help="push what is waiting and pull what changed, once")
    commands.add_parser("status", help="head office, the last sync, what is not synced yet")
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] = os.environ,
    credentials: TerminalCredentials | None = None,
    out: TextIO = sys.stdout,
) -> int:
    """Run one ``sync`` command; messages for a person go to ``out``."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env(env)
    except SettingsError as error:
        print(error, file=out)
        return BAD_INPUT
    keyring = credentials or TerminalCredentials()
    engine, store = open_sync_store(settings)
    try:
        if args.command == "enrol":
            return _enrol(store, keyring, settings, args.url, args.code, args.name, out)
        if args.command == "now":
            return _sync_now(store, keyring, settings, out)
        return _status(store, settings, out)
    finally:
        engine.dispose()


def open_sync_store(settings: Settings) -> tuple[Engine, SqlSyncStore]:
    """Only the store's sync side, migrated but not seeded, and without the services."""
    engine = create_store_engine(StoreLocation(settings.store_path))
    try:
        upgrade_store(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine, SqlSyncStore(create_session_factory(engine))


def _enrol(
    store: SyncStore,
    credentials: TerminalCredentials,
    settings: Settings,
    url: str,
    code: str,
    name: str | None,
    out: TextIO,
) -> int:
    clock = HybridClock(store.state().node)
    try:
        enrolment = enrol_terminal(
            store,
            credentials,
            url,
            code,
            name or settings.terminal,
            ca_file=settings.head_office_ca_file,
            clock=clock,
        )
    except SetupError as error:
        print(error, file=out)
        return BAD_INPUT
    except SyncError as error:
        print(f"Not enrolled: {error}", file=out)
        return FAILED
    print(
        f"Enrolled “{enrolment.terminal_name}” with head office at "
        f"{enrolment.head_office_url} (terminal {enrolment.terminal_uuid}). "
        "The next sync (`python -m app sync now`, or the app) takes head office's copy.",
        file=out,
    )
    return 0


def _sync_now(
    store: SyncStore, credentials: TerminalCredentials, settings: Settings, out: TextIO
) -> int:
    connect = engine_connector(
        store,
        credentials,
        HybridClock(store.state().node),
        fallback_url=settings.head_office_url,
        ca_file=settings.head_office_ca_file,
    )
    try:
        engine = connect(lambda: False)
    except SyncError as error:
        print(f"Not synced: {error}", file=out)
        return FAILED
    try:
        result = engine.run_cycle()
    finally:
        engine.close()
    print(describe_cycle(engine.head_office_url, result), file=out)
    return 0 if result.ok else FAILED


def describe_cycle(url: str, result: CycleResult) -> str:
    """One cycle in a sentence or two."""
    done = [f"pushed {result.applied} operation{_s(result.applied)}"]
    if result.duplicates:
        done.append(f"{result.duplicates} head office already had")
    if result.rejected:
        done.append(f"{result.rejected} refused (kept for a manager to see)")
    pulled = f"pulled {result.pulled} change{_s(result.pulled)}"
    if result.snapshot_finished:
        pulled += " (a full copy)"
    done.append(pulled)
    summary = ", ".join(done)
    if result.error is None:
        return f"Synced with head office at {url}: {summary}."
    return f"Sync stopped: {result.error}. Before that: {summary}."


def _status(store: SyncStore, settings: Settings, out: TextIO) -> int:
    state = store.state()
    counts = store.counts()
    zone = _zone(settings.time_zone)
    url = state.server_url or settings.head_office_url
    if not url:
        office = "none: not enrolled (python -m app sync enrol URL CODE)"
    elif state.terminal_uuid:
        office = f"{url}, enrolled as “{state.terminal_name}” (terminal {state.terminal_uuid})"
    else:
        office = f"{url}, not enrolled yet (python -m app sync enrol {url} CODE)"
    lines = [
        ("Head office", office),
        ("Last sync", _when(state.last_sync_at, zone) if state.last_sync_at else "never"),
        ("Not synced", _waiting(counts.pending, counts.oldest_pending_at, zone)),
        ("Refused", f"{counts.rejected} operation{_s(counts.rejected)}"),
    ]
    if state.snapshot_cursor:
        lines.append(("Snapshot", "under way; the next sync resumes it"))
    if state.last_error:
        lines.append(("Last error", state.last_error))
    width = max(len(label) for label, _ in lines) + 2
    for label, text in lines:
        print(f"{label + ':':<{width}}{text}", file=out)
    return 0


def _waiting(pending: int, oldest: datetime | None, zone: ZoneInfo) -> str:
    text = f"{pending} operation{_s(pending)}"
    if pending and oldest is not None:
        text += f", the oldest from {_when(oldest, zone)}"
    return text


def _when(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%d %b %Y %H:%M") + f" ({zone.key})"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _s(count: int) -> str:
    return "" if count == 1 else "s"
