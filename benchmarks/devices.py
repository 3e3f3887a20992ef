"""From a device's last byte to the identification with the customer card ready.

``python -m benchmarks.devices STORE [--seed S] [--samples N] [--pcsc-samples N]
[--kinds serial,wedge,pcsc]`` prints one JSON object with p50/p99 in milliseconds per
device kind (or the reason a kind could not be measured). Each sample is a real
identifier of an active customer in the store:

- serial: a socat pty pair; the far end writes ``;<value>=49121010000?\\r``. The clock
  starts once the swipe's last byte is written and flushed.
- keyboard wedge: key events into a focused field through ``WedgeFilter``, offscreen. The
  filter resolves synchronously while the Return key is delivered, so the clock starts
  just before the Return key event is sent (after every other key was delivered).
- PC/SC: a virtual MIFARE card with the identifier's UID is inserted into vpcd's reader.
  The clock starts as the card connects (the insert); it is removed between samples.
  pcscd asks vpcd for a card every 400 ms (vpcd has no polling thread of its own), so
  an insert waits 0-400 ms for pcscd to notice it, depending on where it falls in that
  cycle. Each insert therefore comes after a random pause (seeded): inserting as soon
  as the previous removal was reported would land every insert just after a poll,
  the worst case every time, which no person does. A second PC/SC context notes when
  pcscd reports the card present, splitting each sample into insert -> present
  (pcscd + vpcd) and present -> identified (the app). docs/DEVICES.md has the details.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import shutil
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.devices.builders import BUILDERS
from app.devices.drivers import DriverCatalogue
from app.devices.events import CardRemoved
from app.devices.manager import ConfiguredDevice, DeviceManager
from app.devices.resolution import IdentificationResolver, Identified, Resolved
from app.domain.identifiers import IdentifierKind
from app.domain.staff import Actor, Role
from app.services.directory import VenueSettings
from app.services.identification import IdentificationService, Recognised
from app.store.database import StoreLocation, create_session_factory, create_store_engine
from app.store.unit_of_work import SqlUnitOfWorkFactory
from benchmarks.measure import percentile

SWIPE_TAIL = "=49121010000?\r"
WAIT_S = 5.0
VPCD_READERS = {35963: "Virtual PCD 00 00", 35964: "Virtual PCD 00 01"}
# pcsc-lite's PCSCLITE_STATUS_POLL_RATE (compiled in): how often pcscd asks vpcd for a card.
PCSCD_POLL_S = 0.4

ACTOR = Actor("00000000-0000-7000-8000-000000000000", "Bench", Role.CASHIER)


def sample_values(
    engine: Engine, kind: IdentifierKind, count: int, seed: int, ready: Callable[[str], bool]
) -> list[str]:
    """``count`` distinct identifiers of ``kind`` for which ``ready`` holds (a customer
    card the till would show), picked at random across the store."""
    rng = random.Random(f"{seed}-{kind.value}")
    values: list[str] = []
    with engine.connect() as connection:
        top = int(connection.execute(text("SELECT max(id) FROM identifiers")).scalar_one())
        attempts = 0
        while len(values) < count and attempts < count * 50:
            attempts += 1
            rows = connection.execute(
                text(
                    "SELECT kind, value, status FROM identifiers WHERE id >= :i "
                    "ORDER BY id LIMIT 16"
                ),
                {"i": rng.randint(1, top)},
            ).all()
            for row_kind, value, status in rows:
                if row_kind == kind.value and status == "active":
                    if str(value) not in values and ready(str(value)):
                        values.append(str(value))
                    break
    return values


class Harness:
    """A device manager whose sink resolves identifications into a queue."""

    def __init__(self, engine: Engine) -> None:
        service = IdentificationService(
            SqlUnitOfWorkFactory(create_session_factory(engine)), VenueSettings()
        )
        self.results: queue.Queue[tuple[float, Resolved]] = queue.Queue()
        resolver = IdentificationResolver(service, lambda: ACTOR, self._record)
        self.manager = DeviceManager(sink=resolver, builders=BUILDERS)
        self.recognised = 0
        self.other: dict[str, int] = {}

    def _record(self, resolved: Resolved) -> None:
        self.results.put((time.perf_counter(), resolved))

    def start(self, name: str, driver: str, settings: dict[str, object]) -> None:
        checked = DriverCatalogue().check(driver, settings)
        self.manager.start([ConfiguredDevice(name, driver, checked)])

    def drain(self) -> None:
        while not self.results.empty():
            self.results.get_nowait()

    def identified(self, value: str, poll: Callable[[], None] | None = None) -> float:
        """When the identification of ``value`` arrived (perf_counter seconds)."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            if poll is not None:
                poll()
                try:
                    at, resolved = self.results.get_nowait()
                except queue.Empty:
                    continue
            else:
                try:
                    at, resolved = self.results.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
            if isinstance(resolved, Identified) and resolved.event.value == value:
                if isinstance(resolved.outcome, Recognised):
                    self.recognised += 1
                else:
                    kind = type(resolved.outcome).__name__
                    self.other[kind] = self.other.get(kind, 0) + 1
                return at
        raise TimeoutError(f"no identification of {value} within {WAIT_S:g} s")


