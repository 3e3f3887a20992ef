"""Hybrid logical clocks: the version each directory field carries for merging.

A stamp is ``"<wall ms, 13 digits>-<counter, 4 digits>-<node>"``. Stamps compare as
text: the wall time first, then the counter, then the node. Head office's node,
:data:`HEAD_OFFICE_NODE`, sorts after every terminal uuid, so head office wins ties.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from app.domain.errors import ValidationError

HEAD_OFFICE_NODE = "~headoffice"
MAX_COUNTER = 9999
DEFAULT_MAX_SKEW_MS = 5 * 60 * 1000

_STAMP = re.compile(r"^(\d{13})-(\d{4})-([0-9a-f-]{1,36}|~headoffice)$")


@dataclass(frozen=True, slots=True, order=True)
class Stamp:
    wall_ms: int
    counter: int
    node: str

    def __post_init__(self) -> None:
        if not 0 <= self.wall_ms < 10**13:
            raise ValidationError.single("clock", f"clock wall time out of range: {self.wall_ms}")
        if not 0 <= self.counter <= MAX_COUNTER:
            raise ValidationError.single("clock", f"clock counter out of range: {self.counter}")
        if not self.node or self.node[0] == "-":
            raise ValidationError.single("clock", "clock node is empty")

    def __str__(self) -> str:
        return f"{self.wall_ms:013d}-{self.counter:04d}-{self.node}"


def parse_stamp(text: object) -> Stamp:
    """The stamp ``text`` spells; ValidationError saying what is wrong otherwise."""
    if not isinstance(text, str):
        raise ValidationError.single(
            "clock", f"a clock stamp must be text, not {type(text).__name__}"
        )
    match = _STAMP.match(text)
    if match is None:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise ValidationError.single("clock", f"not a clock stamp: {shown!r}")
    return Stamp(int(match[1]), int(match[2]), match[3])


def wall_ms(at: datetime) -> int:
    if at.tzinfo is None:
        raise ValidationError.single("clock", "a clock needs an aware time")
    return int(at.astimezone(UTC).timestamp() * 1000)


class HybridClock:
    """A node's clock: :meth:`now` for a local write, :meth:`observe` on hearing another.

    Thread-safe; the stamps it hands out strictly increase.
    """

    def __init__(
        self,
        node: str,
        physical: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        max_skew_ms: int = DEFAULT_MAX_SKEW_MS,
        start_after: Stamp | None = None,
    ) -> None:
        """``start_after``: the greatest stamp issued or observed before (a restart); every
        stamp handed out is greater, whatever the physical clock says."""
        self._node = node
        self._physical = physical
        self._max_skew_ms = max_skew_ms
        start = start_after if start_after is not None else Stamp(0, 0, node)
        self._last = Stamp(start.wall_ms, start.counter, node)
        self._lock = threading.Lock()

    @property
    def node(self) -> str:
        return self._node

    def now(self) -> Stamp:
        with self._lock:
            self._last = self._advance(self._last.wall_ms, self._last.counter, -1, -1)
            return self._last

    def observe(self, remote: Stamp) -> Stamp:
        """Move past a stamp heard from elsewhere (HLC receive), never beyond the bound
        of :meth:`clamp`; returns the clock's new last stamp."""
        with self._lock:
            remote = self.clamp(remote)
            self._last = self._advance(
                self._last.wall_ms, self._last.counter, remote.wall_ms, remote.counter
            )
            return self._last

    def clamp(self, stamp: Stamp) -> Stamp:
        """``stamp``, or this node's time + the skew bound when it runs further ahead."""
        limit = wall_ms(self._physical()) + self._max_skew_ms
        if stamp.wall_ms <= limit:
            return stamp
        return Stamp(limit, 0, stamp.node)

    def _advance(self, wall: int, counter: int, r_wall: int, r_counter: int) -> Stamp:
        physical = wall_ms(self._physical())
        top = max(wall, r_wall, physical)
        if top == physical and top > wall and top > r_wall:
            return Stamp(top, 0, self._node)
        if top == wall and top == r_wall:
            nxt = max(counter, r_counter) + 1
        elif top == wall:
            nxt = counter + 1
        else:
            nxt = r_counter + 1
        if nxt > MAX_COUNTER:  # a burst of 10,000 writes in one millisecond: borrow the next
            return Stamp(top + 1, 0, self._node)
        return Stamp(top, nxt, self._node)


def newer_fields(stored: Mapping[str, str], incoming: Mapping[str, str]) -> list[str]:
    """The fields whose incoming clock beats the stored one (a field never written
    before always does). Both map field name to stamp text."""
    return [name for name, clock in incoming.items() if clock > stored.get(name, "")]
