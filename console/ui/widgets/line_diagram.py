"""The line diagram: the whole line drawn by one widget with QPainter, every train a labelled marker on it.

The line runs left to right by chainage: stations as platforms on both tracks with their codes and names
(Chinese or English, staggered on two rows so that no two overlap), tunnel sections shaded, depots as boxes at
the ends. The up track (increasing chainage) is above, the down track below. Each train is a chip with its
running number and an arrow, on a stem down to its exact place on its track, coloured by its radio's state:
registered green, busy blue, emergency red (blinking), unreachable grey; trains in a depot sit in its box.

The diagram draws the rows of a trains model (`console.ui.panes.trains_model.TrainsModel`, read through the
shared roles of `console.ui.item_roles`): a model change only marks the markers stale and arms a timer, so a
line reporting hundreds of positions a second repaints at most every ``repaint_ms`` (200 ms: 5 frames a second).
Where things go is computed in `console.ui.widgets.line_geometry`; `markers` and `marker_geometry` give it
(tests, hit-testing).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QEvent, QLocale, QPoint, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QContextMenuEvent,
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
from console.ui.widgets.line_geometry import (
    ARROW_W,
    CHIP_PAD,
    CHIP_PX,
    CODE_PX,
    NAME_PX,
    DepotBox,
    LineFrame,
    Marker,
    StationMark,
    TrainSpot,
    compute_frame,
    font,
    place_markers,
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
        self._frame: LineFrame | None = None
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

    def frame(self) -> LineFrame:
        """The fixed geometry for the current size and language (computed once per size)."""
        if self._frame is None or (self._frame.width, self._frame.height) != (self.width(), self.height()):
            self._frame = compute_frame(self.line, self.width(), self.height(), name=self._name,
                                        track_labels=self._track_labels())
            self._markers = None
        return self._frame

    def _track_labels(self) -> tuple[str, str]:
        return (self.tr("Up →"), self.tr("← Down"))

    def x_of_chainage(self, chainage: float) -> float:
        """Where ``chainage`` (m) lies on the diagram (px), clamped to the drawn line."""
        return self.frame().x_of(chainage)

    def station_marks(self) -> list[StationMark]:
        return list(self.frame().stations)

    def depot_boxes(self) -> dict[str, DepotBox]:
        return dict(self.frame().depots)

    # ----- markers ------------------------------------------------------------------------------------

    def markers(self) -> list[Marker]:
        """Every placed train as drawn now (recomputed after a model change)."""
        f = self.frame()
        if self._markers is None:
            self._markers = place_markers(f, self._spots())
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
        return [spot.radio for spot in self._spots() if spot.radio not in drawn]

    def _spots(self) -> list[TrainSpot]:
        """The model's rows, read through the shared roles."""
        model = self.model
        spots = []
        for row in range(model.rowCount()):
            index = model.index(row, 0)
            radio = str(index.data(TERMINAL_ID_ROLE))
            chainage = index.data(CHAINAGE_ROLE)
            spots.append(TrainSpot(
                radio=radio, number=str(index.data(TRAIN_NUMBER_ROLE) or radio),
                chainage=float(chainage) if chainage is not None else None, direction=index.data(DIRECTION_ROLE),
                area=index.data(AREA_ROLE), colour=index.data(MARKER_COLOUR_ROLE) or QColor("#59636e"),
                presence=index.data(PRESENCE_ROLE) or "offline", emergency=bool(index.data(EMERGENCY_ROLE))))
        return spots

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

    def _paint_line(self, painter: QPainter, f: LineFrame) -> None:
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
        painter.setFont(font(CODE_PX + 1, bold=True))
        painter.setPen(CODE_TEXT)
        up, down = self._track_labels()
        for text, y in ((up, f.y_up), (down, f.y_down)):
            rect = QRectF(f.gutter.left(), y - 10, f.gutter.width() - 6, 20)
            painter.fillRect(rect, BACKGROUND)
            painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)

    def _paint_depots(self, painter: QPainter, f: LineFrame) -> None:
        painter.setFont(font(CODE_PX + 1, bold=True))
        for box in f.depots.values():
            painter.setPen(QPen(DEPOT_EDGE, 1.5))
            painter.setBrush(DEPOT_FILL)
            painter.drawRoundedRect(box.rect, 6, 6)
            painter.setPen(NAME_TEXT)
            title = QRectF(box.rect.left() + 6, box.rect.top() + 3, box.rect.width() - 12,
                           box.title_height)
            painter.drawText(title, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
                             | int(Qt.TextFlag.TextWordWrap), box.name)

    def _paint_stations(self, painter: QPainter, f: LineFrame) -> None:
        code_font, name_font = font(CODE_PX), font(NAME_PX, bold=True)
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

    def _paint_stem(self, painter: QPainter, f: LineFrame, marker: Marker) -> None:
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
        painter.setFont(font(CHIP_PX, bold=True))
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
