"""python -m app.demo --customers N [--store PATH] [--seed S]: build a demo store."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from app.demo.seed import seed_demo_store
from app.store.database import StoreLocation, create_store_engine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.demo", description=__doc__)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--store", type=Path, default=Path("demo.tabkeeper.sqlite3"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    started = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        elapsed = time.perf_counter() - started
        print(f"\r{stage}: {done:,}/{total:,} ({elapsed:.0f} s)", end="", file=sys.stderr)
        if done == total:
            print(file=sys.stderr)

    engine = create_store_engine(StoreLocation(args.store))
    try:
        seed_demo_store(engine, args.customers, args.seed, progress=progress)
    finally:
        engine.dispose()
    elapsed = time.perf_counter() - started
    print(f"{args.store}: {args.customers:,} demo customers in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
