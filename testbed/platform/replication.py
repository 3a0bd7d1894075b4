"""The pair link, both ends: the standby follows the active's journal; the active serves its standby.

The standby dials the active's peer port, loads its snapshot, applies and acknowledges every entry after it,
and forwards what its own sessions do (`_sync_sessions`, `_forward`), so that a client cut off from the
active alone keeps working through the standby. The active ships its entries (commit.py), takes the
acknowledgements that settle them, and commits the forwarded inputs as its own. Each side heartbeats the
other; silence for PEER_SILENCE means the link is lost. The wire format is in peer.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import secrets
from collections.abc import Callable
from typing import Any

import msgspec
import websockets
from websockets.asyncio.server import ServerConnection

from protocols.aio.wirelog import frame_safe_logger
from protocols.codec import ProtocolError, decode, encode
from protocols.constants import ErrorCode
from protocols.messages import Error, Notification, Ok, Request
from testbed.platform import peer as pm
from testbed.platform.commit import CommittingInstance
from testbed.platform.instance import NotActive
from testbed.platform.journal import Entry, apply_entry

log = logging.getLogger(__name__)

#: the pair link's heartbeat: each side sends at least this often, and a peer silent for PEER_SILENCE is lost
PEER_HEARTBEAT = 0.15
PEER_SILENCE = 0.6


class ReplicatingInstance(CommittingInstance):
    """Both ends of the pair link, and the sessions of this instance stated to the journal through it."""

    # ----- this instance's sessions, stated to the journal (through the active when standby) ---------

    async def _sync_sessions(self, principal: str, *, token: str = "", orderly: bool = False) -> None:
        """Tell the journal how many sessions ``principal`` has here (through the active when standby)."""
        count = len(self._conns.get(principal, ()))
        with contextlib.suppress(NotActive, ConnectionError, websockets.ConnectionClosed):
            if self.role == "active":
                await self._commit(self._sessions_entry(principal, count, token, orderly))
            elif self._upstream is not None:
                await self._send_upstream(pm.PeerSession(principal=principal, count=count, token=token,
                                                         orderly=orderly))

    def _state_session_now(self, principal: str, *, token: str = "") -> None:
        """`_sync_sessions` for a session being welcomed: on the active, its journal entry is applied before this
        returns (so that the session is known to the first request the client sends once welcomed), and made safe
        in the background (the welcome does not wait for the standby or the witness's lease); on a standby, it goes
        to the active ahead of anything the session forwards."""
        if self.role != "active":
            self._spawn(self._sync_sessions(principal, token=token), "attach")
            return
        count = len(self._conns.get(principal, ()))
        _, done = self._begin_commit(self._sessions_entry(principal, count, token, False))
        if done is not None:
            self._spawn(self._await_quietly(done), "attach")

    @staticmethod
    async def _await_quietly(done: asyncio.Future[None]) -> None:
        with contextlib.suppress(NotActive):
            await done

    def _sessions_entry(self, principal: str, count: int, token: str, orderly: bool) -> Entry:
        return Entry(index=0, epoch=0, now=0.0, kind="sessions", principal=principal, via=self.instance,
                     count=count, token=token, orderly=orderly)

    def _sync_all_sessions(self) -> None:
        """After taking over or (re)joining the active: state every principal's sessions here."""
        held = {p for p, r in self.state.principals.items() if r.sessions.get(self.instance)}
        for principal in sorted(held | set(self._conns)):
            self._spawn(self._sync_sessions(principal), "sessions")

    # ----- the pair link: standby side ------------------------------------------------------------

    async def _follow(self, url: str) -> None:
        """Follow the active at ``url`` until the link breaks."""
        assert self.pair is not None
        try:
            ws = await websockets.connect(url, compression=None, max_size=None, open_timeout=0.5,
                                          ping_interval=None, logger=frame_safe_logger("websockets.client"))
        except (OSError, TimeoutError, websockets.WebSocketException) as exc:
            log.debug("%s: cannot reach the active at %s: %s", self.instance, url, exc)
            await asyncio.sleep(0.1)
            return
        try:
            await ws.send(pm.encoder.encode(pm.PeerHello(instance=self.instance, epoch=self.epoch,
                                                         secret=self.pair.secret)))
            first = pm.decoder.decode(await asyncio.wait_for(ws.recv(decode=False), 2.0))
            if not isinstance(first, pm.PeerSnapshot):
                return
            self.state = pickle.loads(first.state)
            self.index, self.epoch, self.active_name = first.index, first.epoch, first.instance
            self._upstream = ws
            await ws.send(pm.encoder.encode(pm.PeerAck(index=self.index)))
            log.info("%s: following %s at epoch %d from entry %d", self.instance, first.instance, self.epoch,
                     self.index)
            self._report(f"role standby epoch {self.epoch} following {first.instance} from entry {self.index}")
            self._sync_all_sessions()
            self._announce()
            beat = asyncio.get_running_loop().create_task(self._beat(ws, lambda: pm.PeerAck(index=self.index)))
            try:
                await self._follow_entries(ws)
            finally:
                beat.cancel()
        except (websockets.ConnectionClosed, TimeoutError, msgspec_errors()) as exc:
            log.warning("%s: lost the active: %s", self.instance, exc)
        finally:
            if self._upstream is ws:
                self._upstream = None
            ws.transport.abort()
            for future in self._forwards.values():
                if not future.done():
                    future.set_exception(NotActive("link to the active lost"))
            self._forwards.clear()
            if self.role == "standby":
                self._announce()

    async def _beat(self, ws: Any, message: Callable[[], pm.PeerMessage]) -> None:
        """Send a heartbeat on the pair link every PEER_HEARTBEAT."""
        with contextlib.suppress(websockets.ConnectionClosed, asyncio.CancelledError):
            while True:
                await asyncio.sleep(PEER_HEARTBEAT)
                await ws.send(pm.encoder.encode(message()))

    async def _follow_entries(self, ws: websockets.ClientConnection) -> None:
        """Apply the active's entries as they come; a silence of PEER_SILENCE means the active is lost."""
        while True:
            data = await asyncio.wait_for(ws.recv(decode=False), PEER_SILENCE)
            message = pm.decoder.decode(data)
            if isinstance(message, pm.PeerAppend):
                for entry in message.entries:
                    if entry.index != self.index + 1:
                        log.error("%s: journal gap: got %d after %d", self.instance, entry.index, self.index)
                        return
                    self.index = entry.index
                    _, out = apply_entry(self.state, entry)
                    self._deliver(out)
                if message.entries:
                    await ws.send(pm.encoder.encode(pm.PeerAck(index=self.index)))
            elif isinstance(message, pm.PeerAnswer):
                future = self._forwards.pop(message.fid, None)
                if future is not None and not future.done():
                    future.set_result(message.body)

    async def _send_upstream(self, message: pm.PeerMessage) -> None:
        upstream = self._upstream
        if upstream is None:
            raise NotActive("no link to the active")
        await upstream.send(pm.encoder.encode(message))

    async def _forward(self, principal: str, message: Request | Notification) -> Ok | Error | None:
        self._next_fid += 1
        fid = self._next_fid
        body = encode(message)
        if isinstance(message, Request):
            future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
            self._forwards[fid] = future
            await self._send_upstream(pm.PeerForward(fid=fid, principal=principal, body=body))
            answer = decode(await future)
            assert isinstance(answer, Ok | Error)
            return msgspec.structs.replace(answer, re=message.id)
        await self._send_upstream(pm.PeerForward(fid=0, principal=principal, body=body))
        return None

    # ----- the pair link: active side -------------------------------------------------------------

    async def _serve_peer(self, ws: ServerConnection) -> None:
        assert self.pair is not None
        try:
            hello = pm.decoder.decode(await asyncio.wait_for(ws.recv(decode=False), 2.0))
            if not isinstance(hello, pm.PeerHello) or not secrets.compare_digest(hello.secret, self.pair.secret):
                await ws.close(4001, "not a peer of this pair")
                return
            if self.role != "active" or hello.instance == self.instance:
                await ws.close(4005, "not active")
                return
            if self._standby is not None:
                self._standby.transport.abort()
            snapshot = pm.PeerSnapshot(instance=self.instance, epoch=self.epoch, index=self.index,
                                       state=pickle.dumps(self.state, protocol=pickle.HIGHEST_PROTOCOL))
            # Become the standby link before the first await, so that every entry after the snapshot is
            # shipped behind it, in order.
            self._standby = ws
            self._standby_name = hello.instance
            self._standby_acked = 0
            await ws.send(pm.encoder.encode(snapshot))
            self._renew_now.set()
            log.info("%s: %s follows from entry %d", self.instance, hello.instance, self.index)
            self._announce()
            beat = asyncio.get_running_loop().create_task(self._beat(ws, lambda: pm.PeerAppend(entries=[])))
            try:
                await self._serve_standby(ws, hello.instance)
            finally:
                beat.cancel()
        except (websockets.ConnectionClosed, TimeoutError, msgspec_errors()) as exc:
            log.warning("%s: standby link lost: %s", self.instance, exc)
        finally:
            self._standby_lost(ws)

    async def _serve_standby(self, ws: ServerConnection, standby: str) -> None:
        """Take the standby's acknowledgements and forwarded inputs; silence means it is lost."""
        while True:
            message = pm.decoder.decode(await asyncio.wait_for(ws.recv(decode=False), PEER_SILENCE))
            if isinstance(message, pm.PeerAck):
                self._standby_acked = max(self._standby_acked, message.index)
                self._settle()
            elif isinstance(message, pm.PeerSession):
                entry = Entry(index=0, epoch=0, now=0.0, kind="sessions", principal=message.principal,
                              via=standby, count=message.count, token=message.token, orderly=message.orderly)
                self._spawn(self._commit_quietly(entry), "peer-session")
            elif isinstance(message, pm.PeerForward):
                self._spawn(self._serve_forward(ws, message), "forward")

    async def _serve_forward(self, ws: ServerConnection, message: pm.PeerForward) -> None:
        try:
            forwarded = decode(message.body)
        except ProtocolError:
            return
        try:
            answer = await self._commit(self._entry_of(message.principal, forwarded), forwarded)
        except NotActive as exc:
            assert isinstance(forwarded, Request) or message.fid == 0
            answer = Error(code=int(ErrorCode.NOT_ACTIVE), reason=str(exc))
        if message.fid and answer is not None:
            with contextlib.suppress(websockets.ConnectionClosed):
                await ws.send(pm.encoder.encode(pm.PeerAnswer(fid=message.fid, body=encode(answer))))


def msgspec_errors() -> type[Exception]:
    return msgspec.DecodeError
