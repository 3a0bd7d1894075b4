"""The desk's side of the SFU media plane (SPEC.md §5.14.9): answering the SFU, pausing hidden tiles.

A mixin of `DeskMedia` (media_desk.py), kept apart to keep that file to the sessions themselves. In the SFU plane
(`video.session` with ``plane: "sfu"``) the platform's SFU offers to the desk, which answers through its engine
(`MediaEngine.answer_session`) instead of offering; a later offer for the same session (the SFU restarted, or the
platform's active instance changed) replaces the peer connection on the same tile. A hidden tile keeps its session,
paused with `video.pause`, so showing it again is immediate. While the platform's "media plane down" alarm is
raised, a session whose media failed is kept for the SFU's return instead of being stopped.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from console.core.video_wall import VideoWall
from console.core.world import World, media_plane_down
from media.engine import MediaEngine, MediaWorkerError
from protocols import messages as wire

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

__all__ = ["SfuSink"]


class SfuSink:
    """Answering the SFU's offers, pausing and resuming hidden tiles (see the module docstring)."""

    wall: VideoWall
    world: World
    _sessions: dict[str, Any]
    _run: Callable[..., Awaitable[wire.Ok]]

    async def start(self) -> MediaEngine:
        raise NotImplementedError  # DeskMedia's

    async def _stop(self, session: str, command: str, *, quiet: bool = False, record: bool = True) -> None:
        raise NotImplementedError  # DeskMedia's

    async def _free_engine_tile(self, engine: MediaEngine, tile: int) -> None:
        raise NotImplementedError  # DeskMedia's

    def _send(self, message: wire.Notification) -> None:
        raise NotImplementedError  # DeskMedia's

    async def _answer(self, found: Any, sdp: str) -> None:
        """Answer the SFU's offer for a session of ours; a new offer replaces the peer connection, same tile."""
        async with found.answering:
            if found.closed:
                return
            try:
                engine = await self.start()
                if found.opened:
                    found.opened = False
                    with contextlib.suppress(MediaWorkerError, TimeoutError):
                        await engine.close_session(found.session)
                    self.wall.renegotiated(found.session, time.monotonic())  # the new connection's pictures count
                if found.tile is not None:
                    await self._free_engine_tile(engine, found.tile)
                answer = await engine.answer_session(found.session, sdp, tile=found.tile,
                                                     video=found.kind == "video", quality=found.quality)
            except (MediaWorkerError, ValueError, RuntimeError, TimeoutError) as exc:
                logger.warning("session %s from %s: cannot receive: %s", found.session, found.source, exc)
                if not found.closed:
                    await self._stop(found.session, "stop_video", quiet=True)
                return
            found.opened = True
            if found.closed:
                await engine.close_session(found.session)
                return
            self._send(wire.MediaAnswer(session=found.session, sdp=answer))
            logger.info("session %s from %s: answered the SFU (%s)", found.session, found.source, found.kind)

    async def _pause_tile(self, tile: int) -> bool:
        """Hide a tile of the SFU plane: its session stays, paused. False: not an SFU tile (stop it instead)."""
        placed = self.wall.tiles.get(tile)
        found = self._sessions.get(placed.session) if placed is not None and placed.session is not None else None
        if found is None or found.plane != "sfu":
            return False
        self.wall.hide(tile, keep_session=True)
        await self._run("pause_video", wire.VideoPause(id=0, session=found.session, paused=True), terminal=found.source)
        return True

    async def _resume_tile(self, tile: int) -> str | None:
        """Show a tile hidden with its session kept: the session resumes (its id); None: pull anew instead."""
        placed = self.wall.tiles.get(tile)
        if placed is None or placed.session is None or placed.session not in self._sessions:
            return None
        session = placed.session
        self.wall.unhide(tile, time.monotonic())
        await self._run("resume_video", wire.VideoPause(id=0, session=session, paused=False), terminal=placed.source)
        return session

    def _kept_for_the_sfu(self, session: str) -> bool:
        """Whether failed media of ``session`` is to wait for the SFU's return rather than end the session."""
        found = self._sessions.get(session)
        if found is None or found.plane != "sfu" or media_plane_down(self.world) is None:
            return False
        logger.warning("session %s: media failed with the media plane down: kept for its return", session)
        return True
