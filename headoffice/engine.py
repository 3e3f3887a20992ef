"""Head office's one engine per process, and the gate its write transactions go through.

PostgreSQL gets a pool big enough for a couple of hundred terminals syncing at once.
SQLite gets WAL, a busy timeout, real transactions (``BEGIN`` when SQLAlchemy begins,
``BEGIN IMMEDIATE`` for writes, so a writer never fails half-way on a lock another
process holds) and, inside the process, one writer at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_POOL_SIZE = 24
PG_MAX_OVERFLOW = 40
PG_POOL_TIMEOUT_S = 20
_WRITE = "headoffice_write"


def open_engine(url: str) -> Engine:
    """The engine for ``url`` (already normalised by :mod:`headoffice.config`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    return create_engine(
        url,
        pool_size=PG_POOL_SIZE,
        max_overflow=PG_MAX_OVERFLOW,
        pool_timeout=PG_POOL_TIMEOUT_S,
        pool_pre_ping=True,  # a database restarted under us costs one failed ping, not a 503
        connect_args={"connect_timeout": 5, "application_name": "tabkeeper-headoffice"},
    )


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=8,
        max_overflow=8,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's begin event says BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class WriteGate:
    """Write transactions for one engine: serialised in-process on SQLite (which has one
    writer anyway, and whose txid counter relies on it), free on PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock() if is_sqlite(engine) else None

    @property
    def engine(self) -> Engine:
        return self._engine

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back on an error."""
        if self._lock is None:
            with self._engine.begin() as conn:
                yield conn
            return
        with self._lock, self._engine.execution_options(**{_WRITE: True}).begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction: one consistent view (SQLite: one read snapshot)."""
        with self._engine.connect() as conn, conn.begin():
            yield conn
            conn.rollback()


def ping(engine: Engine) -> None:
    """Raise (an SQLAlchemy error) unless the database answers."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
