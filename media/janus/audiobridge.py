"""Typed helpers for Janus's AudioBridge plugin: a mixed Opus room per talk group, floor control by muting.

Every party of a group (terminals and consoles alike) joins the group's room once with one audio PeerConnection
and stays joined; Janus sends each one the mix of the others. The platform keeps every participant muted except
the floor holder (`AudioBridgeAdmin.mute` / `unmute`, moderator requests on the platform's own handle), so our
floor control alone decides whose voice is mixed, and a grant costs one request whatever the size of the group.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from media.janus.client import JanusHandle, JanusSession, JsonObject, jsep_offer
from media.janus.rooms import RoomAdmin

__all__ = ["AUDIOBRIDGE", "AudioBridgeAdmin", "AudioBridgeParticipant"]

AUDIOBRIDGE = "janus.plugin.audiobridge"


class AudioBridgeAdmin(RoomAdmin):
    """Room management and moderation (synchronous requests) on a handle of its own."""

    PLUGIN = AUDIOBRIDGE

    async def create(self, room: int | None = None, *, description: str = "", sampling_rate: int = 48_000,
                     secret: str | None = None, prebuffering: int | None = 2, audiolevel_event: bool = False,
                     extra: Mapping[str, Any] | None = None) -> int:
        """Create a room (not permanent) mixing at ``sampling_rate``; its id (Janus picks one when None).

        ``prebuffering`` is how many 20 ms packets Janus buffers per participant before mixing (Janus's default
        is 6, 120 ms: too much for push-to-talk on a LAN).
        """
        body: JsonObject = {"request": "create", "description": description, "sampling_rate": sampling_rate,
                            "audiolevel_event": audiolevel_event, "permanent": False}
        if room is not None:
            body["room"] = room
        if secret is not None:
            body["secret"] = secret
        if prebuffering is not None:
            body["default_prebuffering"] = prebuffering
        body.update(extra or {})
        reply = await self.handle.message(body)
        return int(reply.data["room"])

    async def mute(self, room: int, participant: int, *, secret: str | None = None) -> None:
        """Take ``participant`` out of the mix (the floor is not theirs)."""
        await self._moderate("mute", room, participant, secret)

    async def unmute(self, room: int, participant: int, *, secret: str | None = None) -> None:
        """Put ``participant`` into the mix (they hold the floor)."""
        await self._moderate("unmute", room, participant, secret)

    async def _moderate(self, request: str, room: int, participant: int, secret: str | None) -> None:
        await self.request({"request": request, "room": room, "id": participant}, secret)


class AudioBridgeParticipant:
    """One party of an AudioBridge room with its audio PeerConnection (send the voice, receive the mix)."""

    def __init__(self, handle: JanusHandle, room: int, joined: JsonObject, answer_sdp: str | None) -> None:
        self.handle = handle
        self.room = room
        #: the participant id the moderator names in mute/unmute
        self.id = int(joined["id"])
        #: the room's other participants when this one joined
        self.participants = [p for p in joined.get("participants") or [] if isinstance(p, dict)]
        #: Janus's answer when the join carried an offer
        self.answer_sdp = answer_sdp

    @classmethod
    async def join(cls, session: JanusSession, room: int, *, display: str = "", participant_id: int | None = None,
                   muted: bool = True, offer_sdp: str | None = None, handle: JanusHandle | None = None,
                   extra: Mapping[str, Any] | None = None) -> Self:
        """Attach (unless ``handle`` is given) and join ``room``, muted by default (nobody holds the floor).

        With ``offer_sdp`` the join also negotiates the PeerConnection (Janus's answer in `answer_sdp`); without,
        call `configure` with the offer afterwards.
        """
        handle = handle or await session.attach(AUDIOBRIDGE)
        body: JsonObject = {"request": "join", "room": room, "display": display, "muted": muted, "codec": "opus"}
        if participant_id is not None:
            body["id"] = participant_id
        body.update(extra or {})
        try:
            reply = await handle.message(body, jsep=jsep_offer(offer_sdp) if offer_sdp is not None else None)
        except BaseException:
            await handle.detach()
            raise
        return cls(handle, room, reply.data, reply.sdp)

    async def configure(self, *, offer_sdp: str | None = None, muted: bool | None = None, **body: Any
                        ) -> str | None:
        """Negotiate (with ``offer_sdp``: Janus's answer is returned) and/or change settings such as ``muted``."""
        request: JsonObject = {"request": "configure", **body}
        if muted is not None:
            request["muted"] = muted
        reply = await self.handle.message(request, jsep=jsep_offer(offer_sdp) if offer_sdp is not None else None)
        if offer_sdp is not None:
            self.answer_sdp = reply.sdp
            if reply.sdp is None:
                raise ValueError(f"Janus answered the offer of participant {self.id} without SDP")
        return reply.sdp

    async def leave(self) -> None:
        """Leave the room and detach the handle."""
        try:
            if not self.handle.detached and not self.handle.client.lost:
                await self.handle.message({"request": "leave"})
        finally:
            await self.handle.detach()
