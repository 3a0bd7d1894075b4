"""asyncio driver for the server side of TDP/1 over WebSocket, on websockets' sans-I/O protocol.

One `ServerSession` per connection: the driver feeds it the socket's messages, arms one timer at its next
deadline, and hands hellos, requests and notifications to the platform (`ServerApp`). Each connection is a plain
`asyncio.Protocol` (`protocols.aio.wsserver`): a message is fed to its session from the event loop's
``data_received`` callback and whatever the session then has to send (answer, notifications) is written at
once, one ``transport.write`` per connection; no task, future or lock per message. Each request an app cannot
answer at once (`ServerApp.answer_now`, e.g. one that needs a replication round trip) is served in its own
task, so a slow handler never holds up heartbeats or other requests.

Given ``request_times`` (benchmarks), the server also stamps each request from its frame read off the socket
to its answer written (`protocols.aio.request_timing`); without it, no stamp is taken.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import ssl as ssl_module
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Protocol

from websockets.server import ServerProtocol
from websockets.typing import Subprotocol

from protocols.aio.request_timing import RequestStamps, RequestTimes
from protocols.aio.wsserver import WebSocketServerProtocol
from protocols.constants import (
    HEARTBEAT_INTERVAL,
    HEARTBEAT_LOSS_THRESHOLD,
    HELLO_TIMEOUT,
    MAX_MESSAGE_BYTES,
    SUBPROTOCOL,
    CloseCode,
    ErrorCode,
)
from protocols.machines.session_events import (
    CloseRequested,
    HelloReceived,
    NotificationReceived,
    PeerSilent,
    RequestReceived,
    SessionEvent,
)
from protocols.machines.session_server import ServerSession
from protocols.messages import Error, Hello, Notification, Ok, Request, Welcome, tag_of

logger = logging.getLogger(__name__)


class ServerApp(Protocol):
    """What the platform provides to serve TDP/1 connections."""

    #: the platform's current epoch; sessions follow it when it changes
    epoch: int
    instance: str

    async def on_hello(self, conn: Connection, hello: Hello) -> Welcome | Error:
        """Authenticate. ``conn.principal`` defaults to ``hello.ident``; set it here to choose another."""
        ...

    async def on_request(self, conn: Connection, request: Request) -> Ok | Error: ...

    def answer_now(self, conn: Connection, request: Request) -> Ok | Error | None:
        """The answer when it can be given without waiting (no I/O), else None to go through `on_request`."""
        ...

    def on_notification(self, conn: Connection, message: Notification) -> None: ...

    def on_disconnect(self, conn: Connection, code: int | None) -> None: ...


class Connection(WebSocketServerProtocol):
    """One client connection: its session, its principal once welcomed, and a way to send to it.

    The server makes one per accepted socket; it joins `TrunkingServer.connections` (and has a ``session``)
    once the WebSocket opening handshake completed."""

    session: ServerSession

    def __init__(self, server: TrunkingServer) -> None:
        times = server.request_times
        super().__init__(max_size=MAX_MESSAGE_BYTES, select_subprotocol=_select_subprotocol,
                         stamp_reads=times is not None)
        self.principal: str | None = None
        self._server = server
        self._app = server.app
        self._gone = False
        self._timer: asyncio.TimerHandle | None = None
        self._timer_when: float | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._done = asyncio.Event()
        # request timing (only with ``times``): the answers being written as (frame number, request, answer,
        # read, taken, answered), and the stamps (read, taken) of the message being fed
        self._times = times
        self._marks: collections.deque[tuple[int, Request, Ok | Error, float, float, float]] = collections.deque()
        self._feeding: tuple[float, float] | None = None

    def __repr__(self) -> str:
        return f"<Connection {self.principal or '?'} from {self.remote_address}>"

    def send(self, message: Notification) -> None:
        """Send a notification (dropped once the session closed). Raises `ProtocolError` when too large."""
        self._sync_epoch()
        self.session.send(message, self._loop.time())
        self._pump()

    def send_encoded(self, data: bytes, epoch: int) -> None:
        """Send a notification already encoded with `encode_for` (one encoding for many receivers). Encoded for
        another epoch than the session's (a promotion in between), it is dropped: the caller re-encodes."""
        self._sync_epoch()
        if epoch != self.session.epoch:
            raise ValueError(f"encoded for epoch {epoch}, session at {self.session.epoch}")
        self.session.send_encoded(data)
        self._pump()

    async def close(self, code: CloseCode = CloseCode.NORMAL, reason: str = "") -> None:
        """Say bye and close the WebSocket with ``code``; returns once the connection is down."""
        if not self._gone:
            self.session.close(code, reason, self._loop.time())
            self._pump()
        await self._done.wait()

    # ----- WebSocket callbacks (`WebSocketServerProtocol`) --------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._server._accepted.add(self)

    def opened(self) -> None:
        app = self._app
        self.session = ServerSession(
            epoch=app.epoch,
            instance=app.instance,
            now=self._loop.time(),
            heartbeat_interval=self._server._heartbeat_interval,
            loss_threshold=self._server._loss_threshold,
            hello_timeout=self._server._hello_timeout,
            negotiated=self.ws.subprotocol == SUBPROTOCOL,
        )
        self._server._connections.add(self)
        self._arm_timer()

    def message_received(self, data: str | bytes) -> None:
        if self._times is not None:
            self._feeding = (self.read_at, time.monotonic())  # not loop.time(): uvloop's counts whole ms
        self._sync_epoch()
        self.session.receive_data(data, self._loop.time(), binary=isinstance(data, bytes))
        self._pump()
        self._feeding = None

    def data_written(self) -> None:
        if self._marks:
            self._report_written()

    def connection_lost(self, exc: Exception | None) -> None:
        self._server._accepted.discard(self)
        super().connection_lost(exc)

    def connection_closed(self, code: int | None) -> None:
        self._gone = True
        session = self.session
        session.connection_lost(self._loop.time())
        self._arm_timer()
        self._done.set()
        self._server._connections.discard(self)
        try:
            self._app.on_disconnect(self, session.close_code if session.close_code is not None else code)
        except Exception:
            logger.exception("%r: on_disconnect failed", self)

    # ----- plumbing ---------------------------------------------------------------------------

    def _sync_epoch(self) -> None:
        if self.session.epoch != self._app.epoch:
            self.session.set_epoch(self._app.epoch)

    def _pump(self) -> None:
        """Hand the session's events to the app and its output to the WebSocket; one write at the end (unless
        inside a batch: the messages of one read, or a pump within a pump, flush with the outermost)."""
        session = self.session
        self.hold()
        try:
            while True:
                self._take_output()
                events = session.events()
                if not events:
                    break
                for event in events:
                    self._dispatch(event)
        finally:
            self.release()
        self._arm_timer()

    def _pump_or_drop(self) -> None:
        """`_pump` outside of the socket's callbacks (timer, tasks): a failure drops this connection only."""
        try:
            self._pump()
        except Exception:
            logger.exception("%r: session failed; dropping the connection", self)
            self.abort()

    def _take_output(self) -> None:
        """Move the session's outgoing frames to the WebSocket."""
        data = self.session.data_to_send()
        if data and not self._gone:
            self.send_texts(data)

    def _mark_answer(self, request: Request, answer: Ok | Error, stamps: tuple[float, float] | None) -> None:
        """Right after ``session.answer``: queue the answer's frame (the last one the session holds) and note
        its number, so that the request's stamps are reported once that frame was written."""
        if stamps is None or self._times is None or self._gone:
            return
        before = self.frames_queued
        self._take_output()
        if self.frames_queued > before:
            self._marks.append((self.frames_queued, request, answer, *stamps, time.monotonic()))

    def _report_written(self) -> None:
        written = time.monotonic()
        while self._marks and self._marks[0][0] <= self.frames_written:
            _, request, answer, read, taken, answered = self._marks.popleft()
            assert self._times is not None
            try:
                self._times.answered(request, answer, RequestStamps(read, taken, answered, written))
            except Exception:
                logger.exception("%r: request timing failed", self)

    def _dispatch(self, event: SessionEvent) -> None:
        if isinstance(event, RequestReceived):
            try:
                answer = self._app.answer_now(self, event.request)
            except Exception:
                logger.exception("%r: request %d (%s) failed", self, event.request.id, tag_of(event.request))
                answer = Error(code=ErrorCode.INTERNAL, reason="internal error")
            if answer is None:
                self._spawn(self._serve_request(event.request, self._feeding))
            else:
                self._sync_epoch()
                self.session.answer(event.request.id, answer, self._loop.time())
                self._mark_answer(event.request, answer, self._feeding)
        elif isinstance(event, NotificationReceived):
            message = event.message
            assert isinstance(message, Notification)
            try:
                self._app.on_notification(self, message)
            except Exception:
                logger.exception("%r: handling %s failed", self, tag_of(message))
        elif isinstance(event, HelloReceived):
            self._spawn(self._serve_hello(event.hello))
        elif isinstance(event, PeerSilent):
            logger.warning("%r: silent for %.3f s", self, event.silent_for)
        elif isinstance(event, CloseRequested):
            logger.info("%r: closing with %d (%s)", self, event.code, event.reason)
            self.close_websocket(event.code, event.reason)  # after the frames queued; cut off if stuck

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = self._loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve_hello(self, hello: Hello) -> None:
        try:
            decision = await self._app.on_hello(self, hello)
        except Exception:
            logger.exception("%r: on_hello failed for %s", self, hello.ident)
            decision = Error(code=ErrorCode.INTERNAL, reason="internal error")
        self._sync_epoch()
        now = self._loop.time()
        if isinstance(decision, Welcome):
            self.session.accept(decision, self.principal or hello.ident, now)
            self.principal = self.session.principal
            logger.info("%r: welcomed (%s, epoch %d)", self, hello.role, self.session.epoch)
            self._pump_or_drop()
            return
        try:
            code = ErrorCode(decision.code)
        except ValueError:
            code = ErrorCode.INTERNAL
        logger.info("%r: hello from %s refused: %d %s", self, hello.ident, code, decision.reason)
        self.session.reject(code, decision.reason, now)
        self._pump_or_drop()

    async def _serve_request(self, request: Request, stamps: tuple[float, float] | None = None) -> None:
        answer: Ok | Error
        try:
            answer = await self._app.on_request(self, request)
        except Exception:
            logger.exception("%r: request %d (%s) failed", self, request.id, tag_of(request))
            answer = Error(code=ErrorCode.INTERNAL, reason="internal error")
        if not isinstance(answer, Ok | Error):
            logger.error("%r: request %d (%s) answered with %r", self, request.id, tag_of(request), answer)
            answer = Error(code=ErrorCode.INTERNAL, reason="internal error")
        self._sync_epoch()
        self.session.answer(request.id, answer, self._loop.time())
        self._mark_answer(request, answer, stamps)
        self._pump_or_drop()

    def _arm_timer(self) -> None:
        when = None if self._gone else self.session.get_timer()
        if when == self._timer_when:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_when = when
        if when is not None:
            self._timer = self._loop.call_at(when, self._on_timer, when)

    def _on_timer(self, when: float) -> None:
        self._timer = None
        self._timer_when = None
        try:
            self._sync_epoch()
            self.session.handle_timer(max(self._loop.time(), when))
        except Exception:
            logger.exception("%r: session timer failed; dropping the connection", self)
            self.abort()
            return
        self._pump_or_drop()

    async def _cancel_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task


