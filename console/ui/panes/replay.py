"""Instant replay in the groups pane: "Replay ▾" offers the last 15, 30 or 60 seconds of the talk group, a right
click on any monitored group the same for that group, and a line says what plays (with Stop) until it is over.

The replay (`Desk.replay`) plays under the live audio: nothing about the live calls changes, PTT keeps working.
What plays is polled from the desk (`Desk.playback_left`) a few times a second while something plays, not at all
otherwise.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, QPoint, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QWidget

from console.core.recordings import REPLAY_CHOICES
from console.ui.command_runner import CommandRunner
from console.ui.vocabulary import group_name

logger = logging.getLogger(__name__)

__all__ = ["POLL_MS", "ReplayControl"]

#: how often the line saying what plays is brought up to date, ms
POLL_MS = 250


class ReplayControl(QObject):
    """The "Replay ▾" button and the line saying what plays (see the module docstring); the pane (``parent``)
    places `button` and `line` and calls `retranslate` when the language changes."""

    def __init__(self, world: Any, desk: Any, runner: CommandRunner, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("replayControl")
        self.world = world
        self.desk = desk
        self.runner = runner
        #: the group and seconds of the replay playing (or last asked for)
        self.playing: tuple[str, float] | None = None
        self._status_text = ""
        self.button = QPushButton(parent)
        self.button.setObjectName("replayButton")
        self.button.setProperty("compact", True)
        self.button.setMenu(QMenu(self.button))
        self.button.menu().aboutToShow.connect(self._fill_button_menu)
        self.line = QWidget(parent)
        self.line.setObjectName("replayLine")
        self.status = QLabel(self.line)
        self.status.setObjectName("replayStatus")
        self.status.setWordWrap(True)
        self.stop_button = QPushButton(self.line)
        self.stop_button.setObjectName("replayStop")
        self.stop_button.setProperty("compact", True)
        self.stop_button.clicked.connect(self.stop)
        row = QHBoxLayout(self.line)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.status, 1)
        row.addWidget(self.stop_button)
        self.line.hide()
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._follow)
        self.retranslate()

    # ----- menus ------------------------------------------------------------------------------

    def _fill_button_menu(self) -> None:
        self.fill_menu(self.button.menu(), self.world.selected)

    def fill_menu(self, menu: QMenu, group: str | None) -> QMenu:
        """Put the replay choices for ``group`` in ``menu`` (a disabled line when there is no group)."""
        menu.clear()
        if group is None:
            menu.addAction(self.tr("Select a talk group first")).setEnabled(False)
            return menu
        heading = menu.addAction(self.tr("Replay %1").replace("%1", group_name(self.world, group)))
        heading.setEnabled(False)
        for seconds in REPLAY_CHOICES:
            action = menu.addAction(self.tr("Last %1 seconds").replace("%1", str(seconds)))
            action.setObjectName(f"replay{seconds}")
            action.triggered.connect(lambda _checked=False, s=seconds: self.replay(group, s))
        if self.playing is not None:
            menu.addSeparator()
            menu.addAction(self.tr("Stop the replay")).triggered.connect(self.stop)
        return menu

    def menu_for(self, group: str, parent: QWidget) -> QMenu:
        """The context menu of a monitored group's row."""
        return self.fill_menu(QMenu(parent), group)

    def show_menu_for(self, group: str, where: QPoint, parent: QWidget) -> None:
        menu = self.menu_for(group, parent)
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(where)

    # ----- replay -----------------------------------------------------------------------------

    def replay(self, group: str, seconds: float) -> None:
        """Play the last ``seconds`` of ``group`` under the live audio."""
        self.playing = (group, seconds)
        self._show(self.tr("Looking for the last %1 s of %2…").replace("%1", f"{seconds:g}")
                   .replace("%2", group_name(self.world, group)))
        self.runner.run(self.tr("Replay"), self.desk.replay(group, seconds),
                        done=lambda result: self._started(group, result))

    def _started(self, group: str, replay: Any) -> None:
        name = group_name(self.world, group)
        if replay is None or not replay.seconds:
            self.playing = None
            self._show(self.tr("Nothing recorded in %1 yet").replace("%1", name), stoppable=False)
            QTimer.singleShot(4000, self, self._hide_if_idle)
            return
        when = replay.segments[0].started_ms if replay.segments else None
        self._status_text = self.tr("Replaying %1: %2 s").replace("%1", name).replace("%2", f"{replay.seconds:.1f}")
        if when is not None:
            since = datetime.fromtimestamp(when / 1000).strftime("%H:%M:%S")
            self._status_text += " " + self.tr("(from %1)").replace("%1", since)
        if replay.unreadable:
            self._status_text += " — " + self.tr("%1 recordings could not be read").replace(
                "%1", str(len(replay.unreadable)))
        self._follow()
        self._poll.start()

    def stop(self) -> None:
        """Stop what plays (the live audio goes on)."""
        self.desk.stop_playback()
        self.playing = None
        self._poll.stop()
        self.line.hide()

    def _follow(self) -> None:
        left = float(self.desk.playback_left)
        if left <= 0:
            self.playing = None
            self._poll.stop()
            self.line.hide()
            return
        self._show(self._status_text + " · " + self.tr("%1 s left").replace("%1", f"{left:.0f}"))

    def _hide_if_idle(self) -> None:
        if self.playing is None:
            self.line.hide()

    def _show(self, text: str, *, stoppable: bool = True) -> None:
        self.status.setText(text)
        self.stop_button.setVisible(stoppable)
        self.line.show()

    # ----- language ---------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.button.setText(self.tr("Replay"))
        self.button.setToolTip(self.tr("Play the last seconds of the talk group under the live audio "
                                       "(right-click a group for any other)"))
        self.stop_button.setText(self.tr("Stop"))
