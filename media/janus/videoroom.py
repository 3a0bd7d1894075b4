"""Typed helpers for Janus's VideoRoom plugin (multistream API of Janus 1.x): rooms, publishers, subscribers.

How trunkdesk uses it (the platform drives all of it; terminals and consoles only see SDP):

- a room per group or incident, H.264 only, room for 30 and more publishers (`VideoRoomAdmin.create`);
- a terminal publishes ONE PeerConnection with two video tracks, thumbnail and HD (aiortc has no simulcast), and
  `VideoRoomPublisher.publish` names them with ``descriptions`` so that subscribers can pick by name;
- a console tile is one subscriber handle on one stream (`VideoRoomSubscriber.join` → Janus's offer →
  `VideoRoomSubscriber.start` with the answer); thumbnail ↔ HD is `switch` (no renegotiation), a hidden tile is
  paused (`pause` / `resume`, or `configure` with ``send``) rather than torn down.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

from media.janus.client import JanusHandle, JanusSession, JsonObject, PluginReply, jsep_answer, jsep_offer
from media.janus.rooms import RoomAdmin, json_bool

__all__ = [
    "VIDEOROOM",
    "PublishedStream",
    "Publisher",
    "StreamRef",
    "SubscribedStream",
    "VideoRoomAdmin",
    "VideoRoomPublisher",
    "VideoRoomSubscriber",
]

VIDEOROOM = "janus.plugin.videoroom"
#: VideoRoom error codes worth telling apart
NO_SUCH_ROOM, ROOM_EXISTS, NO_SUCH_FEED = 426, 427, 428


@dataclass(frozen=True)
class PublishedStream:
    """One stream of a publisher, as Janus lists it: ``mid`` is what subscribers name."""

    mid: str
    type: str
    codec: str | None = None
    description: str | None = None
    disabled: bool = False

    @classmethod
    def from_json(cls, item: JsonObject) -> Self:
        return cls(mid=str(item.get("mid", "")), type=str(item.get("type", "")),
                   codec=item.get("codec"), description=item.get("description"),
                   disabled=json_bool(item.get("disabled")))


@dataclass(frozen=True)
class Publisher:
    """An active publisher (a feed) of a room."""

    id: int
    display: str
    streams: tuple[PublishedStream, ...]

    @classmethod
    def from_json(cls, item: JsonObject) -> Self:
        streams = item.get("streams") or []
        return cls(id=int(item["id"]), display=str(item.get("display", "")),
                   streams=tuple(PublishedStream.from_json(s) for s in streams if isinstance(s, dict)))

    def mid_of(self, description: str) -> str:
        """The mid of the stream published with ``description`` (KeyError when there is none)."""
        for stream in self.streams:
            if stream.description == description and not stream.disabled:
                return stream.mid
        raise KeyError(f"feed {self.id} publishes no stream described {description!r}")


@dataclass(frozen=True)
class StreamRef:
    """A publisher's stream to subscribe to: ``feed`` id and its ``mid`` (None: every stream of the feed)."""

    feed: int
    mid: str | None = None

    def to_json(self) -> JsonObject:
        return {"feed": self.feed} if self.mid is None else {"feed": self.feed, "mid": self.mid}


@dataclass(frozen=True)
class SubscribedStream:
    """One m-line of a subscription: its own ``mid`` and the feed stream that feeds it."""

    mid: str
    type: str
    feed_id: int | None
    feed_mid: str | None
    send: bool
    ready: bool

    @classmethod
    def from_json(cls, item: JsonObject) -> Self:
        feed = item.get("feed_id")
        return cls(mid=str(item.get("mid", "")), type=str(item.get("type", "")),
                   feed_id=int(feed) if isinstance(feed, int) else None, feed_mid=item.get("feed_mid"),
                   send=json_bool(item.get("send", True)), ready=json_bool(item.get("ready")))


def _streams(data: JsonObject) -> tuple[SubscribedStream, ...]:
    items = data.get("streams") or []
    return tuple(SubscribedStream.from_json(s) for s in items if isinstance(s, dict))


