"""Waiting for what head office has committed to become visible to pull and snapshot.

On PostgreSQL the watermark is the oldest transaction still running anywhere on the
cluster, so another database's long transaction holds pulls back for a while (by
design: a change is never skipped). Tests wait for the watermark instead of assuming.
"""

from __future__ import annotations

import threading
import time

import httpx

from app.sync.wire import parse_cursor

SETTLE_TIMEOUT_S = 120.0


def settled(http: httpx.Client, txid: int, timeout: float = SETTLE_TIMEOUT_S) -> str:
    """Wait until head office's watermark has passed ``txid``; a snapshot cursor then."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        answer = http.get("/v1/snapshot", params={"limit": 1})
        assert answer.status_code == 200, answer.text
        cursor = str(answer.json()["cursor"])
        if parse_cursor(cursor)[0] >= txid:
            return cursor
        if time.monotonic() > deadline:
            raise AssertionError(f"head office's watermark stayed at {cursor}, below {txid}")
        pause.wait(0.1)  # nothing announces the watermark: ask again shortly
