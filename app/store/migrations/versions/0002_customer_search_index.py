"""customer search index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:05:00

Two structures serve the directory's one search box:

- ``customer_search``: an FTS5 table with the trigram tokenizer, one row per customer
  (rowid = customers.id), columns name, alias, company, phones, emails. A quoted phrase
  of three or more characters matches any substring of a column. Names and aliases come
  folded from the ORM (``name_folded``, ``alias_folded``); the company is folded here in
  SQL (see ``_fold_views``) and the tokenizer folds case.
- ``customer_name_keys``: (key, customer_id), a WITHOUT ROWID b-tree of the folded full
  name, alias and last name, for name-prefix matches, including 1-2 character queries
  that trigrams cannot serve.

Both are derived from two views (``customer_search_source``, ``customer_name_key_source``)
and kept up to date by triggers on customers, customer_phones and customer_emails, so an
index change commits or rolls back with the change that caused it.

Note for later migrations: a batch ("move and copy") migration of customers,
customer_phones or customer_emails drops these triggers with the old table; recreate
them afterwards.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fold_char(ch: str) -> str:
    decomposed = unicodedata.normalize("NFKD", ch)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# Latin-1 Supplement, Latin Extended-A and the Romanian commas: the letters European
# names use. Frozen here so the index this migration builds does not change with later code.
_FOLD_PAIRS: list[tuple[str, str]] = [
    (chr(cp), _fold_char(chr(cp)))
    for cp in [*range(0xC0, 0x180), *range(0x218, 0x21C)]
    if chr(cp).isalpha() and _fold_char(chr(cp)) != chr(cp)
]
# SQLite's parser stack allows about 30 nested calls, so the replace chain is split over
# a stack of views, each applying one chunk, and only to rows with non-ASCII text.
_CHUNK = 20
_FOLD_CHUNKS = [_FOLD_PAIRS[i : i + _CHUNK] for i in range(0, len(_FOLD_PAIRS), _CHUNK)]
_FOLDED_COLUMNS = ("company", "last_name")
_FOLD_VIEW_NAMES = [f"customer_fold_{n}" for n in range(len(_FOLD_CHUNKS) + 1)]
_FOLD_VIEW = _FOLD_VIEW_NAMES[-1]


def _fold_views() -> list[str]:
    views = [
        "CREATE VIEW customer_fold_0 AS SELECT id, company, last_name, "
        "(company || last_name) GLOB '*[^ -~]*' AS wide FROM customers"
    ]
    for number, chunk in enumerate(_FOLD_CHUNKS, start=1):
        columns = []
        for column in _FOLDED_COLUMNS:
            chain = column
            for src, dst in chunk:
                chain = f"replace({chain}, '{src}', '{dst}')"
            columns.append(f"CASE WHEN wide THEN {chain} ELSE {column} END AS {column}")
        views.append(
            f"CREATE VIEW customer_fold_{number} AS SELECT id, {', '.join(columns)}, wide "
            f"FROM customer_fold_{number - 1}"
        )
    return views


_SEARCH_COLUMNS = "rowid, name, alias, company, phones, emails"

_DDL = [
    *_fold_views(),
    "CREATE VIRTUAL TABLE customer_search USING fts5("
    "name, alias, company, phones, emails, tokenize = 'trigram case_sensitive 0')",
    "CREATE TABLE customer_name_keys ("
    "key TEXT NOT NULL, customer_id INTEGER NOT NULL, "
    "PRIMARY KEY (key, customer_id)) WITHOUT ROWID",
    f"""CREATE VIEW customer_search_source AS
SELECT c.id AS id,
       c.name_folded AS name,
       coalesce(c.alias_folded, '') AS alias,
       lower(f.company) AS company,
       coalesce((SELECT group_concat(p.digits, ' ') FROM customer_phones AS p
                 WHERE p.customer_id = c.id), '') AS phones,
       coalesce((SELECT group_concat(e.normalised, ' ') FROM customer_emails AS e
                 WHERE e.customer_id = c.id), '') AS emails
FROM customers AS c JOIN {_FOLD_VIEW} AS f ON f.id = c.id""",
    f"""CREATE VIEW customer_name_key_source AS
