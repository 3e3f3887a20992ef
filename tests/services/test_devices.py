"""Device set-up is checked by the real driver catalogue, persisted, and audited."""

from __future__ import annotations

import pytest

from app.devices.drivers import DriverCatalogue
from app.domain.errors import PermissionDeniedError, ValidationError
from app.services.devices import DeviceSettingsService
from app.services.dto import DeviceConfig
from tests.support.directory import CASHIER, MANAGER, Directory


def _service(store: Directory) -> DeviceSettingsService:
    return DeviceSettingsService(store.uow, DriverCatalogue(), store.clock)


def test_a_device_is_saved_with_its_defaults_and_read_back(store: Directory) -> None:
    devices = _service(store)
    saved = devices.save(
        MANAGER, DeviceConfig("Bar card reader", "serial-magstripe", {"port": "/dev/ttyUSB0"})
    )
    assert saved.id is not None and saved.uuid is not None
    assert saved.settings == {
        "port": "/dev/ttyUSB0",
        "baudrate": 9600,
        "bytesize": 8,
        "parity": "N",
        "stopbits": 1,
        "terminator": "CR",
        "idle_gap_ms": 50,
    }
    changed = devices.save(
        MANAGER,
        DeviceConfig(
            saved.name, saved.driver, {**saved.settings, "baudrate": "19200"}, id=saved.id
        ),
    )
    assert changed.settings["baudrate"] == 19200
    assert [d.name for d in devices.configured()] == ["Bar card reader"]
    devices.remove(MANAGER, saved.id)
    assert devices.configured() == []
    assert store.audit_actions() == ["device.configured", "device.configured", "device.removed"]


def test_bad_settings_are_named_one_by_one(store: Directory) -> None:
    with pytest.raises(ValidationError) as caught:
        _service(store).save(
            MANAGER,
            DeviceConfig(
                "Caller ID",
                "callerid-whozz",
                {"port": "99999", "duplicate_window_s": "soon", "colour": "red"},
            ),
        )
    assert sorted(p.message for p in caught.value.problems) == [
        "Ethernet caller-ID unit (Whozz Calling?) has no setting 'colour'.",
        "Ignore repeats within (s) must be a number, not 'soon'.",
        "UDP port must be at most 65535.",
    ]
    assert store.count("devices") == 0


def test_required_settings_names_and_drivers_are_checked(store: Directory) -> None:
    devices = _service(store)
    with pytest.raises(ValidationError, match="Serial port is needed"):
        devices.save(MANAGER, DeviceConfig("Scanner", "serial-barcode", {}))
    with pytest.raises(ValidationError, match="not a device driver"):
        devices.save(MANAGER, DeviceConfig("Scanner", "laser-pointer", {}))
    devices.save(MANAGER, DeviceConfig("Scanner", "keyboard-wedge", {}))
    with pytest.raises(ValidationError, match="already called 'Scanner'"):
        devices.save(MANAGER, DeviceConfig("scanner", "pcsc", {}))


def test_only_managers_configure_devices(store: Directory) -> None:
    with pytest.raises(PermissionDeniedError, match="set up card readers"):
        _service(store).save(CASHIER, DeviceConfig("Reader", "pcsc", {}))
