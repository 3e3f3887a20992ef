"""Turning device events into what the till shows, on the device's own thread.

Lookups are reads: each runs in its own short session beside the single writer (SQLite
in WAL mode lets readers run alongside it), so a swipe never waits behind a save.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from app.devices.events import DeviceEvent, DeviceRejected, IdentificationEvent, IncomingCall
from app.domain.errors import DomainError
from app.domain.staff import Actor
from app.services.identification import Caller, Identification, IdentificationService

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Identified:
    """A swipe, tap or scan, and who or what it turned out to be."""

    event: IdentificationEvent
    outcome: Identification


@dataclass(frozen=True, slots=True)
class CallIdentified:
    event: IncomingCall
    caller: Caller


Resolved = Identified | CallIdentified | DeviceEvent


@dataclass
class IdentificationResolver:
    """A device manager sink that resolves identifications and calls, then passes on."""

    service: IdentificationService
    actor: Callable[[], Actor]  # whoever is signed in at the moment of the swipe
    sink: Callable[[Resolved], None]

    def __call__(self, event: DeviceEvent) -> None:
        try:
            resolved = self._resolve(event)
        except DomainError as refusal:
            resolved = DeviceRejected(event.device, str(refusal), event.at)
        except Exception:  # a failed lookup must not kill the device thread
            log.exception("looking up %s failed", type(event).__name__)
            resolved = DeviceRejected(
                event.device, "The customer could not be looked up; try again.", event.at
            )
        self.sink(resolved)

    def _resolve(self, event: DeviceEvent) -> Resolved:
        if isinstance(event, IdentificationEvent):
            return Identified(event, self.service.identify(self.actor(), event.kind, event.value))
        if isinstance(event, IncomingCall):
            return CallIdentified(
                event, self.service.caller(self.actor(), event.number, event.name)
            )
        return event
