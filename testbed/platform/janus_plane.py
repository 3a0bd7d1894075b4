"""The platform's broker of the SFU media plane: the only party that talks to Janus (SPEC.md §5.14.9).

`PlatformState` stays deterministic and replicated: it records media sessions and which plane they use, and
addresses what concerns the SFU to the pseudo-principal `SFU`. The server hands those notifications to this
broker (`JanusPlane.deliver`), which does the Janus I/O and answers as the `SFU` principal through the server's
journal (`inject`), exactly like a party on a connection would: what it says is replicated, relayed and makes
sessions live like any SDP.

- **Publications** (a session whose sink is the SFU): the source offers; the broker joins a VideoRoom publisher
  for it in its group's room (one room per home group, cameras without a group share a room), publishes with
  the offer (video: the offer's first video m-line is described ``thumb``, the second ``hd``) and sends Janus's
  answer back. The feed is up at Janus's ``webrtcup``.
- **Subscriptions** (a session from a terminal to a sink, in the SFU plane): once the source's publication is
  up, the broker joins one subscriber handle on the stream the session's quality names and sends Janus's offer
  to the sink; the sink's answer starts it. A quality change is a VideoRoom ``switch`` (no renegotiation), a
  pause is ``pause`` / ``start``, a stop is ``leave``.
- **Voice**: a terminal's voice is an audio publication; the broker keeps it ``moderate``d (not relayed) unless
  its terminal holds a floor (`talkers`), whatever the terminal sends. A console's voice is published and
  moderated the same way (SPEC §5.14.9, "Consoles talk"), into the room of the group it talks in (`talk_room`), or,
  published warm before it talks, of the group it has selected; muted until it holds a floor.
- **Janus lost**: every handle is gone with it. The broker reports the loss (the state raises the "media plane
  down" alarm), tries to reconnect every `RECONNECT_EVERY` seconds, and once connected reports it back: the
  state clears the alarm and announces every SFU-plane session ``requested`` again, so sources publish afresh and
  the broker offers to every sink again, with no dispatcher action. Rooms are made again on first use (a Janus
  that kept running, e.g. after a switchover of the platform pair, has its stale rooms destroyed first).

Only the active instance runs the broker (`start` when it becomes active, `stop` when it steps down); the new
active of a pair rebuilds everything as after a Janus restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import re
import zlib
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from media.janus import (
    WEBRTCUP,
    JanusClient,
    JanusError,
    JanusSession,
    PluginError,
    PublishedStream,
    StreamRef,
    VideoRoomAdmin,
    VideoRoomPublisher,
    VideoRoomSubscriber,
)
from media.janus.videoroom import ROOM_EXISTS
from protocols.messages import (
    CallEnded,
    FloorGranted,
    FloorIdle,
    FloorTaken,
    MediaAnswer,
    MediaOffer,
    Notification,
    VideoSession,
)
from testbed.line import Line
from testbed.platform.model import SFU
from testbed.platform.state import PlatformState

log = logging.getLogger(__name__)

__all__ = ["RECONNECT_EVERY", "JanusPlane", "home_room", "talk_room", "talkers", "video_descriptions"]

#: seconds between two attempts to reach a lost Janus
RECONNECT_EVERY = 0.5
#: seconds between two WebSocket pings to Janus (unanswered for as long again: Janus is lost). A hung Janus must be
#: noticed well within the sessions' set-up bound (`VIDEO_SETUP_TIMEOUT`, 10 s): while "media plane down" is raised
#: the platform keeps SFU-plane sessions for Janus's return instead of failing them
PING_EVERY = 2.0
#: longest wait for a publication to come up before a subscription to it gives up (the session then fails)
FEED_WAIT = 20.0
#: publishers a room takes (the line's cameras without a group share one room)
ROOM_PUBLISHERS = 100
#: the room of terminals with no group (CCTV cameras)
NO_GROUP_ROOM = "CCTV"

Inject = Callable[[Notification], None]
Report = Callable[[bool, str], None]


def home_room(line: Line, terminal: str) -> str:
    """The group whose room a terminal publishes into: its most specific default group (fewest members), else
    the shared room of terminals without a group."""
    groups = line.groups_of(terminal)
    if not groups:
        return NO_GROUP_ROOM
    return min(groups, key=lambda g: (len(line.groups[g].members), g))


def room_number(name: str) -> int:
    """A stable VideoRoom id for a group (Janus wants numbers): the same on every instance and after restarts."""
    return 1000 + zlib.crc32(name.encode()) % 1_000_000


def talk_room(state: PlatformState, party: str) -> str | None:
    """The room a console's voice goes into: the group of the (first) call it talks in now, else (a warm publication,
    opened before it talks) its first warm group, the selected one; None when it has neither (or ``party`` is no
    console): the publisher's home room then. One publication serves every group: its subscribers join its room."""
    principal = state.principals.get(party)
    if principal is None or not principal.is_console:
        return None
    for call_id in sorted(state.calls.calls):
        call = state.calls.calls[call_id]
        holds = call.floor.holder == party if call.floor is not None else party in call.parties and not call.ringing
        if holds and call.info.group is not None:
            return call.info.group
    return next(iter(state.video.warm_groups_of(party)), None)


