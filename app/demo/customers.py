"""Demo customers as plain row tuples, ready for executemany.

Every value is what the store's own code would write: folded names, E.164 phones with
their digits, lower-cased emails, identifier values through normalise_identifier_value,
UTC instants as the store's ISO text and money in integer minor units. Customers' visit
figures (last visit, total spent, orders) are the sums of the visits generated with them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from app.demo.pools import Pools
from app.domain.customers import compose_full_name
from app.domain.identifiers import IdentifierKind, IdentifierStatus, normalise_identifier_value
from app.domain.ids import new_uuid7
from app.domain.text import fold

ISO = "%Y-%m-%dT%H:%M:%S.%fZ"
YEAR = 365 * 24 * 3600

Row = tuple[Any, ...]

COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": (
        "id",
        "uuid",
        "kind",
        "full_name",
        "name_folded",
        "first_name",
        "last_name",
        "title",
        "alias",
        "alias_folded",
        "company",
        "business_domain",
        "contact_person",
        "gender",
        "date_of_birth",
        "status",
        "status_reason",
        "promotion_category_id",
        "signup_source",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "last_visit_at",
        "total_spent_minor",
        "order_count",
    ),
    "customer_phones": ("customer_id", "e164", "digits", "kind", '"primary"'),
    "customer_emails": ("customer_id", "address", "normalised", '"primary"'),
    "customer_addresses": ("customer_id", "kind", "line1", "line2", "city", "postcode", "country"),
    "customer_preferences": ("customer_id", "text", "favourite_item_id"),
    "customer_restrictions": ("customer_id", "kind", "name", "severity", "note"),
    "customer_notes": ("customer_id", "text", "author", "created_at"),
    "customer_consents": ("customer_id", "channel", "granted", "recorded_at", "source"),
    "customer_attributes": ("customer_id", "key", "value"),
    "identifiers": (
        "id",
        "uuid",
        "kind",
        "value",
        "customer_id",
        "promotion_category_id",
        "status",
        "label",
        "issued_at",
        "expires_at",
        "replaces_id",
    ),
    "visits": (
        "uuid",
        "customer_id",
        "visited_at",
        "spent_minor",
        "order_count",
        "guests",
        "division_name",
    ),
}

_TITLES_F = ["Mrs", "Ms", "Miss", "Dr"]
_TITLES_M = ["Mr", "Dr"]
_DOMAINS = [
    "gmail.com",
    "outlook.com",
    "yahoo.co.uk",
    "icloud.com",
    "hotmail.co.uk",
    "btinternet.com",
]
_BUSINESS = ["catering", "law firm", "architects", "media", "consulting", "property", "finance"]
_PREFERENCES = [
    "Table by the window",
    "Negroni, stirred not shaken",
    "Quiet corner, away from the door",
    "Sparkling water on arrival",
    "Steak medium-rare",
    "Likes the terrace in summer",
    "Oat milk in coffee",
    "Birthday in June: bring a candle",
    "Prefers booth seating",
]
_RESTRICTIONS = [
    ("allergy", "peanuts", "anaphylactic"),
    ("allergy", "shellfish", "severe"),
    ("allergy", "tree nuts", "severe"),
    ("intolerance", "lactose", "mild"),
    ("intolerance", "gluten", "mild"),
    ("diet", "vegetarian", None),
    ("diet", "vegan", None),
    ("diet", "halal", None),
    ("diet", "low-salt", None),
    ("allergy", "sesame", "severe"),
]
_NOTES = [
    "Regular on Friday evenings",
    "Pays by company card",
    "Asked for the chef's table again",
    "Complained about wait time, comped dessert",
    "Knows the owner",
    "Tips generously",
    "Likes to be greeted by name",
    "Usually books for six",
]
_ATTRIBUTES = [("Hotel room", "{n}"), ("Locker", "L{n}"), ("Loyalty tier since", "20{y}")]
_STATUS = ["active"] * 85 + ["inactive"] * 10 + ["blocked"] * 5
_SOURCES = ["till", "till", "till", "web", "head_office", "import"]
_MAGNETIC, _SMART, _BARCODE = (
    IdentifierKind.MAGNETIC_CARD,
    IdentifierKind.SMART_CARD,
    IdentifierKind.BARCODE_CARD,
)


_EPOCH = datetime(1970, 1, 1)  # naive on purpose: only formatted, as UTC, below


def iso(seconds: float) -> str:
    """The store's UTC text for a Unix time: "2026-11-23T08:52:40.123456Z"."""
    return (_EPOCH + timedelta(seconds=seconds)).isoformat(timespec="microseconds") + "Z"


_fold = lru_cache(maxsize=65_536)(fold)


def fold_name(*parts: str) -> str:
    """fold() of the parts joined by spaces, from cached folds of each (pool) part."""
    return " ".join(_fold(p) for p in parts if p)


def ean13(twelve: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(twelve))
    return twelve + str((10 - total % 10) % 10)


