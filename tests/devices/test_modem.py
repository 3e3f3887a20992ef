"""Caller-ID modem transport on real pty pairs: a scripted modem plays the far end."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import serial

from app.devices.events import DeviceState
from app.devices.modem import CallerIdModem, ModemConfig
from tests.devices.test_serial_line import WAIT_S, Recorder, fast_config, running
from tests.support.serial_pair import SerialPair, serial_pair
from tests.test_infrastructure import require_service

CALLER_ID_BLOCK = (
    b"\r\nRING\r\n\r\nDATE = 0321\r\nTIME = 1405\r\nNMBR = 5551234\r\nNAME = JOHN DOE\r\n"
    b"\r\nRING\r\n"
)
CALLER_ID_LINES = ["RING", "DATE = 0321", "TIME = 1405", "NMBR = 5551234", "NAME = JOHN DOE"]


class ScriptedModem:
    """A Hayes modem on the far end: echoes until ATE0, answers from a table (default OK).

    An answer of None is silence. ``hung`` set: the modem ignores everything.
    """

    def __init__(self, path: str, answers: Mapping[str, str | None]) -> None:
        self._port = serial.Serial(path, 9600, timeout=0.05)
        self._answers = answers
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self.echo = True
        self.hung = threading.Event()
        self.commands: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="scripted modem", daemon=True)
        self._thread.start()

    def send(self, data: bytes) -> None:
        with self._write_lock:
            self._port.write(data)
            self._port.flush()

    def expect(self, *commands: str) -> None:
        """Wait for exactly these commands, in order (watchdog ATs in between are skipped)."""
        got = []
        for wanted in commands:
            while True:
                command = self.commands.get(timeout=WAIT_S)
                got.append(command)
                if command == wanted:
                    break
                assert command == "AT", f"expected {commands}, got {got}"

    def close(self) -> None:
        self._stop.set()
        self._thread.join(WAIT_S)
        self._port.close()

    def _run(self) -> None:
        buffer = b""
        while not self._stop.is_set():
            try:
                buffer += self._port.read(self._port.in_waiting or 1)
            except serial.SerialException:
                return
            while b"\r" in buffer:
                raw, buffer = buffer.split(b"\r", 1)
                if not self.hung.is_set():
                    self._answer(raw.decode("ascii").strip())

    def _answer(self, command: str) -> None:
        self.commands.put(command)
        if self.echo:
            self.send(command.encode("ascii") + b"\r")
        if command in ("ATE0", "ATZ"):
            self.echo = command == "ATZ"
        answer = self._answers.get(command, "OK")
        if answer is not None:
            self.send(f"\r\n{answer}\r\n".encode("ascii"))


@pytest.fixture
def socat() -> str:
    return require_service("TABKEEPER_TEST_SOCAT", "socat")


@pytest.fixture
def pair(socat: str) -> Iterator[SerialPair]:
    with serial_pair(socat) as ports:
        yield ports


def modem_config(port: str | Path, **changes: Any) -> ModemConfig:
    settings: dict[str, Any] = {"command_timeout_s": 0.3, "probe_timeout_s": 0.3}
    settings.update(changes)
    return ModemConfig(fast_config(port, name="Caller ID modem"), **settings)


VCID_ERROR = {"AT+VCID=1": "ERROR"}


def test_init_falls_back_and_caller_id_lines_are_delivered(pair: SerialPair) -> None:
    seen = Recorder()
    modem = ScriptedModem(pair.b, VCID_ERROR)
    try:
        with running(CallerIdModem(modem_config(pair.a), seen.on_frame, seen.on_status)):
            ready = seen.status(DeviceState.CONNECTED)
            assert ready == f"Caller ID modem on {pair.a} ready (caller ID on with AT#CID=1)"
            modem.expect("ATZ", "ATE0", "AT+VCID=1", "AT#CID=1")

            modem.send(CALLER_ID_BLOCK)
            lines = [seen.frame() for _ in range(len(CALLER_ID_LINES) + 1)]
            assert lines == [*CALLER_ID_LINES, "RING"]
            seen.no_frame(within=0.2)  # no OK, no echo, no blank lines
    finally:
        modem.close()


def test_a_silent_command_moves_on_to_the_next(pair: SerialPair) -> None:
    seen = Recorder()
    modem = ScriptedModem(pair.b, {"AT+VCID=1": None, "AT#CID=1": "ERROR"})
    try:
        with running(CallerIdModem(modem_config(pair.a), seen.on_frame, seen.on_status)):
            assert seen.status(DeviceState.CONNECTED).endswith("(caller ID on with AT%CCID=1)")
            modem.expect("ATZ", "ATE0", "AT+VCID=1", "AT#CID=1", "AT%CCID=1")
    finally:
        modem.close()


def test_a_modem_without_caller_id_is_an_error(pair: SerialPair) -> None:
    seen = Recorder()
    refuses = dict.fromkeys(("AT+VCID=1", "AT#CID=1", "AT%CCID=1", "AT*ID1"), "ERROR")
    modem = ScriptedModem(pair.b, refuses)
    try:
        with running(CallerIdModem(modem_config(pair.a), seen.on_frame, seen.on_status)):
            message = seen.status(DeviceState.ERROR)
    finally:
        modem.close()
    assert message == (
        f"Caller ID modem on {pair.a} accepted none of the caller-ID commands "
        "(AT+VCID=1, AT#CID=1, AT%CCID=1, AT*ID1); it may not support caller ID"
        " — retrying in 0.05 s"
    )


def test_watchdog_reinitialises_a_modem_that_stops_answering(pair: SerialPair) -> None:
    seen = Recorder()
    modem = ScriptedModem(pair.b, VCID_ERROR)
    config = modem_config(pair.a, probe_every_s=0.2)
    try:
        with running(CallerIdModem(config, seen.on_frame, seen.on_status)):
            seen.status(DeviceState.CONNECTED)
            modem.expect("ATZ", "ATE0", "AT+VCID=1", "AT#CID=1")
            modem.expect("AT")  # the watchdog's probe, answered: nothing to report
            assert seen.statuses.empty()

            modem.hung.set()
            lost = seen.status(DeviceState.DISCONNECTED)
            assert lost == (
                f"Caller ID modem on {pair.a} stopped answering — re-initialising in 0.05 s"
            )
            seen.status(DeviceState.ERROR, "did not answer ATZ")
            modem.hung.clear()
            seen.status(DeviceState.CONNECTED, "ready")
            modem.expect("ATZ", "ATE0", "AT+VCID=1", "AT#CID=1")
            modem.send(b"\r\nRING\r\n")
            assert seen.frame() == "RING"
    finally:
        modem.close()


@pytest.mark.parametrize(
    ("announcement", "reason"),
    [
        (b"\x00\xfe\xff\r\n", "sent bytes that are not caller ID (it may have restarted)"),
        (b"\r\nREADY\r\n", "restarted by itself ('READY')"),
        (None, "restarted by itself (its echo came back on)"),  # seen on the next probe
    ],
    ids=["garbage", "banner", "echo-back"],
)
def test_a_modem_that_restarts_is_initialised_again(
    pair: SerialPair, announcement: bytes | None, reason: str
) -> None:
    seen = Recorder()
    modem = ScriptedModem(pair.b, VCID_ERROR)
    # Only the echo-back case needs the watchdog's probe; elsewhere it would race the news.
    probe_every_s = 0.2 if announcement is None else 30.0
    config = modem_config(pair.a, probe_every_s=probe_every_s, reset_banners=("READY",))
    try:
        with running(CallerIdModem(config, seen.on_frame, seen.on_status)):
            seen.status(DeviceState.CONNECTED)
            modem.expect("ATZ", "ATE0", "AT+VCID=1", "AT#CID=1")
            if announcement is None:
                modem.echo = True  # what a restart does, silently
            else:
                modem.send(announcement)
            lost = seen.status(DeviceState.DISCONNECTED)
            assert lost == f"Caller ID modem on {pair.a} {reason} — re-initialising in 0.05 s"
            seen.status(DeviceState.CONNECTED, "ready")
            modem.expect("ATZ", "ATE0", "AT+VCID=1", "AT#CID=1")
    finally:
        modem.close()
    assert seen.frames.empty()


def test_unplugged_modem_is_initialised_again_when_it_comes_back(
    socat: str, tmp_path: Path
) -> None:
    link = tmp_path / "ttyACM0"
    seen = Recorder()
    with running(CallerIdModem(modem_config(link), seen.on_frame, seen.on_status)):
        with serial_pair(socat, link_a=link) as pair:
            modem = ScriptedModem(pair.b, VCID_ERROR)
            try:
                seen.status(DeviceState.CONNECTED, "ready")
            finally:
                modem.close()
        seen.status(DeviceState.DISCONNECTED, "stopped answering — reconnecting")
        with serial_pair(socat, link_a=link) as pair:
            modem = ScriptedModem(pair.b, VCID_ERROR)
            try:
                seen.status(DeviceState.CONNECTED, "ready")
                modem.expect("ATZ", "ATE0", "AT+VCID=1", "AT#CID=1")
                modem.send(CALLER_ID_BLOCK)
                assert seen.frame() == "RING"
            finally:
                modem.close()
