"""Setting up this terminal's card readers, scanners and caller-ID units."""

from __future__ import annotations

from dataclasses import replace

from app.domain.audit import AuditAction
from app.domain.errors import NotFoundError, ValidationError
from app.domain.staff import Actor, Permission
from app.domain.text import clean
from app.services.audit import require, write_audit
from app.services.directory import Clock, utc_clock
from app.services.dto import DeviceConfig
from app.services.ports import DeviceDrivers, UnitOfWorkFactory

MAX_NAME = 80


class DeviceSettingsService:
    def __init__(
        self, uow_factory: UnitOfWorkFactory, drivers: DeviceDrivers, clock: Clock = utc_clock
    ) -> None:
        self._uow = uow_factory
        self._drivers = drivers
        self._clock = clock

    def configured(self) -> list[DeviceConfig]:
        """Every device of this terminal; read at start-up, so no actor is needed."""
        with self._uow() as uow:
            return uow.devices.all()

    def save(self, actor: Actor, config: DeviceConfig) -> DeviceConfig:
        """Add or change a device; its settings are checked by its driver first."""
        require(actor, Permission.CONFIGURE_DEVICES)
        name = clean(config.name)
        if not name or len(name) > MAX_NAME:
            raise ValidationError.single("name", f"Give the device a name of 1 to {MAX_NAME}.")
        settings = self._drivers.check(config.driver, config.settings)
        with self._uow() as uow:
            same_name = uow.devices.by_name(name)
            if same_name is not None and same_name.id != config.id:
                raise ValidationError.single(
                    "name", f"Another device is already called '{same_name.name}'."
                )
            checked = replace(config, name=name, settings=settings)
            stored = uow.devices.get(uow.devices.save(checked, self._clock(), actor.name))
            assert stored is not None and stored.uuid is not None
            write_audit(
                uow,
                actor,
                AuditAction.DEVICE_CONFIGURED,
                stored.uuid,
                f"Device '{name}' set up as {config.driver}"
                + ("" if config.enabled else " (disabled)"),
                {"settings": settings},
            )
            uow.commit()
            return stored

    def remove(self, actor: Actor, device_id: int) -> None:
        require(actor, Permission.CONFIGURE_DEVICES)
        with self._uow() as uow:
            config = uow.devices.get(device_id)
            if config is None:
                raise NotFoundError("That device is no longer configured; refresh the list.")
            uow.devices.remove(device_id)
            write_audit(
                uow,
                actor,
                AuditAction.DEVICE_REMOVED,
                config.uuid or "",
                f"Device '{config.name}' removed",
            )
            uow.commit()
