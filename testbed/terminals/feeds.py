"""A simulated terminal's camera and microphone towards consoles: the source end of media sessions.

SPEC.md §5.14: the platform announces a session with `video.session` (state ``requested``) to both ends, the
sink sends the SDP offer, the source answers. `TerminalFeeds` answers what the offer asks for: a video
m-line gets the terminal's clip (pre-encoded, stamped with its ``number``: media/clips.py), an audio m-line
its microphone (a tone at `tone_frequency(number)`, sent only while the terminal holds a floor) and, when the
offer also sends audio (a dispatcher's voice link), what the sink says is kept to be read with `heard`.
`video.quality` switches the clip without renegotiation; a stopped session, a lost link or failed media
close the sender (failed media also ends the session with `video.stop`). A feed a dispatcher pushes to the
terminal (it is the session's sink) is received with a `FeedViewer`: the terminal offers, and its screen keeps
the newest picture (`views`).

Clips are generated once per source, quality and length into a cache, in a thread (a 720p clip takes seconds
to encode), and only when a session needs them: `prepare` makes them ahead for a fleet that will be asked.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from media.clips import ClipSpec, Quality, clip_spec, default_cache_dir, ensure_clip
from media.sender import NegotiationFailed, VideoSender
from media.sources import EncodedClip, GatedTrack, ToneTrack, load_clip, tone_frequency
from media.viewer import FeedViewer
from protocols.aio.client import ConnectionClosed, RequestError
from protocols.messages import MediaAnswer, MediaOffer, Message, Notification, Ok, Request, VideoSession, VideoStop
from testbed.terminals.sfu_feeds import SfuFeeds

log = logging.getLogger(__name__)

__all__ = ["ClipShelf", "FeedSettings", "TerminalFeeds", "media_number", "media_numbers"]

#: media sessions a terminal serves at once (more are refused with `video.stop`: a radio's uplink is finite)
MAX_FEEDS = 8


def media_numbers(terminal_ids: Iterable[str]) -> dict[str, int]:
    """The number each terminal stamps into its video (and picks its tone by): its place in ``terminal_ids``
    (a line's terminal list, in order) counted from 1. A test reads a tile's stamp and maps it back with this."""
    return {terminal_id: index for index, terminal_id in enumerate(terminal_ids, start=1)}


def media_number(terminal_id: str) -> int:
    """A terminal's number when no fleet assigned one: from a hash of its id (may collide; fleets don't)."""
    return zlib.crc32(terminal_id.encode()) % 4000 + 1


@dataclass(frozen=True)
class FeedSettings:
    """Where terminals' media may flow and where their clips live."""

    #: the only addresses ICE gathers on (SPEC: media bound to the configured interfaces; loopback in tests)
    allowed_addresses: tuple[str, ...] = ("127.0.0.1",)
    #: clip cache (default: the user's cache folder)
    clip_cache: Path | None = None
    #: length of the looping clips, seconds (shorter clips encode faster)
    clip_seconds: float = 10.0
    #: frames per second of the clips (fewer: cheaper to send and to receive, for tests of many feeds)
    clip_fps: int = 25


class ClipShelf:
    """Clips encoded once per process and kept loaded: concurrent askers for the same clip wait for one encoder."""

    def __init__(self) -> None:
        self._clips: dict[tuple[str, int, str, float, int], asyncio.Future[EncodedClip]] = {}

    async def get(self, quality: Quality, number: int, label: str, settings: FeedSettings) -> EncodedClip:
        """The clip of source ``number`` at ``quality``, encoded (in a thread) on first use."""
        cache = settings.clip_cache or default_cache_dir()
        key = (str(cache), number, quality, settings.clip_seconds, settings.clip_fps)
        future = self._clips.get(key)
        if future is None or (future.done() and (future.cancelled() or future.exception() is not None)):
            spec = clip_spec(quality, number, label, seconds=settings.clip_seconds, fps=settings.clip_fps)
            future = asyncio.ensure_future(asyncio.to_thread(_encode_and_load, spec, cache))
            self._clips[key] = future
        return await asyncio.shield(future)


def _encode_and_load(spec: ClipSpec, cache: Path) -> EncodedClip:
    return load_clip(ensure_clip(spec, cache))


