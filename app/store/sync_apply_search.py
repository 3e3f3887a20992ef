"""The directory's search index for customers written in bulk (migration 0002 describes it).

Customers a snapshot or pull brings are inserted thousands at a time. The index's insert
triggers would run its source views once per row (about 15 ms each: the views' fold
chains make a large trigger program, set up again for every row even when it does
little). Instead, inside the writing transaction, the three insert triggers are dropped,
the rows the views would give are written here from the values already in hand, and
the triggers are created again before the transaction commits. SQLite's schema changes
are transactional, so no other connection ever sees the store without them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

_INSERT_TRIGGERS = ("customer_search_ai", "customer_phones_search_ai", "customer_emails_search_ai")


def _fold_char(ch: str) -> str:
    decomposed = unicodedata.normalize("NFKD", ch)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# What the fold views of migration 0002 replace (the letters European names use), then
# SQLite's lower(), which folds ASCII letters only.
_VIEW_FOLD = {
    cp: _fold_char(chr(cp))
    for cp in [*range(0xC0, 0x180), *range(0x218, 0x21C)]
    if chr(cp).isalpha() and _fold_char(chr(cp)) != chr(cp)
}
_VIEW_FOLD.update({cp: chr(cp + 32) for cp in range(ord("A"), ord("Z") + 1)})


def view_fold(text: str) -> str:
    """``lower(fold-view(text))``: what the index holds for a company or last name."""
    return text.lower() if text.isascii() else text.translate(_VIEW_FOLD)


@contextmanager
def bulk_indexing(conn: Connection) -> Iterator[None]:
    """Within the block, inserted customers, phones and e-mails are not indexed by the
    triggers: the caller writes their index rows (:class:`SearchRows`). The caller's
    transaction must commit or roll back the block whole."""
    marks = ", ".join("?" for _ in _INSERT_TRIGGERS)
    saved = conn.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})",
        _INSERT_TRIGGERS,
    ).all()
    for name, _ in saved:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    try:
        yield
    finally:
        for _, sql in saved:
            conn.exec_driver_sql(sql)


class SearchRows:
    """The index rows of customers being inserted, as the source views would give them."""

    def __init__(self) -> None:
        self.documents: list[tuple[int, str, str, str, str, str]] = []
        self.keys: list[tuple[str, int]] = []

    def add(
        self,
        customer_id: int,
        name_folded: str,
        alias_folded: str | None,
        company: str,
        last_name: str,
        phone_digits: Iterable[str],
        emails_normalised: Iterable[str],
    ) -> None:
        self.documents.append(
            (
                customer_id,
                name_folded,
                alias_folded or "",
                view_fold(company),
                " ".join(phone_digits),
                " ".join(emails_normalised),
            )
        )
        if name_folded:
            self.keys.append((name_folded, customer_id))
        if alias_folded:
            self.keys.append((alias_folded, customer_id))
        if last_name:
            self.keys.append((view_fold(last_name), customer_id))

    def write(self, conn: Connection) -> None:
        if self.documents:
            conn.exec_driver_sql(
                "INSERT INTO customer_search(rowid, name, alias, company, phones, emails) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                self.documents,
            )
        if self.keys:
            conn.exec_driver_sql(
                "INSERT OR IGNORE INTO customer_name_keys(key, customer_id) VALUES (?, ?)",
                self.keys,
            )
