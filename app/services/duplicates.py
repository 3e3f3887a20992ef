"""Finding customers entered twice: same phone, same e-mail, or a name close enough."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from app.domain.customers import Customer
from app.domain.errors import NotFoundError
from app.domain.staff import Actor, Permission
from app.domain.text import fold
from app.services.audit import require
from app.services.dto import DirectoryQuery
from app.services.ports import UnitOfWork, UnitOfWorkFactory

SAME_PHONE = 0.9
SAME_EMAIL = 0.9
NAME_THRESHOLD = 0.85  # folded-name similarity from which a name alone is worth showing
NAME_WEIGHT = 0.7
NAME_CANDIDATES = 60


@dataclass(frozen=True, slots=True)
class DuplicateCandidate:
    customer_id: int
    full_name: str
    status: str
    score: float  # 0..1, higher is more likely the same person
    reasons: tuple[str, ...]


def name_similarity(a: str, b: str) -> float:
    """Similarity of two names, ignoring case, accents and word order."""
    left, right = fold(a).split(), fold(b).split()
    straight = SequenceMatcher(None, " ".join(left), " ".join(right)).ratio()
    ordered = SequenceMatcher(None, " ".join(sorted(left)), " ".join(sorted(right))).ratio()
    return max(straight, ordered)


def _combine(scores: list[float]) -> float:
    # Independent pieces of evidence: the chance that all of them are coincidences shrinks.
    remaining = 1.0
    for score in scores:
        remaining *= 1.0 - score
    return round(1.0 - remaining, 3)


class DuplicateFinder:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow = uow_factory

    def for_customer(self, actor: Actor, customer_id: int) -> list[DuplicateCandidate]:
        """Likely duplicates of one customer, best first."""
        require(actor, Permission.MERGE_CUSTOMERS)
        with self._uow() as uow:
            customer = uow.customers.get(customer_id)
            if customer is None:
                raise NotFoundError("That customer no longer exists; refresh the list.")
            return find_duplicates(uow, customer)


def find_duplicates(uow: UnitOfWork, customer: Customer) -> list[DuplicateCandidate]:
    evidence: dict[int, tuple[Customer, list[float], list[str]]] = {}

    def note(other: Customer, score: float, reason: str) -> None:
        if other.id == customer.id or other.merged_into_id is not None or other.id is None:
            return
        _, scores, reasons = evidence.setdefault(other.id, (other, [], []))
        scores.append(score)
        reasons.append(reason)

    for phone in customer.phones:
        for other in uow.customers.by_phone(phone.e164):
            note(other, SAME_PHONE, f"same phone {phone.e164}")
    for email in customer.emails:
        for other in uow.customers.by_email(email.normalised):
            note(other, SAME_EMAIL, f"same e-mail {email.normalised}")

    probe = customer.last_name or customer.full_name
    page = uow.directory.search(DirectoryQuery(text=probe, limit=NAME_CANDIDATES))
    for row in page.rows:
        similarity = name_similarity(customer.full_name, row.full_name)
        if similarity >= NAME_THRESHOLD:
            similar = uow.customers.get(row.id)
            if similar is not None:
                note(
                    similar, round(similarity * NAME_WEIGHT, 3), f"similar name ({similarity:.0%})"
                )

    found = [
        DuplicateCandidate(
            customer_id=other_id,
            full_name=other.full_name,
            status=other.status.value,
            score=_combine(scores),
            reasons=tuple(reasons),
        )
        for other_id, (other, scores, reasons) in evidence.items()
    ]
    return sorted(found, key=lambda c: (-c.score, c.full_name))
