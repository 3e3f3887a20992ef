"""The PC/SC watcher against the real pcscd, with vpcd's virtual reader and a virtual card.

Needs ``scripts/test-services.sh start`` (``make test`` runs it): without pcscd these
tests skip and say why, under CI=true they fail. The watcher uses the second vpcd slot
("Virtual PCD 00 01", port + 1) when there is one, so it never fights
tests/test_infrastructure.py over the first. The "service unavailable" tests inject a
failing context instead of stopping the shared pcscd.
"""

from __future__ import annotations

import itertools
import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from app.devices.backoff import Backoff
from app.devices.events import (
    CardRemoved,
    DeviceEvent,
    DeviceRejected,
    DeviceState,
    DeviceStatus,
    IdentificationEvent,
)
from app.devices.pcsc_card import READ_ICCID, SELECT_EF_ICCID, SELECT_MF, derive_card_id
from app.domain.identifiers import IdentifierKind
from tests.support.pluggable_scard import PluggableScard
from tests.support.vpcd_card import GET_UID, MIFARE_1K_ATR, VirtualCard
from tests.test_infrastructure import require_service

WAIT = 10.0  # seconds; every wait is bounded, none is a fixed sleep
DEVICE = "Bar card reader"
CONTACT_ATR = bytes.fromhex("3B021450")  # a T=0 contact card (Schlumberger Multiflex)
ICCID = bytes.fromhex("98440100000000000010")
OK = b"\x90\x00"


class Events:
    """What the watcher reported, with bounded waits for the next event of a kind."""

    def __init__(self) -> None:
        self.queue: queue.Queue[DeviceEvent] = queue.Queue()
        self.seen: list[DeviceEvent] = []

    def __call__(self, event: DeviceEvent) -> None:
        self.queue.put(event)

    def wait_for(
        self, kind: type[DeviceEvent], where: Callable[[DeviceEvent], bool] = lambda _: True
    ) -> DeviceEvent:
        deadline = time.monotonic() + WAIT
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                event = self.queue.get(timeout=remaining)
            except queue.Empty:
                break
            self.seen.append(event)
            if isinstance(event, kind) and where(event):
                return event
        raise AssertionError(f"no {kind.__name__} within {WAIT} s; saw {self.seen}")


@dataclass(frozen=True)
class Slot:
    reader: str
    port: int


@pytest.fixture
def slot() -> Slot:
    require_service("TABKEEPER_TEST_PCSCD", "pcscd with the vpcd reader driver")
    port = int(require_service("TABKEEPER_TEST_VPCD_PORT", "the vpcd virtual reader"))
    from app.devices.pcsc_reader import list_readers

    names = list_readers()
    if "Virtual PCD 00 01" in names:
        return Slot("Virtual PCD 00 01", port + 1)
    assert "Virtual PCD 00 00" in names, f"pcscd lists no Virtual PCD reader: {names}"
    return Slot("Virtual PCD 00 00", port)


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def watcher(slot: Slot, events: Events) -> Iterator[object]:
    from app.devices.pcsc_reader import PcscReaderWatcher

    watching = PcscReaderWatcher(events, reader_filter=slot.reader, device_name=DEVICE)
    watching.start()
    try:
        events.wait_for(
            DeviceStatus, lambda e: isinstance(e, DeviceStatus) and e.state is DeviceState.CONNECTED
        )
        yield watching
    finally:
        assert watching.stop(), "the watcher thread did not end"


def contact_card(slot: Slot, iccid: bytes = ICCID) -> VirtualCard:
    """A contact card whose reader has no UID to give (6A 81) but which has an ICCID."""
    return VirtualCard(
        atr=CONTACT_ATR,
        port=slot.port,
        responses={
            GET_UID: b"\x6a\x81",
            bytes(SELECT_MF): OK,
            bytes(SELECT_EF_ICCID): OK,
            bytes(READ_ICCID): iccid + OK,
        },
    )


