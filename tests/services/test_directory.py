"""The directory's use cases on a real store: rules, messages, audit, atomicity."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.customers import ConsentChannel, CustomerKind, CustomerStatus, PhoneKind
from app.domain.errors import ConflictError, PermissionDeniedError, ValidationError
from app.domain.history import Visit
from app.services.customer_form import (
    ConsentEntry,
    CustomerForm,
    EmailEntry,
    PhoneEntry,
)
from tests.support.directory import CASHIER, MANAGER, Directory

EMILY = CustomerForm(
    first_name="Emily",
    last_name="Roberts",
    alias="@EmRo",
    phones=(PhoneEntry("020 7946 0000", PhoneKind.WORKING),),
    emails=(EmailEntry("Emily.Roberts@Example.COM"),),
)


def test_create_normalises_contacts_and_audits(store: Directory) -> None:
    saved = store.directory.create(MANAGER, EMILY)
    record = saved.record
    assert record.full_name == "Emily Roberts"
    assert record.form.alias == "emro"
    assert record.form.phones[0].number == "+44 20 7946 0000"
    assert record.form.phones[0].primary
    assert record.form.emails[0].address == "Emily.Roberts@example.com"
    assert record.created_by == "Maria Manager"
    assert saved.changes.customers
    assert store.audit_actions() == ["customer.created"]


def test_every_problem_is_named_at_once(store: Directory) -> None:
    form = CustomerForm(
        phones=(PhoneEntry("020 79"),),
        emails=(EmailEntry("emily@@example.com"),),
        date_of_birth=date(2030, 1, 1),
    )
    with pytest.raises(ValidationError) as caught:
        store.directory.create(MANAGER, form)
    fields = [p.field for p in caught.value.problems]
    assert fields == ["full_name", "date_of_birth", "phones[0]", "emails[0]"]
    assert "not a valid number for GB" in str(caught.value)
    assert store.count("customers") == 0


def test_working_phone_belongs_to_one_active_customer(store: Directory) -> None:
    store.directory.create(MANAGER, EMILY)
    twin = CustomerForm(
        first_name="Tom", phones=(PhoneEntry("+44 20 7946 0000", PhoneKind.WORKING),)
    )
    with pytest.raises(ValidationError) as caught:
        store.directory.create(MANAGER, twin)
    assert str(caught.value) == "Phone +44 20 7946 0000 already belongs to Emily Roberts (active)."
    # The same number as a personal phone (a shared home line) is allowed.
    shared = CustomerForm(first_name="Tom", phones=(PhoneEntry("02079460000", PhoneKind.PERSONAL),))
    store.directory.create(MANAGER, shared)
    assert store.count("customers") == 2


def test_inactive_holder_frees_the_working_phone_until_reactivated(store: Directory) -> None:
    emily = store.directory.create(MANAGER, EMILY).record
    store.directory.set_status(MANAGER, emily.id, CustomerStatus.INACTIVE, "Moved abroad")
    tom = CustomerForm(first_name="Tom", phones=(PhoneEntry("020 7946 0000", PhoneKind.WORKING),))
    store.directory.create(MANAGER, tom)
    with pytest.raises(ConflictError, match="now belongs to Tom"):
        store.directory.set_status(MANAGER, emily.id, CustomerStatus.ACTIVE)


def test_alias_is_unique_whatever_its_case(store: Directory) -> None:
    store.directory.create(MANAGER, EMILY)
    with pytest.raises(ValidationError, match="Alias @emro is already used by Emily Roberts"):
        store.directory.create(MANAGER, CustomerForm(first_name="Em", alias="EMRO"))


def test_failed_edit_leaves_the_record_as_it_was(store: Directory) -> None:
    emily = store.directory.create(MANAGER, EMILY).record
    broken = CustomerForm(
        first_name="Emilia",
        last_name="Roberts",
        phones=(PhoneEntry("not a phone"),),
    )
    with pytest.raises(ValidationError):
        store.directory.edit(MANAGER, emily.id, broken)
    again = store.directory.open_record(MANAGER, emily.id)
    assert again.full_name == "Emily Roberts"
    assert again.form.phones == emily.form.phones
    assert "customer.edited" not in store.audit_actions()


def test_edit_audits_what_changed_and_skips_no_op(store: Directory) -> None:
    emily = store.directory.create(MANAGER, EMILY).record
    unchanged = store.directory.edit(MANAGER, emily.id, emily.form)
    assert not unchanged.changes.customers
    edited = store.directory.edit(
        MANAGER, emily.id, CustomerForm(**{**_fields(emily.form), "company": "Roberts & Co"})
    )
    assert edited.record.form.company == "Roberts & Co"
    assert store.audit_actions() == ["customer.created", "customer.edited"]


def test_opening_a_record_is_audited(store: Directory) -> None:
    emily = store.directory.create(MANAGER, EMILY).record
    store.directory.open_record(CASHIER, emily.id)
    assert store.audit_actions()[-1] == "customer.viewed"
    trail = store.directory.audit_trail(MANAGER, emily.id)
    assert [(t.actor_name, t.action, t.summary) for t in trail] == [
        ("Carl Cashier", "customer.viewed", "Opened Emily Roberts"),
        ("Maria Manager", "customer.created", "Added Emily Roberts"),
    ]
    with pytest.raises(PermissionDeniedError):
        store.directory.audit_trail(CASHIER, emily.id)


def test_permissions_are_enforced_by_the_service(store: Directory) -> None:
    emily = store.directory.create(CASHIER, EMILY).record  # a till signup is allowed
    with pytest.raises(PermissionDeniedError, match="may not edit customers"):
        store.directory.edit(CASHIER, emily.id, emily.form)
    with pytest.raises(PermissionDeniedError):
        store.directory.set_status(CASHIER, emily.id, CustomerStatus.BLOCKED, "Rude")
    with pytest.raises(PermissionDeniedError):
        store.directory.delete(CASHIER, emily.id)


def test_blocking_needs_a_reason(store: Directory) -> None:
    emily = store.directory.create(MANAGER, EMILY).record
    with pytest.raises(ValidationError, match="Say why"):
        store.directory.set_status(MANAGER, emily.id, CustomerStatus.BLOCKED, "  ")
    blocked = store.directory.set_status(MANAGER, emily.id, CustomerStatus.BLOCKED, "Walked out")
    assert blocked.record.status is CustomerStatus.BLOCKED
    assert blocked.record.status_reason == "Walked out"


def test_delete_is_refused_with_counts_when_there_is_history(store: Directory) -> None:
    emily = store.directory.create(MANAGER, EMILY).record
    with store.uow() as uow:
        for spent in (2_500, 4_200):
            uow.catalogue.add(
                Visit(customer_id=emily.id, visited_at=store.clock.now, spent_minor=spent)
            )
        uow.commit()
    with pytest.raises(ConflictError) as caught:
        store.directory.delete(MANAGER, emily.id)
    assert str(caught.value) == (
        "Emily Roberts cannot be deleted: they have 0 tabs, 2 visits and 0 ledger entries. "
        "Deactivate them instead."
    )
    assert store.count("customers") == 1
    assert store.audit_actions()[-1] == "customer.delete_refused"


def test_delete_removes_customer_and_frees_their_cards(store: Directory) -> None:
    from app.domain.identifiers import IdentifierKind
    from app.services.identifiers import CardRequest

    emily = store.directory.create(MANAGER, EMILY).record
    store.identifiers.issue(
        MANAGER, CardRequest(IdentifierKind.BARCODE_CARD, "2900000012345", emily.id)
    )
    store.directory.delete(MANAGER, emily.id)
    assert store.count("customers") == 0
    assert store.count("identifiers") == 0
    assert store.count("customer_phones") == 0
    assert store.audit_actions()[-1] == "customer.deleted"


def test_consent_changes_are_kept_as_history(store: Directory) -> None:
    form = CustomerForm(
        **{**_fields(EMILY), "consents": (ConsentEntry(ConsentChannel.EMAIL, True, "paper form"),)}
    )
    emily = store.directory.create(MANAGER, form).record
    store.clock.now = store.clock.now.replace(day=24)
    withdrawn = CustomerForm(
        **{
            **_fields(emily.form),
            "consents": (ConsentEntry(ConsentChannel.EMAIL, False, "phone call"),),
        }
    )
    record = store.directory.edit(MANAGER, emily.id, withdrawn).record
    assert [(c.granted, c.source) for c in record.consents] == [
        (True, "paper form"),
        (False, "phone call"),
    ]
    assert record.form.consents == (ConsentEntry(ConsentChannel.EMAIL, False, "phone call"),)


def test_internal_notes_carry_author_and_time(store: Directory) -> None:
    emily = store.directory.create(MANAGER, EMILY).record
    record = store.directory.add_note(CASHIER, emily.id, "  Prefers the corner table  ").record
    assert [(n.text, n.author, n.created_at) for n in record.notes] == [
        ("Prefers the corner table", "Carl Cashier", store.clock.now)
    ]
    with pytest.raises(ValidationError, match="empty"):
        store.directory.add_note(CASHIER, emily.id, "   ")


def test_organisation_needs_its_name(store: Directory) -> None:
    with pytest.raises(ValidationError, match="An organisation needs its name"):
        store.directory.create(
            MANAGER, CustomerForm(kind=CustomerKind.ORGANISATION, first_name="x")
        )
    org = store.directory.create(
        MANAGER,
        CustomerForm(
            kind=CustomerKind.ORGANISATION, full_name="Acme Catering", contact_person="Jo"
        ),
    ).record
    assert org.full_name == "Acme Catering"


def _fields(form: CustomerForm) -> dict[str, object]:
    return {name: getattr(form, name) for name in form.__dataclass_fields__}
