"""Merging two customers at head office: a duplicate found on arrival, or
``customers.merged`` from a terminal (docs/SYNC.md, "Duplicate customers and merges").

The merged customer's document stays, with ``merged_into_uuid``, as the redirect every
terminal follows. The survivor takes the merged one's blank fields, phones, e-mails and
the rest of its lists, its notes, its cards, its figures, and its balances by a pair of
transfer entries (``adjust``, "merged into <name>") on each account.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update

from app.domain.customers import CustomerStatus
from app.domain.ids import new_uuid7
from headoffice.apply_ledger import Posting, head_office_entry, post
from headoffice.customer_figures import Figures, combined, read_figures, store_figures
from headoffice.customer_index import mark_merged, resolve, write_keys
from headoffice.documents_store import dumps, load_many, save, update_documents
from headoffice.op_context import CLOCK_FIELD, UUID_FIELD, OpContext, OpRejectedError, require_keys
from headoffice.schema import balances, closed_tabs, customer_keys, identifier_holders

_MERGED = {"survivor_uuid": UUID_FIELD, "merged_uuid": UUID_FIELD, "hlc": CLOCK_FIELD}
# Fields the survivor takes from the merged customer when its own are blank.
_FILLABLE = (
    "first_name",
    "last_name",
    "title",
    "alias",
    "company",
    "business_domain",
    "contact_person",
    "gender",
    "date_of_birth",
    "promotion_category_uuid",
    "credit_limit_minor",
    "tab_limit_minor",
    "signup_source",
)
# Lists joined: phones by number, e-mails by address, the others by their content.
_LISTS = ("phones", "emails", "addresses", "preferences", "restrictions", "consents", "attributes")


def apply_customers_merged(ctx: OpContext, payload: Mapping[str, Any]) -> None:
    """A merge made at a terminal: its transfer entries came before this operation; any
    balance the merged customer still has at head office is swept to the survivor."""
    require_keys(payload, _MERGED, "customers.merged")
    ctx.incoming_clock("hlc", payload["hlc"])
    ends = []
    for role in ("survivor_uuid", "merged_uuid"):
        ref = resolve(ctx.conn, payload[role])
        if ref is None:
            raise OpRejectedError(f"customer {payload[role]} is unknown at head office")
        if ref.deleted:
            raise OpRejectedError(
                f"customer {ref.full_name} ({ref.uuid}) was deleted at head office"
            )
        ends.append(ref.uuid)
    survivor, merged = ends
    if survivor != merged:  # else head office merged them already
        merge_customers(ctx, survivor, merged)


def merge_customers(ctx: OpContext, survivor_uuid: str, merged_uuid: str) -> None:
    """Merge ``merged_uuid`` into ``survivor_uuid`` (both live and unmerged)."""
    conn = ctx.conn
    docs = load_many(conn, "customer", [survivor_uuid, merged_uuid], for_update=True)
    survivor, merged = docs[survivor_uuid].data, docs[merged_uuid].data
    name = survivor.get("full_name") or "another customer"
    stamp = ctx.stamp()
    changed = _fill_blanks(survivor, merged, stamp)
    notes = {n.get("uuid"): n for n in [*survivor.get("notes", []), *merged.get("notes", [])]}
    survivor["notes"] = sorted(
        notes.values(), key=lambda n: (str(n.get("created_at")), str(n.get("uuid")))
    )
    merged["notes"] = []  # they moved: a note is held by one customer, as at the terminals
    if "alias" in changed:  # an alias names one customer: it moves, as at the terminal
        merged["alias"] = None
        merged.setdefault("clocks", {})["alias"] = stamp
    merged["merged_into_uuid"] = survivor_uuid
    merged["status"] = CustomerStatus.INACTIVE.value
    merged["status_reason"] = f"Merged into {name}"[:200]
    merged.setdefault("clocks", {}).update(status=stamp, status_reason=stamp)
    save(conn, "customer", survivor_uuid, survivor, ctx.now, new=False)
    save(conn, "customer", merged_uuid, merged, ctx.now, new=False)
    write_keys(conn, survivor_uuid, survivor, new=False, phones_changed="phones" in changed)
    mark_merged(conn, merged_uuid, survivor_uuid)
    _repoint_earlier_merges(ctx, merged_uuid, survivor_uuid)
    _move_cards(ctx, merged_uuid, survivor_uuid, stamp)
    _move_balances(ctx, merged_uuid, survivor_uuid, name)
    _move_figures(ctx, merged_uuid, survivor_uuid)


def _blank(name: str, value: object) -> bool:
    return value in (None, "", []) or (name == "gender" and value == "unspecified")


def _fill_blanks(survivor: dict[str, Any], merged: Mapping[str, Any], stamp: str) -> list[str]:
    clocks = survivor.setdefault("clocks", {})
    changed = []
    for name in _FILLABLE:
        if _blank(name, survivor.get(name)) and not _blank(name, merged.get(name)):
            survivor[name] = merged[name]
            changed.append(name)
    for name in _LISTS:
        mine = list(survivor.get(name) or [])
        theirs = merged.get(name) or []
        keys = {_list_key(name, item) for item in mine}
        added = False
        for item in theirs:
            if isinstance(item, dict) and _list_key(name, item) not in keys:
                item = dict(item)
                if "primary" in item and mine:
                    item["primary"] = False  # the survivor's own primary stays primary
                mine.append(item)
                keys.add(_list_key(name, item))
                added = True
        if added:
            survivor[name] = mine
            changed.append(name)
    for name in changed:
        clocks[name] = stamp
    return changed


def _list_key(name: str, item: object) -> str:
    if isinstance(item, dict):
        if name == "phones":
            return str(item.get("e164"))
        if name == "emails":
            return str(item.get("address", "")).casefold()
    return json.dumps(item, sort_keys=True, default=str)


def _repoint_earlier_merges(ctx: OpContext, merged_uuid: str, survivor_uuid: str) -> None:
    """Customers merged into ``merged_uuid`` before now point at ``survivor_uuid``, so a
    redirect is always one hop and every terminal holds the same one, whatever order
    the documents reach it in."""
    conn = ctx.conn
    k = customer_keys.c
    earlier = list(conn.scalars(select(k.uuid).where(k.merged_into_uuid == merged_uuid)))
    rows = []
    for uuid, doc in sorted(load_many(conn, "customer", earlier, for_update=True).items()):
        doc.data["merged_into_uuid"] = survivor_uuid
        rows.append((uuid, dumps(doc.data)))
        mark_merged(conn, uuid, survivor_uuid)
    update_documents(conn, "customer", rows, ctx.now)


def _move_cards(ctx: OpContext, merged_uuid: str, survivor_uuid: str, stamp: str) -> None:
    conn = ctx.conn
    h = identifier_holders.c
    cards = list(conn.scalars(select(h.identifier_uuid).where(h.customer_uuid == merged_uuid)))
    rows = []
    for uuid, doc in sorted(load_many(conn, "identifier", cards, for_update=True).items()):
        if doc.deleted:
            continue
        doc.data["customer_uuid"] = survivor_uuid
        doc.data.setdefault("clocks", {})["customer_uuid"] = stamp
        rows.append((uuid, dumps(doc.data)))
    update_documents(conn, "identifier", rows, ctx.now)
    conn.execute(
        update(identifier_holders)
        .where(h.customer_uuid == merged_uuid)
        .values(customer_uuid=survivor_uuid)
    )


def _move_balances(ctx: OpContext, merged_uuid: str, survivor_uuid: str, name: str) -> None:
    conn = ctx.conn
    b = balances.c
    reason = f"merged into {name}"
    postings = []
    for account, amount, lifetime in conn.execute(
        select(b.account, b.amount, b.lifetime_points)
        .where(b.customer_uuid == merged_uuid)
        .order_by(b.account)
    ):
        if not amount and not lifetime:
            continue
        for customer, sign in ((merged_uuid, -1), (survivor_uuid, 1)):
            entry = head_office_entry(
                new_uuid7(), customer, str(account), sign * int(amount), reason, ctx.now
            )
            postings.append(Posting(entry, sign * int(lifetime), ctx.op_id, None))
    post(conn, postings, ctx.now)


def _move_figures(ctx: OpContext, merged_uuid: str, survivor_uuid: str) -> None:
    conn = ctx.conn
    taken = read_figures(conn, merged_uuid)
    conn.execute(
        update(closed_tabs)
        .where(closed_tabs.c.visit_customer_uuid == merged_uuid)
        .values(visit_customer_uuid=survivor_uuid)
    )
    if taken == Figures():
        return
    store_figures(conn, survivor_uuid, combined(read_figures(conn, survivor_uuid), taken), ctx.now)
    store_figures(conn, merged_uuid, Figures(), ctx.now)
