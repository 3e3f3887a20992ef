"""How bytes reach a receipt printer: TCP port 9100, a serial port or USB (a CUPS queue is
in `app.devices.printing.cups`).

Every connection is one small protocol: ``open``, ``send``, ``close`` and, where the link
is two-way (TCP, serial, USB), ``query_status`` by DLE EOT. A failure is always a
`PrinterConnectionError` whose ``reason`` a person can act on (and whose ``sent`` counts
the bytes of the job handed over before it failed, for the log).
"""

from __future__ import annotations

import contextlib
import importlib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import serial

from app.devices.printing.status import (
    PrinterStatus,
    PrinterStatusError,
    Readiness,
    StatusQuery,
    parse_status,
)
from app.devices.serial_port import describe_open_failure

CHUNK = 4096  # bytes per write, so a failure mid-job knows roughly how much went


class PrinterConnectionError(Exception):
    """The printer could not be reached, refused, or went away.

    ``sent`` counts the bytes of the job handed over before the failure (0: none).
    """

    def __init__(self, reason: str, sent: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sent = sent


class PrinterConnection(Protocol):
    """One printer link. ``open`` before the rest; ``close`` always, also after errors."""

    @property
    def where(self) -> str:
        """Where the printer is, for messages: "10.0.0.7:9100", "/dev/ttyUSB0"."""

    @property
    def two_way(self) -> bool:
        """True when ``query_status`` can ask the printer itself."""

    def open(self) -> None: ...
    def send(self, data: bytes) -> None: ...
    def query_status(self) -> Readiness | None:
        """The printer's state now, or None where the link cannot tell."""

    def close(self) -> None: ...


def _ask_all(ask: Callable[[StatusQuery], bytes], where: str) -> PrinterStatus:
    """DLE EOT 1..4, one byte each, parsed together."""
    replies = b"".join(ask(query) for query in StatusQuery)
    try:
        return parse_status(replies)
    except PrinterStatusError as error:
        raise PrinterConnectionError(
            f"Printer at {where} gave a status that makes no sense ({error.reason}) — "
            "check the printer model in its settings"
        ) from None


# --- network: raw TCP, port 9100 -------------------------------------------------------


@dataclass
class NetworkConnection:
    """A printer on the network (JetDirect / raw port 9100)."""

    host: str
    port: int = 9100
    connect_timeout_s: float = 3.0
    write_timeout_s: float = 10.0
    status_timeout_s: float = 2.0
    _socket: socket.socket | None = field(default=None, init=False, repr=False)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def two_way(self) -> bool:
        return True

    def open(self) -> None:
        try:
            self._socket = socket.create_connection(
                (self.host, self.port), timeout=self.connect_timeout_s
            )
        except ConnectionRefusedError:
            raise PrinterConnectionError(
                f"Printer at {self.where} refused the connection — is it switched on?"
            ) from None
        except TimeoutError:
            raise PrinterConnectionError(
                f"Printer at {self.where} did not answer within {self.connect_timeout_s:g} s"
                " — check it is on and on the network"
            ) from None
        except OSError as error:
            raise PrinterConnectionError(
                f"Printer at {self.where} cannot be reached ({error.strerror or error})"
            ) from None
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _connected(self) -> socket.socket:
        if self._socket is None:
            raise PrinterConnectionError(f"Printer at {self.where} is not connected")
        return self._socket

    def send(self, data: bytes) -> None:
        sock = self._connected()
        sock.settimeout(self.write_timeout_s)
        sent = 0
        try:
            for start in range(0, len(data), CHUNK):
                sock.sendall(data[start : start + CHUNK])
                sent = min(len(data), start + CHUNK)
        except TimeoutError:
            raise PrinterConnectionError(
                f"Printer at {self.where} stopped taking data", sent
            ) from None
        except OSError:
            raise PrinterConnectionError(
                f"Printer at {self.where} dropped the connection while printing", sent
            ) from None

    def _ask(self, query: StatusQuery) -> bytes:
        sock = self._connected()
        try:
            _drain(sock)  # an answer that came too late, or automatic status, is stale
            sock.settimeout(self.write_timeout_s)
            sock.sendall(query.command)
            sock.settimeout(self.status_timeout_s)
            answer = sock.recv(1)
        except TimeoutError:
            raise PrinterConnectionError(
                f"Printer at {self.where} does not answer status queries"
            ) from None
        except OSError:
            raise PrinterConnectionError(
                f"Printer at {self.where} dropped the connection"
            ) from None
        if not answer:
            raise PrinterConnectionError(f"Printer at {self.where} closed the connection")
        return answer

    def query_status(self) -> PrinterStatus:
        return _ask_all(self._ask, self.where)

    def close(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()


def _drain(sock: socket.socket) -> None:
    sock.setblocking(False)
    try:
        while sock.recv(256):
            pass
    except (BlockingIOError, InterruptedError):
        pass
    finally:
        sock.setblocking(True)


# --- serial ---------------------------------------------------------------------------


SerialOpener = Callable[..., Any]


def _pyserial(port: str, **settings: Any) -> Any:
    return serial.serial_for_url(port, **settings)


@dataclass
class SerialConnection:
    """A printer on RS-232 or USB-serial. ``flow_control``: none, rtscts or dsrdtr."""

    port: str
    baudrate: int = 9600
    flow_control: str = "none"
    write_timeout_s: float = 10.0
    status_timeout_s: float = 1.0
    opener: SerialOpener = _pyserial
    _port: Any = field(default=None, init=False, repr=False)

    @property
    def where(self) -> str:
        return self.port

    @property
    def two_way(self) -> bool:
        return True

    def open(self) -> None:
        try:
            self._port = self.opener(
                self.port,
                baudrate=self.baudrate,
                rtscts=self.flow_control == "rtscts",
                dsrdtr=self.flow_control == "dsrdtr",
                timeout=self.status_timeout_s,
                write_timeout=self.write_timeout_s,
                exclusive=True,
            )
        except Exception as error:  # pyserial raises SerialException, OSError, ValueError
            problem, _missing = describe_open_failure(error)
            raise PrinterConnectionError(f"Printer on {self.port}: {problem}") from None

    def send(self, data: bytes) -> None:
        sent = 0
        try:
            for start in range(0, len(data), CHUNK):
                self._port.write(data[start : start + CHUNK])
                sent = min(len(data), start + CHUNK)
            self._port.flush()
        except Exception as error:  # SerialTimeoutException, SerialException, OSError
            stalled = isinstance(error, serial.SerialTimeoutException)
            raise PrinterConnectionError(
                f"Printer on {self.port} "
                + ("stopped taking data" if stalled else "went away while printing"),
                sent,
            ) from None

    def _ask(self, query: StatusQuery) -> bytes:
        try:
            self._port.reset_input_buffer()
            self._port.write(query.command)
            self._port.flush()
            answer = bytes(self._port.read(1))
        except Exception:
            raise PrinterConnectionError(f"Printer on {self.port} went away") from None
        if not answer:
            raise PrinterConnectionError(
                f"Printer on {self.port} does not answer status queries — "
                "check it is switched on, the cable and the baud rate"
            )
        return answer

    def query_status(self) -> PrinterStatus:
        return _ask_all(self._ask, self.where)

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()


# --- USB (python-escpos over pyusb) -----------------------------------------------------


def usb_available() -> bool:
    """Whether pyusb is installed, which python-escpos needs for USB printers."""
    from escpos.printer import Usb

    return bool(Usb.is_usable())


USB_NEEDS_PYUSB = "USB printing needs pyusb (pip install pyusb) and libusb on this terminal"


@dataclass
class UsbConnection:
    """A USB printer by vendor and product id, through python-escpos's ``Usb``."""

    vendor_id: int
    product_id: int
    timeout_ms: int = 5000
    in_endpoint: int = 0x82
    out_endpoint: int = 0x01
    _printer: Any = field(default=None, init=False, repr=False)

    @property
    def where(self) -> str:
        return f"USB {self.vendor_id:04x}:{self.product_id:04x}"

    @property
    def two_way(self) -> bool:
        return True

    def open(self) -> None:
        if not usb_available():
            raise PrinterConnectionError(USB_NEEDS_PYUSB)
        from escpos.printer import Usb

        printer = Usb(
            self.vendor_id,
            self.product_id,
            timeout=self.timeout_ms,
            in_ep=self.in_endpoint,
            out_ep=self.out_endpoint,
        )
        try:
            printer.open()
        except Exception as error:
            raise PrinterConnectionError(
                f"Printer {self.where} not found or not usable — check the cable, and the"
                f" udev rule that lets this user open it ({error})"
            ) from None
        self._printer = printer

    def send(self, data: bytes) -> None:
        sent = 0
        try:
            for start in range(0, len(data), CHUNK):
                self._printer._raw(data[start : start + CHUNK])
                sent = min(len(data), start + CHUNK)
        except Exception:
            raise PrinterConnectionError(
                f"Printer {self.where} went away while printing", sent
            ) from None

    def _ask(self, query: StatusQuery) -> bytes:
        try:
            self._printer._raw(query.command)
            answer = bytes(self._printer._read())
        except Exception:
            raise PrinterConnectionError(f"Printer {self.where} went away") from None
        if not answer:
            raise PrinterConnectionError(f"Printer {self.where} does not answer status queries")
        return answer[-1:]  # some printers pad a USB read; the newest byte is the answer

    def query_status(self) -> PrinterStatus:
        return _ask_all(self._ask, self.where)

    def close(self) -> None:
        printer, self._printer = self._printer, None
        if printer is not None and getattr(printer, "device", None) is not None:
            with contextlib.suppress(Exception):  # python-escpos 3.1's own close() misses it
                importlib.import_module("usb.util").dispose_resources(printer.device)
