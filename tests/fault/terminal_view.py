"""What a terminal holds at the end of a run, read from its store file once its agent
has stopped: each customer and card as the documents it would send
(``app.services.sync_docs.customer_fields`` / ``identifier_fields``, so field for field
what head office's documents carry), its notes and merge redirect, the catalogue's rows,
each customer's balances as the till computes them (openings plus entries), and the
outbox's statuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.domain.ledger import AccountKind
from app.services.sync_docs import customer_fields, identifier_fields
from app.store import schema
from app.store.database import StoreLocation, create_session_factory, create_store_engine
from app.store.tab_schema import outbox
from app.store.unit_of_work import SqlUnitOfWorkFactory

CATALOGUE_TABLES = {
    "promotion_category": "promotion_categories",
    "sales_rule": "sales_rules",
    "menu_group": "menu_groups",
    "menu_item": "menu_items",
    "division": "divisions",
    "dining_table": "dining_tables",
}
# Columns whose name and meaning are the document field's own, compared as they are.
CATALOGUE_COLUMNS = ("name", "priority", "sort_order", "price_minor", "number", "seats", "active")


@dataclass
class TerminalView:
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)  # uuid -> fields
    identifiers: dict[str, dict[str, Any]] = field(default_factory=dict)
    catalogue: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    balances: dict[str, dict[str, int]] = field(default_factory=dict)
    outbox: dict[str, str] = field(default_factory=dict)  # op id -> status


def read_terminal(store: Path) -> TerminalView:
    engine = create_store_engine(StoreLocation(store))
    try:
        view = TerminalView()
        uow_factory = SqlUnitOfWorkFactory(create_session_factory(engine))
        with uow_factory() as uow, engine.connect() as conn:
            customer_ids = list(conn.scalars(select(schema.customers.c.id)))
            uuids = {
                row.id: row.uuid
                for row in conn.execute(select(schema.customers.c.id, schema.customers.c.uuid))
            }
            for customer_id in customer_ids:
                customer = uow.customers.get(customer_id)
                if customer is None:
                    continue
                fields = dict(customer_fields(uow, customer))
                fields["notes"] = sorted((n.uuid, n.text) for n in customer.notes)
                merged = customer.merged_into_id
                fields["merged_into_uuid"] = None if merged is None else uuids.get(merged)
                view.customers[customer.uuid] = fields
                view.balances[customer.uuid] = {
                    "points": uow.ledger.balance(customer_id, AccountKind.POINTS),
                    "purse": uow.ledger.balance(customer_id, AccountKind.PURSE),
                }
            for identifier_id in conn.scalars(select(schema.identifiers.c.id)):
                identifier = uow.identifiers.get(identifier_id)
                if identifier is not None:
                    view.identifiers[identifier.uuid] = dict(identifier_fields(uow, identifier))
            for entity, table_name in CATALOGUE_TABLES.items():
                table = schema.metadata.tables[table_name]
                columns = [table.c.uuid, *(table.c[n] for n in CATALOGUE_COLUMNS if n in table.c)]
                view.catalogue[entity] = {
                    str(row["uuid"]): {k: v for k, v in row.items() if k != "uuid"}
                    for row in conn.execute(select(*columns)).mappings()
                }
            view.outbox = {
                str(u): str(s) for u, s in conn.execute(select(outbox.c.uuid, outbox.c.status))
            }
        return view
    finally:
        engine.dispose()
