"""Staff radios as a table model: every handset and body-worn recorder with where it is, its status, presence and
groups; and the proxy that filters them by group, station and presence (plus the free-text filter).

Rows follow the world with ``dataChanged`` on the changed rows only (`TerminalRowsModel`). A staff radio "is at"
a place when its last location names it (a station, or an area such as a depot yard), else at its home.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont

from console.ui.i18n import QT_TRANSLATE_NOOP
from console.ui.item_roles import (
    EMERGENCY_ROLE,
    GROUPS_ROLE,
    KIND_ROLE,
    PLACES_ROLE,
    PRESENCE_ROLE,
    SORT_ROLE,
    TERMINAL_ID_ROLE,
)
from console.ui.panes.pane_parts import ROW_HEIGHT
from console.ui.panes.terminal_look import (
    EMERGENCY_ROW,
    EMERGENCY_TEXT,
    PRESENCE_ORDER,
    kind_icon,
    kind_name,
    local_name,
    place_label,
    presence_name,
    presence_text_colour,
)
from console.ui.panes.terminal_rows import Index, TerminalRowsModel

logger = logging.getLogger(__name__)

ID, KIND, NAME, WHERE, PRESENCE, STATUS, GROUPS = range(7)
HEADERS = (
    QT_TRANSLATE_NOOP("HandsetsModel", "ID"),
    QT_TRANSLATE_NOOP("HandsetsModel", "Kind"),
    QT_TRANSLATE_NOOP("HandsetsModel", "Name"),
    QT_TRANSLATE_NOOP("HandsetsModel", "Station / area"),
    QT_TRANSLATE_NOOP("HandsetsModel", "Presence"),
    QT_TRANSLATE_NOOP("HandsetsModel", "Status"),
    QT_TRANSLATE_NOOP("HandsetsModel", "Groups"),
)
STAFF_KINDS = ("handset", "recorder")
#: the staff radios' pre-defined status codes (MCData status) in the dispatcher's words
STATUS_NAMES: dict[int, str] = {
    1: QT_TRANSLATE_NOOP("HandsetsModel", "Available"),
    2: QT_TRANSLATE_NOOP("HandsetsModel", "En route"),
    3: QT_TRANSLATE_NOOP("HandsetsModel", "On site"),
    4: QT_TRANSLATE_NOOP("HandsetsModel", "Busy"),
    5: QT_TRANSLATE_NOOP("HandsetsModel", "Needs assistance"),
}
#: a status that asks for the dispatcher's attention
_URGENT_STATUS = {5}
_AMBER = QColor("#ffb000")
_ROW_SIZE = QSize(-1, ROW_HEIGHT)


@dataclass(frozen=True)
class StaffRow:
    """What one staff radio's row shows."""

    id: str
    kind: str
    name: str
    name_zh: str
    home: str | None
    #: where its last location puts it: a station code or an area (None: no fix, shown at home)
    at: str | None
    presence: str
    status: int | None
    groups: tuple[str, ...]
    emergency: bool

    @property
    def place(self) -> str | None:
        return self.at or self.home


