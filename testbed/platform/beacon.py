"""A platform instance's mDNS presence (SPEC §8): announced after start, kept true to its role and epoch,
withdrawn on stop.

Discovery is only a hint for consoles, so the instance never waits on it: a role change just marks the
announcement stale, and one task re-announces the latest role and epoch (changes faster than that coalesce).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from protocols.aio.discovery import InstanceAnnouncement, PlatformAnnouncer
from protocols.messages import Role

log = logging.getLogger(__name__)

#: what the beacon asks the instance whenever it announces: its role ("active"/"standby") and epoch now
CurrentRole = Callable[[], tuple[str, int]]


class DiscoveryBeacon:
    """Announces one platform instance on the given addresses and re-announces it after every `changed`."""

    def __init__(self, addresses: Sequence[str], *, instance: str, current: CurrentRole, tls: bool = False,
                 path: str = "/") -> None:
        # DNS-SD names are case-insensitive, so the announced name is the lowercase instance name
        self.instance = instance.lower()
        self.addresses = tuple(addresses)
        self.tls, self.path = tls, path
        self._current = current
        # check now (a typo in an address fails at start-up, not in a background task); the port comes later
        InstanceAnnouncement(self.instance, self.addresses, 1, "standby", 0, tls=tls, path=path)
        self._announcer = PlatformAnnouncer()
        self._stale = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def announcement(self) -> InstanceAnnouncement | None:
        """What is on the network now (None before the name is claimed and after stop)."""
        return self._announcer.announcement

    def start(self, port: int) -> None:
        """Claim the name and announce ``port`` in the background."""
        if self._task is not None:
            raise RuntimeError("beacon already started")
        self._task = asyncio.get_running_loop().create_task(self._run(port), name=f"{self.instance}-mdns")

    def changed(self) -> None:
        """The role or epoch may have changed: re-announce soon (never blocks the caller)."""
        self._stale.set()

    async def stop(self) -> None:
        """Stop re-announcing and say goodbye, so browsers drop the instance at once."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            await self._announcer.stop()
        except Exception:
            log.exception("instance %s: mDNS goodbye failed", self.instance)

    def _role_now(self) -> tuple[Role, int]:
        role, epoch = self._current()
        return ("active" if role == "active" else "standby"), epoch

    async def _run(self, port: int) -> None:
        role, epoch = self._role_now()
        try:
            await self._announcer.start(self.instance, port, addresses=self.addresses, role=role, epoch=epoch,
                                        tls=self.tls, path=self.path)
        except Exception:
            # the instance keeps serving: consoles with configured addresses still reach it
            log.exception("instance %s cannot be announced on %s", self.instance, ",".join(self.addresses))
            return
        while True:
            self._stale.clear()
            role, epoch = self._role_now()
            try:
                await self._announcer.update(role=role, epoch=epoch)
            except Exception:
                log.exception("instance %s: mDNS re-announcement (%s, epoch %d) failed", self.instance, role, epoch)
            await self._stale.wait()
