"""The storm: while the terminals work, SIGKILL terminals and head office at random
moments and restart them on the same stores and database, kill a terminal once head
office has answered its push and before the answer reaches it, and reset every link now
and then, on top of the faults the proxy draws per connection."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Mapping

from tests.fault.proxy import FaultProxy
from tests.fault.world import World

# What happens at each moment of the storm, and how often.
EVENTS: Mapping[str, float] = {
    "kill_terminal": 2.0,
    "kill_after_commit": 1.5,  # armed: the next push's terminal dies once it is applied
    "kill_head_office": 1.0,
    "reset_links": 1.0,
    "nothing": 2.0,
}


class Storm:
    """Runs until every agent has finished its workload (at least ``min_s``, at most
    ``max_s``); :attr:`counts` says what it did."""

    def __init__(
        self,
        world: World,
        proxy: FaultProxy,
        rng: random.Random,
        *,
        min_s: float,
        max_s: float,
        gap_s: tuple[float, float] = (0.3, 1.5),
        stop: threading.Event | None = None,
    ) -> None:
        self._world = world
        self._proxy = proxy
        self._rng = rng
        self._min_s = min_s
        self._max_s = max_s
        self._gap_s = gap_s
        self._stop = stop or threading.Event()
        self._down: list[int] = []  # agents killed and left down until the next moment
        self._lock = threading.Lock()  # the proxy's thread kills too (kill_after_commit)
        self._over = False
        self.counts: Counter[str] = Counter()

    def run(self) -> None:
        start = time.monotonic()
        self._proxy.storm()
        try:
            while True:
                elapsed = time.monotonic() - start
                finished = all(agent.done for agent in self._world.agents)
                if elapsed >= self._max_s or (finished and elapsed >= self._min_s):
                    return
                # the pause between two moments of chaos is the storm's own rhythm
                if self._stop.wait(self._rng.uniform(*self._gap_s)):
                    return
                with self._lock:
                    self._moment()
        finally:
            self._proxy.calm()
            with self._lock:
                self._over = True
                self._revive()

    def _moment(self) -> None:
        self._revive()
        names = list(EVENTS)
        event = self._rng.choices(names, weights=[EVENTS[n] for n in names])[0]
        if event == "kill_after_commit":
            self._proxy.hold_next_push(self._kill_pusher)
        elif event == "kill_terminal":
            agent = self._rng.choice(self._world.agents)
            agent.process.kill()
            self.counts["kill_terminal"] += 1
            if self._rng.random() < 0.5:
                self._down.append(agent.index)  # back at the next moment
            else:
                agent.process.start()
        elif event == "kill_head_office":
            self._world.headoffice.kill()
            self.counts["kill_head_office"] += 1
            self._world.start_headoffice()
        elif event == "reset_links":
            self._proxy.reset_all()
            self.counts["reset_links"] += 1

    def _kill_pusher(self, terminal_uuid: str) -> None:
        """On the proxy's thread: head office has applied this terminal's push and
        answered; the terminal dies before it hears, and is back at the next moment."""
        with self._lock:
            agent = next((a for a in self._world.agents if a.terminal_uuid == terminal_uuid), None)
            if self._over or agent is None or not agent.process.alive:
                return
            agent.process.kill()
            self.counts["kill_after_commit"] += 1
            self._down.append(agent.index)

    def _revive(self) -> None:
        for index in self._down:
            agent = self._world.agents[index]
            if not agent.process.alive:
                agent.process.start()
        self._down.clear()
        if not self._world.headoffice.running:
            self._world.start_headoffice()