def identifier_value(kind: IdentifierKind, serial: int, *, check: bool = True) -> str:
    """A unique card value per serial, in normal form: loyalty number, UID or EAN-13.

    The values are built canonical; ``check`` runs them through
    normalise_identifier_value too (the bulk build checks a sample, the tests all).
    """
    if kind is _MAGNETIC:
        value = f"6391{serial:012d}"  # a loyalty number, never a payment card's PAN
    elif kind is _SMART:
        if serial % 3:
            value = f"{(serial * 2654435761) % 2**32:08X}"  # 4-byte UID
        else:
            value = f"04{(serial * 0x9E3779B97F4A7C15) % 2**48:012X}"  # 7-byte NXP UID
    else:
        value = ean13(f"20{serial:010d}")
    if check and normalise_identifier_value(kind, value) != value:
        raise AssertionError(f"demo card value {value!r} is not in normal form")
    return value


@dataclass
class Batch:
    rows: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in COLUMNS})


@dataclass(frozen=True)
class Venue:
    divisions: list[str]  # names, which visits are drawn from
    menu: list[tuple[int, int]]  # (id, price) of the items favourites are drawn from
    staff: list[str]


CARDS_PER_CUSTOMER = 16  # identifier ids and serials reserved per customer (at most 10 used)


@dataclass(frozen=True)
class Plan:
    """Everything a batch needs, so batches can be made in any process, in any order."""

    seed: int
    pools: Pools
    venue: Venue
    now: float  # the demo's "now", as a Unix time
    first_customer_id: int
    first_identifier_id: int
    batch_size: int


def make_batch(plan: Plan, number: int, count: int) -> Batch:
    """Batch ``number``: the same plan and number always give the same rows."""
    factory = CustomerFactory(plan, random.Random(f"demo:{plan.seed}:{number}"))
    batch = Batch()
    first = plan.first_customer_id + number * plan.batch_size
    for cid in range(first, first + count):
        factory.customer(batch.rows, cid)
    return batch


