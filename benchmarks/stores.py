"""Demo stores for the benchmarks, built once and cached by size, seed and schema.

A store cached at an older revision is upgraded rather than rebuilt when the demo knows
how (``UPGRADABLE_FROM``): on a copy, the schema is migrated with the app's own
``upgrade_store`` and what the newer demo added is seeded (``complete_demo_store``),
which gives what a fresh build gives (tests/test_demo.py checks). Should the upgrade
fail, the store is built afresh.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from app.demo import seed_demo_store, upgrade_demo_store
from app.store.database import StoreLocation, create_store_engine
from app.store.migrate import head_revision

# Revisions whose demo stores hold exactly the customers today's demo makes (seed.py's
# seed_customers); a new revision that changes them must not be listed here.
UPGRADABLE_FROM = ("0003",)


def store_path(data_dir: Path, size: int, seed: int, revision: str | None = None) -> Path:
    return data_dir / f"demo-{size}-s{seed}-r{revision or head_revision()}.db"


def _remove(path: Path) -> None:
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()


def _record(path: Path) -> dict[str, Any]:
    record = path.with_suffix(".json")
    found: dict[str, Any] = json.loads(record.read_text()) if record.exists() else {}
    return found


def ensure_store(data_dir: Path, size: int, seed: int) -> tuple[Path, float | None]:
    """The cached store for (size, seed, head revision): upgraded from an older cached
    one, or built, if missing.

    Returns the path and the build time in seconds (None when it was already cached and
    no build record was kept; for an upgraded store, its original build's).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    ignore = data_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    path = store_path(data_dir, size, seed)
    if path.exists():
        built = _record(path).get("build_seconds")
        return path, None if built is None else float(built)
    for revision in UPGRADABLE_FROM:
        older = store_path(data_dir, size, seed, revision)
        if older.exists():
            try:
                return path, _upgrade(older, path, revision, seed)
            except Exception as error:  # any failure: the build below is the fallback
                print(f"  could not upgrade {older.name} ({error!r}); building afresh")
    return path, _build(path, size, seed)


def _upgrade(older: Path, path: Path, revision: str, seed: int) -> float | None:
    """Upgrade a copy of ``older`` into ``path``; returns the original build's seconds."""
    partial = path.with_suffix(".partial")
    _remove(partial)
    started = time.perf_counter()
    print(f"  upgrading {older.name} to revision {head_revision()} on a copy")
    shutil.copyfile(older, partial)
    try:
        engine = create_store_engine(StoreLocation(partial))
        try:
            upgrade_demo_store(engine, seed, bulk=True)
        finally:
            engine.dispose()
    except BaseException:
        _remove(partial)
        raise
    seconds = time.perf_counter() - started
    partial.rename(path)
    built = _record(older).get("build_seconds")
    record = {"build_seconds": built, "upgraded_from": revision, "upgrade_seconds": seconds}
    path.with_suffix(".json").write_text(json.dumps(record))
    print(f"  upgraded in {seconds:.0f} s; {older.name} is stale and may be deleted")
    return None if built is None else float(built)


def _build(path: Path, size: int, seed: int) -> float:
    partial = path.with_suffix(".partial")
    _remove(partial)
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
    path.with_suffix(".json").write_text(json.dumps({"build_seconds": seconds}))
    return seconds
