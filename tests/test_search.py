"""The directory search box on a real SQLite store, index and triggers included."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from app.domain.customers import Customer, CustomerKind, CustomerStatus, Email, Phone
from app.domain.identifiers import (
    Identifier,
    IdentifierKind,
    IdentifierStatus,
    normalise_identifier_value,
)
from app.services.dto import (
    DirectoryFilter,
    DirectoryPage,
    DirectoryQuery,
    DirectorySort,
    MatchKind,
)
from app.store.database import StoreLocation, create_session_factory, create_store_engine
from app.store.migrate import upgrade_store
from app.store.search import SqlDirectoryQueries, explain

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path, store_template: Path) -> Iterator[Engine]:
    path = tmp_path / "search.db"
    shutil.copyfile(store_template, path)
    engine = create_store_engine(StoreLocation(path))
    upgrade_store(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with create_session_factory(engine)() as session:
        yield session


def add(
    session: Session,
    full_name: str,
    *,
    last: str = "",
    alias: str | None = None,
    company: str = "",
    phones: Sequence[str] = (),
    emails: Sequence[str] = (),
    cards: Sequence[tuple[IdentifierKind, str, IdentifierStatus]] = (),
    status: CustomerStatus = CustomerStatus.ACTIVE,
    days: int = 0,
    spent: int = 0,
    orders: int = 0,
) -> int:
    customer = Customer(
        kind=CustomerKind.INDIVIDUAL,
        full_name=full_name,
        last_name=last,
        alias=alias,
        company=company,
        status=status,
        created_at=T0 + timedelta(days=days),
        last_visit_at=T0 + timedelta(days=10 - days) if orders else None,
        total_spent_minor=spent,
        order_count=orders,
    )
    for n, e164 in enumerate(phones):
        customer.phones.append(Phone(e164=e164, digits=e164.lstrip("+"), primary=n == 0))
    for n, address in enumerate(emails):
        customer.emails.append(Email(address=address, normalised=address.lower(), primary=n == 0))
    for kind, raw, card_status in cards:
        value = normalise_identifier_value(kind, raw)
        customer.identifiers.append(Identifier(kind=kind, value=value, status=card_status))
    session.add(customer)
    session.flush()
    assert customer.id is not None
    return customer.id


def search(session: Session, query: str = "", **options: object) -> DirectoryPage:
    return SqlDirectoryQueries(session).search(DirectoryQuery(text=query, **options))  # type: ignore[arg-type]


def found(session: Session, query: str, **options: object) -> list[tuple[str, MatchKind]]:
    return [(r.full_name, r.match) for r in search(session, query, **options).rows]


def names(session: Session, query: str, **options: object) -> list[str]:
    return [r.full_name for r in search(session, query, **options).rows]


def assert_index_consistent(session: Session) -> None:
    """The index tables hold exactly what the source views derive from the data."""
    indexed = session.execute(
        text("SELECT rowid, name, alias, company, phones, emails FROM customer_search")
    ).all()
    source = session.execute(
        text("SELECT id, name, alias, company, phones, emails FROM customer_search_source")
    ).all()
    assert sorted(map(tuple, indexed)) == sorted(map(tuple, source))
    keys = session.execute(text("SELECT key, customer_id FROM customer_name_keys")).all()
    derived = session.execute(
        text("SELECT DISTINCT key, customer_id FROM customer_name_key_source")
    ).all()
    assert sorted(map(tuple, keys)) == sorted(map(tuple, derived))
    check = session.execute(
        text("INSERT INTO customer_search(customer_search, rank) VALUES ('integrity-check', 1)")
    )
    check.close()


# -- matching rules -------------------------------------------------------------------


def test_any_part_of_a_name_alias_or_company_ignoring_case_and_accents(session: Session) -> None:
    add(session, "Zoë Brontë", last="Brontë", alias="Zed", company="Café Rouge")
    add(session, "Mark Twain", last="Twain")
    for query in ["BRONTE", "ront", "zoe bro", "Brontë", "cafe rou", "ROUGE", "zed", "oë b"]:
        assert names(session, query) == ["Zoë Brontë"], query
    assert names(session, "nowhere") == []


def test_three_or_more_digits_of_a_phone_ignoring_formatting(session: Session) -> None:
    add(session, "Phone Owner", phones=["+442079460000"])
    add(session, "Someone Else", phones=["+447700900123"])
    for query in ["794", "2079 4600", "79-46-00", "020 7946", "(020) 7946"]:
        assert names(session, query) == ["Phone Owner"], query
    assert names(session, "79") == []  # two digits are too few


def test_an_exact_phone_ranks_as_phone_in_any_common_format(session: Session) -> None:
    add(session, "Phone Owner", phones=["+442079460000"])
    for query in ["+44 20 7946 0000", "442079460000", "020 7946 0000", "0044 20 7946 0000"]:
        assert found(session, query) == [("Phone Owner", MatchKind.PHONE)], query
    assert found(session, "7946 0000") == [("Phone Owner", MatchKind.SUBSTRING)]


def test_any_part_of_an_email(session: Session) -> None:
    add(session, "Mail Person", emails=["Zoe.Bronte@Example.com"])
    for query in ["bronte@ex", "EXAMPLE.COM", "zoe.b"]:
        assert names(session, query) == ["Mail Person"], query


def test_identifier_values_match_exactly_in_their_normal_form(session: Session) -> None:
    active = IdentifierStatus.ACTIVE
    add(session, "Card Holder", cards=[(IdentifierKind.MAGNETIC_CARD, "6391000012345678", active)])
    add(session, "Fob Holder", cards=[(IdentifierKind.SMART_CARD, "04A22B1C", active)])
    lost = IdentifierStatus.LOST
    add(session, "Lost Card", cards=[(IdentifierKind.BARCODE_CARD, "2000000000015", lost)])
    expired = IdentifierStatus.EXPIRED
    add(session, "Old Card", cards=[(IdentifierKind.BARCODE_CARD, "2000000000022", expired)])

    assert found(session, ";6391000012345678?") == [("Card Holder", MatchKind.IDENTIFIER)]
    assert found(session, "04:a2:2b:1c") == [("Fob Holder", MatchKind.IDENTIFIER)]
    assert found(session, "2000000000015") == [("Lost Card", MatchKind.IDENTIFIER)]
    assert found(session, "2000000000022") == []  # an expired card no longer identifies
    assert found(session, "639100001234") == []  # card values match whole, not in part


def test_a_blocked_customer_is_found_by_their_card(session: Session) -> None:
    card = (IdentifierKind.MAGNETIC_CARD, "6391000099990000", IdentifierStatus.BLOCKED)
    add(session, "Barred Guest", cards=[card], status=CustomerStatus.BLOCKED)
    assert found(session, "6391000099990000") == [("Barred Guest", MatchKind.IDENTIFIER)]


# -- ranking ----------------------------------------------------------------------------


def test_identifier_then_name_prefix_then_substring(session: Session) -> None:
    add(session, "Bob Goldsmith", last="Goldsmith")  # substring
    add(session, "Ann Smithson", last="Smithson")  # last name starts with the query
    add(session, "Smith & Sons")  # full name starts with the query
    add(session, "Carl Card", cards=[(IdentifierKind.OTHER, "smith", IdentifierStatus.ACTIVE)])
    add(session, "Dee Alias", alias="smithy")  # alias starts with the query
    assert found(session, "smith") == [
        ("Carl Card", MatchKind.IDENTIFIER),
        ("Smith & Sons", MatchKind.NAME_PREFIX),  # keys in order: "smith & sons",
        ("Ann Smithson", MatchKind.NAME_PREFIX),  # "smithson" (last name),
        ("Dee Alias", MatchKind.NAME_PREFIX),  # "smithy" (alias)
        ("Bob Goldsmith", MatchKind.SUBSTRING),
    ]


def test_name_prefixes_are_ordered_by_the_matching_name(session: Session) -> None:
    for name in ["Emma Zed", "Emily Roberts", "Emil Jones"]:
        add(session, name)
    assert names(session, "emi") == ["Emil Jones", "Emily Roberts"]
    assert names(session, "em") == ["Emil Jones", "Emily Roberts", "Emma Zed"]


def test_an_empty_query_browses_everyone(session: Session) -> None:
    add(session, "Beth")
    add(session, "Adam")
    assert found(session, "  ") == [("Adam", MatchKind.BROWSE), ("Beth", MatchKind.BROWSE)]


# -- short queries ------------------------------------------------------------------------


def test_one_and_two_characters_match_name_alias_and_last_name_prefixes(session: Session) -> None:
    add(session, "Zoë Brontë", last="Brontë")
    add(session, "Dee Alias", alias="zed")
    add(session, "Moe Zola", last="Zola")
    assert names(session, "z") == ["Dee Alias", "Zoë Brontë", "Moe Zola"]  # zed, zoe b, zola
    assert names(session, "Zo") == ["Zoë Brontë", "Moe Zola"]
    assert names(session, "b") == ["Zoë Brontë"]  # last name, accent folded
    assert names(session, "oe") == []  # no substrings below three characters


# -- filters, merged records, sorts and paging ------------------------------------------------


def test_filters_and_merged_records(session: Session) -> None:
    add(session, "Ann Active")
    add(session, "Ian Inactive", status=CustomerStatus.INACTIVE)
    add(session, "Bea Blocked", status=CustomerStatus.BLOCKED)
    survivor = add(session, "Mia Merged-Into")
    merged = add(session, "Mia Merged")
    session.execute(
        text("UPDATE customers SET merged_into_id = :s WHERE id = :m"), {"s": survivor, "m": merged}
    )
    assert set(names(session, "")) == {
        "Ann Active",
        "Ian Inactive",
        "Bea Blocked",
        "Mia Merged-Into",
    }
    assert set(names(session, "", filter=DirectoryFilter.ACTIVE)) == {
        "Ann Active",
        "Mia Merged-Into",
    }
    assert set(names(session, "", filter=DirectoryFilter.INACTIVE)) == {
        "Ian Inactive",
        "Bea Blocked",
    }
    assert names(session, "mia merged") == ["Mia Merged-Into"]
    assert names(session, "ctive", filter=DirectoryFilter.INACTIVE) == ["Ian Inactive"]


@pytest.mark.parametrize("query", ["", "oak", "o"])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize(
    ("sort", "column"),
    [
        (DirectorySort.NAME, 0),
        (DirectorySort.CREATED, 1),
        (DirectorySort.LAST_VISIT, 2),
        (DirectorySort.TOTAL_SPENT, 3),
        (DirectorySort.ORDERS, 4),
    ],
)
def test_every_sort_orders_all_matches(
    session: Session, query: str, descending: bool, sort: DirectorySort, column: int
) -> None:
    people = [  # name, created day, last visit day, spent, orders
        ("Oak Dana", 3, 7, 500, 2),
        ("Oakes Bo", 1, 9, 9000, 9),
        ("Cy Oakley", 5, 5, 100, 1),
        ("Al Oaken", 2, 8, 7000, 4),
        ("Ed Oakham", 4, 6, 3000, 3),
    ]
    for name, day, _visit, spent, orders in people:
        add(session, name, last=name.split()[1], days=day, spent=spent, orders=orders)

    def sort_key(person: tuple[str, int, int, int, int]) -> tuple[str, int]:
        return (person[0].lower(), 0) if column == 0 else ("", int(person[column]))

    expected = sorted(people, key=sort_key, reverse=descending)
    got = names(session, query, sort=sort, descending=descending)
    assert got == [p[0] for p in expected]


def test_paging_by_offset_and_limit(session: Session) -> None:
    for n in range(7):
        add(session, f"Pat Page{n}", last=f"Page{n}")
    seen: list[str] = []
    offset = 0
    while True:
        page = search(session, "page", offset=offset, limit=3)
        seen.extend(r.full_name for r in page.rows)
        assert page.offset == offset
        if not page.has_more:
            break
        offset += 3
    assert seen == [f"Pat Page{n}" for n in range(7)]
    assert search(session, "page", offset=6, limit=1).has_more is False
    assert search(session, "page", offset=5, limit=1).has_more is True


def test_rows_carry_primary_contacts_and_category(session: Session) -> None:
    customer_id = add(
        session,
        "Row Person",
        phones=["+447700900001", "+447700900002"],
        emails=["first@example.com", "second@example.com"],
    )
    session.execute(text("UPDATE customer_phones SET \"primary\" = (e164 = '+447700900002')"))
    session.execute(
        text("INSERT INTO promotion_categories (uuid, name) VALUES ('uuid-gold', 'Gold')")
    )
    session.execute(
        text("UPDATE customers SET promotion_category_id = (SELECT id FROM promotion_categories)")
    )
    (row,) = search(session, "row person").rows
    assert row.id == customer_id
    assert row.primary_phone == "+447700900002"  # the primary one
    assert row.primary_email == "first@example.com"
    assert row.promotion_category == "Gold"


# -- the index follows the data, in the same transaction ------------------------------------


def test_index_follows_updates_deletes_and_rollbacks(engine: Engine) -> None:
    factory = create_session_factory(engine)
    with factory() as session:
        customer_id = add(session, "Old Name", last="Name", phones=["+447700900123"])
        session.commit()
        customer = session.get(Customer, customer_id)
        assert customer is not None
        customer.full_name, customer.last_name = "New Surname", "Surname"
        customer.phones.clear()
        customer.emails.append(Email(address="new@example.com", normalised="new@example.com"))
        session.commit()
        assert names(session, "old name") == []
        assert names(session, "900123") == []
        assert names(session, "new sur") == ["New Surname"]
        assert names(session, "new@exa") == ["New Surname"]
        assert names(session, "su") == ["New Surname"]
        assert_index_consistent(session)

        add(session, "Ghost Guest", phones=["+447700900999"])
        assert names(session, "ghost") == ["Ghost Guest"]  # seen inside its transaction
        session.rollback()
        assert names(session, "ghost") == []
        assert names(session, "900999") == []
        assert_index_consistent(session)

        customer = session.get(Customer, customer_id)
        session.delete(customer)
        session.commit()
        assert names(session, "new") == []
        count = session.execute(text("SELECT count(*) FROM customer_search")).scalar()
        assert count == 0
        assert_index_consistent(session)


def test_queries_use_indexes(session: Session) -> None:
    add(session, "Plan Person")
    prefix = explain(
        session,
        "SELECT customer_id FROM customer_name_keys WHERE key >= :lo AND key < :hi LIMIT 5",
        {"lo": "pl", "hi": "pl\U0010ffff"},
    )
    assert any("USING PRIMARY KEY" in line for line in prefix), prefix
    fts = explain(
        session,
        "SELECT rowid FROM customer_search WHERE customer_search MATCH :m LIMIT 5",
        {"m": '"plan"'},
    )
    assert any("VIRTUAL TABLE INDEX" in line for line in fts), fts


# -- property: whatever is stored is found ----------------------------------------------------

aliases = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=20)
national_numbers = st.integers(min_value=10**9, max_value=10**10 - 1)
loyalty_numbers = st.integers(min_value=0, max_value=10**12 - 1)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(alias=aliases, number=national_numbers, loyalty=loyalty_numbers, data=st.data())
def test_a_stored_customer_is_found_by_phone_digits_alias_and_card(
    engine: Engine, alias: str, number: int, loyalty: int, data: st.DataObject
) -> None:
    e164 = f"+44{number}"
    card = f"6391{loyalty:012d}"
    with create_session_factory(engine)() as session:
        add(session, "Decoy Person", phones=["+10000000000"])
        customer_id = add(
            session,
            "Property Person",
            alias=alias,
            phones=[e164],
            cards=[(IdentifierKind.MAGNETIC_CARD, card, IdentifierStatus.ACTIVE)],
        )
        digits = e164[1:]
        start = data.draw(st.integers(0, len(digits) - 3), label="start")
        end = data.draw(st.integers(start + 3, len(digits)), label="end")
        run = digits[start:end]
        assert customer_id in [r.id for r in search(session, run, limit=100).rows], run
        by_alias = search(session, alias).rows
        assert customer_id in [r.id for r in by_alias if r.match is MatchKind.NAME_PREFIX]
        by_card = search(session, card).rows
        assert (by_card[0].id, by_card[0].match) == (customer_id, MatchKind.IDENTIFIER)
        session.rollback()


@pytest.mark.parametrize("query", ["oak", "o", "07700"])
def test_broad_matches_walk_the_sort_index(
    session: Session, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    from app.store import search as search_module

    monkeypatch.setattr(search_module, "SORT_GATHER_CAP", 2)  # every query counts as broad
    spent = {"Oak Dana": 500, "Oakes Bo": 9000, "Cy Oakley": 100, "Al Oaken": 7000}
    for n, (name, amount) in enumerate(spent.items()):
        add(session, name, last=name.split()[1], spent=amount, phones=[f"+4477009000{n:02d}"])
    add(session, "Zed Brown", last="Brown", spent=99999, status=CustomerStatus.INACTIVE)
    got = names(session, query, sort=DirectorySort.TOTAL_SPENT, descending=True)
    assert got == sorted(spent, key=spent.__getitem__, reverse=True)
    active = names(session, query, sort=DirectorySort.NAME, filter=DirectoryFilter.ACTIVE, limit=2)
    assert active == ["Al Oaken", "Cy Oakley"]
