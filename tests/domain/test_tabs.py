from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.catalogue import MenuItem
from app.domain.errors import (
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from app.domain.ledger import RedemptionRate
from app.domain.pricing import PricingLine
from app.domain.promotions import AttachLevel
from app.domain.staff import Actor, Role
from app.domain.tabs import (
    GuestTab,
    IdentifiedBy,
    OrderLine,
    Payment,
    PaymentMethod,
    TabAttachment,
    TabStatus,
    Tender,
    check_limit,
    headroom_minor,
)

T0 = datetime(2025, 6, 20, 18, 0, tzinfo=UTC)
WAITER = Actor(staff_uuid="waiter-1", name="Wes", role=Role.WAITER)
CASHIER = Actor(staff_uuid="cashier-1", name="Cass", role=Role.CASHIER)
MANAGER = Actor(staff_uuid="manager-1", name="Mona", role=Role.MANAGER)
BURGER = MenuItem(name="Burger", group_id=1, price_minor=1450, tax_rate=Decimal("0.20"), id=10)
BEER = MenuItem(name="Beer", group_id=2, price_minor=550, tax_rate=Decimal("0.20"), id=20)
RATE = RedemptionRate(100, 1000)


def new_tab(number: int = 1, **fields: object) -> GuestTab:
    options: dict[str, object] = {"division_id": 1, "table_id": 4, "guests": 2, **fields}
    return GuestTab.open(number, terminal="till-1", waiter_uuid="waiter-1", at=T0, **options)


def served(tab: GuestTab, *items: MenuItem) -> list[OrderLine]:
    return [tab.add_item(item, by="waiter-1", at=T0) for item in items]


def total(tab: GuestTab) -> int:
    return sum(line.gross_minor for line in tab.active_lines)


# Opening ------------------------------------------------------------------------------


def test_open_records_where_who_and_how_many() -> None:
    tab = new_tab(12)
    assert (tab.number, tab.terminal, tab.waiter_uuid) == (12, "till-1", "waiter-1")
    assert (tab.division_id, tab.table_id, tab.guests) == (1, 4, 2)
    assert tab.status is TabStatus.OPEN and tab.opened_at == T0 and tab.is_open
    assert tab.customer_id is None and tab.identified_by is IdentifiedBy.NONE
    assert tab.next_order_no == 1 and tab.reopened_count == 0 and tab.uuid[14] == "7"


def test_open_with_a_customer_says_how_they_were_found() -> None:
    tab = new_tab(customer_id=5, identified_by=IdentifiedBy.CARD, card_identifier_id=33)
    assert (tab.customer_id, tab.identified_by, tab.card_identifier_id) == (
        5,
        IdentifiedBy.CARD,
        33,
    )
    with pytest.raises(ValidationError, match="how the customer was found"):
        new_tab(customer_id=5)
    with pytest.raises(ValidationError, match="how the customer was found"):
        new_tab(identified_by=IdentifiedBy.PHONE)


@pytest.mark.parametrize("guests", [0, -1])
def test_a_tab_has_guests(guests: int) -> None:
    with pytest.raises(ValidationError, match="at least one guest"):
        new_tab(guests=guests)


def test_open_refuses_a_naive_time() -> None:
    with pytest.raises(ValidationError, match="no time zone"):
        GuestTab.open(1, terminal="t", waiter_uuid="w", at=datetime(2025, 1, 1))


# Lines ---------------------------------------------------------------------------------


def test_add_item_copies_the_menu() -> None:
    tab = new_tab()
    [line] = served(tab, BURGER)
    assert (line.item_id, line.group_id, line.name, line.quantity) == (10, 1, "Burger", 1)
    assert (line.unit_price_minor, line.tax_rate, line.added_by) == (
        1450,
        Decimal("0.20"),
        "waiter-1",
    )
    assert line.discountable and line.earns_points and not line.sent and not line.voided
    assert tab.lines == [line] and tab.active_lines == [line]


def test_a_line_needs_sense() -> None:
    with pytest.raises(ValidationError, match="quantity must be 1 or more"):
        OrderLine.for_item(BURGER, 0, by="w", at=T0)
    with pytest.raises(ValidationError, match="price cannot be below zero"):
        OrderLine.for_item(BURGER, by="w", at=T0, unit_price_minor=-1)
    with pytest.raises(ValidationError, match="not on the menu"):
        OrderLine.for_item(MenuItem(name="New", group_id=1, price_minor=1), by="w", at=T0)


def test_the_same_line_cannot_be_added_twice_or_already_sent() -> None:
    tab = new_tab()
    [line] = served(tab, BEER)
    with pytest.raises(ConflictError, match="already on tab 1"):
        tab.add_line(line)
    sent = OrderLine.for_item(BEER, by="w", at=T0)
    sent.order_no = 3
    with pytest.raises(ValidationError, match="not sent or void"):
        tab.add_line(sent)


def test_send_order_numbers_each_batch() -> None:
    tab = new_tab()
    first = served(tab, BURGER, BEER)
    assert tab.send_order(T0 + timedelta(minutes=2)) == 1
    second = served(tab, BEER)
    assert tab.send_order(T0 + timedelta(minutes=20)) == 2
    assert [line.order_no for line in first + second] == [1, 1, 2]
    assert first[0].sent_at == T0 + timedelta(minutes=2)
    assert tab.next_order_no == 3
    with pytest.raises(ConflictError, match="Nothing new to send"):
        tab.send_order()


def test_an_unsent_line_is_voided_by_the_waiter_with_a_reason() -> None:
    tab = new_tab()
    burger, beer = served(tab, BURGER, BEER)
    with pytest.raises(ValidationError, match="Say why Burger is voided"):
        tab.void_line(burger.uuid, "  ", WAITER)
    tab.void_line(burger.uuid, " changed mind ", WAITER, T0 + timedelta(minutes=1))
    assert burger.voided and burger.void_reason == "changed mind"
    assert (burger.voided_by, burger.voided_at) == ("waiter-1", T0 + timedelta(minutes=1))
    assert tab.active_lines == [beer] and tab.lines == [burger, beer]  # the void stays on record
    with pytest.raises(ConflictError, match="already voided"):
        tab.void_line(burger.uuid, "again", WAITER)
    assert tab.send_order() == 1
    assert burger.order_no is None  # a voided line never goes to the kitchen


def test_a_sent_line_needs_a_manager_to_void() -> None:
    tab = new_tab()
    [burger] = served(tab, BURGER)
    tab.send_order()
    for actor in (WAITER, CASHIER):
        with pytest.raises(
            PermissionDeniedError, match=r"^Burger went to the kitchen with order 1; a manager must"
        ):
            tab.void_line(burger.uuid, "cold", actor)
    tab.void_line(burger.uuid, "cold", MANAGER)
    assert burger.voided_by == "manager-1"


def test_an_unknown_line_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="not on tab 1"):
        new_tab().void_line("nope", "why", MANAGER)


