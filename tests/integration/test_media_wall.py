"""The video wall end to end: simulated cameras send stamped clips over real WebRTC, through the real platform's
SDP relay, to the desk's media engine; every tile shows its own terminal's pictures, focus brings HD, hiding stops.
"""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from console.core.desk import CommandFailed
from console.core.video_wall import FROZEN_AFTER
from media.stamp import read_frame_stamp
from testbed.line import Line
from testbed.platform.server import PlatformServer
from tests.integration.media_support import (  # noqa: F401 (fixtures)
    MakeDesk,
    StartFleet,
    cpu_share,
    feed_settings_fixture,
    media_clips_fixture,
    media_desk_fixture,
    start_fleet_fixture,
    until,
)
from tests.integration.wall_scene import frame_size, shown_terminal

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.mark.slow
async def test_thirty_feeds_reach_the_wall_each_tile_showing_its_own_terminal(
        sample_line: Line, start_fleet: StartFleet, media_desk: MakeDesk, platform: PlatformServer) -> None:
    cameras = [t.id for t in sample_line.terminals.values() if t.kind == "camera"][:30]
    fleet = await start_fleet(*cameras)
    # the fleet encodes its clips before it is asked (about 0.15 s each here), so the wall's bound is about media
    await asyncio.gather(*(fleet.terminal(c).feeds.prepare("thumb") for c in cameras))
    desk = await media_desk(workers=2)
    assert desk.media is not None

    began = time.monotonic()
    sessions = await asyncio.gather(*(desk.pull_video(camera) for camera in cameras))
    assert len(set(sessions)) == 30
    await until(lambda: all(shown_terminal(desk, fleet, i) is not None for i in range(30)), 20.0,
                "a stamped picture on every tile")
    took = time.monotonic() - began
    for index, camera in enumerate(cameras):
        tile = desk.media.wall.tiles[index]
        assert (tile.source, tile.session) == (camera, sessions[index])
        assert shown_terminal(desk, fleet, index) == camera, f"tile {index} shows another terminal"
        assert frame_size(desk, index) == (320, 180)
    assert set(platform.state.video.sessions) == set(sessions)
    assert all(platform.state.video.sessions[s].state == "live" for s in sessions)

    engine = desk.media.engine
    assert engine is not None and len(engine.worker_pids) == 2
    workers = await cpu_share(engine.worker_pids, 4.0)
    ours = await cpu_share([os.getpid()], 2.0)
    # every tile keeps getting pictures, none is frozen, the engine counts them at the clips' rate
    await until(lambda: all(t.fps > 15 for t in desk.media.wall.tiles.values()), 5.0, "every tile's frame rate")
    assert not desk.media.wall.frozen
    assert all(t.last_frame_age is not None and t.last_frame_age < FROZEN_AFTER for t in desk.media.wall.tiles.values())
    print(f"\n30 x 180p: every tile showing {took:.1f} s after the pulls (engine start included); media workers use "
          + ", ".join(f"{share:.0%}" for share in workers.values())
          + f" of a core; the test process (platform, 30 terminals sending) {ours[os.getpid()]:.0%}")


