"""The directory's search box, over the index built by migration 0002.

One query text is tried, cheapest and most precise first, each tier with a LIMIT so a
keystroke never materialises every match:

1. an identifier value, exactly (each identifier kind's normal form), or a phone number
   exactly (international digits, "00" + international, or a national number: a leading
   0 and the rest matching the end of the stored E.164 digits after a 1-3 digit country
   code) -> ``MatchKind.IDENTIFIER`` / ``MatchKind.PHONE``;
2. a prefix of the folded full name, alias or last name, a range scan on
   ``customer_name_keys``, ordered by the matched key -> ``MatchKind.NAME_PREFIX``;
   this is also all that 1-2 character queries get, as trigrams need three;
3. a substring (three or more characters) of a name, alias, company or email, or three
   or more consecutive digits of a phone, on the FTS5 trigram index, in customer-id order
   -> ``MatchKind.SUBSTRING``. A query of digits with a leading 0 is also tried without
   that 0, so a national number ("020 7946") finds the stored E.164 digits (442079460000).

A non-relevance sort orders every match by its key: the matches are gathered (capped)
and sorted by SQLite; past the cap the sort index is walked instead, testing each row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.domain.customers import CustomerKind, CustomerStatus
from app.domain.errors import ValidationError
from app.domain.identifiers import IdentifierKind, normalise_identifier_value
from app.domain.text import digits, fold
from app.services.dto import (
    DirectoryFilter,
    DirectoryPage,
    DirectoryQuery,
    DirectoryRow,
    DirectorySort,
    MatchKind,
)

# A query typed as a phone number: digits and the usual formatting only.
_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]+$")
_TOP = "\U0010ffff"  # sorts after every other character: the end of a prefix range
_MIN_EXACT_PHONE_DIGITS = 7
# With a non-relevance sort, up to this many matches are gathered and sorted; a broader
# query walks the sort index instead and tests each row against the index.
SORT_GATHER_CAP = 20_000

_SORT_COLUMNS = {
    DirectorySort.RELEVANCE: "c.name_folded",
    DirectorySort.NAME: "c.name_folded",
    DirectorySort.CREATED: "c.created_at",
    DirectorySort.LAST_VISIT: "c.last_visit_at",
    DirectorySort.TOTAL_SPENT: "c.total_spent_minor",
    DirectorySort.ORDERS: "c.order_count",
}
# The unary + keeps SQLite from choosing the status index over the sort index.
_FILTERS = {
    DirectoryFilter.ALL: "",
    DirectoryFilter.ACTIVE: " AND +c.status = 'active'",
    DirectoryFilter.INACTIVE: " AND +c.status IN ('inactive', 'blocked')",
}
_VISIBLE = "c.merged_into_id IS NULL"

_ROWS_SQL = """
SELECT c.id, c.uuid, c.kind, c.full_name, c.alias, c.company, c.status, c.created_at,
       c.last_visit_at, c.total_spent_minor, c.order_count, c.name_folded, c.alias_folded,
       c.last_name,
       (SELECT p.e164 FROM customer_phones AS p WHERE p.customer_id = c.id
        ORDER BY p."primary" DESC, p.id LIMIT 1) AS phone,
       (SELECT e.address FROM customer_emails AS e WHERE e.customer_id = c.id
        ORDER BY e."primary" DESC, e.id LIMIT 1) AS email,
       pc.name AS category
