"""Documents written at head office: a seed or bulk import, and a manager's edit; on
both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from app.domain.hlc import HEAD_OFFICE_NODE, HybridClock, parse_stamp
from app.domain.ids import new_uuid7
from headoffice.accounts import balances, lifetime_points
from headoffice.authoring import DocumentError, edit_customer, write_documents
from headoffice.schema import documents, ledger
from tests.headoffice.terminal_ops import Terminal, document, pull_all, push

AT = "2025-06-01T10:00:00+00:00"


def _customer(name: str, phone: str = "") -> dict[str, Any]:
    return {
        "kind": "individual",
        "full_name": name,
        "created_at": AT,
        "phones": [{"e164": phone, "kind": "mobile", "primary": True}] if phone else [],
        "emails": [],
    }


def _entry(customer: str, kind: str, amount: int, **extra: Any) -> dict[str, Any]:
    return {
        "uuid": new_uuid7(),
        "customer_uuid": customer,
        "account": "points",
        "kind": kind,
        "amount": amount,
        "at": AT,
        "terminal": "old system",
        "staff_uuid": "import",
        **extra,
    }


def _as_doc(entry: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    return ("ledger_entry", entry["uuid"], entry)


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(documents)) or 0)


def test_an_import_writes_documents_stamped_by_head_office_with_their_history(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    group, item, ada = new_uuid7(), new_uuid7(), new_uuid7()
    card = new_uuid7()
    earned = _entry(ada, "earn", 300)
    docs = [
        ("menu_group", group, {"name": "Beer", "sort_order": 1}),
        ("menu_item", item, {"name": "Pint", "group_uuid": group, "price_minor": 550,
                             "tax_rate": "0.20"}),
        ("customer", ada, {**_customer("Ada Lovelace", "+447700900001"), "notes": [
            {"uuid": new_uuid7(), "text": "Regular", "author": "import", "created_at": AT}]}),
        ("identifier", card, {"kind": "barcode_card", "value": "LOYAL0001", "customer_uuid": ada,
                              "status": "active", "issued_at": AT}),
        ("ledger_entry", earned["uuid"], earned),
        ("ledger_entry", new_uuid7(), _entry(ada, "redeem", -120)),
        ("ledger_entry", new_uuid7(), _entry(ada, "reverse", -300, reverses_uuid=earned["uuid"],
                                             reason="refund")),
    ]  # fmt: skip

    with ho_engine.begin() as conn:
        written = write_documents(conn, docs, ho_clock)

    assert written == len(docs)
    customer = document(ho_engine, "customer", ada)
    assert customer is not None
    assert customer["full_name"] == "Ada Lovelace" and customer["notes"][0]["text"] == "Regular"
    assert {parse_stamp(c).node for c in customer["clocks"].values()} == {HEAD_OFFICE_NODE}
    assert set(customer["clocks"]) == set(_customer("x", "y"))
    assert document(ho_engine, "menu_item", item) == docs[1][2]
    assert document(ho_engine, "identifier", card)["customer_uuid"] == ada  # type: ignore[index]
    with ho_engine.connect() as conn:
        assert balances(conn, ada) == {"points": -120, "purse": 0}
        assert lifetime_points(conn, ada) == 0
    changes, _ = pull_all(ho_engine, "v1:0:0", limit=100)
    assert sorted(c.entity for c in changes) == sorted(e for e, _, _ in docs)


def test_importing_the_same_file_again_writes_no_entry_twice(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    ada = new_uuid7()
    docs = [("customer", ada, _customer("Ada Lovelace")), _as_doc(_entry(ada, "earn", 50))]

    for _ in range(2):
        with ho_engine.begin() as conn:
            write_documents(conn, docs, ho_clock)

    with ho_engine.connect() as conn:
        assert balances(conn, ada) == {"points": 50, "purse": 0}
        assert conn.scalar(select(func.count()).select_from(ledger)) == 1


def test_a_bad_import_names_each_problem_and_writes_nothing(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    ada, stranger = new_uuid7(), new_uuid7()
    docs: list[Any] = [
        ("customer", ada, _customer("Ada Lovelace")),
        ("customer", "ADA", _customer("Shouting")),
        ("customer", new_uuid7(), {"kind": "individual", "stats": {}}),
        ("spaceship", new_uuid7(), {}),
    ]

    with pytest.raises(DocumentError) as refused, ho_engine.begin() as conn:
        write_documents(conn, docs, ho_clock)

    assert str(refused.value).splitlines() == [
        "nothing was written:",
        "document 2 (customer ADA): the uuid must be a lower-case uuid",
        f"document 3 (customer {docs[2][1]}): stats cannot be imported: head office keeps them",
        f"document 3 (customer {docs[2][1]}): customer needs full_name",
        f"document 4 (spaceship {docs[3][1]}): unknown document kind 'spaceship'; one of "
        "promotion_category, sales_rule, menu_group, menu_item, division, dining_table, "
        "customer, identifier, ledger_entry",
    ]
    assert _count(ho_engine) == 0
    orphan = _as_doc(_entry(stranger, "earn", 5))
    with (
        pytest.raises(DocumentError, match=r"names customer .*, unknown at head office"),
        ho_engine.begin() as conn,
    ):
        write_documents(conn, [docs[0], orphan], ho_clock)
    assert _count(ho_engine) == 0


def test_an_import_refuses_a_card_value_already_in_use(
    ho_engine: Engine, ho_clock: HybridClock
) -> None:
    till = Terminal()
    bob, create_bob = till.new_customer("Bob Babbage")
    _, issue = till.new_card(bob, "LOYAL0001", kind="barcode_card")
    push(ho_engine, till, [create_bob, issue], ho_clock)
    ada = new_uuid7()
    card = {"kind": "barcode_card", "value": "LOYAL0001", "customer_uuid": ada,
            "status": "active", "issued_at": AT}  # fmt: skip

    with (
        pytest.raises(
            DocumentError, match=r"Barcode card \*{6}001 is already in use: .*Bob Babbage"
        ),
        ho_engine.begin() as conn,
    ):
        write_documents(
            conn,
            [("customer", ada, _customer("Ada")), ("identifier", new_uuid7(), card)],
            ho_clock,
        )


def test_a_manager_edit_at_head_office_is_checked(ho_engine: Engine, ho_clock: HybridClock) -> None:
    till = Terminal()
    older, create_older = till.new_customer("Ada Lovelace", "+447700900001")
    till.later(5)
    newer, create_newer = till.new_customer("Ada Lovelace", "+447700900001")
    push(ho_engine, till, [create_older, create_newer], ho_clock)

    with ho_engine.begin() as conn:
        edit_customer(conn, older, {"company": "Engines Ltd"}, ho_clock)
    with (
        pytest.raises(DocumentError, match="was merged into Ada Lovelace; edit " + older),
        ho_engine.begin() as conn,
    ):
        edit_customer(conn, newer, {"company": "Engines Ltd"}, ho_clock)
    wrong = "credit_limit_minor must be a whole number; notes cannot be edited"
    with pytest.raises(DocumentError, match=wrong), ho_engine.begin() as conn:
        edit_customer(conn, older, {"credit_limit_minor": "lots", "notes": []}, ho_clock)
    with pytest.raises(DocumentError, match="is unknown at head office"), ho_engine.begin() as conn:
        edit_customer(conn, new_uuid7(), {"company": "X"}, ho_clock)

    assert document(ho_engine, "customer", older)["company"] == "Engines Ltd"  # type: ignore[index]
