"""The whole desk against the real testbed for end-to-end pane tests: the reference platform on loopback, simulated
terminals of the sample line, a core `Desk` signed in as ``chief`` and the Qt `DeskSession` with its window shown.

Use inside ``run_async`` (the qasync loop of the test's QApplication)::

    async with live_desk(tmp_path, languages, settings, "HS-001") as live:
        await live.fleet.terminal("HS-001").emergency()
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from console.core.desk import Desk
from console.core.layout import layout_from_line
from console.headless.plans import attach_plans
from console.ui.i18n import Languages
from console.ui.main_window import DeskWindow
from console.ui.session import DeskSession
from testbed.line import Line, default_line_path, load_line
from testbed.platform.server import PlatformServer
from testbed.terminals import Fleet
from tests.ui.conftest import until

PASSWORD = "demo"
_LINE: Line | None = None


def sample_line() -> Line:
    global _LINE  # noqa: PLW0603 - parsed once per test session
    if _LINE is None:
        _LINE = load_line(default_line_path())
    return _LINE


@dataclass
class LiveDesk:
    """The running pieces of one end-to-end test."""

    platform: PlatformServer
    desk: Desk
    session: DeskSession
    fleet: Fleet
    line: Line

    @property
    def window(self) -> DeskWindow:
        return self.session.window

    @property
    def world(self) -> Any:
        return self.desk.world

    def pane(self, name: str) -> QWidget:
        return self.window.pane(name)

    def platform_call(self, call_id: str) -> Any:
        """The platform's own record of a call (None once it ended)."""
        return self.platform.state.calls.calls.get(call_id)

    async def select(self, group: str) -> None:
        """Make ``group`` the talk group (through the core, not a pane) and wait until the desk shows it."""
        await self.desk.select(group)
        await until(lambda: self.world.selected == group)


@contextlib.asynccontextmanager
async def live_desk(tmp_path: Path, languages: Languages, settings: QSettings, *terminals: str,
                    install_ptt: bool = False, media: Any = None, plans: bool | Path = False,
                    feeds: Any = None, **fleet_options: Any) -> AsyncIterator[LiveDesk]:
    """Platform, desk, window and the simulated ``terminals`` (ids or kinds), torn down in reverse order. With
    ``media`` (`MediaOptions`) the desk receives media too (``feeds``, `FeedSettings`: the terminals' media); with
    ``plans`` it proposes emergency plans (True: resources/plans, or a folder of plan files)."""
    line = sample_line()
    app = QCoreApplication.instance()
    assert isinstance(app, QGuiApplication)
    quit_on_close = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)  # closing the window must not stop the loop the test runs on
    platform = PlatformServer(line, host="127.0.0.1", port=0)
    await platform.start()
    desk = Desk(tmp_path / "events.sqlite", layout=layout_from_line(line), media=media)
    if plans:
        attach_plans(desk, line, None if plans is True else plans)
    session = DeskSession(desk, languages, user="chief", settings=settings, install_ptt=install_ptt)
    window = session.window
    fleet: Fleet | None = None
    try:
        window.resize(1600, 1000)
        window.show()
        await desk.connect(platform.url, "chief", PASSWORD)
        await until(lambda: len(desk.world.terminals) == len(line.terminals))
        await session.start()
        if feeds is not None:
            fleet_options["media"] = feeds
        fleet = Fleet(line, platform.url, rate=0, include=terminals, **fleet_options)
        await fleet.start()
        yield LiveDesk(platform, desk, session, fleet, line)
    finally:
        await session.close()
        window.close()
        if fleet is not None:
            with contextlib.suppress(Exception):
                await fleet.stop()
        await desk.close()
        await platform.stop()
        window.deleteLater()
        QCoreApplication.processEvents()
        app.setQuitOnLastWindowClosed(quit_on_close)
