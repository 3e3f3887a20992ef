"""This terminal's device configuration, as JSON settings per named device."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from app.domain.ids import new_uuid7
from app.services.dto import DeviceConfig
from app.store import schema

_d = schema.devices.c


class SqlDeviceConfigs:
    def __init__(self, session: Session) -> None:
        self._session = session

    def all(self) -> list[DeviceConfig]:
        # A terminal has a handful of devices: reading them all is simpler than indexing.
        rows = self._session.execute(
            select(_d.id, _d.uuid, _d.name, _d.driver, _d.settings, _d.enabled).order_by(_d.name)
        )
        return [
            DeviceConfig(
                id=row[0],
                uuid=row[1],
                name=row[2],
                driver=row[3],
                settings=json.loads(row[4]),
                enabled=row[5],
            )
            for row in rows
        ]

    def get(self, device_id: int) -> DeviceConfig | None:
        return next((c for c in self.all() if c.id == device_id), None)

    def by_name(self, name: str) -> DeviceConfig | None:
        return next((c for c in self.all() if c.name.casefold() == name.casefold()), None)

    def save(self, config: DeviceConfig, at: datetime, by: str) -> int:
        values = {
            "name": config.name,
            "driver": config.driver,
            "settings": json.dumps(dict(config.settings), sort_keys=True),
            "enabled": config.enabled,
            "updated_at": at,
            "updated_by": by,
        }
        if config.id is None:
            result = self._session.execute(
                insert(schema.devices).values(uuid=new_uuid7(), **values).returning(_d.id)
            )
            return int(result.scalar_one())
        self._session.execute(update(schema.devices).where(_d.id == config.id).values(**values))
        return config.id

    def remove(self, device_id: int) -> None:
        self._session.execute(delete(schema.devices).where(_d.id == device_id))
