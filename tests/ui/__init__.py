"""A small real store for the UI tests, wired the way the bootstrap wires it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine

from app.domain.catalogue import PromotionCategory
from app.domain.staff import Actor, Role
from app.services.customer_form import CustomerForm, EmailEntry, PhoneEntry
from app.services.directory import DirectoryService, VenueSettings
from app.services.duplicates import DuplicateFinder
from app.services.identifiers import IdentifierService
from app.services.merge import MergeService
from app.services.photos import PhotoService
from app.services.worker import StoreWorker
from app.store.database import StoreLocation, create_session_factory, create_store_engine
from app.store.migrate import upgrade_store
from app.store.unit_of_work import SqlUnitOfWorkFactory
from app.ui.directory_context import DirectoryContext
from app.ui.formatting import DisplayFormats
from app.ui.tasks import TaskRunner

MANAGER = Actor(
    staff_uuid="00000000-0000-7000-8000-0000000000aa", name="Mia Manager", role=Role.MANAGER
)

VENUE = VenueSettings(default_region="GB")
SURNAMES = ("Smith", "Jones", "Taylor", "Brown", "Wilson")


@dataclass
class UiStore:
    engine: Engine
    uow: SqlUnitOfWorkFactory
    service: DirectoryService
    worker: StoreWorker
    gold_id: int

    def context(self, runner: TaskRunner) -> DirectoryContext:
        return DirectoryContext(
            service=self.service,
            actor=MANAGER,
            runner=runner,
            formats=DisplayFormats(),
            load_categories=lambda: [(self.gold_id, "Gold")],
            identifiers=IdentifierService(self.uow, VENUE),
            duplicates=DuplicateFinder(self.uow),
            merges=MergeService(self.uow),
            photos=PhotoService(self.uow),
        )

    def add(self, first: str, last: str, index: int) -> int:
        form = CustomerForm(
            first_name=first,
            last_name=last,
            phones=(PhoneEntry(f"07911 {100000 + index:06d}"),),
            emails=(EmailEntry(f"{first.lower()}.{last.lower()}{index}@example.com"),),
        )
        return self.service.create(MANAGER, form).record.id


@contextmanager
def ui_store(path: Path, customers: int = 12) -> Iterator[UiStore]:
    """A migrated store with ``customers`` people across a few surnames; worker shut down after."""
    engine = create_store_engine(StoreLocation(path))
    upgrade_store(engine)
    uow = SqlUnitOfWorkFactory(create_session_factory(engine))
    with uow() as work:
        gold = PromotionCategory(name="Gold", priority=10)
        work.catalogue.add(gold)
        work.commit()
        assert gold.id is not None
        gold_id = gold.id
    service = DirectoryService(uow, VENUE)
    worker = StoreWorker()
    store = UiStore(engine, uow, service, worker, gold_id)
    try:
        for index in range(customers):
            store.add(f"Guest{index:03d}", SURNAMES[index % len(SURNAMES)], index)
        yield store
    finally:
        worker.shutdown(wait=True)
        engine.dispose()


def retire(qtbot: QtBot, screen: QWidget, runner: TaskRunner) -> None:
    """Close ``screen`` and let its store tasks answer before the store's worker shuts down.

    Fixtures call this in teardown: a closed view asks for no more pages, and no answer
    arrives after the store it came from is gone.
    """
    screen.close()
    qtbot.waitUntil(lambda: runner.pending() == 0, timeout=5000)


class AnsweringPrompts:
    """Answers the screen's questions without modal dialogs."""

    def __init__(self) -> None:
        self.reason: str | None = "Moved away"
        self.note: str | None = "Likes the corner table"
        self.text: str | None = "ABCD1234"
        self.image: Path | None = None
        self.confirmed = True

    def ask_reason(self, title: str, label: str) -> str | None:
        return self.reason

    def ask_note(self, title: str) -> str | None:
        return self.note

    def ask_text(self, title: str, label: str) -> str | None:
        return self.text

    def choose_image(self, title: str) -> Path | None:
        return self.image

    def confirm(self, title: str, question: str) -> bool:
        return self.confirmed
