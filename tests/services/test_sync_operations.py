"""Every directory write queues its operation for head office, with field clocks, in the
same transaction as the change; the documents fit app.sync.documents' checker."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app.domain.customers import (
    AddressKind,
    ConsentChannel,
    CustomerStatus,
    DietaryKind,
    PhoneKind,
    Severity,
)
from app.domain.errors import ValidationError
from app.domain.hlc import HybridClock, parse_stamp
from app.domain.identifiers import IdentifierKind, IdentifierStatus
from app.services.cards import SwipedCard
from app.services.customer_form import (
    AddressEntry,
    AttributeEntry,
    ConsentEntry,
    CustomerForm,
    EmailEntry,
    PhoneEntry,
    RestrictionEntry,
)
from app.services.directory import DirectoryService, VenueSettings
from app.services.identifiers import CardRequest, IdentifierService
from app.store import schema
from app.store.sync_apply_values import CLOCKED, unpack_clocks
from app.store.tab_schema import outbox
from app.sync.documents import IDENTIFIER_FIELDS, NOTE_FIELDS, check_fields
from tests.support.directory import MANAGER, Directory

NODE = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
EMILY = CustomerForm(
    first_name="Emily",
    last_name="Roberts",
    alias="emro",
    phones=(PhoneEntry("020 7946 0000", PhoneKind.WORKING),),
    emails=(EmailEntry("emily@example.com"),),
    addresses=(AddressEntry(AddressKind.DELIVERY, "1 High St", city="London"),),
    preferences=("Window table",),
    restrictions=(RestrictionEntry(DietaryKind.ALLERGY, "peanuts", Severity.SEVERE),),
    consents=(ConsentEntry(ConsentChannel.EMAIL, granted=True, source="till"),),
    attributes=(AttributeEntry("locker", "12"),),
)


def operations(store: Directory) -> list[dict[str, Any]]:
    with store.engine.connect() as connection:
        rows = connection.execute(select(outbox).order_by(outbox.c.id)).mappings().all()
    return [{**row, "payload": json.loads(row["payload"])} for row in rows]


def clocks(store: Directory, table: str, key: int) -> dict[str, str]:
    t = schema.metadata.tables[table]
    with store.engine.connect() as connection:
        stored = connection.scalar(select(t.c.clocks).where(t.c.id == key))
    return unpack_clocks(stored, CLOCKED["customer" if table == "customers" else "identifier"])


@pytest.fixture
def synced(store: Directory) -> Directory:
    """The directory's services on a terminal clock whose node is NODE."""
    hlc = HybridClock(NODE, store.clock)
    venue = VenueSettings(default_region="GB")
    store.directory = DirectoryService(store.uow, venue, store.clock, hlc)
    store.identifiers = IdentifierService(store.uow, venue, store.clock, hlc)
    return store


def test_a_new_customer_sends_every_field_with_one_clock(synced: Directory) -> None:
    emily = synced.directory.create(MANAGER, EMILY, SwipedCard(IdentifierKind.SMART_CARD, "04A1"))
    customer_op, card_op = operations(synced)

    assert (customer_op["kind"], customer_op["entity_uuid"]) == (
        "customer.upsert",
        emily.record.uuid,
    )
    payload = customer_op["payload"]
    assert payload["customer_uuid"] == emily.record.uuid
    assert check_fields("customer", payload["fields"], whole=True) == []
    assert payload["fields"]["phones"] == [
        {"e164": "+442079460000", "kind": "working", "primary": True}
    ]
    assert payload["fields"]["restrictions"] == [
        {"kind": "allergy", "name": "peanuts", "severity": "severe", "note": ""}
    ]
    stamp = customer_op["hlc"]
    assert parse_stamp(stamp).node == NODE
    assert set(payload["clocks"]) == set(payload["fields"])
    assert set(payload["clocks"].values()) == {stamp}
    assert clocks(synced, "customers", emily.record.id) == payload["clocks"]

    assert card_op["kind"] == "identifier.upsert"
    card = card_op["payload"]
    assert card["fields"]["customer_uuid"] == emily.record.uuid
    assert check_fields("identifier", card["fields"], whole=True) == []
    assert set(card["fields"]) == set(IDENTIFIER_FIELDS)
    assert card_op["hlc"] > stamp  # the clock only moves forward


