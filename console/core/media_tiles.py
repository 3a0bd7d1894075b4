"""Tiles whose feed never comes up (SPEC.md §5.14.1): said so on the wall, and tried again on the dispatcher's word.

A mixin of `DeskMedia` (media_desk.py), in both media planes. The platform fails a session that is not live
`VIDEO_SETUP_TIMEOUT` seconds after it was requested, and the desk does the same for what the platform cannot see:
a session the platform calls live whose media (ICE, DTLS) has not connected by then. Either way the tile keeps its
place, marked failed with the reason (`VideoWall.fail`), instead of going blank or vanishing, until the dispatcher
closes it or tries again (`retry`). While the platform's SFU is down an SFU-plane tile waits for its return.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from console.core.video_wall import Quality, VideoWall
from console.core.world import World, media_plane_down
from protocols.constants import VIDEO_SETUP_TIMEOUT

if TYPE_CHECKING:
    from collections.abc import Awaitable

logger = logging.getLogger(__name__)

__all__ = ["TileSetup"]


class TileSetup:
    """`retry` a failed tile; `_fail_overdue` each picture tick (see the module docstring)."""

    wall: VideoWall
    world: World
    _sessions: dict[str, Any]

    async def pull_video(self, source: str, quality: Quality = "thumb", *, camera: str | None = None,
                         tile: int | None = None) -> str:
        raise NotImplementedError  # DeskMedia's

    async def _stop(self, session: str, command: str, *, quiet: bool = False, record: bool = True) -> None:
        raise NotImplementedError  # DeskMedia's

    def _spawn(self, coroutine: Awaitable[Any], name: str) -> None:
        raise NotImplementedError  # DeskMedia's

    async def retry(self, tile: int) -> str:
        """Pull a failed tile's feed again, onto the same tile (its quality kept); the new session's id."""
        placed = self.wall.tiles.get(tile)
        if placed is None or placed.state != "failed":
            raise ValueError(f"tile {tile} has not failed")
        camera = placed.source if placed.asked != placed.source else None
        return await self.pull_video(placed.asked, placed.quality, camera=camera, tile=tile)

    def _fail_overdue(self, now: float) -> None:
        """A tile whose media has not come up `VIDEO_SETUP_TIMEOUT` seconds after its session was requested says so,
        and its session is stopped; an SFU-plane one waits while the media plane is down."""
        for tile in self.wall.overdue(now, VIDEO_SETUP_TIMEOUT):
            session = tile.session
            found = self._sessions.get(session) if session is not None else None
            if session is None or found is None:
                continue
            if found.plane == "sfu" and media_plane_down(self.world) is not None:
                tile.requested_at = now  # the media plane's return negotiates it afresh: its time starts then
                continue
            self.wall.fail(tile.index, f"no media within {VIDEO_SETUP_TIMEOUT:g} s")
            self._spawn(self._stop(session, "stop_video", quiet=True), f"desk-media-overdue-{session}")
