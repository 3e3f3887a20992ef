"""A real store on disk with the directory's services wired, as bootstrap does."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from app.domain.catalogue import PromotionCategory
from app.domain.staff import Actor, Role
from app.services.directory import DirectoryService, VenueSettings
from app.services.duplicates import DuplicateFinder
from app.services.identification import IdentificationService
from app.services.identifiers import IdentifierService
from app.services.merge import MergeService
from app.store import schema
from app.store.database import StoreLocation, create_session_factory, create_store_engine
from app.store.migrate import upgrade_store
from app.store.unit_of_work import SqlUnitOfWorkFactory

MANAGER = Actor(
    staff_uuid="00000000-0000-7000-8000-000000000001", name="Maria Manager", role=Role.MANAGER
)
CASHIER = Actor(
    staff_uuid="00000000-0000-7000-8000-000000000002", name="Carl Cashier", role=Role.CASHIER
)


class FixedClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Directory:
    engine: Engine
    uow: SqlUnitOfWorkFactory
    clock: FixedClock
    directory: DirectoryService
    identifiers: IdentifierService
    merges: MergeService
    duplicates: DuplicateFinder
    identification: IdentificationService
    gold_id: int

    def count(self, table: str) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.scalar(select(func.count()).select_from(schema.metadata.tables[table]))
                or 0
            )

    def audit_actions(self) -> list[str]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(schema.audit_log.c.action).order_by(schema.audit_log.c.id)
            )
            return [str(r[0]) for r in rows]


def migrated_template(path: Path) -> Path:
    """An empty store at the head revision, made once and copied by each test."""
    engine = create_store_engine(StoreLocation(path))
    upgrade_store(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


@contextmanager
def directory_on_disk(path: Path, template: Path | None = None) -> Iterator[Directory]:
    if template is not None:
        shutil.copyfile(template, path)
    engine = create_store_engine(StoreLocation(path))
    upgrade_store(engine)
    uow = SqlUnitOfWorkFactory(create_session_factory(engine))
    with uow() as work:
        gold = PromotionCategory(name="Gold", priority=10, tab_limit_minor=50_000)
        work.catalogue.add(gold)
        work.commit()
        assert gold.id is not None
        gold_id = gold.id
    clock = FixedClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    venue = VenueSettings(default_region="GB")
    try:
        yield Directory(
            engine=engine,
            uow=uow,
            clock=clock,
            directory=DirectoryService(uow, venue, clock),
            identifiers=IdentifierService(uow, venue, clock),
            merges=MergeService(uow, clock),
            duplicates=DuplicateFinder(uow),
            identification=IdentificationService(uow, venue, clock),
            gold_id=gold_id,
        )
    finally:
        engine.dispose()
