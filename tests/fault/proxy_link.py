"""One connection through the fault proxy: the client's side, head office's side, and
the plan's fault applied to the HTTP messages between them."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import struct
from collections.abc import Callable
from typing import Protocol

from tests.fault.http_frames import HttpMessage, NotHttpError, read_message
from tests.fault.plans import PROTECTED_PATHS, ConnectionPlan

_CHUNK = 65536
_REPLAY_TIMEOUT_S = 30.0  # a replayed request whose answer never comes is abandoned
_BEARER = re.compile(rb"\r\nauthorization:\s*bearer\s+([0-9a-f-]{36})\.", re.IGNORECASE)

HoldCallback = Callable[[str], None]  # given the terminal uuid whose push answer is held


class ProxySide(Protocol):
    """What a connection needs of the proxy it belongs to."""

    @property
    def upstream(self) -> tuple[str, int]: ...
    def count(self, kind: str) -> None: ...
    def claim_hold(self) -> HoldCallback | None: ...


def bearer_terminal(raw: bytes) -> str:
    """The terminal uuid in a request's bearer token ("" when it has none)."""
    found = _BEARER.search(raw.split(b"\r\n\r\n", 1)[0])
    return found[1].decode() if found else ""


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset rather than an orderly FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class _CutError(Exception):
    """The plan's cut point was reached."""


class _HeldError(Exception):
    """A held push's terminal was killed; its answer goes nowhere."""


class Link:
    """One client connection and, once made, its upstream connection."""

    def __init__(
        self,
        proxy: ProxySide,
        plan: ConnectionPlan,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        self.proxy = proxy
        self.plan = plan
        self.client_reader, self.client_writer = client
        self.upstream_writer: asyncio.StreamWriter | None = None
        self.matched = 0  # requests so far that match the cut's path
        self.target_in_flight = False  # the request to cut has gone; its answer is next
        self.recycled = False
        self.replays: set[asyncio.Task[None]] = set()
        self.hold: tuple[HoldCallback, str] | None = None  # a push whose answer is held
        self.hold_in_flight = False

    def abort(self) -> None:
        _abort(self.client_writer)
        if self.upstream_writer is not None:
            _abort(self.upstream_writer)

    def close(self) -> None:
        """An orderly close, so the answer already sent is read before the end."""
        self.client_writer.close()
        if self.upstream_writer is not None:
            self.upstream_writer.close()

    async def run(self) -> None:
        plan = self.plan
        if plan.kind == "drop":
            self.proxy.count("drop")
            if plan.reset:
                self.abort()
                return
            while await self.client_reader.read(_CHUNK):
                pass  # black hole: nothing is ever forwarded or answered
            return
        host, port = self.proxy.upstream
        try:
            up_reader, self.upstream_writer = await asyncio.open_connection(host, port)
        except OSError:
            self.abort()  # head office is down: the terminal sees a refused link
            return
        if plan.kind == "delay":
            self.proxy.count("delay")
        pumps = {
            asyncio.ensure_future(self._requests()),
            asyncio.ensure_future(self._responses(up_reader)),
        }
        try:
            done, pending = await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            for task in done:
                if not task.cancelled() and isinstance(task.exception(), _CutError):
                    self.proxy.count("cut")
                if not task.cancelled() and isinstance(task.exception(), _HeldError):
                    self.proxy.count("held_push")
        finally:
            for task in pumps:
                task.cancel()
            if self.recycled:
                self.close()
            else:
                self.abort()
            for replay in list(self.replays):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await replay

    async def _delay(self) -> None:
        if self.plan.kind == "delay":
            await asyncio.sleep(self.plan.delay_s)  # the injected latency itself

    async def _send_up(self, data: bytes) -> None:
        assert self.upstream_writer is not None
        await self._delay()
        self.upstream_writer.write(data)
        await self.upstream_writer.drain()

    async def _requests(self) -> None:
        while True:
            try:
                message = await read_message(self.client_reader)
            except (asyncio.IncompleteReadError, NotHttpError, ConnectionError):
                return
            if message is None:
                return
            await self._forward_request(message)

    async def _forward_request(self, message: HttpMessage) -> None:
        plan = self.plan
        protected = message.path.startswith(PROTECTED_PATHS)
        if plan.kind == "cut" and not protected and message.path.startswith(plan.cut_path):
            nth = self.matched
            self.matched += 1
            if nth == plan.cut_nth:
                if plan.cut_in == "request":
                    await self._send_up(message.raw[: min(plan.cut_after, len(message.raw) - 1)])
                    raise _CutError
                self.target_in_flight = True
        if message.path.startswith("/v1/push") and self.hold is None:
            callback = self.proxy.claim_hold()
            if callback is not None:
                self.hold = (callback, bearer_terminal(message.raw))
                self.hold_in_flight = True
        if plan.kind == "duplicate" and not protected:
            replay = asyncio.ensure_future(self._replay(message.raw))
            self.replays.add(replay)
            replay.add_done_callback(self.replays.discard)
            if not plan.concurrent:
                await asyncio.wait({replay})
        await self._send_up(message.raw)

    async def _responses(self, up_reader: asyncio.StreamReader) -> None:
        answered = 0
        while True:
            try:
                message = await read_message(up_reader, response=True)
            except (asyncio.IncompleteReadError, NotHttpError, ConnectionError):
                return
            if message is None:
                return
            if self.hold_in_flight and self.hold is not None:
                # head office has answered, so has committed: the terminal is killed
                # before it hears, and the answer dies with the connection
                callback, terminal = self.hold
                await asyncio.get_running_loop().run_in_executor(None, callback, terminal)
                raise _HeldError
            if self.target_in_flight:
                self.target_in_flight = False
                if self.plan.cut_after < len(message.raw):
                    if self.plan.cut_after > 0:
                        self.client_writer.write(message.raw[: self.plan.cut_after])
                        await self.client_writer.drain()
                    raise _CutError
            await self._delay()
            self.client_writer.write(message.raw)
            await self.client_writer.drain()
            answered += 1
            if answered >= self.plan.lifetime:
                self.recycled = True  # closed after a whole answer: the client reconnects
                return

    async def _replay(self, raw: bytes) -> None:
        host, port = self.proxy.upstream
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            return
        try:
            writer.write(raw)
            await writer.drain()
            self.proxy.count("duplicate")
            with contextlib.suppress(asyncio.TimeoutError, asyncio.IncompleteReadError):
                await asyncio.wait_for(read_message(reader, response=True), _REPLAY_TIMEOUT_S)
        except (ConnectionError, NotHttpError):
            return
        finally:
            writer.close()
