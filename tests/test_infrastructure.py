"""The outside services the test-suite relies on are really there and really work.

`make test` starts them (scripts/test-services.sh) and exports one variable per
service. Run by hand without them, these tests skip and say why; under CI=true
a missing service is a failure, because a CI run that silently skips the
hardware tests proves nothing.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.serial_pair import SerialPair, serial_pair
from tests.support.vpcd_card import GET_UID, VirtualCard

PSYCOPG_REQUIREMENT = "psycopg[binary]>=3.1,<4"
VPCD_READER = "Virtual PCD"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason} (CI=true, so this is a failure rather than a skip)")
    pytest.skip(reason)


def require_service(variable: str, what: str) -> str:
    value = os.environ.get(variable)
    if not value:
        _unavailable(
            f"{what} is not available: {variable} is not set "
            "(`make test` starts it via scripts/test-services.sh)"
        )
    assert value is not None
    return value


# --- pcscd + vpcd ---------------------------------------------------------------


def _vpcd_readers() -> list[Any]:
    from smartcard.System import readers

    return [r for r in readers() if VPCD_READER in str(r)]


def test_pcscd_lists_the_virtual_reader() -> None:
    require_service("TABKEEPER_TEST_PCSCD", "pcscd with the vpcd reader driver")

    names = [str(r) for r in _vpcd_readers()]

    assert names, "pcscd is running but lists no 'Virtual PCD' reader"
    assert f"{VPCD_READER} 00 00" in names


def _connect_to_card(expected_atr: bytes, timeout: float = 10.0) -> Any:
    """Connect to whichever virtual reader holds the card, once pcscd has noticed it."""
    from smartcard.Exceptions import CardConnectionException, NoCardException

    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        for reader in _vpcd_readers():
            connection = reader.createConnection()
            try:
                connection.connect()
            except (NoCardException, CardConnectionException) as exc:
                last_error = exc
                continue
            if bytes(connection.getATR()) == expected_atr:
                return connection
            connection.disconnect()
        # pcscd polls the vpcd slot for a card a few times a second.
        time.sleep(0.2)
    raise AssertionError(f"pcscd never saw the virtual card within {timeout} s: {last_error}")


def test_virtual_card_answers_through_pcsc() -> None:
    port = int(require_service("TABKEEPER_TEST_VPCD_PORT", "the vpcd virtual reader"))
    atr = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
    uid = bytes.fromhex("04D15EA5E1")

    with VirtualCard(atr=atr, uid=uid, port=port) as card:
        connection = _connect_to_card(atr)
        try:
            assert bytes(connection.getATR()) == atr

            data, sw1, sw2 = connection.transmit(list(GET_UID))
            assert (bytes(data), sw1, sw2) == (uid, 0x90, 0x00)

            data, sw1, sw2 = connection.transmit([0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00])
            assert (bytes(data), sw1, sw2) == (b"", 0x6A, 0x81)
        finally:
            connection.disconnect()

    assert card.error is None
    assert GET_UID in card.received


# --- socat pty pair --------------------------------------------------------------


@pytest.fixture
def serial_ports() -> Iterator[SerialPair]:
    socat = require_service("TABKEEPER_TEST_SOCAT", "socat")
    with serial_pair(socat) as pair:
        yield pair


def test_bytes_cross_the_pty_pair(serial_ports: SerialPair) -> None:
    import serial

    with (
        serial.Serial(serial_ports.a, 9600, timeout=2) as a,
        serial.Serial(serial_ports.b, 9600, timeout=2) as b,
    ):
        a.write(b"\x1b@tabkeeper\n")
        a.flush()
        assert b.read(12) == b"\x1b@tabkeeper\n"

        b.write(b"\x10\x04\x01")
        b.flush()
        assert a.read(3) == b"\x10\x04\x01"


# --- PostgreSQL --------------------------------------------------------------------


@pytest.fixture
def pg_engine() -> Iterator[Any]:
    url = require_service("TABKEEPER_TEST_PG_URL", "the throwaway PostgreSQL cluster")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable(f"psycopg is not installed: add {PSYCOPG_REQUIREMENT!r} to the dev extras")
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        yield engine
    finally:
        engine.dispose()


def test_postgres_answers(pg_engine: Any) -> None:
    from sqlalchemy import text

    with pg_engine.connect() as conn:
        assert conn.execute(text("select 1")).scalar_one() == 1


def test_postgres_round_trip(pg_engine: Any) -> None:
    from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

    metadata = MetaData()
    tabs = Table(
        f"tabs_{uuid.uuid4().hex[:8]}",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("customer", String(80), nullable=False),
        Column("total_cents", Integer, nullable=False),
    )
    metadata.create_all(pg_engine)
    try:
        with pg_engine.begin() as conn:
            conn.execute(
                insert(tabs),
                [
                    {"customer": "Zoë Ångström", "total_cents": 1250},
                    {"customer": "Bob", "total_cents": 400},
                ],
            )
        with pg_engine.connect() as conn:
            rows = conn.execute(select(tabs.c.customer, tabs.c.total_cents).order_by(tabs.c.id))
            assert rows.all() == [("Zoë Ångström", 1250), ("Bob", 400)]
    finally:
        metadata.drop_all(pg_engine)