SELECT c.name_folded AS key, c.id AS customer_id FROM customers AS c
WHERE c.name_folded != ''
UNION ALL
SELECT c.alias_folded, c.id FROM customers AS c
WHERE c.alias_folded IS NOT NULL AND c.alias_folded != ''
UNION ALL
SELECT lower(f.last_name), f.id FROM {_FOLD_VIEW} AS f
WHERE f.last_name != ''""",
]


def _index_customer(customer_id: str) -> str:
    return f"""
    INSERT INTO customer_search({_SEARCH_COLUMNS})
    SELECT id, name, alias, company, phones, emails FROM customer_search_source
    WHERE id = {customer_id};"""


def _unindex_customer(customer_id: str) -> str:
    return f"\n    DELETE FROM customer_search WHERE rowid = {customer_id};"


def _refresh(customer_id: str) -> str:
    return _unindex_customer(customer_id) + _index_customer(customer_id)


def _add_keys(customer_id: str) -> str:
    return f"""
    INSERT OR IGNORE INTO customer_name_keys(key, customer_id)
    SELECT key, customer_id FROM customer_name_key_source WHERE customer_id = {customer_id};"""


def _drop_keys(customer_id: str) -> str:
    # Run from BEFORE triggers: the view still shows the old values.
    return f"""
    DELETE FROM customer_name_keys WHERE customer_id = {customer_id} AND key IN (
        SELECT key FROM customer_name_key_source WHERE customer_id = {customer_id});"""


_NAME_COLUMNS = "name_folded, alias_folded, company, last_name"

TRIGGERS: dict[str, str] = {
    "customer_search_ai": f"AFTER INSERT ON customers BEGIN"
    f"{_index_customer('NEW.id')}{_add_keys('NEW.id')}\nEND",
    "customer_search_bu": f"BEFORE UPDATE OF {_NAME_COLUMNS} ON customers BEGIN"
    f"{_drop_keys('OLD.id')}\nEND",
    "customer_search_au": f"AFTER UPDATE OF {_NAME_COLUMNS} ON customers BEGIN"
    f"{_unindex_customer('OLD.id')}{_index_customer('NEW.id')}{_add_keys('NEW.id')}\nEND",
    "customer_search_bd": f"BEFORE DELETE ON customers BEGIN{_drop_keys('OLD.id')}\nEND",
    "customer_search_ad": f"AFTER DELETE ON customers BEGIN{_unindex_customer('OLD.id')}\nEND",
    "customer_phones_search_ai": f"AFTER INSERT ON customer_phones BEGIN"
    f"{_refresh('NEW.customer_id')}\nEND",
    "customer_phones_search_au": f"AFTER UPDATE OF digits, customer_id ON customer_phones BEGIN"
    f"{_refresh('OLD.customer_id')}{_refresh('NEW.customer_id')}\nEND",
    "customer_phones_search_ad": f"AFTER DELETE ON customer_phones BEGIN"
    f"{_refresh('OLD.customer_id')}\nEND",
    "customer_emails_search_ai": f"AFTER INSERT ON customer_emails BEGIN"
    f"{_refresh('NEW.customer_id')}\nEND",
    "customer_emails_search_au": f"AFTER UPDATE OF normalised, customer_id ON customer_emails "
    f"BEGIN{_refresh('OLD.customer_id')}{_refresh('NEW.customer_id')}\nEND",
    "customer_emails_search_ad": f"AFTER DELETE ON customer_emails BEGIN"
    f"{_refresh('OLD.customer_id')}\nEND",
}

_BACKFILL = [
    f"INSERT INTO customer_search({_SEARCH_COLUMNS}) "
    "SELECT id, name, alias, company, phones, emails FROM customer_search_source ORDER BY id",
    "INSERT OR IGNORE INTO customer_name_keys(key, customer_id) "
    "SELECT key, customer_id FROM customer_name_key_source",
    "INSERT INTO customer_search(customer_search) VALUES ('optimize')",
]


def upgrade() -> None:
    for statement in _DDL:
        op.execute(statement)
    for statement in _BACKFILL:
        op.execute(statement)
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP VIEW IF EXISTS customer_name_key_source")
    op.execute("DROP VIEW IF EXISTS customer_search_source")
    for view in reversed(_FOLD_VIEW_NAMES):
        op.execute(f"DROP VIEW IF EXISTS {view}")
    op.execute("DROP TABLE IF EXISTS customer_name_keys")
    op.execute("DROP TABLE IF EXISTS customer_search")
