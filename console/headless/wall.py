"""Expectations about the video wall: a tile shows pictures from a terminal (or a train's cameras), so many
tiles show pictures. They read the desk core's `VideoWall` (console/core/video_wall.py), whose tiles the desk's
media engine keeps up to date; a session without media cannot look and says so (`MediaUnavailable`)."""

from __future__ import annotations

import logging

from console.core.video_wall import VideoTile
from console.headless.checks import DEFAULT_WITHIN, Check, MediaUnavailable, Observation, Scene

logger = logging.getLogger(__name__)

#: tiles named one by one in what a wall check saw
_NAMED = 6


#: the least picture height of an HD feed, and the most of a thumbnail (the wall's streams: 1280x720, 320x180)
HD_HEIGHT = 720
THUMB_HEIGHT = 360
#: a tile whose last picture is older than this (seconds) does not count as getting pictures (its feed stopped)
STALE_AFTER = 3.0


def _tile_words(tile: VideoTile) -> str:
    picture = f"{tile.frames} frames {tile.width}x{tile.height}" if tile.showing else "no picture"
    if tile.failed:
        picture += f": {tile.failed}"
    return f"tile {tile.index} {tile.source} ({tile.quality}, {tile.state}/{tile.media_state}, {picture})"


def _received_at(tile: VideoTile, quality: str | None) -> bool:
    """The tile gets pictures (its last one less than `STALE_AFTER` seconds ago), of the size of ``quality`` when
    given (what arrives, not what was asked)."""
    if not (tile.showing and tile.frames > 0) or (tile.last_frame_age or 0.0) > STALE_AFTER:
        return False
    if quality == "hd":
        return tile.quality == "hd" and tile.height >= HD_HEIGHT
    if quality == "thumb":
        return tile.quality == "thumb" and 0 < tile.height <= THUMB_HEIGHT
    return True


class WallChecks:
    """What the desk's video wall shows."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene

    def _tiles(self) -> list[VideoTile]:
        media = self.scene.desk.media
        if media is None:
            raise MediaUnavailable("requires media: the session runs without media (Session.embedded(media=True))")
        return sorted(media.wall.tiles.values(), key=lambda t: t.index)

    def _seen(self, tiles: list[VideoTile]) -> str:
        if not tiles:
            return "the wall is empty"
        words = [_tile_words(t) for t in tiles[:_NAMED]]
        return "; ".join(words) + (f" and {len(tiles) - _NAMED} more tiles" if len(tiles) > _NAMED else "")

    def frames(self, source: str | None = None, train: str | None = None, quality: str | None = None, *,
               within: float = DEFAULT_WITHIN) -> Check:
        """A tile shows pictures from ``source`` (a terminal or camera), or from any camera of ``train`` (of the
        size of ``quality`` when given: 720 lines for HD, at most 360 for a thumbnail)."""
        wanted: set[str] = set()
        if source is not None:
            wanted.add(source)
        if train is not None:
            plan = self.scene.line.trains[train]
            wanted |= {plan.radio, *plan.cameras}

        async def observe() -> Observation:
            tiles = self._tiles()
            mine = [t for t in tiles if not wanted or t.source in wanted or t.asked in wanted]
            held = any(_received_at(t, quality) for t in mine)
            return Observation(held, self._seen(mine or tiles))
        what = f"train {train}" if train is not None else source or "any source"
        return Check(f"a tile shows frames from {what}{f' in {quality}' if quality else ''}", observe,
                     frozenset({"media"}), within)

    def tiles(self, count: int, quality: str | None = None, *, within: float = DEFAULT_WITHIN) -> Check:
        """At least ``count`` tiles show pictures (at ``quality`` when given)."""
        async def observe() -> Observation:
            tiles = self._tiles()
            showing = [t for t in tiles if _received_at(t, quality)]
            dark = [t for t in tiles if t not in showing]
            seen = f"{len(showing)} of {len(tiles)} tiles show pictures"
            return Observation(len(showing) >= count, seen + (f"; not: {self._seen(dark)}" if dark else ""))
        return Check(f"{count} tiles show pictures{f' in {quality}' if quality else ''}", observe,
                     frozenset({"media"}), within)


__all__ = ["WallChecks"]