def test_pricing_lines_carry_the_line_and_the_order_it_will_go_with() -> None:
    tab = new_tab()
    burger, beer = served(tab, BURGER, BEER)
    tab.send_order()
    tab.void_line(beer.uuid, "spilt", MANAGER)
    [extra] = served(tab, BEER)
    lines = tab.pricing_lines()
    assert all(isinstance(line, PricingLine) for line in lines)
    assert [(p.uuid, p.order_no) for p in lines] == [(burger.uuid, 1), (extra.uuid, 2)]
    assert lines[0] == PricingLine(
        uuid=burger.uuid,
        item_id=10,
        group_id=1,
        name="Burger",
        quantity=1,
        unit_price_minor=1450,
        tax_rate=Decimal("0.20"),
        discountable=True,
        earns_points=True,
        order_no=1,
        ordered_at=burger.added_at,  # its happy hour is judged when it was ordered
    )
    assert extra.to_pricing().order_no is None


# Customer, table, categories ------------------------------------------------------------


def test_attach_and_detach_a_customer() -> None:
    tab = new_tab()
    tab.attach_customer(8, IdentifiedBy.CARD, card_identifier_id=41)
    assert (tab.customer_id, tab.identified_by, tab.card_identifier_id) == (
        8,
        IdentifiedBy.CARD,
        41,
    )
    with pytest.raises(ConflictError, match="already has a customer; detach them first"):
        tab.attach_customer(9, IdentifiedBy.SEARCH)
    tab.detach_customer()
    assert (tab.customer_id, tab.identified_by, tab.card_identifier_id) == (
        None,
        IdentifiedBy.NONE,
        None,
    )
    with pytest.raises(ConflictError, match="has no customer"):
        tab.detach_customer()
    with pytest.raises(ValidationError, match="how the customer was found"):
        tab.attach_customer(9, IdentifiedBy.NONE)


