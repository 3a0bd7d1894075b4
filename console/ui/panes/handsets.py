"""The handsets pane: staff handsets and body-worn recorders in one table, narrowed by group, station and
presence (combos) and by free text, with the commands a dispatcher gives a person: call (half or full duplex),
pull video from their camera, send them a text.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QPoint, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.ui.item_roles import TERMINAL_ID_ROLE
from console.ui.panes import PaneContext, pane
from console.ui.panes.handsets_model import GROUPS, ID, KIND, NAME, PRESENCE, STATUS, WHERE, HandsetsModel, StaffFilter
from console.ui.panes.pane_parts import CommandStatus, FilterEdit, prepare_view
from console.ui.panes.terminal_look import PRESENCE_ORDER, local_name, place_label, presence_name
from console.ui.resources import icon

logger = logging.getLogger(__name__)

_COLUMN_WIDTHS = {ID: 84, KIND: 52, NAME: 150, WHERE: 160, PRESENCE: 110, STATUS: 110, GROUPS: 160}
#: the presence choices of the filter: (key, presences); "reachable" is any presence the desk can talk to
_REACHABLE = ("registered", "busy", "emergency")


class HandsetsPane(QWidget):
    """The staff radios table with its filters and commands (see the module docstring)."""

    def __init__(self, world: Any, desk: Any, bridge: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("handsetsPane")
        self.world = world
        self.desk = desk
        self.model = HandsetsModel(world, self)
        self.proxy = StaffFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        self.table.setObjectName("handsetsTable")
        self.table.setModel(self.proxy)
        prepare_view(self.table)
        for column, width in _COLUMN_WIDTHS.items():
            self.table.setColumnWidth(column, width)
        self.table.sortByColumn(ID, Qt.SortOrder.AscendingOrder)

        self.filter = FilterEdit(self)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.group_combo = QComboBox(self)
        self.group_combo.setObjectName("groupFilter")
        self.place_combo = QComboBox(self)
        self.place_combo.setObjectName("stationFilter")
        self.presence_combo = QComboBox(self)
        self.presence_combo.setObjectName("presenceFilter")
        for combo in (self.group_combo, self.place_combo, self.presence_combo):
            # narrow in the dock (the popup list is as wide as its entries)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(9)
            combo.view().setMinimumWidth(260)
            combo.currentIndexChanged.connect(self._apply_combos)
        self.call_button = QPushButton(icon("call"), "", self)
        self.call_button.setObjectName("callHandsetButton")
        self.call_button.clicked.connect(lambda: self.call(self.selected(), "half"))
        self.video_button = QPushButton(icon("video"), "", self)
        self.video_button.setObjectName("videoHandsetButton")
        self.video_button.clicked.connect(lambda: self.video(self.selected()))
        self.text_button = QPushButton(icon("message"), "", self)
        self.text_button.setObjectName("textHandsetButton")
        self.text_button.clicked.connect(lambda: self.ask_text(self.selected()))
        self.status = CommandStatus(self)

        filters = QHBoxLayout()
        filters.setContentsMargins(6, 4, 6, 0)
        filters.setSpacing(8)
        filters.addWidget(self.filter, 1)
        for combo in (self.group_combo, self.place_combo, self.presence_combo):
            filters.addWidget(combo)
        actions = QHBoxLayout()
        actions.setContentsMargins(6, 2, 6, 2)
        actions.setSpacing(8)
        for button in (self.call_button, self.video_button, self.text_button):
            actions.addWidget(button)
        actions.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(filters)
        layout.addLayout(actions)
        layout.addWidget(self.table, 1)

        self.table.doubleClicked.connect(lambda index: self.call(self._id_at(index), "half"))
        self.table.customContextMenuRequested.connect(self._menu_at)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        if bridge is not None:
            bridge.terminalsChanged.connect(self.model.refresh)
            bridge.selectTerminal.connect(self._show_terminal)
            bridge.alertChanged.connect(lambda _alert: self.model.alerts_changed())
            bridge.groupsChanged.connect(lambda _ids: self._fill_groups())
        self.retranslate()
        self._update_buttons()

    # ----- filters ----------------------------------------------------------------------------

    def _fill_groups(self) -> None:
        chosen = self.group_combo.currentData()
        self.group_combo.blockSignals(True)
        self.group_combo.clear()
        self.group_combo.addItem(self.tr("All groups"), "")
        for group_id in sorted(self.world.groups):
            group = self.world.groups[group_id]
            self.group_combo.addItem(icon("group"), f"{group_id} {local_name(group)}", group_id)
        self.group_combo.setCurrentIndex(max(self.group_combo.findData(chosen), 0))
        self.group_combo.blockSignals(False)
        self._apply_combos()

    def _fill_places(self) -> None:
        chosen = self.place_combo.currentData()
        self.place_combo.blockSignals(True)
        self.place_combo.clear()
        self.place_combo.addItem(self.tr("All stations"), "")
        for place in self.world.layout.places:
            self.place_combo.addItem(place_label(self.world, place.code), place.code)
        self.place_combo.setCurrentIndex(max(self.place_combo.findData(chosen), 0))
        self.place_combo.blockSignals(False)

    def _fill_presence(self) -> None:
        chosen = self.presence_combo.currentData()
        self.presence_combo.blockSignals(True)
        self.presence_combo.clear()
        self.presence_combo.addItem(self.tr("Any state"), "")
        self.presence_combo.addItem(self.tr("Reachable"), "reachable")
        for presence in PRESENCE_ORDER:
            self.presence_combo.addItem(presence_name(presence), presence)
        self.presence_combo.setCurrentIndex(max(self.presence_combo.findData(chosen), 0))
        self.presence_combo.blockSignals(False)

    def _apply_combos(self) -> None:
        self.proxy.set_group(self.group_combo.currentData() or None)
        self.proxy.set_place(self.place_combo.currentData() or None)
        presence = self.presence_combo.currentData() or ""
        self.proxy.set_presence(_REACHABLE if presence == "reachable" else (presence,) if presence else None)

    def filter_by(self, *, group: str | None = None, place: str | None = None, presence: str | None = None) -> None:
        """Set the combos (tests, other panes): None leaves one as it is, "" shows all."""
        for combo, value in ((self.group_combo, group), (self.place_combo, place),
                             (self.presence_combo, presence)):
            if value is not None:
                combo.setCurrentIndex(max(combo.findData(value), 0))

    # ----- selection --------------------------------------------------------------------------

    def _id_at(self, index: QModelIndex) -> str | None:
        value = index.data(TERMINAL_ID_ROLE) if index.isValid() else None
        return str(value) if value else None

    def selected(self) -> str | None:
        """The id of the chosen handset or recorder."""
        return self._id_at(self.table.currentIndex())

    def _show_terminal(self, terminal_id: str) -> None:
        if self.model.row_of(terminal_id) is not None:
            self.select(terminal_id)

    def select(self, terminal_id: str) -> None:
        row = self.model.row_of(terminal_id)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        for button in (self.call_button, self.video_button, self.text_button):
            button.setEnabled(chosen)

    def _who(self, terminal_id: str) -> str:
        info = self.world.terminals.get(terminal_id)
        return f"{terminal_id} {local_name(info)}" if info is not None else terminal_id

    # ----- commands ---------------------------------------------------------------------------

    def call(self, terminal_id: str | None, duplex: str = "half") -> None:
        """Call a handset or recorder privately."""
        if not terminal_id:
            return
        who = self._who(terminal_id)
        self.status.run(self.tr("Calling %1…").replace("%1", who), self.desk.call_private(terminal_id, duplex),
                        lambda call: self.tr("Call %1 to %2 set up").replace("%1", str(call)).replace("%2", who))

    def video(self, terminal_id: str | None) -> None:
        """Pull video from the camera of a handset or recorder."""
        if not terminal_id:
            return
        who = self._who(terminal_id)
        self.status.run(self.tr("Opening video of %1…").replace("%1", who), self.desk.pull_video(terminal_id),
                        lambda session: self.tr("Video %1 of %2 opened").replace("%1", str(session)).replace(
                            "%2", who))

    def send_text(self, terminal_id: str, text: str) -> None:
        """Send a short text to a handset or recorder."""
        text = text.strip()
        if not text:
            return
        who = self._who(terminal_id)
        self.status.run(self.tr("Sending a text to %1…").replace("%1", who), self.desk.send_text(text, to=terminal_id),
                        lambda _sent: self.tr("Text sent to %1").replace("%1", who))

    def ask_text(self, terminal_id: str | None) -> QInputDialog | None:
        """Ask for the text to send (a small non-blocking dialog); sending it calls `send_text`."""
        if not terminal_id:
            return None
        dialog = QInputDialog(self)
        dialog.setObjectName("textDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setInputMode(QInputDialog.InputMode.TextInput)
        dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
        dialog.setWindowTitle(self.tr("Text to %1").replace("%1", terminal_id))
        dialog.setLabelText(self.tr("Message to %1:").replace("%1", self._who(terminal_id)))
        dialog.setOkButtonText(self.tr("Send"))
        dialog.resize(520, dialog.sizeHint().height())
        dialog.textValueSelected.connect(lambda text: self.send_text(terminal_id, text))
        dialog.open()
        return dialog

    def menu_for(self, terminal_id: str) -> QMenu:
        """Call (half or full duplex), video, text."""
        menu = QMenu(self)
        menu.setObjectName("handsetMenu")
        heading = menu.addAction(self._who(terminal_id))
        heading.setEnabled(False)
        menu.addSeparator()
        menu.addAction(icon("call"), self.tr("Call"), lambda: self.call(terminal_id, "half"))
        menu.addAction(icon("call"), self.tr("Call (full duplex)"), lambda: self.call(terminal_id, "full"))
        menu.addAction(icon("video"), self.tr("Video"), lambda: self.video(terminal_id))
        menu.addAction(icon("message"), self.tr("Text…"), lambda: self.ask_text(terminal_id))
        return menu

    def _menu_at(self, point: QPoint) -> None:
        terminal_id = self._id_at(self.table.indexAt(point))
        if not terminal_id:
            return
        self.select(terminal_id)
        menu = self.menu_for(terminal_id)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.table.viewport().mapToGlobal(point))

    # ----- language ---------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.filter.setPlaceholderText(self.tr("Filter: id, name, station, group…"))
        self.call_button.setText(self.tr("Call"))
        self.video_button.setText(self.tr("Video"))
        self.text_button.setText(self.tr("Text…"))
        self._fill_groups()
        self._fill_places()
        self._fill_presence()
        self._apply_combos()
        self.model.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


@pane("handsets")
def create(context: PaneContext) -> QWidget:
    return HandsetsPane(context.world, context.desk, context.bridge)


__all__ = ["HandsetsPane", "create"]
