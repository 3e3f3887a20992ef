"""The demo store builder: counts, consistency, a consistent search index, determinism."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from app.demo import seed_demo_store
from app.demo.catalogue import MENU
from app.demo.promotions import CATEGORIES
from app.domain.identifiers import IdentifierKind, normalise_identifier_value
from app.domain.promotions import Composition, RuleKind
from app.services.dto import DirectoryQuery, MatchKind
from app.services.security import pin_matches
from app.store.database import StoreLocation, create_session_factory, create_store_engine
from app.store.promotion_rules import SqlSalesRules
from app.store.search import SqlDirectoryQueries

ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)
CUSTOMERS = 300


def build(path: Path, seed: int = 11) -> Engine:
    engine = create_store_engine(StoreLocation(path))
    seed_demo_store(engine, CUSTOMERS, seed, anchor=ANCHOR, workers=1)
    return engine


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return build(tmp_path_factory.mktemp("demo") / "demo.db")


def scalar(engine: Engine, sql: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


def rows(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(sql))]


def test_counts(demo: Engine) -> None:
    assert scalar(demo, "SELECT count(*) FROM customers") == CUSTOMERS
    individuals = scalar(demo, "SELECT count(*) FROM customers WHERE kind = 'individual'")
    assert 0.8 * CUSTOMERS < int(individuals) < CUSTOMERS
    cards = int(scalar(demo, "SELECT count(*) FROM identifiers WHERE customer_id IS NOT NULL"))
    assert 2.5 * CUSTOMERS < cards < 3.6 * CUSTOMERS
    assert scalar(demo, "SELECT count(*) FROM promotion_categories") == len(CATEGORIES)
    impersonal = "SELECT count(*) FROM identifiers WHERE customer_id IS NULL"
    assert int(scalar(demo, impersonal)) > 0
    assert (
        scalar(
            demo,
            "SELECT count(*) FROM identifiers WHERE customer_id IS NULL "
            "AND promotion_category_id IS NULL",
        )
        == 0
    )
    assert scalar(demo, "SELECT count(*) FROM divisions") == 3
    assert scalar(demo, "SELECT count(*) FROM menu_items") == len(MENU) >= 60
    assert scalar(demo, "SELECT count(*) FROM customers WHERE alias IS NOT NULL") > 0
    aliases = rows(demo, "SELECT alias_folded FROM customers WHERE alias IS NOT NULL")
    assert len(aliases) == len(set(aliases))


def test_every_customer_has_one_primary_phone_and_email(demo: Engine) -> None:
    for table in ("customer_phones", "customer_emails"):
        bad = rows(
            demo,
            f'SELECT customer_id FROM {table} GROUP BY customer_id HAVING sum("primary") != 1',
        )
        assert bad == [], table
    assert rows(demo, "SELECT e164 FROM customer_phones WHERE e164 NOT GLOB '+[1-9]*'") == []
    assert rows(demo, "SELECT id FROM customer_phones WHERE digits != substr(e164, 2)") == []
    assert rows(demo, "SELECT id FROM customer_emails WHERE normalised != lower(address)") == []
    working = rows(
        demo,
        "SELECT e164 FROM customer_phones WHERE kind = 'working' GROUP BY e164 HAVING count(*) > 1",
    )
    assert working == []


def test_visit_sums_match_customer_totals(demo: Engine) -> None:
    mismatched = rows(
        demo,
        """SELECT c.id FROM customers AS c
           LEFT JOIN (SELECT customer_id, sum(spent_minor) AS spent, sum(order_count) AS orders,
                             max(visited_at) AS last
                      FROM visits GROUP BY customer_id) AS v ON v.customer_id = c.id
           WHERE c.total_spent_minor != coalesce(v.spent, 0)
              OR c.order_count != coalesce(v.orders, 0)
              OR c.last_visit_at IS NOT v.last""",
    )
    assert mismatched == []
    assert int(scalar(demo, "SELECT count(*) FROM visits")) > CUSTOMERS


def test_identifiers_are_normalised_and_unique_in_use(demo: Engine) -> None:
    for kind, value in rows(demo, "SELECT kind, value FROM identifiers"):
        assert normalise_identifier_value(IdentifierKind(str(kind)), str(value)) == value
    dupes = rows(
        demo,
        "SELECT kind, value FROM identifiers WHERE status IN ('active', 'lost', 'blocked') "
        "GROUP BY kind, value HAVING count(*) > 1",
    )
    assert dupes == []


def test_instants_use_the_store_format(demo: Engine) -> None:
    d = "[0-9]"
    pattern = f"'{d * 4}-{d * 2}-{d * 2}T{d * 2}:{d * 2}:{d * 2}.{d * 6}Z'"
    for table, column in [("customers", "created_at"), ("visits", "visited_at")]:
        bad = f"SELECT count(*) FROM {table} WHERE {column} NOT GLOB {pattern}"
        assert scalar(demo, bad) == 0


def test_staff_can_sign_in_with_the_demo_pins(demo: Engine) -> None:
    staff = dict(rows(demo, "SELECT name, pin_hash FROM staff"))
    assert pin_matches(str(staff["Demo Manager"]), "1234")
    assert pin_matches(str(staff["Demo Cashier"]), "1111")
    assert pin_matches(str(staff["Demo Waiter"]), "2222")


def test_the_search_index_is_consistent_with_the_data(demo: Engine) -> None:
    indexed = rows(demo, "SELECT rowid, name, alias, company, phones, emails FROM customer_search")
    source = rows(
        demo, "SELECT id, name, alias, company, phones, emails FROM customer_search_source"
    )
    assert sorted(indexed) == sorted(source)
    keys = rows(demo, "SELECT key, customer_id FROM customer_name_keys")
    derived = rows(demo, "SELECT DISTINCT key, customer_id FROM customer_name_key_source")
    assert sorted(keys) == sorted(derived)
    triggers = rows(
        demo, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%search%'"
    )
    assert len(triggers) == 11  # restored after the bulk load


def test_random_customers_are_found_by_phone_digits_name_and_card(demo: Engine) -> None:
    rng = random.Random(3)
    picks = rows(
        demo,
        "SELECT c.id, c.name_folded, p.digits FROM customers AS c "
        'JOIN customer_phones AS p ON p.customer_id = c.id AND p."primary" = 1 '
        "WHERE c.merged_into_id IS NULL",
    )
    with create_session_factory(demo)() as session:
        search = SqlDirectoryQueries(session).search
        for customer_id, name, digits in rng.sample(picks, 20):
            digits = str(digits)
            start = rng.randint(0, len(digits) - 6)
            run = digits[start : start + 6]
            hits = search(DirectoryQuery(text=run, limit=500)).rows
            assert customer_id in [r.id for r in hits], run
            hits = search(DirectoryQuery(text=str(name), limit=500)).rows
            assert customer_id in [r.id for r in hits], name
        _kind, value, owner = rows(
            demo,
            "SELECT kind, value, customer_id FROM identifiers WHERE status = 'active' "
            "AND customer_id IS NOT NULL ORDER BY id LIMIT 1",
        )[0]
        first = search(DirectoryQuery(text=str(value))).rows[0]
        assert (first.id, first.match) == (owner, MatchKind.IDENTIFIER)


def test_the_same_seed_builds_the_same_store(tmp_path: Path) -> None:
    def fingerprint(engine: Engine) -> list[list[tuple[Any, ...]]]:
        return [
            rows(
                engine,
                "SELECT id, full_name, alias, status, total_spent_minor, created_at "
                "FROM customers ORDER BY id",
            ),
            rows(engine, "SELECT customer_id, e164 FROM customer_phones ORDER BY id"),
            rows(engine, "SELECT id, kind, value, status FROM identifiers ORDER BY id"),
            rows(engine, "SELECT customer_id, visited_at, spent_minor FROM visits ORDER BY id"),
            rows(
                engine,
                "SELECT id, promotion_category_id, credit_limit_minor, tab_limit_minor "
                "FROM customers ORDER BY id",
            ),
            rows(engine, "SELECT id, label, promotion_category_id FROM identifiers ORDER BY id"),
            rows(engine, "SELECT customer_id, kind, amount, at FROM ledger_entries ORDER BY id"),
        ]

    first = build(tmp_path / "a.db", seed=5)
    second = build(tmp_path / "b.db", seed=5)
    other = build(tmp_path / "c.db", seed=6)
    assert fingerprint(first) == fingerprint(second)
    assert fingerprint(first) != fingerprint(other)


def test_the_menu_has_groups_prices_taxes_and_flags(demo: Engine) -> None:
    groups = [str(g) for (g,) in rows(demo, "SELECT name FROM menu_groups ORDER BY sort_order")]
    assert groups[:6] == ["Starters", "Mains", "Sides", "Desserts", "Beer", "Wine"]
    assert {"Drinks", "Coffee", "Hot drinks", "Retail"} <= set(groups)
    rates = {str(r) for (r,) in rows(demo, "SELECT DISTINCT tax_rate FROM menu_items")}
    assert rates == {"0.20", "0.05", "0.00"}  # standard, reduced (food to take home), none
    assert (
        scalar(demo, "SELECT count(*) FROM menu_items WHERE typeof(price_minor) != 'integer'") == 0
    )
    assert rows(
        demo,
        "SELECT price_minor, tax_rate, discountable, earns_points FROM menu_items "
        "WHERE name = 'Gift voucher'",
    ) == [(2500, "0.00", 0, 0)]
    tables = dict(
        rows(
            demo,
            "SELECT d.name, count(t.id) FROM divisions AS d "
            "JOIN dining_tables AS t ON t.division_id = d.id GROUP BY d.name",
        )
    )
    assert tables == {"Main hall": 20, "Bar": 8, "Terrace": 10}


def test_the_rules_cover_every_kind_and_window_and_the_store_reads_them(demo: Engine) -> None:
    kinds = {str(k) for (k,) in rows(demo, "SELECT DISTINCT kind FROM sales_rules")}
    assert kinds == {kind.value for kind in RuleKind}
    with create_session_factory(demo)() as session:
        promotions = SqlSalesRules(session)
        ids = [int(i) for (i,) in session.execute(text("SELECT id FROM promotion_categories"))]
        categories = promotions.category_rules(ids)
    assert len(categories) == len(CATEGORIES)
    assert all(c.rules for c in categories.values())
    windows = [rule.window for c in categories.values() for rule in c.rules]
    assert any(w.weekdays and w.starts for w in windows)  # happy hour, Mon-Fri 17-19
    assert any(w.wraps_midnight for w in windows)  # the late bar, 22:00-01:00
    assert any(w.first_day and w.last_day for w in windows)  # the terrace season
    staff = next(c for c in categories.values() if c.name == "Staff")
    assert (staff.composition, staff.max_percent) == (Composition.SUM, Decimal("30"))
    happy = next(c for c in categories.values() if c.name == "Happy hour").rules[0]
    assert happy.percent == Decimal("20") and happy.window.weekdays == frozenset(range(5))
    assert (happy.window.starts, happy.window.ends) == (time(17), time(19))
    free = next(r for c in categories.values() for r in c.rules if r.kind is RuleKind.FREE_EVERY_N)
    assert free.every_n == 5


def test_categories_are_attached_to_customers_cards_and_the_floor(demo: Engine) -> None:
    by_kind = rows(
        demo,
        "SELECT c.kind, p.name, count(*) FROM customers AS c "
        "JOIN promotion_categories AS p ON p.id = c.promotion_category_id GROUP BY 1, 2",
    )
    individual = {str(name) for kind, name, _ in by_kind if kind == "individual"}
    assert individual == {"Regular", "Coffee club", "VIP", "Staff"}
    assert {str(name) for kind, name, _ in by_kind if kind == "organisation"} == {"Corporate"}
    cards = rows(
        demo,
        "SELECT i.label, p.name FROM identifiers AS i "
        "JOIN promotion_categories AS p ON p.id = i.promotion_category_id "
        "WHERE i.customer_id IS NULL ORDER BY i.id",
    )
    assert len(cards) == scalar(demo, "SELECT count(*) FROM identifiers WHERE customer_id IS NULL")
    assert ("Staff card 1", "Staff") in cards and ("Coffee card 1", "Coffee club") in cards
    floor = rows(
        demo,
        "SELECT d.name, p.name FROM divisions AS d "
        "JOIN promotion_categories AS p ON p.id = d.promotion_category_id ORDER BY d.name",
    )
    assert floor == [("Bar", "Happy hour"), ("Terrace", "Terrace")]
    assert rows(
        demo,
        "SELECT t.number, p.name FROM dining_tables AS t "
        "JOIN promotion_categories AS p ON p.id = t.promotion_category_id",
    ) == [("T1", "VIP table")]
    limits = rows(
        demo,
        "SELECT kind, count(credit_limit_minor), count(tab_limit_minor) FROM customers "
        "GROUP BY kind ORDER BY kind",
    )
    assert all(credit > 0 for _, credit, _ in limits)
    assert dict((k, t) for k, _, t in limits)["organisation"] > 0
    assert scalar(demo, "SELECT count(*) FROM customers WHERE credit_limit_minor <= 0") == 0


def test_statistics_and_points_follow_the_visits(demo: Engine) -> None:
    mismatched = rows(
        demo,
        """SELECT v.customer_id FROM (SELECT customer_id, count(*) AS n, sum(spent_minor) AS spent,
                  min(visited_at) AS first, max(visited_at) AS last
                  FROM visits GROUP BY customer_id) AS v
           LEFT JOIN customer_stats AS s ON s.customer_id = v.customer_id
           WHERE s.visits IS NOT v.n OR s.total_spent_minor IS NOT v.spent
              OR s.first_visit_at IS NOT v.first OR s.last_visit_at IS NOT v.last""",
    )
    assert mismatched == []
    assert scalar(demo, "SELECT count(*) FROM customer_stats") == scalar(
        demo, "SELECT count(DISTINCT customer_id) FROM visits"
    )
    earned = rows(
        demo,
        "SELECT s.customer_id FROM customer_stats AS s LEFT JOIN ledger_entries AS l "
        "ON l.customer_id = s.customer_id AND l.kind = 'earn' "
        "WHERE coalesce(l.amount, 0) != s.total_spent_minor / 100 "
        "OR (l.amount IS NOT NULL AND l.at != s.last_visit_at)",
    )
    assert earned == []
    deposits = rows(demo, "SELECT account, amount FROM ledger_entries WHERE kind = 'deposit'")
    assert deposits and all(account == "purse" and amount > 0 for account, amount in deposits)
