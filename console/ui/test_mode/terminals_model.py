"""The test bench's simulated terminals as a table model: id, kind, presence as the desk shows it, the terminal's
own link, its floor and its emergency.

The terminal's side (link, floor, emergency) has no signals: `refresh` re-reads it (the panel calls it on a timer
and on the bridge's ``terminalsChanged``) and emits ``dataChanged`` only for rows whose shown values changed;
rows come and go with inserts and removals when the bench adds or stops terminals, never a reset on an update.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from console.ui.colours import GRANTED, MUTED_TEXT, WAITING
from console.ui.i18n import QT_TRANSLATE_NOOP
from console.ui.item_roles import KIND_ROLE, PRESENCE_ROLE, SORT_ROLE, TERMINAL_ID_ROLE
from console.ui.panes.terminal_look import kind_icon, kind_name, presence_name, presence_text_colour

logger = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex

ID, KIND, PRESENCE, LINK, FLOOR, ALERT = range(6)
HEADERS = (
    QT_TRANSLATE_NOOP("SimTerminalsModel", "ID"),
    QT_TRANSLATE_NOOP("SimTerminalsModel", "Kind"),
    QT_TRANSLATE_NOOP("SimTerminalsModel", "Desk shows"),
    QT_TRANSLATE_NOOP("SimTerminalsModel", "Link"),
    QT_TRANSLATE_NOOP("SimTerminalsModel", "Floor"),
    QT_TRANSLATE_NOOP("SimTerminalsModel", "Alert"),
)
TOOLTIPS = (
    "",
    "",
    QT_TRANSLATE_NOOP("SimTerminalsModel", "The terminal's presence as the desk's world shows it"),
    QT_TRANSLATE_NOOP("SimTerminalsModel", "The simulated terminal's own session with the platform"),
    QT_TRANSLATE_NOOP("SimTerminalsModel", "The terminal's floor in its last call (its PTT)"),
    QT_TRANSLATE_NOOP("SimTerminalsModel", "The terminal's own emergency alert"),
)
LINK_NAMES = {True: QT_TRANSLATE_NOOP("SimTerminalsModel", "Up"), False: QT_TRANSLATE_NOOP("SimTerminalsModel", "Down")}
FLOOR_NAMES = {
    "has_permission": QT_TRANSLATE_NOOP("SimTerminalsModel", "Talking"),
    "queued": QT_TRANSLATE_NOOP("SimTerminalsModel", "Queued"),
    "pending_request": QT_TRANSLATE_NOOP("SimTerminalsModel", "Asking"),
    "pending_release": QT_TRANSLATE_NOOP("SimTerminalsModel", "Releasing"),
    "has_no_permission": QT_TRANSLATE_NOOP("SimTerminalsModel", "Idle"),
}
ALERT_NAMES = {
    "active": QT_TRANSLATE_NOOP("SimTerminalsModel", "Raised"),
    "acknowledged": QT_TRANSLATE_NOOP("SimTerminalsModel", "Acknowledged"),
}
_FLOOR_COLOURS = {"has_permission": GRANTED, "queued": WAITING, "pending_request": WAITING}
_ALERT_COLOURS = {"active": "#ff5a5f", "acknowledged": WAITING}
_DOWN = "#ff8c42"


def _tr(text: str) -> str:
    return QCoreApplication.translate("SimTerminalsModel", text) if text else ""


@dataclass(frozen=True)
class SimRow:
    """What one simulated terminal's row shows."""

    id: str
    kind: str
    presence: str | None
    link_up: bool
    floor: str
    alert: str | None


class SimTerminalsModel(QAbstractTableModel):
    """The bench's simulated terminals (see the module docstring)."""

    def __init__(self, bench: Any, world: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bench = bench
        self.world = world
        self._rows: list[SimRow] = []
        self._row_of: dict[str, int] = {}
        self.refresh()

    # ----- reading ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def terminal_id(self, row: int) -> str:
        return self._rows[row].id

    def row_of(self, terminal: str) -> int | None:
        return self._row_of.get(terminal)

    def record_of(self, terminal: str) -> SimRow | None:
        row = self._row_of.get(terminal)
        return self._rows[row] if row is not None else None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _tr(HEADERS[section])
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tr(TOOLTIPS[section]) or None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == SORT_ROLE:  # by id, and by what is shown then id: terminals of a kind or state stay in order
            return row.id if column == ID else f"{self._text(row, column)}\x00{row.id}"
        if role == Qt.ItemDataRole.ToolTipRole:  # the whole word where a narrow column cuts it
            return self._text(row, column) or None
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._colour(row, column)
        if role == Qt.ItemDataRole.DecorationRole and column == KIND:
            return kind_icon(row.kind)
        if role == TERMINAL_ID_ROLE:
            return row.id
        if role == PRESENCE_ROLE:
            return row.presence
        if role == KIND_ROLE:
            return row.kind
        return None

    def _text(self, row: SimRow, column: int) -> str:
        if column == ID:
            return row.id
        if column == KIND:
            return kind_name(row.kind)
        if column == PRESENCE:
            return presence_name(row.presence) if row.presence else "—"
        if column == LINK:
            return _tr(LINK_NAMES[row.link_up])
        if column == FLOOR:
            return _tr(FLOOR_NAMES.get(row.floor, "")) or row.floor
        if column == ALERT:
            return _tr(ALERT_NAMES.get(row.alert, "")) if row.alert else ""
        return ""

    def _colour(self, row: SimRow, column: int) -> QColor | None:
        if column == PRESENCE and row.presence:
            return presence_text_colour(row.presence)
        if column == LINK:
            return QColor(GRANTED if row.link_up else _DOWN)
        if column == FLOOR:
            return QColor(_FLOOR_COLOURS.get(row.floor, MUTED_TEXT))
        if column == ALERT and row.alert in _ALERT_COLOURS:
            return QColor(_ALERT_COLOURS[row.alert])
        return None

    # ----- following the bench ------------------------------------------------------------------

    def _row(self, terminal: str) -> SimRow:
        sim = self.bench.sim(terminal)
        info = self.world.terminals.get(terminal)
        return SimRow(terminal, sim.kind, info.presence if info is not None else None, sim.link_up,
                      sim.floor_state(), sim.alert_state if sim.alert is not None else None)

    def refresh(self) -> None:
        """Follow the bench: rows for terminals added or stopped, ``dataChanged`` for rows whose values changed."""
        wanted = self.bench.simulated if self.bench.session is not None else []
        present = set(wanted)
        for row in range(len(self._rows) - 1, -1, -1):
            if self._rows[row].id not in present:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
        # both lists are in line order: walk them together, inserting what is new
        for position, terminal in enumerate(wanted):
            if position < len(self._rows) and self._rows[position].id == terminal:
                continue
            self.beginInsertRows(QModelIndex(), position, position)
            self._rows.insert(position, self._row(terminal))
            self.endInsertRows()
        self._row_of = {r.id: i for i, r in enumerate(self._rows)}
        for position, old in enumerate(self._rows):
            new = self._row(old.id)
            if new != old:
                self._rows[position] = new
                self.dataChanged.emit(self.index(position, 0), self.index(position, len(HEADERS) - 1))


__all__ = ["ALERT", "FLOOR", "HEADERS", "ID", "KIND", "LINK", "PRESENCE", "SimRow", "SimTerminalsModel"]