async def test_focusing_a_tile_brings_it_to_hd_and_hiding_a_tile_stops_its_feed(
        start_fleet: StartFleet, media_desk: MakeDesk, platform: PlatformServer) -> None:
    cameras = ["CAM-S01-1", "CAM-S02-1", "CAM-1901-1"]
    fleet = await start_fleet(*cameras)
    desk = await media_desk(workers=1)
    assert desk.media is not None
    wall = desk.media.wall
    sessions = [await desk.pull_video(camera) for camera in cameras]
    await until(lambda: all(shown_terminal(desk, fleet, i) == cameras[i] for i in range(3)), 15.0, "three feeds")

    # focus: the tile switches to HD (the terminal encodes its HD clip on first need) without renegotiation
    await desk.media.focus(0)
    assert platform.state.video.sessions[sessions[0]].quality == "hd"
    await until(lambda: frame_size(desk, 0) == (1280, 720), 15.0, "tile 0 in HD")
    assert shown_terminal(desk, fleet, 0) == cameras[0]
    assert frame_size(desk, 1) == (320, 180)
    # focusing another tile takes the first one back to a thumbnail
    await desk.media.focus(1)
    await until(lambda: frame_size(desk, 1) == (1280, 720) and frame_size(desk, 0) == (320, 180), 15.0,
                "tile 1 in HD and tile 0 back to a thumbnail")
    assert (wall.tiles[0].quality, wall.tiles[1].quality, wall.focused) == ("thumb", "hd", 1)
    assert platform.state.video.sessions[sessions[0]].quality == "thumb"

    # hiding a tile stops its session on the platform and its pictures here
    sender = fleet.terminal(cameras[2]).feeds.sender(sessions[2])
    assert sender is not None
    await desk.media.hide(2)
    assert sessions[2] not in platform.state.video.sessions
    await until(lambda: sessions[2] not in desk.world.video and not fleet.terminal(cameras[2]).feeds.feeds, 5.0,
                "the stop announced to the desk and the camera")
    frames = desk.media.engine.wall if desk.media.engine is not None else None
    assert frames is not None
    await until(lambda: not frames.has_picture(2), 3.0, "the hidden tile emptied")
    seq = frames.seq(2)
    await asyncio.sleep(0.5)
    assert frames.seq(2) == seq and not frames.has_picture(2), "no picture after the tile was hidden"
    assert sessions[2] not in desk.media.engine.sessions
    assert sender.connection_state == "closed"
    assert wall.tiles[2].hidden and wall.tiles[2].session is None
    # the other feeds are untouched, and showing the tile again pulls a new session into the same tile
    assert shown_terminal(desk, fleet, 0) == cameras[0]
    again = await desk.media.show(2)
    assert again not in sessions
    await until(lambda: shown_terminal(desk, fleet, 2) == cameras[2], 10.0, "tile 2 shown again")
    assert wall.tiles[2].session == again and not wall.tiles[2].hidden


async def test_a_feed_that_stops_coming_is_flagged_frozen_and_a_lost_camera_empties_its_tile(
        start_fleet: StartFleet, media_desk: MakeDesk, platform: PlatformServer) -> None:
    fleet = await start_fleet("CAM-S03-1", "CAM-S03-2")
    desk = await media_desk(workers=1, tiles=1)
    assert desk.media is not None
    session = await desk.pull_video("CAM-S03-1")
    # a wall with no free tile refuses a pull before asking the platform
    with pytest.raises(CommandFailed) as refused:
        await desk.pull_video("CAM-S03-2")
    assert refused.value.code == 409 and len(platform.state.video.sessions) == 1
    await until(lambda: desk.media is not None and desk.media.wall.tiles[0].showing, 10.0, "the first picture")
    assert not desk.media.wall.tiles[0].frozen
    # the camera's sender stops sending pictures (its link to the platform stays up)
    sender = fleet.terminal("CAM-S03-1").feeds.sender(session)
    assert sender is not None and sender.video is not None
    sender.video.stop()
    await until(lambda: desk.media is not None and desk.media.wall.tiles[0].frozen, 5.0, "the frozen flag")
    # the camera's link drops: the platform ends the session, the tile empties
    await fleet.terminal("CAM-S03-1").drop_link()
    await until(lambda: desk.media is not None and 0 not in desk.media.wall.tiles, 10.0, "the tile emptied")


async def test_a_feed_pushed_to_terminals_reaches_their_screens(
        start_fleet: StartFleet, media_desk: MakeDesk, platform: PlatformServer) -> None:
    fleet = await start_fleet("CAM-S04-1", "HS-001", "HS-002")
    desk = await media_desk(workers=1)
    watched = await desk.pull_video("CAM-S04-1")
    pushed = await desk.push_video(watched, to=["HS-001", "HS-002"])
    assert len(pushed) == 2 and watched not in pushed
    assert {platform.state.video.sessions[s].sink for s in pushed} == {"HS-001", "HS-002"}
    camera = fleet.media_numbers["CAM-S04-1"]

    def screen_shows_camera(handset: str) -> bool:
        views = fleet.terminal(handset).feeds.views.values()
        viewers = [v.viewer for v in views if v.viewer is not None and v.viewer.last is not None]
        return any((read_frame_stamp(v.last) or (0, 0))[0] == camera for v in viewers if v.last is not None)

    await until(lambda: screen_shows_camera("HS-001") and screen_shows_camera("HS-002"), 10.0,
                "the camera's pictures on both handsets")
    assert all(platform.state.video.sessions[s].state == "live" for s in pushed)
    # the camera sends three feeds now: the desk's and one per handset
    assert len(fleet.terminal("CAM-S04-1").feeds.feeds) == 3
    await desk.stop_video(pushed[0])
    await until(lambda: len(fleet.terminal("CAM-S04-1").feeds.feeds) == 2, 5.0, "the stopped push closed")
