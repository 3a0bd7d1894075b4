"""The desk's media after its session to the one platform instance was lost and came back, with no epoch change
(issue 6): the platform ends a lost party's media sessions (video feeds and voice links) at once, and the desk,
offline then, never hears of it. The desk sets its wall and voice links up again as after a failover
(console/core/media_restore.py): same tiles, qualities and focus, hidden tiles stay hidden, the talker is heard
again, and no orphan peer connection is left in the media worker.

A real platform, a `TcpProxy` (testbed/netfault.py) between the desk and the platform that the test cuts and
restores, simulated cameras and a handset connected straight to the platform, real WebRTC on loopback.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from console.core.desk import Desk
from console.core.layout import layout_from_line
from console.core.media_desk import MediaOptions
from testbed.line import Line
from testbed.netfault import TcpProxy
from testbed.platform.server import PlatformServer
from tests.integration.media_support import (  # noqa: F401 (fixtures)
    LOOPBACK,
    StartFleet,
    feed_settings_fixture,
    media_clips_fixture,
    start_fleet_fixture,
    until,
)
from tests.integration.wall_scene import CAMERAS, TALKER, frame_size, set_up_wall, wall_layout

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(120)]

#: from the link's return to pictures on every shown tile again: the desk's reconnection (backoff up to 2 s), the
#: pulls and WebRTC set-up on a loaded 2-core machine
BACK_WITHIN = 15.0


@pytest.fixture
async def proxy(platform: PlatformServer) -> AsyncIterator[TcpProxy]:
    host, port = platform.url.removeprefix("ws://").rsplit(":", 1)
    proxy = TcpProxy(host, int(port), name="desk-platform")
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()


def platform_sessions_of(platform: PlatformServer, sink: str) -> set[str]:
    return {s.id for s in platform.state.video.sessions.values() if s.sink == sink}


async def test_after_the_desks_session_is_lost_and_back_the_wall_shows_its_cameras_again(
        platform: PlatformServer, proxy: TcpProxy, start_fleet: StartFleet, sample_line: Line,
        tmp_path: Path) -> None:
    fleet = await start_fleet(*CAMERAS, TALKER)
    await asyncio.gather(*(fleet.terminal(c).feeds.prepare("thumb", "hd") for c in CAMERAS))
    desk = Desk(tmp_path / "events.db", layout=layout_from_line(sample_line),
                media=MediaOptions(allowed_addresses=LOOPBACK, workers=1))
    try:
        await desk.connect(proxy.url, "chief", "demo")
        assert desk.media is not None and desk.link is not None
        media = desk.media
        assert await desk.wait_until(lambda: len(desk.world.terminals) == len(sample_line.terminals))
        epoch = desk.link.epoch

        # the wall: three feeds, tile 1 focused (HD), tile 2 hidden
        scene = await set_up_wall(desk, fleet)
        before, voice_before = scene.before, scene.voice_before
        assert platform_sessions_of(platform, "chief") == {*before[:2], voice_before}

        # the desk's session is lost: the platform ends its sessions; the desk does not hear of it
        proxy.cut()
        await until(lambda: desk.link is not None and desk.link.serving is None, 5.0, "the desk offline")
        await until(lambda: not platform_sessions_of(platform, "chief"), 5.0, "the platform ending the sessions")
        await asyncio.sleep(0.5)  # a few refused reconnection attempts
        proxy.restore()

        took = await until(scene.restored, BACK_WITHIN, "tiles 0 and 1 with their own cameras' pictures again")
        assert desk.link.epoch == epoch  # no failover: the same instance, the same era
        # the wall is as the dispatcher left it; the hidden tile is still hidden and receives nothing
        assert wall_layout(desk) == scene.wall_before
        assert media.wall.tiles[2].session is None and media.read_tile(2) is None
        assert frame_size(desk, 0) == (320, 180)

        # the talker is heard again, on a new voice link
        voice_after = await scene.talker_heard_again("the talker heard again")
        assert voice_before not in desk.world.voice_links

        # no orphan: the engine (and its worker) run exactly the wall's sessions and the voice link, as the platform
        engine = media.engine
        assert engine is not None
        shown = {media.wall.tiles[0].session, media.wall.tiles[1].session}
        assert set(engine.sessions) == {*shown, voice_after}
        assert set(await engine.stats()) == {*shown, voice_after}
        assert platform_sessions_of(platform, "chief") == {*shown, voice_after}
        # the lost sessions are gone from the desk's world too (the platform could not tell it they stopped)
        await until(lambda: not set(before) & set(desk.world.video), 5.0, "the lost sessions out of the world")
        assert set(desk.world.video) == shown

        await until(lambda: bool(media.restorations) and media.restorations[-1].finished is not None, 5.0, "done")
        restoration = media.restorations[-1]
        assert restoration.cause == "reattached" and restoration.epoch == epoch
        assert sorted(restoration.tiles) == [0, 1] and restoration.lost == {}
        assert set(restoration.restored.values()) == shown
        events = desk.log.search(kind="media_restored")
        assert len(events) == 1 and events[0].summary["cause"] == "reattached" and events[0].summary["restored"] == 2
        assert (await scene.burst).outcome == "granted"
        print(f"wall back {took:.2f} s after the desk's link came back; restoring took "
              f"{restoration.summary()['seconds']} s")
    finally:
        await desk.close()
