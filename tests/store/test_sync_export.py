"""A terminal store's documents, exported: every one passes the documents' checker, and
a snapshot of them into an empty store gives back the same documents."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.demo import seed_demo_store
from app.services.dto import DirectoryQuery
from app.services.sync_ports import IncomingChange
from app.store.database import StoreLocation, create_session_factory, create_store_engine
from app.store.migrate import upgrade_store
from app.store.search import SqlDirectoryQueries
from app.store.sync_export import Document, export_documents, main
from app.store.sync_store import SqlSyncStore
from app.sync.documents import check_fields
from app.sync.wire import ENTITY_KINDS
from headoffice.importing import check_import_file

ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = create_store_engine(StoreLocation(tmp_path_factory.mktemp("demo") / "demo.db"))
    seed_demo_store(engine, 150, 5, anchor=ANCHOR, workers=1)
    return engine


def test_every_exported_document_passes_the_checker(demo: Engine) -> None:
    documents = list(export_documents(demo, chunk=40))
    kinds = Counter(entity for entity, _, _ in documents)
    assert kinds["customer"] == 150 and kinds["identifier"] > 300 and kinds["ledger_entry"] > 0
    assert set(kinds) <= set(ENTITY_KINDS)
    order = [ENTITY_KINDS.index(entity) for entity, _, _ in documents]
    assert order == sorted(order)  # snapshot order: what a document refers to comes first
    problems = [
        (entity, uuid, problem)
        for entity, uuid, data in documents
        for problem in check_fields(entity, data, whole=True)
    ]
    assert problems == []
    assert len({uuid for _, uuid, _ in documents}) == len(documents)


def test_a_snapshot_of_the_export_into_an_empty_store_gives_it_back(
    demo: Engine, tmp_path: Path
) -> None:
    documents = list(export_documents(demo))
    engine = create_store_engine(StoreLocation(tmp_path / "terminal.db"))
    upgrade_store(engine)
    try:
        sync = SqlSyncStore(create_session_factory(engine))
        sync.begin_snapshot("v1:1:max")
        pages = [documents[i : i + 500] for i in range(0, len(documents), 500)]
        for number, page in enumerate(pages):
            sync.apply_snapshot_page(_changes(page, "ledger_entry"), [], f"p{number}")
        sync.finish_snapshot()
        sync.apply_changes(_changes([d for d in documents if d[0] == "ledger_entry"]), "v1:2:1")

        assert _normal(export_documents(engine)) == _normal(documents)
        with create_session_factory(engine)() as session:
            found = SqlDirectoryQueries(session).search(DirectoryQuery(text=_some_name(documents)))
        assert found.rows
        with engine.connect() as connection:  # the bulk-written index is the views' own
            indexed = connection.exec_driver_sql(
                "SELECT rowid, name, alias, company, phones, emails FROM customer_search "
                "EXCEPT SELECT id, name, alias, company, phones, emails FROM customer_search_source"
            ).all()
            keys = connection.exec_driver_sql(
                "SELECT key, customer_id FROM customer_name_key_source "
                "EXCEPT SELECT key, customer_id FROM customer_name_keys"
            ).all()
        assert (indexed, keys) == ([], [])
    finally:
        engine.dispose()


def _changes(documents: list[Document], leave_out: str = "") -> list[IncomingChange]:
    return [IncomingChange(e, u, False, d) for e, u, d in documents if e != leave_out]


def _normal(documents: object) -> list[Document]:
    return sorted(documents, key=lambda d: (d[0], d[1]))  # type: ignore[call-overload]


def _some_name(documents: list[Document]) -> str:
    return next(str(d["last_name"]) for e, _, d in documents if e == "customer" and d["last_name"])


def test_the_command_writes_the_file_head_office_imports(
    demo: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Path(str(demo.url.database))
    out = tmp_path / "venue.jsonl"
    assert main([str(store), str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert f"{len(lines):,} documents" in capsys.readouterr().err
    assert check_import_file(out).documents == len(lines) == len(list(export_documents(demo)))

    with pytest.raises(SystemExit):
        main([str(tmp_path / "missing.db"), str(out)])
    assert "missing.db is not a store file" in capsys.readouterr().err
