"""The trains on the line as a table model: one row per train radio, fed from the core `World`.

Columns: train number, radio id, position ("S03 → S04 (5,480 m)"), direction, radio state, emergency. The line
diagram reads the same rows through the shared roles (`console.ui.item_roles`): where the train is along the
line (chainage, interpolated between stations when the radio reports none), its direction, its marker colour.
A train is in emergency while its radio's presence says so or an alert it raised is not cancelled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QModelIndex, QObject, QSize, Qt
from PySide6.QtGui import QColor, QFont

from console.ui.i18n import QT_TRANSLATE_NOOP
from console.ui.item_roles import (
    AREA_ROLE,
    CHAINAGE_ROLE,
    DIRECTION_ROLE,
    EMERGENCY_ROLE,
    KIND_ROLE,
    MARKER_COLOUR_ROLE,
    PRESENCE_ROLE,
    SORT_ROLE,
    TERMINAL_ID_ROLE,
    TRAIN_NUMBER_ROLE,
)
from console.ui.panes.pane_parts import ROW_HEIGHT
from console.ui.panes.terminal_look import (
    EMERGENCY_ROW,
    EMERGENCY_TEXT,
    PRESENCE_FILL,
    PRESENCE_ORDER,
    direction_name,
    local_name,
    metres,
    place_label,
    presence_fill,
    presence_name,
    presence_text_colour,
)
from console.ui.panes.terminal_rows import Index, TerminalRowsModel
from console.ui.resources import icon

logger = logging.getLogger(__name__)

TRAIN, RADIO, POSITION, DIRECTION, STATE, EMERGENCY = range(6)
HEADERS = (
    QT_TRANSLATE_NOOP("TrainsModel", "Train"),
    QT_TRANSLATE_NOOP("TrainsModel", "Radio"),
    QT_TRANSLATE_NOOP("TrainsModel", "Position"),
    QT_TRANSLATE_NOOP("TrainsModel", "Direction"),
    QT_TRANSLATE_NOOP("TrainsModel", "Radio state"),
    QT_TRANSLATE_NOOP("TrainsModel", "Emergency"),
)
#: where a train with no position sorts: after every train on the line
_NOWHERE = float("inf")
_ROW_SIZE = QSize(-1, ROW_HEIGHT)


@dataclass(frozen=True)
class TrainRow:
    """What one train's row shows (compared to decide whether the row changed)."""

    radio: str
    number: str
    presence: str
    station: str | None
    next_station: str | None
    #: as the radio reported it
    reported_chainage: float | None
    #: where the diagram draws it: the reported chainage, else its station's, else midway between two
    chainage: float | None
    direction: str | None
    area: str | None
    emergency: bool
    cameras: tuple[str, ...]
    status: int | None