def summary(latencies: list[float], harness: Harness, note: str = "") -> dict[str, Any]:
    return {
        "samples": len(latencies),
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 99),
        "max": max(latencies),
        "recognised": harness.recognised,
        "other_outcomes": harness.other,
        "note": note,
    }


def not_measured(reason: str) -> dict[str, Any]:
    return {"samples": 0, "p50": None, "p99": None, "note": reason}


# -- serial ----------------------------------------------------------------------------


def measure_serial(engine: Engine, values: list[str], warmup: int) -> dict[str, Any]:
    try:
        from tests.support.serial_pair import serial_pair
    except ImportError as error:  # pragma: no cover - the helper is another engineer's file
        return not_measured(f"serial pair helper unavailable: {error}")
    socat = os.environ.get("TABKEEPER_TEST_SOCAT") or shutil.which("socat")
    if socat is None:
        return not_measured("socat is not installed")
    harness = Harness(engine)
    latencies: list[float] = []
    with serial_pair(socat) as pair:
        harness.start("Serial", "serial-magstripe", {"port": pair.a})
        try:
            fd = os.open(pair.b, os.O_WRONLY | os.O_NOCTTY)
            try:
                time.sleep(0.2)  # let the reader open its end
                harness.drain()
                for n, value in enumerate(values):
                    os.write(fd, f";{value}{SWIPE_TAIL}".encode("ascii"))
                    t0 = time.perf_counter()  # os.write is unbuffered: the flush is done
                    t1 = harness.identified(value)
                    if n >= warmup:
                        latencies.append((t1 - t0) * 1000)
            finally:
                os.close(fd)
        finally:
            harness.manager.stop()
    return summary(latencies, harness)


# -- keyboard wedge ----------------------------------------------------------------------


def measure_wedge(engine: Engine, values: list[str], warmup: int) -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QLineEdit

    from app.ui.wedge_filter import WedgeFilter

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    harness = Harness(engine)
    harness.start("Wedge", "keyboard-wedge", {})
    field = QLineEdit()
    field.show()
    field.activateWindow()
    field.setFocus()
    app.processEvents()
    wedge = WedgeFilter()
    wedge.sig_burst.connect(lambda burst: harness.manager.feed("Wedge", burst.encode()))
    app.installEventFilter(wedge)
    latencies: list[float] = []
    try:
        harness.drain()
        for n, value in enumerate(values):
            QTest.keyClicks(field, value)  # one press and release per character
            t0 = time.perf_counter()
            QTest.keyClick(field, Qt.Key.Key_Return)
            t1 = harness.identified(value, poll=app.processEvents)
            if n >= warmup:
                latencies.append((t1 - t0) * 1000)
            if field.text():
                raise RuntimeError(f"the wedge burst leaked into the field: {field.text()!r}")
    finally:
        app.removeEventFilter(wedge)
        harness.manager.stop()
        field.close()
    return summary(latencies, harness)


# -- PC/SC -------------------------------------------------------------------------------


@contextmanager
def _pcsc_harness(engine: Engine, reader: str) -> Iterator[Harness]:
    harness = Harness(engine)
    harness.start("PCSC", "pcsc", {"reader": reader})
    try:
        yield harness
    finally:
        harness.manager.stop()


