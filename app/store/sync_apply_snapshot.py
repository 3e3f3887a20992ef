"""Taking a snapshot of head office (docs/SYNC.md, "Snapshot").

Each snapshot has a *mark*, a number one above the last; every row a page brings is
marked with it. When the last page is in, the openings staged page by page replace the
old ones and the ledger entries they include are deleted, in one transaction, so a
balance (opening + entries) is never counted twice or missed. Rows an earlier snapshot
or pull brought that this one did not are what head office no longer has.

New customers are written in bulk with their search index rows
(app/store/sync_apply_search.py), page by page, so the store is searchable throughout.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from app.services.sync_ports import OpeningBalance
from app.store.sync_apply_catalogue import TABLES as CATALOGUE_TABLES
from app.store.sync_apply_removal import remove_catalogue_row, remove_customer
from app.store.sync_apply_values import log

MARK = "_sync_mark"


def stage_openings(conn: Connection, openings: Sequence[OpeningBalance]) -> None:
    rows = [(o.customer_uuid, o.account, o.amount, o.lifetime_points) for o in openings]
    if rows:
        conn.exec_driver_sql(
            "INSERT OR REPLACE INTO sync_openings_staged "
            "(customer_uuid, account, amount, lifetime_points) VALUES (?, ?, ?, ?)",
            rows,
        )


def swap_openings(conn: Connection, watermark: int) -> None:
    """The staged openings become the openings, and the ledger keeps only the entries
    they do not include: those whose operation head office has not acknowledged, or
    acknowledged in a transaction from ``watermark`` on (they come again by pull)."""
    conn.exec_driver_sql("DELETE FROM sync_openings")
    conn.exec_driver_sql(
        "INSERT INTO sync_openings (customer_id, account, amount, lifetime_points) "
        "SELECT c.id, s.account, s.amount, s.lifetime_points FROM sync_openings_staged AS s "
        "JOIN customers AS c ON c.uuid = s.customer_uuid"
    )
    orphans = conn.exec_driver_sql(
        "SELECT count(*) FROM sync_openings_staged AS s "
        "WHERE NOT EXISTS (SELECT 1 FROM customers AS c WHERE c.uuid = s.customer_uuid)"
    ).scalar()
    if orphans:
        log.warning("%s openings name customers this store does not have", orphans)
    conn.exec_driver_sql("DELETE FROM sync_openings_staged")
    conn.exec_driver_sql(
        "DELETE FROM ledger_entries WHERE uuid NOT IN ("
        "SELECT entity_uuid FROM outbox WHERE kind = 'ledger.entry' "
        "AND (status = 'pending' OR (status = 'done' AND ho_txid >= ?)))",
        (watermark,),
    )


def drop_what_head_office_no_longer_has(conn: Connection, mark: int) -> None:
    """Catalogue rows this snapshot did not bring go (head office owns the catalogue).
    Customers and cards go when head office had them (an earlier snapshot or pull
    brought them, or it acknowledged their creation) and no longer does; the terminal's
    own not yet acknowledged, and those never sent (a store from before sync), stay."""
    for table in reversed(list(CATALOGUE_TABLES.values())):  # what refers to others first
        for (uuid,) in conn.exec_driver_sql(
            f"SELECT uuid FROM {table} WHERE sync_mark IS NULL OR sync_mark != ?", (mark,)
        ).all():
            remove_catalogue_row(conn, table, str(uuid))
    for table in ("identifiers", "customers"):
        for (key,) in _gone(conn, table, mark):
            if table == "customers":
                remove_customer(conn, int(key))
            else:
                conn.exec_driver_sql("DELETE FROM identifiers WHERE id = ?", (key,))


def _gone(conn: Connection, table: str, mark: int) -> list[tuple[int]]:
    return [
        (int(row[0]),)
        for row in conn.exec_driver_sql(
            f"SELECT r.id FROM {table} AS r WHERE (r.sync_mark IS NULL OR r.sync_mark != ?) "
            "AND NOT EXISTS (SELECT 1 FROM outbox AS o "
            "WHERE o.entity_uuid = r.uuid AND o.status = 'pending') "
            "AND (r.sync_mark IS NOT NULL "
            "OR EXISTS (SELECT 1 FROM outbox AS o WHERE o.entity_uuid = r.uuid))",
            (mark,),
        ).all()
    ]