FROM customers AS c
LEFT JOIN promotion_categories AS pc ON pc.id = c.promotion_category_id
WHERE c.id IN (SELECT value FROM json_each(:ids))
"""


def fts_phrase(value: str) -> str:
    """``value`` as an FTS5 string: matched as a substring by the trigram tokenizer."""
    return '"' + value.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """What one query text means to each tier."""

    raw: str
    folded: str  # for names, aliases, companies and emails
    phone_digits: str  # the digits, when the text reads as a phone number, else ""

    @classmethod
    def parse(cls, raw: str) -> SearchTerms:
        folded = fold(raw)
        phone = digits(raw) if _PHONE_LIKE.fullmatch(raw.strip()) else ""
        return cls(raw=raw, folded=folded, phone_digits=phone)

    @property
    def empty(self) -> bool:
        return not self.folded

    @property
    def phone_fragments(self) -> list[str]:
        """Digit runs to find in phones: as typed, and without a national leading 0."""
        if len(self.phone_digits) < 3:
            return []
        fragments = [self.phone_digits]
        national = self.phone_digits[1:]
        if self.phone_digits.startswith("0") and len(national) >= 3:
            fragments.append(national)
        return fragments

    def fts_query(self) -> str | None:
        """The FTS5 MATCH expression for the substring tier, or None if too short."""
        parts = []
        if len(self.folded) >= 3:
            parts.append("{name alias company emails} : " + fts_phrase(self.folded))
        parts.extend("phones : " + fts_phrase(f) for f in self.phone_fragments)
        return " OR ".join(parts) if parts else None

    def identifier_candidates(self) -> list[tuple[IdentifierKind, str]]:
        found = []
        for kind in IdentifierKind:
            try:
                found.append((kind, normalise_identifier_value(kind, self.raw)))
            except ValidationError:
                continue
        return found

    def is_exact_phone(self, stored_digits: str) -> bool:
        typed = self.phone_digits
        if len(typed) < _MIN_EXACT_PHONE_DIGITS:
            return False
        if stored_digits == typed or (typed.startswith("00") and stored_digits == typed[2:]):
            return True
        national = typed[1:]
        return (
            typed.startswith("0")
            and not typed.startswith("00")
            and stored_digits.endswith(national)
            and 1 <= len(stored_digits) - len(national) <= 3
        )

    def is_name_prefix(self, name_folded: str, alias_folded: str | None, last_name: str) -> bool:
        q = self.folded
        return (
            name_folded.startswith(q)
            or (alias_folded or "").startswith(q)
            or (bool(last_name) and fold(last_name).startswith(q))
        )


class SqlDirectoryQueries:
    """``DirectoryQueries`` on the store's SQLite search index."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # -- the port ---------------------------------------------------------------------

    def search(self, query: DirectoryQuery) -> DirectoryPage:
        offset, limit = max(0, query.offset), max(0, query.limit)
        terms = SearchTerms.parse(query.text)
        flt = _FILTERS[query.filter]
        if terms.empty:
            ids = self._browse(query, flt, offset, limit + 1)
            matches = [(i, MatchKind.BROWSE) for i in ids]
        elif query.sort is DirectorySort.RELEVANCE:
            matches = self._ranked(terms, flt, offset + limit + 1)[offset:]
        else:
            matches = self._sorted(terms, query, flt, offset, limit + 1)
        window = matches[:limit]
        rows = self._rows(window, terms, query.sort is not DirectorySort.RELEVANCE)
        return DirectoryPage(rows=tuple(rows), offset=offset, has_more=len(matches) > limit)

    # -- empty query: the whole directory ----------------------------------------------

    def _browse(self, query: DirectoryQuery, flt: str, offset: int, count: int) -> list[int]:
        order = _order_by(query)
        sql = f"SELECT c.id FROM customers AS c WHERE {_VISIBLE}{flt} {order} LIMIT :n OFFSET :o"
        return self._ids(sql, {"n": count, "o": offset})

    # -- relevance: tiers, each with a LIMIT ----------------------------------------------

    def _ranked(self, terms: SearchTerms, flt: str, need: int) -> list[tuple[int, MatchKind]]:
        found: dict[int, MatchKind] = {}
        for customer_id, kind in self._exact(terms, flt):
            found.setdefault(customer_id, kind)
            if len(found) >= need:
                return list(found.items())
        lo, hi = terms.folded, terms.folded + _TOP
        prefix_sql = (
            "SELECT k.customer_id FROM customer_name_keys AS k "
            "JOIN customers AS c ON c.id = k.customer_id "
            f"WHERE k.key >= :lo AND k.key < :hi AND {_VISIBLE}{flt} "
            "ORDER BY k.key, k.customer_id LIMIT :n OFFSET :o"
        )
        self._fill(found, prefix_sql, {"lo": lo, "hi": hi}, need, MatchKind.NAME_PREFIX)
        match = terms.fts_query()
        if match is not None and len(found) < need:
            substring_sql = (
                "SELECT s.rowid FROM customer_search AS s JOIN customers AS c ON c.id = s.rowid "
                f"WHERE customer_search MATCH :m AND {_VISIBLE}{flt} "
                "ORDER BY s.rowid LIMIT :n OFFSET :o"
            )
            self._fill(found, substring_sql, {"m": match}, need, MatchKind.SUBSTRING)
        return list(found.items())

    def _fill(
        self,
        found: dict[int, MatchKind],
        sql: str,
        params: dict[str, Any],
        need: int,
        kind: MatchKind,
    ) -> None:
        """Add ids from ``sql`` (paged by :n/:o) until ``need`` are found or it runs out."""
        offset = 0
        while len(found) < need:
            chunk = need + 8  # at most len(found) of them can be duplicates
            ids = self._ids(sql, {**params, "n": chunk, "o": offset})
            for customer_id in ids:
                if customer_id not in found:
                    found[customer_id] = kind
                    if len(found) >= need:
                        return
            if len(ids) < chunk:
                return
            offset += chunk

    def _exact(self, terms: SearchTerms, flt: str) -> list[tuple[int, MatchKind]]:
        """Customers whose identifier or phone is exactly the query, identifiers first."""
        hits: list[tuple[int, MatchKind]] = []
        candidates = terms.identifier_candidates()
        if candidates:
            kinds = sorted({k.value for k, _ in candidates})
            values = sorted({v for _, v in candidates})
            wanted = {(k.value, v) for k, v in candidates}
            sql = (
                "SELECT i.customer_id, i.kind, i.value FROM identifiers AS i "
                "JOIN customers AS c ON c.id = i.customer_id "
                "WHERE i.kind IN (SELECT value FROM json_each(:kinds)) "
                "AND i.value IN (SELECT value FROM json_each(:values)) "
                f"AND i.status IN ('active', 'lost', 'blocked') AND {_VISIBLE}{flt} "
                "ORDER BY i.id"
            )
            params = {"kinds": json.dumps(kinds), "values": json.dumps(values)}
            for customer_id, kind, value in self._execute(sql, params):
                if (kind, value) in wanted:
                    hits.append((int(customer_id), MatchKind.IDENTIFIER))
        if len(terms.phone_digits) >= _MIN_EXACT_PHONE_DIGITS:
            fragment = terms.phone_digits.removeprefix("00").removeprefix("0")
            sql = (
                "SELECT p.customer_id, p.digits FROM customer_phones AS p "
                "JOIN customers AS c ON c.id = p.customer_id "
                "WHERE p.customer_id IN (SELECT rowid FROM customer_search "
                "WHERE customer_search MATCH :m LIMIT 500) "
                f"AND {_VISIBLE}{flt} ORDER BY p.customer_id"
            )
            params = {"m": "phones : " + fts_phrase(fragment)}
            for customer_id, stored in self._execute(sql, params):
                if terms.is_exact_phone(str(stored)):
                    hits.append((int(customer_id), MatchKind.PHONE))
        return hits

    # -- another sort: every match, ordered by the key ----------------------------------

    def _sorted(
        self, terms: SearchTerms, query: DirectoryQuery, flt: str, offset: int, count: int
    ) -> list[tuple[int, MatchKind]]:
        exact = dict(reversed(self._exact(terms, flt)))
        gathered = self._gather(terms, SORT_GATHER_CAP + 1)
        order = _order_by(query)
        params: dict[str, Any] = {"n": count, "o": offset}
        if len(gathered) <= SORT_GATHER_CAP:
            params["ids"] = json.dumps(sorted(gathered | exact.keys()))
            sql = (
                "SELECT c.id FROM customers AS c WHERE c.id IN (SELECT value FROM json_each(:ids)) "
                f"AND {_VISIBLE}{flt} {order} LIMIT :n OFFSET :o"
            )
        else:
            params.update(exact=json.dumps(sorted(exact)), lo=terms.folded)
            params["hi"] = terms.folded + _TOP
            tests = [
                "c.id IN (SELECT value FROM json_each(:exact))",
                "c.id IN (SELECT customer_id FROM customer_name_keys "
                "WHERE key >= :lo AND key < :hi)",
            ]
            match = terms.fts_query()
            if match is not None:
                params["m"] = match
                tests.append("EXISTS (SELECT 1 FROM customer_search(:m) AS s WHERE s.rowid = c.id)")
            sql = (
                f"SELECT c.id FROM customers AS c WHERE {_VISIBLE}{flt} "
                f"AND ({' OR '.join(tests)}) {order} LIMIT :n OFFSET :o"
            )
        ids = self._ids(sql, params)
        return [(i, exact.get(i, MatchKind.SUBSTRING)) for i in ids]

    def _gather(self, terms: SearchTerms, cap: int) -> set[int]:
        """Up to ``cap`` ids matching by name prefix or substring (visibility unchecked)."""
        found = set(
            self._ids(
                "SELECT customer_id FROM customer_name_keys WHERE key >= :lo AND key < :hi "
                "LIMIT :n",
                {"lo": terms.folded, "hi": terms.folded + _TOP, "n": cap},
            )
        )
        match = terms.fts_query()
        if match is not None and len(found) < cap:
            found.update(
                self._ids(
                    "SELECT rowid FROM customer_search WHERE customer_search MATCH :m LIMIT :n",
                    {"m": match, "n": cap},
                )
            )
        return found

    # -- the page's rows --------------------------------------------------------------

    def _rows(
        self, window: Sequence[tuple[int, MatchKind]], terms: SearchTerms, reclassify: bool
    ) -> list[DirectoryRow]:
        """The page's rows; ``reclassify`` marks name prefixes among SUBSTRING matches
        (for sorted results; ranked ones already come tier by tier)."""
        if not window:
            return []
        ids = json.dumps([i for i, _ in window])
        by_id = {r[0]: r for r in self._execute(_ROWS_SQL, {"ids": ids})}
        rows = []
        for customer_id, match in window:
            r = by_id.get(customer_id)
            if r is None:  # deleted between the two reads of this transaction: skip
                continue
            (_, uuid, kind, name, alias, company, status, created, visited, spent, orders,
             name_folded, alias_folded, last_name, phone, email, category) = r  # fmt: skip
            if (
                match is MatchKind.SUBSTRING
                and reclassify
                and terms.is_name_prefix(name_folded, alias_folded, last_name)
            ):
                match = MatchKind.NAME_PREFIX
            rows.append(
                DirectoryRow(
                    id=customer_id,
                    uuid=uuid,
                    kind=CustomerKind(kind),
                    full_name=name,
                    alias=alias,
                    company=company,
                    status=CustomerStatus(status),
                    primary_phone=phone,
                    primary_email=email,
                    promotion_category=category,
                    created_at=_instant(created),
                    last_visit_at=None if visited is None else _instant(visited),
                    total_spent_minor=spent,
                    order_count=orders,
                    match=match,
                )
            )
        return rows

    def _execute(self, sql: str, params: dict[str, Any]) -> list[Any]:
        """Rows of ``sql`` as plain tuples, on the session's own connection and transaction.

        The DB-API cursor skips SQLAlchemy's per-statement and per-row work, which is most
        of a keystroke's cost once the index has done its part.
        """
        driver = self._session.connection().connection.driver_connection
        assert driver is not None
        return list(driver.execute(sql, params).fetchall())

    def _ids(self, sql: str, params: dict[str, Any]) -> list[int]:
        return [int(row[0]) for row in self._execute(sql, params)]


