"""UDP transport: receive datagrams on a port (caller-ID units such as Whozz Calling
broadcast to UDP 3520) and hand each one, raw, to a callback on the listener's thread.

A port that will not bind is reported with a sentence a person can act on and
retried with backoff; `stop()` returns within about one ``poll_s``.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
from collections.abc import Callable

from app.devices.backoff import Backoff
from app.devices.events import Clock, DeviceState, StatusReporter, StatusSink, utc_now

log = logging.getLogger(__name__)

DatagramSink = Callable[[bytes, tuple[str, int]], None]

MAX_DATAGRAM = 65535


def describe_bind_failure(exc: OSError, host: str, port: int) -> str:
    """Why a UDP port would not bind, in words a person can act on."""
    if exc.errno == errno.EADDRINUSE or getattr(exc, "winerror", None) == 10048:
        return f"port {port} is in use by another program (is the caller-ID software open?)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied for port {port} (ports below 1024 need administrator rights)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"address {host} is not on this computer — check the network settings"
    if isinstance(exc, socket.gaierror):
        return f"address {host} is not valid — check the network settings"
    return f"could not listen on port {port} ({exc.strerror or exc})"


class UdpListener:
    """Listens on ``host:port`` and delivers each datagram with its sender's address."""

    def __init__(
        self,
        *,
        on_datagram: DatagramSink,
        on_status: StatusSink,
        host: str = "0.0.0.0",  # every interface: the units broadcast on the LAN
        port: int = 3520,
        name: str = "Caller ID listener",
        backoff: Backoff | None = None,
        poll_s: float = 0.2,
        clock: Clock = utc_now,
    ) -> None:
        self._on_datagram = on_datagram
        self._host = host
        self._port = port
        self._name = name
        self._backoff = backoff or Backoff()
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._report = StatusReporter(name, on_status, clock)

    @property
    def running(self) -> bool:
        """Whether the listening thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Bind and listen on a background thread; returns at once."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"udp {self._host}:{self._port}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop listening; returns within ``timeout_s`` (the socket polls every ``poll_s``)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            # No SO_REUSEADDR: a second listener on the port must fail, not share it.
            sock.bind((self._host, self._port))
            sock.settimeout(self._poll_s)
        except BaseException:
            sock.close()
            raise
        return sock

    def _run(self) -> None:
        where = f"{self._name} on UDP port {self._port}"
        delay_s = self._backoff.initial_s
        while not self._stop.is_set():
            try:
                sock = self._bind()
            except OSError as exc:
                problem = describe_bind_failure(exc, self._host, self._port)
                self._report(
                    DeviceState.ERROR, f"{self._name}: {problem} — retrying in {delay_s:g} s"
                )
                self._stop.wait(delay_s)
                delay_s = self._backoff.after(delay_s)
                continue
            try:
                delay_s = self._backoff.initial_s
                self._report(DeviceState.CONNECTED, f"{where} ready")
                self._receive(sock)
            except OSError as exc:
                self._report(
                    DeviceState.DISCONNECTED,
                    f"{where} stopped receiving ({exc.strerror or exc}) — "
                    f"listening again in {delay_s:g} s",
                )
                self._stop.wait(delay_s)
                delay_s = self._backoff.after(delay_s)
            finally:
                sock.close()
        self._report(DeviceState.DISCONNECTED, f"{where} closed")

    def _receive(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                data, sender = sock.recvfrom(MAX_DATAGRAM)
            except TimeoutError:
                continue
            except ConnectionResetError:
                continue  # Windows reports an earlier send's ICMP "unreachable" here
            try:
                self._on_datagram(data, (str(sender[0]), int(sender[1])))
            except Exception:
                log.exception("%s: datagram handler failed", self._name)
