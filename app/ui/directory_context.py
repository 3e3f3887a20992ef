"""What the directory screen and the dialogs it opens need, wired by the bootstrap."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.domain.staff import Actor
from app.services.directory import DirectoryService
from app.services.duplicates import DuplicateFinder
from app.services.identifiers import IdentifierService
from app.services.merge import MergeService
from app.services.photos import PhotoService
from app.ui.customer_dialog import CategoryChoice
from app.ui.directory_model import PAGE_SIZE
from app.ui.duplicates_dialog import MergeTools
from app.ui.formatting import DisplayFormats
from app.ui.prompts import Prompts
from app.ui.record_context import RecordContext
from app.ui.tasks import TaskRunner


@dataclass(frozen=True, slots=True)
class DirectoryContext:
    """The use cases, the signed-in staff member and the task runner, handed in once."""

    service: DirectoryService
    actor: Actor
    runner: TaskRunner
    formats: DisplayFormats
    load_categories: Callable[[], Sequence[CategoryChoice]]
    identifiers: IdentifierService
    duplicates: DuplicateFinder
    merges: MergeService
    photos: PhotoService
    page_size: int = PAGE_SIZE

    def record_context(self, prompts: Prompts) -> RecordContext:
        """What a customer record's cards, notes and photo need."""
        return RecordContext(
            runner=self.runner,
            actor=self.actor,
            formats=self.formats,
            prompts=prompts,
            directory=self.service,
            identifiers=self.identifiers,
            photos=self.photos,
        )

    def merge_tools(self, prompts: Prompts) -> MergeTools:
        """What the duplicates dialog needs."""
        return MergeTools(self.runner, self.actor, self.duplicates, self.merges, prompts)
