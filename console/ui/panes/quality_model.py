"""The feeds table of the quality pane: every call (voice link) and video feed the desk receives, with its latest
bitrate, frame rate, jitter and loss, each figure amber when past its warning threshold, and the row's colour
swatch (the colour of its curves in the plots). An item model over the core `QualityMonitor`'s feeds."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QObject, QPersistentModelIndex, Qt

from console.core.quality import ALARM_PREFIX, FeedHistory
from console.ui.colours import ALARM, MUTED_TEXT, TEXT, brush, light
from console.ui.i18n import QT_TRANSLATE_NOOP
from console.ui.item_roles import SORT_ROLE, TERMINAL_ID_ROLE
from console.ui.vocabulary import terminal_name
from console.ui.widgets.plots import PALETTE

__all__ = ["SESSION_ROLE", "FeedsModel"]

SESSION_ROLE = Qt.ItemDataRole.UserRole + 40
SOURCE, KIND, BITRATE, FRAME_RATE, JITTER, LOSS, STATE = range(7)
_HEADERS = (QT_TRANSLATE_NOOP("FeedsModel", "Source"), QT_TRANSLATE_NOOP("FeedsModel", "Kind"),
            QT_TRANSLATE_NOOP("FeedsModel", "kbit/s"), QT_TRANSLATE_NOOP("FeedsModel", "fps"),
            QT_TRANSLATE_NOOP("FeedsModel", "Jitter ms"), QT_TRANSLATE_NOOP("FeedsModel", "Loss %"),
            QT_TRANSLATE_NOOP("FeedsModel", "State"))
_METRIC_OF = {FRAME_RATE: "frame_rate", JITTER: "jitter", LOSS: "loss"}


class FeedsModel(QAbstractTableModel):
    """Rows: the monitor's feeds, oldest first; `refresh` after each sample."""

    def __init__(self, monitor: Any, world: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.monitor = monitor
        self.world = world
        self._rows: list[str] = []
        self._colours: dict[str, str] = {}

    # ----- rows -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Follow the monitor: new and gone feeds reset the rows, otherwise only the figures change."""
        sessions = list(self.monitor.feeds)
        if sessions != self._rows:
            self.beginResetModel()
            self._rows = sessions
            for session in sessions:
                self.colour_of(session)
            self.endResetModel()
        elif self._rows:
            self.dataChanged.emit(self.index(0, BITRATE), self.index(len(self._rows) - 1, STATE))

    def session_at(self, row: int) -> str | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, session: str) -> int | None:
        return self._rows.index(session) if session in self._rows else None

    def colour_of(self, session: str) -> str:
        """The feed's colour in the plots and its row's swatch (given on first ask, kept for good)."""
        return self._colours.setdefault(session, PALETTE[len(self._colours) % len(PALETTE)])

    def feed(self, row: int) -> FeedHistory | None:
        session = self.session_at(row)
        return self.monitor.feeds.get(session) if session is not None else None

    def warned(self, session: str) -> bool:
        """A warning of this feed is raised (or acknowledged) in the alarms."""
        return any(alarm_id.startswith(ALARM_PREFIX) and alarm_id.endswith(f":{session}")
                   for alarm_id in self.world.alarms)

    # ----- the model --------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return QCoreApplication.translate("FeedsModel", _HEADERS[section])
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        feed = self.feed(index.row()) if index.isValid() else None
        if feed is None:
            return None
        column = index.column()
        if role == SESSION_ROLE:
            return feed.session
        if role == TERMINAL_ID_ROLE:
            return feed.source
        if role == Qt.ItemDataRole.DecorationRole and column == SOURCE:
            return light(self.colour_of(feed.session), 16)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(feed, column)
        if role == SORT_ROLE:
            value = self._value(feed, column)
            return value if value is not None else -1.0
        if role == Qt.ItemDataRole.ForegroundRole:
            if feed.ended is not None:
                return brush(MUTED_TEXT)
            metric = _METRIC_OF.get(column)
            if metric == "frame_rate" and feed.kind != "video":
                metric = None  # a voice link sends only while its talker talks: no frame rate to keep
            value = self._value(feed, column)
            if metric is not None and value is not None and self._past(metric, value):
                return brush(ALARM)
            return brush(TEXT)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{feed.source} · {feed.session}"
        return None

    def _value(self, feed: FeedHistory, column: int) -> float | None:
        series = {BITRATE: feed.bitrate_kbps, FRAME_RATE: feed.frame_rate, JITTER: feed.jitter_ms,
                  LOSS: feed.loss_percent}.get(column)
        return series.last_value() if series is not None else None

    def _text(self, feed: FeedHistory, column: int) -> str:
        if column == SOURCE:
            return terminal_name(self.world, feed.source)
        if column == KIND:
            return self.tr("Video") if feed.kind == "video" else self.tr("Voice")
        if column == STATE:
            if feed.ended is not None:
                return self.tr("ended")
            return self.tr("warning") if self.warned(feed.session) else self.tr("live")
        value = self._value(feed, column)
        if value is None or math.isnan(value):
            return "—"
        return f"{value:.0f}" if column == BITRATE or value >= 10 else f"{value:.1f}"

    def _past(self, metric: str, value: float) -> bool:
        threshold = self.monitor.threshold(metric)
        if threshold <= 0:
            return False
        return bool(value < threshold if metric == "frame_rate" else value > threshold)

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(_HEADERS) - 1)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(_HEADERS) - 1))
