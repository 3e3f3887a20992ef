"""The print queue as use cases: what the printers take and report, what the till shows
waiting and why, and a manager's reprint of a past receipt.

Closing a tab or printing a guest check writes the job (checkout, tabs); the printers'
workers (`app.devices.printing.queue_worker`) call ``next_job``, ``printed`` and
``failed`` on the store's thread, one short unit of work each.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from app.domain.audit import AuditAction
from app.domain.errors import NotFoundError
from app.domain.receipts import GUEST_CHECK, RECEIPT
from app.domain.staff import Actor, Permission
from app.services.audit import require, write_audit
from app.services.directory import Clock, utc_clock
from app.services.ports import UnitOfWorkFactory
from app.services.print_ports import COPY, ClaimedJob, JobStatus, QueuedJob

KIND_WORDS = {RECEIPT: "Receipt", GUEST_CHECK: "Guest check"}


def job_title(job: QueuedJob | ClaimedJob) -> str:
    """ "Receipt", "Guest check" or the kind itself, for the status bar."""
    return KIND_WORDS.get(job.kind, job.kind.replace("_", " ").capitalize())


class PrintService:
    """``on_queued`` is told when a job was added here (a reprint), to wake the printers."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock = utc_clock,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self.on_queued = on_queued

    # The printers' side: the terminal prints by itself, so no actor ------------------

    def recover(self) -> list[str]:
        """Mark every job a crash left printing as possibly partial (REPRINT); before the
        printers start. Returns the jobs' uuids."""
        with self._uow() as uow:
            recovered = uow.print_queue.recover_interrupted()
            uow.commit()
            return recovered

    def next_job(self, kinds: Collection[str], skip: Collection[str] = ()) -> ClaimedJob | None:
        """Claim the oldest pending job of these kinds (not in ``skip``), or None.

        The claim (printing, attempts + 1) is committed before the caller sends a byte.
        """
        with self._uow() as uow:
            candidates = [
                job.uuid
                for job in uow.print_queue.waiting(kinds)
                if job.status is JobStatus.PENDING and job.uuid not in skip
            ]
        for job_uuid in candidates:
            with self._uow() as uow:
                claimed = uow.print_queue.claim(job_uuid)
                uow.commit()
            if claimed is not None:
                return claimed
        return None

    def printed(self, job_uuid: str) -> None:
        with self._uow() as uow:
            uow.print_queue.mark_printed(job_uuid, self._clock())
            uow.commit()

    def failed(self, job_uuid: str, reason: str, *, possibly_partial: bool) -> None:
        """Back to waiting with ``reason``; REPRINT next time if some of it may have printed."""
        with self._uow() as uow:
            uow.print_queue.release(job_uuid, reason, possibly_partial=possibly_partial)
            uow.commit()

    # The screens' side ---------------------------------------------------------------

    def waiting(self) -> list[QueuedJob]:
        """Jobs not printed yet, oldest first, each with why it waits (anyone may see)."""
        with self._uow() as uow:
            return uow.print_queue.waiting()

    def job(self, job_uuid: str) -> QueuedJob | None:
        with self._uow() as uow:
            return uow.print_queue.get(job_uuid)

    def recent_receipts(self, actor: Actor, limit: int = 50) -> list[QueuedJob]:
        """The newest receipts, to choose one to reprint (managers)."""
        require(actor, Permission.REPRINT_RECEIPT)
        with self._uow() as uow:
            return uow.print_queue.recent(RECEIPT, limit)

    def reprint(self, actor: Actor, tab_uuid: str) -> QueuedJob:
        """Queue a copy of a closed tab's receipt, marked COPY, and audit who asked."""
        require(actor, Permission.REPRINT_RECEIPT)
        with self._uow() as uow:
            source = uow.print_queue.latest_for_tab(tab_uuid, RECEIPT)
            if source is None:
                raise NotFoundError("That tab has no receipt to reprint; close the tab first.")
            copy_uuid = uow.print_queue.add_copy(source.uuid, COPY, self._clock())
            number = f" {source.tab_number}" if source.tab_number is not None else ""
            write_audit(
                uow,
                actor,
                AuditAction.RECEIPT_REPRINTED,
                tab_uuid,
                f"Receipt of tab{number} reprinted, marked {COPY}",
                {"from_job": source.uuid, "copy_job": copy_uuid},
            )
            uow.commit()
            copy = uow.print_queue.get(copy_uuid)
        assert copy is not None
        if self.on_queued is not None:
            self.on_queued()
        return copy
