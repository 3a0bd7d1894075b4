"""Active or standby, as the witness decides: hold the lease, follow the active, take over when it is lost.

Every promotion raises the epoch (the fencing token); anyone showing a higher epoch than ours deposes us.
Taking over journals the old active's loss (its sessions get FAILOVER_GRACE to come back), states this
instance's sessions, tells every client the new role and starts the SFU broker; stepping down fails what
was waiting to be acknowledged and drops the standby link.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from testbed.platform.instance import FAILOVER_GRACE
from testbed.platform.journal import Entry
from testbed.platform.replication import ReplicatingInstance
from testbed.platform.witness import LEASE, RENEW_EVERY

log = logging.getLogger(__name__)


class PairedInstance(ReplicatingInstance):
    """Role changes of an instance of a dual-live pair, driven by the witness (`_pair_loop`)."""

    def _superseded(self, epoch: int) -> None:
        """Someone has seen a higher epoch than ours: if we act as active, we have been deposed."""
        if self.role == "active" and self.pair is not None:
            log.warning("%s: a client carries epoch %d > %d: stepping down", self.instance, epoch, self.epoch)
            self._step_down(None)

    def _become_active(self, epoch: int) -> None:
        previous = self.active_name
        self.role, self.epoch, self.active_name = "active", epoch, self.instance
        self._alone_confirmed = False
        self._lease_until = asyncio.get_running_loop().time() + LEASE - RENEW_EVERY
        if self._upstream is not None:
            self._upstream.transport.abort()
            self._upstream = None
        log.warning("%s: active at epoch %d", self.instance, epoch)
        self._report(f"role active epoch {epoch}")
        if previous is not None and previous != self.instance:
            lost = Entry(index=0, epoch=0, now=0.0, kind="instance_lost", via=previous, grace=FAILOVER_GRACE)
            self._spawn(self._commit_quietly(lost), "instance-lost")
        self._sync_all_sessions()
        self._announce()
        self._rearm()
        if self.sfu is not None:  # the new active owns the media plane: it rebuilds it as after a Janus restart
            self.sfu.start()

    def _step_down(self, active: str | None) -> None:
        if self.role == "active":
            log.warning("%s: stepping down from epoch %d (active now %s)", self.instance, self.epoch, active)
        self.role = "standby"
        self.active_name = active
        if self.sfu is not None:
            self._spawn(self.sfu.stop(), "sfu-stop")
        self._report(f"role standby epoch {self.epoch} (active {active})")
        self._fail_pending("stepped down")
        standby, self._standby = self._standby, None
        if standby is not None:
            standby.transport.abort()
        self._rearm()
        self._announce()

    async def _pair_loop(self) -> None:
        """Hold the lease while active; follow the active while standby; take over when it is lost."""
        assert self.pair is not None and self._witness is not None
        loop = asyncio.get_running_loop()
        while not self._stopping:
            if self.role == "active":
                sent = loop.time()
                alone = self._standby is None
                verdict = await self._witness.ask("renew", self.epoch, alone=alone)
                if verdict is not None and verdict.ok:
                    self._lease_until = sent + LEASE - RENEW_EVERY
                    self._alone_confirmed = alone and self._standby is None
                    self._settle()
                elif verdict is not None:
                    self._step_down(verdict.active)
                    continue
                self._renew_now.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._renew_now.wait(), RENEW_EVERY)
                continue
            # standby: find the active and follow it; when it is gone, ask for the lease
            verdict = await self._witness.ask("status")
            if verdict is None:
                await asyncio.sleep(0.1)
                continue
            self.epoch = max(self.epoch, verdict.epoch)
            if not verdict.lease_valid or verdict.active in (None, self.instance):
                granted = await self._witness.ask("promote", self.epoch)
                if granted is not None and granted.ok and granted.active == self.instance \
                        and granted.epoch > self.epoch:
                    self._become_active(granted.epoch)
                    continue
                await asyncio.sleep(0.05)
                continue
            self.active_name = verdict.active
            url = self.pair.peer_urls.get(verdict.active or "")
            if url is None:
                await asyncio.sleep(0.2)
                continue
            await self._follow(url)
            await asyncio.sleep(0.02)
