"""The status bar says so, in red, while the platform's media plane (its SFU) is down, and stops saying it after."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from console.core.world import MEDIA_PLANE_DOWN, World
from console.ui.bridge import DeskBridge
from console.ui.status_bar import DeskStatusBar
from protocols import messages as wire


def _alarm(state: str) -> wire.AlarmUpdate:
    return wire.AlarmUpdate(alarm=wire.AlarmInfo(id="AL-1", source="equipment", origin="sfu", severity="critical",
                                                 code=MEDIA_PLANE_DOWN, text="media plane down: connection closed",
                                                 state=state))  # type: ignore[arg-type]


def test_the_media_plane_warning_shows_while_the_platforms_alarm_is_raised(qtbot: QtBot) -> None:
    world = World()
    bridge = DeskBridge(world, interval_ms=10)
    bar = DeskStatusBar(world, bridge)
    qtbot.addWidget(bar)
    bar.show()
    assert bar.media_plane_label.isHidden()

    world.apply(_alarm("raised"))
    bridge.flush()
    qtbot.waitUntil(bar.media_plane_label.isVisible, timeout=2000)
    assert bar.media_plane_label.text().startswith("Media plane down")
    assert bar.media_plane_label.objectName() == "mediaPlaneWarning"

    world.apply(_alarm("acknowledged"))  # acknowledged is still down
    bridge.flush()
    assert bar.media_plane_label.isVisible()

    world.apply(_alarm("cleared"))
    bridge.flush()
    qtbot.waitUntil(bar.media_plane_label.isHidden, timeout=2000)
    bridge.close()
