"""Alembic environment: the engine comes from the caller (app.store.migrate).

SQLite alters a table by copying it ("batch" migrations): create the new table, copy the
rows, drop the old one, rename. With foreign keys enforced, dropping a table that other
rows point at fails, so foreign keys are switched off for the migration (the pragma only
takes effect outside a transaction) and checked as a whole before the migration commits.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine

from app.store.schema import metadata

engine: Engine = context.config.attributes["engine"]


def _foreign_keys(connection: Connection, on: bool) -> None:
    # On the driver's connection, before SQLAlchemy begins its transaction: inside one,
    # SQLite ignores the pragma.
    raw = connection.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()


with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _foreign_keys(connection, on=False)
    try:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,  # SQLite alters tables by copying them
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(
                        f"the migration would leave {len(broken)} rows pointing at nothing, "
                        f"first in table {broken[0][0]}; the store was not changed"
                    )
        connection.commit()
    finally:
        if sqlite:
            connection.rollback()
            _foreign_keys(connection, on=True)
