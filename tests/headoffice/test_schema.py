"""Head office's schema builds on both databases, and building it again changes nothing."""

from __future__ import annotations

from sqlalchemy import Engine, func, inspect, select

from headoffice.schema import create_schema, is_postgresql, row_counters


def test_the_schema_is_created_once_and_again_without_harm(ho_engine: Engine) -> None:
    create_schema(ho_engine)  # the fixture made it already

    tables = set(inspect(ho_engine).get_table_names())
    with ho_engine.connect() as conn:
        counters = conn.scalar(select(func.count()).select_from(row_counters))
        postgres = is_postgresql(conn)

    assert {"documents", "applied_ops", "ledger", "balances", "closed_tabs"} <= tables
    assert counters == 1
    assert postgres == (ho_engine.dialect.name == "postgresql")
