"""What the live parts of a customer record (cards, notes, photo) need to act.

Unlike the form, these act at once through their own use cases; the form waits for Save.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from PySide6.QtCore import QObject

from app.domain.staff import Actor, Permission
from app.services.directory import DirectoryService
from app.services.identifiers import IdentifierService
from app.services.photos import PhotoService
from app.ui.formatting import DisplayFormats
from app.ui.prompts import Prompts
from app.ui.tasks import TaskFailure, TaskRunner, while_alive

T = TypeVar("T")
ERROR_STYLE = "color: #b3261e;"
HINT_STYLE = "color: #5f6368; font-style: italic;"


@dataclass(frozen=True, slots=True)
class RecordContext:
    runner: TaskRunner
    actor: Actor
    formats: DisplayFormats
    prompts: Prompts
    directory: DirectoryService
    identifiers: IdentifierService
    photos: PhotoService

    def may(self, permission: Permission) -> bool:
        return self.actor.may(permission)

    def run(
        self,
        owner: QObject,
        fn: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[TaskFailure], None],
    ) -> int:
        """Run ``fn`` on the store thread; the answer is dropped if ``owner`` is gone by then."""
        return self.runner.run(fn, while_alive(owner, on_done), while_alive(owner, on_error))
