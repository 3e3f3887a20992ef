"""What the fault proxy does to one connection, drawn from a seeded generator."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

FaultKind = Literal["pass", "drop", "delay", "cut", "duplicate"]
PROXY_FAULTS: tuple[FaultKind, ...] = ("drop", "delay", "cut", "duplicate")

DEFAULT_WEIGHTS: Mapping[FaultKind, float] = {
    "pass": 4.0,
    "drop": 1.0,
    "delay": 1.0,
    "cut": 2.0,
    "duplicate": 2.0,
}

# Requests that are never cut or replayed: a lost enrolment answer burns the one-time
# code for good (the contract makes codes single-use), which is a different story.
PROTECTED_PATHS: tuple[str, ...] = ("/v1/enrol",)

CUT_TARGETS: tuple[str, ...] = ("/v1/push", "/v1/push", "/v1/push", "/v1/pull", "/v1/snapshot", "")


@dataclass(frozen=True, slots=True)
class ConnectionPlan:
    """The fault for one accepted connection.

    - ``drop``: ``reset`` answers with a TCP reset at once; otherwise the connection is
      black-holed (read and discarded, never forwarded) until the proxy calms down.
    - ``delay``: every chunk in either direction waits ``delay_s`` first.
    - ``cut``: the ``cut_nth`` request whose path starts with ``cut_path`` ("" = any) is
      cut in ``cut_in``: in the request after ``cut_after`` of its bytes reached head
      office, or once head office's whole answer is in (so it has committed) after
      ``cut_after`` of its bytes reached the terminal (0: the terminal hears nothing).
      Both sides are then reset.
    - ``duplicate``: every request is also sent whole on a connection of its own, before
      the original (or alongside it when ``concurrent``), so head office sees it twice.

    In a storm every connection, faulty or not, is closed in good order after
    ``lifetime`` answers, so a terminal's keep-alive connection does not carry one draw
    for the whole run.
    """

    kind: FaultKind
    reset: bool = False
    delay_s: float = 0.0
    cut_in: Literal["request", "response"] = "response"
    cut_path: str = ""
    cut_nth: int = 0
    cut_after: int = 0
    concurrent: bool = False
    lifetime: int = 2**31  # answers after which the connection is closed in good order


PASS = ConnectionPlan("pass")


def draw_plan(rng: random.Random, weights: Mapping[FaultKind, float]) -> ConnectionPlan:
    """One connection's plan; the draws depend only on ``rng``'s state."""
    kinds = list(weights)
    kind = rng.choices(kinds, weights=[weights[k] for k in kinds])[0]
    return replace(_draw_kind(rng, kind), lifetime=rng.randint(1, 8))


def _draw_kind(rng: random.Random, kind: FaultKind) -> ConnectionPlan:
    match kind:
        case "drop":
            return ConnectionPlan("drop", reset=rng.random() < 0.5)
        case "delay":
            return ConnectionPlan("delay", delay_s=rng.uniform(0.005, 0.25))
        case "cut":
            in_response = rng.random() < 0.75
            return ConnectionPlan(
                "cut",
                cut_in="response" if in_response else "request",
                cut_path=rng.choice(CUT_TARGETS),
                cut_nth=rng.choice((0, 0, 0, 1, 2)),
                # a response cut is mostly right after the commit; else inside the head
                cut_after=(0 if rng.random() < 0.6 else rng.randint(1, 120))
                if in_response
                else rng.randint(0, 4000),
            )
        case "duplicate":
            return ConnectionPlan("duplicate", concurrent=rng.random() < 0.3)
        case _:
            return PASS
