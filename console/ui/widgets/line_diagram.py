"""The line diagram: the whole line drawn by one widget with QPainter, every train a labelled marker on it.

The line runs left to right by chainage: stations as platforms on both tracks with their codes and names
(Chinese or English, staggered on two rows so that no two overlap), tunnel sections shaded, depots as boxes at
the ends. The up track (increasing chainage) is above, the down track below. Each train is a chip with its
running number and an arrow, on a stem down to its exact place on its track, coloured by its radio's state:
registered green, busy blue, emergency red (blinking), unreachable grey; trains in a depot sit in its box.

The diagram draws the rows of a trains model (`console.ui.panes.trains_model.TrainsModel`, read through the
shared roles of `console.ui.item_roles`): a model change only marks the markers stale and arms a timer, so a
line reporting hundreds of positions a second repaints at most every ``repaint_ms`` (200 ms: 5 frames a second).
`markers` and `marker_geometry` give the computed geometry (tests, hit-testing).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QEvent, QLocale, QPoint, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QToolTip, QWidget

from console.core.layout import LineLayout, Place
from console.ui.item_roles import (
    AREA_ROLE,
    CHAINAGE_ROLE,
    DIRECTION_ROLE,
    EMERGENCY_ROLE,
    MARKER_COLOUR_ROLE,
    PRESENCE_ROLE,
    TERMINAL_ID_ROLE,
    TRAIN_NUMBER_ROLE,
)

logger = logging.getLogger(__name__)

# ----- the look (px) ----------------------------------------------------------------------------------
BACKGROUND = QColor("#0e1318")
TRACK = QColor("#8b98a5")
TUNNEL = QColor("#1b2836")
TUNNEL_EDGE = QColor("#2f4256")
PLATFORM = QColor("#d0d7de")
CODE_TEXT = QColor("#9aa5b1")
NAME_TEXT = QColor("#f0f3f6")
DEPOT_FILL = QColor("#151c24")
DEPOT_EDGE = QColor("#3a4a5c")
SELECTED = QColor("#ffd33d")
BLINK_DARK = QColor("#4a0a0f")
EMERGENCY_HALO = QColor(255, 90, 95, 110)
CHIP_TEXT = QColor("#ffffff")
CHIP_TEXT_DIM = QColor("#9aa5b1")

CHIP_H = 24
CHIP_PAD = 7
ARROW_W = 9
LANE_GAP = 2
STEM = 5
BAND_MIN = 56
DEPOT_W = 116
OUTER = 8
NAME_PX = 15
CODE_PX = 12
CHIP_PX = 15
#: the line's ends are this share of its length beyond the first and last stations
END_MARGIN = 0.025
#: a lone underground station is shaded this far (m) either side
LONE_TUNNEL_M = 250.0


@dataclass(frozen=True)
class Marker:
    """One train as drawn: ``x`` is its exact place on its track (px), ``rect`` its chip."""

    radio: str
    number: str
    #: "up", "down", or "depot" (standing in the depot box ``depot``)
    track: str
    x: float
    lane: int
    rect: QRectF
    colour: QColor
    presence: str
    emergency: bool
    direction: str | None
    depot: str | None = None


@dataclass(frozen=True)
class StationMark:
    """A station as drawn: its tick at ``x`` and its name's box on name row ``row`` (0 or 1)."""

    code: str
    x: float
    name: str
    label: QRectF
    row: int
    tunnel: bool


@dataclass(frozen=True)
class DepotBox:
    """A depot (or stabling yard) at one end of the line; ``joins_x`` is where its track meets the line."""

    code: str
    name: str
    rect: QRectF
    joins_x: float


@dataclass
class _Frame:
    """The fixed geometry for one widget size and language."""

    width: int
    height: int
    x0: float = 0.0
    x1: float = 1.0
    c_min: float = 0.0
    c_max: float = 1.0
    y_up: float = 0.0
    y_down: float = 0.0
    lanes: int = 2
    gutter: QRectF = field(default_factory=QRectF)
    stations: list[StationMark] = field(default_factory=list)
    depots: dict[str, DepotBox] = field(default_factory=dict)
    tunnels: list[QRectF] = field(default_factory=list)