def test_an_impersonal_card_stays_when_the_customer_goes() -> None:
    tab = new_tab()
    tab.present_card(77)
    tab.attach_customer(8, IdentifiedBy.PHONE)
    tab.detach_customer()
    assert tab.card_identifier_id == 77


def test_a_customer_who_paid_from_their_accounts_stays() -> None:
    tab = new_tab(customer_id=8, identified_by=IdentifiedBy.SEARCH)
    served(tab, BURGER)
    tab.pay(1450, [Tender.from_purse(450)], at=T0, staff_uuid="c", allow_partial=True)
    with pytest.raises(ConflictError, match="the customer stays on it"):
        tab.detach_customer()


def test_move_to_another_table() -> None:
    tab = new_tab()
    tab.move_to(2, 9)
    assert (tab.division_id, tab.table_id) == (2, 9)
    tab.set_guests(5)
    assert tab.guests == 5
    with pytest.raises(ValidationError):
        tab.set_guests(0)


def test_staff_attach_categories_to_the_tab_an_order_or_a_line() -> None:
    tab = new_tab()
    [burger] = served(tab, BURGER)
    on_tab = tab.attach_category(AttachLevel.TAB, 100)
    on_order = tab.attach_category(AttachLevel.ORDER, 101, 1)
    on_line = tab.attach_category(AttachLevel.LINE, 102, burger.uuid)
    assert on_order.target == "1" and on_line.target == burger.uuid and on_tab.target is None
    assert tab.attachments == [on_tab, on_order, on_line]
    with pytest.raises(ConflictError, match="already attached"):
        tab.attach_category(AttachLevel.TAB, 100)
    with pytest.raises(ValidationError, match="has no order 2"):
        tab.attach_category(AttachLevel.ORDER, 101, 2)
    with pytest.raises(ValidationError, match="not on tab"):
        tab.attach_category(AttachLevel.LINE, 101, "nope")
    with pytest.raises(ValidationError, match="Staff attach categories"):
        tab.attach_category(AttachLevel.CUSTOMER, 100)
    with pytest.raises(ValidationError, match="names its order or line"):
        TabAttachment(level=AttachLevel.TAB, category_id=1, target="1")
    tab.detach_category(AttachLevel.ORDER, 101, "1")
    with pytest.raises(NotFoundError):
        tab.detach_category(AttachLevel.ORDER, 101, "1")
    tab.void_line(burger.uuid, "wrong", WAITER)
    assert tab.attachments == [on_tab]  # a voided line's category goes with it


# Limit -----------------------------------------------------------------------------------


def test_the_limit_message_says_where_the_tab_would_be() -> None:
    with pytest.raises(
        ConflictError,
        match=r"^This line takes the tab to 162\.50, over its 150\.00 limit; a manager can",
    ):
        check_limit(16250, 15000, None)
    check_limit(15000, 15000, None)
    check_limit(16250, None, None)
    check_limit(16250, 15000, "manager-1")
    assert headroom_minor(12000, 15000) == 3000
    assert headroom_minor(16000, 15000) == -1000
    assert headroom_minor(16000, None) is None


def test_only_a_manager_overrides_a_tab_limit() -> None:
    tab = new_tab()
    with pytest.raises(ConflictError, match="over its"):
        tab.check_limit(20000, 15000)
    with pytest.raises(PermissionDeniedError, match="may not let a tab go over its limit"):
        tab.override_limit(CASHIER)
    tab.override_limit(MANAGER)
    assert tab.limit_override_by == "manager-1"
    tab.check_limit(20000, 15000)


# Paying, closing, reopening -------------------------------------------------------------


def test_pay_in_a_mix_then_close() -> None:
    tab = new_tab(customer_id=3, identified_by=IdentifiedBy.CARD)
    served(tab, BURGER, BURGER, BEER)  # 34.50
    payments = tab.pay(
        3450,
        [Tender.in_points(150), Tender.from_purse(1000), Tender.in_cash(2000)],
        at=T0,
        staff_uuid="cashier-1",
        rate=RATE,
        points_balance=400,
        purse_balance_minor=1000,
    )
    assert [p.amount_minor for p in payments] == [1500, 1000, 950]
    assert tab.paid_minor == 3450 and tab.change_minor == 1050 and tab.due_minor(3450) == 0
    tab.close(3450, T0 + timedelta(hours=1))
    assert tab.status is TabStatus.CLOSED and tab.closed_at == T0 + timedelta(hours=1)