class TrainsModel(TerminalRowsModel):
    """Train radios of ``world`` (kind ``train``) as rows; call `refresh` / `alerts_changed` from the bridge."""

    def __init__(self, world: Any, parent: QObject | None = None) -> None:
        self._alerted: frozenset[str] = self._alerted_terminals(world)
        super().__init__(world, parent)

    # ----- rows ---------------------------------------------------------------------------------

    def accepts(self, info: Any) -> bool:
        return bool(info.kind == "train")

    def record(self, info: Any) -> TrainRow:
        layout = self.world.layout
        plan = layout.train_of_radio(info.id)
        loc = info.location
        number = (loc.train_number if loc is not None else None) or (plan.number if plan is not None else None)
        station = loc.station if loc is not None else None
        next_station = loc.next_station if loc is not None else None
        reported = loc.chainage_m if loc is not None else None
        chainage = reported
        if chainage is None and station is not None:
            here = _chainage_of(layout, station)
            there = _chainage_of(layout, next_station) if next_station is not None else None
            chainage = here if there is None or here is None else (here + there) / 2
        if loc is not None and loc.area is not None and station is None:
            chainage = None  # in a depot yard: drawn in the depot, not on the line
        return TrainRow(
            radio=info.id, number=number or info.id, presence=info.presence, station=station,
            next_station=next_station, reported_chainage=reported, chainage=chainage,
            direction=loc.direction if loc is not None else None, area=loc.area if loc is not None else None,
            emergency=info.presence == "emergency" or info.id in self._alerted,
            cameras=tuple(plan.cameras) if plan is not None else (), status=info.status)

    @staticmethod
    def _alerted_terminals(world: Any) -> frozenset[str]:
        return frozenset(a.terminal for a in world.alerts.values() if a.state != "cancelled")

    def alerts_changed(self) -> None:
        """An alert was raised, acknowledged or cancelled: re-check which trains are in emergency."""
        alerted = self._alerted_terminals(self.world)
        if alerted != self._alerted:
            touched = alerted ^ self._alerted
            self._alerted = alerted
            self.refresh(touched)

    def train(self, row: int) -> TrainRow:
        record: TrainRow = self.record_at(row)
        return record

    def row_of_number(self, number: str) -> int | None:
        for row in range(self.rowCount()):
            if self.train(row).number == number:
                return row
        return None

    # ----- Qt -----------------------------------------------------------------------------------

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(
                HEADERS):
            return QCoreApplication.translate("TrainsModel", HEADERS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        row = self.train(index.row())
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        if role == Qt.ItemDataRole.DecorationRole:
            if column == TRAIN:
                return icon("train")
            if column == EMERGENCY and row.emergency:
                return icon("emergency")
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return EMERGENCY_ROW if row.emergency else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if row.emergency:
                return EMERGENCY_TEXT
            return presence_text_colour(row.presence) if column == STATE else None
        if role == Qt.ItemDataRole.FontRole and (column == TRAIN or row.emergency):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.SizeHintRole:
            return None if column else _ROW_SIZE
        return self._role(row, column, role)

    def _role(self, row: TrainRow, column: int, role: int) -> Any:
        if role == TERMINAL_ID_ROLE:
            return row.radio
        if role == TRAIN_NUMBER_ROLE:
            return row.number
        if role == PRESENCE_ROLE:
            return row.presence
        if role == EMERGENCY_ROLE:
            return row.emergency
        if role == MARKER_COLOUR_ROLE:
            return marker_colour(row)
        if role == CHAINAGE_ROLE:
            return row.chainage
        if role == DIRECTION_ROLE:
            return row.direction
        if role == AREA_ROLE:
            return row.area
        if role == KIND_ROLE:
            return "train"
        if role == SORT_ROLE:
            return self._sort_key(row, column)
        return None

    def _text(self, row: TrainRow, column: int) -> str:
        if column == TRAIN:
            return row.number
        if column == RADIO:
            return row.radio
        if column == POSITION:
            return position_text(self.world, row)
        if column == DIRECTION:
            return direction_name(row.direction)
        if column == STATE:
            return presence_name(row.presence)
        if column == EMERGENCY:
            return QCoreApplication.translate("TrainsModel", "EMERGENCY") if row.emergency else ""
        return ""

    def _sort_key(self, row: TrainRow, column: int) -> Any:
        if column == TRAIN:
            return (0, int(row.number), "") if row.number.isdigit() else (1, 0, row.number)
        if column == POSITION:
            return row.chainage if row.chainage is not None else _NOWHERE
        if column == STATE:
            return PRESENCE_ORDER.index(row.presence) if row.presence in PRESENCE_ORDER else len(PRESENCE_ORDER)
        if column == EMERGENCY:
            return 0 if row.emergency else 1
        return self._text(row, column)

    def _tooltip(self, row: TrainRow) -> str:
        parts = [QCoreApplication.translate("TrainsModel", "Train %1 · radio %2").replace("%1", row.number).replace(
            "%2", row.radio), position_text(self.world, row, names=True), presence_name(row.presence)]
        if row.direction:
            parts.insert(2, direction_name(row.direction))
        if row.emergency:
            parts.append(QCoreApplication.translate("TrainsModel", "EMERGENCY"))
        return "\n".join(p for p in parts if p)


def marker_colour(row: TrainRow) -> QColor:
    """The fill of a train's marker: its radio state, red while in emergency."""
    return PRESENCE_FILL["emergency"] if row.emergency else presence_fill(row.presence)


def position_text(world: Any, row: TrainRow, *, names: bool = False) -> str:
    """"S03 → S04 (5,480 m)", "S05 (9,150 m)", "D1 Qingshi Depot" or "—"; with ``names`` the stations' names."""
    label = (lambda code: place_label(world, code)) if names else (lambda code: code)
    metres_text = f" ({metres(row.reported_chainage)})" if row.reported_chainage is not None else ""
    if row.station is not None and row.next_station is not None:
        return f"{label(row.station)} → {label(row.next_station)}{metres_text}"
    if row.station is not None:
        return f"{label(row.station)}{metres_text}"
    if row.area is not None:
        return place_label(world, row.area)
    return "—"


def _chainage_of(layout: Any, code: str | None) -> float | None:
    place = layout.place(code) if code is not None else None
    return place.chainage_m if place is not None else None


def camera_label(world: Any, camera: str) -> str:
    """A train camera as a menu names it: its terminal's name in the desk's language, else its id."""
    info = world.terminals.get(camera)
    return local_name(info) if info is not None else camera


__all__ = ["DIRECTION", "EMERGENCY", "HEADERS", "POSITION", "RADIO", "STATE", "TRAIN", "TrainRow", "TrainsModel",
           "camera_label", "marker_colour", "position_text"]
