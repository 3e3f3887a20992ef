"""Head office's real ASGI app served inside the test process, for the protocol's state
machine: the terminal's real ``HeadOfficeClient`` talks to it through an httpx transport
that can lose an answer after head office committed, send a request twice, or fail one
before it leaves, each armed for the next matching request."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Literal

import httpx

REQUEST_TIMEOUT_S = 60.0

Fault = Literal["lose_answer", "duplicate", "fail"]


@dataclass
class Armed:
    fault: Fault
    path: str  # the request path it waits for ("/v1/push", "/v1/pull", "/v1/snapshot")
    skip: int = 0  # matching requests to let through first


class AppServer:
    """An ASGI app on an event loop of its own thread; :meth:`transport` reaches it."""

    def __init__(self, app: Callable[..., object]) -> None:
        self._asgi = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def send(self, request: httpx.Request) -> httpx.Response:
        async def exchange() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            response = await self._asgi.handle_async_request(request)
            content = await response.aread()
            return response.status_code, response.headers.raw, content

        future: Future[tuple[int, list[tuple[bytes, bytes]], bytes]]
        future = asyncio.run_coroutine_threadsafe(exchange(), self._loop)
        status, headers, content = future.result(REQUEST_TIMEOUT_S)
        return httpx.Response(status, headers=headers, content=content, request=request)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(REQUEST_TIMEOUT_S)
        self._loop.close()


class FaultyTransport(httpx.BaseTransport):
    """The network between one terminal and the in-process head office."""

    def __init__(self, server: AppServer) -> None:
        self._server = server
        self._armed: list[Armed] = []
        self.fired: list[Fault] = []

    def arm(self, fault: Fault, path: str, skip: int = 0) -> None:
        self._armed.append(Armed(fault, path, skip))

    def disarm(self) -> None:
        self._armed.clear()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        armed = next((a for a in self._armed if request.url.path == a.path), None)
        if armed is not None and armed.skip > 0:
            armed.skip -= 1
            armed = None
        if armed is None:
            return self._send(request, body)
        self._armed.remove(armed)
        self.fired.append(armed.fault)
        if armed.fault == "fail":
            raise httpx.ConnectError("the link is down (injected)", request=request)
        if armed.fault == "duplicate":
            self._send(request, body)  # head office sees it twice; the terminal once
            return self._send(request, body)
        self._send(request, body)  # applied and committed; the answer never arrives
        raise httpx.ReadError("the answer was lost (injected)", request=request)

    def _send(self, request: httpx.Request, body: bytes) -> httpx.Response:
        copy = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        return self._server.send(copy)
