"""The video wall's bookkeeping: which tile shows which media session of which terminal, at which quality.

No I/O: `DeskMedia` (media_desk.py) asks the wall where a new feed goes, tells it what the platform and the
media engine report, and carries out what the wall decides (a quality switch, a stop). Up to 30 tiles; grid
tiles take the thumbnail stream, the one focused tile takes HD, a hidden tile receives nothing at all (its
session is stopped, its source remembered so that showing it again pulls the feed anew).

A tile's health comes from two places: the engine's per-session stats (frames, rate, size) and the frame
wall's sequence numbers, read every few hundred milliseconds, which tell when the tile last got a picture.
A live feed with no new picture for more than `FROZEN_AFTER` seconds is flagged frozen. A feed whose session failed
(the platform gave up setting it up, or its media failed), or whose media has not come up `VIDEO_SETUP_TIMEOUT`
seconds after it was requested (`overdue`), keeps its tile, marked ``failed`` with the reason, until the dispatcher
closes it or tries again (SPEC §5.14.1).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from media.commands import SessionStats

logger = logging.getLogger(__name__)

__all__ = ["FROZEN_AFTER", "TILES", "VideoTile", "VideoWall", "WallFull"]

Quality = Literal["thumb", "hd"]

#: tiles on the wall (the platform's design figure: 30 concurrent HD trunking video calls)
TILES = 30
#: seconds without a new picture after which a live feed counts as frozen
FROZEN_AFTER = 1.0


class WallFull(ValueError):
    """Every tile shows (or keeps hidden) a feed already."""


@dataclass
class VideoTile:
    """One tile: the feed it shows (or showed, while hidden) and how that feed is doing."""

    index: int
    #: the terminal whose camera the tile shows (a camera terminal, or the radio itself)
    source: str
    #: the terminal asked for it (a train radio, when ``source`` is one of its on-board cameras)
    asked: str
    quality: Quality = "thumb"
    #: the media session now feeding the tile (None while hidden, or before the platform named it)
    session: str | None = None
    #: the session's state on the platform (requested, negotiating, live) or ``hidden``
    state: str = "requested"
    #: the engine's state of its media (new, connecting, connected, failed, closed)
    media_state: str = "new"
    hidden: bool = False
    focused: bool = False
    frames: int = 0
    fps: float = 0.0
    width: int = 0
    height: int = 0
    #: seconds since the tile's last picture (None before the first)
    last_frame_age: float | None = None
    frozen: bool = False
    #: the wall's sequence number of the tile when last looked at, and the monotonic time it last changed
    seq: int = 0
    last_change: float | None = None
    #: monotonic time the feed's media connected (a feed that never shows a picture freezes from then)
    connected_at: float | None = None
    #: monotonic time the tile's session was named (its media is due `VIDEO_SETUP_TIMEOUT` seconds on)
    requested_at: float | None = None
    #: why the tile's feed failed (state ``failed``): it keeps its place, saying so
    failed: str = ""

    @property
    def showing(self) -> bool:
        """Whether the tile has a picture at all (a frame since its session opened)."""
        return self.last_change is not None


class VideoWall:
    """Tiles by index (see the module docstring)."""

    def __init__(self, tiles: int = TILES) -> None:
        self.size = tiles
        self.tiles: dict[int, VideoTile] = {}
        self.focused: int | None = None

    # ----- placing feeds ------------------------------------------------------------------------

    def free_tile(self) -> int | None:
        """The first tile showing nothing (hidden tiles are kept for their feed)."""
        return next((i for i in range(self.size) if i not in self.tiles), None)

    def place(self, source: str, quality: Quality = "thumb", tile: int | None = None, *,
              asked: str | None = None) -> VideoTile:
        """Reserve a tile for a feed of ``source`` about to be pulled: ``tile`` (free, or hidden, which shows again),
        else the first free one. `WallFull` when none is left."""
        if tile is None:
            tile = self.free_tile()
            if tile is None:
                raise WallFull(f"all {self.size} tiles are in use")
        elif not 0 <= tile < self.size:
            raise ValueError(f"tile {tile} is not on the wall (0..{self.size - 1})")
        existing = self.tiles.get(tile)
        if existing is not None and not existing.hidden and existing.state != "failed":
            raise ValueError(f"tile {tile} already shows {existing.source}")
        placed = VideoTile(tile, source, asked or source, quality, focused=self.focused == tile)
        if placed.focused:
            placed.quality = "hd"
        self.tiles[tile] = placed
        logger.info("tile %d: %s (%s) reserved", tile, source, placed.quality)
        return placed

    def attach(self, tile: int, session: str, now: float | None = None) -> VideoTile:
        """The platform named the session feeding ``tile`` (at monotonic time ``now``: its media is due by
        `VIDEO_SETUP_TIMEOUT` seconds on)."""
        placed = self.tiles[tile]
        placed.session = session
        placed.hidden = False
        placed.requested_at = now
        return placed

    def by_session(self, session: str) -> VideoTile | None:
        return next((t for t in self.tiles.values() if t.session == session), None)

    def by_source(self, source: str) -> list[VideoTile]:
        return [t for t in self.tiles.values() if t.source == source]

    def release(self, tile: int) -> VideoTile | None:
        """Empty a tile (its feed ended, or could not be set up); a focused tile loses its focus."""
        gone = self.tiles.pop(tile, None)
        if self.focused == tile:
            self.focused = None
        return gone

    def session_ended(self, session: str, state: str, reason: str = "") -> VideoTile | None:
        """The tile's session stopped or failed: a hidden tile keeps its place, a failed one too (saying why: `fail`),
        any other one is emptied."""
        placed = self.by_session(session)
        if placed is None:
            return None
        placed.session = None
        if placed.hidden:
            return placed
        if state == "failed":
            return self.fail(placed.index, reason or "failed")
        logger.info("tile %d: %s %s", placed.index, placed.source, state)
        return self.release(placed.index)

    def fail(self, tile: int, reason: str) -> VideoTile:
        """The tile's feed failed: it keeps its place (and its focus), shows no picture and says ``reason``."""
        placed = self.tiles[tile]
        logger.warning("tile %d: %s failed: %s", placed.index, placed.source, reason)
        placed.session = None
        placed.state, placed.failed, placed.media_state = "failed", reason, "failed"
        placed.frames, placed.fps, placed.last_frame_age, placed.frozen = 0, 0.0, None, False
        placed.last_change = placed.connected_at = placed.requested_at = None
        return placed

    def renegotiated(self, session: str, now: float) -> VideoTile | None:
        """The tile's session got a new peer connection (the SFU came back, or the platform's active instance changed):
        what it showed so far says nothing of the new one, whose media is due `VIDEO_SETUP_TIMEOUT` seconds on."""
        placed = self.by_session(session)
        if placed is None:
            return None
        placed.media_state = "new"
        placed.frames, placed.fps, placed.last_frame_age, placed.frozen = 0, 0.0, None, False
        placed.last_change = placed.connected_at = None
        placed.requested_at = now
        return placed

    def overdue(self, now: float, bound: float) -> list[VideoTile]:
        """Tiles whose session's media has not come up (connected) ``bound`` seconds after it was requested."""
        return [t for t in self.tiles.values() if t.session is not None and not t.hidden and t.connected_at is None
                and t.requested_at is not None and now - t.requested_at > bound]

    # ----- what the dispatcher does -------------------------------------------------------------

    def focus(self, tile: int | None) -> list[VideoTile]:
        """Focus ``tile`` (None: no tile): the tiles whose quality changes, the one going down to thumbnail first."""
        if tile is not None and (tile not in self.tiles or self.tiles[tile].hidden):
            raise ValueError(f"tile {tile} shows nothing to focus")
        changed: list[VideoTile] = []
        previous = self.tiles.get(self.focused) if self.focused is not None else None
        if previous is not None and previous.index != tile:
            previous.focused = False
            if previous.quality != "thumb":
                previous.quality = "thumb"
                changed.append(previous)
        self.focused = tile
        if tile is not None:
            placed = self.tiles[tile]
            placed.focused = True
            if placed.quality != "hd":
                placed.quality = "hd"
                changed.append(placed)
        return changed

    def hide(self, tile: int, *, keep_session: bool = False) -> str | None:
        """Hide a tile: its feed is to stop (the session returned, if any); the tile keeps its source. With
        ``keep_session`` (the SFU plane) the session stays, paused, and showing the tile resumes it (`unhide`)."""
        placed = self.tiles.get(tile)
        if placed is None:
            raise ValueError(f"tile {tile} shows nothing to hide")
        if self.focused == tile:
            self.focused = None
            placed.focused = False
            placed.quality = "thumb"
        session = placed.session
        if not keep_session:
            placed.session = None
        placed.hidden = True
        placed.state = "hidden"
        if not keep_session:
            placed.media_state = "new"
        placed.frames, placed.fps, placed.last_frame_age, placed.frozen = 0, 0.0, None, False
        placed.last_change = placed.connected_at = None
        return session

    def unhide(self, tile: int, now: float) -> VideoTile:
        """Show a tile hidden with its session kept (paused): the same session resumes (frozen again if it does not
        bring a picture within `FROZEN_AFTER`)."""
        placed = self.tiles[tile]
        placed.hidden = False
        placed.state = "live"
        if placed.media_state == "connected":
            placed.connected_at = now
        return placed

    def restart(self, tile: int) -> VideoTile:
        """The platform's active instance changed: the tile's feed is set up again (same place, source, quality and
        focus); until its new session runs the tile is ``restoring`` and shows nothing."""
        placed = self.tiles[tile]
        placed.session = None
        placed.state = "restoring"
        placed.media_state = "new"
        placed.frames, placed.fps, placed.last_frame_age, placed.frozen = 0, 0.0, None, False
        placed.last_change = placed.connected_at = None
        return placed

    # ----- what the platform and the engine report ----------------------------------------------

    def session_state(self, session: str, state: str, quality: Quality) -> None:
        placed = self.by_session(session)
        if placed is not None:
            placed.state = "hidden" if placed.hidden else state
            placed.quality = quality

    def media_state(self, session: str, state: str, now: float) -> None:
        placed = self.by_session(session)
        if placed is None:
            return
        placed.media_state = state
        if state == "connected" and placed.connected_at is None:
            placed.connected_at = now

    def observe(self, tile: int, seq: int, has_picture: bool, now: float) -> None:
        """The frame wall's sequence number of ``tile`` now, and whether it holds a picture: a new sequence number
        with a picture means a new frame (emptying a tile changes the number too, but leaves no picture)."""
        placed = self.tiles.get(tile)
        if placed is None or placed.session is None or placed.hidden:
            return  # a hidden tile kept paused (SFU plane) is expected to get nothing
        if seq != placed.seq:
            placed.seq = seq
            if has_picture:
                placed.last_change = now
        since = placed.last_change if placed.last_change is not None else placed.connected_at
        placed.last_frame_age = None if placed.last_change is None else now - placed.last_change
        # once its media has connected, a live feed is frozen when pictures stop, whatever the media state says
        # now: a peer connection closed from the far end while the platform still calls the session live is the
        # case a dispatcher most needs to see
        placed.frozen = placed.connected_at is not None and since is not None and now - since > FROZEN_AFTER

    def take_stats(self, stats: SessionStats) -> None:
        """The engine's receive stats of a tile's session."""
        placed = self.by_session(stats.session)
        if placed is None or stats.video is None:
            return
        video = stats.video
        placed.frames, placed.fps = video.frames, video.fps
        placed.width, placed.height = video.width, video.height

    @property
    def frozen(self) -> list[VideoTile]:
        """Live feeds without a new picture for more than `FROZEN_AFTER` seconds."""
        return [t for t in self.tiles.values() if t.frozen]
