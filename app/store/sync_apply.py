"""Applying documents pulled from head office to the terminal's store (docs/SYNC.md).

Documents are applied entity by entity in snapshot order (what a document refers to
comes first), each by its own applier. Applying a document twice changes nothing. A
document the store cannot take is logged and left out; a reference to something not
there yet is left empty and waits (``sync_waiting``) until its target arrives.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from app.services.sync_ports import IncomingChange
from app.store.sync_apply_catalogue import CATALOGUE_ORDER, apply_catalogue
from app.store.sync_apply_customers import apply_customers
from app.store.sync_apply_identifiers import apply_identifiers
from app.store.sync_apply_ledger import apply_ledger_entries
from app.store.sync_apply_values import Applied, chunks, log

ENTITY_ORDER = (*CATALOGUE_ORDER, "customer", "identifier", "ledger_entry")
_RETRIES = 8  # a waiting document can unblock another; the chain is short in practice


def apply_documents(
    conn: Connection, changes: Sequence[IncomingChange], mark: int, *, bulk: bool = False
) -> Applied:
    """Apply ``changes`` in one transaction (the caller's); ``mark`` is the snapshot
    generation rows from head office are marked with. ``bulk``: a snapshot page, where
    new documents are written in bulk."""
    by_entity: dict[str, list[IncomingChange]] = {}
    applied = Applied()
    for change in changes:
        if change.entity not in ENTITY_ORDER:
            log.warning("Left out a %r document from head office: unknown kind", change.entity)
            applied.skipped += 1
            continue
        by_entity.setdefault(change.entity, []).append(change)
    for entity in ENTITY_ORDER:
        batch = by_entity.get(entity)
        if batch:
            _apply_entity(conn, entity, batch, mark, applied, bulk=bulk)
    _resolve_waiting(conn, applied, mark)
    return applied


def _apply_entity(
    conn: Connection,
    entity: str,
    changes: Sequence[IncomingChange],
    mark: int,
    applied: Applied,
    *,
    bulk: bool,
    force: Mapping[str, frozenset[str]] | None = None,
) -> None:
    if entity in CATALOGUE_ORDER:
        apply_catalogue(conn, entity, changes, mark, applied)
    elif entity == "customer":
        apply_customers(conn, changes, mark, applied, bulk=bulk, force=force or {})
    elif entity == "identifier":
        apply_identifiers(conn, changes, mark, applied, bulk=bulk, force=force or {})
    else:
        apply_ledger_entries(conn, changes, applied)


def _resolve_waiting(conn: Connection, applied: Applied, mark: int) -> None:
    """Apply again the documents that waited for something just written, taking the
    field that waited even though its clock did not move (it never took effect)."""
    arrived = set(applied.uuids)
    for _ in range(_RETRIES):
        if not arrived:
            return
        rows: list[Any] = []
        for chunk in chunks(sorted(arrived)):
            marks = ", ".join("?" for _ in chunk)
            rows += conn.exec_driver_sql(
                "SELECT id, entity, uuid, field, data FROM sync_waiting "
                f"WHERE target_uuid IN ({marks}) ORDER BY id",
                tuple(chunk),
            ).all()
        if not rows:
            return
        again = Applied()
        by_entity: dict[str, dict[str, IncomingChange]] = {}
        force: dict[str, set[str]] = {}
        for _key, entity, uuid, field, data in rows:
            if data is None:
                continue
            by_entity.setdefault(entity, {})[uuid] = IncomingChange(
                entity, uuid, False, json.loads(data)
            )
            force.setdefault(uuid, set()).add(field)
        frozen = {uuid: frozenset(fields) for uuid, fields in force.items()}
        for entity in ENTITY_ORDER:
            if entity in by_entity:
                waiting = list(by_entity[entity].values())
                _apply_entity(conn, entity, waiting, mark, again, bulk=False, force=frozen)
        arrived = again.uuids - applied.uuids
        applied.uuids |= again.uuids
    log.warning("Stopped re-applying waiting documents after %d rounds", _RETRIES)
