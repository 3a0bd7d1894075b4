""""Push to…" on the video wall: choose terminals, or one group, whose screens get a tile's feed.

The dialog only gathers the choice (``choice()``); the wall pane gives the command (`Desk.push_video`) when it is
accepted, through its command-status line, and the desk's event log records it. The platform opens one media
session per receiving terminal from the feed's source (SPEC.md §5.14, ``video.push``): the desk sends nothing
itself, so pushing costs the desk no uplink.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTabWidget, QVBoxLayout, QWidget

from console.ui.pickers import Picker, group_choices, terminal_choices

__all__ = ["SCREEN_KINDS", "PushFeedDialog"]

#: terminals with a screen that can show a pushed feed
SCREEN_KINDS = ("train", "station", "handset", "recorder")


class PushFeedDialog(QDialog):
    """Terminals (several, checked) or one group to push the feed of ``source`` to; OK only once chosen."""

    def __init__(self, world: Any, source: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pushFeedDialog")
        self.resize(520, 620)
        self.source = source
        self.title = title
        self.heading = QLabel(self)
        self.heading.setObjectName("dialogHeading")
        self.heading.setWordWrap(True)
        self.terminals = Picker(lambda: [c for c in terminal_choices(world, SCREEN_KINDS) if c.id != source],
                                multi=True, parent=self)
        self.terminals.setObjectName("pushTerminalPicker")
        self.groups = Picker(lambda: group_choices(world), parent=self)
        self.groups.setObjectName("pushGroupPicker")
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("pushTargetTabs")
        self.tabs.addTab(self.terminals, "")
        self.tabs.addTab(self.groups, "")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for picker in (self.terminals, self.groups):
            picker.chosenChanged.connect(self.update_ok)
        self.tabs.currentChanged.connect(lambda _index: self.update_ok())
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.buttons)
        self.retranslate()
        self.update_ok()

    def to_group(self) -> bool:
        """Whether the dispatcher is choosing a group (the second tab) rather than terminals."""
        return self.tabs.currentWidget() is self.groups

    def complete(self) -> bool:
        return bool((self.groups if self.to_group() else self.terminals).chosen())

    def update_ok(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setEnabled(self.complete())

    def accept(self) -> None:
        if self.complete():
            super().accept()

    def choice(self) -> tuple[list[str], str | None]:
        """(terminal ids, group id): the checked terminals, or one group."""
        if self.to_group():
            chosen = self.groups.chosen()
            return [], chosen[0] if chosen else None
        return self.terminals.chosen(), None

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Push a video feed"))
        self.heading.setText(self.tr("Show the feed of %1 on the screens of:").replace("%1", self.title))
        self.tabs.setTabText(0, self.tr("Terminals"))
        self.tabs.setTabText(1, self.tr("A group"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