@pytest.mark.usefixtures("watcher")
def test_a_presented_card_is_identified_by_its_uid_then_removed(slot: Slot, events: Events) -> None:
    uid = bytes.fromhex("04D15EA5E1F080")
    card = VirtualCard(atr=MIFARE_1K_ATR, uid=uid, port=slot.port)

    presented = time.monotonic()
    with card:
        found = events.wait_for(IdentificationEvent)
        latency = time.monotonic() - presented
        removed_at = time.monotonic()
    gone = events.wait_for(CardRemoved)
    removal_latency = time.monotonic() - removed_at

    assert isinstance(found, IdentificationEvent)
    assert (found.kind, found.value, found.device) == (
        IdentifierKind.SMART_CARD,
        "04D15EA5E1F080",
        DEVICE,
    )
    assert found.at.tzinfo is not None
    assert isinstance(gone, CardRemoved) and gone.device == DEVICE
    assert card.error is None
    print(
        f"insert -> event {latency * 1000:.0f} ms, removal -> event {removal_latency * 1000:.0f} ms"
    )


@pytest.mark.usefixtures("watcher")
def test_a_contact_card_without_uid_gets_the_same_derived_id_every_time(
    slot: Slot, events: Events
) -> None:
    values = []
    for _ in range(2):
        with contact_card(slot):
            found = events.wait_for(IdentificationEvent)
        events.wait_for(CardRemoved)
        assert isinstance(found, IdentificationEvent)
        values.append(found.value)

    assert values[0] == values[1]
    assert values[0] == derive_card_id(bytes.fromhex("1450"), b"iccid", ICCID)

    with contact_card(slot, bytes.fromhex("98440100000000000029")):
        other = events.wait_for(IdentificationEvent)
    events.wait_for(CardRemoved)  # leave the slot empty for the next test
    assert isinstance(other, IdentificationEvent) and other.value != values[0]


@pytest.mark.usefixtures("watcher")
def test_a_card_that_cannot_be_read_is_rejected_with_the_reason(slot: Slot, events: Events) -> None:
    with VirtualCard(atr=MIFARE_1K_ATR, port=slot.port, responses={GET_UID: b"\x63\x00"}):
        rejected = events.wait_for(DeviceRejected)
    events.wait_for(CardRemoved)

    assert isinstance(rejected, DeviceRejected)
    assert rejected.device == DEVICE
    assert "could not read the card" in rejected.reason


@pytest.mark.usefixtures("watcher")
def test_a_payment_card_is_refused_without_reading_it(slot: Slot, events: Events) -> None:
    ppse = bytes.fromhex("00A404000E325041592E5359532E444446303100")
    contactless = bytes.fromhex("3B8180018080")
    with VirtualCard(atr=contactless, port=slot.port, responses={ppse: OK}) as card:
        rejected = events.wait_for(DeviceRejected)
    events.wait_for(CardRemoved)

    assert isinstance(rejected, DeviceRejected) and "payment card" in rejected.reason
    assert GET_UID not in card.received


def test_stop_wakes_a_long_wait_at_once(slot: Slot, events: Events) -> None:
    from app.devices.pcsc_reader import PcscReaderWatcher

    watching = PcscReaderWatcher(events, reader_filter=slot.reader, poll_timeout=60.0)
    watching.start()
    events.wait_for(DeviceStatus)
    time.sleep(0.2)  # let it settle into SCardGetStatusChange; the stop is what is timed

    started = time.monotonic()
    assert watching.stop(timeout=5.0)
    assert time.monotonic() - started < 1.0
    assert not watching.running


def test_reader_filter_matching_nothing_reports_no_reader(slot: Slot, events: Events) -> None:
    from app.devices.pcsc_reader import PcscReaderWatcher

    watching = PcscReaderWatcher(events, reader_filter="No such reader 42")
    watching.start()
    try:
        status = events.wait_for(DeviceStatus)
    finally:
        assert watching.stop()

    assert isinstance(status, DeviceStatus)
    assert status.state is DeviceState.DISCONNECTED
    assert "No card reader matching 'No such reader 42'" in status.message


# --- without pcscd: an injected context that fails ---------------------------------


def _no_service() -> tuple[int, int]:
    from smartcard import scard

    return scard.SCARD_E_NO_SERVICE, 0


