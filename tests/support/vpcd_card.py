"""A virtual smart card that plugs into vsmartcard's vpcd reader driver for pcscd.

vpcd listens on a TCP port (35963 for the first slot) and the card connects to
it. Every message in either direction is a 2-byte big-endian length followed by
the payload. A 1-byte payload from vpcd is a control message (power off/on,
reset, "send your ATR"); anything longer is a command APDU that the card must
answer with a response APDU. Only the ATR request and APDUs get a reply.

With the card connected, any PC/SC client (pyscard, the app's own reader code)
sees a card in the "Virtual PCD 00 00" reader.

Why the card acknowledges every read at once (TCP_QUICKACK): vpcd (vsmartcard 3.3)
sends each message as two ``send()`` calls, the 2-byte length and then the payload,
on a socket that keeps Nagle's algorithm on. Nagle holds the payload until the length
is acknowledged, and a receiver that has nothing to send back delays that ACK by
Linux's 40 ms minimum. Nearly every exchange then stalled for ~40 ms (strace of
pcscd: ``recvfrom(...) = 2 <0.0416>``): 85-130 ms of pcscd's presence check and
power-up, ~43 ms of each APDU. A real card on a real reader has no such hop, so the
card acknowledges at once rather than let the harness's TCP timing be measured as the
reader's. docs/DEVICES.md ("How quickly a card is seen") has the details.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable, Mapping
from types import TracebackType

VPCD_HOST = "127.0.0.1"
VPCD_PORT = 35963

CTRL_OFF = 0x00
CTRL_ON = 0x01
CTRL_RESET = 0x02
CTRL_ATR = 0x04

# The ATR a PC/SC contactless reader reports for a MIFARE Classic 1K card (PC/SC part 3).
MIFARE_1K_ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")

GET_UID = bytes.fromhex("FFCA000000")
SW_OK = b"\x90\x00"
SW_NOT_SUPPORTED = b"\x6a\x81"  # "function not supported": the answer to anything unknown


class VirtualCard:
    """A card with a fixed ATR and UID, served from a background thread.

    Use as a context manager, or call ``connect()`` and ``close()``. ``responses``
    maps extra command APDUs to full response APDUs (data + status word);
    ``handler`` gets the first look at every APDU and may return None to fall
    through to the defaults.
    """

    def __init__(
        self,
        *,
        atr: bytes = MIFARE_1K_ATR,
        uid: bytes = bytes.fromhex("04A2245B"),
        responses: Mapping[bytes, bytes] | None = None,
        handler: Callable[[bytes], bytes | None] | None = None,
        host: str = VPCD_HOST,
        port: int = VPCD_PORT,
    ) -> None:
        self.atr = bytes(atr)
        self.uid = bytes(uid)
        self.responses = dict(responses or {})
        self.handler = handler
        self.host = host
        self.port = port
        self.powered = False
        self.received: list[bytes] = []  # every command APDU, for assertions
        self.error: BaseException | None = None
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # -- lifecycle ---------------------------------------------------------

    def connect(self, timeout: float = 5.0) -> VirtualCard:
        self._sock = socket.create_connection((self.host, self.port), timeout=timeout)
        # Our answers are one write each; never hold one back for an ACK either.
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._ack_now()
        # A short timeout lets the thread notice close() between messages.
        self._sock.settimeout(0.1)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="vpcd-card", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Take the card out of the reader."""
        self._stop.set()
        if self._sock is not None:
            # Shut down first: the serving thread's recv returns at once, not at its timeout.
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> VirtualCard:
        return self if self._sock is not None else self.connect()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- card behaviour ----------------------------------------------------

    def respond(self, apdu: bytes) -> bytes:
        if self.handler is not None:
            answer = self.handler(apdu)
            if answer is not None:
                return answer
        if apdu in self.responses:
            return self.responses[apdu]
        if apdu == GET_UID:
            return self.uid + SW_OK
        return SW_NOT_SUPPORTED

    def _control(self, code: int) -> bytes | None:
        if code == CTRL_ATR:
            return self.atr
        if code == CTRL_OFF:
            self.powered = False
        elif code in (CTRL_ON, CTRL_RESET):
            self.powered = True
        return None

    # -- wire protocol -----------------------------------------------------

    def _serve(self) -> None:
        try:
            while not self._stop.is_set():
                header = self._recv_exact(2)
                if header is None:
                    return
                (length,) = struct.unpack(">H", header)
                payload = self._recv_exact(length) if length else b""
                if payload is None:
                    return
                if length == 1:
                    reply = self._control(payload[0])
                else:
                    self.received.append(payload)
                    reply = self.respond(payload)
                if reply is not None:
                    self._send(reply)
        except OSError as exc:
            if not self._stop.is_set():
                self.error = exc

    def _recv_exact(self, size: int) -> bytes | None:
        """Read exactly ``size`` bytes; None when closing or when vpcd hung up."""
        assert self._sock is not None
        chunks = bytearray()
        while len(chunks) < size:
            if self._stop.is_set():
                return None
            try:
                chunk = self._sock.recv(size - len(chunks))
            except TimeoutError:
                continue
            if not chunk:
                return None
            self._ack_now()
            chunks += chunk
        return bytes(chunks)

    def _ack_now(self) -> None:
        """Send the ACK for what was just read now, not after the delayed-ACK timer.

        Linux clears TCP_QUICKACK by itself, so it is set again after every read;
        setting it also flushes an ACK the kernel was holding back. Elsewhere a no-op.
        """
        quickack = getattr(socket, "TCP_QUICKACK", None)
        if quickack is not None and self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)

    def _send(self, payload: bytes) -> None:
        assert self._sock is not None
        self._sock.settimeout(5)
        try:
            self._sock.sendall(struct.pack(">H", len(payload)) + payload)
        finally:
            self._sock.settimeout(0.1)
