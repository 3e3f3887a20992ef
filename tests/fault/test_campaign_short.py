"""A short fault campaign, as CI runs it: real head-office and terminal processes through
the fault proxy, SIGKILLs and skewed clocks, on SQLite and on PostgreSQL; then nothing
lost, nothing doubled, nothing diverged (docs/SYNC.md, "Fault campaign").

``make fault-campaign`` runs the long one (500 runs).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fault.campaign import run_campaign
from tests.fault.run import RunConfig


def short_run(
    run_seed: int, root: Path, template: Path, *, terminals: int, database: str
) -> RunConfig:
    """A run small enough for CI: a dozen steps per terminal, a storm of a few seconds."""
    return RunConfig(
        run_seed,
        root,
        terminals=terminals,
        database=database,
        steps=12,
        pace_ms=60.0,
        storm_min_s=2.0,
        storm_max_s=12.0,
        settle_timeout_s=60.0,
        template=template,
        chaos_gap_s=(0.8, 2.0),
    )


def _postgres_url() -> str:
    url = os.environ.get("TABKEEPER_TEST_PG_URL", "")
    if not url:
        reason = (
            "the throwaway PostgreSQL cluster is not available: TABKEEPER_TEST_PG_URL is not "
            "set (`make test` starts it via scripts/test-services.sh)"
        )
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(f"{reason} (CI=true, so this is a failure rather than a skip)")
        pytest.skip(reason)
    return url


def _assert_clean(configs: list[RunConfig], pg_url: str = "") -> None:
    results = run_campaign(configs, pg_url)
    failed = [result.report() for result in results if not result.ok]
    assert not failed, "\n\n".join(failed)
    assert all(result.verdict.operations > 0 for result in results)


@pytest.mark.slow
def test_a_short_campaign_on_sqlite(tmp_path: Path, store_template: Path) -> None:
    _assert_clean(
        [
            short_run(4242, tmp_path, store_template, terminals=2, database="sqlite"),
            short_run(777, tmp_path, store_template, terminals=3, database="sqlite"),
        ]
    )


@pytest.mark.slow
def test_a_short_campaign_on_postgresql(tmp_path: Path, store_template: Path) -> None:
    pg_url = _postgres_url()
    run = short_run(9001, tmp_path, store_template, terminals=3, database="postgresql")
    _assert_clean([run], pg_url)
