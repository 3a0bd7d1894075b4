"""Link and media quality: how the desk's links to the platform and its calls and video feeds are doing, over time.

Left, the feeds table (`FeedsModel`): every call (voice link) and video feed with its latest figures, amber past a
threshold. Right, the plots over the last 5, 10 or 15 minutes, sharing one clock axis:

- heartbeat round trip to each platform instance, and each instance's link state (up, connecting, down);
- bitrate, frame rate, jitter and packet loss of the feeds chosen in the table (none chosen: the feeds with a
  warning, then the first ones carrying data, at most `AUTO_FEEDS`), each feed in its row's colour;
- the floor access time of this desk's PTT presses (KPI1), one dot per press.

Warning thresholds (``quality.*`` settings) are dashed amber lines; a value past one for long enough raises a
warning in the alarms pane (the core's `QualityMonitor` does that, not this pane). The data is the monitor's
bounded series (numpy views, one curve per series). Each plot is a widget of its own, redrawn once a second in
turn with the others (one every 1/7 s), only while shown: no single paint holds the desk's event loop up long.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.core.quality import LINK_STATE_CODES, FeedHistory, QualityMonitor
from console.core.series import Series
from console.ui.colours import MUTED_TEXT
from console.ui.panes import PaneContext, pane
from console.ui.panes.pane_parts import prepare_view
from console.ui.panes.quality_model import FeedsModel
from console.ui.widgets.plots import PALETTE, pen, themed_plot, threshold_line

logger = logging.getLogger(__name__)

__all__ = ["FEED_METRICS", "QualityPane", "create"]

REFRESH_MS = 1000
#: the window choices, seconds back from now
WINDOWS = (300, 600, 900)
DEFAULT_WINDOW = 600
#: with no feed chosen, this many are plotted (warned ones first)
AUTO_FEEDS = 6
#: the feed plots: (key, the `FeedHistory` series, the threshold's metric or None)
FEED_METRICS = (("bitrate", "bitrate_kbps", None), ("frame_rate", "frame_rate", "frame_rate"),
                ("jitter", "jitter_ms", "jitter"), ("loss", "loss_percent", "loss"))
_SERIES = {key: attribute for key, attribute, _metric in FEED_METRICS}
#: the plots and where they sit (row, column), in the order they take their turns
PLOTS = (("rtt", 0, 0), ("bitrate", 0, 1), ("frame_rate", 0, 2), ("floor_access", 0, 3), ("link_state", 1, 0),
         ("jitter", 1, 1), ("loss", 1, 2))
#: the least height of each plot (so that a quiet plot still shows its scale and threshold)
_FLOORS = {"rtt": 50.0, "bitrate": 100.0, "frame_rate": 30.0, "jitter": 20.0, "loss": 2.0, "floor_access": 100.0}


class QualityPane(QWidget):
    """The feeds table and the quality plots (see the module docstring)."""

    def __init__(self, world: Any, desk: Any, bridge: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("qualityPane")
        self.world = world
        self.monitor: QualityMonitor = desk.quality
        self.window_s = DEFAULT_WINDOW
        #: the monitor's version each plot last drew; the plot whose turn it is next
        self._drawn: dict[str, int] = {}
        self._turn = 0
        #: (series version, window) each feed curve was last given: unchanged series are not handed over again
        self._curve_versions: dict[tuple[str, str], tuple[int, int]] = {}

        self.model = FeedsModel(self.monitor, world, self)
        self.table = QTableView(self)
        self.table.setObjectName("qualityFeedsTable")
        self.table.setModel(self.model)
        prepare_view(self.table)
        self.table.setSortingEnabled(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # a new choice is drawn by the next turns (within a second), not all at once: thirty feeds' curves drawn in
        # one go would hold the desk up
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._drawn.clear())
        for column, width in enumerate((150, 60, 70, 50, 80, 70)):
            self.table.setColumnWidth(column, width)
        self.heading = QLabel(self)
        self.heading.setObjectName("paneHeading")
        self.window_label = QLabel(self)
        self.window_box = QComboBox(self)
        self.window_box.setObjectName("qualityWindow")
        self.window_box.currentIndexChanged.connect(self._window_chosen)
        self.hint = QLabel(self)
        self.hint.setStyleSheet(f"color: {MUTED_TEXT}")
        self.hint.setWordWrap(True)

        # one plot widget each (not one scene for all): each is redrawn and repainted on its own turn
        plots_area = QWidget(self)
        plots_area.setObjectName("qualityPlots")
        grid = QGridLayout(plots_area)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        self.plot_widgets: dict[str, pg.PlotWidget] = {}
        self.plots: dict[str, pg.PlotItem] = {}
        for key, row, column in PLOTS:
            widget = themed_plot(plots_area)
            widget.setObjectName(f"quality_{key}")
            grid.addWidget(widget, row, column)
            self.plot_widgets[key] = widget
            self.plots[key] = widget.getPlotItem()
        self.plots["link_state"].setYRange(-0.3, 2.3, padding=0)
        self._state_axis = self.plots["link_state"].getAxis("left")
        self.thresholds: dict[str, pg.InfiniteLine] = {}
        for key in ("rtt", "frame_rate", "jitter", "loss", "floor_access"):
            line = threshold_line(self.monitor.threshold(key))
            self.plots[key].addItem(line)
            self.thresholds[key] = line
        self.link_curves: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self.feed_curves: dict[str, dict[str, pg.PlotDataItem]] = {}
        self.floor_dots = pg.PlotDataItem(pen=None, symbol="o", symbolSize=7, symbolBrush=PALETTE[5],
                                          symbolPen=None)
        self.plots["floor_access"].addItem(self.floor_dots)
        self.rtt_legend = self.plots["rtt"].addLegend(offset=(6, 4), labelTextColor=MUTED_TEXT)

        side = QWidget(self)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(6, 4, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.heading, 1)
        head.addWidget(self.window_label)
        head.addWidget(self.window_box)
        side_layout.addLayout(head)
        side_layout.addWidget(self.table, 1)
        side_layout.addWidget(self.hint)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(side)
        self.splitter.addWidget(plots_area)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([520, 1300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        if bridge is not None:
            bridge.alarmChanged.connect(lambda _alarm: self.model.refresh())
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS // len(PLOTS))
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.retranslate()

    # ----- which feeds ------------------------------------------------------------------------

    def chosen_feeds(self) -> list[str]:
        """The sessions the table has selected, in table order."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [s for s in (self.model.session_at(row) for row in rows) if s is not None]

    def plotted_feeds(self) -> list[str]:
        """The feeds the plots show: the chosen ones, else the warned ones, then the first ones carrying data now."""
        chosen = self.chosen_feeds()
        if chosen:
            return chosen
        feeds = list(self.monitor.feeds.values())
        ranked = sorted(feeds, key=lambda f: (not self.model.warned(f.session), f.ended is not None,
                                              not (f.bitrate_kbps.last_value() or 0.0) > 0.0))
        return [f.session for f in ranked[:AUTO_FEEDS]]

    def choose(self, session: str) -> None:
        """Select one feed in the table (its curves alone are plotted)."""
        self.model.refresh()
        row = self.model.row_of(session)
        if row is None:
            return
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().select(self.model.index(row, 0), flags)

    # ----- drawing ----------------------------------------------------------------------------

    def refresh(self, *, force: bool = False) -> None:
        """The next plot's turn (each plot slides to the clock and redraws once a second, one at a time, so that
        no single paint holds the desk up); ``force``: every plot now."""
        if force:
            self.redraw()
            return
        if not self.isVisible():
            return
        key = PLOTS[self._turn % len(PLOTS)][0]
        self._turn += 1
        if key == PLOTS[0][0]:
            self.model.refresh()
        self._draw(key, self.monitor.clock())

    def redraw(self) -> None:
        """Every plot now (a new choice of feeds, a new window, a test)."""
        self._drawn.clear()
        self.model.refresh()
        now = self.monitor.clock()
        for key, _row, _column in PLOTS:
            self._draw(key, now)

    def _draw(self, key: str, now: float) -> None:
        start = now - self.window_s - 5
        self.plots[key].setXRange(now - self.window_s, now + 5, padding=0)
        if self._drawn.get(key) == self.monitor.version:
            return
        self._drawn[key] = self.monitor.version
        line = self.thresholds.get(key)
        if line is not None:
            value = self.monitor.threshold(key)
            line.setPos(value)
            line.setVisible(value > 0)
        highest = 0.0
        if key in ("rtt", "link_state"):
            highest = self._draw_links(key, start)
        elif key == "floor_access":
            times, values = self.monitor.floor_access_ms.since(start)
            self.floor_dots.setData(times, values)
            highest = _top(values)
        else:
            highest = self._draw_feeds(key, start)
        if key != "link_state":
            threshold = self.monitor.threshold(key) if key in self.thresholds else 0.0
            self.plots[key].setYRange(0.0, max(highest * 1.15, threshold * 1.5, _FLOORS[key]), padding=0)

    def _draw_links(self, key: str, start: float) -> float:
        highest = 0.0
        for index, (name, history) in enumerate(sorted(self.monitor.links.items())):
            curves = self.link_curves.get(name)
            if curves is None:
                colour = PALETTE[index % len(PALETTE)]
                rtt = self.plots["rtt"].plot(pen=pen(colour, 1), connect="finite", name=name)
                state = self.plots["link_state"].plot(pen=pen(colour, 1), connect="finite")
                curves = self.link_curves[name] = (rtt, state)
            if key == "rtt":
                times, values = history.rtt_ms.since(start)
                curves[0].setData(times, values, connect="finite")
                highest = max(highest, _top(values))
            else:
                times, states = history.state.since(start)
                # instances side by side: A exactly on its level, B a little below, so both show when equal
                curves[1].setData(times, states - 0.08 * index, connect="finite")
        return highest

    def _draw_feeds(self, key: str, start: float) -> float:
        attribute = _SERIES[key]
        shown = self.plotted_feeds()
        for session in list(self.feed_curves):
            curves = self.feed_curves[session]
            if key in curves and (session not in shown or session not in self.monitor.feeds):
                self.plots[key].removeItem(curves.pop(key))
                self._curve_versions.pop((session, key), None)
            if not curves:
                del self.feed_curves[session]
        highest = 0.0
        for session in shown:
            feed: FeedHistory | None = self.monitor.feeds.get(session)
            if feed is None:
                continue
            curves = self.feed_curves.setdefault(session, {})
            curve = curves.get(key)
            if curve is None:
                curve = curves[key] = self.plots[key].plot(pen=pen(self.model.colour_of(session), 1),
                                                           connect="finite")
                curve.setDownsampling(auto=True, method="peak")
                curve.setClipToView(True)
            series: Series = getattr(feed, attribute)
            times, values = series.since(start)
            drawn = (series.version, self.window_s)
            if self._curve_versions.get((session, key)) != drawn:  # a feed that ended (or is idle) costs nothing
                self._curve_versions[(session, key)] = drawn
                curve.setData(times, values, connect="finite")
            highest = max(highest, _top(values))
        return highest

    def curve_data(self, session: str, key: str) -> tuple[Any, Any]:
        """The (times, values) a feed's curve shows now (tests)."""
        curve = self.feed_curves.get(session, {}).get(key)
        if curve is None:
            return None, None
        return curve.xData, curve.yData

    # ----- window and language ----------------------------------------------------------------

    def _window_chosen(self, index: int) -> None:
        if 0 <= index < len(WINDOWS):
            self.window_s = WINDOWS[index]
            self.refresh(force=self.isVisible())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh(force=True)

    def retranslate(self) -> None:
        self.heading.setText(self.tr("Calls and video feeds"))
        self.window_label.setText(self.tr("Last:"))
        current = self.window_box.currentIndex()
        self.window_box.blockSignals(True)
        self.window_box.clear()
        for seconds in WINDOWS:
            self.window_box.addItem(self.tr("%1 min").replace("%1", str(seconds // 60)))
        self.window_box.setCurrentIndex(current if current >= 0 else WINDOWS.index(DEFAULT_WINDOW))
        self.window_box.blockSignals(False)
        self.hint.setText(self.tr("Choose feeds in the list to plot them (Ctrl-click for several). Dashed amber "
                                  "lines are the warning thresholds; a warning shows in the alarms pane."))
        titles = {
            "rtt": self.tr("Heartbeat round trip (ms)"),
            "link_state": self.tr("Link state"),
            "bitrate": self.tr("Bitrate (kbit/s)"),
            "frame_rate": self.tr("Frame rate (fps)"),
            "jitter": self.tr("Jitter (ms)"),
            "loss": self.tr("Packet loss (%)"),
            "floor_access": self.tr("Floor access time, KPI1 (ms)"),
        }
        for key, title in titles.items():
            self.plots[key].setTitle(title, color=MUTED_TEXT, size="10pt")
        words = {"up": self.tr("up"), "connecting": self.tr("connecting"), "down": self.tr("down")}
        self._state_axis.setTicks([[(code, words[state]) for state, code in LINK_STATE_CODES.items()], []])
        self.model.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _top(values: Any) -> float:
    """The highest finite value (0 with none)."""
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else 0.0


@pane("quality")
def create(context: PaneContext) -> QWidget:
    return QualityPane(context.world, context.desk, context.bridge)

