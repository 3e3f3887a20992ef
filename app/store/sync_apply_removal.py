"""What head office no longer has, and customers it merged: deleted where nothing local
refers to them, kept (deactivated) where local history must stay; a merged customer's
open tabs and local references move to the survivor (docs/SYNC.md, "Documents").

None of this writes to the outbox: it is head office's change arriving, not the
terminal's.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from app.store.sync_apply_values import log, update_row

DELETED_REASON = "Deleted at head office"
_ACTIVE_FLAG = frozenset({"promotion_categories", "sales_rules", "menu_items"})


def remove_catalogue_row(conn: Connection, table: str, uuid: str) -> None:
    """Delete the row with ``uuid``; one that tabs still refer to (a menu item on a closed
    tab, a category attached to one) is deactivated instead, or kept when it has no
    active flag (a group with such items, a division with tables)."""
    row = conn.exec_driver_sql(f"SELECT id FROM {table} WHERE uuid = ?", (uuid,)).first()
    if row is None:
        return
    key = int(row[0])
    if table == "promotion_categories" and _attached(conn, key):
        update_row(conn, table, key, {"active": 0})
        return
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(f"DELETE FROM {table} WHERE id = ?", (key,))
    except IntegrityError:
        if table in _ACTIVE_FLAG:
            update_row(conn, table, key, {"active": 0})
        else:
            log.info("Kept %s %s that head office deleted: the store still uses it", table, uuid)


def _attached(conn: Connection, category_id: int) -> bool:
    found = conn.exec_driver_sql(
        "SELECT 1 FROM tab_attachments WHERE category_id = ? LIMIT 1", (category_id,)
    ).first()
    return found is not None


def customer_history(conn: Connection, customer_id: int) -> bool:
    """Whether local tabs, visits or ledger entries name the customer."""
    found = conn.exec_driver_sql(
        "SELECT EXISTS (SELECT 1 FROM guest_tabs WHERE customer_id = :c) "
        "OR EXISTS (SELECT 1 FROM visits WHERE customer_id = :c) "
        "OR EXISTS (SELECT 1 FROM ledger_entries WHERE customer_id = :c)",
        {"c": customer_id},
    ).scalar()
    return bool(found)


def remove_customer(conn: Connection, customer_id: int) -> bool:
    """Delete a customer head office no longer has (their cards go with them); one with
    local history is deactivated instead. True when the row was deleted."""
    if customer_history(conn, customer_id):
        update_row(
            conn,
            "customers",
            customer_id,
            {"status": "inactive", "status_reason": DELETED_REASON},
        )
        return False
    conn.exec_driver_sql(
        "UPDATE customers SET merged_into_id = NULL WHERE merged_into_id = ?", (customer_id,)
    )
    conn.exec_driver_sql("DELETE FROM customers WHERE id = ?", (customer_id,))
    return True


def redirect_customer(conn: Connection, merged_id: int, survivor_id: int) -> None:
    """Head office merged ``merged_id`` into ``survivor_id``: open tabs, visits and the
    customers merged into it follow the survivor. Ledger entries stay where they are
    (head office sent the transfers), as do the merged customer's cards (their own
    documents move them)."""
    conn.exec_driver_sql(
        "UPDATE guest_tabs SET customer_id = ? WHERE customer_id = ? AND status = 'open'",
        (survivor_id, merged_id),
    )
    conn.exec_driver_sql(
        "UPDATE visits SET customer_id = ? WHERE customer_id = ?", (survivor_id, merged_id)
    )
    conn.exec_driver_sql(
        "UPDATE customers SET merged_into_id = ? WHERE merged_into_id = ? AND id != ?",
        (survivor_id, merged_id, survivor_id),
    )
    conn.exec_driver_sql("DELETE FROM customer_stats WHERE customer_id = ?", (merged_id,))
    conn.exec_driver_sql(
        "UPDATE customers SET merged_into_id = ?, total_spent_minor = 0, order_count = 0, "
        "last_visit_at = NULL WHERE id = ?",
        (survivor_id, merged_id),
    )
