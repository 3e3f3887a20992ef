"""The main window: the directory for now, the identification strip above it, and who is
signed in and which store is open below."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from app.ui.directory_window import DirectoryContext, DirectoryWindow
from app.ui.identification_banner import IdentificationBanner
from app.ui.prompts import Prompts

MESSAGE_MS = 6_000


class MainWindow(QMainWindow):
    """Hosts the directory screen; the status bar names the store and the signed-in staff."""

    def __init__(
        self,
        context: DirectoryContext,
        *,
        venue_name: str,
        store_label: str,
        prompts: Prompts | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Tabkeeper — {venue_name}")
        self.banner = IdentificationBanner()
        self.directory = DirectoryWindow(context, prompts)
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.banner)
        column.addWidget(self.directory, 1)
        self.setCentralWidget(central)
        actor = context.actor
        self.store_label = QLabel(f"Store: {store_label}")
        self.store_label.setToolTip(store_label)
        self.signed_in = QLabel(f"Signed in: {actor.name} ({actor.role.value})")
        self.busy = QLabel()
        bar = self.statusBar()
        bar.addPermanentWidget(self.busy)
        bar.addPermanentWidget(self.store_label)
        bar.addPermanentWidget(self.signed_in)
        self.directory.sig_message.connect(lambda text: bar.showMessage(text, MESSAGE_MS))
        context.runner.sig_failed.connect(lambda text: bar.showMessage(text, MESSAGE_MS))
        context.runner.sig_busy_changed.connect(
            lambda working: self.busy.setText("Working…" if working else "")
        )
        self.resize(1280, 800)

    def start(self) -> None:
        """Load the first page of the directory."""
        self.directory.start()
