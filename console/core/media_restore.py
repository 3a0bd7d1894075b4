"""The desk's media after a failover of the dual-live pair: every tile and voice link set up again on the new active.

A mixin of `DeskMedia` (media_desk.py), kept apart to keep that file to the sessions themselves. When the platform
epoch rises (the standby was promoted: `Desk` tells `epoch_seen`), the media sessions set up through the old
active are gone at their ends: the simulated (and real) terminals end their feeds with the link they lost, and the
new active would never relay a renegotiation of them. The same holds, without any epoch change, when the desk's own
session to the serving instance was lost and it re-attached (`Desk` tells `reattached`): the platform ends a lost
party's sessions at once (testbed/platform/video.py, ``party_lost``), and the desk, offline then, never hears of it;
its tiles would freeze for good. So the desk:

1. ends every session it held, here at once (the engine closes their peer connections: no orphan is left in the
   workers) and on the new active quietly (its replicated records of them would otherwise linger, "live"); those the
   platform no longer knows are dropped from the desk's world too (nobody will ever say they stopped);
2. pulls again what the wall shows, onto the same tiles at the same qualities (the focused tile stays in HD, hidden
   tiles stay hidden); pulls in flight at the switch are treated as from the old era: their sessions are stopped;
3. lets the voice plan open the voice links it still wants (monitored groups' talkers, the parties the desk talks
   to); the link layer has already re-sent the affiliations and re-requested held floors.

Sources reconnect to the new active in their own time: until then the platform refuses a pull with 409 (not
reachable), so requests are asked again with a growing pause for up to `RESTORE_FOR` seconds, quietly, and only
their outcome goes to the event log (with one ``media_restored`` event that says what came back and how long it
took). A source that never comes back leaves its tile empty, as a feed whose source is lost always does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from console.core.command_errors import CommandFailed
from console.core.video_wall import VideoTile, VideoWall
from protocols import messages as wire
from protocols.constants import ErrorCode

if TYPE_CHECKING:
    from console.core.voice import DeskVoice
    from console.core.world import World
    from media.engine import MediaEngine

logger = logging.getLogger(__name__)

__all__ = ["RESTORE_FOR", "TRANSIENT", "MediaRestoring", "Restoration"]

#: seconds after a switch during which refused pulls are asked again (the platform waits 5 s for a lost party)
RESTORE_FOR = 15.0
#: refusals that a little patience cures: the source is not back yet (409), no instance serves (503), no answer (504)
TRANSIENT = frozenset({int(ErrorCode.CONFLICT), int(ErrorCode.UNAVAILABLE), int(ErrorCode.TIMEOUT)})
#: first and longest pause between two tries
RETRY_FIRST = 0.2
RETRY_MAX = 1.0

Record = Callable[..., None]


@dataclass
class Restoration:
    """One switch of the platform and what the desk's media did about it."""

    epoch: int
    #: monotonic time the desk saw the new epoch (or re-attached)
    began: float
    #: "failover": a new active (the epoch rose); "reattached": the desk's session came back, same epoch
    cause: str = "failover"
    #: tile -> source pulled again
    tiles: dict[int, str] = field(default_factory=dict)
    #: sessions ended because they belonged to the old active (video and voice)
    ended: list[str] = field(default_factory=list)
    #: tile -> the new session feeding it; tile -> why it could not be set up again
    restored: dict[int, str] = field(default_factory=dict)
    lost: dict[int, str] = field(default_factory=dict)
    #: monotonic time every pull had its outcome (None while some are still asked)
    finished: float | None = None

    def summary(self) -> dict[str, Any]:
        """The ``media_restored`` event's summary."""
        return {"epoch": self.epoch, "cause": self.cause, "tiles": len(self.tiles), "restored": len(self.restored),
                "lost": {str(k): v for k, v in sorted(self.lost.items())}, "ended": len(self.ended),
                "seconds": None if self.finished is None else round(self.finished - self.began, 3)}