def measure_pcsc(engine: Engine, values: list[str], warmup: int, seed: int = 7) -> dict[str, Any]:
    try:
        from app.devices.pcsc_reader import list_readers
        from tests.support.vpcd_card import VirtualCard
    except ImportError as error:
        return not_measured(f"PC/SC support unavailable: {error}")
    port = int(os.environ.get("TABKEEPER_BENCH_VPCD_PORT", "35964"))
    # For a private pcscd with its own reader.conf (reached through PCSCLITE_CSOCK_NAME).
    reader = os.environ.get("TABKEEPER_BENCH_VPCD_READER") or VPCD_READERS.get(port, "Virtual PCD")
    try:
        readers = list_readers()
    except Exception as error:
        return not_measured(f"pcscd not available: {error}")
    if reader not in readers:
        return not_measured(f"vpcd reader {reader!r} not found (readers: {readers})")
    pauses = random.Random(f"{seed}-pcsc-insert")
    latencies: list[float] = []
    to_present: list[float] = []
    after_present: list[float] = []
    with _pcsc_harness(engine, reader) as harness, PresenceProbe(reader) as probe:
        time.sleep(0.5)  # the watcher's first look at the readers
        harness.drain()
        for n, value in enumerate(values):
            card = VirtualCard(uid=bytes.fromhex(value), port=port)
            time.sleep(pauses.uniform(0.0, PCSCD_POLL_S))  # anywhere in pcscd's poll cycle
            probe.clear()
            t0 = time.perf_counter()
            try:
                card.connect()
            except OSError as error:
                return not_measured(f"vpcd not reachable on port {port}: {error}")
            try:
                t1 = harness.identified(value)
            finally:
                card.close()
            present = probe.first_present()
            if n >= warmup:
                latencies.append((t1 - t0) * 1000)
                if present is not None:
                    to_present.append((present - t0) * 1000)
                    after_present.append((t1 - present) * 1000)
            _wait_removed(harness)
    result = summary(latencies, harness, note=f"reader {reader}")
    if after_present:
        # The part pcscd and vpcd take before any PC/SC client can see the card, and the
        # part that is the app's (connect, GET UID, lookup), seen from a second context.
        result["present_p50"] = statistics.median(to_present)
        result["present_p99"] = percentile(to_present, 99)
        result["after_present_p50"] = statistics.median(after_present)
        result["after_present_p99"] = percentile(after_present, 99)
        result["after_present_max"] = max(after_present)
    return result


class PresenceProbe:
    """A second PC/SC context that notes when pcscd reports a card in ``reader``."""

    def __init__(self, reader: str) -> None:
        self.reader = reader
        self._times: queue.Queue[float] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pcsc-probe", daemon=True)
        self._context: int | None = None

    def __enter__(self) -> PresenceProbe:
        from smartcard import scard

        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult == scard.SCARD_S_SUCCESS:
            self._context = context
            self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        from smartcard import scard

        self._stop.set()
        if self._context is not None:
            scard.SCardCancel(self._context)
            self._thread.join(timeout=2)
            scard.SCardReleaseContext(self._context)

    def clear(self) -> None:
        while not self._times.empty():
            self._times.get_nowait()

    def first_present(self) -> float | None:
        try:
            return self._times.get(timeout=0.5)
        except queue.Empty:
            return None

    def _run(self) -> None:
        from smartcard import scard

        state = scard.SCARD_STATE_UNAWARE
        while not self._stop.is_set():
            hresult, states = scard.SCardGetStatusChange(self._context, 500, [(self.reader, state)])
            now = time.perf_counter()
            if hresult != scard.SCARD_S_SUCCESS:
                continue
            event = int(states[0][1])
            was_present = bool(state & scard.SCARD_STATE_PRESENT)
            state = event & ~scard.SCARD_STATE_CHANGED
            if event & scard.SCARD_STATE_PRESENT and not was_present:
                self._times.put(now)


def _wait_removed(harness: Harness) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        try:
            _at, resolved = harness.results.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if isinstance(resolved, CardRemoved):
            return
    raise TimeoutError("the virtual card's removal was not reported")


# -- main --------------------------------------------------------------------------------


def measure(
    store: Path, seed: int, samples: int, pcsc_samples: int, only: set[str] | None = None
) -> dict[str, Any]:
    engine = create_store_engine(StoreLocation(store))
    service = IdentificationService(
        SqlUnitOfWorkFactory(create_session_factory(engine)), VenueSettings()
    )
    result: dict[str, Any] = {}
    kinds: list[tuple[str, IdentifierKind, int, int, Callable[..., dict[str, Any]]]] = [
        ("serial", IdentifierKind.MAGNETIC_CARD, samples, 10, measure_serial),
        ("wedge", IdentifierKind.BARCODE_CARD, samples, 10, measure_wedge),
        ("pcsc", IdentifierKind.SMART_CARD, pcsc_samples, 3, partial(measure_pcsc, seed=seed)),
    ]
    for name, kind, count, warmup, run in kinds:
        if only is not None and name not in only:
            continue

        def ready(value: str, kind: IdentifierKind = kind) -> bool:
            return isinstance(service.identify(ACTOR, kind, value), Recognised)

        values = sample_values(engine, kind, count + warmup, seed, ready)
        try:
            result[name] = run(engine, values, warmup)
        except Exception as error:  # report, keep the other kinds' figures
            result[name] = not_measured(f"{type(error).__name__}: {error}")
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.devices")
    parser.add_argument("store", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--pcsc-samples", type=int, default=30)
    parser.add_argument(
        "--kinds", default="serial,wedge,pcsc", help="device kinds to measure (comma-separated)"
    )
    args = parser.parse_args()
    only = {kind.strip() for kind in args.kinds.split(",") if kind.strip()}
    print(json.dumps(measure(args.store, args.seed, args.samples, args.pcsc_samples, only)))


if __name__ == "__main__":
    main()
