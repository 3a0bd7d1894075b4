"""The desk's media: video feeds on the wall and voice links, set up through the platform and carried by the engine.

`DeskMedia` is what a `Desk` made with `MediaOptions` does with media sessions (SPEC.md §5.14): it asks for
them (`video.pull`), offers as their sink when the platform announces them (`video.session` ``requested`` naming
this desk as sink: the engine makes a complete offer, sent as `media.offer`), applies the relayed
`media.answer`, switches a tile's quality (`video.quality`) and stops what is hidden or no longer wanted. The
`VideoWall` (video_wall.py) decides where feeds go; `DeskVoice` (voice.py) decides which voice links are
wanted, when the microphone is keyed, and mixes what they bring.

The `MediaEngine` (media/engine.py) is started on first need, with ``min(2, cores)`` worker processes and ICE
restricted to the desk's allowed media addresses. While it runs, two loops follow it: the picture loop reads
the wall's sequence numbers (and the engine's stats each second) for the tiles' health (`PictureWatch`,
media_pictures.py), the audio loop reads the voice links' received audio every `AUDIO_TICK` seconds into the mixer
and renders the mix (and, while the desk talks, the microphone's tap in a worker for the recorder: media/mic_tap.py)
(`AudioOutput`, media_audio.py). The voice loop, from the first message on, carries out `DeskVoice`'s plan: links
pulled and stopped, microphones keyed, activity reported (`VoiceLinks`, media_voice.py).

Which pull a `video.session` answers is told by source: pulls in flight are kept per source, first in first
out (the platform announces sessions in the order it accepted the pulls: media_records.py); a session nobody here
asked for (a `video.push` to this desk) is shown on a free tile. The other mixins: `MediaRestoring`
(media_restore.py, after a failover), `SfuSink` and `SfuTalk` (media_sfu.py, media_talk.py: the SFU plane),
`TileSetup` (media_tiles.py: feeds that never come up).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from console.core.config import ConfigError, MediaSettings, ice_servers
from console.core.media_audio import AUDIO_TICK, AudioOutput
from console.core.media_pictures import PictureWatch
from console.core.media_records import Pull, SinkSession
from console.core.media_restore import MediaRestoring, Record
from console.core.media_sfu import SfuSink
from console.core.media_talk import SFU, SfuTalk
from console.core.media_tiles import TileSetup
from console.core.media_voice import VoiceLinks
from console.core.video_wall import TILES, Quality, VideoTile, VideoWall, WallFull
from console.core.voice import WARM_LINKS, DeskVoice
from console.core.world import World
from media.commands import IceServer, SessionStats
from media.engine import MediaEngine, MediaWorkerError
from media.frames import TileFrame
from protocols import messages as wire

logger = logging.getLogger(__name__)

__all__ = ["AUDIO_TICK", "DeskMedia", "MediaOptions", "default_media_workers", "media_options"]

#: longest wait for our own offer before an answer is applied
OFFER_WAIT = 20.0

Run = Callable[..., Awaitable[wire.Ok]]


def default_media_workers() -> int:
    """Media worker processes for a desk: one on a machine of up to two cores, two on a larger one.

    A worker is already two busy threads (receiving on its event loop, decoding on its decode thread), so on two
    cores one worker uses both; a second only adds its own event loop and per-session overhead: the 30-feed wall
    took about 4 points of a core less with one worker than with two on the 2-core reference machine
    (docs/benchmarks.md, "Media"). With more cores, two workers double what the wall can decode (one decode
    thread tops out at one core: about three times the reference wall)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return 1 if cores <= 2 else 2


@dataclass(frozen=True)
class MediaOptions:
    """Where the desk's media may flow and what it sends."""

    #: the only addresses (or interface names) ICE gathers on: the operations network, loopback in tests
    allowed_addresses: tuple[str, ...] = ("127.0.0.1",)
    #: worker processes (None: `default_media_workers`)
    workers: int | None = None
    tiles: int = TILES
    #: STUN/TURN servers, none unless the user configured some
    ice_servers: tuple[IceServer, ...] = ()
    #: the microphone voice links send while the desk talks: ``feed:<name>`` (the Qt desk's live microphone,
    #: console/core/sound.py), a stand-in (``tone:<Hz>``, ``speech``, an audio file), or "" (none: links only listen)
    microphone: str = ""
    #: open voice links at all (hear talkers, talk to parties)
    voice: bool = True
    #: voice links kept open ahead to members of the monitored groups, so that a first burst is heard whole
    #: (console/core/voice.py); 0: links open only once a talker takes the floor
    warm_voice_links: int = WARM_LINKS
    log_level: int = logging.WARNING


