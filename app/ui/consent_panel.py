"""Marketing consent, one line per channel: not asked, granted or refused, and where from."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QWidget

from app.domain.customers import ConsentChannel
from app.services.customer_form import ConsentEntry
from app.ui.list_editor import PROBLEM_STYLE

_CHANNEL_LABELS = {
    ConsentChannel.EMAIL: "E-mail",
    ConsentChannel.SMS: "SMS",
    ConsentChannel.PUSH: "Push notifications",
}
_NOT_ASKED, _GRANTED, _REFUSED = "not_asked", "granted", "refused"


class ConsentPanel(QWidget):
    """Edits the latest consent for each channel; channels never asked are left out."""

    def __init__(self) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel("<b>Channel</b>"), 0, 0)
        grid.addWidget(QLabel("<b>Answer</b>"), 0, 1)
        grid.addWidget(QLabel("<b>Where it was given</b>"), 0, 2)
        self.answers: dict[ConsentChannel, QComboBox] = {}
        self.sources: dict[ConsentChannel, QLineEdit] = {}
        for row, channel in enumerate(ConsentChannel, start=1):
            answer = QComboBox()
            answer.addItem("Not asked", _NOT_ASKED)
            answer.addItem("Granted", _GRANTED)
            answer.addItem("Refused", _REFUSED)
            source = QLineEdit()
            source.setPlaceholderText("paper form at the till, phone call…")
            grid.addWidget(QLabel(_CHANNEL_LABELS.get(channel, channel.value)), row, 0)
            grid.addWidget(answer, row, 1)
            grid.addWidget(source, row, 2)
            self.answers[channel] = answer
            self.sources[channel] = source
        grid.setColumnStretch(2, 1)
        self.problem = QLabel()
        self.problem.setStyleSheet(PROBLEM_STYLE)
        self.problem.setWordWrap(True)
        self.problem.hide()
        grid.addWidget(self.problem, len(ConsentChannel) + 1, 0, 1, 3)

    def values(self) -> tuple[ConsentEntry, ...]:
        entries = []
        for channel, answer in self.answers.items():
            state = answer.currentData()
            if state != _NOT_ASKED:
                entries.append(
                    ConsentEntry(channel, state == _GRANTED, self.sources[channel].text())
                )
        return tuple(entries)

    def set_values(self, entries: Sequence[ConsentEntry]) -> None:
        for answer in self.answers.values():
            answer.setCurrentIndex(0)
        for source in self.sources.values():
            source.clear()
        for entry in entries:
            answer = self.answers[entry.channel]
            answer.setCurrentIndex(answer.findData(_GRANTED if entry.granted else _REFUSED))
            self.sources[entry.channel].setText(entry.source)

    def show_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(bool(message))
