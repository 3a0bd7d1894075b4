"""Where everything of the line diagram goes, for one widget size: the line's extent, the tracks, the stations and
their names, the tunnel shading, the depot boxes (`compute_frame`), and the train chips on top (`place_markers`).

Pure geometry (Qt's rectangles and font metrics, no widget), so that `LineDiagram` only paints what this says and
tests can check positions without pixels. Station names go on two rows so that no two overlap; chips go on two
lanes per track, and a chip that finds both lanes taken queues beside the nearest one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF

from console.core.layout import LineLayout, Place

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


def font(px: int, *, bold: bool = False) -> QFont:
    """The desk's font at ``px`` pixels (the application's families, CJK first)."""
    chosen = QFont()
    chosen.setPixelSize(px)
    chosen.setBold(bold)
    return chosen


@dataclass(frozen=True)
class TrainSpot:
    """One train as the model gives it to the diagram."""

    radio: str
    number: str
    #: along the line (m); None when it is not on the line
    chainage: float | None
    direction: str | None
    #: the depot (or named area) it stands in when off the line
    area: str | None
    colour: QColor
    presence: str
    emergency: bool


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

    @property
    def title_height(self) -> float:
        """One line for a name that fits the box, two (wrapped at a word) for a longer one."""
        fm = QFontMetricsF(font(CODE_PX + 1, bold=True))
        return 20.0 if fm.horizontalAdvance(self.name) <= self.rect.width() - 12 else 36.0


@dataclass
class LineFrame:
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

    def x_of(self, chainage: float) -> float:
        """Where ``chainage`` (m) lies (px), clamped to the drawn line."""
        share = (chainage - self.c_min) / (self.c_max - self.c_min)
        return self.x0 + min(max(share, 0.0), 1.0) * (self.x1 - self.x0)


def compute_frame(line: LineLayout, width: int, height: int, *, name: Callable[[Place], str],
                  track_labels: tuple[str, str]) -> LineFrame:
    """The geometry of ``line`` drawn ``width`` x ``height`` px, places named by ``name``."""
    f = LineFrame(width, height)
    stations = [s for s in line.stations if s.chainage_m is not None]
    chainages = [s.chainage_m for s in stations if s.chainage_m is not None]
    first, last = (min(chainages), max(chainages)) if chainages else (0.0, 1000.0)
    length = max(last - first, 1.0)
    f.c_min, f.c_max = first - END_MARGIN * length, last + END_MARGIN * length
    middle = (first + last) / 2
    depots = [d for d in line.depots if d.chainage_m is not None]
    left = [d for d in depots if (d.chainage_m or 0.0) < middle]
    right = [d for d in depots if (d.chainage_m or 0.0) >= middle]

    # vertical: lanes of chips above the up track and below the down track, the names between them
    def needed(lanes: int) -> float:
        return 2 * (lanes * (CHIP_H + LANE_GAP) + STEM) + BAND_MIN + 6

    f.lanes = 2 if height >= needed(2) else 1
    extra = max(0.0, height - needed(f.lanes))
    band = BAND_MIN + min(extra, 36.0)
    top = 3 + (extra - (band - BAND_MIN)) / 2
    f.y_up = top + f.lanes * (CHIP_H + LANE_GAP) + STEM
    f.y_down = f.y_up + band

    # horizontal: [depots][track labels][the line][depots]
    label_fm = QFontMetricsF(font(CODE_PX + 1, bold=True))
    gutter_w = max(label_fm.horizontalAdvance(t) for t in track_labels) + 14
    x: float = OUTER
    depot_top, depot_bottom = f.y_up - 22, f.y_down + 22
    boxes: list[tuple[Place, QRectF]] = []
    for depot in left:
        boxes.append((depot, QRectF(x, depot_top, DEPOT_W, depot_bottom - depot_top)))
        x += DEPOT_W + 6
    f.gutter = QRectF(x, f.y_up - 12, gutter_w, f.y_down - f.y_up + 24)
    f.x0 = x + gutter_w + 4
    f.x1 = max(f.x0 + 100, width - OUTER - len(right) * (DEPOT_W + 6) - 14)
    x = f.x1 + 20
    for depot in right:
        boxes.append((depot, QRectF(x, depot_top, DEPOT_W, depot_bottom - depot_top)))
        x += DEPOT_W + 6
    for depot, rect in boxes:
        f.depots[depot.code] = DepotBox(depot.code, name(depot), rect, f.x0 if rect.center().x() < f.x0 else f.x1)

    for first_m, last_m in line.tunnel_sections():
        pad = LONE_TUNNEL_M if last_m - first_m < 1.0 else 0.0
        start, end = f.x_of(first_m - pad), f.x_of(last_m + pad)
        f.tunnels.append(QRectF(start - 16, f.y_up - 14, end - start + 32, f.y_down - f.y_up + 28))
    f.stations = _place_names(f, stations, name)
    return f


def _place_names(f: LineFrame, stations: list[Place], name: Callable[[Place], str]) -> list[StationMark]:
    """Station names centred under their ticks, each on the first of two rows where it overlaps nothing;
    a name that fits on neither row is shortened (elided) to fit."""
    fm = QFontMetricsF(font(NAME_PX, bold=True))
    band = f.y_down - f.y_up
    row_h = (band - 22) / 2
    ends = [-math.inf, -math.inf]
    marks = []
    for index, station in enumerate(stations):
        x = f.x_of(station.chainage_m or 0.0)
        text = name(station)
        width = fm.horizontalAdvance(text) + 10
        left = min(max(x - width / 2, f.x0 - 30), f.x1 + 30 - width)
        row = next((r for r in (0, 1) if left >= ends[r] + 6), None)
        if row is None:  # no room on either row: shorten it on the emptier one
            row = 0 if ends[0] <= ends[1] else 1
            nxt = f.x_of(stations[index + 1].chainage_m or 0.0) if index + 1 < len(stations) else f.x1 + 30
            room = max(28.0, min(2 * (x - ends[row] - 6), 2 * (nxt - x) - 6))
            text = fm.elidedText(text, Qt.TextElideMode.ElideRight, room - 10)
            width = fm.horizontalAdvance(text) + 10
            left = x - width / 2
        ends[row] = left + width
        marks.append(StationMark(station.code, x, text, QRectF(left, 0, width, row_h), row, station.tunnel))
    # one row of names sits in the middle of the band; two rows share it
    rows = 1 + max((m.row for m in marks), default=0)
    top = f.y_up + 20 + (band - 22 - rows * row_h) / 2
    for mark in marks:
        mark.label.moveTop(top + mark.row * row_h)
    return marks


def chip_width(number: str, *, arrow: bool) -> float:
    """How wide a train's chip is: its number, padding, and room for the direction arrow."""
    fm = QFontMetricsF(font(CHIP_PX, bold=True))
    return fm.horizontalAdvance(number) + 2 * CHIP_PAD + (ARROW_W + 4 if arrow else 0)


