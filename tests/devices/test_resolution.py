"""Device events resolved against a real store: who it is, or why not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from app.devices.events import (
    DeviceRejected,
    DeviceState,
    DeviceStatus,
    IdentificationEvent,
    IncomingCall,
)
from app.devices.resolution import CallIdentified, IdentificationResolver, Identified, Resolved
from app.domain.identifiers import IdentifierKind
from app.services.customer_form import CustomerForm, PhoneEntry
from app.services.identification import Recognised, Unknown
from app.services.identifiers import CardRequest
from tests.support.directory import CASHIER, MANAGER, Directory

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_events_are_resolved_and_passed_on(store: Directory) -> None:
    emily = store.directory.create(
        MANAGER,
        CustomerForm(
            first_name="Emily", last_name="Roberts", phones=(PhoneEntry("020 7946 0000"),)
        ),
    ).record.id
    store.identifiers.issue(
        MANAGER, CardRequest(IdentifierKind.BARCODE_CARD, "2900000012345", emily)
    )
    out: list[Resolved] = []
    resolve = IdentificationResolver(store.identification, lambda: CASHIER, out.append)

    resolve(IdentificationEvent(IdentifierKind.BARCODE_CARD, "2900000012345", "Scanner", NOON))
    resolve(IdentificationEvent(IdentifierKind.BARCODE_CARD, "1111111111116", "Scanner", NOON))
    resolve(IncomingCall("02079460000", "ROBERTS E", 1, "Phone line", NOON))
    status = DeviceStatus("Scanner", DeviceState.CONNECTED, "ready", NOON)
    resolve(status)

    first, second, call, passed = out
    assert isinstance(first, Identified) and isinstance(first.outcome, Recognised)
    assert first.outcome.card.full_name == "Emily Roberts"
    assert isinstance(second, Identified) and isinstance(second.outcome, Unknown)
    assert isinstance(call, CallIdentified) and [c.customer_id for c in call.caller.customers] == [
        emily
    ]
    assert passed is status


def test_a_failed_lookup_becomes_a_rejection_not_a_dead_thread(store: Directory) -> None:
    out: list[Resolved] = []
    store.engine.dispose()
    assert store.engine.url.database is not None
    Path(store.engine.url.database).unlink()  # the store vanished under the terminal
    resolve = IdentificationResolver(store.identification, lambda: CASHIER, out.append)
    resolve(IdentificationEvent(IdentifierKind.BARCODE_CARD, "2900000012345", "Scanner", NOON))
    assert len(out) == 1 and isinstance(out[0], DeviceRejected)
    assert out[0].reason == "The customer could not be looked up; try again."
