"""Editors for the short lists on a customer record: phones, e-mails, addresses and so on.

Each list is a column of small row widgets with an Add button; a row can show the
problem the services found with it (field names like ``phones[1]`` map to row 1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Generic, TypeVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.customers import AddressKind, DietaryKind, PhoneKind, Severity
from app.services.customer_form import (
    AddressEntry,
    AttributeEntry,
    EmailEntry,
    PhoneEntry,
    RestrictionEntry,
)

V = TypeVar("V")
E = TypeVar("E", bound=StrEnum)

PROBLEM_STYLE = "color: #b3261e;"


def enum_combo(kind: type[E], *, none_label: str | None = None) -> QComboBox:
    """A combo of an enum's values, labelled for people; optionally with a 'none' entry."""
    combo = QComboBox()
    if none_label is not None:
        combo.addItem(none_label, None)
    for member in kind:
        combo.addItem(member.value.replace("_", " ").capitalize(), member.value)
    return combo


def combo_enum(combo: QComboBox, kind: type[E]) -> E:
    """The chosen member (Qt hands enum data back as plain strings)."""
    return kind(combo.currentData())


def combo_optional_enum(combo: QComboBox, kind: type[E]) -> E | None:
    data = combo.currentData()
    return None if data is None else kind(data)


def select_data(combo: QComboBox, value: object) -> None:
    index = combo.findData(value.value if isinstance(value, StrEnum) else value)
    combo.setCurrentIndex(max(index, 0))


def _line(placeholder: str, width: int | None = None) -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    if width is not None:
        edit.setMinimumWidth(width)
    return edit


class EntryRow(QWidget, Generic[V]):
    """One editable entry; subclasses lay out the fields and convert to and from ``V``."""

    sig_remove_requested = Signal(QWidget)

    def __init__(self) -> None:
        super().__init__()
        self.fields = QHBoxLayout()
        self.fields.setContentsMargins(0, 0, 0, 0)
        self.problem = QLabel()
        self.problem.setStyleSheet(PROBLEM_STYLE)
        self.problem.setWordWrap(True)
        self.problem.hide()
        remove = QPushButton("Remove")
        remove.setAutoDefault(False)
        remove.clicked.connect(lambda: self.sig_remove_requested.emit(self))
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addLayout(self.fields, 1)
        top.addWidget(remove)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 2, 0, 2)
        outer.setSpacing(2)
        outer.addLayout(top)
        outer.addWidget(self.problem)

    def value(self) -> V:
        raise NotImplementedError

    def set_value(self, value: V) -> None:
        raise NotImplementedError

    def show_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(bool(message))


class ListEditor(QWidget, Generic[V]):
    """A titled column of rows of one kind, with Add; Remove sits on each row."""

    def __init__(self, add_label: str, make_row: Callable[[], EntryRow[V]]) -> None:
        super().__init__()
        self._make_row = make_row
        self._rows: list[EntryRow[V]] = []
        self._rows_box = QVBoxLayout()
        self._rows_box.setContentsMargins(0, 0, 0, 0)
        self.problem = QLabel()
        self.problem.setStyleSheet(PROBLEM_STYLE)
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.add_button = QPushButton(add_label)
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(lambda: self.add_row())
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(self._rows_box)
        outer.addWidget(self.problem)
        outer.addLayout(buttons)

    def rows(self) -> list[EntryRow[V]]:
        return list(self._rows)

    def add_row(self, value: V | None = None) -> EntryRow[V]:
        row = self._make_row()
        if value is not None:
            row.set_value(value)
        row.sig_remove_requested.connect(self._remove)
        self._rows.append(row)
        self._rows_box.addWidget(row)
        self.on_row_added(row)
        return row

    def _remove(self, row: QWidget) -> None:
        for kept in list(self._rows):
            if kept is row:
                self._rows.remove(kept)
                kept.hide()
                kept.deleteLater()

    def on_row_added(self, row: EntryRow[V]) -> None:
        """Hook for lists whose rows depend on each other (a single primary)."""

    def set_values(self, values: Sequence[V]) -> None:
        for row in list(self._rows):
            self._remove(row)
        for value in values:
            self.add_row(value)

    def values(self) -> tuple[V, ...]:
        return tuple(row.value() for row in self._rows)

    def clear_problems(self) -> None:
        self.problem.hide()
        for row in self._rows:
            row.show_problem("")

    def show_problem(self, index: int | None, message: str) -> None:
        """Show ``message`` on row ``index``, or under the whole list when None."""
        if index is not None and 0 <= index < len(self._rows):
            row = self._rows[index]
            joined = f"{row.problem.text()}\n{message}" if row.problem.isVisible() else message
            row.show_problem(joined)
            return
        text = f"{self.problem.text()}\n{message}" if self.problem.isVisible() else message
        self.problem.setText(text)
        self.problem.show()


