"""The desk's media: video feeds on the wall and voice links, set up through the platform and carried by the engine.

`DeskMedia` is what a `Desk` made with `MediaOptions` does with media sessions (SPEC.md §5.14): it asks for
them (`video.pull`), offers as their sink when the platform announces them (`video.session` ``requested`` naming
this desk as sink: the engine makes a complete offer, sent as `media.offer`), applies the relayed
`media.answer`, switches a tile's quality (`video.quality`) and stops what is hidden or no longer wanted. The
`VideoWall` (video_wall.py) decides where feeds go; `DeskVoice` (voice.py) decides which voice links are
wanted, when the microphone is keyed, and mixes what they bring.

The `MediaEngine` (media/engine.py) is started on first need, with ``min(2, cores)`` worker processes and ICE
restricted to the desk's allowed media addresses. While it runs, two loops follow it: the picture loop reads
the wall's sequence numbers (and the engine's stats each second) for the tiles' health, the audio loop reads
the voice links' received audio every `AUDIO_TICK` seconds into the mixer and renders the mix (and, while the desk
talks, the microphone's tap in a worker for the recorder: media/mic_tap.py).

Which pull a `video.session` answers is told by source: pulls in flight are kept per source, first in first
out (the platform announces sessions in the order it accepted the pulls); a session nobody here asked for (a
`video.push` to this desk) is shown on a free tile.
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
from dataclasses import dataclass, field
from typing import Any, Literal

from console.core.config import ConfigError, MediaSettings, ice_servers
from console.core.media_restore import MediaRestoring, Record
from console.core.media_sfu import SfuSink
from console.core.media_talk import SFU, SfuTalk
from console.core.media_tiles import TileSetup
from console.core.video_wall import TILES, Quality, VideoTile, VideoWall, WallFull
from console.core.voice import WARM_LINKS, DeskVoice
from console.core.world import World
from media.audio import Pcm
from media.commands import IceServer, SessionStats
from media.engine import MediaEngine, MediaWorkerError
from media.frames import TileFrame
from protocols import messages as wire

logger = logging.getLogger(__name__)

__all__ = ["AUDIO_TICK", "DeskMedia", "MediaOptions", "default_media_workers", "media_options"]

#: seconds between two reads of the voice links' audio (and renders of the mix)
AUDIO_TICK = 0.04
#: seconds between two reads of idle voice links (nobody heard on them: warm links, links after a burst)
IDLE_READ_EVERY = 0.5
#: seconds between two looks at the tiles' sequence numbers; the engine's stats are read every `STATS_EVERY`
PICTURE_TICK = 0.25
STATS_EVERY = 1.0
#: longest wait for our own offer before an answer is applied
OFFER_WAIT = 20.0
#: seconds between two `media.activity` reports while the desk talks (the platform's T1 is 4 s)
ACTIVITY_EVERY = 1.0
#: seconds before a failed start of the engine ahead of need (warm links, the microphone's tap) is tried again
VOICE_START_RETRY = 30.0

Run = Callable[..., Awaitable[wire.Ok]]


def default_media_workers() -> int:
    """Media worker processes for a desk: one per core, at most two (the desk's own work needs the rest)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(2, cores))


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


@dataclass
class _Pull:
    """A pull in flight: what the desk asked a source for."""

    kind: Literal["video", "voice"]
    quality: Quality = "thumb"
    tile: int | None = None
    session: str | None = None
    #: asked for before a switch of the platform's active instance (its session is of the old era)
    stale: bool = False


@dataclass
class _Session:
    """A media session this desk is the sink of."""

    session: str
    source: str
    kind: Literal["video", "voice"]
    quality: Quality
    tile: int | None = None
    offered: asyncio.Event = field(default_factory=asyncio.Event)
    opened: bool = False
    closed: bool = False
    #: "sfu": the platform's SFU offers and this desk answers (SPEC §5.14.9); hidden tiles are paused, not stopped
    plane: str = "direct"
    #: one answer at a time (a new offer, after the SFU came back, replaces the peer connection)
    answering: asyncio.Lock = field(default_factory=asyncio.Lock)


class DeskMedia(MediaRestoring, SfuSink, SfuTalk, TileSetup):
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
        self._sessions: dict[str, _Session] = {}
        self._pulls: dict[str, collections.deque[_Pull]] = collections.defaultdict(collections.deque)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._voice_changed = asyncio.Event()
        self._activity_sent: dict[str, float] = {}
        self._voice_task: asyncio.Task[None] | None = None
        self._audio_running = False
        #: the microphone is tapped for the recorder (the desk talks), and its tap still has samples to read
        self._mic_tapped = False
        self._mic_draining = False
        #: monotonic time before which the engine is not started again ahead of need (after a failed start)
        self._start_again_at = 0.0
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
        pull = _Pull("video", placed.quality, placed.index)
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

    def _new_session(self, message: wire.VideoSession) -> _Session | None:
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
            return self._remember(_Session(name, source, "voice", "thumb"))
        if pull is None and message.media == "audio":  # another dispatcher's voice through the SFU (media_talk.py)
            self.voice.attach(source, name, given=True)
            self._voice_changed.set()
            return self._remember(_Session(name, source, "voice", "thumb"))
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
        return self._remember(_Session(name, source, "video", placed.quality, placed.index))

    def _remember(self, found: _Session) -> _Session:
        self._sessions[found.session] = found
        return found

    def _forget_pull(self, source: str, pull: _Pull) -> None:
        pulls = self._pulls.get(source)
        if pulls is not None and pull in pulls:
            pulls.remove(pull)
            if not pulls:
                del self._pulls[source]

    async def _open(self, found: _Session) -> None:
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

    async def _accept(self, found: _Session, sdp: str) -> None:
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

    # ----- voice ------------------------------------------------------------------------------

    def _follow_voice(self) -> None:
        """Run the voice loop from the first message on (it starts the engine only once a link is wanted)."""
        if self._voice_task is None and self.settings.voice and not self._closed:
            self._voice_task = asyncio.get_running_loop().create_task(self._voice_loop(), name="desk-media-voice")
            self._tasks.add(self._voice_task)
            self._voice_task.add_done_callback(self._task_done)

    async def _voice_loop(self) -> None:
        """Carry out the voice plan whenever floors, calls or links change (and each second, for idle links)."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._voice_changed.wait(), ACTIVITY_EVERY)
            self._voice_changed.clear()
            engine = self.engine
            plan = self.voice.plan(time.monotonic(), engine.sessions if engine is not None else ())
            for terminal in plan.open:
                self._spawn(self._pull_voice(terminal), f"desk-voice-{terminal}")
            if (engine is None and self._starting is None and self.voice.warm_links and self.world.affiliations
                    and time.monotonic() >= self._start_again_at):
                # a desk that keeps warm links has its engine ready before anyone talks, even with no link yet: a
                # first talker then loses at most its link's set-up, not the engine's start (about half a second)
                self._spawn(self._start_for_voice(), "desk-media-start-warm")
            for session in plan.close:
                self._spawn(self._stop(session, "voice_stop", quiet=True), f"desk-voice-stop-{session}")
            if engine is not None:
                if plan.unkey:
                    await engine.set_microphone(plan.unkey, False)
                if plan.key:
                    await engine.set_microphone(plan.key, True)
                await self._key_publication(engine)
            await self._follow_microphone(engine)
            self._report_activity()

    async def _follow_microphone(self, engine: MediaEngine | None) -> None:
        """Tap the microphone for the recorder while the desk talks, links or not (media/mic_tap.py); the engine
        is started for it if it is not yet."""
        wanted = bool(self.settings.microphone) and bool(self.voice.speaking())
        if wanted == self._mic_tapped:
            return
        if engine is None:
            if wanted:
                self._spawn(self._start_for_voice(), "desk-media-start-microphone")
            return
        try:
            await engine.tap_microphone(wanted)
        except (MediaWorkerError, TimeoutError) as exc:
            logger.warning("the microphone is not %s for recording: %s", "tapped" if wanted else "untapped", exc)
            return
        self._mic_tapped = wanted
        self._mic_draining = True

    async def _start_for_voice(self) -> None:
        """Start the engine ahead of need (warm links, the microphone's tap); a failed start is tried again after
        `VOICE_START_RETRY` seconds, not at every turn of the voice loop."""
        try:
            await self.start()
        except (MediaWorkerError, RuntimeError, TimeoutError, OSError) as exc:
            logger.warning("media engine not started for voice: %s", exc)
            self._start_again_at = time.monotonic() + VOICE_START_RETRY
            return
        self._voice_changed.set()

    async def _pull_voice(self, terminal: str) -> None:
        await self.start()
        pull = _Pull("voice")
        self._pulls[terminal].append(pull)
        now = time.monotonic()
        try:  # just after a failover the talker may not be back on the new active yet: patience
            ok = await self._ask("voice_link", wire.VideoPull(id=0, source=terminal, media="audio"),
                                 until=self.restoring_until if now < self.restoring_until else None, terminal=terminal)
        except Exception as exc:  # a refused or lost request: the next plan asks again if still wanted
            logger.info("voice link to %s not opened: %s", terminal, exc)
            self._forget_pull(terminal, pull)
            if not pull.stale:
                self.voice.failed(terminal, time.monotonic())
            return
        if pull.stale:  # asked before a failover: the plan asks the new active afresh
            self._stale_answer(str(ok.result["session"]), "voice_stop")
            link = self.voice.links.get(terminal)
            if link is not None and link.session is None:
                del self.voice.links[terminal]
            self._voice_changed.set()
            return
        if pull.session is None:
            pull.session = str(ok.result["session"])

    def _report_activity(self) -> None:
        """Tell the platform the desk sends media in the calls it holds (SPEC: `media.activity` each second)."""
        if not self.voice.keyed_sessions() and not self.talking_through_sfu:
            self._activity_sent.clear()
            return
        now = time.monotonic()
        for call in self.voice.holding():
            if now - self._activity_sent.get(call, 0.0) >= ACTIVITY_EVERY * 0.9:
                self._activity_sent[call] = now
                self._send(wire.MediaActivity(call=call, sending=True))

    def ensure_audio(self) -> None:
        """Run the audio loop (from the engine's start, or from the first playback without an engine)."""
        if not self._audio_running and not self._closed:
            self._audio_running = True
            self._spawn(self._audio_loop(), "desk-media-audio")

    def play(self, name: str, pcm: Pcm, gain: float) -> None:
        """Play ``pcm`` once into the mix under the live audio (a replay, a recording); replaces ``name``'s."""
        self.voice.mixer.overlay(name, pcm, gain)
        self.ensure_audio()

    async def _audio_loop(self) -> None:
        """Read the voice links' audio into the mixer and render the mix, paced by the clock."""
        loop = asyncio.get_running_loop()
        rendered_until = loop.time()
        read_all_at = 0.0
        while True:
            await asyncio.sleep(AUDIO_TICK)
            engine = self.engine
            now = time.monotonic()
            every = now >= read_all_at
            if every:
                read_all_at = now + IDLE_READ_EVERY
            positions = {link.session: link.position for link in self.voice.to_read(now, every)
                         if engine is not None and link.session is not None and link.session in engine.sessions}
            if positions and engine is not None:
                try:
                    drained = await engine.drain_audio(positions)
                except (MediaWorkerError, TimeoutError) as exc:
                    logger.warning("voice audio not read: %s", exc)
                    drained = {}
                for session, (position, pcm) in drained.items():
                    self.voice.take_audio(session, position, pcm)
            if engine is not None and self._mic_draining:
                self._mic_draining = self._mic_tapped  # once more after the tap stopped: what it still held
                try:
                    self.voice.take_own_audio(await engine.drain_microphone())
                except (MediaWorkerError, TimeoutError) as exc:
                    logger.warning("the microphone's audio not read: %s", exc)
            now = loop.time()
            count = int((now - rendered_until) * self.voice.mixer.rate)
            if count > 0:
                self.voice.mixer.render(count)
                rendered_until += count / self.voice.mixer.rate

    # ----- pictures ---------------------------------------------------------------------------

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