class VideoRoomAdmin(RoomAdmin):
    """Room management (synchronous requests) on a handle of its own."""

    PLUGIN = VIDEOROOM

    async def create(self, room: int | None = None, *, description: str = "", publishers: int = 32,
                     videocodec: str = "h264", audiocodec: str = "opus", bitrate: int = 0, fir_freq: int = 0,
                     secret: str | None = None, h264_profile: str | None = None, notify_joining: bool = False,
                     extra: Mapping[str, Any] | None = None) -> int:
        """Create a room (not permanent) and return its id (Janus picks one when ``room`` is None).

        ``publishers`` is the most feeds the room takes; ``bitrate`` 0 leaves publishers uncapped (aiortc sends
        pre-encoded clips at their own rate anyway); ``fir_freq`` 0: no periodic keyframe requests.
        """
        if publishers < 1:
            raise ValueError("a room needs room for at least one publisher")
        body: JsonObject = {"request": "create", "description": description, "publishers": publishers,
                            "videocodec": videocodec, "audiocodec": audiocodec, "bitrate": bitrate,
                            "fir_freq": fir_freq, "notify_joining": notify_joining, "permanent": False}
        if room is not None:
            body["room"] = room
        if secret is not None:
            body["secret"] = secret
        if h264_profile is not None:
            body["h264_profile"] = h264_profile
        body.update(extra or {})
        reply = await self.handle.message(body)
        return int(reply.data["room"])

    async def moderate(self, room: int, feed: int, mid: str, *, mute: bool, secret: str | None = None) -> None:
        """Stop (``mute=True``) or resume relaying ``feed``'s stream ``mid`` to every subscriber: how the platform
        enforces the floor on voice published into a room, whatever the terminal sends."""
        body: JsonObject = {"request": "moderate", "room": room, "id": feed, "mid": mid, "mute": mute}
        if secret is not None:
            body["secret"] = secret
        await self.handle.message(body)


class VideoRoomPublisher:
    """A participant that publishes one PeerConnection (a terminal's camera, thumbnail and HD as two tracks)."""

    def __init__(self, handle: JanusHandle, room: int, joined: JsonObject) -> None:
        self.handle = handle
        self.room = room
        #: the feed id subscribers name
        self.feed_id = int(joined["id"])
        self.private_id: int | None = joined.get("private_id")
        #: the room's active publishers when this one joined
        self.publishers = [Publisher.from_json(p) for p in joined.get("publishers") or [] if isinstance(p, dict)]
        #: this feed's streams once published (mids and descriptions, as Janus lists them)
        self.streams: tuple[PublishedStream, ...] = ()

    @classmethod
    async def join(cls, session: JanusSession, room: int, *, display: str = "", feed_id: int | None = None,
                   handle: JanusHandle | None = None) -> Self:
        """Attach (unless ``handle`` is given) and join ``room`` as a publisher, not yet publishing."""
        handle = handle or await session.attach(VIDEOROOM)
        body: JsonObject = {"request": "join", "ptype": "publisher", "room": room, "display": display}
        if feed_id is not None:
            body["id"] = feed_id
        try:
            reply = await handle.message(body)
        except BaseException:
            await handle.detach()
            raise
        return cls(handle, room, reply.data)

    async def publish(self, offer_sdp: str, *, descriptions: Mapping[str, str] | None = None,
                      bitrate: int | None = None, videocodec: str | None = None) -> str:
        """Publish with the terminal's complete SDP offer; Janus's SDP answer.

        ``descriptions`` maps mids of the offer to names (``{"0": "thumb", "1": "hd"}``) that subscribers pick by.
        """
        body: JsonObject = {"request": "publish"}
        if descriptions:
            body["descriptions"] = [{"mid": mid, "description": text} for mid, text in descriptions.items()]
        if bitrate is not None:
            body["bitrate"] = bitrate
        if videocodec is not None:
            body["videocodec"] = videocodec
        reply = await self.handle.message(body, jsep=jsep_offer(offer_sdp))
        if reply.sdp is None:
            raise ValueError(f"Janus answered the publish of feed {self.feed_id} without SDP")
        self.streams = tuple(PublishedStream.from_json(s) for s in reply.data.get("streams") or []
                             if isinstance(s, dict))
        return reply.sdp

    def as_publisher(self) -> Publisher:
        """This feed as subscribers see it (valid once published)."""
        return Publisher(self.feed_id, "", self.streams)

    async def configure(self, **body: Any) -> PluginReply:
        """A ``configure`` request (``mid`` + ``send``, ``keyframe``, ``bitrate``, ``descriptions``, ...)."""
        return await self.handle.message({"request": "configure", **body})

    async def unpublish(self) -> None:
        await self.handle.message({"request": "unpublish"})

    async def leave(self) -> None:
        """Leave the room (unpublishing) and detach the handle."""
        try:
            if not self.handle.detached and not self.handle.client.lost:
                await self.handle.message({"request": "leave"})
        finally:
            await self.handle.detach()