class PrimaryListEditor(ListEditor[V]):
    """Rows with a 'Primary' box of which at most one is ticked."""

    def on_row_added(self, row: EntryRow[V]) -> None:
        box = getattr(row, "primary", None)
        if isinstance(box, QCheckBox):
            box.toggled.connect(lambda on, ticked=box: self._keep_single(ticked, on))

    def _keep_single(self, ticked: QCheckBox, on: bool) -> None:
        if not on:
            return
        for row in self._rows:
            box = getattr(row, "primary", None)
            if isinstance(box, QCheckBox) and box is not ticked:
                box.setChecked(False)


class PhoneRow(EntryRow[PhoneEntry]):
    def __init__(self) -> None:
        super().__init__()
        self.number = _line("07700 900123 or +44…", 180)
        self.kind = enum_combo(PhoneKind)
        self.primary = QCheckBox("Primary")
        self.fields.addWidget(self.number, 1)
        self.fields.addWidget(self.kind)
        self.fields.addWidget(self.primary)

    def value(self) -> PhoneEntry:
        return PhoneEntry(
            self.number.text(), combo_enum(self.kind, PhoneKind), self.primary.isChecked()
        )

    def set_value(self, value: PhoneEntry) -> None:
        self.number.setText(value.number)
        select_data(self.kind, value.kind)
        self.primary.setChecked(value.primary)


class EmailRow(EntryRow[EmailEntry]):
    def __init__(self) -> None:
        super().__init__()
        self.address = _line("name@example.com", 220)
        self.primary = QCheckBox("Primary")
        self.fields.addWidget(self.address, 1)
        self.fields.addWidget(self.primary)

    def value(self) -> EmailEntry:
        return EmailEntry(self.address.text(), self.primary.isChecked())

    def set_value(self, value: EmailEntry) -> None:
        self.address.setText(value.address)
        self.primary.setChecked(value.primary)


class AddressRow(EntryRow[AddressEntry]):
    def __init__(self) -> None:
        super().__init__()
        self.kind = enum_combo(AddressKind)
        self.line1 = _line("Address line 1")
        self.line2 = _line("Line 2")
        self.city = _line("Town or city")
        self.postcode = _line("Postcode")
        self.country = _line("GB")
        self.country.setMaximumWidth(50)
        self.note = _line("Note for the driver, e.g. gate code")
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.kind, 0, 0)
        grid.addWidget(self.line1, 0, 1, 1, 2)
        grid.addWidget(self.line2, 0, 3, 1, 2)
        grid.addWidget(self.city, 1, 1)
        grid.addWidget(self.postcode, 1, 2)
        grid.addWidget(self.country, 1, 3)
        grid.addWidget(self.note, 1, 4)
        self.fields.addLayout(grid, 1)

    def value(self) -> AddressEntry:
        return AddressEntry(
            kind=combo_enum(self.kind, AddressKind),
            line1=self.line1.text(),
            line2=self.line2.text(),
            city=self.city.text(),
            postcode=self.postcode.text(),
            country=self.country.text().strip().upper(),
            note=self.note.text(),
        )

    def set_value(self, value: AddressEntry) -> None:
        select_data(self.kind, value.kind)
        self.line1.setText(value.line1)
        self.line2.setText(value.line2)
        self.city.setText(value.city)
        self.postcode.setText(value.postcode)
        self.country.setText(value.country)
        self.note.setText(value.note)


class PreferenceRow(EntryRow[str]):
    def __init__(self) -> None:
        super().__init__()
        self.text = _line("Table by the window; Negroni, stirred")
        self.fields.addWidget(self.text, 1)

    def value(self) -> str:
        return self.text.text()

    def set_value(self, value: str) -> None:
        self.text.setText(value)


class RestrictionRow(EntryRow[RestrictionEntry]):
    def __init__(self) -> None:
        super().__init__()
        self.kind = enum_combo(DietaryKind)
        self.name = _line("peanuts, gluten, vegan…", 140)
        self.severity = enum_combo(Severity, none_label="Severity —")
        self.note = _line("Note for the kitchen")
        for widget in (self.kind, self.name, self.severity, self.note):
            self.fields.addWidget(widget, 1 if isinstance(widget, QLineEdit) else 0)

    def value(self) -> RestrictionEntry:
        return RestrictionEntry(
            combo_enum(self.kind, DietaryKind),
            self.name.text(),
            combo_optional_enum(self.severity, Severity),
            self.note.text(),
        )

    def set_value(self, value: RestrictionEntry) -> None:
        select_data(self.kind, value.kind)
        self.name.setText(value.name)
        select_data(self.severity, value.severity)
        self.note.setText(value.note)


class AttributeRow(EntryRow[AttributeEntry]):
    def __init__(self) -> None:
        super().__init__()
        self.key = _line("Name, e.g. locker", 120)
        self.val = _line("Value")
        self.fields.addWidget(self.key)
        self.fields.addWidget(self.val, 1)

    def value(self) -> AttributeEntry:
        return AttributeEntry(self.key.text(), self.val.text())

    def set_value(self, value: AttributeEntry) -> None:
        self.key.setText(value.key)
        self.val.setText(value.value)
