"""An older store upgraded in place keeps every row and becomes searchable."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from app.services.dto import DirectoryQuery, MatchKind
from app.store.database import StoreLocation, create_session_factory, create_store_engine
from app.store.migrate import current_revision, head_revision, upgrade_store
from app.store.search import SqlDirectoryQueries

NOW = "2026-11-20T18:30:00.000000Z"
TABLES = (
    "customers",
    "customer_phones",
    "customer_emails",
    "identifiers",
    "visits",
    "divisions",
    "dining_tables",
)

FILL = [
    f"""INSERT INTO customers (id, uuid, kind, full_name, name_folded, first_name, last_name,
        alias, alias_folded, company, gender, status, signup_source, created_at, updated_at,
        last_visit_at, total_spent_minor, order_count)
    VALUES
      (1, 'u-1', 'individual', 'Zoë Brontë', 'zoe bronte', 'Zoë', 'Brontë', 'Zed', 'zed',
       'Café Rouge', 'female', 'active', 'till', '{NOW}', '{NOW}', '{NOW}', 4200, 3),
      (2, 'u-2', 'organisation', 'Harper & Cole LLP', 'harper & cole llp', '', '', NULL, NULL,
       'Harper & Cole LLP', 'unspecified', 'inactive', 'import', '{NOW}', '{NOW}', NULL, 0, 0)""",
    """INSERT INTO customer_phones (customer_id, e164, digits, kind, "primary") VALUES
      (1, '+442079460000', '442079460000', 'working', 1),
      (1, '+447700900123', '447700900123', 'mobile', 0),
      (2, '+442030001111', '442030001111', 'working', 1)""",
    """INSERT INTO customer_emails (customer_id, address, normalised, "primary") VALUES
      (1, 'Zoe@Example.com', 'zoe@example.com', 1),
      (2, 'bookings@harpercole.co.uk', 'bookings@harpercole.co.uk', 1)""",
    f"""INSERT INTO identifiers (id, uuid, kind, value, customer_id, status, issued_at) VALUES
      (1, 'i-1', 'magnetic_card', '6391000012345678', 1, 'active', '{NOW}'),
      (2, 'i-2', 'smart_card', '04A22B1C', 2, 'lost', '{NOW}')""",
    """INSERT INTO divisions (id, uuid, name, sort_order) VALUES (1, 'd-1', 'Terrace', 0)""",
    """INSERT INTO dining_tables (id, uuid, division_id, number, seats)
    VALUES (1, 't-1', 1, 'T1', 4), (2, 't-2', 1, 'T2', 2)""",
    f"""INSERT INTO visits (uuid, customer_id, visited_at, spent_minor, order_count, guests)
    VALUES ('v-1', 1, '{NOW}', 1200, 1, 2), ('v-2', 1, '{NOW}', 3000, 2, 4)""",
]


def snapshot(
    engine: Engine, columns: dict[str, list[str]] | None = None
) -> dict[str, list[dict[str, object]]]:
    """Every row of TABLES; with ``columns``, only those (later revisions add columns)."""
    with engine.connect() as connection:
        return {
            table: [
                {k: v for k, v in r._mapping.items() if columns is None or k in columns[table]}
                for r in connection.execute(text(f"SELECT * FROM {table} ORDER BY 1"))
            ]
            for table in TABLES
        }


def test_upgrading_a_filled_0001_store_keeps_rows_and_indexes_them(tmp_path: Path) -> None:
    engine = create_store_engine(StoreLocation(tmp_path / "old.db"))
    assert upgrade_store(engine, "0001") == "0001"
    with engine.begin() as connection:
        for statement in FILL:
            connection.execute(text(statement))
    before = snapshot(engine)

    assert upgrade_store(engine) == head_revision()
    assert current_revision(engine) == head_revision()
    assert snapshot(engine, {t: list(rows[0]) for t, rows in before.items()}) == before

    with create_session_factory(engine)() as session:
        search = SqlDirectoryQueries(session).search

        def ids(query: str) -> list[tuple[int, MatchKind]]:
            return [(r.id, r.match) for r in search(DirectoryQuery(text=query)).rows]

        assert ids("bronte") == [(1, MatchKind.NAME_PREFIX)]
        assert ids("cafe rouge") == [(1, MatchKind.SUBSTRING)]
        assert ids("z") == [(1, MatchKind.NAME_PREFIX)]
        assert ids("020 7946") == [(1, MatchKind.SUBSTRING)]
        assert ids("07700 900123") == [(1, MatchKind.PHONE)]
        assert ids("harpercole") == [(2, MatchKind.SUBSTRING)]
        assert ids("6391000012345678") == [(1, MatchKind.IDENTIFIER)]
        assert ids("04a22b1c") == [(2, MatchKind.IDENTIFIER)]
        assert ids("0300011") == [(2, MatchKind.SUBSTRING)]
        (row,) = search(DirectoryQuery(text="zoe")).rows
        assert (row.primary_phone, row.primary_email) == ("+442079460000", "Zoe@Example.com")
        assert (row.total_spent_minor, row.order_count) == (4200, 3)
    engine.dispose()


def test_downgrade_drops_the_index_and_upgrade_rebuilds_it(tmp_path: Path) -> None:
    engine = create_store_engine(StoreLocation(tmp_path / "round.db"))
    upgrade_store(engine, "0001")
    with engine.begin() as connection:
        for statement in FILL:
            connection.execute(text(statement))
    upgrade_store(engine)
    from alembic import command

    from app.store.migrate import alembic_config

    command.downgrade(alembic_config(engine), "0001")
    with engine.connect() as connection:
        names = {
            str(r[0])
            for r in connection.execute(
                text(
                    "SELECT name FROM sqlite_master "
                    "WHERE name LIKE '%search%' OR name LIKE 'customer_fold%'"
                )
            )
        }
    assert names == set()
    upgrade_store(engine)
    with create_session_factory(engine)() as session:
        rows = SqlDirectoryQueries(session).search(DirectoryQuery(text="harper")).rows
        assert [r.id for r in rows] == [2]
    engine.dispose()