def place_markers(f: LineFrame, spots: Iterable[TrainSpot]) -> list[Marker]:
    """The chip of every train that can be placed: on its track at its chainage, or in its depot's box."""
    on_line: dict[str, list[tuple[float, TrainSpot]]] = {"up": [], "down": []}
    in_depot: dict[str, list[TrainSpot]] = {}
    for spot in spots:
        if spot.chainage is not None:
            on_line["down" if spot.direction == "down" else "up"].append((f.x_of(spot.chainage), spot))
        elif spot.area in f.depots:
            in_depot.setdefault(spot.area, []).append(spot)
    markers: list[Marker] = []
    for track, placed in on_line.items():
        placed.sort(key=lambda item: (item[0], item[1].number))
        ends = [-math.inf] * f.lanes
        for x, spot in placed:
            width = chip_width(spot.number, arrow=spot.direction in ("up", "down"))
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
            markers.append(_marker(spot, track, x, lane, QRectF(left, top, width, CHIP_H)))
    for code, spots_here in in_depot.items():
        box = f.depots[code]
        spots_here.sort(key=lambda s: s.number)
        x, y = box.rect.left() + 6, box.rect.top() + box.title_height + 6
        for spot in spots_here:
            width = chip_width(spot.number, arrow=False)
            if x + width > box.rect.right() - 4:
                x, y = box.rect.left() + 6, y + CHIP_H + LANE_GAP
            rect = QRectF(x, y, width, CHIP_H)
            markers.append(_marker(spot, "depot", rect.center().x(), 0, rect, depot=code))
            x += width + 4
    return markers


def _marker(spot: TrainSpot, track: str, x: float, lane: int, rect: QRectF, *, depot: str | None = None) -> Marker:
    return Marker(spot.radio, spot.number, track, x, lane, rect, QColor(spot.colour), spot.presence, spot.emergency,
                  spot.direction, depot)


__all__ = ["ARROW_W", "CHIP_H", "CHIP_PAD", "CHIP_PX", "CODE_PX", "NAME_PX", "DepotBox", "LineFrame", "Marker",
           "StationMark", "TrainSpot", "chip_width", "compute_frame", "font", "place_markers"]
