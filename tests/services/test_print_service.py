"""The print queue on a real store: claims, failures, crash recovery and a manager's COPY."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from app.domain.audit import AuditAction
from app.domain.errors import NotFoundError, PermissionDeniedError
from app.services.print_ports import COPY, PARTIAL_NOTE, REPRINT, JobStatus
from app.services.printing import PrintService
from tests.support.directory import CASHIER, MANAGER
from tests.support.print_jobs import close_tab
from tests.support.venue import WAITER, Venue, venue_on_disk

KINDS = ("receipt", "guest_check")


@pytest.fixture
def venue(tmp_store_path: Path, store_template: Path) -> Iterator[Venue]:
    with venue_on_disk(tmp_store_path, store_template) as seeded:
        yield seeded


@pytest.fixture
def service(venue: Venue) -> PrintService:
    return PrintService(venue.uow, venue.clock)


def job_row(venue: Venue, tab_uuid: str) -> dict[str, object]:
    [row] = venue.rows("print_jobs", tab_uuid=tab_uuid)
    return row


def test_a_closed_tab_waits_as_a_pending_receipt(venue: Venue, service: PrintService) -> None:
    tab_uuid = close_tab(venue)

    [job] = service.waiting()

    assert (job.kind, job.tab_uuid, job.status, job.attempts) == (
        "receipt",
        tab_uuid,
        JobStatus.PENDING,
        0,
    )
    assert (job.copy_mark, job.last_error, job.tab_number) == (None, "", 1)


def test_the_oldest_job_is_claimed_and_committed_as_printing(
    venue: Venue, service: PrintService
) -> None:
    first, second = close_tab(venue), close_tab(venue)

    claimed = service.next_job(KINDS)

    assert claimed is not None and claimed.tab_uuid == first
    assert (claimed.attempts, claimed.copy_mark) == (1, None)
    assert claimed.payload["number"] == 1 and "copy_mark" not in claimed.payload
    row = job_row(venue, first)  # read on another connection: the claim is committed
    assert (row["status"], row["attempts"]) == ("printing", 1)
    again = service.next_job(KINDS)
    assert again is not None and again.tab_uuid == second
    assert service.next_job(KINDS) is None


def test_a_printer_takes_only_its_kinds_and_skips_what_it_cannot_lay_out(
    venue: Venue, service: PrintService
) -> None:
    tab_uuid = close_tab(venue)
    assert service.next_job(["guest_check"]) is None
    claimed = service.next_job(["receipt"])
    assert claimed is not None
    service.failed(claimed.uuid, "Could not lay out this receipt", possibly_partial=False)

    assert service.next_job(["receipt"], skip={claimed.uuid}) is None
    assert job_row(venue, tab_uuid)["status"] == "pending"


def test_printed_is_final(venue: Venue, service: PrintService) -> None:
    tab_uuid = close_tab(venue)
    claimed = service.next_job(KINDS)
    assert claimed is not None

    service.printed(claimed.uuid)

    row = job_row(venue, tab_uuid)
    assert (row["status"], row["printed_at"], row["last_error"]) == (
        "printed",
        venue.clock.now,
        "",
    )
    assert service.waiting() == []
    assert service.next_job(KINDS) is None


def test_a_job_that_never_reached_the_printer_waits_unmarked(
    venue: Venue, service: PrintService
) -> None:
    close_tab(venue)
    claimed = service.next_job(KINDS)
    assert claimed is not None

    service.failed(claimed.uuid, "Out of paper", possibly_partial=False)

    [job] = service.waiting()
    assert (job.status, job.last_error, job.copy_mark, job.attempts) == (
        JobStatus.PENDING,
        "Out of paper",
        None,
        1,
    )
    retried = service.next_job(KINDS)
    assert retried is not None and (retried.attempts, retried.copy_mark) == (2, None)


def test_a_job_that_may_have_printed_in_part_prints_again_marked_reprint(
    venue: Venue, service: PrintService
) -> None:
    close_tab(venue)
    claimed = service.next_job(KINDS)
    assert claimed is not None

    service.failed(claimed.uuid, "Printer dropped the connection", possibly_partial=True)

    [job] = service.waiting()
    assert (job.copy_mark, job.last_error) == (REPRINT, "Printer dropped the connection")
    retried = service.next_job(KINDS)
    assert retried is not None and retried.copy_mark == REPRINT
    assert "copy_mark" not in retried.payload  # the layout gets the mark on its own
    assert retried.payload == claimed.payload


def test_a_crash_while_printing_is_recovered_as_possibly_partial(
    venue: Venue, service: PrintService
) -> None:
    tab_uuid, untouched = close_tab(venue), close_tab(venue)
    claimed = service.next_job(KINDS)
    assert claimed is not None  # ... and the terminal died before it was marked printed

    recovered = PrintService(venue.uow, venue.clock).recover()

    assert recovered == [claimed.uuid]
    row = job_row(venue, tab_uuid)
    assert (row["status"], row["last_error"]) == ("pending", PARTIAL_NOTE)
    assert job_row(venue, untouched)["status"] == "pending"
    again = service.next_job(KINDS)
    assert again is not None and (again.uuid, again.copy_mark) == (claimed.uuid, REPRINT)


def test_a_manager_reprints_a_past_receipt_marked_copy_and_audited(
    venue: Venue, service: PrintService
) -> None:
    tab_uuid = close_tab(venue)
    original = service.next_job(KINDS)
    assert original is not None
    service.printed(original.uuid)
    woken: list[bool] = []
    service.on_queued = lambda: woken.append(True)

    copy = service.reprint(MANAGER, tab_uuid)

    assert (copy.kind, copy.tab_uuid, copy.status, copy.copy_mark) == (
        "receipt",
        tab_uuid,
        JobStatus.PENDING,
        COPY,
    )
    assert woken == [True]
    claimed = service.next_job(KINDS)
    assert claimed is not None and claimed.uuid == copy.uuid and claimed.copy_mark == COPY
    assert claimed.payload == original.payload
    action, actor, summary = venue.audit()[-1]
    assert (action, actor) == (AuditAction.RECEIPT_REPRINTED.value, MANAGER.name)
    assert summary == "Receipt of tab 1 reprinted, marked COPY"
    assert [r.uuid for r in service.recent_receipts(MANAGER)] == [copy.uuid, original.uuid]


def test_a_copy_cut_short_stays_a_copy(venue: Venue, service: PrintService) -> None:
    tab_uuid = close_tab(venue)
    service.reprint(MANAGER, tab_uuid)
    original = service.next_job(KINDS)
    copy = service.next_job(KINDS)
    assert original is not None and copy is not None

    service.failed(copy.uuid, "Printer dropped the connection", possibly_partial=True)

    retried = service.next_job(KINDS)
    assert retried is not None and (retried.uuid, retried.copy_mark) == (copy.uuid, COPY)


@pytest.mark.parametrize("actor", [CASHIER, WAITER], ids=lambda a: a.role.value)
def test_only_a_manager_reprints(venue: Venue, service: PrintService, actor: object) -> None:
    tab_uuid = close_tab(venue)
    with pytest.raises(PermissionDeniedError, match="may not reprint past receipts"):
        service.reprint(actor, tab_uuid)  # type: ignore[arg-type]
    with pytest.raises(PermissionDeniedError):
        service.recent_receipts(actor)  # type: ignore[arg-type]
    assert venue.count("print_jobs") == 1


def test_a_tab_without_a_receipt_cannot_be_reprinted(venue: Venue, service: PrintService) -> None:
    tab = venue.tabs.open(WAITER, table_id=venue.table_1)
    venue.tabs.add_item(WAITER, tab.uuid, venue.beer)
    venue.tabs.guest_check(WAITER, tab.uuid)

    with pytest.raises(NotFoundError, match="no receipt to reprint"):
        service.reprint(MANAGER, tab.uuid)


def test_waiting_jobs_are_read_through_the_partial_index(venue: Venue) -> None:
    with venue.engine.connect() as connection:
        plan = connection.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT uuid FROM print_jobs "
                "WHERE status IN ('pending', 'printing') AND kind IN ('receipt') ORDER BY id"
            )
        ).all()
    assert any("ix_print_jobs_pending" in str(row) for row in plan), plan
