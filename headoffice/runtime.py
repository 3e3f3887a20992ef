"""What one head-office process holds: its settings, its one engine, the write gate, its
hybrid clock and the enrolment attempt limiter. Built once by ``serve`` or a CLI
command, handed to whatever needs it; never a module-level global."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from app.domain.hlc import HEAD_OFFICE_NODE, HybridClock
from headoffice import terminals as _terminals  # noqa: F401  (its tables join the schema)
from headoffice.config import HeadOfficeSettings
from headoffice.engine import WriteGate, open_engine
from headoffice.schema import create_schema
from headoffice.terminals import AttemptLimiter


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class HeadOfficeRuntime:
    settings: HeadOfficeSettings
    engine: Engine
    gate: WriteGate
    clock: HybridClock
    now: Callable[[], datetime] = utc_now
    limiter: AttemptLimiter = field(default_factory=AttemptLimiter)

    def close(self) -> None:
        self.engine.dispose()


def open_runtime(
    settings: HeadOfficeSettings, now: Callable[[], datetime] = utc_now
) -> HeadOfficeRuntime:
    """The runtime for ``settings``; nothing connects to the database yet."""
    engine = open_engine(settings.database_url)
    clock = HybridClock(HEAD_OFFICE_NODE, now, max_skew_ms=settings.max_clock_skew_s * 1000)
    return HeadOfficeRuntime(settings, engine, WriteGate(engine), clock, now)


def prepare_database(runtime: HeadOfficeRuntime) -> None:
    """Create whatever tables are missing (the data's and the terminals'); idempotent."""
    create_schema(runtime.engine)
