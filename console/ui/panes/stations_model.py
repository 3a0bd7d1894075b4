"""The stations as a tree model: each station (then each depot and the control centre) with its fixed radios and
cameras under it, their presence, and the calls and video they are in now.

Places come from the line layout (in line order); their terminals from the layout and from the world (a radio
the line file does not list but the platform homes there still shows). Rows change in place: a terminal's
``terminalsChanged`` repaints its own row and its station's summary row, a call or video change repaints the
rows whose text changed; nothing resets on an update.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QCoreApplication, QModelIndex, QObject, QSize, Qt
from PySide6.QtGui import QColor, QFont

from console.core.layout import Place
from console.ui.i18n import QT_TRANSLATE_NOOP
from console.ui.item_roles import EMERGENCY_ROLE, KIND_ROLE, PRESENCE_ROLE, SORT_ROLE, TERMINAL_ID_ROLE
from console.ui.panes.pane_parts import ROW_HEIGHT
from console.ui.panes.terminal_look import (
    EMERGENCY_ROW,
    EMERGENCY_TEXT,
    PRESENCE_ORDER,
    PRESENCE_TEXT,
    kind_icon,
    local_name,
    presence_name,
    presence_text_colour,
)
from console.ui.panes.terminal_rows import Index
from console.ui.resources import icon

logger = logging.getLogger(__name__)

NAME, TERMINAL, STATE, ACTIVITY = range(4)
HEADERS = (
    QT_TRANSLATE_NOOP("StationsModel", "Station / terminal"),
    QT_TRANSLATE_NOOP("StationsModel", "ID"),
    QT_TRANSLATE_NOOP("StationsModel", "State"),
    QT_TRANSLATE_NOOP("StationsModel", "Calls and video"),
)
_KINDS = ("station", "camera")
_PLACE_ICONS = {"station": "station", "depot": "train", "control_centre": "console"}
_REACHABLE = ("registered", "busy", "emergency")
_ROW_SIZE = QSize(-1, ROW_HEIGHT)
_AMBER = QColor("#ffb000")


@dataclass(frozen=True)
class TerminalRow:
    """What a radio's or camera's row shows."""

    id: str
    kind: str
    name: str
    name_zh: str
    presence: str
    #: the calls it is in: (call id, kind, group or None, other party or None, it holds the floor)
    calls: tuple[tuple[str, str, str | None, str | None, bool], ...]
    #: media sessions it is the source of
    video: tuple[str, ...]


@dataclass(frozen=True)
class PlaceRow:
    """What a station's own row sums up from its terminals."""

    radios: int
    radios_up: int
    emergency: bool
    calls: int
    video: int


