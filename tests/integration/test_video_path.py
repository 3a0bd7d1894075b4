"""The video receive path end to end (media/fast_video.py under aiortc's handshake): stamped clips over real WebRTC
through the real platform; every picture a tile shows is whole and in order (its stamp readable, the frame numbers
only moving forward), and a feed losing packets on the way is repaired by retransmission, counted, and carries on."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from media.stamp import read_frame_stamp
from testbed.platform.server import PlatformServer
from tests.integration.media_support import (  # noqa: F401 (fixtures)
    MakeDesk,
    StartFleet,
    feed_settings_fixture,
    media_clips_fixture,
    media_desk_fixture,
    start_fleet_fixture,
    until,
)
from tests.integration.wall_scene import shown_terminal

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

CAMERAS = ["CAM-S01-1", "CAM-S02-1", "CAM-S03-1", "CAM-S04-1", "CAM-S05-1", "CAM-S06-1"]


async def watch_stamps(desk: object, tiles: int, seconds: float) -> dict[int, list[tuple[int, int] | None]]:
    """Every new picture of each tile for ``seconds`` (polled at 200 Hz): its stamp, None if unreadable."""
    media = desk.media  # type: ignore[attr-defined]
    seen: dict[int, list[tuple[int, int] | None]] = {tile: [] for tile in range(tiles)}
    last = [-1] * tiles
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for tile in range(tiles):
            frame = media.read_tile(tile, last[tile])
            if frame is not None:
                last[tile] = frame.seq
                seen[tile].append(read_frame_stamp(frame.luma()))
        await asyncio.sleep(0.005)
    return seen


def backwards(numbers: list[int]) -> list[tuple[int, int]]:
    """Steps where the frame number went back, other than the clip's loop (back to its first frames)."""
    return [(a, b) for a, b in itertools.pairwise(numbers) if b <= a and not (a >= 40 and b < 3)]


#: both implementations of the per-packet work (media/fast_video.py): the compiled one is the default
PATHS = pytest.mark.parametrize("video_path", ["compiled", "python"])


@PATHS
async def test_every_picture_on_the_wall_is_whole_and_in_order(
        start_fleet: StartFleet, media_desk: MakeDesk, platform: PlatformServer, video_path: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    if video_path == "python":
        monkeypatch.setenv("TRUNKDESK_VIDEO_PATH", "python")  # read by the worker processes the desk starts
    else:
        monkeypatch.delenv("TRUNKDESK_VIDEO_PATH", raising=False)
    fleet = await start_fleet(*CAMERAS)
    await asyncio.gather(*(fleet.terminal(c).feeds.prepare("thumb") for c in CAMERAS))
    desk = await media_desk(workers=1)
    assert desk.media is not None
    sessions = [await desk.pull_video(camera) for camera in CAMERAS]
    await until(lambda: all(shown_terminal(desk, fleet, i) == CAMERAS[i] for i in range(len(CAMERAS))), 20.0,
                "every tile showing its camera")
    assert desk.media.engine is not None
    stats = await desk.media.engine.stats()
    assert {stats[s].video.video_path for s in sessions if stats[s].video is not None} == {video_path}

    seen = await watch_stamps(desk, len(CAMERAS), 4.0)
    for tile, stamps in seen.items():
        assert len(stamps) > 40, f"tile {tile}: {len(stamps)} pictures in 4 s"
        assert None not in stamps, f"tile {tile}: a picture without a readable stamp (a broken frame)"
        sources = {s[0] for s in stamps if s is not None}
        assert sources == {fleet.media_numbers[CAMERAS[tile]]}, f"tile {tile} showed {sources}"
        numbers = [s[1] for s in stamps if s is not None]
        assert not backwards(numbers), f"tile {tile} went back: {backwards(numbers)[:5]}"


@PATHS
async def test_a_feed_losing_packets_is_repaired_by_retransmission_and_shows_only_whole_pictures(
        start_fleet: StartFleet, media_desk: MakeDesk, platform: PlatformServer, video_path: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    if video_path == "python":
        monkeypatch.setenv("TRUNKDESK_VIDEO_PATH", "python")
    else:
        monkeypatch.delenv("TRUNKDESK_VIDEO_PATH", raising=False)
    camera = CAMERAS[0]
    fleet = await start_fleet(camera)
    desk = await media_desk(workers=1)
    assert desk.media is not None
    session = await desk.pull_video(camera)
    await until(lambda: shown_terminal(desk, fleet, 0) == camera, 20.0, "the camera on tile 0")
    engine = desk.media.engine
    assert engine is not None

    fleet.terminal(camera).feeds.set_rtp_loss(0.1)  # a tenth of its RTP packets never reach the wire
    sender = fleet.terminal(camera).feeds.sender(session)
    assert sender is not None
    seen = (await watch_stamps(desk, 1, 5.0))[0]
    stats = (await engine.stats(session))[session].video
    assert stats is not None
    assert sender.rtp_dropped > 10, "the sender did drop packets"
    assert stats.packets_nacked > 0, "the losses were asked again"
    assert None not in seen, "a picture without a readable stamp: a broken frame reached the tile"
    numbers = [s[1] for s in seen if s is not None]
    assert not backwards(numbers), backwards(numbers)[:5]
    assert len(seen) > 60, f"{len(seen)} pictures in 5 s: retransmission should repair most of the loss"
    assert stats.decode_errors == 0
    assert stats.video_path == video_path
    assert stats.packets_received > 100 and stats.jitter_ms >= 0, "aiortc's statistics are fed from our path"
