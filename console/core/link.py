"""The desk's link to the platform: what `Desk` needs of it (`PlatformLink`), and `DeskLink`, the dual-live
client (protocols/aio/dual.py) with the two things the desk needs beyond it: the welcome of the serving
session (who we are, our groups and permissions) and a tap for undecodable input from the platform.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from protocols.aio.client import TrunkingClient
from protocols.aio.dual import DualLiveClient, LinkInfo
from protocols.codec import ProtocolError
from protocols.machines.session_events import SessionEvent, Violation
from protocols.messages import Message, Notification, Ok, PriorityClass, Request, Welcome

logger = logging.getLogger(__name__)


class PlatformLink(Protocol):
    """The platform as the desk talks to it: requests with one outcome each, notifications both ways."""

    @property
    def epoch(self) -> int: ...

    @property
    def serving(self) -> str | None: ...

    @property
    def split_brain(self) -> bool: ...

    @property
    def welcome(self) -> Welcome | None: ...

    async def request(self, request: Request, *, timeout: float | None = None) -> Ok: ...

    def notify(self, message: Notification) -> None: ...

    async def next_message(self) -> Message: ...

    async def set_affiliations(self, groups: Iterable[str], selected: str | None) -> Ok: ...

    def floor_wanted(self, call: str, priority: PriorityClass = "dispatcher", override: bool = False) -> None: ...

    def floor_released(self, call: str) -> None: ...

    def links(self) -> Mapping[str, LinkInfo]: ...

    async def close(self) -> None: ...


class DeskLink(DualLiveClient):
    """`DualLiveClient` plus the serving welcome and a tap for what the platform sent wrong."""

    #: called with (instance URL, error) for every undecodable or out-of-place message from the platform
    on_violation: Callable[[str, ProtocolError], None] | None = None

    @property
    def welcome(self) -> Welcome | None:
        """The welcome of the session commands go through now (None while none serves)."""
        # DualLiveClient has no public accessor for it yet (reported to the lead engineer)
        client: TrunkingClient | None = self._serving_client()
        return client.welcome if client is not None else None

    def _on_session_event(self, url: str, client: TrunkingClient, event: SessionEvent) -> None:
        if isinstance(event, Violation) and self.on_violation is not None:
            try:
                self.on_violation(url, event.error)
            except Exception:
                logger.exception("on_violation tap failed")
        super()._on_session_event(url, client, event)


__all__ = ["DeskLink", "PlatformLink"]
