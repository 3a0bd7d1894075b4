"""The status bar: both platform instances, the dispatcher, split-brain and media-plane warnings, and the time.

It redraws on the bridge's ``linkChanged`` and ``sessionChanged`` and once a second (heartbeat ages grow
without any change being reported).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from console.core.views import InstanceLink
from console.core.world import media_plane_down
from console.ui.bridge import DeskBridge
from console.ui.clock import ClockLabel
from console.ui.instance_badge import InstanceBadge
from console.ui.roles import role_name

logger = logging.getLogger(__name__)

#: how long a protocol problem stays in the message area, ms
PROBLEM_TIMEOUT_MS = 8000


def split_brain(links: dict[str, InstanceLink]) -> list[str]:
    """The instances that both claim the active role over links that are up (empty when all is well)."""
    active = sorted(name for name, link in links.items() if link.role == "active" and link.state == "up")
    return active if len(active) > 1 else []


class DeskStatusBar(QStatusBar):
    """Platform instances A and B (role, epoch, link, heartbeat), the dispatcher, split brain, the clock."""

    def __init__(self, world: Any, bridge: DeskBridge | None = None, *, instances: tuple[str, ...] = ("A", "B"),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deskStatusBar")
        self.setSizeGripEnabled(False)
        self.world = world
        self.badges: dict[str, InstanceBadge] = {}
        self.split_brain_label = QLabel(self)
        self.split_brain_label.setObjectName("splitBrainWarning")
        self.split_brain_label.hide()
        #: the platform's SFU is unreachable (its "media plane down" alarm): video and voice through it stopped
        self.media_plane_label = QLabel(self)
        self.media_plane_label.setObjectName("mediaPlaneWarning")
        self.media_plane_label.hide()
        self.dispatcher_label = QLabel(self)
        self.dispatcher_label.setObjectName("dispatcherLabel")
        self.clock = ClockLabel(self)
        #: shown (as connecting) until the desk knows its instances
        self.expected = instances
        for name in instances:
            self._badge(name)
        self.addPermanentWidget(self.split_brain_label)
        self.addPermanentWidget(self.media_plane_label)
        self.addPermanentWidget(self.dispatcher_label)
        self.addPermanentWidget(self.clock)
        self._split: list[str] = []
        if bridge is not None:
            bridge.linkChanged.connect(self._on_link)
            bridge.sessionChanged.connect(self.refresh)
            bridge.protocolProblem.connect(self._on_problem)
            bridge.alarmChanged.connect(lambda _alarm: self._show_media_plane())
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self.refresh)
        self._ticker.start()
        self.refresh()

    def _badge(self, name: str) -> InstanceBadge:
        badge = self.badges.get(name)
        if badge is None:
            badge = InstanceBadge(name, self)
            self.badges[name] = badge
            # instances stay in name order, left of the warning, the dispatcher and the clock
            self.insertPermanentWidget(sorted(self.badges).index(name), badge)
        return badge

    def _drop_badge(self, name: str) -> None:
        badge = self.badges.pop(name)
        self.removeWidget(badge)
        badge.deleteLater()

    def _sync_badges(self) -> None:
        """One badge per instance the world knows (named by URL until it names itself), else the expected ones."""
        links: dict[str, InstanceLink] = dict(self.world.links)
        names = sorted(links) or list(self.expected)
        for name in [n for n in self.badges if n not in names]:
            self._drop_badge(name)
        for name in names:
            self._badge(name).show_link(links.get(name) or InstanceLink(name))

    def _on_link(self, _instance: str) -> None:
        self._sync_badges()
        self._show_split_brain()

    def _on_problem(self, text: str) -> None:
        self.showMessage(self.tr("Platform problem: %1").replace("%1", text), PROBLEM_TIMEOUT_MS)

    def refresh(self) -> None:
        """Redraw every instance and the dispatcher from the world."""
        self._sync_badges()
        self._show_split_brain()
        self._show_media_plane()
        self._show_dispatcher()

    def _show_media_plane(self) -> None:
        if media_plane_down(self.world) is None:
            self.media_plane_label.hide()
            return
        self.media_plane_label.setText(self.tr("Media plane down: video and voice through the SFU stopped; "
                                               "the platform is reconnecting"))
        self.media_plane_label.show()

    def _show_split_brain(self) -> None:
        self._split = split_brain(dict(self.world.links))
        if self._split:
            epochs = ", ".join(f"{n} ({self.world.links[n].epoch})" for n in self._split)
            text = self.tr("Split brain: %1 both claim active; the desk obeys the highest epoch")
            self.split_brain_label.setText(text.replace("%1", epochs))
            if self.split_brain_label.isHidden():
                logger.warning("split brain: %s claim active", epochs)
            self.split_brain_label.show()
        else:
            self.split_brain_label.hide()

    def _show_dispatcher(self) -> None:
        me = self.world.me
        if not me:
            self.dispatcher_label.setText(self.tr("not signed in"))
            return
        role = role_name(self.world.dispatcher_role)
        self.dispatcher_label.setText(f"{me} · {role}" if role else me)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._show_split_brain()
            self._show_media_plane()
            self._show_dispatcher()
        super().changeEvent(event)
