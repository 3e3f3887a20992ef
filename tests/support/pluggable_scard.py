"""A stand-in for ``smartcard.scard`` whose readers a test plugs in and unplugs.

vpcd's virtual readers are fixed, so the watcher's reaction to readers coming and
going is tested against this instead: `set` adds, changes or removes a reader and
wakes a pending ``SCardGetStatusChange``, as pcscd's PnP notification would.
"""

from __future__ import annotations

import threading


class PluggableScard:
    """Where vpcd cannot go (its readers are fixed): readers come and go while watched.

    Every name not defined here (the constants) is the real ``smartcard.scard``'s.
    """

    def __init__(self) -> None:
        from smartcard import scard

        self._scard = scard
        self.readers: dict[str, int] = {}
        self.changed = threading.Condition()
        self.cancelled = False
        self.card_seen = threading.Event()

    def __getattr__(self, name: str) -> object:
        return getattr(self._scard, name)

    def set(self, name: str, state: int | None) -> None:
        with self.changed:
            if state is None:
                self.readers.pop(name, None)
            else:
                self.readers[name] = state
            self.changed.notify_all()

    def SCardListReaders(self, context: int, groups: list[str]) -> tuple[int, list[str]]:  # noqa: N802
        with self.changed:
            if not self.readers:
                return self._scard.SCARD_E_NO_READERS_AVAILABLE, []
            return self._scard.SCARD_S_SUCCESS, list(self.readers)

    def _events(self, states: list[tuple[str, int]]) -> list[tuple[str, int, list[int]]]:
        out: list[tuple[str, int, list[int]]] = []
        for name, current in states:
            if name == "\\\\?PnP?\\Notification":
                event = len(self.readers) << 16
            else:
                event = self.readers.get(name, self._scard.SCARD_STATE_UNKNOWN)
            if event != current:
                event |= self._scard.SCARD_STATE_CHANGED
            out.append((name, event, []))
        return out

    def SCardGetStatusChange(  # noqa: N802
        self, context: int, timeout_ms: int, states: list[tuple[str, int]]
    ) -> tuple[int, list[tuple[str, int, list[int]]]]:
        def woken() -> bool:
            changed = self._scard.SCARD_STATE_CHANGED
            return self.cancelled or any(event & changed for _, event, _ in self._events(states))

        with self.changed:
            self.changed.wait_for(woken, timeout_ms / 1000)
            if self.cancelled:
                self.cancelled = False
                return self._scard.SCARD_E_CANCELLED, []
            events = self._events(states)
            if not woken():
                return self._scard.SCARD_E_TIMEOUT, events
            return self._scard.SCARD_S_SUCCESS, events

    def SCardCancel(self, context: int) -> int:  # noqa: N802
        with self.changed:
            self.cancelled = True
            self.changed.notify_all()
        return 0

    def SCardConnect(self, *args: object) -> tuple[int, int, int]:  # noqa: N802
        self.card_seen.set()
        return self._scard.SCARD_E_NO_SMARTCARD, 0, 0  # as if the card left at once

    def SCardReleaseContext(self, context: int) -> int:  # noqa: N802
        return 0