#: one shelf per process: every simulated terminal of a fleet shares it
SHELF = ClipShelf()


@dataclass
class Feed:
    """One media session this terminal is the source of."""

    session: str
    sink: str
    quality: Quality
    state: str = "requested"
    sender: VideoSender | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    #: the quality the clip now sent was made for
    sent_quality: Quality | None = None
    #: an offer is being answered on the sender (it is closed when that is done, not before)
    negotiating: bool = False


@dataclass
class View:
    """A feed pushed to this terminal (it is the session's sink)."""

    session: str
    source: str
    viewer: FeedViewer | None = None
    offered: asyncio.Event = field(default_factory=asyncio.Event)


class TerminalFeeds:
    """The media sessions one terminal is the source of (see the module docstring)."""

    def __init__(
        self,
        terminal_id: str,
        number: int,
        settings: FeedSettings,
        *,
        talking: Callable[[], bool],
        notify: Callable[[Notification], None],
        request: Callable[[Request], Awaitable[Ok]],
        shelf: ClipShelf = SHELF,
    ) -> None:
        self.id = terminal_id
        self.number = number
        self.settings = settings
        self.tone = tone_frequency(number)
        self._talking = talking
        self._notify = notify
        self._request = request
        self._shelf = shelf
        self.feeds: dict[str, Feed] = {}
        #: feeds pushed to this terminal, by session
        self.views: dict[str, View] = {}
        #: closing senders and video.stop requests, awaited by `close`
        self._background: set[asyncio.Task[None]] = set()
        #: share of RTP packets this terminal's senders drop (a lossy radio link; `set_rtp_loss`)
        self.rtp_loss = 0.0
        #: publications and pushed feeds of the SFU media plane (sfu_feeds.py)
        self.sfu = SfuFeeds(self)

    def set_rtp_loss(self, share: float) -> None:
        """Drop ``share`` (0 to 1) of the RTP packets of every feed this terminal sends, now and from now on."""
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"rtp loss is a share between 0 and 1, got {share}")
        self.rtp_loss = share
        for feed in self.feeds.values():
            if feed.sender is not None:
                feed.sender.rtp_loss = share

    # ----- what a test reads ------------------------------------------------------------------

    def viewer(self, session: str) -> FeedViewer | None:
        """The viewer of a feed pushed to this terminal."""
        view = self.views.get(session)
        return view.viewer if view is not None else None

    def sender(self, session: str) -> VideoSender | None:
        feed = self.feeds.get(session)
        return feed.sender if feed is not None else None

    def heard(self, seconds: float, sink: str | None = None) -> npt.NDArray[np.int16]:
        """The last ``seconds`` of what dispatchers (``sink`` only, if given) said to us, summed over voice links
        (the direct plane) and the voices the SFU relays to us (the SFU plane: `SfuFeeds.heard_from`)."""
        tails = [f.sender.heard.last(seconds) for f in self.feeds.values()
                 if f.sender is not None and f.sender.hear and (sink is None or f.sink == sink)]
        tails += [viewer.heard.last(seconds) for viewer in self.sfu.heard_from(sink)]
        if not tails:
            return np.zeros(0, dtype=np.int16)
        longest = max(len(t) for t in tails)
        mix = np.zeros(longest, dtype=np.int32)
        for tail in tails:
            mix[longest - len(tail):] += tail
        return np.clip(mix, -32768, 32767).astype(np.int16)

    def frames_heard(self, sink: str | None = None) -> int:
        """Audio frames received from sinks (``sink`` only, if given) on the voice links now open."""
        return sum(f.sender.frames_heard for f in self.feeds.values()
                   if f.sender is not None and (sink is None or f.sink == sink)) + sum(
            viewer.frames_heard for viewer in self.sfu.heard_from(sink))

    async def prepare(self, *qualities: Quality) -> None:
        """Encode this terminal's clips now (for a fleet about to be asked for video)."""
        for quality in qualities:
            await self._clip(quality)

    # ----- input ------------------------------------------------------------------------------

    def handle(self, message: Message) -> bool:
        """Take a media notification; False for anything else."""
        if self.sfu.handle(message):
            return True
        if isinstance(message, VideoSession):
            if message.source == self.id:
                self._on_session(message)
            elif message.sink == self.id:
                self._on_view(message)
            return True
        if isinstance(message, MediaOffer):
            self._on_offer(message)
            return True
        if isinstance(message, MediaAnswer):
            view = self.views.get(message.session)
            if view is not None:
                self._in_background(self._accept(view, message.sdp), f"view-answer-{view.session}")
            return True
        return False

    def _on_session(self, message: VideoSession) -> None:
        feed = self.feeds.get(message.session)
        if message.state in ("stopped", "failed"):
            if feed is not None:
                self._end(feed, message.state)
            return
        if feed is None:
            if len(self.feeds) >= MAX_FEEDS:
                log.warning("terminal %s: refusing session %s, already %d feeds", self.id, message.session,
                            len(self.feeds))
                self._spawn_stop(message.session, "too many feeds")
                return
            feed = Feed(message.session, message.sink, message.quality)
            self.feeds[message.session] = feed
            log.info("terminal %s: session %s to %s requested (%s)", self.id, feed.session, feed.sink, feed.quality)
        feed.state = message.state
        if message.quality != feed.quality:
            feed.quality = message.quality
            self._spawn(feed, self._switch(feed), f"switch-{feed.session}")

    def _on_offer(self, message: MediaOffer) -> None:
        feed = self.feeds.get(message.session)
        if feed is None:
            # the offer overtook (or outlived the memory of) its video.session: the platform only relays offers
            # of sessions we are an end of, so answer at the default quality
            feed = Feed(message.session, message.sender, "thumb")
            self.feeds[message.session] = feed
        self._spawn(feed, self._answer(feed, message.sdp), f"answer-{feed.session}")

    def _on_view(self, message: VideoSession) -> None:
        view = self.views.get(message.session)
        if message.state in ("stopped", "failed"):
            if view is not None:
                self._end_view(view)
            return
        if view is None and message.state == "requested":
            view = self.views[message.session] = View(message.session, message.source)
            self._in_background(self._offer(view), f"view-{view.session}")

    # ----- work -------------------------------------------------------------------------------
    # Waiting for a clip may be cancelled (the session ended meanwhile); work on a peer connection never is:
    # it runs in the background to its end, and closes what it made if the session ended meanwhile.

    async def _clip(self, quality: Quality) -> EncodedClip:
        return await self._shelf.get(quality, self.number, self.id, self.settings)

    async def _answer(self, feed: Feed, offer: str) -> None:
        clip = await self._clip(feed.quality) if feed.sender is None and _wants(offer, "video") else None
        self._in_background(self._negotiate(feed, offer, clip), f"negotiate-{feed.session}")

    async def _negotiate(self, feed: Feed, offer: str, clip: EncodedClip | None) -> None:
        if self.feeds.get(feed.session) is not feed:
            return
        if feed.sender is None:
            feed.sender = self._make_sender(feed, offer, clip)
        sender = feed.sender
        feed.negotiating = True
        try:
            answer = await sender.answer(offer)
        except NegotiationFailed as exc:
            log.warning("terminal %s: cannot answer session %s: %s", self.id, feed.session, exc)
            if self.feeds.get(feed.session) is feed:
                self._end(feed, "failed")
                self._spawn_stop(feed.session, f"cannot answer: {exc}")
            return
        finally:
            feed.negotiating = False
            if self.feeds.get(feed.session) is not feed:
                feed.sender = None
                await sender.close()
        if self.feeds.get(feed.session) is not feed:
            return
        try:
            self._notify(MediaAnswer(session=feed.session, sdp=answer))
        except ConnectionClosed:
            log.info("terminal %s: link down, answer to %s not sent", self.id, feed.session)

    def _make_sender(self, feed: Feed, offer: str, clip: EncodedClip | None) -> VideoSender:
        feed.sent_quality = feed.quality if clip is not None else None
        audio = GatedTrack(ToneTrack(self.tone), self._talking) if _wants(offer, "audio") else None
        # a sink that offers send-receive audio (a dispatcher's voice link) wants to be heard too
        hear = audio is not None and "a=sendrecv" in offer
        return VideoSender(clip, allowed_addresses=self.settings.allowed_addresses, audio=audio, hear=hear,
                           name=f"{self.id}/{feed.session}", on_state=lambda state: self._media_state(feed, state),
                           rtp_loss=self.rtp_loss)

    async def _switch(self, feed: Feed) -> None:
        quality = feed.quality
        clip = await self._clip(quality)
        sender = feed.sender
        if sender is None or sender.video is None or feed.quality != quality or feed.sent_quality == quality:
            return  # not sending video (yet: the answer picks the quality then), or switched again meanwhile
        sender.switch_clip(clip)
        feed.sent_quality = quality
        log.info("terminal %s: session %s now %s", self.id, feed.session, quality)

    def _media_state(self, feed: Feed, state: str) -> None:
        if state == "failed" and self.feeds.get(feed.session) is feed:
            log.warning("terminal %s: media of session %s failed", self.id, feed.session)
            self._end(feed, "failed")
            self._spawn_stop(feed.session, "media failed")

    def _end(self, feed: Feed, state: str) -> None:
        """Forget a session and close its sender (in the background; a negotiation closes it when done)."""
        if self.feeds.get(feed.session) is feed:
            del self.feeds[feed.session]
        feed.state = state
        current = asyncio.current_task()
        for task in feed.tasks:
            if task is not current:
                task.cancel()
        if feed.sender is not None and not feed.negotiating:
            sender, feed.sender = feed.sender, None
            self._in_background(sender.close(), f"close-{feed.session}")

    async def _offer(self, view: View) -> None:
        """Sink of a pushed feed: offer receive-only video (SPEC: the sink offers)."""
        viewer = view.viewer = FeedViewer(allowed_addresses=self.settings.allowed_addresses,
                                          name=f"{self.id}/{view.session}")
        try:
            offer = await viewer.offer()
        finally:
            if self.views.get(view.session) is not view:
                view.viewer = None
                await viewer.close()
        if view.viewer is None:
            return
        try:
            self._notify(MediaOffer(session=view.session, sdp=offer))
        except ConnectionClosed:
            log.info("terminal %s: link down, offer for %s not sent", self.id, view.session)
            return
        view.offered.set()

    async def _accept(self, view: View, sdp: str) -> None:
        async with asyncio.timeout(20.0):
            await view.offered.wait()
        if view.viewer is not None and self.views.get(view.session) is view:
            await view.viewer.accept_answer(sdp)

    def _end_view(self, view: View) -> None:
        self.views.pop(view.session, None)
        if view.viewer is not None and view.offered.is_set():  # else the offer closes it when done
            viewer, view.viewer = view.viewer, None
            self._in_background(viewer.close(), f"close-view-{view.session}")
        view.offered.set()  # an answer still waiting for the offer finds the view gone

    # ----- plumbing ---------------------------------------------------------------------------

    def _spawn(self, feed: Feed, coro: Awaitable[None], name: str) -> None:
        """Work of one session that ending the session cancels."""
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        task.set_name(f"terminal-{self.id}-{name}")
        feed.tasks.add(task)
        task.add_done_callback(feed.tasks.discard)
        task.add_done_callback(_log_failure)

    def _in_background(self, coro: Awaitable[None], name: str) -> None:
        """Work that runs to its end (peer connections, requests); `close` waits for it."""
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        task.set_name(f"terminal-{self.id}-{name}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(_log_failure)

    def _spawn_stop(self, session: str, reason: str) -> None:
        async def stop() -> None:
            try:
                await self._request(VideoStop(id=0, key=uuid.uuid4().hex, session=session))
            except (RequestError, ConnectionClosed, TimeoutError) as exc:
                log.info("terminal %s: video.stop %s (%s) failed: %s", self.id, session, reason, exc)

        self._in_background(stop(), f"stop-{session}")

    def drop(self) -> None:
        """End every session at once (the link is gone: the platform ended them); closing goes on in the background."""
        for feed in list(self.feeds.values()):
            self._end(feed, "stopped")
        for view in list(self.views.values()):
            self._end_view(view)
        self.sfu.drop()

    async def close(self) -> None:
        """End every session and wait until everything they opened is closed."""
        self.drop()
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)


def _wants(offer: str, kind: str) -> bool:
    """Whether an SDP offer has a media section of ``kind``."""
    return f"\nm={kind} " in f"\n{offer}"


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("media task %s failed", task.get_name(), exc_info=task.exception())
