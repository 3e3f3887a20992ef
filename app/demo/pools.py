"""Pools of names, streets and companies the demo customers are drawn from.

Faker (a development dependency) fills the pools once per build, seeded, so a demo store
is reproducible; without Faker a small built-in pool is used. Customers are then composed
from the pools with ``random.Random``, which is what makes a million of them quick.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_LOCALES = ["en_GB", "en_GB", "en_GB", "en_IE", "fr_FR", "de_DE", "es_ES", "it_IT", "pl_PL"]

_FALLBACK_FEMALE = [
    "Emily",
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Sophie",
    "Chloé",
    "Zoë",
    "Grace",
    "Lily",
    "Hannah",
    "Charlotte",
    "Ella",
    "Lucy",
    "Mia",
    "Freya",
    "Agnieszka",
    "Inès",
    "Lena",
    "Sara",
]
_FALLBACK_MALE = [
    "Oliver",
    "George",
    "Harry",
    "Jack",
    "Noah",
    "Leo",
    "Oscar",
    "Arthur",
    "James",
    "Thomas",
    "William",
    "Henry",
    "Joshua",
    "Liam",
    "Mateusz",
    "José",
    "François",
    "Jürgen",
    "Luca",
    "Sam",
]
_FALLBACK_LAST = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "O'Brien",
    "Müller",
    "Dupont",
    "García",
    "Nowak",
    "Rossi",
    "Brontë",
    "Kowalski",
    "Lefèvre",
    "Schäfer",
]
_FALLBACK_STREETS = [
    "High Street",
    "Station Road",
    "Church Lane",
    "Victoria Road",
    "Green Lane",
    "Mill Lane",
    "Park Road",
    "London Road",
    "Kings Road",
    "Queen Street",
    "Manor Road",
    "The Crescent",
]
_FALLBACK_CITIES = ["London", "Croydon", "Richmond", "Islington", "Hackney", "Camden", "Ealing"]
_FALLBACK_COMPANIES = [
    "Acme Catering",
    "Northwind Traders",
    "Blue Fern Ltd",
    "Harper & Cole LLP",
    "Café Lumière",
    "Brightside Media",
    "Kestrel Logistics",
    "Oakwood Partners",
    "Städler GmbH",
    "Riverside Events",
]


@dataclass(frozen=True, slots=True)
class Pools:
    female: tuple[str, ...]
    male: tuple[str, ...]
    last: tuple[str, ...]
    streets: tuple[str, ...]
    cities: tuple[str, ...]
    postcodes: tuple[str, ...]
    companies: tuple[str, ...]


def _dedupe(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in values if v.strip()))


def build_pools(seed: int, size: int = 1500) -> Pools:
    """Pools for ``seed``: Faker when installed, otherwise the built-in lists."""
    try:
        from faker import Faker
    except ImportError:  # Faker is a development dependency; a till may not have it
        return _fallback_pools(seed)
    rng = random.Random(seed)
    fakers = []
    for number, locale in enumerate(dict.fromkeys(_LOCALES)):
        fake = Faker(locale)
        fake.seed_instance(seed * 100 + number)
        fakers.append((locale, fake))
    by_locale = dict(fakers)

    def pick() -> Faker:
        return by_locale[rng.choice(_LOCALES)]

    uk = by_locale["en_GB"]
    female = [pick().first_name_female() for _ in range(size)]
    male = [pick().first_name_male() for _ in range(size)]
    last = [pick().last_name() for _ in range(size * 2)]
    streets = [uk.street_name() for _ in range(size // 2)]
    cities = [uk.city() for _ in range(200)]
    postcodes = [uk.postcode() for _ in range(size)]
    companies = [pick().company() for _ in range(size // 2)]
    return Pools(
        female=_dedupe(female),
        male=_dedupe(male),
        last=_dedupe(last),
        streets=_dedupe(streets),
        cities=_dedupe(cities),
        postcodes=_dedupe(postcodes),
        companies=_dedupe(companies),
    )


def _fallback_pools(seed: int) -> Pools:
    rng = random.Random(seed)
    letters = "ABCDEFGHJKLMNPRSTUWXYZ"
    postcodes = [
        f"{rng.choice(['N', 'E', 'SE', 'SW', 'W', 'NW', 'EC'])}{rng.randint(1, 20)} "
        f"{rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
        for _ in range(300)
    ]
    return Pools(
        female=tuple(_FALLBACK_FEMALE),
        male=tuple(_FALLBACK_MALE),
        last=tuple(_FALLBACK_LAST),
        streets=tuple(_FALLBACK_STREETS),
        cities=tuple(_FALLBACK_CITIES),
        postcodes=_dedupe(postcodes),
        companies=tuple(_FALLBACK_COMPANIES),
    )