class MediaRestoring:
    """`epoch_seen` and the restoring it starts (see the module docstring)."""

    wall: VideoWall
    voice: DeskVoice
    world: World
    _me: Callable[[], str]
    engine: MediaEngine | None
    _sessions: dict[str, Any]
    _pulls: dict[str, Any]
    _voice_changed: asyncio.Event
    _run: Callable[..., Awaitable[wire.Ok]]
    _record: Record | None
    _log_event: Callable[[str, dict[str, Any]], None] | None

    def _init_restoring(self) -> None:
        self._epoch: int | None = None
        #: sessions asked for before the switch and answered after it: stopped as soon as they are named
        self._unwanted: set[str] = set()
        #: until when refused pulls are asked again (monotonic; 0: no switch under way)
        self.restoring_until = 0.0
        #: every switch seen, newest last
        self.restorations: list[Restoration] = []
        #: the pull setting up each tile again after the latest switch (a pull of the old era waits for it)
        self._tile_restores: dict[int, asyncio.Future[str]] = {}
        #: an epoch rise started restoring: the re-attachment that comes with it needs nothing more
        self._reattach_covered = False

    def _spawn(self, coroutine: Awaitable[Any], name: str) -> None:
        raise NotImplementedError  # DeskMedia's

    async def _stop(self, session: str, command: str, *, quiet: bool = False, record: bool = True) -> None:
        raise NotImplementedError  # DeskMedia's

    async def _pull_onto(self, placed: VideoTile, *, until: float | None = None) -> str:
        raise NotImplementedError  # DeskMedia's

    # ----- the switch -------------------------------------------------------------------------

    def epoch_seen(self, epoch: int) -> None:
        """The platform's epoch as the desk's link knows it now; a rise means a new active: restore the media."""
        if self._epoch is None or epoch <= self._epoch:
            self._epoch = epoch if self._epoch is None else max(self._epoch, epoch)
            return
        self._epoch = epoch
        self._reattach_covered = True
        self._begin(epoch, "failover")

    def reattached(self) -> None:
        """The desk's link serves again after its serving session was lost, in the same epoch: the platform has (or
        may have) ended this desk's sessions meanwhile, so they are set up again as after a failover. Nothing is done
        when an epoch rise already did it for this re-attachment."""
        if self._reattach_covered:
            self._reattach_covered = False
            return
        self._begin(self._epoch or 0, "reattached")

    def _begin(self, epoch: int, cause: str) -> None:
        if not self._sessions and not self.wall.tiles and not self._pulls:
            return  # nothing to restore (voice links come back with the voice plan)
        restoration = Restoration(epoch, time.monotonic(), cause)
        self.restorations.append(restoration)
        self.restoring_until = restoration.began + RESTORE_FOR
        if cause == "failover":
            logger.warning("platform epoch %d: setting up the desk's media again on the new active", epoch)
        else:
            logger.warning("the desk's session came back (epoch %d): setting up its media again", epoch)
        old = self._forget_old_era(restoration)
        ended = asyncio.ensure_future(self._end_old_era(old))
        self._tile_restores = {index: asyncio.ensure_future(self._pull_again(index, ended))
                               for index in restoration.tiles}
        self._spawn(self._restore(restoration, ended), f"desk-media-restore-{epoch}-{len(self.restorations)}")

    def _forget_old_era(self, restoration: Restoration) -> list[Any]:
        """Mark what belongs to the old active: its sessions (forgotten here now), pulls in flight (stale), and the
        tiles to pull again (reset, same place and quality)."""
        old = list(self._sessions.values())
        self._sessions.clear()
        for found in old:
            found.closed = True
            restoration.ended.append(found.session)
            if found.kind == "voice":
                self.voice.session_ended(found.session)
        for pulls in self._pulls.values():
            for pull in pulls:
                pull.stale = True
        self._pulls.clear()
        for tile in list(self.wall.tiles.values()):
            if not tile.hidden:
                self.wall.restart(tile.index)
                restoration.tiles[tile.index] = tile.source
        self._voice_changed.set()
        return old

    async def _end_old_era(self, old: list[Any]) -> None:
        engine = self.engine
        if engine is not None:  # their peer connections end now, before new sessions take their tiles
            opened = [found.session for found in old if found.session in engine.sessions]
            await asyncio.gather(*(engine.close_session(name) for name in opened), return_exceptions=True)
        for found in old:
            self._spawn(self._end_on_platform(found), f"desk-media-end-{found.session}")

    async def _end_on_platform(self, found: Any) -> None:
        """End an old era's session on the platform; if it is still listed in the world afterwards (the platform had
        ended it while the desk was away, or never knew it), nobody will say it stopped: drop it here."""
        await self._stop(found.session, "voice_stop" if found.kind == "voice" else "stop_video", quiet=True,
                         record=False)
        listed = self.world.voice_links if found.kind == "voice" else self.world.video
        if found.session in listed:
            self.world.apply(wire.VideoSession(session=found.session, source=found.source, sink=self._me(),
                                               state="stopped", reason="ended with the desk's session",
                                               media="audio" if found.kind == "voice" else "video"))

    async def _pull_again(self, index: int, ended: asyncio.Future[None]) -> str:
        await ended
        tile = self.wall.tiles.get(index)
        if tile is None or tile.hidden:
            raise LookupError(f"tile {index} was closed or hidden meanwhile")
        return await self._pull_onto(tile, until=self.restoring_until)

    async def _restore(self, restoration: Restoration, ended: asyncio.Future[None]) -> None:
        pulls = dict(self._tile_restores)
        try:
            await ended
            outcomes = await asyncio.gather(*pulls.values(), return_exceptions=True)
        except asyncio.CancelledError:  # the desk closes
            ended.cancel()
            for pull in pulls.values():
                pull.cancel()
            await asyncio.gather(ended, *pulls.values(), return_exceptions=True)
            raise
        for index, outcome in zip(pulls, outcomes, strict=True):
            if isinstance(outcome, LookupError):  # the dispatcher closed or hid the tile meanwhile
                continue
            if isinstance(outcome, BaseException):
                restoration.lost[index] = str(outcome) or type(outcome).__name__
            else:
                restoration.restored[index] = outcome
        restoration.finished = time.monotonic()
        summary = restoration.summary()
        logger.warning("media after the switch to epoch %d: %d of %d tiles pulled again in %.2f s%s",
                       restoration.epoch, len(restoration.restored), len(restoration.tiles), summary["seconds"],
                       f"; lost {restoration.lost}" if restoration.lost else "")
        if self._log_event is not None:
            self._log_event("media_restored", summary)

    # ----- asking with patience ---------------------------------------------------------------

    async def _ask(self, command: str, request: wire.Request, *, until: float | None = None,
                   **subjects: str | None) -> wire.Ok:
        """The desk's ``run`` of one command; with ``until`` (monotonic), transient refusals are asked again
        quietly until then, and only the outcome is recorded."""
        if until is None or self._record is None:
            return await self._run(command, request, **subjects)
        pause = RETRY_FIRST
        tries = 0
        while True:
            tries += 1
            try:
                ok = await self._run(command, request, record=False, **subjects)
            except CommandFailed as exc:
                if exc.code in TRANSIENT and time.monotonic() + pause < until:
                    logger.info("%s of %s refused (%d %s); asking again", command, subjects, exc.code, exc.reason)
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, RETRY_MAX)
                    continue
                self._record(command, request, subjects, error=(exc.code, f"{exc.reason} (after {tries} tries)"))
                raise
            self._record(command, request, subjects, result={**ok.result, "tries": tries})
            return ok

    def _is_unwanted(self, session: str) -> bool:
        """A session asked for before the switch and named after it: stop it (`DeskMedia` checks new sessions)."""
        if session in self._unwanted:
            self._unwanted.discard(session)
            return True
        return False

    def _stale_answer(self, session: str, command: str) -> None:
        """A pull sent before the switch was answered after it: its session belongs to the old era."""
        self._unwanted.add(session)
        self._spawn(self._stop(session, command, quiet=True, record=False), f"desk-media-stale-{session}")

    async def _pulled_again(self, tile: int) -> str | None:
        """For a pull of the old era onto ``tile``: the session the tile's pull after the switch set up (or its
        failure), so that whoever asked gets the feed as the wall shows it; None if the tile is not pulled again."""
        pull = self._tile_restores.get(tile)
        return None if pull is None else await asyncio.shield(pull)
