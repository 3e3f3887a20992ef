"""The bank-card identification key lives in the OS keyring, or the option stays off."""

from __future__ import annotations

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from app.devices.pan_key import ENTRY, SERVICE, PanKeyUnavailableError, load_or_create_pan_key


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps passwords in a dict, standing in for the OS one."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.store[(service, username)]


def test_first_use_makes_a_key_and_later_uses_return_the_same() -> None:
    ring = MemoryKeyring()
    first = load_or_create_pan_key("Till 1", ring)
    assert len(first) == 32
    assert list(ring.store) == [(SERVICE, f"{ENTRY}:Till 1")]
    assert load_or_create_pan_key("Till 1", ring) == first
    assert load_or_create_pan_key("Till 2", ring) != first  # one key per terminal entry


def test_no_keyring_keeps_the_option_off_with_a_reason() -> None:
    with pytest.raises(PanKeyUnavailableError, match="No OS keyring is available"):
        load_or_create_pan_key("Till 1", fail.Keyring())


@pytest.mark.parametrize("damaged", ["not base64!", "c2hvcnQ="])
def test_a_damaged_key_is_refused_not_replaced(damaged: str) -> None:
    ring = MemoryKeyring()
    ring.set_password(SERVICE, f"{ENTRY}:Till 1", damaged)
    with pytest.raises(PanKeyUnavailableError, match="damaged"):
        load_or_create_pan_key("Till 1", ring)
    assert ring.get_password(SERVICE, f"{ENTRY}:Till 1") == damaged
