"""The journal on the active side: every input becomes an entry, applied at once, answered once it is safe.

Safe means held by the standby (it acknowledged the entry's index) or, with no standby, committed under a
witness lease renewed as "alone". Alone without a pair at all, nothing waits: `_commit_now` applies and
delivers in the caller's turn of the loop. Delivery of the entries' notifications and the state's timer
live here too, since both follow from applying entries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import msgspec
import websockets
from websockets.asyncio.server import ServerConnection

from protocols.aio.server import Connection
from protocols.codec import ProtocolError
from protocols.machines.session_server import encode_notification
from protocols.messages import Error, FloorGranted, Message, Ok
from testbed.platform import peer as pm
from testbed.platform.instance import FAILOVER_GRACE, InstanceCore, NotActive
from testbed.platform.journal import Entry, apply_entry
from testbed.platform.model import SFU, Outbound

log = logging.getLogger(__name__)


@dataclass
class Pending:
    """An entry applied but not yet safe: its notifications and the answer wait for `done`."""

    entry: Entry
    out: list[Outbound]
    done: asyncio.Future[None]


class CommittingInstance(InstanceCore):
    """Commit, ship to the standby, settle; deliver what settles; keep the state's timer armed."""

    async def _commit_quietly(self, entry: Entry) -> None:
        with contextlib.suppress(NotActive):
            await self._commit(entry)

    # ----- the journal (active) ------------------------------------------------------------------

    async def _commit(self, template: Entry, message: Message | None = None) -> Ok | Error | None:
        """Apply an input as the next journal entry; return its answer once the entry is safe.

        ``message``: the entry's request or notification, already decoded."""
        answer, done = self._begin_commit(template, message)
        if done is not None:
            await done
        return answer

    def _begin_commit(self, template: Entry, message: Message | None = None
                      ) -> tuple[Ok | Error | None, asyncio.Future[None] | None]:
        """The synchronous part of `_commit`: the entry takes its place in the journal and is applied now; returns
        its answer and what to await until it is safe (None: safe already, a platform alone). `NotActive` on a
        standby."""
        if self.role != "active":
            raise NotActive("standby")
        if self._alone_and_active():
            return self._commit_now(template, message), None
        self.index += 1
        entry = msgspec.structs.replace(template, index=self.index, epoch=self.epoch, now=self.clock())
        answer, out = apply_entry(self.state, entry, message)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending[entry.index] = Pending(entry, out, done)
        if self._standby is not None:
            self._spawn(self._ship([entry]), "ship")
        self._settle()
        return answer, done

    def _commit_now(self, template: Entry, message: Message | None = None) -> Ok | Error | None:
        """`_commit` for a platform alone: nothing to replicate, so the entry is safe once applied."""
        self.index += 1
        entry = msgspec.structs.replace(template, index=self.index, epoch=self.epoch, now=self.clock())
        answer, out = apply_entry(self.state, entry, message)
        self._deliver(out)
        self._rearm()
        return answer

    async def _ship(self, entries: list[Entry]) -> None:
        standby = self._standby
        if standby is None:
            return
        try:
            await standby.send(pm.encoder.encode(pm.PeerAppend(entries=entries)))
        except websockets.ConnectionClosed:
            self._standby_lost(standby)

    def _settle(self) -> None:
        """Release every pending entry that is safe: held by the standby, or (alone) under a valid lease."""
        if not self._pending:
            self._rearm()
            return
        # Alone, acknowledge only under a lease renewed as "alone": the witness then knows the other
        # instance is outdated and will not promote it over what we acknowledge.
        alone_ok = self.pair is None or (self._standby is None and self._alone_confirmed and self._lease_valid())
        for index in sorted(self._pending):
            if not (alone_ok or index <= self._standby_acked):
                break
            pending = self._pending.pop(index)
            self._deliver(pending.out)
            if not pending.done.done():
                pending.done.set_result(None)
        self._rearm()

    def _fail_pending(self, reason: str) -> None:
        for pending in self._pending.values():
            if not pending.done.done():
                pending.done.set_exception(NotActive(reason))
        self._pending.clear()

    def _lease_valid(self) -> bool:
        return asyncio.get_running_loop().time() < self._lease_until

    def _standby_lost(self, ws: ServerConnection | websockets.ClientConnection) -> None:
        if self._standby is not ws:
            return
        self._standby = None
        ws.transport.abort()
        log.warning("%s: running without a standby", self.instance)
        self._settle()
        self._announce()
        if self.role == "active" and not self._stopping and self._standby_name:
            # Its sessions are gone with it unless it comes back and states them again within the grace.
            lost = Entry(index=0, epoch=0, now=0.0, kind="instance_lost", via=self._standby_name,
                         grace=FAILOVER_GRACE)
            self._spawn(self._commit_quietly(lost), "standby-lost")

    # ----- delivery and the timer ----------------------------------------------------------------

    def _deliver(self, out: list[Outbound]) -> None:
        consoles: list[Connection] | None = None
        sfu = self.sfu if self.sfu is not None and self.sfu.running else None
        for item in out:
            if item.via is not None and item.via != self.instance:
                continue
            if isinstance(item.message, FloorGranted):
                self.counters["floor_grants"] += 1
            if sfu is not None:
                sfu.deliver(item.message, SFU in item.to)
            targets: set[Connection] = set()
            for principal in item.to:
                targets |= self._conns.get(principal, set())
            if item.consoles:
                if consoles is None:
                    consoles = [c for p in self.state.console_ids() for c in self._conns.get(p, ())]
                targets.update(consoles)
            if not targets:
                continue
            try:  # one encoding for every receiver
                data = encode_notification(item.message, self.epoch)
            except ProtocolError as exc:  # a notification too large for one message: a platform bug
                log.error("%s: cannot send %s: %s", self.instance, type(item.message).__name__, exc)
                continue
            for conn in targets:
                if conn.session.epoch == self.epoch:
                    conn.send_encoded(data, self.epoch)
                else:
                    conn.send(item.message)

    def _rearm(self) -> None:
        deadline = None if self.role != "active" or self._stopping else self.state.get_timer()
        if deadline == self._timer_deadline and (deadline is None or self._timer is not None):
            return  # armed for that deadline already (the usual case: most entries move no deadline)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_deadline = deadline
        if deadline is None:
            return
        self._timer = asyncio.get_running_loop().call_later(max(0.0, deadline - self.clock()), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_deadline = None
        self._spawn(self._commit_quietly(Entry(index=0, epoch=0, now=0.0, kind="timer")), "timer")
