"""The wall's health from the engine: each tile's newest picture, and the sessions' stats once a second.

A mixin of `DeskMedia` (media_desk.py), kept apart to keep that file to the sessions themselves. While the engine
runs, the picture loop reads the shared wall's sequence numbers every `PICTURE_TICK` seconds (cheap: no worker
command) so that `VideoWall` can tell a live tile from a frozen one, marks tiles whose feed never came up
(`TileSetup._fail_overdue`, media_tiles.py), and every `STATS_EVERY` seconds asks the engine for the sessions' stats,
for the tiles and for `on_stats` (the desk's quality monitor). A listener's bug is logged, never stops the pictures.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from console.core.video_wall import VideoWall
from media.commands import SessionStats
from media.engine import MediaEngine, MediaWorkerError

logger = logging.getLogger(__name__)

__all__ = ["PICTURE_TICK", "STATS_EVERY", "PictureWatch"]

#: seconds between two looks at the tiles' sequence numbers; the engine's stats are read every `STATS_EVERY`
PICTURE_TICK = 0.25
STATS_EVERY = 1.0


class PictureWatch:
    """The picture loop (see the module docstring)."""

    wall: VideoWall
    #: hears every session's stats once a second (the desk's quality monitor)
    on_stats: Callable[[dict[str, SessionStats]], None] | None

    def _fail_overdue(self, now: float) -> None:
        raise NotImplementedError  # TileSetup's

    async def _picture_loop(self, engine: MediaEngine) -> None:
        """Follow the tiles' pictures (sequence numbers) and, each second, the engine's stats."""
        last_stats = 0.0
        while True:
            await asyncio.sleep(PICTURE_TICK)
            wall = engine.wall
            if wall is None:
                return
            now = time.monotonic()
            for tile in list(self.wall.tiles.values()):
                if tile.session is not None:
                    self.wall.observe(tile.index, wall.seq(tile.index), wall.has_picture(tile.index), now)
            self._fail_overdue(now)
            if now - last_stats >= STATS_EVERY:
                last_stats = now
                try:
                    stats = await engine.stats()
                except (MediaWorkerError, TimeoutError) as exc:
                    logger.warning("media stats not read: %s", exc)
                    continue
                for entry in stats.values():
                    self.wall.take_stats(entry)
                if self.on_stats is not None:
                    try:
                        self.on_stats(stats)
                    except Exception:  # a bug of the listener must not stop the pictures
                        logger.exception("media stats listener failed")