class TrunkingServer:
    """Accepts TDP/1 connections for a `ServerApp` on one address."""

    def __init__(
        self,
        app: ServerApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl: ssl_module.SSLContext | None = None,
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
        loss_threshold: int = HEARTBEAT_LOSS_THRESHOLD,
        hello_timeout: float = HELLO_TIMEOUT,
        request_times: RequestTimes | None = None,
    ) -> None:
        self.app = app
        #: told the stamps of every answered request (`protocols.aio.request_timing`); None: no timing at all
        self.request_times = request_times
        self.host = host
        self.port = port
        self._ssl = ssl
        self._heartbeat_interval = heartbeat_interval
        self._loss_threshold = loss_threshold
        self._hello_timeout = hello_timeout
        self._server: asyncio.Server | None = None
        self._connections: set[Connection] = set()
        #: every socket accepted and not closed yet, opening handshake completed or not
        self._accepted: set[Connection] = set()

    @property
    def url(self) -> str:
        return f"{'wss' if self._ssl is not None else 'ws'}://{self.host}:{self.port}"

    @property
    def connections(self) -> list[Connection]:
        return list(self._connections)

    async def start(self) -> None:
        """Listen; ``port`` holds the actual port afterwards (useful with port 0)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: Connection(self), self.host, self.port, ssl=self._ssl)
        self.port = self._server.sockets[0].getsockname()[1]
        logger.info("serving TDP/1 on %s (instance %s, epoch %d)", self.url, self.app.instance,
                    self.app.epoch)

    async def stop(self) -> None:
        """Close every connection (1001 going away) and stop listening."""
        if self._server is None:
            return
        connections = list(self._connections)
        await asyncio.gather(*(c.close(CloseCode.GOING_AWAY, "server stopping") for c in connections))
        self._server.close()
        late = list(self._connections)  # opened while the others closed
        await asyncio.gather(*(c.close(CloseCode.GOING_AWAY, "server stopping") for c in late))
        for conn in list(self._accepted):  # still in their opening handshake
            conn.abort()
        await self._server.wait_closed()
        await asyncio.gather(*(c._cancel_tasks() for c in connections + late))
        self._server = None

    def broadcast(self, message: Notification, where: Callable[[Connection], bool] | None = None) -> int:
        """Send a notification to every open session (matching ``where``); returns how many got it."""
        sent = 0
        for conn in list(self._connections):
            if conn.session.state == "open" and (where is None or where(conn)):
                conn.send(message)
                sent += 1
        return sent


def _select_subprotocol(ws: ServerProtocol, offered: Sequence[Subprotocol]) -> Subprotocol | None:
    """``tdp.v1`` when offered; otherwise the handshake still completes and the session answers the first
    request with 426 (SPEC.md §2.1), so the client learns why instead of getting a bare HTTP 400."""
    return Subprotocol(SUBPROTOCOL) if SUBPROTOCOL in offered else None


__all__ = ["Connection", "ServerApp", "TrunkingServer"]