def test_purse_or_points_need_a_customer() -> None:
    tab = new_tab()
    served(tab, BEER)
    with pytest.raises(ConflictError, match="Attach the customer"):
        tab.pay(550, [Tender.in_points(55)], at=T0, staff_uuid="c", rate=RATE)
    purse = Payment(
        method=PaymentMethod.PURSE, amount_minor=550, tendered_minor=550, at=T0, staff_uuid="c"
    )
    with pytest.raises(ConflictError, match="Attach the customer to pay with their purse"):
        tab.add_payment(purse, total_minor=550)
    assert tab.payments == []


def test_a_payment_may_not_exceed_what_is_due() -> None:
    tab = new_tab()
    served(tab, BEER)
    card = Payment(
        method=PaymentMethod.CARD, amount_minor=600, tendered_minor=600, at=T0, staff_uuid="c"
    )
    with pytest.raises(ConflictError, match=r"6\.00 is more than the 5\.50 left to pay on tab 1"):
        tab.add_payment(card, total_minor=550)
    tab.pay(550, [Tender.by_card(200)], at=T0, staff_uuid="c", allow_partial=True)
    with pytest.raises(ConflictError, match=r"Card 5\.00 is more than the 3\.50 left"):
        tab.pay(550, [Tender.by_card(500)], at=T0, staff_uuid="c")


def test_close_only_when_fully_paid() -> None:
    tab = new_tab()
    served(tab, BURGER)
    with pytest.raises(ConflictError, match=r"^Tab 1 still has 14\.50 to pay$"):
        tab.close(1450, T0)
    tab.pay(1450, [Tender.in_cash(2000)], at=T0, staff_uuid="c")
    tab.close(1450, T0)
    assert tab.change_minor == 550


def test_an_empty_tab_opened_by_mistake_closes_at_zero() -> None:
    tab = new_tab()
    tab.close(0, T0)
    assert tab.status is TabStatus.CLOSED


def test_a_closed_tab_refuses_edits() -> None:
    tab = new_tab()
    [beer] = served(tab, BEER)
    tab.pay(550, [Tender.by_card(550)], at=T0, staff_uuid="c")
    tab.close(550, T0)
    edits = [
        lambda: tab.add_item(BEER, by="w"),
        lambda: tab.void_line(beer.uuid, "x", MANAGER),
        lambda: tab.send_order(),
        lambda: tab.attach_customer(1, IdentifiedBy.SEARCH),
        lambda: tab.move_to(1, 1),
        lambda: tab.attach_category(AttachLevel.TAB, 1),
        lambda: tab.pay(550, [Tender.by_card(1)], at=T0, staff_uuid="c"),
        lambda: tab.close(550, T0),
        lambda: tab.split([beer.uuid], number=2),
        lambda: tab.override_limit(MANAGER),
    ]
    for edit in edits:
        with pytest.raises(ConflictError, match=r"^Tab 1 is closed; a manager can reopen it$"):
            edit()


def test_a_manager_reopens_and_payments_stay() -> None:
    tab = new_tab()
    served(tab, BEER, BEER)
    tab.pay(1100, [Tender.in_cash(1100)], at=T0, staff_uuid="c")
    tab.close(1100, T0)
    for actor in (WAITER, CASHIER):
        with pytest.raises(PermissionDeniedError, match=r"\((waiter|cashier)\) may not reopen"):
            tab.reopen(actor, T0)
    tab.reopen(MANAGER, T0 + timedelta(minutes=5))
    assert tab.status is TabStatus.OPEN and tab.closed_at is None and tab.reopened_count == 1
    assert tab.paid_minor == 1100
    with pytest.raises(ConflictError, match="already open"):
        tab.reopen(MANAGER, T0)
    served(tab, BEER)
    tab.pay(1650, [Tender.by_card(550)], at=T0, staff_uuid="c")
    tab.close(1650, T0)
    tab.reopen(MANAGER, T0)
    assert tab.reopened_count == 2


def test_an_overpaid_tab_after_a_void_does_not_close_quietly() -> None:
    tab = new_tab()
    _, beer = served(tab, BEER, BEER)
    tab.pay(1100, [Tender.by_card(1100)], at=T0, staff_uuid="c")
    tab.close(1100, T0)
    tab.reopen(MANAGER, T0)
    tab.void_line(beer.uuid, "never came", MANAGER)
    assert tab.due_minor(550) == -550
    with pytest.raises(
        ConflictError, match=r"paid 5\.50 more than its 5\.50; a manager must refund"
    ):
        tab.close(550, T0)