class CustomerFactory:
    """Composes customers from the pools with one seeded ``random.Random``."""

    def __init__(self, plan: Plan, rng: random.Random) -> None:
        self.plan, self.rng, self.pools, self.venue = plan, rng, plan.pools, plan.venue
        self.now = plan.now
        self._serial = 0

    def impersonal_cards(self, count: int, first_serial: int) -> list[Row]:
        """Cards with no customer; app.demo.accounts gives them their labels and categories."""
        self._serial = first_serial
        return [self._card(None, None, self.now - YEAR, "active") for _ in range(count)]

    def _card(
        self,
        customer_id: int | None,
        category: int | None,
        issued: float,
        status: str,
        label: str = "",
        replaces: int | None = None,
    ) -> Row:
        serial = self._serial
        self._serial += 1
        ident = self.plan.first_identifier_id + serial
        kind = self.rng.choice((_MAGNETIC, _MAGNETIC, _SMART, _SMART, _BARCODE))
        expires = iso(issued + 2 * YEAR) if status == "expired" or self.rng.random() < 0.2 else None
        return (
            ident,
            new_uuid7(),
            kind.value,
            identifier_value(kind, ident, check=serial % 16 == 0),
            customer_id,
            category,
            status,
            label,
            iso(issued),
            expires,
            replaces,
        )

    def customer(self, out: dict[str, list[Row]], cid: int) -> None:
        rng, pools, now = self.rng, self.pools, self.now
        self._serial = (cid - self.plan.first_customer_id) * CARDS_PER_CUSTOMER
        created = now - rng.random() * 5 * YEAR
        individual = rng.random() < 0.9
        first = last = title = contact = domain = ""
        if individual:
            female = rng.random() < 0.5
            first = rng.choice(pools.female if female else pools.male)
            last = rng.choice(pools.last)
            if rng.random() < 0.2:
                title = rng.choice(_TITLES_F if female else _TITLES_M)
            full_name = compose_full_name(title, first, last)
            gender = "female" if female else "male"
            company = rng.choice(pools.companies) if rng.random() < 0.25 else ""
            local = (
                f"{_fold(first)}.{_fold(last)}"
                if rng.random() < 0.6
                else f"{_fold(first)[0]}{_fold(last)}"
            )
        else:
            company = full_name = rng.choice(pools.companies)
            gender, domain = "unspecified", rng.choice(_BUSINESS)
            contact = f"{rng.choice(pools.female + pools.male)} {rng.choice(pools.last)}"
            local = rng.choice(["bookings", "office", "accounts", "events"])
        local = "".join(ch for ch in local if ch.isascii() and (ch.isalnum() or ch == "."))
        alias = None
        if rng.random() < 0.3:
            alias = f"{_fold(first or full_name).split(' ')[0][:10]}{cid:x}"
        status = rng.choice(_STATUS)
        dob = f"{rng.randint(1945, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        # This draw once chose the customer's category (app.demo.accounts does now); it stays
        # so that a seed makes the same customers, and a store made before can be upgraded.
        rng.random()
        staff = rng.choice(self.venue.staff)

        for n in range(1 if rng.random() < 0.7 else 2):
            roll = rng.random()
            if n == 1 and roll < 0.35:
                e164, kind = f"+44203{cid:07d}", "working"  # unique per customer
            elif roll < 0.8:
                e164, kind = f"+447{rng.randint(100_000_000, 999_999_999)}", "mobile"
            else:
                e164, kind = f"+4420{rng.randint(30_000_000, 89_999_999)}", "personal"
            out["customer_phones"].append((cid, e164, e164[1:], kind, int(n == 0)))
        for n in range(1 if rng.random() < 0.75 else 2):
            number = str(rng.randint(1, 99)) if rng.random() < 0.4 else ""
            email = f"{local}{number}@{_DOMAINS[(cid + n) % len(_DOMAINS)]}"
            shown = email if rng.random() < 0.8 else email.capitalize()
            out["customer_emails"].append((cid, shown, email.lower(), int(n == 0)))
        if rng.random() < 0.6:
            out["customer_addresses"].append(
                (
                    cid,
                    rng.choice(["delivery", "billing"]),
                    f"{rng.randint(1, 240)} {rng.choice(pools.streets)}",
                    "",
                    rng.choice(pools.cities),
                    rng.choice(pools.postcodes),
                    "GB",
                )
            )
        if rng.random() < 0.4:
            item = rng.choice(self.venue.menu)[0] if rng.random() < 0.5 else None
            out["customer_preferences"].append((cid, rng.choice(_PREFERENCES), item))
        if rng.random() < 0.15:
            kind, name, severity = rng.choice(_RESTRICTIONS)
            out["customer_restrictions"].append((cid, kind, name, severity, ""))
        if rng.random() < 0.2:
            out["customer_notes"].append(
                (cid, rng.choice(_NOTES), staff, iso(created + rng.random() * (now - created)))
            )
        if rng.random() < 0.7:
            for channel in ("email", "sms"):
                out["customer_consents"].append(
                    (cid, channel, int(rng.random() < 0.6), iso(created), "paper form at the till")
                )
        if rng.random() < 0.1:
            key, value = rng.choice(_ATTRIBUTES)
            out["customer_attributes"].append(
                (cid, key, value.format(n=rng.randint(1, 400), y=rng.randint(15, 25)))
            )

        self._identifiers(out["identifiers"], cid, created)
        last_visit, spent, orders = self._visits(out["visits"], cid, created)
        out["customers"].append(
            (
                cid,
                new_uuid7(),
                "individual" if individual else "organisation",
                full_name,
                fold_name(title, first, last) if individual else _fold(full_name),
                first,
                last,
                title,
                alias,
                alias.lower() if alias else None,
                company,
                domain,
                contact,
                gender,
                dob if individual and rng.random() < 0.7 else None,
                status,
                "Unpaid tab" if status == "blocked" else "",
                None,  # promotion category: app.demo.accounts
                rng.choice(_SOURCES),
                iso(created),
                iso(created + rng.random() * (now - created)),
                staff,
                staff,
                last_visit,
                spent,
                orders,
            )
        )

    def _identifiers(self, out: list[Row], cid: int, created: float) -> None:
        rng = self.rng
        for _ in range(rng.choices((1, 2, 3, 4, 5), (10, 20, 40, 20, 10))[0]):
            issued = created + rng.random() * (self.now - created)
            roll = rng.random()
            if roll < 0.05:  # lost, and re-issued
                lost = self._card(cid, None, issued, "lost")
                out.append(lost)
                out.append(self._card(cid, None, issued, "active", replaces=lost[0]))
                continue
            status = (
                IdentifierStatus.ACTIVE
                if roll < 0.88
                else IdentifierStatus.EXPIRED
                if roll < 0.97
                else IdentifierStatus.BLOCKED
            )
            out.append(self._card(cid, None, issued, status.value))

    def _visits(self, out: list[Row], cid: int, created: float) -> tuple[str | None, int, int]:
        rng = self.rng
        count = rng.choices(range(9), (10, 15, 20, 18, 13, 9, 7, 5, 3))[0]
        moments = sorted(created + rng.random() * (self.now - created) for _ in range(count))
        spent_total = orders_total = 0
        for moment in moments:
            guests = rng.choices((1, 2, 3, 4, 5, 6), (20, 40, 15, 15, 5, 5))[0]
            orders = rng.randint(1, 4)
            spent = guests * rng.randint(1200, 4800)
            spent_total += spent
            orders_total += orders
            out.append(
                (
                    new_uuid7(),
                    cid,
                    iso(moment),
                    spent,
                    orders,
                    guests,
                    rng.choice(self.venue.divisions),
                )
            )
        return (iso(moments[-1]) if moments else None), spent_total, orders_total
