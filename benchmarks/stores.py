"""Demo stores for the benchmarks, built once and cached by size, seed and schema."""

from __future__ import annotations

import json
import time
from pathlib import Path

from app.demo import seed_demo_store
from app.store.database import StoreLocation, create_store_engine
from app.store.migrate import head_revision


def store_path(data_dir: Path, size: int, seed: int) -> Path:
    return data_dir / f"demo-{size}-s{seed}-r{head_revision()}.db"


def ensure_store(data_dir: Path, size: int, seed: int) -> tuple[Path, float | None]:
    """The cached store for (size, seed, head revision), built if missing.

    Returns the path and the build time in seconds (None when it was already cached and
    no build record was kept).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    ignore = data_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    path = store_path(data_dir, size, seed)
    record = path.with_suffix(".json")
    if path.exists():
        built = json.loads(record.read_text())["build_seconds"] if record.exists() else None
        return path, built
    partial = path.with_suffix(".partial")
    for leftover in data_dir.glob(partial.name + "*"):
        leftover.unlink()
    started = time.perf_counter()
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 10 or done == total:
            last[0] = now
            print(f"  building {size:,}: {stage} {done:,}/{total:,} ({now - started:.0f} s)")

    engine = create_store_engine(StoreLocation(partial))
    try:
        seed_demo_store(engine, size, seed, progress=progress)
    finally:
        engine.dispose()
    seconds = time.perf_counter() - started
    partial.rename(path)
    record.write_text(json.dumps({"build_seconds": seconds}))
    return path, seconds