def test_visit_facts_of_a_closed_tab() -> None:
    tab = new_tab(customer_id=2, identified_by=IdentifiedBy.PHONE)
    served(tab, BEER, BEER, BURGER)
    with pytest.raises(ConflictError, match="not closed yet"):
        tab.visit_facts()
    tab.pay(
        2550,
        [Tender.by_card(1000), Tender.in_cash(1000), Tender.by_card(550)],
        at=T0,
        staff_uuid="c",
    )
    tab.close(2550, T0 + timedelta(hours=2))
    facts = tab.visit_facts({"rule": 2})
    assert facts.at == T0 + timedelta(hours=2) and facts.spent_minor == 2550
    assert dict(facts.items) == {20: 2, 10: 1}
    assert tuple(facts.payment_methods) == (PaymentMethod.CARD, PaymentMethod.CASH)
    assert facts.rule_units == {"rule": 2}


# Split and merge ---------------------------------------------------------------------------


def test_split_moves_the_chosen_lines_to_a_new_tab() -> None:
    tab = new_tab(customer_id=4, identified_by=IdentifiedBy.SEARCH)
    burger, beer = served(tab, BURGER, BEER)
    tab.send_order()
    [late] = served(tab, BEER)
    voided = served(tab, BURGER)[0]
    tab.void_line(voided.uuid, "no", WAITER)
    tab.attach_category(AttachLevel.TAB, 100)
    tab.attach_category(AttachLevel.ORDER, 101, 1)
    tab.attach_category(AttachLevel.ORDER, 103, 2)
    tab.attach_category(AttachLevel.LINE, 102, beer.uuid)
    tab.attach_category(AttachLevel.LINE, 104, burger.uuid)

    other = tab.split([beer.uuid, late.uuid, beer.uuid], number=7, at=T0 + timedelta(minutes=9))

    assert other.number == 7 and other.status is TabStatus.OPEN
    assert (other.terminal, other.division_id, other.table_id, other.guests) == ("till-1", 1, 4, 1)
    assert other.customer_id is None and other.opened_at == T0 + timedelta(minutes=9)
    assert other.lines == [beer, late] and tab.lines == [burger, voided]
    assert beer.order_no == 1 and late.order_no is None
    assert other.next_order_no == tab.next_order_no == 2
    assert [(a.level, a.category_id, a.target) for a in other.attachments] == [
        (AttachLevel.TAB, 100, None),
        (AttachLevel.ORDER, 101, "1"),
        (AttachLevel.ORDER, 103, "2"),
        (AttachLevel.LINE, 102, beer.uuid),
    ]
    assert [a.category_id for a in tab.attachments] == [100, 101, 103, 104]


def test_split_refusals() -> None:
    tab = new_tab()
    burger, beer, voided = served(tab, BURGER, BEER, BEER)
    tab.void_line(voided.uuid, "no", WAITER)
    with pytest.raises(ValidationError, match="Choose the lines"):
        tab.split([], number=2)
    with pytest.raises(ConflictError, match="Leave at least one line on tab 1"):
        tab.split([burger.uuid, beer.uuid], number=2)
    with pytest.raises(ConflictError, match="Beer is voided; it stays on tab 1"):
        tab.split([voided.uuid], number=2)
    with pytest.raises(ValidationError, match="other than 1"):
        tab.split([beer.uuid], number=1)
    with pytest.raises(NotFoundError):
        tab.split(["nope"], number=2)
    tab.pay(2000, [Tender.by_card(100)], at=T0, staff_uuid="c", allow_partial=True)
    with pytest.raises(ConflictError, match="has payments; it can no longer be split"):
        tab.split([beer.uuid], number=2)
    assert len(tab.lines) == 3


