"""The QApplication, the interactive run loop, and the headless self-check.

The self-check drives the real window the way a person would (wait for the list, type a
search, open a record), saves a screenshot of each screen and writes a report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from app.domain.customers import CustomerKind
from app.services.dto import DirectoryRow, StoreFacts
from app.ui.cards_tab import CardsTab
from app.ui.customer_dialog import CARDS_TAB, NOTES_TAB
from app.ui.main_window import MainWindow

STEP_TIMEOUT_S = 30.0
DUPLICATE_PROBES = 15  # customers tried in turn for a duplicates screenshot with candidates


def create_application(argv: Sequence[str]) -> QApplication:
    """The one QApplication of the process (Qt allows no second)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(list(argv))
    app.setApplicationName("Tabkeeper")
    app.setOrganizationName("Tabkeeper")
    return app


def run_interactive(app: QApplication, window: MainWindow) -> int:
    """Show the window and run until it is closed."""
    window.show()
    window.start()
    return app.exec()


def close_application(app: QApplication, window: QWidget) -> None:
    """Destroy the window and the QApplication while the display is still there."""
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, 0)  # runs the deferred delete
    app.processEvents()
    app.shutdown()


def wait_until(predicate: Callable[[], bool], timeout_s: float = STEP_TIMEOUT_S) -> bool:
    """Run the event loop until ``predicate`` holds or ``timeout_s`` passes; never hangs."""
    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(20)
    poll.timeout.connect(
        lambda: loop.quit() if predicate() or time.monotonic() > deadline else None
    )
    poll.start()
    if not predicate():
        loop.exec()
    poll.stop()
    return predicate()


@dataclass(slots=True)
class CheckStep:
    name: str
    ok: bool
    detail: str
    screenshot: str | None = None


@dataclass(slots=True)
class CheckReport:
    facts: StoreFacts
    steps: list[CheckStep] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps) and (
            self.facts.schema_revision == self.facts.head_revision
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "store": asdict(self.facts),
            "steps": [asdict(step) for step in self.steps],
        }

    def as_text(self) -> str:
        facts = self.facts
        lines = [
            f"Tabkeeper self-check: {'PASSED' if self.ok else 'FAILED'}",
            f"Store:            {facts.path}",
            f"Schema revision:  {facts.schema_revision} (head {facts.head_revision})",
            f"Customers:        {facts.customers:,}",
            f"Identifiers:      {facts.identifiers:,}",
            f"Store size:       {facts.size_bytes:,} bytes",
            "",
        ]
        for step in self.steps:
            mark = "ok  " if step.ok else "FAIL"
            lines.append(f"[{mark}] {step.name}: {step.detail}")
            if step.screenshot:
                lines.append(f"       screenshot: {step.screenshot}")
        return "\n".join(lines) + "\n"


def _shoot(widget: QWidget, path: Path) -> str | None:
    QApplication.processEvents()
    return str(path) if widget.grab().save(str(path)) else None


def _first_individual(window: MainWindow) -> DirectoryRow | None:
    """The first person listed (their record shows more of the form than a company's)."""
    model = window.directory.model
    rows = [model.row_at(i) for i in range(model.rowCount())]
    people = [r for r in rows if r is not None and r.kind is CustomerKind.INDIVIDUAL]
    return people[0] if people else model.row_at(0)


def run_headless_check(
    window: MainWindow, out_dir: Path, facts: StoreFacts, timeout_s: float = STEP_TIMEOUT_S
) -> CheckReport:
    """Screenshot the main screens into ``out_dir`` and write report.json and report.txt."""
    out_dir.mkdir(parents=True, exist_ok=True)
    report = CheckReport(facts)
    directory, model = window.directory, window.directory.model
    window.resize(1280, 800)
    window.show()
    window.start()

    loaded = wait_until(lambda: not model.is_loading() and model.rowCount() > 0, timeout_s)
    shot = _shoot(window, out_dir / "01-directory.png")
    report.steps.append(
        CheckStep("directory lists customers", loaded, f"{model.rowCount()} rows shown", shot)
    )

    person = _first_individual(window)
    text = person.full_name.split()[-1][:4] if person is not None else "a"
    directory.search.setText(text)  # as if typed: the debounce runs the search
    searched = wait_until(lambda: model.query().text == text and not model.is_loading(), timeout_s)
    matches = model.rowCount()
    shot = _shoot(window, out_dir / "02-directory-search.png")
    report.steps.append(
        CheckStep(
            f"search for “{text}”",
            searched and matches > 0,
            f"{matches} rows match; status line says “{directory.status.text()}”",
            shot,
        )
    )

    opened = False
    contacts: str | None = None
    notes: str | None = None
    cards: tuple[str | None, CardsTab | None] = (None, None)
    detail = "no row to open"
    if matches:
        found = _first_individual(window)
        directory.select_row(model.row_of_customer(found.id) or 0 if found else 0)
        directory.edit_selected()
        opened = wait_until(lambda: directory.dialog is not None, timeout_s)
        dialog = directory.dialog
        if dialog is not None:
            wait_until(lambda: window.directory._ctx.runner.pending() == 0, timeout_s)
            shot = _shoot(dialog, out_dir / "03-customer-dialog.png")
            detail = f"opened “{dialog.windowTitle()}”"
            dialog.tabs.setCurrentIndex(1)
            contacts = _shoot(dialog, out_dir / "04-customer-dialog-contacts.png")
            dialog.tabs.setCurrentIndex(CARDS_TAB)
            cards = (_shoot(dialog, out_dir / "05-customer-dialog-cards.png"), dialog.cards)
            dialog.tabs.setCurrentIndex(NOTES_TAB)
            notes = _shoot(dialog, out_dir / "06-customer-dialog-notes.png")
            dialog.reject()
        else:
            detail = "the record did not open"
    report.steps.append(CheckStep("open a customer record", opened, detail, shot))
    if opened:
        report.steps.append(CheckStep("contacts tab", contacts is not None, "shown", contacts))
        shown, tab = cards
        count = len(tab.cards()) if tab is not None else 0
        report.steps.append(CheckStep("cards tab", shown is not None, f"{count} cards", shown))
        report.steps.append(CheckStep("notes & history tab", notes is not None, "shown", notes))
    report.steps.append(_duplicates_step(window, out_dir, timeout_s))

    (out_dir / "report.json").write_text(json.dumps(report.as_dict(), indent=2) + "\n")
    (out_dir / "report.txt").write_text(report.as_text())
    return report


def _duplicates_step(window: MainWindow, out_dir: Path, timeout_s: float) -> CheckStep:
    """Open the duplicates dialog, for one of the first customers who has candidates."""
    directory, model = window.directory, window.directory.model
    directory.search.clear()
    wait_until(lambda: model.query().text == "" and not model.is_loading(), timeout_s)
    shot, detail, loaded = None, "no customer to look for", False
    for row in range(min(DUPLICATE_PROBES, model.rowCount())):
        directory.select_row(row)
        directory.find_duplicates()
        dialog = directory.duplicates
        if dialog is None:
            return CheckStep("duplicates dialog", False, "the dialog did not open")
        dialog.resize(820, 420)
        loaded = wait_until(lambda: directory._ctx.runner.pending() == 0, timeout_s)
        found = dialog.model.rowCount()
        if found or row == min(DUPLICATE_PROBES, model.rowCount()) - 1:
            shot = _shoot(dialog, out_dir / "07-duplicates.png")
            detail = f"{found} candidates for {dialog.survivor.full_name}"
        dialog.reject()
        if found:
            break
    return CheckStep("duplicates dialog", loaded, detail, shot)
