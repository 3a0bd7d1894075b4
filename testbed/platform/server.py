"""One reference platform instance on the network: `PlatformState` behind a `TrunkingServer`.

Alone (no witness), an instance is active at epoch 1 and applies every input at once. In a dual-live pair
(`PlatformServer(..., pair=PairConfig(...))`) it is active or standby as the witness decides:

* the **active** turns every input into a journal entry, applies it, ships it to the standby and delivers
  the answer and the notifications only once the standby holds the entry (or, with no standby, only while
  it holds the witness's lease), so an acknowledged command is never lost;
* the **standby** follows the active's journal, answers hellos, and forwards what its sessions do to the
  active, so a client cut off from the active alone keeps working through it; when the active is lost it
  asks the witness for a higher epoch and takes over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import secrets
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import websockets
from websockets.asyncio.server import Server, ServerConnection, serve

from protocols.aio.server import Connection, TrunkingServer
from protocols.aio.wirelog import frame_safe_logger
from protocols.codec import ProtocolError, decode, encode
from protocols.constants import (
    HEARTBEAT_INTERVAL,
    HEARTBEAT_LOSS_THRESHOLD,
    SUPPORTED_VERSIONS,
    CloseCode,
    ErrorCode,
)
from protocols.machines.session_server import encode_notification
from protocols.messages import (
    Bye,
    Error,
    FloorGranted,
    Hello,
    Message,
    Notification,
    Ok,
    PlatformRole,
    Request,
    Welcome,
)
from testbed.line import Line
from testbed.platform import peer as pm
from testbed.platform.beacon import DiscoveryBeacon
from testbed.platform.janus_plane import JanusPlane, talk_room, talkers
from testbed.platform.journal import Entry, apply_entry, message_entry
from testbed.platform.model import SFU, Outbound
from testbed.platform.state import PlatformState
from testbed.platform.witness import LEASE, RENEW_EVERY, WitnessClient

log = logging.getLogger(__name__)

#: terminals heartbeat less often than consoles: thousands of them, and they do not fail over themselves
TERMINAL_HEARTBEAT = 2.0
#: seconds a principal of a lost instance has to come back (to the new active) before it counts as gone
FAILOVER_GRACE = 5.0
#: the pair link's heartbeat: each side sends at least this often, and a peer silent for PEER_SILENCE is lost
PEER_HEARTBEAT = 0.15
PEER_SILENCE = 0.6


class NotActive(Exception):
    """The instance cannot acknowledge: it is (or just became) standby, or it lost its quorum."""


@dataclass(frozen=True)
class PairConfig:
    """Where the other instance and the witness are."""

    witness: str
    #: peer (replication) WebSocket URL of every instance of the pair, by name, this one included
    peer_urls: dict[str, str]
    #: client (TDP/1) URL of every instance, for `platform.role` announcements
    client_urls: dict[str, str] = field(default_factory=dict)
    peer_host: str = "127.0.0.1"
    peer_port: int = 0
    secret: str = ""


@dataclass
class _Pending:
    entry: Entry
    out: list[Outbound]
    done: asyncio.Future[None]


class PlatformServer:
    """A reference platform instance serving TDP/1 on ``host:port`` (port 0 picks a free one)."""

    def __init__(
        self,
        line: Line,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        instance: str = "A",
        epoch: int = 1,
        ssl: Any = None,
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
        loss_threshold: int = HEARTBEAT_LOSS_THRESHOLD,
        terminal_heartbeat: float = TERMINAL_HEARTBEAT,
        pair: PairConfig | None = None,
        clock: Callable[[], float] = time.time,
        announce: Sequence[str] = (),
        janus_url: str | None = None,
    ) -> None:
        self.line = line
        self.instance = instance
        self.pair = pair
        self.epoch = epoch if pair is None else 0
        self.role = "active" if pair is None else "standby"
        self.state = PlatformState(line, media_plane="sfu" if janus_url else "direct")
        #: the SFU media plane's broker (Janus at ``janus_url``), run while this instance is active
        self.sfu = JanusPlane(janus_url, line, inject=self._sfu_says, report=self._sfu_state,
                              talkers=lambda: talkers(self.state),
                              rooms=lambda party: talk_room(self.state, party)) if janus_url else None
        self.clock = clock
        self.heartbeat_interval = heartbeat_interval
        self.terminal_heartbeat = terminal_heartbeat
        self.loss_threshold = loss_threshold
        self.server = TrunkingServer(self, host=host, port=port, ssl=ssl,
                                     heartbeat_interval=heartbeat_interval, loss_threshold=loss_threshold)
        self.counters: Counter[str] = Counter()
        self._conns: dict[str, set[Connection]] = {}
        self._principal_of: dict[Connection, str] = {}
        self._orderly: set[Connection] = set()
        self._tokens: dict[Connection, str] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_deadline: float | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        # journal and replication
        self.index = 0
        self._pending: dict[int, _Pending] = {}
        self._standby: ServerConnection | None = None
        self._standby_acked = 0
        self._standby_name = ""
        self._peer_server: Server | None = None
        self._upstream: websockets.ClientConnection | None = None
        self._forwards: dict[int, asyncio.Future[bytes]] = {}
        self._next_fid = 0
        self._witness = WitnessClient(pair.witness, instance) if pair is not None else None
        self._lease_until = float("-inf")
        self._alone_confirmed = False
        #: set when the witness should hear from us at once (a standby joined: it is no longer outdated)
        self._renew_now = asyncio.Event()
        self.active_name: str | None = instance if pair is None else None
        self._stopping = False
        #: called with a line of text whenever the role changes (the CLI prints it; tests wait for it)
        self.on_role: Callable[[str], None] | None = None
        #: the mDNS announcement on the ``announce`` addresses (SPEC §8), None when not announcing
        self.beacon = (DiscoveryBeacon(announce, instance=instance, tls=ssl is not None,
                                       current=lambda: (self.role, self.epoch)) if announce else None)

    # ----- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        await self.server.start()
        if self.pair is not None:
            self._peer_server = await serve(self._serve_peer, self.pair.peer_host, self.pair.peer_port,
                                            compression=None, max_size=None, ping_interval=None,
                                            logger=frame_safe_logger("websockets.server"))
            self._spawn(self._pair_loop(), "pair-loop")
        if self.beacon is not None:
            self.beacon.start(self.port)
        if self.sfu is not None and self.role == "active":
            self.sfu.start()
        log.info("platform %s listening on %s (%s, epoch %d)", self.instance, self.url, self.role, self.epoch)

    async def stop(self) -> None:
        if self.beacon is not None:  # withdraw first: consoles stop being pointed at an instance going away
            await self.beacon.stop()
        self._stopping = True
        if self.sfu is not None:
            await self.sfu.stop()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self._timer_deadline = None
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        if self._upstream is not None:
            self._upstream.transport.abort()
        if self._peer_server is not None:
            self._peer_server.close()
        if self._witness is not None:
            await self._witness.close()
        self._fail_pending("instance stopping")
        await self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def peer_port(self) -> int:
        if self._peer_server is None or not self._peer_server.sockets:
            return 0
        return int(self._peer_server.sockets[0].getsockname()[1])

    def _spawn(self, coroutine: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coroutine, name=f"{self.instance}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ----- ServerApp: sessions -------------------------------------------------------------------

    async def on_hello(self, conn: Connection, hello: Hello) -> Welcome | Error:
        if not set(hello.versions) & set(SUPPORTED_VERSIONS):
            return Error(re=hello.id, code=int(ErrorCode.UNSUPPORTED_VERSION),
                         reason=f"this platform speaks versions {list(SUPPORTED_VERSIONS)}")
        checked = self.state.authenticate(hello)
        if isinstance(checked, Error):
            self.counters["auth_failures"] += 1
            log.warning("%s: hello refused for %s: %s", self.instance, hello.ident, checked.reason)  # no secret
            return checked
        profile = self.state.profile(checked)
        resumed = hello.resume is not None and self.state.resume_tokens.get(hello.resume) == checked
        token = hello.resume if resumed and hello.resume is not None else secrets.token_urlsafe(18)
        self._conns.setdefault(checked, set()).add(conn)
        self._principal_of[conn] = checked
        self._tokens[conn] = token
        asyncio.get_running_loop().call_soon(self._opened, conn)
        beat = self.heartbeat_interval if profile.is_console else self.terminal_heartbeat
        return Welcome(
            re=hello.id,
            version=max(set(hello.versions) & set(SUPPORTED_VERSIONS)),
            session=secrets.token_hex(8),
            resume_token=token,
            resumed=resumed,
            instance=self.instance,
            role=self.role,  # type: ignore[arg-type]
            heartbeat_ms=int(beat * 1000),
            loss_threshold=self.loss_threshold,
            dispatcher_role=profile.role,
            groups=sorted(profile.allowed_groups),
            permissions=sorted(profile.permissions),
        )

    def _opened(self, conn: Connection) -> None:
        if conn not in self._principal_of:
            return
        conn.send(self._role_message())
        self.counters["registrations"] += 1
        principal = self._principal_of[conn]
        self._spawn(self._sync_sessions(principal, token=self._tokens.get(conn, "")), "attach")

    async def _sync_sessions(self, principal: str, *, token: str = "", orderly: bool = False) -> None:
        """Tell the journal how many sessions ``principal`` has here (through the active when standby)."""
        count = len(self._conns.get(principal, ()))
        with contextlib.suppress(NotActive, ConnectionError, websockets.ConnectionClosed):
            if self.role == "active":
                await self._commit(Entry(index=0, epoch=0, now=0.0, kind="sessions", principal=principal,
                                         via=self.instance, count=count, token=token, orderly=orderly))
            elif self._upstream is not None:
                await self._send_upstream(pm.PeerSession(principal=principal, count=count, token=token,
                                                         orderly=orderly))

    def _sync_all_sessions(self) -> None:
        """After taking over or (re)joining the active: state every principal's sessions here."""
        held = {p for p, r in self.state.principals.items() if r.sessions.get(self.instance)}
        for principal in sorted(held | set(self._conns)):
            self._spawn(self._sync_sessions(principal), "sessions")

    async def on_request(self, conn: Connection, request: Request) -> Ok | Error:
        principal = self._principal_of.get(conn)
        if principal is None:
            return Error(re=request.id, code=int(ErrorCode.UNAUTHORIZED), reason="no session")
        if request.epoch > self.epoch:
            self._superseded(request.epoch)
            return Error(re=request.id, code=int(ErrorCode.STALE_EPOCH),
                         reason=f"instance epoch {self.epoch} is older than {request.epoch}")
        self.counters["requests"] += 1
        try:
            if self.role == "active":
                answer = await self._commit(self._entry_of(principal, request), request)
            elif self._upstream is not None:
                answer = await self._forward(principal, request)
            else:
                raise NotActive("standby with no link to the active")
        except NotActive as exc:
            return Error(re=request.id, code=int(ErrorCode.NOT_ACTIVE), reason=f"{self.instance} is not active: {exc}")
        assert answer is not None
        return answer

    def answer_now(self, conn: Connection, request: Request) -> Ok | Error | None:
        """Alone (no pair), nothing waits for a standby: apply and answer in the caller's turn of the loop."""
        principal = self._principal_of.get(conn)
        if principal is None or not self._alone_and_active() or request.epoch > self.epoch:
            return None
        self.counters["requests"] += 1
        answer = self._commit_now(self._entry_of(principal, request), request)
        assert answer is not None
        return answer

    def on_notification(self, conn: Connection, message: Notification) -> None:
        principal = self._principal_of.get(conn)
        if principal is None:
            return
        if isinstance(message, Bye):
            self._orderly.add(conn)
            return
        if self._alone_and_active():
            self._commit_now(self._entry_of(principal, message), message)
            return
        self._spawn(self._notify(principal, message), "notify")

    def _alone_and_active(self) -> bool:
        return self.pair is None and self.role == "active" and not self._stopping and not self._pending

    async def _notify(self, principal: str, message: Notification) -> None:
        with contextlib.suppress(NotActive, ConnectionError, websockets.ConnectionClosed):
            if self.role == "active":
                await self._commit(self._entry_of(principal, message), message)
            elif self._upstream is not None:
                await self._forward(principal, message)

    def on_disconnect(self, conn: Connection, code: int | None) -> None:
        principal = self._principal_of.pop(conn, None)
        orderly = conn in self._orderly or code == int(CloseCode.NORMAL)
        self._orderly.discard(conn)
        self._tokens.pop(conn, None)
        if principal is None:
            return
        self._conns.get(principal, set()).discard(conn)
        if not self._conns.get(principal):
            self._conns.pop(principal, None)
        if not self._stopping:
            self._spawn(self._sync_sessions(principal, orderly=orderly), "detach")

    def _entry_of(self, principal: str, message: Message) -> Entry:
        # Alone, nothing is shipped: skip encoding the body that only the standby would read.
        return message_entry(0, 0, 0.0, principal, message, with_body=self.pair is not None)

    async def _commit_quietly(self, entry: Entry) -> None:
        with contextlib.suppress(NotActive):
            await self._commit(entry)

    # ----- the journal (active) ------------------------------------------------------------------

    async def _commit(self, template: Entry, message: Message | None = None) -> Ok | Error | None:
        """Apply an input as the next journal entry; return its answer once the entry is safe.

        ``message``: the entry's request or notification, already decoded."""
        if self.role != "active":
            raise NotActive("standby")
        if self._alone_and_active():
            return self._commit_now(template, message)
        self.index += 1
        entry = msgspec.structs.replace(template, index=self.index, epoch=self.epoch, now=self.clock())
        answer, out = apply_entry(self.state, entry, message)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending[entry.index] = _Pending(entry, out, done)
        if self._standby is not None:
            self._spawn(self._ship([entry]), "ship")
        self._settle()
        await done
        return answer

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

    # ----- roles ---------------------------------------------------------------------------------

    def _role_message(self) -> PlatformRole:
        peer_up = self._standby is not None if self.role == "active" else self._upstream is not None
        others = [u for n, u in (self.pair.client_urls.items() if self.pair else []) if n != self.instance]
        return PlatformRole(instance=self.instance, role=self.role, epoch=self.epoch,  # type: ignore[arg-type]
                            peer=others[0] if others else None, peer_up=peer_up)

    def _announce(self) -> None:
        message = self._role_message()
        for conn in list(self._principal_of):
            with contextlib.suppress(ProtocolError):
                conn.send(message)

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

    # ----- the SFU media plane's broker -------------------------------------------------------------

    def _sfu_says(self, message: Notification) -> None:
        """SDP from the SFU: an input of the journal from the `SFU` principal, like a party's notification."""
        if self._alone_and_active():
            self._commit_now(self._entry_of(SFU, message), message)
        else:
            self._spawn(self._notify(SFU, message), "sfu-notify")

    def _sfu_state(self, up: bool, reason: str) -> None:
        """The broker lost or regained Janus: journaled, so that the alarm and the new negotiations replicate."""
        entry = Entry(index=0, epoch=0, now=0.0, kind="media_plane", count=int(up), text=reason)
        if self._alone_and_active():
            self._commit_now(entry)
        else:
            self._spawn(self._commit_quietly(entry), "media-plane")

    # ----- introspection for the CLI summary and tests ---------------------------------------------

    def _report(self, text: str) -> None:
        if self.beacon is not None:  # every role or epoch change passes here: keep the TXT record true
            self.beacon.changed()
        if self.on_role is not None:
            self.on_role(text)

    def summary(self) -> dict[str, int]:
        registered = sum(1 for r in self.state.terminals.values() if r.info.presence not in ("offline", "unreachable"))
        return {
            "terminals_registered": registered,
            "consoles": len(self.state.console_ids()),
            "calls": len(self.state.calls.calls),
            "floor_grants": self.counters["floor_grants"],
            "requests": self.counters["requests"],
        }


def msgspec_errors() -> type[Exception]:
    return msgspec.DecodeError
