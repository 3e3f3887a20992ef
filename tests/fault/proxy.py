"""A TCP proxy between terminals and head office that injects faults per connection.

It runs an asyncio loop on a thread of its own, so the harness drives it with plain
calls: :meth:`FaultProxy.storm` turns faults on (each new connection draws a
:class:`~tests.fault.plans.ConnectionPlan` from a seeded generator),
:meth:`FaultProxy.calm` turns them off and resets every connection that still carries
a fault, and :meth:`FaultProxy.counts` says how many of each fault were really
injected (a cut planned for a request that never came is not counted).
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from types import TracebackType

from tests.fault.plans import (
    DEFAULT_WEIGHTS,
    PASS,
    ConnectionPlan,
    FaultKind,
    draw_plan,
)
from tests.fault.proxy_link import HoldCallback, Link

_START_TIMEOUT_S = 10.0


class FaultProxy:
    """Listens on loopback and forwards to ``upstream``; pass-through until :meth:`storm`."""

    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        seed: int,
        weights: Mapping[FaultKind, float] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._upstream = upstream
        self._rng = random.Random(seed)
        self._weights: Mapping[FaultKind, float] = dict(weights or DEFAULT_WEIGHTS)
        self._host = host
        self._port = port
        self._stormy = False
        self._scripted: list[ConnectionPlan] = []
        self._hold: HoldCallback | None = None
        self._lock = threading.Lock()
        self._accepted = threading.Condition(self._lock)
        self._counts: Counter[str] = Counter()
        self._connections = 0
        self._links: set[Link] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopped: Future[None] = Future()

    # --- control, from any thread -------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._main, name="fault-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT_S):
            raise RuntimeError(f"the fault proxy did not start within {_START_TIMEOUT_S} s")
        if self._server is None:
            raise RuntimeError(f"the fault proxy could not listen on {self._host}:{self._port}")
        return self

    def close(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if not self._stopped.done():
            loop.call_soon_threadsafe(self._stopped.set_result, None)
        thread.join(_START_TIMEOUT_S)
        self._loop = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def upstream(self) -> tuple[str, int]:
        return self._upstream

    def retarget(self, upstream: tuple[str, int]) -> None:
        """Forward new connections to ``upstream`` (head office restarted elsewhere)."""
        self._upstream = upstream

    def storm(self, weights: Mapping[FaultKind, float] | None = None) -> None:
        """From now on each new connection gets a fault drawn from ``weights``."""
        with self._lock:
            if weights is not None:
                self._weights = dict(weights)
            self._stormy = True

    def script(self, plans: Sequence[ConnectionPlan]) -> None:
        """The next connections get these plans, in order, storm or not (for tests)."""
        with self._lock:
            self._scripted.extend(plans)

    def hold_next_push(self, callback: HoldCallback) -> None:
        """The next push's answer, once head office has given it whole, is held while
        ``callback(terminal_uuid)`` runs (the harness kills that terminal), then dropped."""
        with self._lock:
            self._hold = callback

    def claim_hold(self) -> HoldCallback | None:
        with self._lock:
            callback, self._hold = self._hold, None
            return callback

    def calm(self) -> None:
        """Pass-through from now on; connections carrying a fault are reset."""
        with self._lock:
            self._stormy = False
            self._hold = None
        self._call(self._reset_faulty)

    def reset_all(self) -> None:
        """Reset every open connection (as a network outage would)."""
        self._call(lambda: self._reset(lambda link: True))

    def counts(self) -> dict[str, int]:
        """Faults injected so far, by kind."""
        with self._lock:
            return dict(self._counts)

    @property
    def connections(self) -> int:
        """Connections accepted so far."""
        with self._lock:
            return self._connections

    def wait_for_connections(self, count: int, timeout_s: float = _START_TIMEOUT_S) -> None:
        """Return once ``count`` connections have been accepted; AssertionError after
        ``timeout_s``."""
        with self._accepted:
            if not self._accepted.wait_for(lambda: self._connections >= count, timeout_s):
                raise AssertionError(
                    f"the proxy accepted {self._connections} connections, not {count}, "
                    f"within {timeout_s} s"
                )

    def count(self, kind: str) -> None:
        with self._lock:
            self._counts[kind] += 1

    # --- the loop's side ------------------------------------------------------------

    def _call(self, action: Callable[[], None]) -> None:
        loop = self._loop
        if loop is None:
            return
        done: Future[None] = Future()

        def run() -> None:
            try:
                action()
                done.set_result(None)
            except Exception as exc:  # pragma: no cover - surfaced to the caller
                done.set_exception(exc)

        loop.call_soon_threadsafe(run)
        done.result(_START_TIMEOUT_S)

    def _reset_faulty(self) -> None:
        self._reset(lambda link: link.plan.kind != "pass")

    def _reset(self, which: Callable[[Link], bool]) -> None:
        for link in list(self._links):
            if which(link):
                link.abort()

    def _next_plan(self) -> ConnectionPlan:
        with self._lock:
            self._connections += 1
            self._accepted.notify_all()
            if self._scripted:
                return self._scripted.pop(0)
            if not self._stormy:
                return PASS
            return draw_plan(self._rng, self._weights)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = Link(self, self._next_plan(), (reader, writer))
        self._links.add(link)
        try:
            await link.run()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._links.discard(link)
            link.abort()

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._amain())
        finally:
            loop.close()

    async def _amain(self) -> None:
        stopped = asyncio.wrap_future(self._stopped)
        try:
            self._server = await asyncio.start_server(self._serve, self._host, self._port)
        except OSError:
            self._ready.set()
            return
        self._port = int(self._server.sockets[0].getsockname()[1])
        self._ready.set()
        async with self._server:
            await stopped
            self._server.close()
            for link in list(self._links):
                link.abort()
            current = asyncio.current_task()
            others = [task for task in asyncio.all_tasks() if task is not current]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
