"""What the banner and the emergencies pane both do with an alert or alarm: take the emergency call, show where it
is, and say in one line what it is."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit, QPlainTextEdit, QTextEdit

from console.ui.bridge import DeskBridge
from console.ui.command_runner import CommandRunner
from console.ui.vocabulary import home_of

logger = logging.getLogger(__name__)

#: which pane shows a terminal of each kind
PANE_OF_KIND = {"train": "vehicles", "handset": "handsets", "recorder": "handsets", "station": "stations",
                "camera": "stations"}


def take_call(world: Any, desk: Any, commands: Any, runner: CommandRunner, alert: Any) -> bool:
    """Make the alert's group the talk group and bring PTT forward, so that Space talks into the emergency call.

    False when the alert names no group."""
    group = alert.group
    if group is None:
        return False
    logger.info("taking emergency call of alert %s in group %s", alert.id, group)
    if group != world.selected:
        runner.run(QCoreApplication.translate("EmergencyActions", "Take emergency call"), desk.select(group))
    focus = QApplication.focusWidget()
    if isinstance(focus, QLineEdit | QTextEdit | QPlainTextEdit | QAbstractSpinBox):
        focus.clearFocus()  # Space must talk, not type
    if commands is not None:
        commands.paneWanted.emit("groups")
    return True


def show_location(world: Any, bridge: DeskBridge, commands: Any, *, terminal: str | None = None,
                  location: Any = None, origin: str | None = None) -> bool:
    """Ask the panes that show terminals and stations to select and reveal where an alert or alarm is.

    ``origin`` is an alarm's origin: a terminal id or a place code. False when nothing can be shown."""
    if terminal is None and origin is not None and origin in world.terminals:
        terminal = origin
    station = location.station if location is not None and location.station else None
    if station is None and origin is not None and world.layout.place(origin) is not None:
        station = origin
    if station is None and terminal is not None:
        station = home_of(world, terminal)
    info = world.terminals.get(terminal) if terminal is not None else None
    if info is None and station is None:
        return False
    if info is not None:
        bridge.selectTerminal.emit(info.id)
    if station is not None:
        bridge.selectStation.emit(station)
    if commands is not None:
        commands.paneWanted.emit(PANE_OF_KIND.get(info.kind, "stations") if info is not None else "stations")
    return True


__all__ = ["PANE_OF_KIND", "show_location", "take_call"]
