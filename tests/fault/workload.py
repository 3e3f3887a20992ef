"""A terminal's seeded random workload, through the real services.

Each step draws from a generator seeded by ``(seed, step)``, so a restarted agent goes
on with the same steps it would have taken. Some customers are *shared*: every terminal
of a run can sign up the same person (same name, same phone), which head office must
merge into one. A step the services refuse (a purse that does not hold enough, a card
already taken, a customer merged away meanwhile) is just a step with no operations.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine

from app.domain.customers import PhoneKind
from app.domain.errors import DomainError
from app.domain.identifiers import IdentifierKind
from app.domain.ledger import AccountKind
from app.domain.payments import Tender
from app.domain.staff import Actor
from app.domain.tab_parts import IdentifiedBy
from app.services.accounts import AccountService
from app.services.checkout import CheckoutService
from app.services.customer_form import AttributeEntry, CustomerForm, EmailEntry, PhoneEntry
from app.services.directory import DirectoryService
from app.services.identifiers import CardRequest, IdentifierService
from app.services.tabs import TabService
from tests.fault import store_reads

FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim")
LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson")
COMPANIES = ("", "Analytical Engines", "Compilers Ltd", "Bletchley Bakes", "Mesh Networks")
TITLES = ("", "Dr", "Prof", "Ms", "Mr")
SHARED_PEOPLE = 6
SHARED_DIGIT = 9  # terminals are 0-8; the shared people's phones carry 9 in that place

WEIGHTS: Mapping[str, float] = {
    "create_customer": 3.0,
    "create_shared_customer": 1.5,
    "edit_customer": 3.0,
    "add_note": 2.0,
    "issue_card": 1.2,
    "guest_tab": 4.0,
    "top_up": 1.5,
    "adjust_points": 1.0,
    "withdraw": 0.5,
}


T = TypeVar("T")
Runner = Callable[..., Any]  # runs ``use_case(*args, **kwargs)``, e.g. on the store thread


def _direct(use_case: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return use_case(*args, **kwargs)


class TerminalServices(Protocol):
    """What the workload needs of a running terminal (the headless terminal has it)."""

    @property
    def engine(self) -> Engine: ...
    @property
    def directory(self) -> DirectoryService: ...
    @property
    def identifiers(self) -> IdentifierService: ...
    @property
    def tabs(self) -> TabService: ...
    @property
    def checkout(self) -> CheckoutService: ...
    @property
    def accounts(self) -> AccountService: ...


def phone(terminal_digit: int, number: int, rng: random.Random | None = None) -> str:
    """A valid UK mobile number unique to (terminal, number)."""
    prefix = "45789"[number % 5] if rng is None else rng.choice("45789")
    return f"+447{prefix}{terminal_digit}{number:07d}"


def shared_person(run_seed: int, index: int) -> tuple[str, str, str]:
    """(first name, last name, phone) of shared person ``index`` of a run."""
    rng = random.Random(f"shared:{run_seed}:{index}")
    return rng.choice(FIRST), rng.choice(LAST), phone(SHARED_DIGIT, index + run_seed % 1000)


@dataclass(frozen=True, slots=True)
class StepOutcome:
    action: str
    facts: Mapping[str, Any]


class Workload:
    """Steps of one terminal; :meth:`step` runs one and says what it did."""

    def __init__(
        self,
        services: TerminalServices,
        actor: Actor,
        *,
        seed: int,
        run_seed: int,
        terminal_index: int,
        run: Runner = _direct,
    ) -> None:
        if not 0 <= terminal_index < SHARED_DIGIT:
            raise ValueError(f"a campaign runs at most {SHARED_DIGIT} terminals")
        self._s = services
        self._run = run
        self._actor = actor
        self._seed = seed
        self._run_seed = run_seed
        self._index = terminal_index
        self._actions: dict[str, Callable[[random.Random, int], dict[str, Any]]] = {
            "create_customer": self._create_customer,
            "create_shared_customer": self._create_shared_customer,
            "edit_customer": self._edit_customer,
            "add_note": self._add_note,
            "issue_card": self._issue_card,
            "guest_tab": self._guest_tab,
            "top_up": self._top_up,
            "adjust_points": self._adjust_points,
            "withdraw": self._withdraw,
        }

    def step(self, number: int) -> StepOutcome:
        rng = random.Random(f"{self._seed}:{number}")
        names = list(WEIGHTS)
        action = rng.choices(names, weights=[WEIGHTS[n] for n in names])[0]
        try:
            facts = self._actions[action](rng, number)
        except DomainError as refused:  # the services said no: nothing was written
            return StepOutcome(action, {"refused": str(refused)[:200]})
        return StepOutcome(action, facts)

    # --- the directory --------------------------------------------------------------

    def _create_customer(self, rng: random.Random, number: int) -> dict[str, Any]:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        return self._create(first, last, phone(self._index, number, rng))

    def _create_shared_customer(self, rng: random.Random, number: int) -> dict[str, Any]:
        first, last, number_e164 = shared_person(self._run_seed, rng.randrange(SHARED_PEOPLE))
        return self._create(first, last, number_e164)

    def _create(self, first: str, last: str, e164: str) -> dict[str, Any]:
        form = CustomerForm(
            first_name=first,
            last_name=last,
            phones=(PhoneEntry(e164, PhoneKind.MOBILE, primary=True),),
        )
        saved = self._run(self._s.directory.create, self._actor, form)
        return {"customer_uuid": saved.record.uuid, "name": f"{first} {last}", "phone": e164}

    def _customer(self, rng: random.Random) -> int | None:
        customers = store_reads.live_customers(self._s.engine)
        return rng.choice(customers) if customers else None

    def _edit_customer(self, rng: random.Random, number: int) -> dict[str, Any]:
        customer_id = self._customer(rng)
        if customer_id is None:
            return {"skipped": "no customer yet"}
        record = self._run(self._s.directory.open_record, self._actor, customer_id)
        form = record.form
        tag = f"t{self._index}s{number}"
        changes: dict[str, Any] = {}
        for name in rng.sample(("company", "title", "dob", "email", "attribute", "alias"), 2):
            match name:
                case "company":
                    changes["company"] = rng.choice(COMPANIES)
                case "title":
                    changes["title"] = rng.choice(TITLES)
                case "dob":
                    changes["date_of_birth"] = date(
                        1950 + rng.randrange(50), 1 + rng.randrange(12), 1 + rng.randrange(28)
                    )
                case "email":
                    changes["emails"] = (EmailEntry(f"{tag}@example.com", primary=True),)
                case "attribute":
                    changes["attributes"] = (AttributeEntry("table", rng.choice("ABCDEF")),)
                case "alias":
                    changes["alias"] = tag
        self._run(self._s.directory.edit, self._actor, customer_id, replace(form, **changes))
        return {"customer_uuid": record.uuid, "fields": sorted(changes)}

    def _add_note(self, rng: random.Random, number: int) -> dict[str, Any]:
        customer_id = self._customer(rng)
        if customer_id is None:
            return {"skipped": "no customer yet"}
        text = f"note {number} from terminal {self._index}"
        saved = self._run(self._s.directory.add_note, self._actor, customer_id, text)
        return {"customer_uuid": saved.record.uuid}

    def _issue_card(self, rng: random.Random, number: int) -> dict[str, Any]:
        customer_id = self._customer(rng)
        if customer_id is None:
            return {"skipped": "no customer yet"}
        value = f"{self._index:02X}{number:06X}{rng.randrange(256):02X}"
        request = CardRequest(IdentifierKind.SMART_CARD, value, customer_id=customer_id)
        view = self._run(self._s.identifiers.issue, self._actor, request)
        return {"identifier_uuid": view.uuid, "value": view.value}

    # --- tabs and accounts ---------------------------------------------------------

    def _guest_tab(self, rng: random.Random, number: int) -> dict[str, Any]:
        items = store_reads.menu_items(self._s.engine)
        tables = store_reads.dining_tables(self._s.engine)
        if not items or not tables:
            return {"skipped": "no menu or floor from head office yet"}
        customer_id = self._customer(rng) if rng.random() < 0.8 else None
        tab = self._run(
            self._s.tabs.open,
            self._actor,
            table_id=rng.choice(tables),
            guests=1 + rng.randrange(4),
            customer_id=customer_id,
            identified_by=IdentifiedBy.NONE if customer_id is None else IdentifiedBy.SEARCH,
        )
        for _ in range(1 + rng.randrange(4)):
            item, quantity = rng.choice(items), 1 + rng.randrange(3)
            self._run(self._s.tabs.add_item, self._actor, tab.uuid, item, quantity)
        view = self._run(self._s.tabs.send_order, self._actor, tab.uuid)
        tenders = self._tenders(rng, customer_id, view.due_minor)
        pay_and_close = self._s.checkout.pay_and_close
        try:
            closed = self._run(pay_and_close, self._actor, tab.uuid, tenders)
        except DomainError:  # points or purse refused (the offline cap, say): pay cash
            tenders = [Tender.in_cash(view.due_minor)]
            closed = self._run(pay_and_close, self._actor, tab.uuid, tenders)
        return {"tab_uuid": closed.uuid, "total_minor": closed.total_minor}

    def _tenders(self, rng: random.Random, customer_id: int | None, due: int) -> list[Tender]:
        tenders: list[Tender] = []
        if customer_id is not None:
            summary = self._run(self._s.accounts.summary, self._actor, customer_id)
            if summary.points > 0 and summary.points_value_minor > 0 and rng.random() < 0.5:
                # at most the points that cover what is due, whole points at the venue's rate
                worth = min(due, summary.points_value_minor)
                most = max(1, worth * summary.points // summary.points_value_minor)
                points = rng.randint(1, min(most, summary.points))
                tenders.append(Tender.in_points(points))
                due = max(0, due - points * summary.points_value_minor // summary.points)
            if summary.purse_minor > 0 and due > 0 and rng.random() < 0.5:
                spend = min(due, rng.randint(1, summary.purse_minor))
                tenders.append(Tender.from_purse(spend))
                due -= spend
        tenders.append(Tender.in_cash(due + rng.randrange(500)))
        return tenders

    def _top_up(self, rng: random.Random, number: int) -> dict[str, Any]:
        customer_id = self._customer(rng)
        if customer_id is None:
            return {"skipped": "no customer yet"}
        amount = 100 * rng.randint(1, 50)
        change = self._run(self._s.accounts.top_up, self._actor, customer_id, amount)
        return {"change": repr(change)[:200]}

    def _adjust_points(self, rng: random.Random, number: int) -> dict[str, Any]:
        customer_id = self._customer(rng)
        if customer_id is None:
            return {"skipped": "no customer yet"}
        amount = rng.choice((-1, 1)) * rng.randint(1, 200)
        adjust = self._s.accounts.adjust
        self._run(adjust, self._actor, customer_id, AccountKind.POINTS, amount, "fault campaign")
        return {"amount": amount}

    def _withdraw(self, rng: random.Random, number: int) -> dict[str, Any]:
        customer_id = self._customer(rng)
        if customer_id is None:
            return {"skipped": "no customer yet"}
        summary = self._run(self._s.accounts.summary, self._actor, customer_id)
        if summary.purse_minor <= 0:
            return {"skipped": "empty purse"}
        amount = rng.randint(1, summary.purse_minor)
        self._run(self._s.accounts.withdraw, self._actor, customer_id, amount, "fault campaign")
        return {"amount": amount}