def test_merge_moves_lines_and_renumbers_the_other_tabs_orders() -> None:
    into = new_tab(1)
    a1 = served(into, BURGER)[0]
    into.send_order()  # into: order 1
    a2 = served(into, BEER)[0]  # into: order 2 being built
    into.attach_category(AttachLevel.ORDER, 201, 2)
    other = new_tab(2, customer_id=6, identified_by=IdentifiedBy.CARD, card_identifier_id=9)
    b1 = served(other, BEER)[0]
    other.send_order()
    b2 = served(other, BURGER)[0]
    other.send_order()
    b3 = served(other, BEER)[0]
    other.attach_category(AttachLevel.ORDER, 300, 1)
    other.attach_category(AttachLevel.ORDER, 301, 3)  # the order other was building
    other.attach_category(AttachLevel.LINE, 302, b2.uuid)
    other.attach_category(AttachLevel.TAB, 303)

    into.merge_from(other, T0 + timedelta(minutes=30))

    assert into.lines == [a1, a2, b1, b2, b3] and other.lines == []
    assert [line.order_no for line in into.lines] == [1, None, 2, 3, None]
    assert into.next_order_no == 4
    assert into.send_order() == 4 and a2.order_no == b3.order_no == 4
    assert {(a.category_id, a.target) for a in into.attachments} == {
        (201, "4"),
        (300, "2"),
        (301, "4"),
        (302, b2.uuid),
        (303, None),
    }
    assert (into.customer_id, into.identified_by, into.card_identifier_id) == (
        6,
        IdentifiedBy.CARD,
        9,
    )
    assert into.guests == 4
    assert other.status is TabStatus.MERGED and other.merged_into_uuid == into.uuid
    assert other.closed_at == T0 + timedelta(minutes=30)
    with pytest.raises(ConflictError, match="Tab 2 was merged into another tab"):
        other.add_item(BEER, by="w")


def test_merge_refusals() -> None:
    into = new_tab(1, customer_id=1, identified_by=IdentifiedBy.SEARCH)
    other = new_tab(2, customer_id=2, identified_by=IdentifiedBy.SEARCH)
    with pytest.raises(ConflictError, match="different customers; detach one first"):
        into.merge_from(other)
    with pytest.raises(ValidationError, match="into itself"):
        into.merge_from(into)
    paid = new_tab(3)
    served(paid, BEER)
    paid.pay(550, [Tender.by_card(100)], at=T0, staff_uuid="c", allow_partial=True)
    with pytest.raises(ConflictError, match="Tab 3 has payments"):
        into.merge_from(paid)
    closed = new_tab(4)
    closed.close(0, T0)
    with pytest.raises(ConflictError, match="Tab 4 is closed"):
        into.merge_from(closed)


@settings(max_examples=150)
@given(
    st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=12),
    st.lists(st.booleans(), max_size=12),
    st.integers(0, 3),
)
def test_split_then_merge_keeps_every_line_and_the_total(
    plan: list[tuple[bool, bool]], choose: list[bool], sends: int
) -> None:
    """Lines are neither lost nor doubled, and an order number stays one kitchen batch."""
    tab = new_tab()
    for is_beer, send_after in plan:
        served(tab, BEER if is_beer else BURGER)
        if send_after and sends:
            tab.send_order()
            sends -= 1
    before_total, before_uuids = total(tab), sorted(line.uuid for line in tab.lines)
    chosen = [line.uuid for line, pick in zip(tab.lines, choose, strict=False) if pick]
    try:
        other = tab.split(chosen, number=2)
    except DomainError:
        return
    assert total(tab) + total(other) == before_total
    assert not {line.uuid for line in tab.lines} & {line.uuid for line in other.lines}
    batches_before = {line.uuid: (1, line.order_no) for line in tab.lines}
    batches_before |= {line.uuid: (2, line.order_no) for line in other.lines}
    tab.merge_from(other)
    assert sorted(line.uuid for line in tab.lines) == before_uuids
    assert total(tab) == before_total
    # Lines sent together are still together, and no two sources share a number.
    groups: dict[int, set[tuple[int, int | None]]] = {}
    for line in tab.lines:
        if line.order_no is not None:
            groups.setdefault(line.order_no, set()).add(batches_before[line.uuid])
    assert all(len(sources) == 1 for sources in groups.values())
    assert all(n < tab.next_order_no for n in groups)


def test_an_attachment_unpacks_as_level_category_target() -> None:
    level, category_id, target = TabAttachment(level=AttachLevel.ORDER, category_id=5, target="2")
    assert (level, category_id, target) == (AttachLevel.ORDER, 5, "2")


def test_messages_follow_the_currency_exponent() -> None:
    tab = new_tab()
    with pytest.raises(ConflictError, match=r"^Tab 1 still has 1450 to pay$"):
        tab.close(1450, T0, exponent=0)
    with pytest.raises(ConflictError, match=r"takes the tab to 16\.250, over its 15\.000 limit"):
        tab.check_limit(16250, 15000, exponent=3)