class HandsetsModel(TerminalRowsModel):
    """Handsets and recorders of ``world`` (see the module docstring)."""

    def __init__(self, world: Any, parent: QObject | None = None) -> None:
        self._alerted: frozenset[str] = frozenset(a.terminal for a in world.alerts.values())
        super().__init__(world, parent)

    def accepts(self, info: Any) -> bool:
        return info.kind in STAFF_KINDS

    def record(self, info: Any) -> StaffRow:
        loc = info.location
        at = (loc.station or loc.area) if loc is not None else None
        groups = self.world.groups
        ordered = sorted(info.groups, key=lambda g: (g in groups and groups[g].kind == "all_call", g))
        return StaffRow(id=info.id, kind=info.kind, name=info.name, name_zh=info.name_zh, home=info.station, at=at,
                        presence=info.presence, status=info.status, groups=tuple(ordered),
                        emergency=info.presence == "emergency" or info.id in self._alerted)

    def alerts_changed(self) -> None:
        """An alert was raised or ended: re-check which staff radios are in emergency."""
        alerted = frozenset(a.terminal for a in self.world.alerts.values())
        if alerted != self._alerted:
            touched = alerted ^ self._alerted
            self._alerted = alerted
            self.refresh(touched)

    def staff(self, row: int) -> StaffRow:
        record: StaffRow = self.record_at(row)
        return record

    # ----- Qt ---------------------------------------------------------------------------------

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(
                HEADERS):
            return QCoreApplication.translate("HandsetsModel", HEADERS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        row, column = self.staff(index.row()), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(row, column)
        if role == Qt.ItemDataRole.DecorationRole:
            return kind_icon(row.kind) if column == KIND else None
        if role == Qt.ItemDataRole.BackgroundRole:
            return EMERGENCY_ROW if row.emergency else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if row.emergency:
                return EMERGENCY_TEXT
            if column == PRESENCE:
                return presence_text_colour(row.presence)
            if column == STATUS and row.status in _URGENT_STATUS:
                return _AMBER
            return None
        if role == Qt.ItemDataRole.FontRole and (column == ID or row.emergency):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return kind_name(row.kind) if column == KIND else self._tooltip(row)
        if role == Qt.ItemDataRole.SizeHintRole:
            return _ROW_SIZE if column == ID else None
        if role == SORT_ROLE:
            return self._sort_key(row, column)
        return self._role(row, role)

    @staticmethod
    def _role(row: StaffRow, role: int) -> Any:
        if role == TERMINAL_ID_ROLE:
            return row.id
        if role == KIND_ROLE:
            return row.kind
        if role == PRESENCE_ROLE:
            return row.presence
        if role == EMERGENCY_ROLE:
            return row.emergency
        if role == GROUPS_ROLE:
            return row.groups
        if role == PLACES_ROLE:
            return tuple(p for p in (row.home, row.at) if p)
        return None

    def text(self, row: StaffRow, column: int) -> str:
        if column == ID:
            return row.id
        if column == NAME:
            return local_name(row)
        if column == KIND:
            return ""  # the icon says it (the tooltip names it)
        if column == WHERE:
            return place_label(self.world, row.place)
        if column == STATUS:
            return status_name(row.status)
        if column == PRESENCE:
            return presence_name(row.presence)
        if column == GROUPS:
            return ", ".join(row.groups)
        return ""

    def _sort_key(self, row: StaffRow, column: int) -> Any:
        if column == PRESENCE:
            return PRESENCE_ORDER.index(row.presence) if row.presence in PRESENCE_ORDER else len(PRESENCE_ORDER)
        if column == STATUS:
            return row.status if row.status is not None else -1
        if column == WHERE:
            return self._place_rank(row.place)
        if column == KIND:
            return row.kind
        return self.text(row, column)

    def _place_rank(self, code: str | None) -> tuple[int, str]:
        """Stations in line order, then depots and the rest by code."""
        codes = [p.code for p in self.world.layout.stations]
        return (codes.index(code), "") if code in codes else (len(codes), code or "~")

    def _tooltip(self, row: StaffRow) -> str:
        lines = [f"{row.id} · {local_name(row)} · {kind_name(row.kind)}"]
        if row.home:
            lines.append(QCoreApplication.translate("HandsetsModel", "Home: %1").replace(
                "%1", place_label(self.world, row.home)))
        if row.at:
            lines.append(QCoreApplication.translate("HandsetsModel", "Now at: %1").replace(
                "%1", place_label(self.world, row.at)))
        names = [local_name(self.world.groups[g]) if g in self.world.groups else g for g in row.groups]
        if names:
            lines.append(", ".join(names))
        return "\n".join(lines)


def status_name(status: int | None) -> str:
    """A status code in words ("On site"); codes the desk does not know show as their number."""
    if status is None:
        return ""
    source = STATUS_NAMES.get(status)
    return QCoreApplication.translate("HandsetsModel", source) if source else str(status)


class StaffFilter(QSortFilterProxyModel):
    """Filters staff rows by group, place (home or where they are now) and presence, and by free text."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._group: str | None = None
        self._place: str | None = None
        self._presence: frozenset[str] | None = None
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def set_group(self, group: str | None) -> None:
        self.beginFilterChange()
        self._group = group or None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_place(self, code: str | None) -> None:
        self.beginFilterChange()
        self._place = code or None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_presence(self, presence: Iterable[str] | None) -> None:
        self.beginFilterChange()
        self._presence = frozenset(presence) if presence is not None else None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self.sourceModel()
        index = model.index(source_row, 0, source_parent)
        if self._group is not None and self._group not in (index.data(GROUPS_ROLE) or ()):
            return False
        if self._place is not None and self._place not in (index.data(PLACES_ROLE) or ()):
            return False
        if self._presence is not None and index.data(PRESENCE_ROLE) not in self._presence:
            return False
        return super().filterAcceptsRow(source_row, source_parent)


__all__ = ["GROUPS", "HEADERS", "ID", "KIND", "NAME", "PRESENCE", "STAFF_KINDS", "STATUS", "STATUS_NAMES", "WHERE",
           "HandsetsModel", "StaffFilter", "StaffRow", "status_name"]
