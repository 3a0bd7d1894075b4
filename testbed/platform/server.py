"""One reference platform instance on the network: `PlatformState` behind a `TrunkingServer`.

The instance owns one timer (the state's earliest deadline) and a map from principals to their
connections; it feeds the state every hello, request, notification and disconnect, and delivers the
notifications the state returns. Answers go out before the notifications they caused.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from protocols.aio.server import Connection, TrunkingServer
from protocols.constants import (
    HEARTBEAT_INTERVAL,
    HEARTBEAT_LOSS_THRESHOLD,
    RESUME_WINDOW,
    SUPPORTED_VERSIONS,
    CloseCode,
    ErrorCode,
)
from protocols.messages import (
    Bye,
    Error,
    FloorGranted,
    Hello,
    Notification,
    Ok,
    PlatformRole,
    Request,
    Welcome,
)
from testbed.line import Line
from testbed.platform.model import Outbound
from testbed.platform.state import PlatformState

log = logging.getLogger(__name__)


@dataclass
class _Resumable:
    principal: str
    expires: float


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
        ssl: object | None = None,
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
        loss_threshold: int = HEARTBEAT_LOSS_THRESHOLD,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.line = line
        self.instance = instance
        self.epoch = epoch
        self.role = "active"
        self.state = PlatformState(line)
        self.clock = clock
        self.heartbeat_interval = heartbeat_interval
        self.loss_threshold = loss_threshold
        self.server = TrunkingServer(self, host=host, port=port, ssl=ssl,  # type: ignore[arg-type]
                                     heartbeat_interval=heartbeat_interval, loss_threshold=loss_threshold)
        self._by_principal: dict[str, set[Connection]] = {}
        self._principal_of: dict[Connection, str] = {}
        self._orderly: set[Connection] = set()
        self._resumable: dict[str, _Resumable] = {}
        self._timer: asyncio.TimerHandle | None = None
        self.counters: Counter[str] = Counter()

    # ----- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        await self.server.start()
        log.info("platform %s listening on %s (epoch %d)", self.instance, self.url, self.epoch)

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    # ----- ServerApp ---------------------------------------------------------------------------

    async def on_hello(self, conn: Connection, hello: Hello) -> Welcome | Error:
        common = sorted(set(hello.versions) & set(SUPPORTED_VERSIONS))
        if not common:
            return Error(re=hello.id, code=int(ErrorCode.UNSUPPORTED_VERSION),
                         reason=f"this platform speaks versions {list(SUPPORTED_VERSIONS)}")
        checked = self.state.authenticate(hello)
        if isinstance(checked, Error):
            self.counters["auth_failures"] += 1
            log.warning("hello refused for %s: %s", hello.ident, checked.reason)  # never log the secret
            return checked
        found = self.state.profile(checked)
        now = self.clock()
        resumed = False
        if hello.resume is not None:
            entry = self._resumable.get(hello.resume)
            resumed = entry is not None and entry.principal == found.id and entry.expires >= now
        token = hello.resume if resumed and hello.resume is not None else secrets.token_urlsafe(18)
        self._resumable[token] = _Resumable(found.id, float("inf"))
        self._by_principal.setdefault(found.id, set()).add(conn)
        self._principal_of[conn] = found.id
        asyncio.get_running_loop().call_soon(self._opened, conn, found.id)
        return Welcome(
            re=hello.id,
            version=common[-1],
            session=secrets.token_hex(8),
            resume_token=token,
            resumed=resumed,
            instance=self.instance,
            role=self.role,  # type: ignore[arg-type]
            heartbeat_ms=int(self.heartbeat_interval * 1000),
            loss_threshold=self.loss_threshold,
            dispatcher_role=found.role,
            groups=sorted(found.allowed_groups),
            permissions=sorted(found.permissions),
        )

    def _opened(self, conn: Connection, principal: str) -> None:
        if conn not in self._principal_of:
            return
        conn.send(PlatformRole(instance=self.instance, role=self.role))  # type: ignore[arg-type]
        self.counters["registrations"] += 1
        self._deliver(self.state.attach(principal, self.clock()))

    async def on_request(self, conn: Connection, request: Request) -> Ok | Error:
        principal = self._principal_of.get(conn)
        if principal is None:
            return Error(re=request.id, code=int(ErrorCode.UNAUTHORIZED), reason="no session")
        answer, out = self.state.apply(principal, request, self.clock())
        self.counters["requests"] += 1
        if out:
            asyncio.get_running_loop().call_soon(self._deliver, out)
        else:
            self._rearm()
        return answer

    def on_notification(self, conn: Connection, message: Notification) -> None:
        principal = self._principal_of.get(conn)
        if principal is None:
            return
        if isinstance(message, Bye):
            self._orderly.add(conn)
            return
        self._deliver(self.state.notify(principal, message, self.clock()))

    def on_disconnect(self, conn: Connection, code: int | None) -> None:
        principal = self._principal_of.pop(conn, None)
        orderly = conn in self._orderly or code == int(CloseCode.NORMAL)
        self._orderly.discard(conn)
        if principal is None:
            return
        conns = self._by_principal.get(principal, set())
        conns.discard(conn)
        now = self.clock()
        for entry in self._resumable.values():
            if entry.principal == principal and entry.expires == float("inf"):
                entry.expires = now + RESUME_WINDOW
        if not conns:
            self._by_principal.pop(principal, None)
            self._deliver(self.state.detach(principal, now, orderly=orderly))

    # ----- delivery and the timer ----------------------------------------------------------------

    def _deliver(self, out: list[Outbound]) -> None:
        consoles: list[Connection] | None = None
        for item in out:
            if isinstance(item.message, FloorGranted):
                self.counters["floor_grants"] += 1
            targets: set[Connection] = set()
            for principal in item.to:
                targets |= self._by_principal.get(principal, set())
            if item.consoles:
                if consoles is None:
                    consoles = [c for p in self.state.console_ids() for c in self._by_principal.get(p, ())]
                targets.update(consoles)
            for conn in targets:
                conn.send(item.message)
        self._rearm()

    def _rearm(self) -> None:
        deadline = self.state.get_timer()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if deadline is None:
            return
        delay = max(0.0, deadline - self.clock())
        self._timer = asyncio.get_running_loop().call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._deliver(self.state.handle_timer(self.clock()))
        self._purge_resumable()

    def _purge_resumable(self) -> None:
        now = self.clock()
        for token in [t for t, e in self._resumable.items() if e.expires < now]:
            del self._resumable[token]

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