def talkers(state: PlatformState) -> set[str]:
    """Who may be heard now: floor holders, and both parties of full-duplex (private) calls."""
    found: set[str] = set()
    for call in state.calls.calls.values():
        if call.floor is not None:
            if call.floor.holder is not None:
                found.add(call.floor.holder)
        elif not call.ringing:
            found |= call.parties
    return found


_MEDIA = re.compile(r"^m=(\w+) ", re.MULTILINE)
_MID = re.compile(r"^a=mid:(\S+)", re.MULTILINE)


def video_descriptions(offer: str) -> dict[str, str]:
    """mid → description of a video publication's offer: its first video m-line is ``thumb``, the second ``hd``."""
    sections = re.split(r"(?m)^(?=m=)", offer)[1:]
    video_mids = []
    for section in sections:
        kind, mid = _MEDIA.search(section), _MID.search(section)
        if kind is not None and mid is not None and kind.group(1) == "video":
            video_mids.append(mid.group(1))
    return dict(zip(video_mids, ("thumb", "hd"), strict=False))


@dataclass
class _Publication:
    session: str
    source: str
    media: str
    room: str
    publisher: VideoRoomPublisher | None = None
    streams: tuple[PublishedStream, ...] = ()
    up: asyncio.Event = field(default_factory=asyncio.Event)
    #: the terminal's offer was answered (a later ``requested`` is a new round)
    answered: bool = False
    muted: bool | None = None
    gone: bool = False

    def mid(self, quality: str) -> str:
        wanted = quality if self.media == "video" else None
        for stream in self.streams:
            if stream.disabled:
                continue
            if (stream.type == "audio") if wanted is None else stream.description == wanted:
                return stream.mid
        raise KeyError(f"{self.source} publishes no {wanted or 'audio'} stream")


@dataclass
class _Subscription:
    session: str
    source: str
    sink: str
    media: str
    quality: str
    paused: bool
    subscriber: VideoRoomSubscriber | None = None
    #: the mid of the feed the subscription takes now
    feed_mid: str | None = None
    offered: bool = False
    started: bool = False
    gone: bool = False


