"""One reference platform instance on the network: `PlatformState` behind a `TrunkingServer`.

Alone (no witness), an instance is active at epoch 1 and applies every input at once. In a dual-live pair
(`PlatformServer(..., pair=PairConfig(...))`) it is active or standby as the witness decides:

* the **active** turns every input into a journal entry, applies it, ships it to the standby and delivers
  the answer and the notifications only once the standby holds the entry (or, with no standby, only while
  it holds the witness's lease), so an acknowledged command is never lost;
* the **standby** follows the active's journal, answers hellos, and forwards what its sessions do to the
  active, so a client cut off from the active alone keeps working through it; when the active is lost it
  asks the witness for a higher epoch and takes over.

The instance is split by responsibility, one layer per module (see instance.py): commit.py (the journal),
replication.py (the pair link), roles.py (active or standby) and this module, the TDP/1 face: lifecycle,
sessions, the SFU broker's inputs and the CLI summary.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any

import websockets
from websockets.asyncio.server import Server, serve

from protocols.aio.request_timing import RequestTimes
from protocols.aio.server import Connection, TrunkingServer
from protocols.aio.wirelog import frame_safe_logger
from protocols.constants import (
    HEARTBEAT_INTERVAL,
    HEARTBEAT_LOSS_THRESHOLD,
    SUPPORTED_VERSIONS,
    CloseCode,
    ErrorCode,
)
from protocols.messages import (
    Bye,
    Error,
    Hello,
    LineClock,
    Notification,
    Ok,
    Request,
    Welcome,
)
from testbed.line import Line
from testbed.platform.beacon import DiscoveryBeacon
from testbed.platform.instance import FAILOVER_GRACE, NotActive, PairConfig
from testbed.platform.janus_plane import JanusPlane, talk_room, talkers
from testbed.platform.journal import Entry
from testbed.platform.model import SFU
from testbed.platform.replication import PEER_HEARTBEAT, PEER_SILENCE, msgspec_errors
from testbed.platform.roles import PairedInstance

__all__ = [
    "FAILOVER_GRACE",
    "PEER_HEARTBEAT",
    "PEER_SILENCE",
    "TERMINAL_HEARTBEAT",
    "NotActive",
    "PairConfig",
    "PlatformServer",
    "msgspec_errors",
]

log = logging.getLogger(__name__)

#: terminals heartbeat less often than consoles: thousands of them, and they do not fail over themselves
TERMINAL_HEARTBEAT = 2.0


class PlatformServer(PairedInstance):
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
        line_clock: LineClock | None = None,
        request_times: RequestTimes | None = None,
    ) -> None:
        super().__init__(line, instance=instance, epoch=epoch, pair=pair, clock=clock,
                         media_plane="sfu" if janus_url else "direct")
        #: the SFU media plane's broker (Janus at ``janus_url``), run while this instance is active
        self.sfu = JanusPlane(janus_url, line, inject=self._sfu_says, report=self._sfu_state,
                              talkers=lambda: talkers(self.state),
                              rooms=lambda party: talk_room(self.state, party)) if janus_url else None
        self.heartbeat_interval = heartbeat_interval
        self.terminal_heartbeat = terminal_heartbeat
        self.loss_threshold = loss_threshold
        #: the line's timetable clock, told to consoles in their welcome (SPEC §3.5.9); None: the time of day
        self.line_clock = line_clock
        self.server = TrunkingServer(self, host=host, port=port, ssl=ssl,
                                     heartbeat_interval=heartbeat_interval, loss_threshold=loss_threshold,
                                     request_times=request_times)
        self._orderly: set[Connection] = set()
        self._tokens: dict[Connection, str] = {}
        self._peer_server: Server | None = None
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
        # the session is in the journal before the welcome leaves: a client may send its first request the
        # moment it reads the welcome, and the platform must know the session by then (else 401 no session)
        self._state_session_now(checked, token=token)
        asyncio.get_running_loop().call_soon(self._opened, conn)  # the role message goes after the welcome
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
            line_clock=self.line_clock if profile.is_console else None,
        )

    def _opened(self, conn: Connection) -> None:
        if conn not in self._principal_of:
            return
        conn.send(self._role_message())
        self.counters["registrations"] += 1

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

    def summary(self) -> dict[str, int]:
        registered = sum(1 for r in self.state.terminals.values() if r.info.presence not in ("offline", "unreachable"))
        return {
            "terminals_registered": registered,
            "consoles": len(self.state.console_ids()),
            "calls": len(self.state.calls.calls),
            "floor_grants": self.counters["floor_grants"],
            "requests": self.counters["requests"],
        }
