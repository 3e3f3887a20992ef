"""The sync bookkeeping a directory write keeps beside its change: implements
:class:`app.services.ports.SyncRecords` on the unit of work's session."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from app.domain.ledger import AccountKind, EntryKind
from app.store import schema
from app.store.sync_apply_values import CLOCKED, pack_clocks, unpack_clocks
from app.store.sync_schema import sync_state
from app.store.tab_schema import outbox

_KEYED: Mapping[str, Table] = {
    "customer": schema.customers,
    "identifier": schema.identifiers,
    "promotion_category": schema.promotion_categories,
    "menu_item": schema.menu_items,
}
_CLOCKED = ("customer", "identifier")
_o = outbox.c
_SPENDING = (EntryKind.REDEEM.value, EntryKind.WITHDRAW.value)


def _clocked(entity: str) -> Table:
    if entity not in _CLOCKED:
        raise ValueError(f"{entity} records carry no field clocks")
    return _KEYED[entity]


class SqlSyncRecords:
    def __init__(self, session: Session) -> None:
        self._session = session

    def uuids(self, entity: str, keys: Collection[int]) -> dict[int, str]:
        if not keys:
            return {}
        table = _KEYED[entity]
        rows = self._session.execute(
            select(table.c.id, table.c.uuid).where(table.c.id.in_(list(keys)))
        )
        return {int(key): str(uuid) for key, uuid in rows}

    def clocks(self, entity: str, key: int) -> dict[str, str]:
        table = _clocked(entity)
        text = self._session.scalar(select(table.c.clocks).where(table.c.id == key))
        return unpack_clocks(text, CLOCKED[entity])

    def stamp(self, entity: str, key: int, clocks: Mapping[str, str]) -> None:
        if clocks:
            self.set_clocks(entity, key, {**self.clocks(entity, key), **clocks})

    def set_clocks(self, entity: str, key: int, clocks: Mapping[str, str]) -> None:
        table = _clocked(entity)
        self._session.execute(
            update(table)
            .where(table.c.id == key)
            .values(clocks=pack_clocks(clocks, CLOCKED[entity]))
        )

    def enrolled(self) -> bool:
        terminal = self._session.scalar(
            select(sync_state.c.value).where(sync_state.c.key == "terminal_uuid")
        )
        return bool(terminal)

    def offline_spent(self) -> tuple[int, int]:
        account = func.json_extract(_o.payload, "$.account")
        rows = self._session.execute(
            select(account, func.sum(func.json_extract(_o.payload, "$.amount")))
            .where(
                _o.status == "pending",
                _o.kind == "ledger.entry",
                func.json_extract(_o.payload, "$.kind").in_(_SPENDING),
            )
            .group_by(account)
        )
        spent = {str(name): -int(total or 0) for name, total in rows}
        return spent.get(AccountKind.POINTS.value, 0), spent.get(AccountKind.PURSE.value, 0)
