"""A keyring backend in a JSON file, for terminal agents on a machine with no OS keyring.

The agent's environment selects it (``PYTHON_KEYRING_BACKEND`` =
``tests.fault.file_keyring.FileKeyring``) and names its file (``TABKEEPER_FAULT_KEYRING``),
so the terminal's own code keeps its token through the ordinary keyring API, and a
restarted agent finds the token its earlier life was given.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

FILE_VARIABLE = "TABKEEPER_FAULT_KEYRING"
BACKEND = "tests.fault.file_keyring.FileKeyring"


class FileKeyring(KeyringBackend):
    priority = 1

    def _path(self) -> Path:
        name = os.environ.get(FILE_VARIABLE)
        if not name:
            raise RuntimeError(f"{FILE_VARIABLE} names no file for the fault keyring")
        return Path(name)

    def _read(self) -> dict[str, str]:
        try:
            return dict(json.loads(self._path().read_text()))
        except FileNotFoundError:
            return {}

    def _write(self, values: dict[str, str]) -> None:
        path = self._path()
        spare = path.with_suffix(".tmp")
        with spare.open("w") as handle:
            json.dump(values, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(spare, path)  # a SIGKILL leaves the old file or the new, never half

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(f"{service}\n{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        values = self._read()
        values[f"{service}\n{username}"] = password
        self._write(values)

    def delete_password(self, service: str, username: str) -> None:
        values = self._read()
        if values.pop(f"{service}\n{username}", None) is None:
            raise PasswordDeleteError("no such password")
        self._write(values)
