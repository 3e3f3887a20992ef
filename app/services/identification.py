"""From a swipe, tap, scan or ring to what the till shows: who it is, and what applies."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from app.domain.customers import CustomerStatus
from app.domain.errors import ValidationError
from app.domain.identifiers import IdentifierKind, IdentifierStatus
from app.domain.loyalty import TierLadder
from app.domain.staff import Actor, Permission
from app.services.audit import require
from app.services.contacts import display_phone, normalise_phone
from app.services.directory import Clock, VenueSettings, utc_clock
from app.services.dto import CategoryCard, CustomerCard, IdentifierHit
from app.services.ports import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class Recognised:
    """A personal card of a known customer; ``warning`` is set for an inactive one."""

    card: CustomerCard
    category: CategoryCard | None  # the card's own category, else the customer's
    warning: str = ""


@dataclass(frozen=True, slots=True)
class ImpersonalCard:
    category: CategoryCard


@dataclass(frozen=True, slots=True)
class Refused:
    """A lost, blocked or expired card, or a blocked customer: do not serve on it."""

    reason: str


@dataclass(frozen=True, slots=True)
class Unknown:
    """Nobody holds this value: offer to enrol it on a customer, or to create one."""

    kind: IdentifierKind
    value: str
    may_enrol: bool  # the signed-in person may attach cards (a manager)


Identification = Recognised | ImpersonalCard | Refused | Unknown


@dataclass(frozen=True, slots=True)
class Caller:
    """An incoming call: the number as shown, and every customer with that number."""

    number: str | None  # E.164 when it could be read
    shown_as: str  # "+44 20 7946 0000", or "Withheld"
    line_name: str | None  # the name the network sent
    customers: tuple[CustomerCard, ...]


class IdentificationService:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        venue: VenueSettings,
        clock: Clock = utc_clock,
        *,
        tiers: TierLadder | None = None,
    ) -> None:
        self._uow = uow_factory
        self._venue = venue
        self._clock = clock
        self._tiers = tiers or TierLadder()  # the venue's, as in TabSettings.tiers

    def identify(self, actor: Actor, kind: IdentifierKind, value: str) -> Identification:
        """Resolve an already normalised identifier value (as device parsers deliver it)."""
        require(actor, Permission.VIEW_DIRECTORY)
        with self._uow() as uow:
            hit = uow.identifiers.lookup(kind, value)
            if hit is None:
                return Unknown(kind, value, actor.may(Permission.MANAGE_IDENTIFIERS))
            refusal = _card_refusal(hit, self._clock())
            if refusal:
                return Refused(refusal)
            category = None
            if hit.promotion_category_id is not None:
                category = uow.identification.category(hit.promotion_category_id)
            if hit.customer_id is None:
                if category is None:
                    return Refused("This card has no customer and no promotion category.")
                return ImpersonalCard(category)
            found = uow.identification.customer_card(hit.customer_id)
            if found is None:
                return Unknown(kind, value, actor.may(Permission.MANAGE_IDENTIFIERS))
        card = self._with_tier(found)
        if card.status is CustomerStatus.BLOCKED:
            return Refused(
                f"{card.full_name} is blocked: {card.status_reason or 'no reason given'}."
            )
        warning = ""
        if card.status is CustomerStatus.INACTIVE:
            warning = f"{card.full_name} is inactive" + (
                f": {card.status_reason}." if card.status_reason else "."
            )
        return Recognised(card, category, warning)

    def caller(self, actor: Actor, raw_number: str | None, line_name: str | None) -> Caller:
        """Who is calling: every customer with this number among any of their phones."""
        require(actor, Permission.VIEW_DIRECTORY)
        if not raw_number:
            return Caller(None, "Withheld", line_name, ())
        try:
            phone = normalise_phone(raw_number, self._venue.default_region)
        except ValidationError:
            return Caller(None, raw_number, line_name, ())
        with self._uow() as uow:
            cards = uow.identification.cards_by_phone(phone.e164)
        return Caller(
            phone.e164,
            display_phone(phone.e164),
            line_name,
            tuple(self._with_tier(card) for card in cards),
        )

    def _with_tier(self, card: CustomerCard) -> CustomerCard:
        return replace(card, tier=self._tiers.tier_for(card.lifetime_points).name)


def _card_refusal(hit: IdentifierHit, now: datetime) -> str:
    label = hit.kind.label
    if hit.status is IdentifierStatus.LOST:
        return f"{label} reported lost. Keep it and ask a manager; it may be someone else's."
    if hit.status is IdentifierStatus.BLOCKED:
        return f"{label} is blocked. Ask a manager."
    if hit.status is IdentifierStatus.EXPIRED or (hit.expires_at and hit.expires_at <= now):
        return f"{label} has expired. A manager can issue a new one."
    return ""