class StationsModel(QAbstractItemModel):
    """Places (top level) with their fixed radios and cameras (children); see the module docstring."""

    def __init__(self, world: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.world = world
        self._places: list[Place] = []
        self._children: list[list[str]] = []
        self._where: dict[str, tuple[int, int]] = {}
        self._rows: dict[str, TerminalRow] = {}
        self._summaries: list[PlaceRow] = []
        self._calls_of: dict[str, list[Any]] = {}
        self._video_of: dict[str, list[str]] = {}
        self.rows_changed = 0
        self.reload()

    # ----- building -----------------------------------------------------------------------------

    def _layout_places(self) -> list[Place]:
        layout = self.world.layout
        places = list(layout.stations) + list(layout.depots)
        places += [p for p in layout.places if p.kind == "control_centre"]
        if not places:  # no line data: the places the fixed radios and cameras name
            codes = sorted({t.station for t in self.world.terminals.values() if t.kind in _KINDS and t.station})
            places = [Place(code, "station") for code in codes]
        return places

    def reload(self) -> None:
        """Rebuild the tree from the layout and the world (at creation)."""
        self.beginResetModel()
        self._places = self._layout_places()
        index = {p.code: i for i, p in enumerate(self._places)}
        extra: dict[str, list[str]] = defaultdict(list)
        for info in self.world.terminals.values():
            if info.kind in _KINDS and info.station in index:
                extra[info.station].append(info.id)
        self._children = []
        for place in self._places:
            listed = list(place.radios) + list(place.cameras)
            more = sorted(set(extra.get(place.code, ())) - set(listed),
                          key=lambda t: (self._kind_of(t) != "station", t))
            self._children.append(listed + more)
        self._index_children()
        self._collect_activity()
        self._rows = {t: self._record(t) for children in self._children for t in children}
        self._summaries = [self._summary(i) for i in range(len(self._places))]
        self.endResetModel()

    def _index_children(self) -> None:
        self._where = {t: (p, c) for p, children in enumerate(self._children) for c, t in enumerate(children)}

    def _kind_of(self, terminal_id: str) -> str:
        info = self.world.terminals.get(terminal_id)
        if info is not None:
            return str(info.kind)
        return "camera" if any(terminal_id in p.cameras for p in self._places) else "station"

    def _collect_activity(self) -> None:
        calls: dict[str, list[Any]] = defaultdict(list)
        for call in self.world.calls.values():
            for party in call.parties:
                calls[party].append(call)
        video: dict[str, list[str]] = defaultdict(list)
        for session in self.world.video.values():
            video[session.source].append(session.session)
        self._calls_of, self._video_of = calls, video

    def _record(self, terminal_id: str) -> TerminalRow:
        info = self.world.terminals.get(terminal_id)
        calls = []
        for call in sorted(self._calls_of.get(terminal_id, ()), key=lambda c: c.id):
            other = next((p for p in call.parties if p != terminal_id), None) if call.kind == "private" else None
            calls.append((call.id, call.kind, call.group, other, call.holder == terminal_id))
        return TerminalRow(
            id=terminal_id, kind=info.kind if info is not None else self._kind_of(terminal_id),
            name=info.name if info is not None else "", name_zh=info.name_zh if info is not None else "",
            presence=info.presence if info is not None else "offline", calls=tuple(calls),
            video=tuple(sorted(self._video_of.get(terminal_id, ()))))

    def _summary(self, place: int) -> PlaceRow:
        rows = [self._rows[t] for t in self._children[place] if t in self._rows]
        radios = [r for r in rows if r.kind == "station"]
        return PlaceRow(radios=len(radios), radios_up=sum(r.presence in _REACHABLE for r in radios),
                        emergency=any(r.presence == "emergency" for r in rows),
                        calls=len({c[0] for r in rows for c in r.calls}), video=sum(len(r.video) for r in rows))

    # ----- following the world ------------------------------------------------------------------

    def refresh(self, ids: list[str] | Any) -> None:
        """Terminals ``ids`` changed: repaint their rows and their stations' rows; add radios and cameras that
        appeared at a known place."""
        touched: set[int] = set()
        changed: list[tuple[int, int]] = []
        for terminal_id in ids:
            where = self._where.get(terminal_id)
            if where is None:
                self._maybe_add(terminal_id, touched)
                continue
            record = self._record(terminal_id)
            if record != self._rows.get(terminal_id):
                self._rows[terminal_id] = record
                changed.append(where)
                touched.add(where[0])
        self._announce(changed, touched)

    def activity_changed(self) -> None:
        """A call, its floor or a video session changed: re-read what every terminal is in."""
        self._collect_activity()
        self.refresh(list(self._where))

    def _maybe_add(self, terminal_id: str, touched: set[int]) -> None:
        info = self.world.terminals.get(terminal_id)
        if info is None or info.kind not in _KINDS:
            return
        place = next((i for i, p in enumerate(self._places) if p.code == info.station), None)
        if place is None:
            return
        children = self._children[place]
        row = len(children)
        self.beginInsertRows(self.index(place, 0), row, row)
        children.append(terminal_id)
        self._where[terminal_id] = (place, row)
        self._rows[terminal_id] = self._record(terminal_id)
        self.endInsertRows()
        touched.add(place)

    def _announce(self, changed: list[tuple[int, int]], touched: set[int]) -> None:
        last = len(HEADERS) - 1
        for place, child in changed:
            parent = self.index(place, 0)
            self.dataChanged.emit(self.index(child, 0, parent), self.index(child, last, parent))
            self.rows_changed += 1
        for place in sorted(touched):
            summary = self._summary(place)
            if summary != self._summaries[place]:
                self._summaries[place] = summary
                self.dataChanged.emit(self.index(place, 0), self.index(place, last))
                self.rows_changed += 1

    def retranslate(self) -> None:
        """The language changed: headers and every row read again (a one-off, not an update)."""
        last = len(HEADERS) - 1
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, last)
        if self._places:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._places) - 1, last))
        for place, children in enumerate(self._children):
            if children:
                parent = self.index(place, 0)
                self.dataChanged.emit(self.index(0, 0, parent), self.index(len(children) - 1, last, parent))

    # ----- lookups --------------------------------------------------------------------------------

    def place_of(self, index: Index) -> Place | None:
        """The place of a station row (None for a terminal row)."""
        if not index.isValid() or index.internalId() != 0:
            return None
        return self._places[index.row()]

    def terminal_of(self, index: Index) -> TerminalRow | None:
        """The radio or camera of a terminal row (None for a station row)."""
        if not index.isValid() or index.internalId() == 0:
            return None
        return self._rows.get(self._children[index.internalId() - 1][index.row()])

    def terminals_at(self, code: str) -> list[TerminalRow]:
        """The radios and cameras of place ``code``, radios first."""
        place = next((i for i, p in enumerate(self._places) if p.code == code), None)
        return [self._rows[t] for t in self._children[place]] if place is not None else []

    def index_of(self, key: str) -> QModelIndex:
        """The index of a place code or a terminal id (invalid if neither)."""
        where = self._where.get(key)
        if where is not None:
            return self.index(where[1], 0, self.index(where[0], 0))
        place = next((i for i, p in enumerate(self._places) if p.code == key), None)
        return self.index(place, 0) if place is not None else QModelIndex()

    def places(self) -> list[Place]:
        return list(self._places)

    # ----- Qt: shape --------------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= len(HEADERS) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0) if row < len(self._places) else QModelIndex()
        if parent.internalId() != 0:
            return QModelIndex()
        place = parent.row()
        if row >= len(self._children[place]):
            return QModelIndex()
        return self.createIndex(row, column, place + 1)

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._places)
        if parent.internalId() != 0 or parent.column() != 0:
            return 0
        return len(self._children[parent.row()])

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(
                HEADERS):
            return QCoreApplication.translate("StationsModel", HEADERS[section])
        return None

    # ----- Qt: data ---------------------------------------------------------------------------------

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.SizeHintRole:
            return _ROW_SIZE
        if index.internalId() == 0:
            return self._place_data(index.row(), index.column(), role)
        row = self.terminal_of(index)
        return self._terminal_data(row, index.column(), role) if row is not None else None

    def _place_data(self, place_row: int, column: int, role: int) -> Any:
        place, summary = self._places[place_row], self._summaries[place_row]
        if role == Qt.ItemDataRole.DisplayRole:
            if column == NAME:
                return f"{place.code} {local_name(place)}" if (place.name or place.name_zh) else place.code
            if column == STATE:
                if summary.emergency:
                    return presence_name("emergency")
                return QCoreApplication.translate("StationsModel", "%1 of %2 radios up").replace(
                    "%1", str(summary.radios_up)).replace("%2", str(summary.radios)) if summary.radios else ""
            if column == ACTIVITY:
                return self._place_activity(summary)
            return ""
        if role == Qt.ItemDataRole.DecorationRole and column == NAME:
            return icon(_PLACE_ICONS.get(place.kind, "station"))
        if role == Qt.ItemDataRole.FontRole and column == NAME:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.BackgroundRole:
            return EMERGENCY_ROW if summary.emergency else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if summary.emergency:
                return EMERGENCY_TEXT
            if column == STATE and summary.radios:
                if summary.radios_up == summary.radios:
                    return PRESENCE_TEXT["registered"]
                return _AMBER if summary.radios_up else PRESENCE_TEXT["unreachable"]
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            names = " / ".join(n for n in dict.fromkeys((place.name_zh, place.name)) if n)
            return f"{place.code} {names}".strip()
        if role == SORT_ROLE:
            return (0, place_row, "") if column == NAME else self._place_data(place_row, column,
                                                                               Qt.ItemDataRole.DisplayRole)
        if role == EMERGENCY_ROLE:
            return summary.emergency
        if role == KIND_ROLE:
            return None
        if role == TERMINAL_ID_ROLE:
            return None
        return None

    def _place_activity(self, summary: PlaceRow) -> str:
        parts = []
        if summary.calls:
            parts.append(QCoreApplication.translate("StationsModel", "%1 call(s)").replace("%1", str(summary.calls)))
        if summary.video:
            parts.append(QCoreApplication.translate("StationsModel", "%1 video").replace("%1", str(summary.video)))
        return " · ".join(parts)

    def _terminal_data(self, row: TerminalRow, column: int, role: int) -> Any:
        emergency = row.presence == "emergency"
        if role == Qt.ItemDataRole.DisplayRole:
            if column == NAME:
                return self.short_name(row)
            if column == TERMINAL:
                return row.id
            if column == STATE:
                return presence_name(row.presence)
            if column == ACTIVITY:
                return self.activity_text(row)
            return ""
        if role == Qt.ItemDataRole.DecorationRole and column == NAME:
            return kind_icon(row.kind)
        if role == Qt.ItemDataRole.BackgroundRole:
            return EMERGENCY_ROW if emergency else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if emergency:
                return EMERGENCY_TEXT
            return presence_text_colour(row.presence) if column == STATE else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(p for p in (f"{row.id} · {local_name(row)}", presence_name(row.presence),
                                         self.activity_text(row)) if p)
        if role == SORT_ROLE:
            if column == NAME:
                return (1, 0 if row.kind == "station" else 1, row.id)
            if column == STATE:
                return PRESENCE_ORDER.index(row.presence) if row.presence in PRESENCE_ORDER else len(PRESENCE_ORDER)
            return self._terminal_data(row, column, Qt.ItemDataRole.DisplayRole)
        if role == TERMINAL_ID_ROLE:
            return row.id
        if role == KIND_ROLE:
            return row.kind
        if role == PRESENCE_ROLE:
            return row.presence
        if role == EMERGENCY_ROLE:
            return emergency
        return None

    def short_name(self, row: TerminalRow) -> str:
        """The terminal's name without its station's ("Radio 1" under "S01 Qingshiqiao", "固定台1" under 青石桥)."""
        name = local_name(row)
        where = self._where.get(row.id)
        place = self._places[where[0]] if where is not None else None
        prefix = local_name(place) if place is not None and (place.name or place.name_zh) else ""
        if prefix and name.startswith(prefix) and name[len(prefix):].strip():
            rest = name[len(prefix):].strip()
            return rest[0].upper() + rest[1:]
        return name

    def activity_text(self, row: TerminalRow) -> str:
        """"青石桥站 (talking)", "Private call with chief", "Video V3": what the terminal is in now."""
        parts = []
        for _call_id, kind, group, other, holds in row.calls:
            if kind == "private":
                text = QCoreApplication.translate("StationsModel", "Private call with %1").replace(
                    "%1", self._party(other))
            elif kind in ("emergency", "imminent_peril"):
                text = QCoreApplication.translate("StationsModel", "Emergency call in %1").replace(
                    "%1", self._group(group))
            elif kind == "broadcast":
                text = QCoreApplication.translate("StationsModel", "Broadcast in %1").replace("%1", self._group(group))
            else:
                text = self._group(group)
            if holds:
                text += " " + QCoreApplication.translate("StationsModel", "(talking)")
            parts.append(text)
        parts += [QCoreApplication.translate("StationsModel", "Video %1").replace("%1", v) for v in row.video]
        return "; ".join(parts)

    def _group(self, group: str | None) -> str:
        info = self.world.groups.get(group) if group else None
        return local_name(info) if info is not None else (group or "?")

    def _party(self, party: str | None) -> str:
        if party is None:
            return "?"
        if party == self.world.me:
            return QCoreApplication.translate("StationsModel", "this desk")
        info = self.world.terminals.get(party)
        return local_name(info) if info is not None else party


__all__ = ["ACTIVITY", "HEADERS", "NAME", "STATE", "TERMINAL", "PlaceRow", "StationsModel", "TerminalRow"]