def _font(px: int, *, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(px)
    font.setBold(bold)
    return font


class LineDiagram(QWidget):
    """The line with its trains (see the module docstring)."""

    #: a train was clicked (its radio id), or the selection was cleared ("")
    trainSelected = Signal(str)
    #: a train was double-clicked (radio id): the pane calls it
    trainActivated = Signal(str)
    #: the dispatcher asked for a train's context menu (radio id, global position)
    trainMenuRequested = Signal(str, QPoint)

    def __init__(self, layout: LineLayout, model: QAbstractItemModel, parent: QWidget | None = None, *,
                 chinese: Any = None, repaint_ms: int = 200, blink_ms: int = 500) -> None:
        super().__init__(parent)
        self.setObjectName("lineDiagram")
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setMinimumSize(600, 150)
        self.line = layout
        self.model = model
        #: a callable saying whether to show Chinese names (default: the desk's language)
        self._chinese = chinese
        self._frame: _Frame | None = None
        self._markers: list[Marker] | None = None
        self._selected: str | None = None
        self._blink_on = True
        #: repaints asked for by model changes, and paints done (tests check the coalescing)
        self.repaints_requested = 0
        self.paints = 0
        self._repaint = QTimer(self)
        self._repaint.setSingleShot(True)
        self._repaint.setInterval(repaint_ms)
        self._repaint.timeout.connect(self._repaint_now)
        self._blink = QTimer(self)
        self._blink.setInterval(blink_ms)
        self._blink.timeout.connect(self._toggle_blink)
        for signal in (model.dataChanged, model.rowsInserted, model.rowsRemoved, model.modelReset,
                       model.layoutChanged):
            signal.connect(self._model_changed)
        self._check_blink()

    # ----- geometry ----------------------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        return QSize(1800, 196)

    def minimumSizeHint(self) -> QSize:
        return QSize(600, 150)

    def _is_chinese(self) -> bool:
        if self._chinese is not None:
            return bool(self._chinese())
        return QLocale().language() == QLocale.Language.Chinese

    def _name(self, place: Place) -> str:
        if self._is_chinese():
            return place.name_zh or place.name or place.code
        return place.name or place.name_zh or place.code

    def frame(self) -> _Frame:
        """The fixed geometry for the current size and language (computed once per size)."""
        if self._frame is None or (self._frame.width, self._frame.height) != (self.width(), self.height()):
            self._frame = self._compute_frame()
            self._markers = None
        return self._frame

    def _compute_frame(self) -> _Frame:
        w, h = self.width(), self.height()
        f = _Frame(w, h)
        stations = [s for s in self.line.stations if s.chainage_m is not None]
        chainages = [s.chainage_m for s in stations if s.chainage_m is not None]
        first, last = (min(chainages), max(chainages)) if chainages else (0.0, 1000.0)
        length = max(last - first, 1.0)
        f.c_min, f.c_max = first - END_MARGIN * length, last + END_MARGIN * length
        middle = (first + last) / 2
        depots = [d for d in self.line.depots if d.chainage_m is not None]
        left = [d for d in depots if (d.chainage_m or 0.0) < middle]
        right = [d for d in depots if (d.chainage_m or 0.0) >= middle]

        # vertical: lanes of chips above the up track and below the down track, the names between them
        def needed(lanes: int) -> float:
            return 2 * (lanes * (CHIP_H + LANE_GAP) + STEM) + BAND_MIN + 6

        f.lanes = 2 if h >= needed(2) else 1
        extra = max(0.0, h - needed(f.lanes))
        band = BAND_MIN + min(extra, 36.0)
        top = 3 + (extra - (band - BAND_MIN)) / 2
        f.y_up = top + f.lanes * (CHIP_H + LANE_GAP) + STEM
        f.y_down = f.y_up + band

        # horizontal: [depots][track labels][the line][depots]
        label_fm = QFontMetricsF(_font(CODE_PX + 1, bold=True))
        gutter_w = max(label_fm.horizontalAdvance(t) for t in self._track_labels()) + 14
        x: float = OUTER
        depot_top, depot_bottom = f.y_up - 22, f.y_down + 22
        boxes: list[tuple[Place, QRectF]] = []
        for depot in left:
            boxes.append((depot, QRectF(x, depot_top, DEPOT_W, depot_bottom - depot_top)))
            x += DEPOT_W + 6
        f.gutter = QRectF(x, f.y_up - 12, gutter_w, f.y_down - f.y_up + 24)
        f.x0 = x + gutter_w + 4
        right_x = w - OUTER - len(right) * (DEPOT_W + 6)
        f.x1 = max(f.x0 + 100, right_x - 14)
        x = f.x1 + 20
        for depot in right:
            boxes.append((depot, QRectF(x, depot_top, DEPOT_W, depot_bottom - depot_top)))
            x += DEPOT_W + 6
        for depot, rect in boxes:
            joins = f.x0 if rect.center().x() < f.x0 else f.x1
            f.depots[depot.code] = DepotBox(depot.code, self._name(depot), rect, joins)

        def at(chainage: float) -> float:
            share = (chainage - f.c_min) / (f.c_max - f.c_min)
            return f.x0 + min(max(share, 0.0), 1.0) * (f.x1 - f.x0)

        for first_m, last_m in self.line.tunnel_sections():
            pad = LONE_TUNNEL_M if last_m - first_m < 1.0 else 0.0
            start, end = at(first_m - pad), at(last_m + pad)
            f.tunnels.append(QRectF(start - 16, f.y_up - 14, end - start + 32, f.y_down - f.y_up + 28))
        f.stations = self._place_names(stations, at, f)
        return f

    def _place_names(self, stations: list[Place], at: Any, f: _Frame) -> list[StationMark]:
        """Station names centred under their ticks, each on the first of two rows where it overlaps nothing;
        a name that fits on neither row is shortened (elided) to fit."""
        fm = QFontMetricsF(_font(NAME_PX, bold=True))
        band = f.y_down - f.y_up
        row_h = (band - 22) / 2
        ends = [-math.inf, -math.inf]
        marks = []
        for index, station in enumerate(stations):
            x = at(station.chainage_m or 0.0)
            name = self._name(station)
            width = fm.horizontalAdvance(name) + 10
            left = min(max(x - width / 2, f.x0 - 30), f.x1 + 30 - width)
            row = next((r for r in (0, 1) if left >= ends[r] + 6), None)
            if row is None:  # no room on either row: shorten it on the emptier one
                row = 0 if ends[0] <= ends[1] else 1
                nxt = at(stations[index + 1].chainage_m or 0.0) if index + 1 < len(stations) else f.x1 + 30
                room = max(28.0, min(2 * (x - ends[row] - 6), 2 * (nxt - x) - 6))
                name = fm.elidedText(name, Qt.TextElideMode.ElideRight, room - 10)
                width = fm.horizontalAdvance(name) + 10
                left = x - width / 2
            ends[row] = left + width
            marks.append(StationMark(station.code, x, name, QRectF(left, 0, width, row_h), row, station.tunnel))
        # one row of names sits in the middle of the band; two rows share it
        rows = 1 + max((m.row for m in marks), default=0)
        top = f.y_up + 20 + (band - 22 - rows * row_h) / 2
        for mark in marks:
            mark.label.moveTop(top + mark.row * row_h)
        return marks

    def _track_labels(self) -> tuple[str, str]:
        return (self.tr("Up →"), self.tr("← Down"))

    def x_of_chainage(self, chainage: float) -> float:
        """Where ``chainage`` (m) lies on the diagram (px), clamped to the drawn line."""
        f = self.frame()
        share = (chainage - f.c_min) / (f.c_max - f.c_min)
        return f.x0 + min(max(share, 0.0), 1.0) * (f.x1 - f.x0)

    def station_marks(self) -> list[StationMark]:
        return list(self.frame().stations)

    def depot_boxes(self) -> dict[str, DepotBox]:
        return dict(self.frame().depots)

    # ----- markers ------------------------------------------------------------------------------------

    def markers(self) -> list[Marker]:
        """Every placed train as drawn now (recomputed after a model change)."""
        f = self.frame()
        if self._markers is None:
            self._markers = self._compute_markers(f)
        return list(self._markers)

    def marker(self, radio: str) -> Marker | None:
        return next((m for m in self.markers() if m.radio == radio), None)

    def marker_geometry(self, radio: str) -> QRectF | None:
        """The chip of train radio ``radio`` (None when it is not drawn: no position, or unknown)."""
        found = self.marker(radio)
        return QRectF(found.rect) if found is not None else None

    def unplaced(self) -> list[str]:
        """Radios of trains the diagram cannot place (no position yet): the table lists them."""
        drawn = {m.radio for m in self.markers()}
        return [radio for radio in self._rows() if radio not in drawn]

    def _rows(self) -> dict[str, dict[str, Any]]:
        model = self.model
        rows = {}
        for row in range(model.rowCount()):
            index = model.index(row, 0)
            radio = index.data(TERMINAL_ID_ROLE)
            rows[radio] = {
                "radio": radio, "number": index.data(TRAIN_NUMBER_ROLE) or radio,
                "chainage": index.data(CHAINAGE_ROLE), "direction": index.data(DIRECTION_ROLE),
                "area": index.data(AREA_ROLE), "colour": index.data(MARKER_COLOUR_ROLE) or QColor("#59636e"),
                "presence": index.data(PRESENCE_ROLE) or "offline", "emergency": bool(index.data(EMERGENCY_ROLE)),
            }
        return rows

    def _chip_width(self, fm: QFontMetricsF, number: str, arrow: bool) -> float:
        return fm.horizontalAdvance(number) + 2 * CHIP_PAD + (ARROW_W + 4 if arrow else 0)

    def _compute_markers(self, f: _Frame) -> list[Marker]:
        fm = QFontMetricsF(_font(CHIP_PX, bold=True))
        on_line: dict[str, list[tuple[float, dict[str, Any]]]] = {"up": [], "down": []}
        in_depot: dict[str, list[dict[str, Any]]] = {}
        for row in self._rows().values():
            if row["chainage"] is not None:
                track = "down" if row["direction"] == "down" else "up"
                on_line[track].append((self.x_of_chainage(float(row["chainage"])), row))
            elif row["area"] in f.depots:
                in_depot.setdefault(row["area"], []).append(row)
        markers: list[Marker] = []
        for track, placed in on_line.items():
            placed.sort(key=lambda item: (item[0], item[1]["number"]))
            ends = [-math.inf] * f.lanes
            for x, row in placed:
                width = self._chip_width(fm, row["number"], row["direction"] in ("up", "down"))
                left = min(max(x - width / 2, f.x0 - 24), f.x1 + 24 - width)
                lane = next((i for i in range(f.lanes) if left >= ends[i] + 3), None)
                if lane is None:  # every lane is taken here: queue up beside the nearest one
                    lane = min(range(f.lanes), key=lambda i: ends[i])
                    left = ends[lane] + 3
                ends[lane] = left + width
                if track == "up":
                    top = f.y_up - STEM - CHIP_H - lane * (CHIP_H + LANE_GAP)
                else:
                    top = f.y_down + STEM + lane * (CHIP_H + LANE_GAP)
                markers.append(self._marker(row, track, x, lane, QRectF(left, top, width, CHIP_H)))
        for code, rows in in_depot.items():
            box = f.depots[code].rect
            rows.sort(key=lambda r: r["number"])
            x, y = box.left() + 6, box.top() + self._depot_title_height(f.depots[code]) + 6
            for row in rows:
                width = self._chip_width(fm, row["number"], False)
                if x + width > box.right() - 4:
                    x, y = box.left() + 6, y + CHIP_H + LANE_GAP
                rect = QRectF(x, y, width, CHIP_H)
                markers.append(self._marker(row, "depot", rect.center().x(), 0, rect, depot=code))
                x += width + 4
        return markers

    @staticmethod
    def _marker(row: dict[str, Any], track: str, x: float, lane: int, rect: QRectF, *,
                depot: str | None = None) -> Marker:
        return Marker(row["radio"], row["number"], track, x, lane, rect, QColor(row["colour"]), row["presence"],
                      row["emergency"], row["direction"], depot)

    def marker_at(self, point: QPointF | QPoint) -> Marker | None:
        """The train whose chip is under ``point`` (the one drawn on top when chips touch)."""
        p = QPointF(point)
        for marker in reversed(self._paint_order()):
            if marker.rect.adjusted(-2, -2, 2, 2).contains(p):
                return marker
        return None

    def station_at(self, point: QPointF | QPoint) -> StationMark | None:
        p = QPointF(point)
        f = self.frame()
        for mark in f.stations:
            tick = QRectF(mark.x - 8, f.y_up - 10, 16, f.y_down - f.y_up + 20)
            if mark.label.contains(p) or tick.contains(p):
                return mark
        return None

    # ----- selection ------------------------------------------------------------------------------

    def selected(self) -> str | None:
        return self._selected

    def set_selected(self, radio: str | None) -> None:
        """Highlight train ``radio`` (None: none) without emitting ``trainSelected``."""
        if radio != self._selected:
            self._selected = radio or None
            self.update()

    # ----- following the model ----------------------------------------------------------------------

    def _model_changed(self, *args: Any) -> None:
        self._markers = None
        if not self._repaint.isActive():
            self._repaint.start()

    def _repaint_now(self) -> None:
        self.repaints_requested += 1
        self._check_blink()
        self.update()

    def _check_blink(self) -> None:
        model = self.model
        emergency = any(model.index(r, 0).data(EMERGENCY_ROLE) for r in range(model.rowCount()))
        if emergency and not self._blink.isActive():
            self._blink.start()
        elif not emergency and self._blink.isActive():
            self._blink.stop()
            self._blink_on = True

    def _toggle_blink(self) -> None:
        self._blink_on = not self._blink_on
        self.update()

    def blinking(self) -> bool:
        """True while some train is in emergency (its chip blinks)."""
        return self._blink.isActive()

    # ----- events ------------------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.LanguageChange, QEvent.Type.FontChange):
            self._frame = None
            self._markers = None
            self.update()
        super().changeEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(event.pos())
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def tooltip_at(self, point: QPoint | QPointF) -> str:
        """What hovering at ``point`` shows: the train's row tooltip, or the station's name, code and chainage."""
        marker = self.marker_at(point)
        if marker is not None:
            row = self._model_row(marker.radio)
            tip = self.model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole) if row is not None else None
            return str(tip or marker.number)
        mark = self.station_at(point)
        if mark is None:
            return ""
        place = self.line.place(mark.code)
        if place is None:
            return mark.code
        names = " / ".join(n for n in dict.fromkeys((place.name_zh, place.name)) if n)
        where = self.tr("underground") if place.tunnel else self.tr("elevated or at grade")
        chainage = self.tr("%1 m").replace("%1", f"{round(place.chainage_m or 0):,}")
        return f"{mark.code} {names}\n{chainage} · {where}"

    def _model_row(self, radio: str) -> int | None:
        for row in range(self.model.rowCount()):
            if self.model.index(row, 0).data(TERMINAL_ID_ROLE) == radio:
                return row
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            marker = self.marker_at(event.position())
            radio = marker.radio if marker is not None else None
            if radio != self._selected and (radio is not None or event.button() == Qt.MouseButton.LeftButton):
                self.set_selected(radio)
                self.trainSelected.emit(radio or "")
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        marker = self.marker_at(event.position())
        if marker is not None and event.button() == Qt.MouseButton.LeftButton:
            self.trainActivated.emit(marker.radio)
        super().mouseDoubleClickEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        over = self.marker_at(event.position()) is not None
        self.setCursor(Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        marker = self.marker_at(event.pos())
        if marker is None:
            event.ignore()
            return
        self.set_selected(marker.radio)
        self.trainMenuRequested.emit(marker.radio, event.globalPos())

    # ----- painting ------------------------------------------------------------------------------------

    def _paint_order(self) -> list[Marker]:
        """Ordinary chips first, then emergencies, the selected train last (on top)."""
        return sorted(self.markers(), key=lambda m: (m.radio == self._selected, m.emergency))

    def paintEvent(self, event: QPaintEvent) -> None:
        self.paints += 1
        f = self.frame()
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.fillRect(self.rect(), BACKGROUND)
            self._paint_line(painter, f)
            self._paint_depots(painter, f)
            self._paint_stations(painter, f)
            order = self._paint_order()
            for marker in order:  # every stem first: a stem never crosses a chip
                self._paint_stem(painter, f, marker)
            for marker in order:
                self._paint_marker(painter, marker)
        finally:
            painter.end()

    def _paint_line(self, painter: QPainter, f: _Frame) -> None:
        painter.setPen(QPen(TUNNEL_EDGE, 1, Qt.PenStyle.DashLine))
        painter.setBrush(TUNNEL)
        for rect in f.tunnels:
            painter.drawRoundedRect(rect, 6, 6)
        left = min((box.rect.right() for box in f.depots.values() if box.joins_x == f.x0), default=f.x0 - 12)
        right = max((box.rect.left() for box in f.depots.values() if box.joins_x == f.x1), default=f.x1 + 12)
        painter.setPen(QPen(TRACK, 4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        for y in (f.y_up, f.y_down):
            painter.drawLine(QPointF(f.x0 - 12, y), QPointF(f.x1 + 12, y))
        # depot leads: from the line's ends into the boxes
        painter.setPen(QPen(TRACK, 2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        middle = (f.y_up + f.y_down) / 2
        if left < f.x0 - 12:
            for y in (f.y_up, f.y_down):
                painter.drawLine(QPointF(f.x0 - 12, y), QPointF(f.x0 - 26, middle))
            painter.drawLine(QPointF(f.x0 - 26, middle), QPointF(left, middle))
        if right > f.x1 + 12:
            for y in (f.y_up, f.y_down):
                painter.drawLine(QPointF(f.x1 + 12, y), QPointF(f.x1 + 26, middle))
            painter.drawLine(QPointF(f.x1 + 26, middle), QPointF(right, middle))
        # which way each track runs, in the gutter before the line
        painter.setFont(_font(CODE_PX + 1, bold=True))
        painter.setPen(CODE_TEXT)
        up, down = self._track_labels()
        for text, y in ((up, f.y_up), (down, f.y_down)):
            rect = QRectF(f.gutter.left(), y - 10, f.gutter.width() - 6, 20)
            painter.fillRect(rect, BACKGROUND)
            painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)

    @staticmethod
    def _depot_title_height(box: DepotBox) -> float:
        """One line for a name that fits the box, two (wrapped at a word) for a longer one."""
        fm = QFontMetricsF(_font(CODE_PX + 1, bold=True))
        return 20.0 if fm.horizontalAdvance(box.name) <= box.rect.width() - 12 else 36.0

    def _paint_depots(self, painter: QPainter, f: _Frame) -> None:
        painter.setFont(_font(CODE_PX + 1, bold=True))
        for box in f.depots.values():
            painter.setPen(QPen(DEPOT_EDGE, 1.5))
            painter.setBrush(DEPOT_FILL)
            painter.drawRoundedRect(box.rect, 6, 6)
            painter.setPen(NAME_TEXT)
            title = QRectF(box.rect.left() + 6, box.rect.top() + 3, box.rect.width() - 12,
                           self._depot_title_height(box))
            painter.drawText(title, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
                             | int(Qt.TextFlag.TextWordWrap), box.name)

    def _paint_stations(self, painter: QPainter, f: _Frame) -> None:
        code_font, name_font = _font(CODE_PX), _font(NAME_PX, bold=True)
        for mark in f.stations:
            painter.setPen(QPen(PLATFORM.darker(160), 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(mark.x, f.y_up + 6), QPointF(mark.x, f.y_down - 6))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(PLATFORM)
            for y in (f.y_up, f.y_down):
                painter.drawRoundedRect(QRectF(mark.x - 9, y - 5, 18, 10), 2, 2)
            painter.setFont(code_font)
            painter.setPen(CODE_TEXT)
            painter.drawText(QRectF(mark.x - 30, f.y_up + 6, 60, 14), Qt.AlignmentFlag.AlignCenter, mark.code)
            painter.setFont(name_font)
            painter.setPen(NAME_TEXT)
            painter.drawText(mark.label, Qt.AlignmentFlag.AlignCenter, mark.name)

    def _look(self, marker: Marker) -> tuple[QColor, QColor, float]:
        """Fill, edge colour and edge width of a chip now (an emergency alternates with the blink)."""
        fill = QColor(marker.colour)
        if not marker.emergency:
            return fill, fill.lighter(150), 1.5
        if self._blink_on:
            return fill, QColor("#ffffff"), 2.5
        return BLINK_DARK, QColor("#ff5a5f"), 2.5

    def _paint_stem(self, painter: QPainter, f: _Frame, marker: Marker) -> None:
        """The line from a chip down (or up) to the train's exact place, and a dot there."""
        if marker.track not in ("up", "down"):
            return
        fill, edge, _width = self._look(marker)
        rect = marker.rect
        track_y = f.y_up if marker.track == "up" else f.y_down
        chip_y = rect.bottom() if marker.track == "up" else rect.top()
        foot = min(max(marker.x, rect.left() + 4), rect.right() - 4)
        painter.setPen(QPen(edge if marker.emergency else fill.lighter(130), 2))
        painter.drawLine(QPointF(marker.x, track_y), QPointF(foot, chip_y))
        painter.setPen(QPen(BACKGROUND, 1.5))
        painter.setBrush(fill if not marker.emergency else QColor("#ff5a5f"))
        painter.drawEllipse(QPointF(marker.x, track_y), 4.5, 4.5)

    def _paint_marker(self, painter: QPainter, marker: Marker) -> None:
        rect = marker.rect
        fill, edge, edge_width = self._look(marker)
        text_colour = CHIP_TEXT if marker.presence not in ("offline", "disabled") or marker.emergency else CHIP_TEXT_DIM
        if marker.emergency:  # a red halo in both phases of the blink: seen from across the room
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(EMERGENCY_HALO)
            painter.drawRoundedRect(rect.adjusted(-5, -5, 5, 5), 8, 8)
        if marker.radio == self._selected:
            painter.setPen(QPen(SELECTED, 3))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(-3, -3, 3, 3), 6, 6)
        pen = QPen(edge, edge_width)
        if marker.presence in ("offline", "disabled") and not marker.emergency:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(QBrush(fill))
        painter.drawRoundedRect(rect, 4, 4)
        painter.setFont(_font(CHIP_PX, bold=True))
        painter.setPen(text_colour)
        text_rect = QRectF(rect.left() + CHIP_PAD, rect.top(), rect.width() - 2 * CHIP_PAD, rect.height())
        arrow = marker.direction if marker.track in ("up", "down") else None
        if arrow == "up":
            text_rect.setRight(text_rect.right() - ARROW_W - 4)
            self._arrow(painter, QPointF(rect.right() - CHIP_PAD - ARROW_W, rect.center().y()), True, text_colour)
        elif arrow == "down":
            text_rect.setLeft(text_rect.left() + ARROW_W + 4)
            self._arrow(painter, QPointF(rect.left() + CHIP_PAD, rect.center().y()), False, text_colour)
        painter.setPen(text_colour)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter, marker.number)

    @staticmethod
    def _arrow(painter: QPainter, at: QPointF, right: bool, colour: QColor) -> None:
        """A filled triangle ARROW_W wide starting at ``at`` (its left edge), pointing right or left."""
        half = 5.0
        if right:
            points = [QPointF(at.x(), at.y() - half), QPointF(at.x() + ARROW_W, at.y()), QPointF(at.x(), at.y() + half)]
        else:
            points = [QPointF(at.x() + ARROW_W, at.y() - half), QPointF(at.x(), at.y()),
                      QPointF(at.x() + ARROW_W, at.y() + half)]
        path = QPainterPath()
        path.addPolygon(QPolygonF(points))
        path.closeSubpath()
        painter.fillPath(path, colour)


__all__ = ["DepotBox", "LineDiagram", "Marker", "StationMark"]
