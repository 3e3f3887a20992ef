"""A serial port kept open: where it is, how to open it, and the thread that keeps it so.

A device is described by a `SerialLineConfig` record (baud rate, terminator, init
bytes), never by code branches. `PortSupervisor` owns the port on its own thread:
it opens it, runs a session on it, closes it in ``finally`` and reopens it with
backoff when the device is unplugged, reporting each step as a `DeviceStatus`
sentence. The sessions are `app.devices.serial_line.SerialLineDevice` (card readers,
scanners) and `app.devices.modem.CallerIdModem`.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import serial
from serial.tools import list_ports

from app.devices.backoff import Backoff
from app.devices.events import Clock, DeviceState, StatusReporter, StatusSink, utc_now

log = logging.getLogger(__name__)


# --- discovery (kept apart from the driver) ---------------------------------------


@dataclass(frozen=True, slots=True)
class PortInfo:
    """One serial port the operating system knows about, for a settings picker."""

    device: str  # "/dev/ttyUSB0", "COM3"
    description: str
    hwid: str
    vid: int | None = None
    pid: int | None = None
    serial_number: str | None = None
    manufacturer: str | None = None


def list_serial_ports() -> list[PortInfo]:
    """The serial ports present now, sorted by device name."""
    found = [
        PortInfo(
            p.device,
            p.description or "",
            p.hwid or "",
            p.vid,
            p.pid,
            p.serial_number,
            p.manufacturer,
        )
        for p in list_ports.comports()
    ]
    return sorted(found, key=lambda info: info.device)


# --- the protocol record ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SerialLineConfig:
    """A serial device as data: where it is, how it talks and how its frames end.

    ``terminator=None`` means a frame ends when the line has been quiet for
    ``idle_gap_s``. A frame longer than ``max_frame`` bytes is dropped (with a status
    note) rather than buffered forever. ``read_timeout_s`` bounds how long `stop()`
    can wait on a blocked read where the port cannot cancel one.
    """

    port: str  # a path ("/dev/ttyUSB0", "COM3") or a pyserial URL ("loop://")
    name: str = "Serial device"  # for people: "Bar card reader"
    baudrate: int = 9600
    bytesize: int = serial.EIGHTBITS
    parity: str = serial.PARITY_NONE
    stopbits: float = serial.STOPBITS_ONE
    rtscts: bool = False
    xonxoff: bool = False
    terminator: bytes | None = b"\r"
    idle_gap_s: float = 0.05
    max_frame: int = 512
    init_bytes: bytes = b""  # sent after each open, e.g. a scanner's wake-up command
    backoff: Backoff = field(default_factory=Backoff)
    read_timeout_s: float = 0.1
    write_timeout_s: float = 1.0
    exclusive: bool = True  # lock the port so a second program cannot read it too


# --- opening a port -----------------------------------------------------------------


class SerialPort(Protocol):
    """The part of `serial.Serial` the sessions use."""

    @property
    def in_waiting(self) -> int: ...

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes) -> int | None: ...

    def flush(self) -> None: ...

    def cancel_read(self) -> None: ...

    def close(self) -> None: ...


PortOpener = Callable[[SerialLineConfig], SerialPort]


def poll_interval(config: SerialLineConfig) -> float:
    """The read timeout: short enough to notice a stop, or a quiet line ending a frame."""
    if config.terminator is None:
        return min(config.read_timeout_s, config.idle_gap_s / 2)
    return config.read_timeout_s


def open_serial_port(config: SerialLineConfig) -> SerialPort:
    """Open the configured port with a read timeout, so a session never blocks for long."""
    port: SerialPort = serial.serial_for_url(
        config.port,
        baudrate=config.baudrate,
        bytesize=config.bytesize,
        parity=config.parity,
        stopbits=config.stopbits,
        rtscts=config.rtscts,
        xonxoff=config.xonxoff,
        timeout=poll_interval(config),
        write_timeout=config.write_timeout_s,
        exclusive=config.exclusive or None,
    )
    return port


_MISSING = {errno.ENOENT, errno.ENODEV, errno.ENXIO}


def describe_open_failure(exc: BaseException) -> tuple[str, bool]:
    """Why a port would not open, in words a person can act on, and whether it is absent."""
    code = getattr(exc, "errno", None)
    text = str(exc)
    if code in _MISSING or "FileNotFoundError" in text:
        return "no such port — check the cable and the port name in the settings", True
    if "exclusively lock" in text or code == errno.EBUSY or "Access is denied" in text:
        # On Windows "access denied" means another program holds the port.
        return "the port is in use by another program", False
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied (add the user to the dialout group)", False
    reason = getattr(exc, "strerror", None) or text
    return f"could not open the port ({reason})", False


# --- the supervisor -----------------------------------------------------------------


class DeviceLostError(Exception):
    """Raised by a session whose device stopped making sense while the port is still there.

    The supervisor reports "<name> on <port> <reason> — <action> in N s", closes the
    port and opens it again after the backoff.
    """

    def __init__(
        self,
        reason: str,
        action: str = "reconnecting",
        state: DeviceState = DeviceState.DISCONNECTED,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.action = action
        self.state = state


class SessionControl:
    """What a running session may ask of its supervisor."""

    def __init__(self, supervisor: PortSupervisor) -> None:
        self._supervisor = supervisor

    @property
    def stopping(self) -> bool:
        """True once `stop()` was called: the session should return."""
        return self._supervisor.stop_requested

    def ready(self, detail: str = "") -> None:
        """Report the device usable (CONNECTED) and reset the reconnection backoff."""
        self._supervisor.mark_ready(detail)

    def note(self, what: str) -> None:
        """Report something worth knowing while the device keeps working."""
        self._supervisor.report(DeviceState.CONNECTED, what)


PortSession = Callable[[SerialPort, SessionControl], None]


class PortSupervisor:
    """Keeps one serial port open on its own thread and runs a session on it.

    The session returns once `SessionControl.stopping` is true; it raises
    `serial.SerialException`/`OSError` when the port disappears, or `DeviceLostError` when
    the device stops making sense. Either way the port is closed and reopened after
    the backoff, with a status for each step.
    """

    def __init__(
        self,
        config: SerialLineConfig,
        session: PortSession,
        on_status: StatusSink,
        clock: Clock = utc_now,
        opener: PortOpener = open_serial_port,
    ) -> None:
        self._config = config
        self._session = session
        self._opener = opener
        self._stop = threading.Event()
        self._port_lock = threading.Lock()
        self._port: SerialPort | None = None
        self._thread: threading.Thread | None = None
        self._delay_s = config.backoff.initial_s
        self._ever_ready = False
        self._report = StatusReporter(config.name, on_status, clock)

    @property
    def stop_requested(self) -> bool:
        """Whether `stop()` was called."""
        return self._stop.is_set()

    @property
    def running(self) -> bool:
        """Whether the port thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the port thread; returns at once."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"serial {self._config.port}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Ask the thread to finish, cancel a pending read, and wait up to ``timeout_s``."""
        self._stop.set()
        with self._port_lock:
            if self._port is not None:
                # URL ports may not cancel a read; their read timeout bounds the wait.
                with contextlib.suppress(AttributeError, NotImplementedError, OSError, TypeError):
                    self._port.cancel_read()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.warning("%s on %s did not stop within %s s", *self._where(), timeout_s)

    def mark_ready(self, detail: str = "") -> None:
        """Called by a session (through `SessionControl`) once the device answers."""
        self._delay_s = self._config.backoff.initial_s
        self._ever_ready = True
        name, port = self._where()
        self.report(DeviceState.CONNECTED, f"{name} on {port} ready{detail}")

    def report(self, state: DeviceState, message: str) -> None:
        """Hand a status to the sink; a repeat of the last message is not sent again."""
        self._report(state, message)

    def _where(self) -> tuple[str, str]:
        return self._config.name, self._config.port

    def _wait_backoff(self) -> None:
        self._stop.wait(self._delay_s)
        self._delay_s = self._config.backoff.after(self._delay_s)

    def _run(self) -> None:
        name, where = self._where()
        while not self._stop.is_set():
            try:
                port = self._opener(self._config)
            except Exception as exc:  # pyserial raises SerialException, OSError, ValueError
                problem, missing = describe_open_failure(exc)
                state = (
                    DeviceState.DISCONNECTED if missing and self._ever_ready else DeviceState.ERROR
                )
                self.report(
                    state, f"{name} on {where}: {problem} — retrying in {self._delay_s:g} s"
                )
                self._wait_backoff()
                continue
            lost = self._run_session(port)
            if self._stop.is_set():
                break
            self.report(
                lost.state,
                f"{name} on {where} {lost.reason} — {lost.action} in {self._delay_s:g} s",
            )
            self._wait_backoff()
        self.report(DeviceState.DISCONNECTED, f"{name} on {where} closed")

    def _run_session(self, port: SerialPort) -> DeviceLostError:
        with self._port_lock:
            self._port = port
        try:
            self._session(port, SessionControl(self))
            return DeviceLostError("closed")
        except DeviceLostError as lost:
            return lost
        except (serial.SerialException, OSError) as exc:
            log.info("%s on %s lost: %s", *self._where(), exc)
            return DeviceLostError("stopped answering")
        except Exception:
            log.exception("%s on %s: session failed", *self._where())
            return DeviceLostError("failed unexpectedly", "restarting", DeviceState.ERROR)
        finally:
            with self._port_lock:
                self._port = None
            try:
                port.close()
            except Exception as exc:  # closing a vanished port may fail; it is gone anyway
                log.debug("closing %s: %s", self._config.port, exc)


class SupervisedDevice:
    """A device whose session runs on a `PortSupervisor`: start, stop and running are
    the supervisor's. Subclasses set ``_supervisor`` in their ``__init__``."""

    _supervisor: PortSupervisor

    @property
    def running(self) -> bool:
        """Whether the port thread is alive."""
        return self._supervisor.running

    def start(self) -> None:
        """Open the port on a background thread and keep it open; returns at once."""
        self._supervisor.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Close the port; returns within about ``timeout_s`` even while a read blocks."""
        self._supervisor.stop(timeout_s)
