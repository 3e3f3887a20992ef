"""Measures one store; run in its own process so peak RSS excludes the build.

``python -m benchmarks.measure STORE [--seed S] [--like-samples N]`` prints one JSON
object: latencies in milliseconds, store size and peak RSS in MB.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from app.domain.identifiers import IdentifierKind
from app.domain.text import fold
from app.services.dto import DirectoryQuery
from app.store.database import StoreLocation, create_session_factory, create_store_engine
from app.store.search import SqlDirectoryQueries

TYPISTS = 60  # customers whose details are typed, keystroke by keystroke
LOOKUPS = 2000

# The same question as the search box, asked the plain way: LIKE '%q%' on every column
# the index covers, ranked like the search (prefixes first), so it must see every row.
LIKE_SQL = """
SELECT c.id FROM customers AS c
WHERE c.merged_into_id IS NULL AND (
    c.name_folded LIKE :p ESCAPE '\\' OR c.alias_folded LIKE :p ESCAPE '\\'
    OR c.company LIKE :p ESCAPE '\\'
    OR EXISTS (SELECT 1 FROM customer_phones AS ph
               WHERE ph.customer_id = c.id AND ph.digits LIKE :d ESCAPE '\\')
    OR EXISTS (SELECT 1 FROM customer_emails AS em
               WHERE em.customer_id = c.id AND em.normalised LIKE :p ESCAPE '\\'))
ORDER BY (c.name_folded LIKE :s ESCAPE '\\' OR c.alias_folded LIKE :s ESCAPE '\\') DESC,
         c.name_folded, c.id
LIMIT 51
"""


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def keystrokes(word: str, limit: int = 12) -> list[str]:
    return [word[:n] for n in range(1, min(len(word), limit) + 1)]


def typed_queries(session: Session, seed: int) -> list[list[str]]:
    """Per sampled customer: what a person types to find them, one keystroke at a time."""
    rng = random.Random(seed)
    top = int(session.execute(text("SELECT max(id) FROM customers")).scalar_one())
    sessions: list[list[str]] = []
    while len(sessions) < TYPISTS:
        row = session.execute(
            text(
                "SELECT c.first_name, c.last_name, c.company, "
                "(SELECT digits FROM customer_phones WHERE customer_id = c.id LIMIT 1), "
                "(SELECT normalised FROM customer_emails WHERE customer_id = c.id LIMIT 1) "
                "FROM customers AS c WHERE c.id >= :i AND c.merged_into_id IS NULL LIMIT 1"
            ),
            {"i": rng.randint(1, top)},
        ).one_or_none()
        if row is None or row[3] is None or row[4] is None:
            continue
        first, last, company, phone, email = (str(v or "") for v in row)
        typed: list[str] = []
        if first:
            typed += keystrokes(first) + keystrokes(last)
        else:
            typed += keystrokes(company)
        national = "0" + phone[2:] if phone.startswith("44") else phone
        start = rng.randint(0, len(national) - 7)
        typed += keystrokes(national[start : start + rng.randint(3, 7)])
        local = email.split("@")[0]
        offset = rng.randint(0, max(0, len(local) - 3))
        typed += keystrokes(local[offset : offset + 7])
        sessions.append(typed)
    return sessions


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def search_once(factory: sessionmaker[Session], query: str) -> None:
    with factory() as session:
        SqlDirectoryQueries(session).search(DirectoryQuery(text=query))


def like_once(factory: sessionmaker[Session], query: str) -> None:
    folded = _escape(fold(query))
    params = {"p": f"%{folded}%", "s": f"{folded}%", "d": f"%{_escape(query)}%"}
    with factory() as session:
        session.execute(text(LIKE_SQL), params).all()


def lookup_latencies(factory: sessionmaker[Session], seed: int) -> list[float]:
    try:
        from app.store.repositories import SqlIdentifierRepository
    except ImportError:  # pragma: no cover - the repository is another engineer's file
        return []
    rng = random.Random(seed)
    with factory() as session:
        top = int(session.execute(text("SELECT max(id) FROM identifiers")).scalar_one())
        cards: list[tuple[IdentifierKind, str]] = []
        while len(cards) < LOOKUPS:
            row = session.execute(
                text(
                    "SELECT kind, value FROM identifiers WHERE id >= :i "
                    "AND status IN ('active', 'lost', 'blocked') LIMIT 1"
                ),
                {"i": rng.randint(1, top)},
            ).one_or_none()
            if row is not None:
                cards.append((IdentifierKind(row[0]), str(row[1])))
        repository = SqlIdentifierRepository(session)
        for kind, value in cards[:200]:  # warm-up
            repository.lookup(kind, value)
        latencies = []
        for kind, value in cards:
            started = time.perf_counter()
            hit = repository.lookup(kind, value)
            latencies.append((time.perf_counter() - started) * 1000)
            assert hit is not None
    return latencies


def measure(store: Path, seed: int, like_samples: int) -> dict[str, Any]:
    engine = create_store_engine(StoreLocation(store))
    factory = create_session_factory(engine)
    with factory() as session:
        typists = typed_queries(session, seed)
    queries = [q for typed in typists for q in typed]
    for query in queries:  # warm-up: the page cache and SQLAlchemy's statement cache
        search_once(factory, query)
    search_ms = [timed(lambda q=q: search_once(factory, q)) for q in queries]  # type: ignore[misc]
    lookups = lookup_latencies(factory, seed)
    # The LIKE baseline's full scans and in-memory sorts would dominate the peak, so the
    # search's own peak is read before it runs.
    search_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rng = random.Random(seed)
    sample = rng.sample(queries, min(like_samples, len(queries)))
    like_once(factory, sample[0])  # warm-up
    like_ms = [timed(lambda q=q: like_once(factory, q)) for q in sample]  # type: ignore[misc]
    engine.dispose()
    size = sum(p.stat().st_size for p in store.parent.glob(store.name + "*"))
    return {
        "queries": len(queries),
        "search_p50": statistics.median(search_ms),
        "search_p95": percentile(search_ms, 95),
        "search_p99": percentile(search_ms, 99),
        "search_max": max(search_ms),
        "like_queries": len(sample),
        "like_p50": statistics.median(like_ms),
        "like_p95": percentile(like_ms, 95),
        "lookup_p99": percentile(lookups, 99) if lookups else None,
        "lookups": len(lookups),
        "store_mb": size / 2**20,
        "peak_rss_mb": search_rss,
        "peak_rss_with_like_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.measure")
    parser.add_argument("store", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--like-samples", type=int, default=120)
    args = parser.parse_args()
    print(json.dumps(measure(args.store, args.seed, args.like_samples)))


if __name__ == "__main__":
    main()
