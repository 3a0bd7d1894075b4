"""What the VideoRoom and AudioBridge plugins share: room administration on a handle of the platform's own
(synchronous requests: exists, listparticipants, kick, destroy), each request carrying the room's secret if any."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from media.janus.client import JanusHandle, JanusSession, JsonObject

__all__ = ["RoomAdmin", "json_bool"]


def json_bool(value: Any) -> bool:
    """A flag in a plugin's reply (Janus answers with JSON booleans, some versions with "true"/"false")."""
    if isinstance(value, str):
        return value.lower() == "true"
    return value is True


class RoomAdmin:
    """Room management on a handle of its own; subclasses name their plugin and add its own requests."""

    #: the plugin's package name, e.g. ``janus.plugin.videoroom``
    PLUGIN: ClassVar[str]

    def __init__(self, handle: JanusHandle) -> None:
        self.handle = handle

    @classmethod
    async def attach(cls, session: JanusSession) -> Self:
        return cls(await session.attach(cls.PLUGIN))

    async def request(self, body: JsonObject, secret: str | None = None) -> JsonObject:
        """One synchronous request, with the room's ``secret`` when given; the plugin's data."""
        if secret is not None:
            body = {**body, "secret": secret}
        reply = await self.handle.message(body)
        return reply.data

    async def exists(self, room: int) -> bool:
        return json_bool((await self.request({"request": "exists", "room": room})).get("exists"))

    async def participants(self, room: int) -> list[JsonObject]:
        """The room's participants as the plugin lists them (``id``, ``display``, and the plugin's own fields)."""
        data = await self.request({"request": "listparticipants", "room": room})
        return [p for p in data.get("participants") or [] if isinstance(p, dict)]

    async def kick(self, room: int, participant: int, *, secret: str | None = None) -> None:
        await self.request({"request": "kick", "room": room, "id": participant}, secret)

    async def destroy(self, room: int, *, secret: str | None = None) -> None:
        """Destroy the room: Janus tells its participants and drops their PeerConnections."""
        await self.request({"request": "destroy", "room": room}, secret)

    async def detach(self) -> None:
        await self.handle.detach()
