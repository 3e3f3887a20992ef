"""Directory edits as operations for head office (docs/SYNC.md, "Operations").

Services call these in the unit of work of the change, so an edit and its operation
commit or roll back together. Field names are exactly those of
``app.sync.documents`` (services may not import app.sync; tests/services check the
documents built here with its checker).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.domain.hlc import HybridClock

# The clock node of a store not (yet) wired to sync; bootstrap passes the terminal's clock,
# whose node is its sync node (SyncState.node).
LOCAL_NODE = "00000000-0000-0000-0000-000000000000"


def default_hlc(clock: Callable[[], datetime]) -> HybridClock:
    """A hybrid clock on the service's own clock, for callers that pass none."""
    return HybridClock(LOCAL_NODE, clock)
