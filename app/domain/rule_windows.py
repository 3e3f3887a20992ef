"""Which validity windows were open when each line of a tab was ordered.

A happy hour is judged per line, at the moment the line was ordered, on the venue's
clock (docs/PRICING.md). A tab of a hundred lines ordered over an evening has a hundred
moments but only a few distinct answers, so a ``WindowClock`` works each answer out once
per stretch of the venue's day in which no window can open or close, and tells lines
apart by a bit mask of the windows open for them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo

from app.domain.promotions import ValidityWindow

# (day, stretch of the day) on the venue's clock, the zone's UTC offset then, open windows
_Reading = tuple[tuple[date, int], timedelta | None, int]


class WindowClock:
    """The open windows at the moment of each line: bit ``i`` set when ``windows[i]`` is open.

    Between two consecutive clock boundaries of the windows (their ``starts`` and
    ``ends``), on one calendar day, every window gives the same answer (its weekdays and
    date range read the day, its time of day the boundaries), so the answer is kept per
    (day, stretch), exactly, whatever the boundaries' seconds.
    """

    __slots__ = ("_bounds", "_by_stretch", "_windows", "_zone", "default")

    def __init__(self, windows: Sequence[ValidityWindow], local_time: datetime) -> None:
        self._windows = tuple(windows)
        self._zone: tzinfo | None = local_time.tzinfo
        self._bounds: list[time] = sorted(
            {moment for w in windows for moment in (w.starts, w.ends) if moment is not None}
        )
        self._by_stretch: dict[tuple[date, int], int] = {}
        self.default = self._read(local_time)[2]  # for lines with no ordering time

    def open_when_ordered(self, ordered_at: Sequence[datetime | None]) -> list[int]:
        """The windows open when each line was ordered (aware instants, read on the venue's
        clock); for a line with no ordering time, those open at the moment of pricing.

        The instants are taken in time order, and where the first and last of a run read
        the same stretch of the same day at the same UTC offset, so does every instant
        between them: the venue's clock only runs backwards when the offset changes, and
        no zone changes its offset twice within a day (none in the tz database since 1970).
        So a tab ordered over an evening is read a handful of times, not once per line.
        """
        masks = [self.default] * len(ordered_at)
        timed = [(at, index) for index, at in enumerate(ordered_at) if at is not None]
        if timed:
            timed.sort()  # stable: equal instants keep the lines' order
            last = len(timed) - 1
            self._fill(timed, 0, last, self._at(timed[0][0]), self._at(timed[last][0]), masks)
        return masks

    def _fill(
        self,
        timed: list[tuple[datetime, int]],
        low: int,
        high: int,
        first: _Reading,
        last: _Reading,
        masks: list[int],
    ) -> None:
        """Set the masks of ``timed[low:high + 1]``, whose ends read ``first`` and ``last``."""
        if high - low <= 1 or (first[0] == last[0] and first[1] == last[1]):
            for _, index in timed[low : high + 1]:
                masks[index] = first[2]
            masks[timed[high][1]] = last[2]
            return
        middle = (low + high) // 2
        reading = self._at(timed[middle][0])
        self._fill(timed, low, middle, first, reading, masks)
        self._fill(timed, middle, high, reading, last, masks)

    def _at(self, instant: datetime) -> _Reading:
        zone = self._zone
        return self._read(instant if instant.tzinfo is zone else instant.astimezone(zone))

    def _read(self, local: datetime) -> _Reading:
        """The windows open at a venue-local wall-clock time, with what the answer rests on."""
        key = (local.date(), bisect_right(self._bounds, local.time()))
        found = self._by_stretch.get(key)
        if found is None:
            found = 0
            for index, window in enumerate(self._windows):
                if window.is_open(local):
                    found |= 1 << index
            self._by_stretch[key] = found
        return key, local.utcoffset(), found
