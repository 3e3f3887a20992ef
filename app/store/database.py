"""The one engine factory: SQLite in WAL mode, foreign keys on, a busy timeout.

Every connection to a store is made here, so encryption at rest (SQLCipher) can be
switched in later by changing :func:`create_store_engine` alone.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from app.store.mapping import map_domain

BUSY_TIMEOUT_MS = 5_000
# SQLite copies the WAL into the database (and syncs both) in the commit that takes the WAL
# past this many pages, and that commit waits. At the default, 1000, it was ~15 ms on the
# dev VM, one tab close in twenty; at 250 (~1 MB) it is ~7 ms, four times as often. The
# pause a cashier can meet is halved; durability is unchanged (synchronous stays NORMAL).
WAL_AUTOCHECKPOINT_PAGES = 250


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """Where a store's SQLite file lives."""

    path: Path

    @property
    def url(self) -> str:
        return f"sqlite+pysqlite:///{self.path}"


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # pysqlite's own transaction handling would defer BEGIN; SQLAlchemy emits it instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a crash loses no commit
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache
        cursor.execute("PRAGMA mmap_size=268435456")
    finally:
        cursor.close()


def _on_begin(connection: Any) -> None:
    # BEGIN IMMEDIATE on writes would serialise readers too; a deferred BEGIN plus the
    # single writer thread keeps writers from ever upgrading a read lock into a deadlock.
    connection.exec_driver_sql("BEGIN")


def create_store_engine(location: StoreLocation, *, echo: bool = False) -> Engine:
    """Create the engine for a store, with the pragmas every connection needs."""
    map_domain()
    location.path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(location.url, echo=echo, future=True)
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit, for returning DTOs."""
    return sessionmaker(engine, expire_on_commit=False, future=True)
