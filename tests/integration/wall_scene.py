"""What the desk's video wall shows, read from its real frames, and the wall-and-voice scene the media restoration
tests (test_media_failover.py, test_media_reattach.py) set up before they break the desk's link: three feeds, tile 1
focused in HD, tile 2 hidden, a handset talking in a monitored group.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from console.core.desk import Desk
from media.audio import tone_level
from media.sources import tone_frequency
from media.stamp import read_frame_stamp
from testbed.terminals import Fleet
from tests.integration.media_support import until

CAMERAS = ["CAM-S01-1", "CAM-S02-1", "CAM-S03-1"]
TALKER = "HS-001"
#: the talker's group, monitored by the desk
TALK_GROUP = "TG-S01"


def shown_terminal(desk: Desk, fleet: Fleet, tile: int) -> str | None:
    """The terminal whose stamp the tile's newest picture carries."""
    assert desk.media is not None
    frame = desk.media.read_tile(tile)
    stamp = read_frame_stamp(frame.luma()) if frame is not None else None
    by_number = {number: terminal for terminal, number in fleet.media_numbers.items()}
    return by_number.get(stamp[0]) if stamp is not None else None


def frame_size(desk: Desk, tile: int) -> tuple[int, int] | None:
    assert desk.media is not None
    frame = desk.media.read_tile(tile)
    return None if frame is None else (frame.width, frame.height)


def wall_layout(desk: Desk) -> dict[int, tuple[str, str, bool, bool]]:
    """Each tile's source, quality, focus and hidden flag: what the dispatcher arranged."""
    assert desk.media is not None
    return {i: (t.source, t.quality, t.focused, t.hidden) for i, t in desk.media.wall.tiles.items()}


@dataclass
class WallScene:
    """The scene as it was set up: the feeds' first sessions, the talker's voice link, the wall's layout."""

    desk: Desk
    fleet: Fleet
    #: the video sessions first pulled, per tile
    before: list[str]
    voice_before: str
    wall_before: dict[int, tuple[str, str, bool, bool]]
    #: the talker's burst (its outcome: granted)
    burst: asyncio.Task[Any]
    tone: float

    def hears_talker(self) -> bool:
        assert self.desk.media is not None
        return tone_level(self.desk.media.voice.mixer.output.last(0.4), self.tone) > 0.5

    def restored(self) -> bool:
        """Tiles 0 and 1 fed by new sessions again, each with its own camera's pictures, tile 1 in HD."""
        assert self.desk.media is not None
        tiles = self.desk.media.wall.tiles
        return (all(tiles[i].session not in (None, self.before[i]) and tiles[i].showing for i in (0, 1))
                and shown_terminal(self.desk, self.fleet, 0) == CAMERAS[0]
                and shown_terminal(self.desk, self.fleet, 1) == CAMERAS[1]
                and frame_size(self.desk, 1) == (1280, 720))

    async def talker_heard_again(self, what: str) -> str:
        """Wait until the talker is heard on a new voice link; that link's session."""
        media = self.desk.media
        assert media is not None
        await until(lambda: media.voice.links.get(TALKER) is not None
                    and media.voice.links[TALKER].session not in (None, self.voice_before) and self.hears_talker(),
                    10.0, what)
        session = media.voice.links[TALKER].session
        assert session is not None
        return session


async def set_up_wall(desk: Desk, fleet: Fleet) -> WallScene:
    """Pull the three cameras, focus tile 1, hide tile 2, monitor the talker's group and start its burst; returns
    once the desk hears the talker, having checked the wall's layout."""
    media = desk.media
    assert media is not None
    before = [await desk.pull_video(camera) for camera in CAMERAS]
    await until(lambda: all(shown_terminal(desk, fleet, i) == c for i, c in enumerate(CAMERAS)), 20.0,
                "each camera on its tile")
    await media.focus(1)
    await until(lambda: frame_size(desk, 1) == (1280, 720), 15.0, "tile 1 in HD")
    await media.hide(2)
    await desk.monitor([TALK_GROUP])
    tone = tone_frequency(fleet.media_numbers[TALKER])
    burst = asyncio.create_task(fleet.terminal(TALKER).talk(20.0, TALK_GROUP))
    scene = WallScene(desk, fleet, before, "", {}, burst, tone)
    await until(scene.hears_talker, 10.0, "the talker at the desk")
    voice = media.voice.links[TALKER].session
    assert voice is not None
    scene.voice_before = voice
    scene.wall_before = wall_layout(desk)
    assert scene.wall_before == {0: (CAMERAS[0], "thumb", False, False), 1: (CAMERAS[1], "hd", True, False),
                                 2: (CAMERAS[2], "thumb", False, True)}
    return scene


__all__ = ["CAMERAS", "TALKER", "TALK_GROUP", "WallScene", "frame_size", "set_up_wall", "shown_terminal",
           "wall_layout"]
