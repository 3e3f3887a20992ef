"""Demo data: a realistic venue and its regulars, for first runs and benchmarks."""

from app.demo.seed import Progress, seed_demo_store

__all__ = ["Progress", "seed_demo_store"]
