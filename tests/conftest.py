import os
from pathlib import Path

import pytest

# Qt must pick its platform before the first QApplication; tests never need a real display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def tmp_store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty migrated store, built once per run; tests get copies of it."""
    from tests.support.directory import migrated_template

    return migrated_template(tmp_path_factory.mktemp("template") / "store.db")


@pytest.fixture
def store(tmp_store_path: Path, store_template: Path):  # type: ignore[no-untyped-def]
    """A migrated store on disk with the directory's services wired."""
    from tests.support.directory import directory_on_disk

    with directory_on_disk(tmp_store_path, store_template) as directory:
        yield directory
