"""The sync protocol as a Hypothesis state machine, in one process.

Head office is its real app and data core on a SQLite file; three terminals are real
stores driven by the real SyncEngine and HeadOfficeClient, through a transport that can
lose a push's answer after head office committed, send a push twice, fail a pull, or cut
a snapshot between pages. Rules: local writes (the campaign's workload, the same regular
signed up on several terminals, notes), sync cycles with those faults, a restart, a
snapshot from scratch, clock skew, time passing, a head-office manager's edit.
Invariants: head office has each operation at most once and balances that are the sum
of what it applied; after a full sync, every terminal's directory, catalogue and
balances equal head office's (tests.fault.checks).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from app.domain.errors import DomainError
from app.services.customer_form import CustomerForm, PhoneEntry
from tests.fault import store_reads
from tests.fault.agent_terminal import AGENT_ACTOR
from tests.fault.checks import Finding, check_balances, check_operations, check_terminal
from tests.fault.ho_view import doubled_at_head_office, read_head_office
from tests.fault.protocol_world import InProcessHeadOffice, SimTerminal, WorldTime, open_terminal
from tests.fault.terminal_view import read_terminal
from tests.fault.workload import shared_person

TERMINALS = 3
SETTLE_ROUNDS = 6
FAULTS = {
    "none": None,
    "lose_push_answer": ("lose_answer", "/v1/push", 0),
    "duplicate_push": ("duplicate", "/v1/push", 0),
    "fail_pull": ("fail", "/v1/pull", 0),
    "lose_pull_answer": ("lose_answer", "/v1/pull", 0),
    "cut_snapshot": ("fail", "/v1/snapshot", 1),
}
# Stores and head office's file live in memory when the machine has a tmpfs: the machine
# tests the protocol, not the disk, and fsyncs on a shared disk dominate its time.
_SCRATCH = "/dev/shm" if Path("/dev/shm").is_dir() else None
COMPANIES = ("", "Head Office Ltd", "Renamed Co")


class ProtocolMachine(RuleBasedStateMachine):
    template: Path  # a migrated empty store; the test sets it on a subclass

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="tabkeeper-protocol-", dir=_SCRATCH))
        self.time = WorldTime()
        self.head_office: InProcessHeadOffice | None = None
        self.terminals: list[SimTerminal] = []

    @initialize(run_seed=st.integers(0, 10_000))
    def open_world(self, run_seed: int) -> None:
        self.head_office = InProcessHeadOffice(self.folder, self.time, run_seed)
        for index in range(TERMINALS):
            terminal = open_terminal(
                index, self.folder, self.template, self.head_office, self.time, run_seed
            )
            self.terminals.append(terminal)
            assert terminal.cycle().error is None  # the first snapshot brings the catalogue

    # --- rules ----------------------------------------------------------------------

    @rule(t=st.integers(0, TERMINALS - 1), step=st.integers(0, 100_000))
    def local_write(self, t: int, step: int) -> None:
        self.terminals[t].workload.step(step)

    @rule(t=st.integers(0, TERMINALS - 1), person=st.integers(0, 2))
    def sign_up_a_regular_known_elsewhere(self, t: int, person: int) -> None:
        """The same person (name and phone) signed up on several terminals, offline."""
        first, last, phone = shared_person(0, person)
        form = CustomerForm(first_name=first, last_name=last, phones=(PhoneEntry(phone),))
        with contextlib.suppress(DomainError):  # this terminal has them already
            self.terminals[t].terminal.directory.create(AGENT_ACTOR, form)

    @rule(t=st.integers(0, TERMINALS - 1), pick=st.integers(0, 1_000))
    def note_on_a_customer(self, t: int, pick: int) -> None:
        terminal = self.terminals[t].terminal
        customers = store_reads.live_customers(terminal.engine)
        if customers:
            chosen = customers[pick % len(customers)]
            terminal.directory.add_note(AGENT_ACTOR, chosen, f"note {pick}")

    @rule(t=st.integers(0, TERMINALS - 1), fault=st.sampled_from(sorted(FAULTS)))
    def sync(self, t: int, fault: str) -> None:
        terminal = self.terminals[t]
        armed = FAULTS[fault]
        if armed is not None:
            kind, path, skip = armed
            terminal.transport.arm(kind, path, skip)  # type: ignore[arg-type]
        try:
            terminal.cycle()  # a fault ends the cycle with an error; the next one goes on
        finally:
            terminal.transport.disarm()

    @rule(t=st.integers(0, TERMINALS - 1))
    def restart(self, t: int) -> None:
        """Switched off and on: the same store wired afresh, a new hybrid clock."""
        self.terminals[t].restart()

    @rule(t=st.integers(0, TERMINALS - 1))
    def snapshot_from_scratch(self, t: int) -> None:
        self.terminals[t].forget_cursor()

    @rule(t=st.integers(0, TERMINALS - 1), minutes=st.sampled_from([-120, -7, 0, 7, 120, 1440]))
    def skew_clock(self, t: int, minutes: int) -> None:
        self.terminals[t].time.offset = timedelta(minutes=minutes)

    @rule(seconds=st.integers(1, 900))
    def time_passes(self, seconds: int) -> None:
        self.time.now += timedelta(seconds=seconds)

    @precondition(lambda self: self.head_office is not None)
    @rule(pick=st.integers(0, 1_000), company=st.sampled_from(COMPANIES))
    def head_office_edit(self, pick: int, company: str) -> None:
        assert self.head_office is not None
        live = self._live_customers()
        if live:
            self.head_office.edit_customer(live[pick % len(live)], {"company": company})

    @rule()
    def full_sync_converges(self) -> None:
        self._settle()
        self._assert_converged()

    # --- invariants -----------------------------------------------------------------

    @invariant()
    def head_office_has_each_operation_at_most_once(self) -> None:
        if self.head_office is not None:
            doubled = doubled_at_head_office(self.head_office.database_url)
            assert not doubled, "\n".join(doubled)

    def teardown(self) -> None:
        try:
            if self.head_office is not None:
                self._settle()
                self._assert_converged()
        finally:
            for terminal in self.terminals:
                terminal.close()
            if self.head_office is not None:
                self.head_office.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    # --- helpers ----------------------------------------------------------------------

    def _live_customers(self) -> list[str]:
        assert self.head_office is not None
        customers = read_head_office(self.head_office.database_url).documents.get("customer", {})
        return sorted(uuid for uuid, doc in customers.items() if not doc.get("merged_into_uuid"))

    def _settle(self) -> None:
        """Sync every terminal, round after round, until a round moves nothing."""
        for _round in range(SETTLE_ROUNDS):
            moved = 0
            for terminal in self.terminals:
                result = terminal.cycle()
                assert result.error is None, f"{terminal.name}: {result.error}"
                moved += result.acknowledged + result.pulled
            if moved == 0:
                return
        pytest.fail(f"the terminals still moved data after {SETTLE_ROUNDS} full syncs")

    def _assert_converged(self) -> None:
        assert self.head_office is not None
        ho = read_head_office(self.head_office.database_url)
        findings: list[Finding] = []
        everything = []
        for terminal in self.terminals:
            ops = terminal.outbox_ops()
            everything += ops
            findings += check_operations(terminal.name, ops, ho)
            findings += check_terminal(terminal.name, read_terminal(terminal.store), ho)
        findings += check_balances(everything, ho)
        assert not findings, "\n".join(str(f) for f in findings[:20])


@pytest.mark.slow
def test_the_protocol_loses_nothing_doubles_nothing_and_converges(store_template: Path) -> None:
    class Machine(ProtocolMachine):
        template = store_template

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=8,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            # No shrinking: each step opens stores and syncs, so shrinking a failure takes
            # many minutes, and twenty steps read well enough as they are.
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )
