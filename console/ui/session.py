"""One signed-in desk in Qt: the bridge, the actions and PTT keys, the shell's commands and the window, wired.

`DeskSession` also keeps the dispatcher's monitored groups across restarts: after signing in it re-monitors
the groups of the last session (QSettings ``affiliations/<user>``), or every group the role allows on the
first sign-in, and selects the last selected group (else the first).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QSettings
from PySide6.QtGui import QGuiApplication

from console.core.desk import CommandFailed
from console.ui.actions import DeskActions
from console.ui.bridge import DeskBridge
from console.ui.desk_commands import DeskCommands
from console.ui.i18n import Languages
from console.ui.main_window import DeskWindow
from console.ui.panes import PaneContext, load_builtin
from console.ui.ptt_keys import PttKeys
from console.ui.shortcuts import BY_NAME, label_of

logger = logging.getLogger(__name__)

#: how long a refused command stays in the status bar, ms
FAILURE_TIMEOUT_MS = 8000


class DeskSession(QObject):
    """The Qt side of one `Desk`: build it before connecting, `start` after, `close` at the end."""

    def __init__(self, desk: Any, languages: Languages, *, user: str = "", settings: QSettings | None = None,
                 install_ptt: bool = True) -> None:
        super().__init__()
        self.desk = desk
        self.user = user
        self.settings = settings or QSettings()
        self.bridge = DeskBridge(desk.world, parent=self)
        self.actions = DeskActions(self.settings, parent=self)
        self.ptt = PttKeys(self.settings, parent=self)
        if install_ptt:
            self.ptt.install()
        self.commands = DeskCommands(desk, self.actions, self.ptt, parent=self)
        load_builtin()
        context = PaneContext(bridge=self.bridge, world=desk.world, desk=desk, actions=self.actions,
                              commands=self.commands)
        self.window = DeskWindow(context, languages, self.settings)
        # the window owns the session from here: the actions, bridge and commands live exactly as long as it
        self.setParent(self.window)
        self.commands.commandFailed.connect(self._on_failed)
        self.commands.paneWanted.connect(self.window.raise_pane)
        self.bridge.affiliationChanged.connect(self._remember_affiliations)

    def _on_failed(self, command: str, reason: str) -> None:
        what = label_of(command) if command in BY_NAME else command
        text = QCoreApplication.translate("Desk", "%1 failed: %2").replace("%1", what).replace("%2", reason)
        self.window.status.showMessage(text, FAILURE_TIMEOUT_MS)

    def _key(self) -> str:
        return f"affiliations/{self.user or self.desk.world.me or 'default'}"

    def _remember_affiliations(self) -> None:
        world = self.desk.world
        self.settings.setValue(f"{self._key()}/groups", list(world.affiliations))
        self.settings.setValue(f"{self._key()}/selected", world.selected or "")

    async def start(self) -> None:
        """After signing in: monitor the remembered (or all allowed) groups and select one."""
        world = self.desk.world
        allowed = list(world.allowed_groups)
        stored = self.settings.value(f"{self._key()}/groups")
        remembered = [str(g) for g in stored] if isinstance(stored, list) else []
        groups = [g for g in remembered if g in allowed] or allowed
        if not groups:
            return
        selected = str(self.settings.value(f"{self._key()}/selected") or "")
        try:
            await self.desk.monitor(groups)
            await self.desk.select(selected if selected in groups else groups[0])
        except (CommandFailed, ConnectionError, TimeoutError) as exc:
            logger.warning("could not monitor %s: %s", ", ".join(groups), exc)
            self._on_failed("monitor", str(exc))

    def detach(self) -> None:
        """Let go of PTT, stop taking keys and stop listening to the world (commands in flight run on)."""
        self.ptt.release_all()
        app = QGuiApplication.instance()
        if app is not None:
            app.removeEventFilter(self.ptt)
        self.bridge.close()

    async def close(self) -> None:
        """`detach`, then wait for the commands still running (a PTT release among them)."""
        self.detach()
        with contextlib.suppress(Exception):
            await self.commands.wait_idle()
