"""Duplicates found with a score, merged into a survivor, and the merge undone."""

from __future__ import annotations

import pytest

from app.domain.customers import CustomerStatus, PhoneKind
from app.domain.errors import ConflictError
from app.domain.history import Visit
from app.domain.identifiers import IdentifierKind
from app.services.customer_form import CustomerForm, EmailEntry, PhoneEntry
from app.services.duplicates import name_similarity
from app.services.identifiers import CardRequest
from tests.support.directory import MANAGER, Directory


def _pair(store: Directory) -> tuple[int, int]:
    emily = store.directory.create(
        MANAGER,
        CustomerForm(
            first_name="Emily",
            last_name="Roberts",
            phones=(PhoneEntry("07911 123456", PhoneKind.MOBILE),),
        ),
    ).record.id
    twin = store.directory.create(
        MANAGER,
        CustomerForm(
            first_name="Emilie",
            last_name="Roberts",
            alias="emro",
            company="Roberts & Co",
            phones=(PhoneEntry("+447911123456"), PhoneEntry("020 7946 0001", PhoneKind.WORKING)),
            emails=(EmailEntry("em@example.com"),),
        ),
    ).record.id
    store.identifiers.issue(MANAGER, CardRequest(IdentifierKind.SMART_CARD, "0A0B0C0D", twin))
    store.directory.add_note(MANAGER, twin, "Always orders the sea bass")
    with store.uow() as uow:
        twin_customer = uow.customers.get(twin)
        assert twin_customer is not None
        twin_customer.total_spent_minor, twin_customer.order_count = 12_000, 3
        twin_customer.last_visit_at = store.clock.now
        uow.catalogue.add(
            Visit(customer_id=twin, visited_at=store.clock.now, spent_minor=12_000, order_count=3)
        )
        uow.commit()
    return emily, twin


def test_names_compare_without_case_accents_or_order() -> None:
    assert name_similarity("Zoë O'Brien", "zoe o'brien") == 1.0
    assert name_similarity("Roberts Emily", "Emily Roberts") == 1.0
    assert name_similarity("Emily Roberts", "John Smith") < 0.5


def test_duplicates_are_scored_by_evidence(store: Directory) -> None:
    emily, twin = _pair(store)
    store.directory.create(MANAGER, CustomerForm(first_name="John", last_name="Roberts"))
    found = store.duplicates.for_customer(MANAGER, emily)
    assert [c.customer_id for c in found] == [twin]
    best = found[0]
    assert best.score > 0.9  # same phone and a similar name
    assert best.reasons[0] == "same phone +447911123456"
    assert best.reasons[1].startswith("similar name")


def test_merge_moves_everything_and_undo_puts_it_back(store: Directory) -> None:
    emily, twin = _pair(store)
    result = store.merges.merge(MANAGER, emily, twin)
    survivor = result.survivor
    assert {p.number for p in survivor.form.phones} == {"+44 7911 123456", "+44 20 7946 0001"}
    assert [p.primary for p in survivor.form.phones] == [True, False]
    assert survivor.form.alias == "emro"
    assert survivor.form.company == "Roberts & Co"
    assert [i.value for i in survivor.identifiers] == ["0A0B0C0D"]
    assert [n.text for n in survivor.notes] == ["Always orders the sea bass"]
    assert (survivor.total_spent_minor, survivor.order_count) == (12_000, 3)
    merged = store.directory.open_record(MANAGER, twin)
    assert merged.status is CustomerStatus.INACTIVE
    assert merged.merged_into_id == emily
    with pytest.raises(ConflictError, match="already merged"):
        store.merges.merge(MANAGER, emily, twin)

    undone = store.merges.undo(MANAGER, result.merge_id)
    assert [p.number for p in undone.survivor.form.phones] == ["+44 7911 123456"]
    assert undone.survivor.form.alias == ""
    assert undone.survivor.form.company == ""
    assert undone.survivor.identifiers == ()
    assert (undone.survivor.total_spent_minor, undone.survivor.order_count) == (0, 0)
    assert undone.survivor.last_visit_at is None
    back = store.directory.open_record(MANAGER, twin)
    assert back.status is CustomerStatus.ACTIVE and back.merged_into_id is None
    assert back.form.alias == "emro"
    assert [i.value for i in back.identifiers] == ["0A0B0C0D"]
    assert len(back.form.phones) == 2 and back.form.phones[0].primary
    assert store.count("visits") == 1
    with store.uow() as uow:
        assert uow.customers.activity(twin).visits == 1
    with pytest.raises(ConflictError, match="already undone"):
        store.merges.undo(MANAGER, result.merge_id)
    assert store.audit_actions().count("customers.merged") == 2
    assert store.audit_actions().count("customers.unmerged") == 2