class VideoRoomSubscriber:
    """A subscription on a handle of its own: one per console tile (usually one stream)."""

    def __init__(self, handle: JanusHandle, room: int, reply: PluginReply) -> None:
        self.handle = handle
        self.room = room
        if reply.sdp is None:
            raise ValueError(f"Janus sent no offer for the subscription in room {room}")
        #: Janus's SDP offer, to be answered with `start`
        self.offer_sdp: str = reply.sdp
        self.streams = _streams(reply.data)
        self.paused = False

    @classmethod
    async def join(cls, session: JanusSession, room: int, streams: Sequence[StreamRef], *,
                   private_id: int | None = None, handle: JanusHandle | None = None) -> Self:
        """Attach (unless ``handle`` is given) and subscribe to ``streams``; Janus's offer is in `offer_sdp`."""
        if not streams:
            raise ValueError("a subscription needs at least one stream")
        handle = handle or await session.attach(VIDEOROOM)
        body: JsonObject = {"request": "join", "ptype": "subscriber", "room": room,
                            "streams": [s.to_json() for s in streams]}
        if private_id is not None:
            body["private_id"] = private_id
        try:
            reply = await handle.message(body)
            return cls(handle, room, reply)
        except BaseException:
            await handle.detach()
            raise

    async def start(self, answer_sdp: str) -> None:
        """Complete the negotiation with the subscriber's SDP answer; media flows once ICE and DTLS are up."""
        await self.handle.message({"request": "start"}, jsep=jsep_answer(answer_sdp))
        self.paused = False

    def _sub_mid(self, sub_mid: str | None) -> str:
        if sub_mid is not None:
            return sub_mid
        if len(self.streams) != 1:
            raise ValueError(f"the subscription has {len(self.streams)} streams: say which one (sub_mid)")
        return self.streams[0].mid

    async def switch(self, feed: int, mid: str, *, sub_mid: str | None = None) -> None:
        """Feed the subscription's m-line ``sub_mid`` (default: the only one) from ``feed``'s stream ``mid``,
        without renegotiation (thumbnail ↔ HD, or another camera of the same codec)."""
        target = self._sub_mid(sub_mid)
        if any(s.mid == target and s.feed_id == feed and s.feed_mid == mid for s in self.streams):
            return  # already fed from there (Janus would answer "0 changes")
        body: JsonObject = {"request": "switch", "streams": [{"feed": feed, "mid": mid, "sub_mid": target}]}
        reply = await self.handle.message(body)
        if not reply.data.get("changes", 1):
            raise ValueError(f"Janus switched nothing: feed {feed} has no stream {mid!r} of a matching kind")
        self.streams = _streams(reply.data) or self.streams

    async def pause(self) -> None:
        """Stop relaying every stream of the subscription (the PeerConnection stays up)."""
        await self.handle.message({"request": "pause"})
        self.paused = True

    async def resume(self) -> None:
        """Relay again after `pause` (``start`` without JSEP)."""
        await self.handle.message({"request": "start"})
        self.paused = False

    async def configure(self, *, mid: str | None = None, send: bool | None = None, **body: Any) -> None:
        """Per-stream control: ``send=False`` pauses one m-line only (``mid``), ``send=True`` resumes it."""
        request: JsonObject = {"request": "configure", **body}
        if mid is not None:
            request["mid"] = mid
        if send is not None:
            request["send"] = send
        await self.handle.message(request)

    async def leave(self) -> None:
        """End the subscription and detach the handle."""
        try:
            if not self.handle.detached and not self.handle.client.lost:
                await self.handle.message({"request": "leave"})
        finally:
            await self.handle.detach()
