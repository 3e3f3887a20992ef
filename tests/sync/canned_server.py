"""Tiny real HTTP servers on loopback that answer with canned bytes.

For the client's and engine's error paths only (everything else runs against the real
head office): :class:`CannedHeadOffice` answers each path with the next scripted
answer; :class:`RawAnswerServer` sends whatever bytes it is given, HTTP or not.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Canned:
    """One answer: a status and a body (bytes, a value sent as JSON, or a function of the
    request giving that value), or a cut connection."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    cut: bool = False  # close the connection without a word
    hold: threading.Event | None = None  # answer only once this is set (or it times out)

    def payload(self, seen: Seen) -> bytes:
        if callable(self.body):  # answers built from the request (ids echoed back)
            return json.dumps(self.body(seen)).encode()
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class CannedHeadOffice:
    """Answers ``/v1/<x>`` with the next answer scripted for it (500 when none is left)."""

    def __init__(self) -> None:
        self.script: dict[str, deque[Canned]] = defaultdict(deque)
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        office = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                with office._lock:
                    seen = Seen(self.command, self.path, dict(self.headers.items()), body)
                    office.seen.append(seen)
                    queue = office.script[path]
                    canned = queue.popleft() if queue else Canned(500, b"nothing canned")
                if canned.hold is not None:
                    canned.hold.wait(10)
                if canned.cut:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                data = canned.payload(seen)
                try:
                    self.send_response(canned.status)
                    headers = {"Content-Type": "application/json", **canned.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting: nothing to tell it
                    self.close_connection = True

            do_GET = _answer  # noqa: N815
            do_POST = _answer  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def answer(self, path: str, *answers: Canned) -> None:
        with self._lock:
            self.script[path].extend(answers)

    def requests_to(self, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path.split("?", 1)[0] == path]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def canned_head_office() -> Iterator[CannedHeadOffice]:
    office = CannedHeadOffice()
    office.start()
    try:
        yield office
    finally:
        office.stop()


class RawAnswerServer:
    """Reads one HTTP request per connection and answers ``answer``, byte for byte."""

    def __init__(self) -> None:
        self.answer = b""
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                try:
                    _read_request(connection)
                    connection.sendall(self.answer)
                    connection.shutdown(socket.SHUT_WR)
                except OSError:
                    continue

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        self._listener.close()


def _read_request(connection: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body
