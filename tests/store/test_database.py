"""The engine's promises: WAL, foreign keys, busy timeout, UTC instants, whole transactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from app.domain.catalogue import MenuGroup, MenuItem, PromotionCategory
from app.domain.customers import Customer, CustomerKind, Phone
from app.store.database import StoreLocation, create_session_factory, create_store_engine
from app.store.migrate import current_revision, head_revision, upgrade_store
from app.store.unit_of_work import SqlUnitOfWorkFactory


def _engine(path: Path):  # type: ignore[no-untyped-def]
    engine = create_store_engine(StoreLocation(path))
    upgrade_store(engine)
    return engine


def test_every_connection_has_the_pragmas(tmp_store_path: Path) -> None:
    engine = _engine(tmp_store_path)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL, never OFF
        # small checkpoints: a commit that takes the WAL past this copies it back, and waits
        assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 250
    assert current_revision(engine) == head_revision()


def test_the_wal_is_copied_back_in_small_steps(tmp_store_path: Path) -> None:
    engine = _engine(tmp_store_path)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE scratch (b BLOB)"))
    for _ in range(60):  # ~25 pages a commit, 1500 in all
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO scratch VALUES (randomblob(100000))"))
    with engine.connect() as connection:
        page = connection.execute(text("PRAGMA page_size")).scalar_one()
    wal = tmp_store_path.with_name(tmp_store_path.name + "-wal")
    # checkpointed every ~250 pages, so the log restarted rather than grew to 1500
    assert wal.stat().st_size < 400 * (page + 24)
    engine.dispose()


def test_instants_are_stored_as_utc_and_naive_ones_refused(tmp_store_path: Path) -> None:
    engine = _engine(tmp_store_path)
    uow = SqlUnitOfWorkFactory(create_session_factory(engine))
    paris = timezone(timedelta(hours=1))
    with uow() as work:
        work.customers.add(
            Customer(
                kind=CustomerKind.INDIVIDUAL,
                full_name="Zoë",
                created_at=datetime(2026, 11, 23, 13, 0, tzinfo=paris),
            )
        )
        work.commit()
    with engine.connect() as connection:
        assert connection.execute(text("select created_at from customers")).scalar() == (
            "2026-11-23T12:00:00.000000Z"
        )
    with uow() as work:
        customer = work.customers.get(1)
        assert customer is not None
        assert customer.created_at == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
        assert customer.created_at.tzinfo is UTC
        customer.updated_at = datetime(2026, 11, 23, 12, 0)  # naive: refused
        with pytest.raises(StatementError, match="naive datetime"):
            work.commit()


def test_rates_keep_their_exact_decimal(tmp_store_path: Path) -> None:
    uow = SqlUnitOfWorkFactory(create_session_factory(_engine(tmp_store_path)))
    with uow() as work:
        group = MenuGroup(name="Drinks")
        work.catalogue.add(group)
        work.flush()
        assert group.id is not None
        work.catalogue.add(
            MenuItem(name="Negroni", group_id=group.id, price_minor=1150, tax_rate=Decimal("0.20"))
        )
        work.commit()
    with uow() as work:
        item = work.catalogue.promotion_categories()
        assert item == []
    with _engine(tmp_store_path).connect() as connection:
        assert connection.execute(text("select tax_rate from menu_items")).scalar() == "0.20"


def test_leaving_a_unit_of_work_without_commit_writes_nothing(tmp_store_path: Path) -> None:
    uow = SqlUnitOfWorkFactory(create_session_factory(_engine(tmp_store_path)))
    with pytest.raises(RuntimeError), uow() as work:
        work.catalogue.add(PromotionCategory(name="Silver"))
        customer = Customer(kind=CustomerKind.INDIVIDUAL, full_name="Half Written")
        customer.phones.append(Phone(e164="+442079460000", digits="442079460000"))
        work.customers.add(customer)
        work.flush()
        raise RuntimeError("the till lost power")
    with uow() as work:
        assert work.customers.count() == 0
        assert work.catalogue.promotion_categories() == []


def test_a_second_connection_reads_while_one_writes(tmp_store_path: Path) -> None:
    engine = _engine(tmp_store_path)
    with engine.connect() as writer, engine.connect() as reader:
        writer.execute(text("insert into promotion_categories (uuid, name) values ('u1', 'Gold')"))
        # WAL: the reader is not blocked and does not see the uncommitted row.
        assert reader.execute(text("select count(*) from promotion_categories")).scalar() == 0
        writer.commit()
        reader.rollback()  # a read transaction keeps its snapshot; a new one sees the commit
        assert reader.execute(text("select count(*) from promotion_categories")).scalar() == 1
