"""Create or edit a customer: every field of CustomerForm, with problems shown in place.

The dialog never saves by itself. Save emits ``sig_submitted`` with the form; whoever
runs the use case calls ``accept()`` on success or ``show_problems()`` on a
ValidationError, and the dialog stays open with everything the user typed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.customers import CustomerKind, Gender, SignupSource, compose_full_name
from app.domain.errors import FieldProblem
from app.services.customer_form import CustomerForm
from app.services.records import CustomerRecord
from app.ui.cards_tab import CardsTab
from app.ui.consent_panel import ConsentPanel
from app.ui.formatting import DisplayFormats
from app.ui.list_editor import (
    PROBLEM_STYLE,
    AddressRow,
    AttributeRow,
    EmailRow,
    ListEditor,
    PhoneRow,
    PreferenceRow,
    PrimaryListEditor,
    RestrictionRow,
    combo_enum,
    enum_combo,
    select_data,
)
from app.ui.notes_tab import NotesTab
from app.ui.photo_box import PhotoBox
from app.ui.record_context import RecordContext

CategoryChoice = tuple[int, str]  # (promotion category id, name)

_TEXT_FIELDS = (
    ("title", "Title"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("full_name", "Full name"),
    ("alias", "Alias (@username)"),
    ("company", "Company"),
    ("business_domain", "Business domain"),
    ("contact_person", "Contact person"),
)
_INDIVIDUAL_ONLY = {"title", "first_name", "last_name", "gender", "date_of_birth"}
_ORGANISATION_ONLY = {"business_domain", "contact_person"}
_LIST_FIELD = re.compile(r"^(?P<name>[a-z_]+)(?:\[(?P<index>\d+)\])?$")

# Which tab holds each field, so the tab with a problem can be marked and shown.
_TAB_OF = {
    "phones": 1,
    "emails": 1,
    "addresses": 1,
    "preferences": 2,
    "restrictions": 2,
    "consents": 3,
    "attributes": 3,
}
_TAB_TITLES = ("Details", "Contacts", "Preferences && allergies", "Consents && more")
CARDS_TAB, NOTES_TAB = 4, 5  # live tabs: they act at once, not on Save


class CustomerDialog(QDialog):
    """The customer form; ``record`` None means a new customer.

    With a ``context``, the Cards and Notes & history tabs and the photo act on a saved
    record at once through their own use cases; without one they only show the record.
    """

    sig_submitted = Signal(object)  # CustomerForm, when the user presses Save
    sig_changed = Signal(object)  # Changes made by the live tabs or the photo

    def __init__(
        self,
        categories: Sequence[CategoryChoice],
        record: CustomerRecord | None = None,
        formats: DisplayFormats | None = None,
        parent: QWidget | None = None,
        *,
        context: RecordContext | None = None,
    ) -> None:
        super().__init__(parent)
        self.record = record
        self._formats = formats or DisplayFormats()
        self._signup_source = SignupSource.TILL
        self.setWindowTitle(f"Edit {record.full_name}" if record else "New customer")
        self.setMinimumSize(760, 560)

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            f"{PROBLEM_STYLE} background: #fdecea; border: 1px solid #f5c2c0;"
            " border-radius: 4px; padding: 6px;"
        )
        self.banner.hide()

        self.tabs = QTabWidget()
        self.tabs.addTab(self._scrolled(self._details_tab(categories)), _TAB_TITLES[0])
        self.phones = PrimaryListEditor("Add phone", PhoneRow)
        self.emails = PrimaryListEditor("Add e-mail", EmailRow)
        self.addresses = ListEditor("Add address", AddressRow)
        self.tabs.addTab(
            self._sections(
                ("Phones", self.phones), ("E-mails", self.emails), ("Addresses", self.addresses)
            ),
            _TAB_TITLES[1],
        )
        self.preferences = ListEditor("Add preference", PreferenceRow)
        self.restrictions = ListEditor("Add allergy or diet", RestrictionRow)
        self.tabs.addTab(
            self._sections(
                ("Preferences", self.preferences), ("Allergies and diets", self.restrictions)
            ),
            _TAB_TITLES[2],
        )
        self.consents = ConsentPanel()
        self.attributes = ListEditor("Add attribute", AttributeRow)
        self.tabs.addTab(
            self._sections(
                ("Marketing consent", self.consents), ("Other attributes", self.attributes)
            ),
            _TAB_TITLES[3],
        )
        self.cards = CardsTab(context, record)
        self.tabs.addTab(self.cards, "Cards")
        self.notes = NotesTab(context, record)
        self.tabs.addTab(self.notes, "Notes && history")
        self.photo = PhotoBox(context, record)
        for live in (self.cards, self.notes, self.photo):
            live.sig_changed.connect(self.sig_changed)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        if record is not None:
            header.addWidget(self._summary(record), 1, Qt.AlignmentFlag.AlignTop)
        else:
            header.addStretch(1)
        header.addWidget(self.photo)
        layout.addLayout(header)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.buttons)

        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.set_form(record.form if record is not None else CustomerForm())
        if record is None:
            self.phones.add_row()  # a new customer nearly always comes with a phone
        self.first_name.setFocus()
        self.photo.load()
        self.notes.load_history()

    # --- building --------------------------------------------------------------------

    def _details_tab(self, categories: Sequence[CategoryChoice]) -> QWidget:
        page = QWidget()
        self.details = QFormLayout(page)
        self.details.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.kind = enum_combo(CustomerKind)
        self.details.addRow("Kind", self.kind)
        self.edits: dict[str, QLineEdit] = {}
        self.problems: dict[str, QLabel] = {}
        for name, label in _TEXT_FIELDS:
            edit = QLineEdit()
            edit.setObjectName(name)
            self.edits[name] = edit
            self.details.addRow(label, self._with_problem(name, edit))
        self.first_name, self.last_name = self.edits["first_name"], self.edits["last_name"]
        self.edits["full_name"].setPlaceholderText("Left empty: title, first and last name")
        self.gender = enum_combo(Gender)
        self.details.addRow("Gender", self._with_problem("gender", self.gender))
        self.dob_known = QCheckBox("Known")
        self.dob = QDateEdit()
        self.dob.setCalendarPopup(True)
        self.dob.setDisplayFormat("d MMM yyyy")
        self.dob.setDate(QDate(1990, 1, 1))
        self.dob.setEnabled(False)
        self.dob_known.toggled.connect(self.dob.setEnabled)
        born = QWidget()
        row = QHBoxLayout(born)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.dob_known)
        row.addWidget(self.dob, 1)
        self.details.addRow("Date of birth", self._with_problem("date_of_birth", born))
        self.category = QComboBox()
        self.category.addItem("No category", None)
        for category_id, name in categories:
            self.category.addItem(name, category_id)
        self.details.addRow(
            "Promotion category", self._with_problem("promotion_category_id", self.category)
        )
        return page

    def _with_problem(self, name: str, field: QWidget) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(field)
        problem = QLabel()
        problem.setStyleSheet(PROBLEM_STYLE)
        problem.setWordWrap(True)
        problem.hide()
        column.addWidget(problem)
        self.problems[name] = problem
        return box

    @staticmethod
    def _scrolled(inner: QWidget) -> QScrollArea:
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        area.setWidget(inner)
        return area

    def _sections(self, *sections: tuple[str, QWidget]) -> QScrollArea:
        page = QWidget()
        column = QVBoxLayout(page)
        for title, editor in sections:
            column.addWidget(QLabel(f"<b>{title}</b>"))
            column.addWidget(editor)
            column.addSpacing(8)
        column.addStretch(1)
        return self._scrolled(page)

    def _summary(self, record: CustomerRecord) -> QLabel:
        facts = [record.status.value.capitalize()]
        if record.status_reason:
            facts[0] += f" ({record.status_reason})"
        facts.append(f"{record.order_count:,} orders")
        facts.append(f"{self._formats.money(record.total_spent_minor)} spent")
        if record.last_visit_at is not None:
            facts.append(f"last visit {self._formats.local_time(record.last_visit_at)}")
        if record.identifiers:
            facts.append(f"{len(record.identifiers)} cards")
        text = f"<b>{record.full_name}</b> — " + " · ".join(facts)
        if record.notes:
            latest = record.notes[-1]
            text += f"<br><i>Note by {latest.author}:</i> {latest.text[:160]}"
        summary = QLabel(text)
        summary.setWordWrap(True)
        summary.setTextFormat(Qt.TextFormat.RichText)
        return summary

    def _kind_changed(self) -> None:
        organisation = combo_enum(self.kind, CustomerKind) is CustomerKind.ORGANISATION
        for name in _INDIVIDUAL_ONLY | _ORGANISATION_ONLY:
            visible = organisation == (name in _ORGANISATION_ONLY)
            self.details.setRowVisible(self.problems[name].parentWidget(), visible)
        self.details.labelForField(self.problems["full_name"].parentWidget()).setText(
            "Name" if organisation else "Full name"
        )
        self.edits["full_name"].setPlaceholderText(
            "The organisation's name" if organisation else "Left empty: title, first and last name"
        )

    # --- the form --------------------------------------------------------------------

    def form(self) -> CustomerForm:
        """What the user has typed, as a form for the services to check."""
        text = {name: edit.text() for name, edit in self.edits.items()}
        organisation = combo_enum(self.kind, CustomerKind) is CustomerKind.ORGANISATION
        born: date | None = None
        if self.dob_known.isChecked() and not organisation:
            born = self.dob.date().toPython()  # type: ignore[assignment]
        return CustomerForm(
            kind=combo_enum(self.kind, CustomerKind),
            title="" if organisation else text["title"],
            first_name="" if organisation else text["first_name"],
            last_name="" if organisation else text["last_name"],
            full_name=text["full_name"],
            alias=text["alias"],
            company=text["company"],
            business_domain=text["business_domain"] if organisation else "",
            contact_person=text["contact_person"] if organisation else "",
            gender=Gender.UNSPECIFIED if organisation else combo_enum(self.gender, Gender),
            date_of_birth=born,
            promotion_category_id=self.category.currentData(),
            signup_source=self._signup_source,
            phones=self.phones.values(),
            emails=self.emails.values(),
            addresses=self.addresses.values(),
            preferences=self.preferences.values(),
            restrictions=self.restrictions.values(),
            consents=self.consents.values(),
            attributes=self.attributes.values(),
        )

    def set_form(self, form: CustomerForm) -> None:
        select_data(self.kind, form.kind)
        for name, edit in self.edits.items():
            edit.setText(str(getattr(form, name)))
        composed = compose_full_name(form.title, form.first_name, form.last_name)
        if form.kind is CustomerKind.INDIVIDUAL and form.full_name == composed:
            self.edits["full_name"].clear()  # left empty, it follows the name fields as edited
        select_data(self.gender, form.gender)
        self.dob_known.setChecked(form.date_of_birth is not None)
        if form.date_of_birth is not None:
            self.dob.setDate(QDate(form.date_of_birth))
        select_data(self.category, form.promotion_category_id)
        self._signup_source = form.signup_source
        self.phones.set_values(form.phones)
        self.emails.set_values(form.emails)
        self.addresses.set_values(form.addresses)
        self.preferences.set_values(form.preferences)
        self.restrictions.set_values(form.restrictions)
        self.consents.set_values(form.consents)
        self.attributes.set_values(form.attributes)
        self._kind_changed()

    # --- saving and problems ---------------------------------------------------------

    def _submit(self) -> None:
        self.clear_problems()
        self.set_busy(True)
        self.sig_submitted.emit(self.form())

    def set_busy(self, busy: bool) -> None:
        self.save_button.setEnabled(not busy)
        self.save_button.setText("Saving…" if busy else "Save")

    def clear_problems(self) -> None:
        self.banner.hide()
        for label in self.problems.values():
            label.hide()
        for editor in self._list_editors().values():
            editor.clear_problems()
        self.consents.show_problem("")
        for index, title in enumerate(_TAB_TITLES):
            self.tabs.setTabText(index, title)

    def show_error(self, message: str) -> None:
        """A refusal that is not about one field (a duplicate, a conflict)."""
        self.set_busy(False)
        self.banner.setText(message)
        self.banner.show()

    def show_problems(self, problems: Sequence[FieldProblem]) -> None:
        """Show each problem next to its field and list them all at the top."""
        self.clear_problems()
        self.set_busy(False)
        tabs_with_problems: list[int] = []
        for problem in problems:
            tabs_with_problems.append(self._place(problem))
        count = len(problems)
        lead = "Please fix this:" if count == 1 else f"Please fix these {count} problems:"
        self.banner.setText(lead + "\n" + "\n".join(f"• {p.message}" for p in problems))
        self.banner.show()
        for index in sorted(set(tabs_with_problems)):
            self.tabs.setTabText(index, f"{_TAB_TITLES[index]} ⚠")
        if tabs_with_problems and self.tabs.currentIndex() not in tabs_with_problems:
            self.tabs.setCurrentIndex(tabs_with_problems[0])

    def _place(self, problem: FieldProblem) -> int:
        """Show one problem by its field; returns the tab it is on."""
        match = _LIST_FIELD.fullmatch(problem.field)
        name = match.group("name") if match else problem.field
        index = int(match.group("index")) if match and match.group("index") else None
        editors = self._list_editors()
        if name in editors:
            editors[name].show_problem(index, problem.message)
        elif name == "consents":
            self.consents.show_problem(problem.message)
        elif name in self.problems:
            label = self.problems[name]
            label.setText(problem.message)
            label.show()
        return _TAB_OF.get(name, 0)

    def _list_editors(self) -> dict[str, ListEditor]:  # type: ignore[type-arg]
        return {
            "phones": self.phones,
            "emails": self.emails,
            "addresses": self.addresses,
            "preferences": self.preferences,
            "restrictions": self.restrictions,
            "attributes": self.attributes,
        }
