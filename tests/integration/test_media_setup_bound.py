"""A feed whose media never comes up (SPEC.md §5.14.1, `VIDEO_SETUP_TIMEOUT`), in the direct media plane: after the
bound the session is failed and its tile stays on the wall saying so; the dispatcher can pull it again there.

Two ways a feed never comes up, each with real sockets, the real platform and the desk's real media engine: a camera
that registers but never answers the desk's offer (the platform fails the session: it is never live), and a camera
that answers and vanishes at once (the platform calls it live, but ICE never connects: the desk fails it). The SFU
plane's case is in tests/integration/test_janus_talk.py.
"""

from __future__ import annotations

import time

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription

from media import ice
from protocols.constants import VIDEO_SETUP_TIMEOUT
from protocols.messages import MediaAnswer, MediaOffer
from testbed.platform.server import PlatformServer
from tests.integration.conftest import Connect
from tests.integration.media_support import (  # noqa: F401 (fixtures)
    MakeDesk,
    media_desk_fixture,
    until,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

CAMERA = "CAM-S01-1"


async def test_a_camera_that_never_answers_fails_after_the_bound_and_its_tile_says_so(
        connect: Connect, media_desk: MakeDesk, platform: PlatformServer) -> None:
    await connect(CAMERA)  # registered, deaf to media
    desk = await media_desk(workers=1)
    assert desk.media is not None
    began = time.monotonic()
    await desk.pull_video(CAMERA)
    tile = desk.media.wall.tiles[0]
    await until(lambda: tile.state == "failed", VIDEO_SETUP_TIMEOUT + 5.0, "the tile failed")
    took = time.monotonic() - began
    assert VIDEO_SETUP_TIMEOUT - 0.5 < took < VIDEO_SETUP_TIMEOUT + 3.0, took
    assert tile.failed == f"not set up within {VIDEO_SETUP_TIMEOUT:g} s"
    assert desk.media.wall.tiles.get(0) is tile and tile.session is None, "the tile keeps its place, empty"
    assert platform.state.video.sessions == {}, "the platform forgot the session"
    # the engine closes the session's peer connection in its worker right after the tile fails (a command away)
    await until(lambda: not desk.media.engine or not desk.media.engine.sessions, 5.0, "the desk closed what it opened")

    # tried again on the same tile: a new session there
    session = await desk.media.retry(0)
    assert desk.media.wall.tiles[0].session == session and desk.media.wall.tiles[0].state != "failed"


async def test_a_camera_that_answers_and_vanishes_is_failed_by_the_desk_after_the_bound(
        connect: Connect, media_desk: MakeDesk, platform: PlatformServer) -> None:
    camera = await connect(CAMERA)
    desk = await media_desk(workers=1)
    assert desk.media is not None
    began = time.monotonic()
    await desk.pull_video(CAMERA)
    offer = await camera.expect(MediaOffer, timeout=10.0)
    ice.restrict_host_addresses(["127.0.0.1"])
    try:  # a complete answer from a peer connection that is closed at once: nobody answers ICE checks
        pc = RTCPeerConnection(ice.ice_configuration())
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        camera.notify(MediaAnswer(session=offer.session, sdp=pc.localDescription.sdp))
        await pc.close()
    finally:
        ice.lift_host_restriction()
    await until(lambda: platform.state.video.sessions.get(offer.session) is not None
                and platform.state.video.sessions[offer.session].state == "live", 5.0, "the platform calls it live")
    tile = desk.media.wall.tiles[0]
    await until(lambda: tile.state == "failed", VIDEO_SETUP_TIMEOUT + 5.0, "the tile failed")
    took = time.monotonic() - began
    assert VIDEO_SETUP_TIMEOUT - 0.5 < took < VIDEO_SETUP_TIMEOUT + 3.0, took
    assert tile.failed in (f"no media within {VIDEO_SETUP_TIMEOUT:g} s", "media failed"), tile.failed
    await until(lambda: offer.session not in platform.state.video.sessions, 5.0, "the desk stopped the session")
