"""Event log: the latest events as they are recorded (live), and a search over the whole SQLite log by text, kind
and time range. Every event reads as a sentence in the desk's language (`console.ui.event_text`).

Reading the log always happens off the event loop (`EventLog.arecent`, `EventLog.asearch` run in a thread); the
live view re-reads at most a few times a second, after the world changed or a command was recorded. Errors the
platform caused (``protocol_error``) stand out in red; emergencies in red, alarms in amber. An event linked to a
recording (a talk burst) plays with "Play" or a double click (event_playback.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.ui.colours import ALARM, EMERGENCY_TEXT, MUTED_TEXT, brush
from console.ui.event_text import KIND_NAMES, kind_name, render, severity_of
from console.ui.i18n import QT_TRANSLATE_NOOP
from console.ui.panes import PaneContext, pane
from console.ui.panes.event_playback import EventPlayback

logger = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex
#: how many events the live view keeps
LIVE_ROWS = 300
#: quiet time after a change before the live view re-reads, ms; and its slow re-read without changes
LIVE_DEBOUNCE_MS = 250
LIVE_POLL_MS = 2000
#: search results shown at most
SEARCH_LIMIT = 500
#: time ranges offered: (label, seconds back; None = any time)
RANGES: tuple[tuple[str, int | None], ...] = (
    (QT_TRANSLATE_NOOP("EventLogPane", "Any time"), None),
    (QT_TRANSLATE_NOOP("EventLogPane", "Last 15 minutes"), 15 * 60),
    (QT_TRANSLATE_NOOP("EventLogPane", "Last hour"), 3600),
    (QT_TRANSLATE_NOOP("EventLogPane", "Last 8 hours (a shift)"), 8 * 3600),
    (QT_TRANSLATE_NOOP("EventLogPane", "Last 24 hours"), 24 * 3600),
    (QT_TRANSLATE_NOOP("EventLogPane", "Last 7 days"), 7 * 24 * 3600),
)


class EventsModel(QAbstractTableModel):
    """Events (newest first): time, kind, who, what happened."""

    TIME, KIND, ACTOR, TEXT = range(4)

    def __init__(self, world: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.world = world
        self.events: list[Any] = []
        self._texts: dict[int, str] = {}

    def show(self, events: list[Any]) -> None:
        """Show ``events`` (newest first); new ones on top are inserted (and the oldest dropped off the end), so
        that the view keeps the dispatcher's place."""
        old = [e.id for e in self.events]
        new = [e.id for e in events]
        if new == old:
            return
        if old and new and old[0] in new:
            added = new.index(old[0])
            kept = len(new) - added
            if added > 0 and kept <= len(old) and new[added:] == old[:kept]:
                if kept < len(old):
                    self.beginRemoveRows(QModelIndex(), kept, len(old) - 1)
                    self.events = self.events[:kept]
                    self.endRemoveRows()
                self.beginInsertRows(QModelIndex(), 0, added - 1)
                self.events = events
                self.endInsertRows()
                shown = set(new)
                self._texts = {k: v for k, v in self._texts.items() if k in shown}
                return
        self.beginResetModel()
        self.events = events
        self._texts.clear()
        self.endResetModel()

    def retranslate(self) -> None:
        self._texts.clear()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.TEXT)
        if self.events:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.events) - 1, self.TEXT))

    def text_of(self, row: int) -> str:
        event = self.events[row]
        text = self._texts.get(event.id)
        if text is None:
            text = self._texts[event.id] = render(event, self.world)
        return text

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.events)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 4

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return (self.tr("Time"), self.tr("Event"), self.tr("Who"), self.tr("What happened"))[section]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.events):
            return None
        event, column = self.events[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.TIME:
                return datetime.fromtimestamp(event.at_ms / 1000).strftime("%H:%M:%S")
            if column == self.KIND:
                return kind_name(event.kind)
            if column == self.ACTOR:
                return event.actor
            return self.text_of(index.row())
        if role == Qt.ItemDataRole.ToolTipRole:
            when = datetime.fromtimestamp(event.at_ms / 1000).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
            return f"{when}  #{event.id}  {event.kind}\n{self.text_of(index.row())}"
        severity = severity_of(event)
        if role == Qt.ItemDataRole.ForegroundRole:
            if severity in ("emergency", "error"):
                return brush(EMERGENCY_TEXT)
            if severity in ("alarm", "refused"):
                return brush(ALARM)
            if column == self.TIME:
                return brush(MUTED_TEXT)
        if role == Qt.ItemDataRole.BackgroundRole and severity == "error":
            return brush("#3a0d10")
        if role == Qt.ItemDataRole.FontRole and severity in ("emergency", "error"):
            font = QFont()
            font.setBold(True)
            return font
        return None


class EventLogPane(QWidget):
    """Live tail and search of the event log (see the module docstring)."""

    #: the view now shows these events (after a live re-read or a search); for tests and the status line
    shown = Signal()

    def __init__(self, context: PaneContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("eventLogPane")
        self.world = context.world
        self.log = context.desk.log
        self.model = EventsModel(self.world, self)
        self.live = True
        self._reading: asyncio.Future[Any] | None = None
        self._again = False
        self._next: tuple[Any, tuple[Any, ...], dict[str, Any]] | None = None

        self.search_box = QLineEdit(self)
        self.search_box.setObjectName("logSearch")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.returnPressed.connect(self.search)
        self.kind_box = QComboBox(self)
        self.kind_box.setObjectName("logKind")
        self.range_box = QComboBox(self)
        self.range_box.setObjectName("logRange")
        self.search_button = QPushButton(self)
        self.search_button.setProperty("compact", True)
        self.search_button.setObjectName("logSearchButton")
        self.search_button.setProperty("role", "primary")
        self.search_button.clicked.connect(self.search)
        self.live_button = QPushButton(self)
        self.live_button.setProperty("compact", True)
        self.live_button.setObjectName("logLiveButton")
        self.live_button.clicked.connect(self.go_live)
        self.mode_label = QLabel(self)
        self.mode_label.setObjectName("logMode")
        self.table = QTableView(self)
        self.table.setObjectName("eventsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(36)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        for column in (EventsModel.TIME, EventsModel.KIND, EventsModel.ACTOR):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(EventsModel.TEXT, QHeaderView.ResizeMode.Stretch)

        self.playback = EventPlayback(self.table, self.model, context.desk, commands=context.commands, parent=self,
                                      say=self._show_mode)

        filters = QHBoxLayout()
        filters.addWidget(self.search_box, 3)
        filters.addWidget(self.kind_box, 2)
        filters.addWidget(self.range_box, 2)
        buttons = QHBoxLayout()
        buttons.addWidget(self.mode_label, 1)
        buttons.addWidget(self.search_button)
        buttons.addWidget(self.live_button)
        buttons.addWidget(self.playback.play_button)
        buttons.addWidget(self.playback.stop_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(LIVE_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.reload)
        self._poll = QTimer(self)
        self._poll.setInterval(LIVE_POLL_MS)
        self._poll.timeout.connect(self.reload)
        self._poll.start()
        bridge = context.bridge
        bridge.batchDone.connect(self._soon)
        bridge.protocolProblem.connect(lambda _text: self._soon())
        context.actions.action("search_log").triggered.connect(self.focus_search)
        self.retranslate()
        QTimer.singleShot(0, self, self.reload)

    # ----- reading ----------------------------------------------------------------------------

    def _soon(self) -> None:
        if self.live and not self._debounce.isActive():
            self._debounce.start()

    def reload(self) -> None:
        """Re-read the latest events (live view only)."""
        if self.live:
            self._read(self.log.arecent, LIVE_ROWS)

    def search(self) -> None:
        """Search the whole log with the text, kind and time range chosen."""
        text = self.search_box.text().strip() or None
        kind = self.kind_box.currentData()
        back = self.range_box.currentData()
        filters: dict[str, Any] = {"limit": SEARCH_LIMIT}
        if kind:
            filters["kind"] = str(kind)
        if back:
            filters["since"] = int((time.time() - int(back)) * 1000)
        if text is None and not kind and not back:
            self.go_live()
            return
        self.live = False
        self._show_mode(self.tr("Searching…"))
        self._read(self.log.asearch, text, **filters)

    def go_live(self) -> None:
        """Back to the latest events as they come."""
        self.live = True
        self.search_box.clear()
        self.kind_box.setCurrentIndex(0)
        self.range_box.setCurrentIndex(0)
        self.reload()

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def _read(self, reader: Any, *args: Any, **kwargs: Any) -> None:
        if self._reading is not None and not self._reading.done():
            self._again = True  # one read at a time; the newest wish runs after it
            self._next = (reader, args, kwargs)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop runs (a pane built outside the desk): nothing to read with
            logger.debug("event log not read: no event loop")
            return
        self._reading = loop.create_task(self._fetch(reader, self.live, *args, **kwargs))

    async def _fetch(self, reader: Any, live: bool, *args: Any, **kwargs: Any) -> None:
        try:
            events = await reader(*args, **kwargs)
        except Exception as exc:  # a closed or broken log file: say so, keep the desk running
            logger.warning("event log read failed: %r", exc)
            if not shiboken6.isValid(self):
                return
            self._show_mode(self.tr("The event log cannot be read: %1").replace("%1", str(exc)))
            return
        finally:
            if shiboken6.isValid(self):  # the pane may have been closed while the log was read
                self._reading = None
            if shiboken6.isValid(self) and self._again and self._next is not None:
                self._again = False
                reader_next, args_next, kwargs_next = self._next
                QTimer.singleShot(0, self, lambda: self._read(reader_next, *args_next, **kwargs_next))
        if not shiboken6.isValid(self) or live != self.live:
            return  # closed meanwhile, or the dispatcher switched between live and search
        self.model.show(list(events))
        if live:
            self._show_mode(self.tr("Live: the latest %1 events").replace("%1", str(len(events))))
        else:
            self._show_mode(self.tr("Search: %1 events found").replace("%1", str(len(events)))
                            if events else self.tr("Search: nothing found"))
        self.shown.emit()

    def _show_mode(self, text: str) -> None:
        self.mode_label.setText(text)

    # ----- language ---------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.search_box.setPlaceholderText(self.tr("Search: terminal, group, call, text… (Enter)"))
        kind = self.kind_box.currentData()
        self.kind_box.blockSignals(True)
        self.kind_box.clear()
        self.kind_box.addItem(self.tr("All kinds"), None)
        for name in KIND_NAMES:
            self.kind_box.addItem(kind_name(name), name)
        self.kind_box.setCurrentIndex(max(0, self.kind_box.findData(kind)))
        self.kind_box.blockSignals(False)
        chosen = self.range_box.currentIndex()
        self.range_box.clear()
        for label, seconds in RANGES:
            self.range_box.addItem(QCoreApplication.translate("EventLogPane", label), seconds)
        self.range_box.setCurrentIndex(max(0, chosen))
        self.search_button.setText(self.tr("Search"))
        self.live_button.setText(self.tr("Live"))
        self.live_button.setToolTip(self.tr("Back to the latest events as they come"))
        self.playback.retranslate()
        self.model.retranslate()
        if self.live:
            self._show_mode(self.tr("Live: the latest %1 events").replace("%1", str(len(self.model.events))))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


@pane("event_log")
def create(context: PaneContext) -> QWidget:
    return EventLogPane(context)


__all__ = ["RANGES", "EventLogPane", "EventsModel"]
