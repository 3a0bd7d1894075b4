"""The train graph: the railway time-distance diagram, live.

Time runs left to right (clock time, "now" a yellow vertical line, the window follows the clock: the last and the
next 15, 30 or 60 minutes), chainage bottom to top with every station a faint horizontal line named on the left
(in Chinese or English, as the desk speaks). The timetable's planned run lines are thin grey; each train's
reported positions are its live line, green on time, amber from `LATE_S` late, red from `VERY_LATE_S`, blue when
its delay is unknown (not timetabled), with its running number (and delay, once late) at its head.

The data is the core's `TrainTracks` (``desk.trains``): numpy views of each train's bounded series, handed to one
curve per train (no Python object per point); the planned lines of all trains are one curve broken by NaNs. The
pane redraws at most `REFRESH_MS` apart and only while shown. Clicking a train's line (or near it) selects the
train across the desk, as the vehicles pane does (``bridge.selectTerminal``); a train selected elsewhere is drawn
thicker here.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from console.core.train_graph import LATE_S, VERY_LATE_S, TrainTracks, delay_class
from console.ui.colours import ALARM, CALL, EMERGENCY_TEXT, GRANTED, MUTED_TEXT
from console.ui.panes import PaneContext, pane
from console.ui.vocabulary import local_name
from console.ui.widgets.plots import pen, themed_plot

logger = logging.getLogger(__name__)

__all__ = ["DELAY_COLOURS", "TrainGraphPane", "create"]

#: every train's line is redrawn once a second (trains report about once a second), in this many slices
REFRESH_MS = 1000
SLICES = 4
#: the window choices: seconds either side of now
SPANS = (900, 1800, 3600)
DEFAULT_SPAN = 1800
#: a click this close (pixels) to a train's line picks it
PICK_PX = 14.0
#: height of a train's label (pixels): labels closer than this are moved apart
LABEL_PX = 20.0
DELAY_COLOURS = {"on_time": GRANTED, "late": ALARM, "very_late": EMERGENCY_TEXT, "unknown": CALL}
PLANNED = "#6e7b88"
NOW = "#ffd33d"
STATION_LINE = "#263040"


def delay_text(delay: float | None) -> str:
    """``+3:20`` for a train 200 s late, ``-1:05`` early; "" within a minute of its plan."""
    if delay is None or abs(delay) < LATE_S:
        return ""
    sign = "+" if delay > 0 else "-"
    seconds = round(abs(delay))
    return f"{sign}{seconds // 60}:{seconds % 60:02d}"


class TrainGraphPane(QWidget):
    """The live time-distance diagram (see the module docstring)."""

    #: the dispatcher clicked a train's line (its radio id)
    trainPicked = Signal(str)

    def __init__(self, world: Any, desk: Any, bridge: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainGraphPane")
        self.world = world
        self.desk = desk
        self.bridge = bridge
        self.tracks: TrainTracks = desk.trains
        self.span = DEFAULT_SPAN
        self.selected: str | None = None

        self.span_box = QComboBox(self)
        self.span_box.setObjectName("trainGraphSpan")
        self.span_box.currentIndexChanged.connect(self._span_chosen)
        self.legend = QLabel(self)
        self.legend.setObjectName("trainGraphLegend")
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.legend.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.span_label = QLabel(self)
        tools = QHBoxLayout()
        tools.setContentsMargins(6, 4, 6, 2)
        tools.addWidget(self.span_label)
        tools.addWidget(self.span_box)
        tools.addWidget(self.legend, 1)

        self.plot = themed_plot(self)
        self.plot.setObjectName("trainGraphPlot")
        self.item = self.plot.getPlotItem()
        self.view = self.item.getViewBox()
        # thin solid lines: a dashed or wide pen costs Qt's raster engine several times more to draw
        self.planned_curve = pg.PlotDataItem(pen=pen(PLANNED, 1), connect="finite")
        self.planned_curve.setZValue(-5)
        self.item.addItem(self.planned_curve)
        self.now_line = pg.InfiniteLine(angle=90, movable=False, pen=pen(NOW, 1.5))
        self.now_line.setZValue(20)
        self.item.addItem(self.now_line)
        #: one live line and one head label per train radio
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.labels: dict[str, pg.TextItem] = {}
        self._station_lines: list[pg.InfiniteLine] = []
        self._looks: dict[str, tuple[str, bool]] = {}
        self._label_texts: dict[str, tuple[str, str, bool]] = {}
        #: where each train's line ends (its label goes there)
        self._heads: dict[str, tuple[float, float]] = {}
        #: the tracks' version each slice of trains was last drawn at
        self._drawn = [-1] * SLICES
        self._tick = 0
        self._plan_key: tuple[int, int, int] | None = None
        self._draw_stations()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(tools)
        layout.addWidget(self.plot, 1)

        self.plot.scene().sigMouseClicked.connect(self._clicked)
        if bridge is not None:
            bridge.selectTerminal.connect(self._selected_elsewhere)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS // SLICES)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.retranslate()

    # ----- drawing ----------------------------------------------------------------------------

    def _draw_stations(self) -> None:
        stations = [p for p in self.world.layout.stations if p.chainage_m is not None]
        for line in self._station_lines:
            self.item.removeItem(line)
        self._station_lines = []
        for place in stations:
            line = pg.InfiniteLine(pos=place.chainage_m, angle=0, movable=False, pen=pen(STATION_LINE, 1))
            line.setZValue(-10)
            self.item.addItem(line)
            self._station_lines.append(line)
        if stations:
            low = min(p.chainage_m for p in stations)
            high = max(p.chainage_m for p in stations)
            margin = max(200.0, (high - low) * 0.03)
            self.item.setYRange(low - margin, high + margin, padding=0)
        self._name_stations()

    def _name_stations(self) -> None:
        ticks = [(p.chainage_m, f"{local_name(p.name, p.name_zh) or p.code}  {p.code}")
                 for p in self.world.layout.stations if p.chainage_m is not None]
        self.item.getAxis("left").setTicks([ticks, []])

    def refresh(self, now: float | None = None, *, force: bool = False) -> None:
        """One tick: the window follows the clock once a second; each tick redraws the lines of a quarter of the
        trains (every train once a second, in `SLICES` short steps rather than one long one). Only while the
        pane is shown, unless ``force`` (everything now)."""
        if not force and not self.isVisible():
            return
        now = self.tracks.clock() if now is None else now
        start, end = now - self.span, now + self.span
        part = self._tick % SLICES
        self._tick += 1
        if force or part == 0:
            self.item.setXRange(start, end, padding=0)
            self.now_line.setPos(now)
            plan_key = (int(start // 60), self.span, id(self.tracks.plan_clock))
            if plan_key != self._plan_key or force:
                self._plan_key = plan_key
                self._draw_plan(start - 60, end + 60)
        if force:
            self._drawn = [self.tracks.version] * SLICES
            self._draw_tracks(start - 60)
        elif self._drawn[part] != self.tracks.version:
            self._drawn[part] = self.tracks.version
            self._draw_tracks(start - 60, part)

    def _draw_plan(self, start: float, end: float) -> None:
        pieces: list[np.ndarray] = []
        chainages: list[np.ndarray] = []
        for number in self.tracks.timetabled():
            times, where = self.tracks.planned(number, start, end)
            if times.size:
                pieces += [times, np.array([np.nan])]
                chainages += [where, np.array([np.nan])]
        if pieces:
            self.planned_curve.setData(np.concatenate(pieces), np.concatenate(chainages), connect="finite")
        else:
            self.planned_curve.setData([], [])

    def _draw_tracks(self, start: float, part: int | None = None) -> None:
        """The live lines of every train (``part`` None), or of the trains of that slice."""
        for index, (radio, track) in enumerate(list(self.tracks.tracks.items())):
            if part is not None and index % SLICES != part:
                continue
            times, chainages = track.positions.since(start)
            curve = self.curves.get(radio)
            if curve is None:
                curve = self.curves[radio] = pg.PlotDataItem(connect="finite")
                curve.setDownsampling(auto=True, method="peak")  # about a point per pixel: no more to draw
                curve.setClipToView(True)
                self.item.addItem(curve)
                label = self.labels[radio] = pg.TextItem(anchor=(0.0, 1.0))
                label.setZValue(10)
                self.item.addItem(label)
            kind = delay_class(track.delay)
            chosen = radio == self.selected
            look = (DELAY_COLOURS[kind], chosen)
            if self._looks.get(radio) != look:
                self._looks[radio] = look
                curve.setPen(pen(DELAY_COLOURS[kind], 3.0 if chosen else 1.0))
            curve.setZValue(5 if chosen else 0)
            curve.setData(times, chainages, connect="finite")
            self._place_label(radio, track, times, chainages, colour=DELAY_COLOURS[kind], chosen=chosen)
        self._spread_labels()

    def _place_label(self, radio: str, track: Any, times: np.ndarray, chainages: np.ndarray, *, colour: str,
                     chosen: bool) -> None:
        label = self.labels[radio]
        finite = np.flatnonzero(np.isfinite(chainages))
        if not finite.size or track.off_line:
            label.hide()
            self._heads.pop(radio, None)
            return
        head = finite[-1]
        text = " ".join(p for p in (track.number, delay_text(track.delay)) if p)
        if self._label_texts.get(radio) != (text, colour, chosen):
            self._label_texts[radio] = (text, colour, chosen)
            label.fill = pg.mkBrush("#3a3000" if chosen else "#0e1318c0")
            label.setText(text, color=colour)
        self._heads[radio] = (float(times[head]), float(chainages[head]))
        label.show()

    def _spread_labels(self) -> None:
        """Put each train's label at its line's head, moved up just enough not to cover the label below it (two
        trains near each other would otherwise hide each other's number)."""
        _width, height = self.view.viewPixelSize()
        gap = LABEL_PX * height if height else 0.0
        above = -math.inf
        for radio, (when, chainage) in sorted(self._heads.items(), key=lambda item: item[1][1]):
            y = max(chainage, above + gap)
            self.labels[radio].setPos(when, y)
            above = y

    # ----- picking a train --------------------------------------------------------------------

    def train_at(self, when: float, chainage: float) -> str | None:
        """The train whose live line passes nearest to (``when``, ``chainage``), within `PICK_PX` pixels."""
        width, height = self.view.viewPixelSize()
        if not width or not height:
            return None
        best, best_px = None, PICK_PX
        for radio, curve in self.curves.items():
            times, chainages = curve.xData, curve.yData
            if times is None or not len(times):
                continue
            distance = np.hypot((times - when) / width, (chainages - chainage) / height)
            if not np.isfinite(distance).any():
                continue
            nearest = float(np.nanmin(distance))
            if nearest < best_px:
                best, best_px = radio, nearest
        return best

    def scene_point(self, when: float, chainage: float) -> QPointF:
        """Where (``when``, ``chainage``) is in the plot's scene (tests click there)."""
        return QPointF(self.view.mapViewToScene(QPointF(when, chainage)))

    def _clicked(self, event: Any) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = self.view.mapSceneToView(event.scenePos())
        radio = self.train_at(point.x(), point.y())
        if radio is not None:
            event.accept()
            self.select(radio)

    def select(self, radio: str | None) -> None:
        """Select train ``radio`` here and across the desk (the vehicles pane follows)."""
        self._highlight(radio)
        if radio is not None:
            self.trainPicked.emit(radio)
            if self.bridge is not None:
                self.bridge.selectTerminal.emit(radio)

    def _selected_elsewhere(self, terminal: str) -> None:
        if terminal in self.tracks.tracks:
            self._highlight(terminal)

    def _highlight(self, radio: str | None) -> None:
        if radio == self.selected:
            return
        self.selected = radio
        if self.isVisible():
            self.refresh(force=True)
        else:
            self._drawn = [-1] * SLICES  # redrawn when shown

    # ----- window and language ----------------------------------------------------------------

    def _span_chosen(self, index: int) -> None:
        if 0 <= index < len(SPANS):
            self.span = SPANS[index]
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh(force=True)

    def retranslate(self) -> None:
        self.span_label.setText(self.tr("Window:"))
        current = self.span_box.currentIndex()
        self.span_box.blockSignals(True)
        self.span_box.clear()
        for seconds in SPANS:
            self.span_box.addItem(self.tr("±%1 min").replace("%1", str(seconds // 60)))
        self.span_box.setCurrentIndex(current if current >= 0 else SPANS.index(DEFAULT_SPAN))
        self.span_box.blockSignals(False)
        swatches = [
            (PLANNED, "┄", self.tr("Planned")),
            (GRANTED, "━", self.tr("On time")),
            (ALARM, "━", self.tr("Late > %1 min").replace("%1", str(math.floor(LATE_S / 60)))),
            (EMERGENCY_TEXT, "━", self.tr("Late > %1 min").replace("%1", str(math.floor(VERY_LATE_S / 60)))),
            (CALL, "━", self.tr("No timetable")),
            (NOW, "┃", self.tr("Now")),
        ]
        self.legend.setText("&nbsp;&nbsp;&nbsp;".join(
            f'<span style="color:{colour}">{mark}</span>&nbsp;<span style="color:{MUTED_TEXT}">{text}</span>'
            for colour, mark, text in swatches))
        self._name_stations()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


@pane("train_graph")
def create(context: PaneContext) -> QWidget:
    return TrainGraphPane(context.world, context.desk, context.bridge)