class JanusPlane:
    """The SFU broker (see the module docstring).

    ``inject(message)`` hands a notification from the `SFU` principal to the platform (journaled, then relayed);
    ``report(up, reason)`` tells the platform the SFU went away or came back; ``talkers()`` names the terminals
    that hold a floor now (their voice is relayed).
    """

    def __init__(self, url: str, line: Line, *, inject: Inject, report: Report, talkers: Callable[[], set[str]],
                 rooms: Callable[[str], str | None] | None = None, reconnect_every: float = RECONNECT_EVERY) -> None:
        self.url = url
        self.line = line
        self._inject = inject
        self._report = report
        self._talkers = talkers
        #: the room a publisher that is not a terminal of the line goes into (a console: `talk_room`)
        self._rooms_of = rooms
        self.reconnect_every = reconnect_every
        self.client: JanusClient | None = None
        self._session: JanusSession | None = None
        self._admin: VideoRoomAdmin | None = None
        self._rooms: dict[str, asyncio.Future[int]] = {}
        self.publications: dict[str, _Publication] = {}
        self.subscriptions: dict[str, _Subscription] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self.running = False
        #: True while Janus answers (for the CLI summary and tests)
        self.up = False
        #: how many times the broker (re)connected to Janus
        self.connections = 0
        self._down_reported = False

    # ----- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> None:
        """Run the broker (the instance became active): connect to Janus, reconnect whenever it is lost."""
        if self.running:
            return
        self.running = True
        self._runner = asyncio.get_running_loop().create_task(self._run(), name="janus-plane")

    async def stop(self) -> None:
        """Stop brokering (stepping down, or stopping): close the connection; Janus drops our handles."""
        if not self.running:
            return
        self.running = False
        self.up = False
        self._connected.clear()
        runner, self._runner = self._runner, None
        client, self.client = self.client, None
        self._session = self._admin = None
        if runner is not None:
            runner.cancel()
            with contextlib.suppress(BaseException):
                await runner
        if not self.running:  # not started again meanwhile (a pair that flapped): its records are its own
            await self._drop_everything()
        if client is not None:
            await client.close()

    async def wait_up(self, timeout: float = 15.0) -> None:
        """Return once the broker is connected to Janus (TimeoutError otherwise)."""
        async with asyncio.timeout(timeout):
            await self._connected.wait()

    async def _run(self) -> None:
        while self.running:
            try:
                client = await JanusClient.connect(self.url, timeout=2.0, ping_interval=PING_EVERY)
            except (OSError, JanusError) as exc:
                if not self._down_reported:
                    self._down_reported = True
                    self._report(False, f"Janus at {self.url} unreachable: {exc}")
                await asyncio.sleep(self.reconnect_every)
                continue
            try:
                await self._open(client)
            except (OSError, JanusError) as exc:
                log.warning("Janus at %s: cannot set up a session: %s", self.url, exc)
                await client.close()
                await asyncio.sleep(self.reconnect_every)
                continue
            except BaseException:  # stopped meanwhile: the client is not ours to keep
                await client.close()
                raise
            reason = await client.wait_lost()
            if not self.running:
                return
            await self._lost(reason)

    async def _open(self, client: JanusClient) -> None:
        session = await client.create_session()
        admin = await VideoRoomAdmin.attach(session)
        self.client, self._session, self._admin = client, session, admin
        self._rooms = {}
        self.up = True
        self.connections += 1
        self._connected.set()
        self._down_reported = False
        log.info("media plane: connected to Janus at %s (%s)", self.url, "first time" if self.connections == 1
                 else f"connection {self.connections}")
        # the platform clears the alarm and has every SFU-plane session negotiated afresh
        self._report(True, "media plane up" if self.connections == 1 else "media plane restarted")

    async def _lost(self, reason: str) -> None:
        log.warning("media plane: Janus lost (%s); reconnecting every %g s", reason, self.reconnect_every)
        self.up = False
        self._connected.clear()
        await self._drop_everything()
        self.client = None
        self._down_reported = True
        self._report(False, reason)

    async def _drop_everything(self) -> None:
        """Forget every publication and subscription (their handles died with the connection)."""
        tasks, self._tasks = set(self._tasks), set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for publication in self.publications.values():
            publication.gone = True
        for subscription in self.subscriptions.values():
            subscription.gone = True
        self.publications.clear()
        self.subscriptions.clear()
        self._locks.clear()
        self._rooms = {}

    # ----- what the platform tells the SFU -------------------------------------------------------------------

    def deliver(self, message: Notification, to_sfu: bool) -> None:
        """A notification the platform delivers (``to_sfu``: addressed to the SFU). Never blocks, never injects
        synchronously: the platform is in the middle of delivering."""
        if not self.running:
            return
        if isinstance(message, FloorGranted | FloorTaken | FloorIdle | CallEnded):
            if self.up:
                self._spawn(self._moderate_all(), "moderate")
            return
        if not to_sfu or not self.up:
            return  # while Janus is down nothing can be done; its return negotiates everything afresh
        if isinstance(message, VideoSession) and message.plane == "sfu":
            if message.sink == SFU:
                self._on_publication(message)
            else:
                self._on_subscription(message)
        elif isinstance(message, MediaOffer):
            found = self.publications.get(message.session)
            if found is not None:
                self._serial(found.session, self._publish(found, message.sdp), "publish")
        elif isinstance(message, MediaAnswer):
            sub = self.subscriptions.get(message.session)
            if sub is not None:
                self._serial(sub.session, self._start(sub, message.sdp), "start")

    def _on_publication(self, message: VideoSession) -> None:
        name = message.session
        found = self.publications.get(name)
        if message.state in ("stopped", "failed"):
            if found is not None:
                self._retire(found)
            return
        if found is not None and message.state == "requested" and found.answered:
            self._retire(found)  # negotiated afresh (Janus came back): a new publisher
            found = None
        if found is None:
            room = (self._rooms_of(message.source) if self._rooms_of is not None else None) \
                or home_room(self.line, message.source)
            found = _Publication(name, message.source, message.media, room)
            self.publications[name] = found

    def _on_subscription(self, message: VideoSession) -> None:
        name = message.session
        found = self.subscriptions.get(name)
        if message.state in ("stopped", "failed"):
            if found is not None:
                self._retire(found)
            return
        if found is not None and message.state == "requested" and found.offered:
            self._retire(found)  # negotiated afresh
            found = None
        if found is None:
            found = _Subscription(name, message.source, message.sink, message.media, message.quality, message.paused)
            self.subscriptions[name] = found
            self._serial(name, self._subscribe(found), "subscribe")
            return
        changed = (found.quality, found.paused) != (message.quality, message.paused)
        found.quality, found.paused = message.quality, message.paused
        if changed:
            self._serial(name, self._follow(found), "follow")

    def _retire(self, record: _Publication | _Subscription) -> None:
        record.gone = True
        if isinstance(record, _Publication):
            if self.publications.get(record.session) is record:
                del self.publications[record.session]
            handle: VideoRoomPublisher | VideoRoomSubscriber | None = record.publisher
        else:
            if self.subscriptions.get(record.session) is record:
                del self.subscriptions[record.session]
            handle = record.subscriber
        if handle is not None:
            self._serial(record.session, _quietly(handle.leave), "leave")

    # ----- Janus work, one session at a time ------------------------------------------------------------------

    async def _room(self, name: str) -> int:
        """The room of a group on this connection to Janus, created on first use (stale ones destroyed first)."""
        made = self._rooms.get(name)
        if made is None:
            made = self._rooms[name] = asyncio.ensure_future(self._make_room(name))
            made.add_done_callback(_retrieved)  # its failure is each asker's; a room nobody awaits any more is quiet
        try:
            return await asyncio.shield(made)
        except BaseException:
            if self._rooms.get(name) is made and made.done():
                del self._rooms[name]
            raise

    async def _make_room(self, name: str) -> int:
        admin = self._admin
        if admin is None:
            raise JanusError("not connected")
        number = room_number(name)
        try:
            return await admin.create(number, description=name, publishers=ROOM_PUBLISHERS)
        except PluginError as exc:
            if exc.code != ROOM_EXISTS:
                raise
        # left over from before (another platform instance, or our previous connection): start clean
        await admin.destroy(number)
        return await admin.create(number, description=name, publishers=ROOM_PUBLISHERS)

    async def _publish(self, found: _Publication, offer: str) -> None:
        session = self._session
        if session is None or found.gone:
            return
        if found.publisher is not None:  # a new offer on the same session: a new publisher
            old, found.publisher = found.publisher, None
            found.up.clear()
            await _quietly(old.leave)
        room = await self._room(found.room)
        publisher = await VideoRoomPublisher.join(session, room, display=f"{found.source} {found.session}")
        if found.gone:
            await _quietly(publisher.leave)
            return
        found.publisher = publisher
        mark = publisher.handle.event_count
        descriptions = video_descriptions(offer) if found.media == "video" else None
        answer = await publisher.publish(offer, descriptions=descriptions)
        found.streams = publisher.streams
        found.answered = True
        self._inject(MediaAnswer(session=found.session, sdp=answer))
        log.info("media plane: %s publishes %s (session %s) in room %s", found.source, found.media, found.session,
                 found.room)
        await publisher.handle.wait_event(lambda e: e.kind == WEBRTCUP, after=mark, timeout=FEED_WAIT)
        if found.media == "audio":
            await self._moderate(found)
        found.up.set()

    async def _feed(self, source: str, media: str) -> _Publication:
        """The source's publication once it is up (polled: publications come and go with their sessions)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FEED_WAIT
        while True:
            found = next((p for p in self.publications.values() if p.source == source and p.media == media), None)
            if found is not None and found.up.is_set():
                return found
            if loop.time() > deadline:
                raise TimeoutError(f"{source}'s {media} is not published")
            await asyncio.sleep(0.05)

    async def _subscribe(self, sub: _Subscription) -> None:
        feed = await self._feed(sub.source, sub.media)
        session, publisher = self._session, feed.publisher
        if session is None or publisher is None or sub.gone:
            return
        mid = feed.mid(sub.quality)
        room = await self._room(feed.room)
        subscriber = await VideoRoomSubscriber.join(session, room, [StreamRef(publisher.feed_id, mid)])
        if sub.gone:
            await _quietly(subscriber.leave)
            return
        sub.subscriber, sub.feed_mid = subscriber, mid
        sub.offered = True
        self._inject(MediaOffer(session=sub.session, sdp=subscriber.offer_sdp))

    async def _start(self, sub: _Subscription, answer: str) -> None:
        if sub.subscriber is None or sub.gone:
            return
        await sub.subscriber.start(answer)
        sub.started = True
        await self._follow(sub)

    async def _follow(self, sub: _Subscription) -> None:
        """Bring a started subscription to its session's quality and pause state."""
        subscriber = sub.subscriber
        if subscriber is None or not sub.started or sub.gone:
            return
        feed = next((p for p in self.publications.values() if p.source == sub.source and p.media == sub.media), None)
        if feed is not None and feed.publisher is not None and feed.up.is_set():
            mid = feed.mid(sub.quality)
            if mid != sub.feed_mid:
                await subscriber.switch(feed.publisher.feed_id, mid)
                sub.feed_mid = mid
        if sub.paused != subscriber.paused:
            await (subscriber.pause() if sub.paused else subscriber.resume())

    async def _moderate_all(self) -> None:
        for found in list(self.publications.values()):
            if found.media == "audio" and found.up.is_set():
                await self._moderate(found)

    async def _moderate(self, found: _Publication) -> None:
        """Relay a terminal's voice only while it holds a floor (our floor control decides, not the terminal)."""
        admin, publisher = self._admin, found.publisher
        if admin is None or publisher is None or found.gone:
            return
        mute = found.source not in self._talkers()
        if found.muted == mute:
            return
        found.muted = mute
        try:
            await admin.moderate(await self._room(found.room), publisher.feed_id, found.mid("audio"), mute=mute)
        except (JanusError, KeyError) as exc:
            found.muted = None
            log.warning("media plane: cannot %s %s: %s", "mute" if mute else "unmute", found.source, exc)

    # ----- plumbing ----------------------------------------------------------------------------------------

    def _serial(self, key: str, work: Coroutine[Any, Any, None], what: str) -> None:
        """Run ``work`` after the session's earlier work (Janus requests of one session stay in order)."""
        lock = self._locks.setdefault(key, asyncio.Lock())

        async def serially() -> None:
            try:
                async with lock:
                    await work
            except (JanusError, TimeoutError, KeyError, ValueError) as exc:
                log.warning("media plane: session %s: %s failed: %s", key, what, exc)
            finally:
                if inspect.getcoroutinestate(work) == inspect.CORO_CREATED:
                    work.close()  # cancelled before its turn

        self._spawn(serially(), f"{what}-{key}")

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.ensure_future(work)
        task.set_name(f"janus-plane-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("media plane task %s failed", task.get_name(), exc_info=task.exception())


async def _quietly(work: Callable[[], Awaitable[None]]) -> None:
    """Run ``work()`` (made only when its turn comes: a cancelled turn leaves no coroutine unawaited), its Janus
    errors ignored."""
    with contextlib.suppress(JanusError, TimeoutError):
        await work()


def _retrieved(future: asyncio.Future[int]) -> None:
    if not future.cancelled():
        future.exception()