def test_no_service_is_reported_once_and_retried_with_backoff(events: Events) -> None:
    from app.devices.pcsc_reader import SERVICE_UNAVAILABLE, PcscReaderWatcher

    attempts: list[float] = []

    def establish() -> tuple[int, int]:
        attempts.append(time.monotonic())
        return _no_service()

    watching = PcscReaderWatcher(
        events, establish_context=establish, backoff=Backoff(initial_s=0.02, max_s=0.1)
    )
    watching.start()
    try:
        status = events.wait_for(DeviceStatus)
        deadline = time.monotonic() + WAIT
        while len(attempts) < 5 and time.monotonic() < deadline:
            events.queue.get(timeout=0.05) if not events.queue.empty() else time.sleep(0.02)
    finally:
        started = time.monotonic()
        assert watching.stop()
        assert time.monotonic() - started < 0.5

    assert isinstance(status, DeviceStatus)
    assert (status.state, status.message) == (DeviceState.ERROR, SERVICE_UNAVAILABLE)
    assert status.message == "smart-card service unavailable"
    assert len(attempts) >= 5, "the watcher keeps retrying"
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.015 and max(gaps) < 0.5, gaps  # backs off, never beyond the cap
    assert events.queue.empty() and len(events.seen) == 1, "reported once, not per retry"


def test_the_watcher_recovers_when_the_service_comes_back(slot: Slot, events: Events) -> None:
    from app.devices.pcsc_reader import (
        SERVICE_UNAVAILABLE,
        PcscReaderWatcher,
        establish_user_context,
    )

    failures = iter(range(2))

    def establish() -> tuple[int, int]:
        return _no_service() if next(failures, None) is not None else establish_user_context()

    watching = PcscReaderWatcher(
        events,
        reader_filter=slot.reader,
        establish_context=establish,
        backoff=Backoff(initial_s=0.02, max_s=0.05),
    )
    watching.start()
    try:
        down = events.wait_for(DeviceStatus)
        up = events.wait_for(DeviceStatus)
    finally:
        assert watching.stop()

    assert isinstance(down, DeviceStatus) and down.message == SERVICE_UNAVAILABLE
    assert isinstance(up, DeviceStatus) and up.state is DeviceState.CONNECTED
    assert up.device == slot.reader


def test_list_readers(slot: Slot) -> None:
    from app.devices.pcsc_reader import SmartCardServiceError, list_readers

    assert slot.reader in list_readers()
    with pytest.raises(SmartCardServiceError, match="smart-card service unavailable"):
        list_readers(_no_service)


# --- readers plugged and unplugged, with a stand-in for smartcard.scard ---------------


def test_readers_plugged_and_unplugged_while_watching(
    monkeypatch: pytest.MonkeyPatch, events: Events
) -> None:
    from smartcard import scard

    import app.devices.pcsc_reader as pcsc_reader

    fake = PluggableScard()
    monkeypatch.setattr(pcsc_reader, "scard", fake)
    reader = "ACS ACR122U PICC Interface 00 00"
    # A long poll timeout: only the PnP notification can wake the watcher in time.
    watching = pcsc_reader.PcscReaderWatcher(
        events, establish_context=lambda: (0, 1), poll_timeout=60.0
    )
    watching.start()
    try:
        nothing = events.wait_for(DeviceStatus)
        fake.set(reader, scard.SCARD_STATE_EMPTY)
        plugged = events.wait_for(DeviceStatus)
        fake.set(reader, scard.SCARD_STATE_PRESENT | (1 << 16))
        assert fake.card_seen.wait(WAIT)
        fake.set(reader, None)
        removed = events.wait_for(CardRemoved)
        unplugged = events.wait_for(DeviceStatus)
        none_left = events.wait_for(DeviceStatus)
        fake.set(reader, scard.SCARD_STATE_EMPTY)
        again = events.wait_for(DeviceStatus)
    finally:
        assert watching.stop(timeout=2.0)

    assert isinstance(nothing, DeviceStatus) and nothing.state is DeviceState.DISCONNECTED
    assert isinstance(plugged, DeviceStatus)
    assert (plugged.device, plugged.state) == (reader, DeviceState.CONNECTED)
    assert isinstance(removed, CardRemoved) and removed.device == reader
    assert isinstance(unplugged, DeviceStatus)
    assert (unplugged.state, unplugged.message) == (
        DeviceState.DISCONNECTED,
        f"Card reader {reader} unplugged",
    )
    assert isinstance(none_left, DeviceStatus)
    assert none_left.message == "No card reader is plugged in", "reported again after a reader"
    assert isinstance(again, DeviceStatus) and again.state is DeviceState.CONNECTED
