"""The database thread: one worker runs every use case, so SQLite has a single writer.

The UI submits work and gets a Future; its adapter turns completion into a queued
signal. Tests may call services directly on their own thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class StoreWorker:
    """A single named thread that owns the store's writes."""

    def __init__(self, name: str = "store-writer") -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._thread_ids: set[int] = set()
        self._executor.submit(self._remember_thread).result()

    def _remember_thread(self) -> None:
        self._thread_ids.add(threading.get_ident())

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Queue ``fn`` behind every earlier use case; returns its Future."""
        return self._executor.submit(fn, *args, **kwargs)

    def on_worker_thread(self) -> bool:
        return threading.get_ident() in self._thread_ids

    def shutdown(self, *, wait: bool = True) -> None:
        """Finish queued work (so nothing submitted is lost), then stop the thread."""
        self._executor.shutdown(wait=wait, cancel_futures=False)
