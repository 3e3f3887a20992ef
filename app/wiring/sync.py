"""The terminal's sync with head office, wired from the settings, and the headless
terminal: the store, the services and sync, with no Qt anywhere in its imports.

A headless terminal, as the fault campaign runs one per process::

    terminal = headless_terminal(Settings.from_env(), actor=AGENT)
    try:
        terminal.sync.enrol(url, code, "Till 7").result()  # once; the token is kept
        terminal.run(terminal.directory.create, AGENT, form)  # on the store thread
        terminal.sync.sync_now()  # or let the worker notice the write
    finally:
        terminal.close()  # stops sync, then the store

SQLite likes one writer: the sync worker's store calls run on the terminal's store
thread (``terminal.worker``), so writes made while sync runs should go there too
(:meth:`HeadlessTerminal.run`), as the screens' do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine

from app.domain.staff import Actor
from app.services.accounts import AccountService
from app.services.checkout import CheckoutService
from app.services.directory import Clock, DirectoryService, utc_clock
from app.services.identifiers import IdentifierService
from app.services.merge import MergeService
from app.services.tabs import TabService
from app.settings import Settings
from app.store.sync_store import SqlSyncStore
from app.sync.credentials import TerminalCredentials
from app.sync.link import SyncLink, SyncOptions
from app.sync.status import SyncStatus
from app.sync.store_thread import OnStoreThread
from app.sync.worker import Backoff, Listener
from app.wiring.terminal import Terminal, open_terminal

T = TypeVar("T")


def sync_options(settings: Settings, **overrides: Any) -> SyncOptions:
    """The sync worker's options from the settings (``overrides`` for tests and agents:
    poll_s, debounce_s, backoff)."""
    return SyncOptions(
        head_office_url=settings.head_office_url,
        interval_s=settings.sync_interval_s,
        ca_file=settings.head_office_ca_file,
        **overrides,
    )


def open_sync(
    terminal: Terminal,
    *,
    credentials: TerminalCredentials | None = None,
    **overrides: Any,
) -> SyncLink:
    """The terminal's link to head office, not yet started (``start()`` it with the app).
    Its store calls run on the terminal's store thread, the one writer."""
    return SyncLink(
        OnStoreThread(terminal.sync_store, terminal.worker),
        credentials or TerminalCredentials(),
        terminal.hlc,
        sync_options(terminal.settings, **overrides),
    )


@dataclass
class HeadlessTerminal:
    """A terminal without screens: the store, its services and its sync with head office."""

    terminal: Terminal
    sync: SyncLink
    statuses: list[SyncStatus] = field(default_factory=list)  # the latest few, newest last

    @property
    def engine(self) -> Engine:
        return self.terminal.engine

    @property
    def actor(self) -> Actor:
        return self.terminal.actor

    @property
    def directory(self) -> DirectoryService:
        return self.terminal.directory

    @property
    def identifiers(self) -> IdentifierService:
        return self.terminal.identifiers

    @property
    def merges(self) -> MergeService:
        return self.terminal.merges

    @property
    def tabs(self) -> TabService:
        return self.terminal.tabs

    @property
    def checkout(self) -> CheckoutService:
        return self.terminal.checkout

    @property
    def accounts(self) -> AccountService:
        return self.terminal.accounts

    @property
    def sync_store(self) -> SqlSyncStore:
        return self.terminal.sync_store

    def run(self, use_case: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a use case on the store thread (the one writer) and return its result."""
        return self.terminal.worker.submit(use_case, *args, **kwargs).result()

    def close(self) -> None:
        """Stop sync (bounded wait), then close the store."""
        self.sync.stop()
        self.terminal.close()


KEEP_STATUSES = 50


def headless_terminal(
    settings: Settings,
    *,
    clock: Clock = utc_clock,
    actor: Actor | None = None,
    credentials: TerminalCredentials | None = None,
    listener: Listener | None = None,
    start_sync: bool = True,
    poll_s: float | None = None,
    debounce_s: float | None = None,
    backoff: Backoff | None = None,
) -> HeadlessTerminal:
    """Open the store as the app does (no Qt), wire sync and, when enrolled and
    ``start_sync``, start it. ``clock`` may be skewed; ``actor`` signs in as someone
    when the store has no manager (an empty store); ``listener`` hears every status on
    the worker's thread."""
    terminal = open_terminal(settings, clock=clock, actor=actor)
    overrides: dict[str, Any] = {}
    if poll_s is not None:
        overrides["poll_s"] = poll_s
    if debounce_s is not None:
        overrides["debounce_s"] = debounce_s
    if backoff is not None:
        overrides["backoff"] = backoff
    try:
        link = open_sync(terminal, credentials=credentials, **overrides)
    except BaseException:
        terminal.close()
        raise
    headless = HeadlessTerminal(terminal, link)

    def heard(status: SyncStatus) -> None:
        headless.statuses.append(status)
        del headless.statuses[:-KEEP_STATUSES]
        if listener is not None:
            listener(status)

    link.add_listener(heard)
    if start_sync:
        link.start()
    return headless
