"""Head office for the sync benchmarks: a PostgreSQL database of its own on the cluster
``TABKEEPER_TEST_PG_URL`` names, loaded with a demo store's documents, and a real server.

Loading is set-up, not a measure. The demo store's documents are streamed with
``app.store.sync_export.export_documents`` into ``headoffice.feed.write_documents``, 5,000
per transaction, as ``python -m headoffice import-docs`` writes them; the loaded database
is then kept as a ``pg_dump`` in the data folder, keyed by the store and by everything
that decides what an import writes (head office's tables, the export, the import), so
the next run restores it instead (minutes instead of an hour at 1M customers).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.schema import CreateIndex, CreateTable

from app.store.database import StoreLocation, create_store_engine
from app.store.sync_export import export_documents
from headoffice.config import HeadOfficeSettings, normalise_database_url
from headoffice.feed import write_documents
from headoffice.runtime import HeadOfficeRuntime, open_runtime, prepare_database
from headoffice.schema import metadata
from headoffice.terminals import issue_code

REPO = Path(__file__).resolve().parents[1]
CHUNK = 5000
# Whatever decides what an import writes: a change to any of these makes a new dump.
IMPORT_SOURCES = (
    "app/store/sync_export.py",
    "app/sync/documents.py",
    "headoffice/authoring.py",
    "headoffice/import_writers.py",
    "headoffice/documents_store.py",
    "headoffice/customer_index.py",
    "headoffice/apply_ledger.py",
    "headoffice/field_merge.py",
)
# Fields a terminal's export carries that head office keeps itself and refuses to
# import (headoffice.field_merge.HEAD_OFFICE_KEYS; notes are imported): left out here.
KEPT_BY_HEAD_OFFICE = frozenset({"clocks", "merged_into_uuid", "stats"})


@dataclass(frozen=True)
class Loaded:
    """How head office got its documents: ``imported`` (seconds, documents written) or
    ``restored`` from the cached dump (seconds)."""

    how: str
    seconds: float
    documents: int | None
    dump: Path


def pg_url(raw: str, database: str) -> str:
    """``raw`` (a postgresql:// URL) pointing at ``database``, for SQLAlchemy + psycopg."""
    base, _, _ = raw.rpartition("/")
    query = raw.partition("?")[2]
    url = f"{base}/{database}" + (f"?{query}" if query else "")
    return normalise_database_url(url)


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as pg_dump and psql take it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def own_database(raw_url: str) -> Iterator[str]:
    """A new, empty database on the cluster at ``raw_url`` for this run only; dropped
    however the block ends. Never the test database."""
    name = f"tabkeeper_bench_{os.getpid()}"
    admin = create_engine(pg_url(raw_url, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
        try:
            yield pg_url(raw_url, name)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        admin.dispose()


def dump_key(store: Path) -> str:
    """The cached dump's name for ``store``: its name plus a hash of head office's DDL
    and the import's sources."""
    digest = hashlib.sha256()
    dialect = create_engine("postgresql+psycopg://").dialect  # compiles; never connects
    for table in metadata.sorted_tables:
        digest.update(str(CreateTable(table).compile(dialect=dialect)).encode())
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            digest.update(str(CreateIndex(index).compile(dialect=dialect)).encode())
    for name in IMPORT_SOURCES:
        digest.update((REPO / name).read_bytes())
    return f"headoffice-{store.stem}-{digest.hexdigest()[:12]}.pgdump"


def load_head_office(
    url: str, store: Path, data_dir: Path, *, cache: bool = True, any_dump: bool = False
) -> Loaded:
    """Fill the empty database at ``url`` with ``store``'s documents: restored from the
    cached dump when there is one that fits, else imported (and then dumped).

    ``any_dump`` restores the newest dump of ``store`` even when the import's code changed
    since it was made (for working on the benchmark itself)."""
    dump = data_dir / dump_key(store)
    tools = shutil.which("pg_restore") and shutil.which("pg_dump")
    older = sorted(
        data_dir.glob(f"headoffice-{store.stem}-*.pgdump"), key=lambda p: p.stat().st_mtime
    )
    if any_dump and older and not dump.exists():
        dump = older[-1]
    if cache and tools and dump.exists():
        started = time.perf_counter()
        done = subprocess.run(
            ["pg_restore", "--no-owner", "-j", "2", "-d", libpq_url(url), str(dump)],
            capture_output=True,
            text=True,
        )
        if done.returncode == 0:
            return Loaded("restored", time.perf_counter() - started, None, dump)
        print(
            f"  could not restore {dump.name} ({done.stderr.strip()[:200]}); importing",
            file=sys.stderr,
        )
        _empty(url)
    seconds, written = import_store(url, store)
    if cache and tools:
        partial = dump.with_suffix(".partial")
        subprocess.run(
            ["pg_dump", "-Fc", "-Z", "1", "-f", str(partial), libpq_url(url)],
            check=True,
            capture_output=True,
        )
        partial.rename(dump)
        for stale in data_dir.glob(f"headoffice-{store.stem}-*.pgdump"):
            if stale != dump:
                stale.unlink()
    return Loaded("imported", seconds, written, dump)


def _empty(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def import_store(url: str, store: Path) -> tuple[float, int]:
    """Every document of ``store`` written at head office; (seconds, documents)."""
    runtime = open_runtime(HeadOfficeSettings(url))
    terminal = create_store_engine(StoreLocation(store))
    started = time.perf_counter()
    written = 0
    try:
        prepare_database(runtime)
        documents = (
            (entity, uuid, _importable(data)) for entity, uuid, data in export_documents(terminal)
        )
        last = started
        while chunk := list(islice(documents, CHUNK)):
            with runtime.gate.begin() as conn:
                written += write_documents(conn, chunk, runtime.clock)
            if time.perf_counter() - last > 30:
                last = time.perf_counter()
                print(
                    f"  head office: {written:,} documents imported ({last - started:.0f} s)",
                    file=sys.stderr,
                )
    finally:
        terminal.dispose()
        runtime.close()
    return time.perf_counter() - started, written


def _importable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in KEPT_BY_HEAD_OFFICE}


@contextmanager
def head_office_runtime(url: str) -> Iterator[HeadOfficeRuntime]:
    """Head office's runtime in this process (codes, checks), as a CLI command has it."""
    runtime = open_runtime(HeadOfficeSettings(url))
    try:
        yield runtime
    finally:
        runtime.close()


def issue_codes(url: str, names: list[str]) -> list[str]:
    """One-time enrolment codes, as ``python -m headoffice enrol-code`` makes them (in this
    process: 200 CLI starts would take minutes)."""
    with head_office_runtime(url) as runtime, runtime.gate.begin() as conn:
        now = datetime.now(UTC)
        return [issue_code(conn, name, now).code for name in names]


def database_engine(url: str) -> Engine:
    """An engine on head office's database, for the benchmark's own reads."""
    return create_engine(url, pool_size=2, max_overflow=0)
