"""Play a recording from the event log: an event that carries a recording (a ``talk_burst``, or a dispatcher's
replay of one) is played with "Play" or a double click, under the live audio (`Desk.play_recording`); "Stop" ends
it. A recording that cannot be read (pruned, missing, damaged) is said in the pane, and nothing else changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QTimer
from PySide6.QtWidgets import QPushButton, QTableView, QWidget

from console.ui.command_runner import CommandRunner

logger = logging.getLogger(__name__)

__all__ = ["EventPlayback", "recording_of"]

#: how often the Stop button's state follows the playback, ms
POLL_MS = 250


def recording_of(event: Any) -> str | None:
    """The recording an event links to (its summary's ``recording``), if any."""
    summary = getattr(event, "summary", None)
    found = summary.get("recording") if isinstance(summary, dict) else None
    return str(found) if found else None


class EventPlayback(QObject):
    """The "Play" and "Stop" buttons of the event log pane (``parent``), which places them; ``say(text)`` shows
    what happened in the pane's status line."""

    def __init__(self, table: QTableView, events: Any, desk: Any, *, commands: Any, parent: QWidget,
                 say: Callable[[str], None]) -> None:
        super().__init__(parent)
        self.table = table
        self.events = events
        self.desk = desk
        self.say = say
        self.runner = CommandRunner(commands, parent=self)
        self.runner.failed.connect(lambda _what, reason: self.say(self.tr("Cannot play: %1").replace("%1", reason)))
        self.play_button = QPushButton(parent)
        self.play_button.setObjectName("logPlayButton")
        self.play_button.setProperty("compact", True)
        self.play_button.clicked.connect(self.play_selected)
        self.stop_button = QPushButton(parent)
        self.stop_button.setObjectName("logStopButton")
        self.stop_button.setProperty("compact", True)
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._follow)
        table.selectionModel().selectionChanged.connect(lambda *_: self.refresh())
        table.doubleClicked.connect(self._on_double_click)
        events.modelReset.connect(self.refresh)
        self.retranslate()
        self.refresh()

    def selected_recording(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or not 0 <= rows[0].row() < len(self.events.events):
            return None
        return recording_of(self.events.events[rows[0].row()])

    def refresh(self) -> None:
        available = getattr(self.desk, "recorder", None) is not None
        self.play_button.setEnabled(available and self.selected_recording() is not None)

    def _on_double_click(self, index: QModelIndex) -> None:
        if 0 <= index.row() < len(self.events.events):
            recording = recording_of(self.events.events[index.row()])
            if recording is not None:
                self.play(recording)

    def play_selected(self) -> None:
        recording = self.selected_recording()
        if recording is not None:
            self.play(recording)

    def play(self, recording: str) -> None:
        """Play ``recording`` under the live audio (replacing what played)."""
        self.runner.run(self.tr("Play"), self.desk.play_recording(recording), done=self._playing)

    def _playing(self, pcm: Any) -> None:
        self.say(self.tr("Playing a recording of %1 s").replace("%1", f"{len(pcm) / 48_000:.1f}"))
        self.stop_button.setEnabled(True)
        self._poll.start()

    def stop(self) -> None:
        self.desk.stop_playback()
        self._follow()

    def _follow(self) -> None:
        if float(self.desk.playback_left) <= 0:
            self._poll.stop()
            self.stop_button.setEnabled(False)

    def retranslate(self) -> None:
        self.play_button.setText(self.tr("Play"))
        self.play_button.setToolTip(self.tr("Play the selected talk burst's recording under the live audio "
                                            "(or double-click it)"))
        self.stop_button.setText(self.tr("Stop"))
