import os
from pathlib import Path

import pytest

# Qt must pick its platform before the first QApplication; tests never need a real display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def tmp_store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def store(tmp_store_path: Path):  # type: ignore[no-untyped-def]
    """A migrated store on disk with the directory's services wired."""
    from tests.support.directory import directory_on_disk

    with directory_on_disk(tmp_store_path) as directory:
        yield directory
