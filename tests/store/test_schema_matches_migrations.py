"""The tables the code describes are exactly the tables the migrations build."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import app.store.tab_schema  # noqa: F401  (registers the tab tables on the metadata)
from app.store.database import StoreLocation, create_store_engine
from app.store.migrate import upgrade_store
from app.store.schema import metadata

# Built by raw SQL in migration 0002 (FTS5 and its shadow tables), not described in schema.py.
_SEARCH_INDEX = ("customer_search", "customer_name_keys")


def test_migrated_store_has_no_drift_from_the_schema_module(tmp_path: Path) -> None:
    engine = create_store_engine(StoreLocation(tmp_path / "store.db"))
    upgrade_store(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        drift = [
            diff
            for diff in compare_metadata(context, metadata)
            if not (diff[0] == "remove_table" and diff[1].name.startswith(_SEARCH_INDEX))
        ]
    assert drift == []
