"""The desk's central actions: one application-wide `QAction` per entry of the shortcut table.

Panes and the shell connect to ``actions.action(name).triggered`` or to `DeskActions.triggered` (which carries
the name); they never register keys of their own, so the keyboard stays in one table the user can change.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from console.ui.shortcuts import SHORTCUTS, key_of, label_of

logger = logging.getLogger(__name__)


class DeskActions(QObject):
    """QActions for the non-hold shortcuts, keyed by name; emits ``triggered(name)`` for any of them."""

    triggered = Signal(str)

    def __init__(self, settings: QSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._actions: dict[str, QAction] = {}
        for shortcut in SHORTCUTS:
            if shortcut.hold:
                continue
            action = QAction(self)
            action.setObjectName(f"action_{shortcut.name}")
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            action.triggered.connect(lambda _checked=False, name=shortcut.name: self.triggered.emit(name))
            self._actions[shortcut.name] = action
        self.reload()
        self.retranslate()

    def action(self, name: str) -> QAction:
        return self._actions[name]

    def names(self) -> list[str]:
        return list(self._actions)

    def attach(self, widget: QWidget) -> None:
        """Make the shortcuts work while ``widget``'s window is active (the main window)."""
        widget.addActions(list(self._actions.values()))

    def reload(self) -> None:
        """Re-read the keys (after the user changed one)."""
        for name, action in self._actions.items():
            action.setShortcut(key_of(name, self._settings))

    def retranslate(self) -> None:
        for name, action in self._actions.items():
            action.setText(label_of(name))
