"""The stations pane: every station, depot and the control centre with its fixed radios and cameras (a tree over
`StationsModel`), filterable and sortable, and the commands on them.

Double-click a radio to call it, a camera to pull its video. On a station's own row, "Call" calls its first
reachable radio and "Video" opens its platform camera. Outcomes and refusals show on the line under the buttons.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QPoint, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QHBoxLayout, QMenu, QPushButton, QTreeView, QVBoxLayout, QWidget

from console.ui.item_roles import SORT_ROLE
from console.ui.panes import PaneContext, pane
from console.ui.panes.pane_parts import CommandStatus, FilterEdit, prepare_view
from console.ui.panes.stations_model import ACTIVITY, NAME, STATE, TERMINAL, StationsModel, TerminalRow
from console.ui.panes.terminal_look import local_name
from console.ui.resources import icon

logger = logging.getLogger(__name__)

_REACHABLE = ("registered", "busy", "emergency")
_COLUMN_WIDTHS = {NAME: 230, TERMINAL: 100, STATE: 150, ACTIVITY: 200}


class StationsPane(QWidget):
    """The stations tree and its commands (see the module docstring)."""

    def __init__(self, world: Any, desk: Any, bridge: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stationsPane")
        self.world = world
        self.desk = desk
        self.model = StationsModel(world, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setAutoAcceptChildRows(True)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setDynamicSortFilter(True)
        self.tree = QTreeView(self)
        self.tree.setObjectName("stationsTree")
        self.tree.setModel(self.proxy)
        prepare_view(self.tree)
        self.tree.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        for column, width in _COLUMN_WIDTHS.items():
            self.tree.setColumnWidth(column, width)
        self.tree.expandAll()

        self.filter = FilterEdit(self)
        self.filter.textChanged.connect(self._filter)
        self.call_button = QPushButton(icon("call"), "", self)
        self.call_button.setObjectName("callStationButton")
        self.call_button.clicked.connect(lambda: self.call_selected("half"))
        self.full_button = QPushButton(icon("call"), "", self)
        self.full_button.setObjectName("fullDuplexStationButton")
        self.full_button.clicked.connect(lambda: self.call_selected("full"))
        self.video_button = QPushButton(icon("video"), "", self)
        self.video_button.setObjectName("videoStationButton")
        self.video_button.clicked.connect(self.video_selected)
        self.status = CommandStatus(self)

        tools = QHBoxLayout()
        tools.setContentsMargins(6, 4, 6, 2)
        tools.setSpacing(8)
        tools.addWidget(self.filter, 1)
        for button in (self.call_button, self.full_button, self.video_button):
            tools.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(tools)
        layout.addWidget(self.status)
        layout.addWidget(self.tree, 1)

        self.tree.doubleClicked.connect(self._activated)
        self.tree.customContextMenuRequested.connect(self._menu_at)
        self.tree.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        if bridge is not None:
            bridge.terminalsChanged.connect(self.model.refresh)
            # "show location": select the station, or the fixed radio or camera
            bridge.selectStation.connect(self._show)
            bridge.selectTerminal.connect(self._show)
            for signal in (bridge.callChanged, bridge.floorChanged, bridge.videoChanged):
                signal.connect(lambda _id: self.model.activity_changed())
            bridge.callEnded.connect(lambda _call, _reason: self.model.activity_changed())
        self.retranslate()
        self._update_buttons()

    # ----- choosing ---------------------------------------------------------------------------

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        self.tree.expandAll()

    def current(self) -> QModelIndex:
        """The chosen row, in the source model."""
        return self.proxy.mapToSource(self.tree.currentIndex())

    def _show(self, key: str) -> None:
        if self.model.index_of(key).isValid():
            self.select(key)

    def select(self, key: str) -> None:
        """Choose the row of place code or terminal id ``key``."""
        index = self.proxy.mapFromSource(self.model.index_of(key))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.tree.selectionModel().setCurrentIndex(index, flags)
        self.tree.scrollTo(index)

    def radio_for(self, index: QModelIndex) -> TerminalRow | None:
        """The radio a call on this row reaches: the row's radio, or its station's first reachable radio."""
        row = self.model.terminal_of(index)
        if row is not None:
            return row if row.kind == "station" else None
        place = self.model.place_of(index)
        if place is None:
            return None
        radios = [t for t in self.model.terminals_at(place.code) if t.kind == "station"]
        return next((t for t in radios if t.presence in _REACHABLE), radios[0] if radios else None)

    def camera_for(self, index: QModelIndex) -> TerminalRow | None:
        """The camera a video request on this row opens: the row's camera, or its station's first one."""
        row = self.model.terminal_of(index)
        if row is not None:
            return row if row.kind == "camera" else None
        place = self.model.place_of(index)
        cameras = [t for t in self.model.terminals_at(place.code) if t.kind == "camera"] if place else []
        return next((t for t in cameras if t.presence in _REACHABLE), cameras[0] if cameras else None)

    def _update_buttons(self) -> None:
        index = self.current()
        can_call = self.radio_for(index) is not None
        self.call_button.setEnabled(can_call)
        self.full_button.setEnabled(can_call)
        self.video_button.setEnabled(self.camera_for(index) is not None)

    # ----- commands ---------------------------------------------------------------------------

    def call(self, radio: TerminalRow, duplex: str = "half") -> None:
        """Call fixed radio ``radio`` privately."""
        who = f"{radio.id} {local_name(radio)}"
        doing = self.tr("Calling %1…").replace("%1", who)
        self.status.run(doing, self.desk.call_private(radio.id, duplex),
                        lambda call: self.tr("Call %1 to %2 set up").replace("%1", str(call)).replace("%2", who))

    def video(self, camera: TerminalRow) -> None:
        """Pull video from camera ``camera``."""
        who = f"{camera.id} {local_name(camera)}"
        doing = self.tr("Opening video of %1…").replace("%1", who)
        self.status.run(doing, self.desk.pull_video(camera.id),
                        lambda session: self.tr("Video %1 of %2 opened").replace("%1", str(session)).replace(
                            "%2", who))

    def call_selected(self, duplex: str = "half") -> None:
        radio = self.radio_for(self.current())
        if radio is not None:
            self.call(radio, duplex)

    def video_selected(self) -> None:
        camera = self.camera_for(self.current())
        if camera is not None:
            self.video(camera)

    def _activated(self, proxy_index: QModelIndex) -> None:
        row = self.model.terminal_of(self.proxy.mapToSource(proxy_index))
        if row is None:
            return  # a station's row: the tree expands or collapses it
        if row.kind == "camera":
            self.video(row)
        else:
            self.call(row, "half")

    def menu_for(self, index: QModelIndex) -> QMenu:
        """The actions on a row: call (half or full duplex) a radio, video from a camera."""
        menu = QMenu(self)
        menu.setObjectName("stationMenu")
        radio, camera = self.radio_for(index), self.camera_for(index)
        if radio is not None:
            menu.addAction(icon("call"), self.tr("Call %1").replace("%1", radio.id), lambda: self.call(radio, "half"))
            menu.addAction(icon("call"), self.tr("Call %1 (full duplex)").replace("%1", radio.id),
                           lambda: self.call(radio, "full"))
        place = self.model.place_of(index)
        cameras = [t for t in self.model.terminals_at(place.code) if t.kind == "camera"] if place else (
            [camera] if camera is not None else [])
        for each in cameras:
            menu.addAction(icon("video"), self.tr("Video: %1").replace("%1", local_name(each)),
                           lambda each=each: self.video(each))
        return menu

    def _menu_at(self, point: QPoint) -> None:
        proxy_index = self.tree.indexAt(point)
        if not proxy_index.isValid():
            return
        self.tree.setCurrentIndex(proxy_index)
        menu = self.menu_for(self.proxy.mapToSource(proxy_index))
        if menu.isEmpty():
            menu.deleteLater()
            return
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.tree.viewport().mapToGlobal(point))

    # ----- language ---------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.filter.setPlaceholderText(self.tr("Filter: station, name, radio or camera id…"))
        self.call_button.setText(self.tr("Call"))
        self.call_button.setToolTip(self.tr("Call the chosen radio, or the station's first reachable radio"))
        self.full_button.setText(self.tr("Full duplex"))
        self.full_button.setToolTip(self.tr("Call it full duplex (both talk at once, like a telephone)"))
        self.video_button.setText(self.tr("Video"))
        self.video_button.setToolTip(self.tr("Open the chosen camera, or the station's first camera"))
        self.model.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


@pane("stations")
def create(context: PaneContext) -> QWidget:
    return StationsPane(context.world, context.desk, context.bridge)


__all__ = ["StationsPane", "create"]
