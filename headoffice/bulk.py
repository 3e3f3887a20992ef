"""Inserting many rows at once: COPY on PostgreSQL, executemany on SQLite.

psycopg sends an executemany as one statement per row (pipelined); COPY streams the
rows in one command, several times faster for an import of millions. SQLite's
executemany is already a loop in C.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert

from headoffice.schema import is_postgresql

COPY_FROM_ROWS = 200  # below this a plain executemany is as quick


def bulk_insert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the caller's
    transaction."""
    if not rows:
        return
    if not is_postgresql(conn) or len(rows) < COPY_FROM_ROWS:
        conn.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    converters = [_converter(conn, table, name) for name in names]
    columns = ", ".join(f'"{name}"' for name in names)
    pairs = list(zip(names, converters, strict=True))
    cursor: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([convert(row[name]) for name, convert in pairs])
    finally:
        cursor.close()


def _converter(conn: Connection, table: Table, name: str) -> Callable[[Any], Any]:
    """What SQLAlchemy would do to a value of this column before sending it (Instant's
    UTC text); values of plain types go as they are."""
    processor = table.c[name].type.bind_processor(conn.dialect)
    return processor if processor is not None else _same


def _same(value: Any) -> Any:
    return value
