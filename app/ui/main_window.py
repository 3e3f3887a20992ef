"""The main window: the directory for now, the identification strip above it, and who is
signed in and which store is open below."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from app.domain.staff import Permission
from app.services.dto import Changes
from app.ui.devices_dialog import DevicesContext, DevicesDialog
from app.ui.directory_window import DirectoryContext, DirectoryWindow
from app.ui.enrol_dialog import EnrolDialog
from app.ui.head_office_dialog import HeadOfficeContext, HeadOfficeDialog
from app.ui.identification_banner import IdentificationBanner
from app.ui.identification_view import CardOffer
from app.ui.prompts import DialogPrompts, Prompts

MESSAGE_MS = 6_000
CARD_CHANGES = Changes(customers=True, identifiers=True, audit=True)
NEXT_SWIPE = "The next swipe brings them up."


class MainWindow(QMainWindow):
    """Hosts the directory screen; the status bar names the store and the signed-in staff."""

    def __init__(
        self,
        context: DirectoryContext,
        *,
        venue_name: str,
        store_label: str,
        prompts: Prompts | None = None,
        devices: DevicesContext | None = None,
        sync_status: QWidget | None = None,
        head_office: HeadOfficeContext | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._prompts = prompts
        self._devices = devices
        self._head_office = head_office
        self.setWindowTitle(f"Tabkeeper — {venue_name}")
        self._record_context = context.record_context(prompts or DialogPrompts(self))
        self.banner = IdentificationBanner(self._record_context)
        self.enrol_dialog: EnrolDialog | None = None
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
        self.sync_status = sync_status
        if sync_status is not None:
            bar.addPermanentWidget(sync_status)
        self.directory.sig_message.connect(lambda text: bar.showMessage(text, MESSAGE_MS))
        context.runner.sig_failed.connect(lambda text: bar.showMessage(text, MESSAGE_MS))
        context.runner.sig_busy_changed.connect(
            lambda working: self.busy.setText("Working…" if working else "")
        )
        self.banner.sig_view_customer.connect(self.directory.open_customer)
        self.banner.sig_signup.connect(self.directory.new_customer)
        self.banner.sig_enrol.connect(self.enrol)
        self.directory.sig_signed_up_with_card.connect(
            lambda name: self.banner.say(f"{name} is signed up with the card", NEXT_SWIPE)
        )
        self.banner.sig_search.connect(self.directory.search.setText)  # its debounce searches
        self.devices_action = QAction("Devices…", self)
        self.devices_action.setStatusTip("Card readers, scanners and caller-ID units")
        self.devices_action.setEnabled(
            devices is not None and actor.may(Permission.CONFIGURE_DEVICES)
        )
        self.devices_action.triggered.connect(self.open_devices)
        terminal_menu = self.menuBar().addMenu("&Terminal")
        terminal_menu.addAction(self.devices_action)
        self.head_office_action = QAction("Head office…", self)
        self.head_office_action.setStatusTip("Enrol this terminal with head office to sync")
        self.head_office_action.setEnabled(
            head_office is not None and actor.may(Permission.CONFIGURE_DEVICES)
        )
        self.head_office_action.triggered.connect(self.open_head_office)
        terminal_menu.addAction(self.head_office_action)
        self.resize(1280, 800)

    def start(self) -> None:
        """Load the first page of the directory."""
        self.directory.start()

    def open_devices(self) -> DevicesDialog | None:
        """Show the devices screen (managers only); it closes itself when done."""
        if self._devices is None or not self.devices_action.isEnabled():
            return None
        dialog = DevicesDialog(self._devices, self._prompts, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        dialog.start()
        return dialog

    def open_head_office(self) -> HeadOfficeDialog | None:
        """Enrol this terminal with head office (managers only)."""
        if self._head_office is None or not self.head_office_action.isEnabled():
            return None
        dialog = HeadOfficeDialog(self._head_office, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_enrolled.connect(
            lambda name, url: self.statusBar().showMessage(
                f"Enrolled as {name} with head office at {url}; syncing", MESSAGE_MS
            )
        )
        dialog.open()
        return dialog

    def enrol(self, offer: CardOffer) -> EnrolDialog | None:
        """Pick the customer an unknown card is for (managers only; the service checks too)."""
        if not self._record_context.may(Permission.MANAGE_IDENTIFIERS):
            return None
        if self.enrol_dialog is not None:
            self.enrol_dialog.close()
        dialog = EnrolDialog(self._record_context, offer, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_enrolled.connect(lambda card, name: self._enrolled(offer, name))
        dialog.finished.connect(lambda _result: self._enrol_closed(dialog))
        self.enrol_dialog = dialog
        dialog.open()
        return dialog

    def _enrolled(self, offer: CardOffer, name: str) -> None:
        kind = offer.card.kind.label
        self.banner.say(f"{kind} {offer.shown} is now {name}'s", NEXT_SWIPE)
        self.statusBar().showMessage(f"Enrolled {kind.lower()} {offer.shown} on {name}", MESSAGE_MS)
        self.directory.changed_elsewhere(CARD_CHANGES)

    def _enrol_closed(self, dialog: EnrolDialog) -> None:
        if self.enrol_dialog is dialog:
            self.enrol_dialog = None
