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
from media.audio import tone_level
from media.sources import tone_frequency
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
from tests.integration.test_media_failover import frame_size, shown_terminal

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(120)]

CAMERAS = ["CAM-S01-1", "CAM-S02-1", "CAM-S03-1"]
TALKER = "HS-001"
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
        before = [await desk.pull_video(camera) for camera in CAMERAS]
        await until(lambda: all(shown_terminal(desk, fleet, i) == c for i, c in enumerate(CAMERAS)), 20.0,
                    "each camera on its tile")
        await media.focus(1)
        await until(lambda: frame_size(desk, 1) == (1280, 720), 15.0, "tile 1 in HD")
        await media.hide(2)
        await desk.monitor(["TG-S01"])
        tone = tone_frequency(fleet.media_numbers[TALKER])
        burst = asyncio.create_task(fleet.terminal(TALKER).talk(20.0, "TG-S01"))

        def hears_talker() -> bool:
            return tone_level(media.voice.mixer.output.last(0.4), tone) > 0.5

        await until(hears_talker, 10.0, "the talker at the desk")
        voice_before = media.voice.links[TALKER].session
        wall_before = {i: (t.source, t.quality, t.focused, t.hidden) for i, t in media.wall.tiles.items()}
        assert wall_before == {0: (CAMERAS[0], "thumb", False, False), 1: (CAMERAS[1], "hd", True, False),
                               2: (CAMERAS[2], "thumb", False, True)}
        assert platform_sessions_of(platform, "chief") == {*before[:2], voice_before}

        # the desk's session is lost: the platform ends its sessions; the desk does not hear of it
        proxy.cut()
        await until(lambda: desk.link is not None and desk.link.serving is None, 5.0, "the desk offline")
        await until(lambda: not platform_sessions_of(platform, "chief"), 5.0, "the platform ending the sessions")
        await asyncio.sleep(0.5)  # a few refused reconnection attempts
        proxy.restore()

        def restored() -> bool:
            tiles = media.wall.tiles
            return (all(tiles[i].session not in (None, before[i]) and tiles[i].showing for i in (0, 1))
                    and shown_terminal(desk, fleet, 0) == CAMERAS[0] and shown_terminal(desk, fleet, 1) == CAMERAS[1]
                    and frame_size(desk, 1) == (1280, 720))

        took = await until(restored, BACK_WITHIN, "tiles 0 and 1 with their own cameras' pictures again")
        assert desk.link.epoch == epoch  # no failover: the same instance, the same era
        # the wall is as the dispatcher left it; the hidden tile is still hidden and receives nothing
        assert {i: (t.source, t.quality, t.focused, t.hidden) for i, t in media.wall.tiles.items()} == wall_before
        assert media.wall.tiles[2].session is None and media.read_tile(2) is None
        assert frame_size(desk, 0) == (320, 180)

        # the talker is heard again, on a new voice link
        await until(lambda: media.voice.links.get(TALKER) is not None
                    and media.voice.links[TALKER].session not in (None, voice_before) and hears_talker(), 10.0,
                    "the talker heard again")
        voice_after = media.voice.links[TALKER].session
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
        assert (await burst).outcome == "granted"
        print(f"wall back {took:.2f} s after the desk's link came back; restoring took "
              f"{restoration.summary()['seconds']} s")
    finally:
        await desk.close()