def test_an_edit_sends_only_what_changed(synced: Directory) -> None:
    emily = synced.directory.create(MANAGER, EMILY).record
    first = clocks(synced, "customers", emily.id)
    synced.directory.edit(MANAGER, emily.id, replace(emily.form, company="Roberts & Co"))
    same = synced.directory.edit(MANAGER, emily.id, replace(emily.form, company="Roberts & Co"))

    *_, edit = operations(synced)
    assert len(operations(synced)) == 2 and not same.changes.customers
    assert edit["payload"]["fields"] == {"company": "Roberts & Co"}
    assert check_fields("customer", edit["payload"]["fields"], whole=False) == []
    now = clocks(synced, "customers", emily.id)
    assert now["company"] == edit["hlc"] > first["company"]
    assert {k: v for k, v in now.items() if k != "company"} == {
        k: v for k, v in first.items() if k != "company"
    }


def test_notes_status_and_deletion_are_operations(synced: Directory) -> None:
    emily = synced.directory.create(MANAGER, EMILY).record
    synced.directory.add_note(MANAGER, emily.id, "Prefers the quiet corner")
    synced.directory.set_status(MANAGER, emily.id, CustomerStatus.BLOCKED, "unpaid bill")
    newcomer = synced.directory.create(MANAGER, CustomerForm(first_name="Cy")).record
    synced.directory.delete(MANAGER, newcomer.id)

    kinds = [(op["kind"], op["entity_uuid"]) for op in operations(synced)]
    assert kinds == [
        ("customer.upsert", emily.uuid),
        ("customer.note", emily.uuid),
        ("customer.upsert", emily.uuid),
        ("customer.upsert", newcomer.uuid),
        ("customer.deleted", newcomer.uuid),
    ]
    _, note, status, _, deleted = operations(synced)
    assert set(note["payload"]["note"]) == set(NOTE_FIELDS)
    assert check_fields("customer", {"notes": [note["payload"]["note"]]}, whole=False) == []
    [stored] = synced.directory.open_record(MANAGER, emily.id).notes
    assert note["payload"]["note"]["text"] == stored.text == "Prefers the quiet corner"
    assert status["payload"]["fields"] == {"status": "blocked", "status_reason": "unpaid bill"}
    assert deleted["payload"] == {"customer_uuid": newcomer.uuid, "hlc": deleted["hlc"]}


def test_cards_issue_status_and_reissue_are_operations(synced: Directory) -> None:
    emily = synced.directory.create(MANAGER, EMILY).record
    card = synced.identifiers.issue(
        MANAGER, CardRequest(IdentifierKind.MAGNETIC_CARD, "CLUB-0001", emily.id, label="Gold")
    )
    synced.identifiers.set_status(MANAGER, card.id, IdentifierStatus.BLOCKED)
    synced.identifiers.set_status(MANAGER, card.id, IdentifierStatus.LOST)
    new = synced.identifiers.reissue(MANAGER, card.id, "CLUB-0002")

    ops = [op for op in operations(synced) if op["kind"] == "identifier.upsert"]
    assert [op["entity_uuid"] for op in ops] == [card.uuid, card.uuid, card.uuid, new.uuid]
    assert [op["payload"]["fields"] for op in ops[1:3]] == [
        {"status": "blocked"},
        {"status": "lost"},
    ]
    reissued = ops[3]["payload"]["fields"]
    assert (reissued["replaces_uuid"], reissued["value"]) == (card.uuid, "CLUB-0002")
    assert check_fields("identifier", reissued, whole=True) == []
    assert clocks(synced, "identifiers", card.id)["status"] == ops[2]["hlc"]


def test_a_refused_write_leaves_no_operation(synced: Directory) -> None:
    synced.directory.create(MANAGER, EMILY, SwipedCard(IdentifierKind.SMART_CARD, "04A1"))
    before = operations(synced)
    # The customer is flushed and its operation queued before the card is found taken.
    with pytest.raises(ValidationError, match="already belongs to Emily Roberts"):
        synced.directory.create(
            MANAGER, CustomerForm(first_name="Tom"), SwipedCard(IdentifierKind.SMART_CARD, "04A1")
        )
    assert operations(synced) == before
    assert synced.count("customers") == 1


def test_without_a_clock_given_the_services_stamp_with_the_local_node(store: Directory) -> None:
    store.directory.create(MANAGER, CustomerForm(first_name="Ann"))
    [op] = operations(store)
    stamp = parse_stamp(op["hlc"])
    assert stamp.wall_ms == int(datetime(2026, 11, 23, 12, 0, tzinfo=UTC).timestamp() * 1000)
    assert stamp.node == "00000000-0000-0000-0000-000000000000"
