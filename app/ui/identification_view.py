"""What the identification strip shows for a swipe, tap, scan or ring, and what it offers.

Pure: a resolved device event in, a ``StripView`` out, so every outcome is decided and
tested without widgets. The strip then hides any offer the signed-in person may not use.
A bank card only ever appears by its masked number (at most the first 6 and last 4).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.devices.events import DeviceRejected, IdentificationEvent
from app.devices.interpreters import PAN_HASH_PREFIX
from app.devices.resolution import CallIdentified, Identified, Resolved
from app.services.cards import SwipedCard
from app.services.customer_form import CustomerForm, PhoneEntry
from app.services.dto import CustomerCard
from app.services.identification import Caller, ImpersonalCard, Recognised, Refused, Unknown
from app.ui.formatting import DisplayFormats

BANK_CARD_LABEL = "Bank card"  # the label of a card enrolled by its keyed hash: no digits
_ALERT_KINDS = ("allergy", "intolerance")  # diets are preferences, not dangers


@dataclass(frozen=True, slots=True)
class CardOffer:
    """A card nobody holds, as the strip offers it for enrolment or a signup."""

    card: SwipedCard
    shown: str  # how the screen may show it: a bank card by its masked number only


@dataclass(frozen=True, slots=True)
class SignupOffer:
    """A new customer to create from what was just read: a card, or a caller's number."""

    form: CustomerForm
    card: CardOffer | None = None


@dataclass(frozen=True, slots=True)
class StripView:
    headline: str
    style: str  # "ok", "warn" or "stop"
    details: str = ""
    alert: str = ""  # allergies and intolerances, shown so that nobody can miss them
    warning: str = ""  # an inactive customer
    face: str | None = None  # the name to show a photo or initials for; None: no face
    customer_id: int | None = None  # "View" opens this customer's record
    has_photo: bool = False
    enrol: CardOffer | None = None  # "Enrol to a customer…"
    signup: SignupOffer | None = None  # "Create customer…"
    search: str = ""  # several customers share the number: "Show in directory"


def strip_view(resolved: Resolved, formats: DisplayFormats) -> StripView | None:
    """What the strip shows for ``resolved``; None for what it does not show (statuses)."""
    if isinstance(resolved, Identified):
        return _identified(resolved, formats)
    if isinstance(resolved, CallIdentified):
        return _call(resolved, formats)
    if isinstance(resolved, DeviceRejected):
        return StripView(f"{resolved.device}: {resolved.reason}", "warn")
    return None


def alert_text(card: CustomerCard) -> str:
    """``⚠ Allergy: peanuts (anaphylactic) · Intolerance: lactose``, or empty."""
    parts = [
        f"{r.kind.capitalize()}: {r.name}" + (f" ({r.severity})" if r.severity else "")
        for r in card.restrictions
        if r.kind in _ALERT_KINDS
    ]
    return "⚠ " + " · ".join(parts) if parts else ""


def customer_details(card: CustomerCard, category: str | None, formats: DisplayFormats) -> str:
    """Status, category, diets, last visit, then tier, balances and open tabs, in one line."""
    parts = [card.status.value.capitalize(), category or "No category"]
    diets = [r.name for r in card.restrictions if r.kind not in _ALERT_KINDS]
    if diets:
        parts.append("Diet: " + ", ".join(diets))
    last = formats.local_time(card.last_visit_at)
    parts.append(f"Last visit {last}" if last else "First visit")
    return " · ".join(parts + account_parts(card, formats))


def account_parts(card: CustomerCard, formats: DisplayFormats) -> list[str]:
    """Tier, balances and open tabs, each only when there is something to say."""
    parts = [f"{card.tier} tier"] if card.tier else []
    if card.points:
        parts.append(f"{card.points:,} points")
    if card.purse_minor:
        parts.append(f"Purse {formats.money(card.purse_minor)}")
    tabs = [
        f"{tab.number}" + (f" (table {tab.table})" if tab.table else "") for tab in card.open_tabs
    ]
    if tabs:
        parts.append(("Open tab " if len(tabs) == 1 else "Open tabs ") + ", ".join(tabs))
    return parts


def card_shown(event: IdentificationEvent, value: str) -> str:
    """The card as the screen may show it; a bank card's keyed hash is never shown."""
    if event.masked:
        return event.masked
    return "(bank card)" if value.startswith(PAN_HASH_PREFIX) else value


def _customer(
    card: CustomerCard, headline: str, category: str | None, formats: DisplayFormats
) -> StripView:
    return StripView(
        headline=headline,
        style="ok",
        details=customer_details(card, category, formats),
        alert=alert_text(card),
        face=card.full_name,
        customer_id=card.customer_id,
        has_photo=card.has_photo,
    )


def _identified(resolved: Identified, formats: DisplayFormats) -> StripView:
    outcome, event = resolved.outcome, resolved.event
    if isinstance(outcome, Recognised):
        card = outcome.card
        category = outcome.category.name if outcome.category else card.promotion_category
        name = card.full_name + (f" (@{card.alias})" if card.alias else "")
        view = _customer(card, name, category, formats)
        if event.masked:
            view = replace(view, details=f"{view.details} · bank card {event.masked}")
        if outcome.warning:
            view = replace(view, warning=outcome.warning, style="warn")
        return view
    if isinstance(outcome, ImpersonalCard):
        limit = outcome.category.tab_limit_minor
        details = f"Tab limit {formats.money(limit)}" if limit is not None else ""
        return StripView(f"{outcome.category.name} card (no customer)", "ok", details)
    if isinstance(outcome, Refused):
        return StripView(outcome.reason, "stop")
    assert isinstance(outcome, Unknown)
    shown = card_shown(event, outcome.value)
    label = BANK_CARD_LABEL if outcome.value.startswith(PAN_HASH_PREFIX) else ""
    offer = CardOffer(SwipedCard(outcome.kind, outcome.value, label), shown)
    return StripView(
        f"Unknown {outcome.kind.label.lower()} {shown}",
        "warn",
        "Nobody holds this card yet: enrol it on a customer, or sign a new customer up with it.",
        enrol=offer,
        signup=SignupOffer(CustomerForm(), offer),
    )


def _call(resolved: CallIdentified, formats: DisplayFormats) -> StripView:
    caller: Caller = resolved.caller
    line = f" on line {resolved.event.line}" if resolved.event.line else ""
    lead = f"☎ {caller.shown_as}{line}"
    if len(caller.customers) == 1:
        card = caller.customers[0]
        return _customer(card, f"{lead}: {card.full_name}", card.promotion_category, formats)
    if caller.customers:
        names = ", ".join(c.full_name for c in caller.customers)
        return StripView(
            f"{lead}: {names}",
            "ok",
            f"{len(caller.customers)} customers share this number.",
            search=caller.number or "",
        )
    who = caller.line_name or resolved.event.name or "not a regular"
    if caller.number is None:
        return StripView(f"{lead}: {who}", "warn")
    form = CustomerForm(phones=(PhoneEntry(caller.shown_as, primary=True),))
    return StripView(f"{lead}: {who}", "warn", signup=SignupOffer(form))