def media_options(settings: MediaSettings | None, **overrides: Any) -> tuple[MediaOptions, list[str]]:
    """The desk's `MediaOptions` from its settings (``media.*``), and the problems met making them.

    Media flows on the allowed addresses and interfaces (loopback when none is configured); the STUN and TURN
    servers are the configured ones, none by default. A TURN server whose credential file cannot be read is left
    out and named among the problems (the desk runs on without it). ``overrides`` set other `MediaOptions` fields.
    """
    if settings is None:
        return MediaOptions(**overrides), []
    servers: list[IceServer] = list(ice_servers(dataclasses.replace(settings, turn_servers=())))
    problems: list[str] = []
    for index, turn in enumerate(settings.turn_servers):
        try:
            servers += ice_servers(dataclasses.replace(settings, stun_servers=(), turn_servers=(turn,)))
        except ConfigError as exc:
            problems.append(f"media.turn_servers[{index}] ({turn.url}) left out: {exc}")
    options: dict[str, Any] = {"ice_servers": tuple(servers), "warm_voice_links": settings.warm_voice_links}
    if settings.allowed:
        options["allowed_addresses"] = settings.allowed
    options.update(overrides)
    return MediaOptions(**options), problems


class DeskMedia(MediaRestoring, SfuSink, SfuTalk, TileSetup, VoiceLinks, AudioOutput, PictureWatch):
    """Video wall and voice links of one desk (see the module docstring).

    ``run(command, request, **subjects)`` sends a keyed request and records it (the desk's command plumbing;
    ``record=False`` leaves the recording to the caller, who then calls ``record``); ``notify`` sends a
    notification; ``me()`` is the dispatcher's id; ``holding()`` the calls whose floor the desk holds now;
    ``log_event(kind, summary)`` writes an event of the desk's log. After a failover of the platform pair the media
    is set up again on the new active (`MediaRestoring`, media_restore.py).
    """

    def __init__(self, settings: MediaOptions, *, world: World, me: Callable[[], str], run: Run,
                 notify: Callable[[wire.Notification], None], holding: Callable[[], list[str]],
                 record: Record | None = None, log_event: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        self.settings = settings
        self.world = world
        self._me = me
        self._run = run
        self._record = record
        self._log_event = log_event
        self._init_restoring()
        self._notify = notify
        self.wall = VideoWall(settings.tiles)
        self.voice = DeskVoice(world, me, holding, warm_links=settings.warm_voice_links)
        self.engine: MediaEngine | None = None
        self._starting: asyncio.Future[MediaEngine] | None = None
        self._sessions: dict[str, SinkSession] = {}
        self._pulls: dict[str, collections.deque[Pull]] = collections.defaultdict(collections.deque)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._voice_changed = asyncio.Event()
        self._init_voice_links()
        self._init_audio()
        self._closed = False
        #: hears every session's stats once a second (the desk's quality monitor)
        self.on_stats: Callable[[dict[str, SessionStats]], None] | None = None

    # ----- the engine -------------------------------------------------------------------------

    async def start(self) -> MediaEngine:
        """The running engine, started now if it is not yet (concurrent callers share one start)."""
        if self._closed:
            raise RuntimeError("the desk's media is closed")
        if self.engine is not None:
            return self.engine
        starting = self._starting
        if starting is None:
            starting = self._starting = asyncio.ensure_future(self._start_engine())
        try:
            return await asyncio.shield(starting)
        except BaseException:
            if starting.done() and self._starting is starting:
                self._starting = None  # a failed start: the next need tries again
            raise

    async def _start_engine(self) -> MediaEngine:
        settings = self.settings
        workers = settings.workers or default_media_workers()
        engine = MediaEngine(allowed_addresses=settings.allowed_addresses, workers=workers, tiles=settings.tiles,
                             ice_servers=settings.ice_servers, on_state=self._media_state,
                             log_level=settings.log_level, microphone=settings.microphone)
        await engine.start()
        if self._closed:
            await engine.close()
            raise RuntimeError("the desk's media closed while starting")
        self.engine = engine
        self._spawn(self._picture_loop(engine), "desk-media-pictures")
        self.ensure_audio()
        logger.info("media engine started: %d workers on %s", workers, ", ".join(settings.allowed_addresses))
        return engine

    async def close(self) -> None:
        """Stop the loops and the engine (its sessions end with the desk's link)."""
        self._closed = True
        tasks, self._tasks = set(self._tasks), set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
            with contextlib.suppress(BaseException):
                await self._starting
        engine, self.engine = self.engine, None
        if engine is not None:
            await engine.close()

    def read_tile(self, tile: int, since: int = -1) -> TileFrame | None:
        """The tile's newest picture if newer than ``since`` (for painters); None without an engine."""
        return self.engine.read_tile(tile, since) if self.engine is not None else None

    def is_voice(self, session: str) -> bool:
        """Whether a media session is one of this desk's voice links (they show in `World.video` too)."""
        found = self._sessions.get(session)
        return found is not None and found.kind == "voice"

    # ----- video commands ---------------------------------------------------------------------

    async def pull_video(self, source: str, quality: Quality = "thumb", *, camera: str | None = None,
                         tile: int | None = None) -> str:
        """Pull a terminal's (or one of its cameras') video onto ``tile`` (default: the first free one)."""
        target = camera or source
        return await self._pull_onto(self.wall.place(target, quality, tile, asked=source))

    async def _pull_onto(self, placed: VideoTile, *, until: float | None = None) -> str:
        """Pull the feed a reserved tile is for (its source, at its quality); with ``until``, transient refusals
        are asked again until then (after a failover). A refused pull empties the tile."""
        target = placed.source
        camera = placed.source if placed.asked != placed.source else None
        pull = Pull("video", placed.quality, placed.index)
        self._pulls[target].append(pull)
        try:
            ok = await self._ask("pull_video", wire.VideoPull(id=0, source=placed.asked, camera=camera,
                                                              quality=placed.quality), until=until, terminal=target)
        except Exception:
            self._forget_pull(target, pull)
            if pull.stale:  # asked before a failover: the tile's pull after it answers instead
                again = await self._pulled_again(placed.index)
                if again is not None:
                    return again
            elif self.wall.tiles.get(placed.index) is placed:
                self.wall.release(placed.index)
            raise
        except BaseException:
            self._forget_pull(target, pull)
            if not pull.stale and self.wall.tiles.get(placed.index) is placed:
                self.wall.release(placed.index)
            raise
        session = str(ok.result["session"])
        if pull.stale:
            self._stale_answer(session, "stop_video")
            return await self._pulled_again(placed.index) or session
        if pull.session is None:
            pull.session = session
            if self.wall.tiles.get(placed.index) is placed and not placed.hidden:
                self.wall.attach(placed.index, session, time.monotonic())
        return session

    async def focus(self, tile: int | None) -> None:
        """Show ``tile`` in HD and the tile focused before in thumbnail (None: no tile in HD)."""
        for changed in self.wall.focus(tile):
            if changed.session is not None:
                await self._set_quality(changed)

    async def _set_quality(self, tile: VideoTile) -> None:
        assert tile.session is not None
        await self._run("video_quality", wire.VideoQualitySet(id=0, session=tile.session, quality=tile.quality),
                        terminal=tile.source)
        if self.engine is not None and tile.session in self.engine.sessions:
            self.engine.set_quality(tile.session, tile.quality)

    async def hide(self, tile: int) -> None:
        """Hide a tile: its feed is stopped (nothing is received for it); `show` brings it back. In the SFU plane
        the session is paused instead (the SFU relays nothing to this desk, and showing it again is immediate)."""
        if await self._pause_tile(tile):
            return
        session = self.wall.hide(tile)
        if session is not None:
            await self._stop(session, "stop_video")

    async def show(self, tile: int) -> str:
        """Show a hidden tile again: its source's feed is pulled anew (resumed, in the SFU plane); the session id."""
        placed = self.wall.tiles.get(tile)
        if placed is None or not placed.hidden:
            raise ValueError(f"tile {tile} is not hidden")
        resumed = await self._resume_tile(tile)
        if resumed is not None:
            return resumed
        camera = placed.source if placed.asked != placed.source else None
        return await self.pull_video(placed.asked, placed.quality, camera=camera, tile=tile)

    async def _stop(self, session: str, command: str, *, quiet: bool = False, record: bool = True) -> None:
        """End a session on the platform (and here at once); ``quiet``: a failure is only logged; ``record``: in the
        event log (not the sessions a failover ended)."""
        try:
            await self._run(command, wire.VideoStop(id=0, session=session), record=record)
        except Exception as exc:
            if not quiet:
                raise
            logger.info("session %s: %s failed: %s", session, command, exc)
        self._ended(session, "stopped")

    # ----- the platform -----------------------------------------------------------------------

    def handle(self, message: wire.Message) -> None:
        """A notification the desk received (after the world took it)."""
        self._follow_voice()
        if isinstance(message, wire.VideoSession):
            self.voice.talk_links = message.plane != "sfu"  # the platform's plane, as its sessions say
            if message.sink == self._me():
                self._on_session(message)
            elif message.sink == SFU and message.source == self._me():
                self._on_publication(message)  # the desk talks in the SFU plane (media_talk.py)
        elif isinstance(message, wire.MediaAnswer):
            found = self._sessions.get(message.session)
            if found is not None:
                self._spawn(self._accept(found, message.sdp), f"desk-media-answer-{message.session}")
            elif self.publication is not None and self.publication.session == message.session:
                self._spawn(self._accept_publication(self.publication, message.sdp),
                            f"desk-talk-answer-{message.session}")
        elif isinstance(message, wire.MediaOffer):
            found = self._sessions.get(message.session)
            if found is not None and found.plane == "sfu":
                self._spawn(self._answer(found, message.sdp), f"desk-media-offer-{message.session}")
        elif isinstance(message, wire.FloorGranted | wire.FloorTaken | wire.FloorIdle | wire.CallStarted
                        | wire.CallEnded | wire.Snapshot | wire.AffiliationUpdate):
            self._voice_changed.set()

    def floor_event(self, call: str, event: object) -> None:
        """An event of the desk's own floor participant: a tone to play, keying to change."""
        self._follow_voice()
        tone = self.voice.floor_event(call, event)
        if tone is not None:
            self.voice.mixer.play(tone)
        self._voice_changed.set()

    def _on_session(self, message: wire.VideoSession) -> None:
        name = message.session
        if message.state in ("stopped", "failed"):
            self._ended(name, message.state, message.reason)
            return
        found = self._sessions.get(name)
        if found is None:
            if message.state != "requested":
                return  # a session from before this desk's media started (or already ended here): not ours to offer
            found = self._new_session(message)
            if found is None:
                return
            found.plane = message.plane
            if found.plane != "sfu":  # in the SFU plane the SFU offers, once the source publishes
                self._spawn(self._open(found), f"desk-media-open-{name}")
        if found.kind == "video":
            self.wall.session_state(name, message.state, message.quality)
            found.quality = message.quality

    def _new_session(self, message: wire.VideoSession) -> SinkSession | None:
        name, source = message.session, message.source
        if self._is_unwanted(name):
            return None  # asked for before a failover: being stopped
        pull = next((p for p in self._pulls.get(source, ()) if p.session in (None, name)), None)
        if pull is not None:
            self._forget_pull(source, pull)
            pull.session = name
        if pull is not None and pull.kind == "voice":
            self.voice.attach(source, name)
            self._voice_changed.set()
            return self._remember(SinkSession(name, source, "voice", "thumb"))
        if pull is None and message.media == "audio":  # another dispatcher's voice through the SFU (media_talk.py)
            self.voice.attach(source, name, given=True)
            self._voice_changed.set()
            return self._remember(SinkSession(name, source, "voice", "thumb"))
        reserved = self.wall.tiles.get(pull.tile) if pull is not None and pull.tile is not None else None
        if reserved is not None and reserved.hidden and reserved.session is None:
            # hidden before the platform named its session: not wanted any more
            self._spawn(self._stop(name, "stop_video", quiet=True), f"desk-media-unwanted-{name}")
            return None
        if reserved is not None:
            placed = self.wall.attach(reserved.index, name, time.monotonic())
        else:  # a feed pushed to this desk
            try:
                placed = self.wall.attach(self.wall.place(source, message.quality).index, name, time.monotonic())
            except WallFull:
                logger.warning("session %s from %s: the wall is full, stopping it", name, source)
                self._spawn(self._stop(name, "stop_video", quiet=True), f"desk-media-refuse-{name}")
                return None
        return self._remember(SinkSession(name, source, "video", placed.quality, placed.index))

    def _remember(self, found: SinkSession) -> SinkSession:
        self._sessions[found.session] = found
        return found

    def _forget_pull(self, source: str, pull: Pull) -> None:
        pulls = self._pulls.get(source)
        if pulls is not None and pull in pulls:
            pulls.remove(pull)
            if not pulls:
                del self._pulls[source]

    async def _open(self, found: SinkSession) -> None:
        """Offer as the session's sink (SPEC: the sink offers)."""
        try:
            engine = await self.start()
            if found.tile is not None:
                await self._free_engine_tile(engine, found.tile)
            offer = await engine.open_session(found.session, tile=found.tile, video=found.kind == "video",
                                              audio=found.kind == "voice", quality=found.quality,
                                              send_audio=found.kind == "voice")
        except (MediaWorkerError, ValueError, RuntimeError, TimeoutError) as exc:
            logger.warning("session %s from %s: cannot receive: %s", found.session, found.source, exc)
            if not found.closed:
                await self._stop(found.session, "stop_video", quiet=True)
            return
        found.opened = True
        if found.closed:
            await engine.close_session(found.session)
            return
        self._send(wire.MediaOffer(session=found.session, sdp=offer))
        found.offered.set()
        if found.kind == "voice":
            self._voice_changed.set()  # it can be keyed now
        logger.info("session %s from %s: offered (%s)", found.session, found.source, found.kind)

    async def _free_engine_tile(self, engine: MediaEngine, tile: int) -> None:
        """Close what the engine still shows on ``tile`` of sessions that ended here (their close may still be on
        its way: a feed shown again, or pulled again after a failover, must not find the tile taken)."""
        leftovers = [name for name in engine.sessions if engine.tile_of(name) == tile and name not in self._sessions]
        for name in leftovers:
            with contextlib.suppress(MediaWorkerError, TimeoutError):
                await engine.close_session(name)

    async def _accept(self, found: SinkSession, sdp: str) -> None:
        async with asyncio.timeout(OFFER_WAIT):
            await found.offered.wait()
        if found.closed or self.engine is None:
            return
        try:
            await self.engine.accept_answer(found.session, sdp)
        except (MediaWorkerError, KeyError) as exc:
            logger.warning("session %s from %s: answer refused: %s", found.session, found.source, exc)
            await self._stop(found.session, "stop_video", quiet=True)

    def _ended(self, session: str, state: str, reason: str = "") -> None:
        found = self._sessions.pop(session, None)
        if found is None:
            return
        found.closed = True
        if found.kind == "video":
            self.wall.session_ended(session, state, reason)
        else:
            self.voice.session_ended(session, time.monotonic())
            self._voice_changed.set()
        if found.opened and self.engine is not None:
            self._spawn(self.engine.close_session(session), f"desk-media-close-{session}")

    def _media_state(self, session: str, state: str) -> None:
        """The engine's news of a session's media; failed media ends the session (SPEC)."""
        self.wall.media_state(session, state, time.monotonic())
        link = self.voice.link_of_session(session)
        if link is not None:
            link.state = state
            self._voice_changed.set()
        if state == "failed" and (self._kept_for_the_sfu(session) or self._publication_failed(session)):
            return
        if state == "failed" and session in self._sessions:
            logger.warning("session %s: media failed, stopping it", session)
            placed = self.wall.by_session(session)
            if placed is not None:
                self.wall.fail(placed.index, "media failed")
            self._spawn(self._stop(session, "stop_video", quiet=True), f"desk-media-failed-{session}")

    # ----- plumbing ---------------------------------------------------------------------------

    def _send(self, message: wire.Notification) -> None:
        try:
            self._notify(message)
        except Exception as exc:  # the link is down: the platform ends our sessions with it anyway
            logger.info("%s not sent: %s", wire.tag_of(message), exc)

    def _spawn(self, coroutine: Awaitable[Any], name: str) -> None:
        if self._closed:
            if asyncio.iscoroutine(coroutine):
                coroutine.close()
            return
        task = asyncio.ensure_future(coroutine)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("media task %s failed", task.get_name(), exc_info=task.exception())
