"""Telling a keyboard-wedge burst (scanner, stripe reader) from a person typing.

A wedge device types its whole payload in a few milliseconds and usually ends it with
Enter; nobody types like that. The decoder holds keystrokes while they arrive faster
than ``max_gap_s``, then decides:

- a burst: at least ``min_length`` characters, every gap within ``max_gap_s``, ended by
  the terminator or by a pause; or any run that starts with a stripe sentinel and ends
  with ``?`` plus the terminator. It is handed over whole and never typed anywhere;
- anything else is given back, in order, to be typed where the person was typing.

Holding costs a person at most ``max_gap_s`` of delay on their first key, which nobody
notices at 40 ms. The decoder is pure: the UI feeds it keys and timer ticks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K")  # whatever the UI needs to replay a key (a copied QKeyEvent)


@dataclass(frozen=True, slots=True)
class WedgeConfig:
    max_gap_s: float = 0.040  # scanners send a key every 1-20 ms; fast typists need 60+
    min_length: int = 4
    terminators: str = "\r\n"
    sentinels: str = "%;+"  # magnetic stripe start sentinels
    max_length: int = 512


@dataclass(frozen=True, slots=True)
class Burst:
    """A recognised device payload (terminator removed)."""

    text: str


@dataclass(frozen=True, slots=True)
class Replay(Generic[K]):
    """Keys that were a person typing: deliver them as they came."""

    keys: tuple[K, ...]


@dataclass
class WedgeDecoder(Generic[K]):
    config: WedgeConfig = field(default_factory=WedgeConfig)
    _held: list[tuple[str, K]] = field(default_factory=list)
    _last_at: float = 0.0

    @property
    def holding(self) -> bool:
        return bool(self._held)

    def deadline(self) -> float | None:
        """When to call :meth:`tick` if no key arrives before then."""
        return self._last_at + self.config.max_gap_s if self._held else None

    def key(self, char: str, key: K, at: float) -> list[Burst | Replay[K]]:
        """A key with its text (empty for keys that type nothing) at monotonic time ``at``."""
        out: list[Burst | Replay[K]] = []
        if self._held and at - self._last_at > self.config.max_gap_s:
            out.extend(self._settle(ended_by_terminator=False))  # a pause ended the run
        if not char:  # arrows, function keys: never part of a burst
            out.extend(self._give_back())
            out.append(Replay((key,)))
            return out
        if char in self.config.terminators:
            if self._held:
                self._held.append((char, key))
                out.extend(self._settle(ended_by_terminator=True))
            else:
                out.append(Replay((key,)))
            return out
        self._held.append((char, key))
        self._last_at = at
        if len(self._held) > self.config.max_length:
            out.extend(self._give_back())
        return out

    def tick(self, at: float) -> list[Burst | Replay[K]]:
        """The pause after the last key has run out: settle what is held."""
        if self._held and at - self._last_at >= self.config.max_gap_s:
            return self._settle(ended_by_terminator=False)
        return []

    def _settle(self, *, ended_by_terminator: bool) -> list[Burst | Replay[K]]:
        text = "".join(char for char, _ in self._held)
        payload = text.rstrip(self.config.terminators)
        stripe = len(payload) > 2 and payload[0] in self.config.sentinels and payload[-1] == "?"
        long_enough = len(payload) >= self.config.min_length
        # Every held key came within max_gap_s of the one before, or the run would have
        # been settled already; what is left to check is length and how it ended.
        complete = ended_by_terminator or stripe or not self.config.terminators
        if (long_enough or stripe) and complete:
            self._held.clear()
            return [Burst(payload)]
        return self._give_back()

    def _give_back(self) -> list[Burst | Replay[K]]:
        if not self._held:
            return []
        keys = tuple(key for _, key in self._held)
        self._held.clear()
        return [Replay(keys)]