def _order_by(query: DirectoryQuery) -> str:
    direction = "DESC" if query.descending else "ASC"
    return f"ORDER BY {_SORT_COLUMNS[query.sort]} {direction}, c.id {direction}"


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def explain(session: Session, sql: str, params: dict[str, Any]) -> list[str]:
    """EXPLAIN QUERY PLAN lines for ``sql``: for tests and benchmarks."""
    return [str(row[-1]) for row in session.execute(text("EXPLAIN QUERY PLAN " + sql), params)]


# -- bulk loads ---------------------------------------------------------------------------
# A bulk import may set the index triggers aside, insert, then index the new customers in
# one pass and put the triggers back, all inside one transaction so the index is never
# seen out of step with the data.

SEARCH_TABLES = ("customer_search", "customer_name_keys")


def suspend_search_triggers(connection: Any) -> list[tuple[str, str]]:
    """Drop the triggers that keep the search index; returns (name, sql) to restore them.

    ``connection`` is a DB-API (sqlite3) connection inside an open transaction.
    """
    rows = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND (sql LIKE '%customer_search%' OR sql LIKE '%customer_name_keys%') ORDER BY name"
    ).fetchall()
    for name, _sql in rows:
        connection.execute(f'DROP TRIGGER "{name}"')
    return [(str(name), str(sql)) for name, sql in rows]


def restore_search_triggers(connection: Any, saved: Sequence[tuple[str, str]]) -> None:
    for _name, sql in saved:
        connection.execute(sql)


def index_customers_from(connection: Any, first_id: int) -> None:
    """(Re)index every customer whose id is ``first_id`` or above, from the source views."""
    connection.execute("DELETE FROM customer_search WHERE rowid >= ?", (first_id,))
    connection.execute("DELETE FROM customer_name_keys WHERE customer_id >= ?", (first_id,))
    connection.execute(
        "INSERT INTO customer_search(rowid, name, alias, company, phones, emails) "
        "SELECT id, name, alias, company, phones, emails FROM customer_search_source "
        "WHERE id >= ? ORDER BY id",
        (first_id,),
    )
    connection.execute(
        "INSERT OR IGNORE INTO customer_name_keys(key, customer_id) "
        "SELECT key, customer_id FROM customer_name_key_source WHERE customer_id >= ?",
        (first_id,),
    )


def optimize_search_index(connection: Any) -> None:
    """Merge the FTS5 index into one b-tree: faster queries after a bulk load."""
    connection.execute("INSERT INTO customer_search(customer_search) VALUES ('optimize')")
