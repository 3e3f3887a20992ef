"""How long a transport waits between attempts to reach its device: initial, times
factor each attempt, never above a cap."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Retry delays in seconds: ``initial_s``, times ``factor`` each attempt, capped at
    ``max_s``. Step through them with `after` or take them as a series from `delays`."""

    initial_s: float = 0.5
    max_s: float = 10.0
    factor: float = 2.0

    def after(self, delay_s: float) -> float:
        """The wait that follows a wait of ``delay_s`` that did not help."""
        return min(self.max_s, delay_s * self.factor)

    def delays(self) -> Iterator[float]:
        """An endless series of delays: initial, initial*factor, ... capped at max_s."""
        delay = self.initial_s
        while True:
            yield min(delay, self.max_s)
            delay = min(delay * self.factor, self.max_s)
