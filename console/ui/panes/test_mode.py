"""Test mode, the maintainer's panel: the test bench's simulated terminals (added and stopped here), driving the one
chosen in the list, the platform's faults, and the recorder that writes it all down as a scenario file.

Not a dispatcher's pane: it is not in `LAYOUT`. `install` registers it (with the bench it drives) before the window
is built, as `trunkdesk demo --test-mode` and `trunkdesk desk --test-mode` do; its dock sits in a tab beside the
groups pane, hidden in the default layout, and View → Test mode shows it. The panel is parts
(`console.ui.test_mode`): the terminals' item model, the drive panel, the faults panel and the record bar; this
module wires them and keeps them fresh (a timer re-reads the simulated terminals' own state, which has no signals).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.ui.i18n import QT_TRANSLATE_NOOP
from console.ui.item_roles import SORT_ROLE, TERMINAL_ID_ROLE
from console.ui.panes import Area, PaneContext, PaneSpec, register, unregister
from console.ui.panes.pane_parts import FilterEdit, prepare_view
from console.ui.panes.terminal_look import kind_name
from console.ui.test_mode.drive_panel import DrivePanel
from console.ui.test_mode.faults_panel import FaultsPanel
from console.ui.test_mode.parts import StatusLine
from console.ui.test_mode.record_bar import RecordBar
from console.ui.test_mode.terminals_model import ALERT, FLOOR, ID, KIND, LINK, PRESENCE, SimTerminalsModel

logger = logging.getLogger(__name__)

NAME = "test_mode"
TITLE = QT_TRANSLATE_NOOP("Panes", "Test mode")
#: how often the simulated terminals' own state and the pair's processes are re-read, ms
REFRESH_MS = 400
_WIDTHS = {ID: 96, KIND: 124, PRESENCE: 100, LINK: 46, FLOOR: 72, ALERT: 70}
#: the tabs under the list
DRIVE_TAB, FAULTS_TAB = 0, 1


class TestModePane(QWidget):
    """The panel (see the module docstring) over ``bench`` (`console.ui.test_mode.bench.TestBench`)."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, bench: Any, context: PaneContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("testModePane")
        self.bench = bench
        self.context = context
        world = context.world
        self.record_bar = RecordBar(bench, self)

        self.terminals_box = QGroupBox(self)
        self.add_box = QComboBox(self.terminals_box)
        self.add_box.setObjectName("testAddTerminal")
        self.add_box.setEditable(True)
        self.add_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.add_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.add_box.setMinimumContentsLength(12)
        self.add_button = QPushButton(self.terminals_box)
        self.add_button.setObjectName("testAddButton")
        self.add_button.clicked.connect(self.add_chosen)
        self.add_all_button = QPushButton(self.terminals_box)
        self.add_all_button.setObjectName("testAddAllButton")
        self.add_all_button.clicked.connect(self.add_all)
        self.remove_button = QPushButton(self.terminals_box)
        self.remove_button.setObjectName("testRemoveButton")
        self.remove_button.clicked.connect(self.remove_selected)
        self.filter = FilterEdit(self.terminals_box)
        self.count = QLabel(self.terminals_box)
        self.count.setObjectName("testTerminalCount")
        self.terminals_status = StatusLine(self.terminals_box)

        self.model = SimTerminalsModel(bench, world, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.view = QTableView(self.terminals_box)
        self.view.setObjectName("testTerminalsView")
        self.view.setModel(self.proxy)
        prepare_view(self.view)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.verticalHeader().setDefaultSectionSize(30)
        self.view.setMinimumHeight(120)
        self.view.sortByColumn(ID, Qt.SortOrder.AscendingOrder)
        header = self.view.horizontalHeader()
        for column, width in _WIDTHS.items():
            header.resizeSection(column, width)
        header.setSectionResizeMode(ALERT, QHeaderView.ResizeMode.Stretch)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._follow_choice())

        adding = QHBoxLayout()
        adding.addWidget(self.add_box, 1)
        adding.addWidget(self.add_button)
        adding.addWidget(self.add_all_button)
        adding.addWidget(self.remove_button)
        listing = QHBoxLayout()
        listing.addWidget(self.filter, 1)
        listing.addWidget(self.count)
        box = QVBoxLayout(self.terminals_box)
        box.addLayout(adding)
        box.addLayout(listing)
        box.addWidget(self.view, 1)
        box.addWidget(self.terminals_status)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("testModeTabs")
        self.drive = DrivePanel(bench, world, self.tabs)
        self.faults = FaultsPanel(bench, self.tabs)
        for part in (self.drive, self.faults):
            scroll = QScrollArea(self.tabs)  # a short dock scrolls the controls, never the list
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setWidget(part)
            self.tabs.addTab(scroll, "")

        # the list above, the controls below: the maintainer moves the line between them
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("testModeSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.terminals_box)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([420, 480])  # in proportion: the list gets a good part of the dock
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(self.record_bar)
        outer.addWidget(self.splitter, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self._unsubscribe = bench.subscribe(self._bench_changed)
        context.bridge.linkChanged.connect(lambda _name: self.faults.refresh())
        self.destroyed.connect(lambda *_: self._unsubscribe())
        self.retranslate()

    # ----- following the bench --------------------------------------------------------------------

    def _bench_changed(self) -> None:
        self.model.refresh()
        self._fill_candidates()
        self.faults.refresh()
        self.record_bar.refresh()
        self._show_count()

    def refresh(self) -> None:
        """Re-read the simulated terminals' own state and the pair's processes."""
        self.model.refresh()
        self.faults.refresh()
        self._show_count()

    def _show_count(self) -> None:
        text = self.tr("%1 simulated").replace("%1", str(len(self.bench.simulated)))
        if self.bench.adding:
            text += " · " + self.tr("%1 registering").replace("%1", str(self.bench.adding))
        self.count.setText(text)
        if self.bench.problem and not self.terminals_status.text():
            self.terminals_status.show_text(self.bench.problem, failed=True)
            self.bench.problem = ""

    def _fill_candidates(self) -> None:
        chosen = self.add_box.currentData()
        line = self.bench.line
        self.add_box.blockSignals(True)
        self.add_box.clear()
        for terminal in self.bench.candidates():
            self.add_box.addItem(f"{terminal} — {kind_name(line.terminals[terminal].kind)}", terminal)
        index = self.add_box.findData(chosen)
        self.add_box.setCurrentIndex(index if index >= 0 else 0 if self.add_box.count() else -1)
        self.add_box.blockSignals(False)
        attached = self.bench.session is not None
        self.add_button.setEnabled(attached and self.add_box.count() > 0)
        self.add_all_button.setEnabled(attached and self.add_box.count() > 0)
        self.remove_button.setEnabled(attached)

    def _follow_choice(self) -> None:
        self.drive.set_terminal(self.current_terminal())
        self._name_tabs()

    def _name_tabs(self) -> None:
        terminal = self.drive.terminal
        self.tabs.setTabText(DRIVE_TAB, self.tr("Drive %1").replace("%1", terminal) if terminal
                             else self.tr("Drive a terminal"))
        self.tabs.setTabText(FAULTS_TAB, self.tr("Platform faults"))

    def current_terminal(self) -> str | None:
        """The terminal whose row is current in the list (the one the drive panel acts on)."""
        index = self.view.currentIndex()
        return str(index.data(TERMINAL_ID_ROLE)) if index.isValid() else None

    def select_terminal(self, terminal: str) -> bool:
        """Make ``terminal``'s row current (the drive panel then drives it); False when it is not listed."""
        row = self.model.row_of(terminal)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                                                   | QItemSelectionModel.SelectionFlag.Rows)
        self.view.scrollTo(index)
        return True

    # ----- adding and removing -------------------------------------------------------------------

    def _chosen_to_add(self) -> str | None:
        data = self.add_box.currentData()
        typed = self.add_box.currentText().split(" ", 1)[0].strip()
        if data is not None and self.add_box.itemText(self.add_box.currentIndex()) == self.add_box.currentText():
            return str(data)
        return typed if typed in self.bench.line.terminals else None

    def add_chosen(self) -> None:
        terminal = self._chosen_to_add()
        if terminal is None:
            self.terminals_status.show_text(self.tr("Choose a terminal of the line to add"), failed=True)
            return
        self.add([terminal])

    def add_all(self) -> None:
        self.add(self.bench.candidates())

    def add(self, terminals: list[str]) -> None:
        what = terminals[0] if len(terminals) == 1 else self.tr("%1 terminals").replace("%1", str(len(terminals)))
        self.terminals_status.run(self.tr("Registering %1…").replace("%1", what), self.bench.add(terminals),
                                  lambda started: self.tr("%1 registered").replace(
                                      "%1", ", ".join(started) if len(started) <= 3 else str(len(started))))

    def remove_selected(self) -> None:
        rows = {index.row() for index in self.view.selectionModel().selectedRows()}
        terminals = [str(self.proxy.index(row, 0).data(TERMINAL_ID_ROLE)) for row in sorted(rows)]
        if not terminals:
            self.terminals_status.show_text(self.tr("Select the terminals to stop in the list"), failed=True)
            return
        what = terminals[0] if len(terminals) == 1 else self.tr("%1 terminals").replace("%1", str(len(terminals)))
        self.terminals_status.run(self.tr("Stopping %1…").replace("%1", what), self.bench.remove(terminals),
                                  lambda _none: self.tr("%1 stopped").replace("%1", what))

    # ----- language ------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.terminals_box.setTitle(self.tr("Simulated terminals"))
        editor = self.add_box.lineEdit()
        if editor is not None:
            editor.setPlaceholderText(self.tr("a terminal of the line"))
        self.add_button.setText(self.tr("Add"))
        self.add_button.setToolTip(self.tr("Register this terminal of the line as a simulated one"))
        self.add_all_button.setText(self.tr("Add all"))
        self.add_all_button.setToolTip(self.tr("Register every terminal of the line not simulated yet"))
        self.remove_button.setText(self.tr("Stop"))
        self.remove_button.setToolTip(self.tr("The selected terminals say goodbye and stop"))
        self.filter.setPlaceholderText(self.tr("Filter: id, kind, state"))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.model.columnCount() - 1)
        self._name_tabs()
        self._fill_candidates()
        self._show_count()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def show_pane(window: Any) -> None:
    """Bring the test mode dock to the front of its tab (call after the window is shown: a tab raised before is not
    the one shown)."""
    window.raise_pane(NAME)


def install(bench: Any) -> PaneSpec:
    """Register the test mode pane over ``bench`` (before the window is built); in a tab beside the groups pane."""

    def create(context: PaneContext) -> QWidget:
        return TestModePane(bench, context)

    return register(NAME, create, title=TITLE, area=Area.LeftDockWidgetArea, tab_with="groups", icon="test-mode",
                    hidden=True)


def uninstall() -> None:
    """Forget the pane (a later window is built without it)."""
    unregister(NAME)


__all__ = ["NAME", "REFRESH_MS", "TITLE", "TestModePane", "install", "show_pane", "uninstall"]
