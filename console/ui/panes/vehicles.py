"""The trains pane: the line diagram above, the trains table below (a splitter between), both over one
`TrainsModel` fed from the core `World` through the bridge.

A train is chosen by clicking its chip on the diagram or its row in the table (the other follows, and so does the
rest of the desk: the choice goes out as ``bridge.selectTerminal``, which the train graph highlights). Double-click
calls it (half duplex); the context menu and the buttons call it half or full duplex, pull video from its cab or
saloon camera, or write a message to its passenger screens (PIS); "PIS to all trains" writes to every train.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QPoint, QSortFilterProxyModel, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.ui.item_roles import SORT_ROLE, TERMINAL_ID_ROLE
from console.ui.panes import PaneContext, pane
from console.ui.panes.pane_parts import CommandStatus, FilterEdit, prepare_view
from console.ui.panes.pis_dialog import PisDialog, PisRequest
from console.ui.panes.terminal_look import PRESENCE_FILL, presence_name
from console.ui.panes.trains_model import EMERGENCY, POSITION, STATE, TRAIN, TrainsModel, camera_label
from console.ui.resources import icon
from console.ui.widgets.line_diagram import TUNNEL, LineDiagram

logger = logging.getLogger(__name__)

#: what the legend explains, in this order
_LEGEND = ("registered", "busy", "emergency", "unreachable", "offline")
_COLUMN_WIDTHS = {TRAIN: 110, 1: 110, POSITION: 260, 3: 90, STATE: 130}
#: below this height (px: a header and three rows) the table folds away at start
_TABLE_MIN = 150


class VehiclesPane(QWidget):
    """The line diagram and the trains table (see the module docstring)."""

    def __init__(self, world: Any, desk: Any, bridge: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("vehiclesPane")
        self.world = world
        self.desk = desk
        self.bridge = bridge
        #: the train the desk-wide selection is at, as far as this pane said or heard (not said twice)
        self._told: str | None = None
        #: following a selection made elsewhere: not to be said back
        self._following = False
        self.model = TrainsModel(world, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setDynamicSortFilter(True)

        self.diagram = LineDiagram(world.layout, self.model, self)
        self.table = QTableView(self)
        self.table.setObjectName("trainsTable")
        self.table.setModel(self.proxy)
        prepare_view(self.table)
        for column, width in _COLUMN_WIDTHS.items():
            self.table.setColumnWidth(column, width)
        self.table.sortByColumn(POSITION, Qt.SortOrder.AscendingOrder)

        self.filter = FilterEdit(self)
        self.filter.setMinimumWidth(240)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.call_button = QPushButton(icon("call"), "", self)
        self.call_button.setObjectName("callTrainButton")
        self.call_button.clicked.connect(lambda: self.call_selected("half"))
        self.video_button = QPushButton(icon("video"), "", self)
        self.video_button.setObjectName("videoTrainButton")
        self.video_menu = QMenu(self)
        self.video_menu.aboutToShow.connect(self._fill_video_menu)
        self.video_button.setMenu(self.video_menu)
        self.pis_button = QPushButton(self)
        self.pis_button.setObjectName("pisTrainButton")
        self.pis_button.clicked.connect(lambda: self.open_pis(self._selected_numbers()))
        self.pis_all_button = QPushButton(self)
        self.pis_all_button.setObjectName("pisAllButton")
        self.pis_all_button.clicked.connect(lambda: self.open_pis(()))
        self.legend = QLabel(self)
        self.legend.setObjectName("lineLegend")
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # clipped when narrow
        self.legend.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.status = CommandStatus(self)

        tools = QHBoxLayout()
        tools.setContentsMargins(6, 4, 6, 2)
        tools.setSpacing(8)
        for widget in (self.filter, self.call_button, self.video_button, self.pis_button, self.pis_all_button):
            tools.addWidget(widget)
        tools.addWidget(self.status, 1)
        tools.addWidget(self.legend, 1)
        # the diagram first; the table takes what height is left and folds away in a short dock (drag it open)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("vehiclesSplitter")
        self.splitter.addWidget(self.diagram)
        self.splitter.addWidget(self.table)
        self.table.setMinimumHeight(1)  # the table may fold away: it must not make the dock taller
        self.splitter.setCollapsible(0, False)
        self.splitter.setCollapsible(1, True)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        #: the dispatcher dragged the splitter: their split stays; until then it follows the pane's height
        self._split_by_hand = False
        self.splitter.splitterMoved.connect(self._split_moved)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(tools)
        layout.addWidget(self.splitter, 1)

        self.diagram.trainSelected.connect(self._picked_on_diagram)
        self.diagram.trainActivated.connect(lambda radio: self.call(radio, "half"))
        self.diagram.trainMenuRequested.connect(self.show_menu)
        self.table.selectionModel().currentRowChanged.connect(self._table_row_changed)
        self.table.doubleClicked.connect(lambda index: self.call(self._radio_at(index), "half"))
        self.table.customContextMenuRequested.connect(self._table_menu)
        if bridge is not None:
            bridge.terminalsChanged.connect(self.model.refresh)
            bridge.alertChanged.connect(lambda _alert: self.model.alerts_changed())
            # "show location" of an alert or alarm: select the train if it is one of ours
            bridge.selectTerminal.connect(self._show_terminal)
            bridge.snapshotApplied.connect(lambda _complete: self._after_snapshot())
        self.retranslate()
        self._update_buttons()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self._split_by_hand:
            self.split_default()

    def _split_moved(self, _pos: int, _index: int) -> None:
        self._split_by_hand = True

    def split_default(self) -> None:
        """The diagram at its natural height; the table below it when at least three rows fit, else folded."""
        total = max(self.splitter.height(), 1)
        diagram = min(max(self.diagram.sizeHint().height(), self.diagram.minimumHeight()), total)
        rest = total - diagram - self.splitter.handleWidth()
        self.splitter.setSizes([diagram, rest] if rest >= _TABLE_MIN else [total, 0])

    # ----- selection --------------------------------------------------------------------------

    def selected(self) -> str | None:
        """The radio id of the chosen train."""
        return self.diagram.selected()

    def _show_terminal(self, terminal_id: str) -> None:
        if self.model.row_of(terminal_id) is not None:
            self._told = terminal_id
            self._following = True
            try:
                self.select(terminal_id)
            finally:
                self._following = False

    def _picked_on_diagram(self, radio: str) -> None:
        self._select_in_table(radio)
        self._tell_desk(radio or None)

    def _tell_desk(self, radio: str | None) -> None:
        """The dispatcher chose train ``radio`` here: the other panes (the train graph) follow."""
        if radio is None or self._following or radio == self._told or self.bridge is None:
            return
        self._told = radio
        self.bridge.selectTerminal.emit(radio)

    def select(self, radio: str | None) -> None:
        """Choose train ``radio`` on both the diagram and the table."""
        self.diagram.set_selected(radio)
        self._select_in_table(radio or "")

    def _select_in_table(self, radio: str) -> None:
        row = self.model.row_of(radio) if radio else None
        selection = self.table.selectionModel()
        if row is None:
            selection.clearSelection()
        else:
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            selection.setCurrentIndex(index, flags)
            self.table.scrollTo(index)
        self._update_buttons()

    def _table_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        radio = self._radio_at(current)
        self.diagram.set_selected(radio)
        self._update_buttons()
        self._tell_desk(radio)

    def _radio_at(self, index: QModelIndex) -> str | None:
        value = index.data(TERMINAL_ID_ROLE) if index.isValid() else None
        return str(value) if value else None

    def _selected_numbers(self) -> tuple[str, ...]:
        radio = self.selected()
        row = self.model.row_of(radio) if radio else None
        return (self.model.train(row).number,) if row is not None else ()

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        for button in (self.call_button, self.video_button, self.pis_button):
            button.setEnabled(chosen)

    def _after_snapshot(self) -> None:
        self.model.alerts_changed()
        self.model.refresh_all()

    # ----- commands ---------------------------------------------------------------------------

    def _number_of(self, radio: str) -> str:
        row = self.model.row_of(radio)
        return self.model.train(row).number if row is not None else radio

    def call(self, radio: str | None, duplex: str = "half") -> None:
        """Call train ``radio`` privately (the desk rings its cab radio)."""
        if not radio:
            return
        number = self._number_of(radio)
        doing = self.tr("Calling train %1…").replace("%1", number)
        self.status.run(doing, self.desk.call_private(radio, duplex),
                        lambda call: self.tr("Call %1 to train %2 set up").replace("%1", str(call)).replace(
                            "%2", number))

    def call_selected(self, duplex: str = "half") -> None:
        self.call(self.selected(), duplex)

    def video(self, radio: str | None, camera: str | None = None) -> None:
        """Pull video from train ``radio`` (from one of its cameras when ``camera`` is given)."""
        if not radio:
            return
        number = self._number_of(radio)
        doing = self.tr("Opening video of train %1…").replace("%1", number)
        self.status.run(doing, self.desk.pull_video(radio, camera=camera),
                        lambda session: self.tr("Video %1 of train %2 opened").replace("%1", str(session)).replace(
                            "%2", number))

    def open_pis(self, numbers: tuple[str, ...] | list[str]) -> PisDialog:
        """Open the PIS dialog for ``numbers`` (empty: every train); sending it pushes the message."""
        dialog = PisDialog(tuple(numbers), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.push_pis(dialog.request()))
        dialog.open()
        return dialog

    def push_pis(self, request: PisRequest) -> None:
        """Send a PIS message to the passenger screens."""
        target = ", ".join(request.trains) if request.trains else self.tr("every train")
        doing = self.tr("Sending the message to the screens of %1…").replace("%1", target)
        self.status.run(doing, self.desk.push_pis(request.text, request.text_en, request.trains,
                                                  duration_s=request.duration_s, urgent=request.urgent),
                        lambda pushed: self.tr("Message shown on %1 train(s)").replace(
                            "%1", str(getattr(pushed, "trains", "?"))))

    # ----- menus ---------------------------------------------------------------------------------

    def train_menu(self, radio: str) -> QMenu:
        """The actions on one train: call (half or full duplex), video from each camera, PIS message."""
        menu = QMenu(self)
        menu.setObjectName("trainMenu")
        number = self._number_of(radio)
        heading = menu.addAction(icon("train"), self.tr("Train %1").replace("%1", number))
        heading.setEnabled(False)
        menu.addSeparator()
        menu.addAction(icon("call"), self.tr("Call"), lambda: self.call(radio, "half"))
        menu.addAction(icon("call"), self.tr("Call (full duplex)"), lambda: self.call(radio, "full"))
        video = menu.addMenu(icon("video"), self.tr("Video"))
        self._add_cameras(video, radio)
        menu.addAction(self.tr("PIS message…"), lambda: self.open_pis((number,)))
        return menu

    def _add_cameras(self, menu: QMenu, radio: str) -> None:
        row = self.model.row_of(radio)
        cameras = self.model.train(row).cameras if row is not None else ()
        for camera in cameras:
            menu.addAction(icon("camera"), camera_label(self.world, camera),
                           lambda camera=camera: self.video(radio, camera))
        if not cameras:
            menu.addAction(icon("video"), self.tr("Train radio's camera"), lambda: self.video(radio))

    def _fill_video_menu(self) -> None:
        self.video_menu.clear()
        radio = self.selected()
        if radio:
            self._add_cameras(self.video_menu, radio)

    def show_menu(self, radio: str, where: QPoint) -> None:
        self.select(radio)
        menu = self.train_menu(radio)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(where)

    def _table_menu(self, point: QPoint) -> None:
        radio = self._radio_at(self.table.indexAt(point))
        if radio:
            self.show_menu(radio, self.table.viewport().mapToGlobal(point))

    # ----- language -------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.filter.setPlaceholderText(self.tr("Filter: number, radio, station…"))
        self.call_button.setText(self.tr("Call"))
        self.call_button.setToolTip(self.tr("Call the chosen train's cab radio (double-click a train does the same)"))
        self.video_button.setText(self.tr("Video"))
        self.pis_button.setText(self.tr("PIS message…"))
        self.pis_all_button.setText(self.tr("PIS to all trains…"))
        swatches = [f'<span style="color:{PRESENCE_FILL[p].name()}">■</span>&nbsp;{presence_name(p)}'
                    for p in _LEGEND]
        tunnel = self.tr("Tunnel")  # outside the f-string, where lupdate finds it
        swatches.append(f'<span style="color:{TUNNEL.lighter(180).name()}">■</span>&nbsp;{tunnel}')
        self.legend.setText("&nbsp;&nbsp;&nbsp;".join(swatches))
        self.model.retranslate()
        self.table.setColumnWidth(EMERGENCY, 120)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


@pane("vehicles")
def create(context: PaneContext) -> QWidget:
    return VehiclesPane(context.world, context.desk, context.bridge)


__all__ = ["VehiclesPane", "create"]
