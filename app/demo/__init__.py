"""Demo data: a realistic venue and its regulars, for first runs and benchmarks."""

from app.demo.seed import (
    Progress,
    complete_demo_store,
    prepare_demo_store,
    seed_demo_store,
    upgrade_demo_store,
)

__all__ = [
    "Progress",
    "complete_demo_store",
    "prepare_demo_store",
    "seed_demo_store",
    "upgrade_demo_store",
]
