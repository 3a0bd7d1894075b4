"""asyncio driver for the client side of TDP/1 over WebSocket (websockets' asyncio implementation).

Thin on purpose: it moves bytes between the socket and a `ClientSession`, arms one timer at the
session's next deadline, and turns session events into awaitable results. All protocol decisions
(correlation, timeouts, heartbeats, epochs) are the session machine's.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import ssl as ssl_module
from collections.abc import Callable
from typing import Self

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.typing import Subprotocol

from protocols.aio.tls import CertificateError, context_for, describe_tls_failure, is_secure
from protocols.aio.wirelog import frame_safe_logger
from protocols.codec import ProtocolError
from protocols.constants import (
    HEARTBEAT_INTERVAL,
    HEARTBEAT_LOSS_THRESHOLD,
    MAX_MESSAGE_BYTES,
    REQUEST_TIMEOUT,
    SUBPROTOCOL,
    CloseCode,
)
from protocols.machines.session_client import ClientSession
from protocols.machines.session_events import (
    Answered,
    EpochRaised,
    HelloRejected,
    PeerSilent,
    Received,
    RequestFailed,
    SessionEvent,
    StaleMessage,
    UnexpectedAnswer,
    Violation,
    Welcomed,
)
from protocols.messages import Error, Hello, Message, Notification, Ok, Request, Welcome, tag_of

logger = logging.getLogger(__name__)

#: Seconds the closing handshake may take before the socket is simply dropped.
CLOSE_TIMEOUT = 2.0


class RequestError(Exception):
    """A request was answered with an `Error` (or failed locally: 504 when no answer came in time)."""

    def __init__(self, error: Error) -> None:
        super().__init__(f"{error.code} {error.reason}")
        self.error = error


class ConnectionClosed(ConnectionError):
    """The link to the platform is gone (before the awaited answer or message arrived)."""

    def __init__(self, reason: str = "connection closed", code: int | None = None) -> None:
        super().__init__(reason if code is None else f"{reason} (close code {code})")
        self.code = code


class TrunkingClient:
    """A connected TDP/1 client; create it with `TrunkingClient.connect`."""

    def __init__(self, ws: ClientConnection, session: ClientSession, *, queue_size: int = 1024) -> None:
        self._ws = ws
        self.session = session
        #: optional tap called with every session event (PeerSilent, StaleMessage, EpochRaised, ...)
        self.on_event: Callable[[SessionEvent], None] | None = None
        #: notifications dropped because nobody read `next_message` fast enough
        self.dropped_messages = 0
        self._loop = asyncio.get_running_loop()
        self._futures: dict[int, asyncio.Future[Ok]] = {}
        self._welcomed: asyncio.Future[Welcome] = self._loop.create_future()
        self._messages: collections.deque[Message] = collections.deque(maxlen=queue_size)
        self._message_ready = asyncio.Event()
        self._overflowing = False
        self._stale_epoch_warned: int | None = None
        self._outgoing: collections.deque[bytes] = collections.deque()
        self._outgoing_ready = asyncio.Event()
        self._closing = False
        self._closed = False
        self._close_code: int | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_when: float | None = None
        self._reader: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None

    @classmethod
    async def connect(
        cls,
        url: str,
        hello: Hello,
        *,
        ssl: ssl_module.SSLContext | None = None,
        open_timeout: float = 5.0,
        request_timeout: float = REQUEST_TIMEOUT,
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
        loss_threshold: int = HEARTBEAT_LOSS_THRESHOLD,
        queue_size: int = 1024,
    ) -> Self:
        """Open the WebSocket, say hello and wait for the welcome.

        ``ssl`` is used for ``wss://`` URLs (default: verify against the system's trust store; see
        `protocols.aio.tls.ssl_context`) and ignored for plain ``ws://``.

        Raises `RequestError` when the hello is refused, OSError (TimeoutError, ConnectionError,
        `ConnectionClosed`) when the platform cannot be reached or does not answer within ``open_timeout``,
        and `CertificateError` (a ConnectionError) when TLS fails: the certificate is not trusted, has expired
        or names another host, or the server does not speak TLS.
        """
        try:
            ws = await ws_connect(
                url,
                ssl=context_for(url, ssl),
                subprotocols=[Subprotocol(SUBPROTOCOL)],
                open_timeout=open_timeout,
                close_timeout=CLOSE_TIMEOUT,
                max_size=MAX_MESSAGE_BYTES,
                ping_interval=None,  # TDP/1 has its own heartbeats, measured by the session
                compression=None,
                logger=frame_safe_logger("websockets.client"),  # frames carry credentials: never log them
            )
        except ssl_module.SSLError as exc:  # certificate refused, or the other side speaks no TLS
            raise CertificateError(describe_tls_failure(url, exc)) from exc
        except ConnectionResetError as exc:
            if not is_secure(url):
                raise
            raise CertificateError(f"{url}: TLS handshake failed (connection reset): is the platform serving "
                                   "plain ws:// there?") from exc
        except websockets.InvalidHandshake as exc:
            hint = ""
            if isinstance(exc, websockets.InvalidMessage) and url.startswith("ws://"):
                hint = " (is the platform serving wss:// there?)"
            raise ConnectionError(f"{url}: WebSocket handshake failed: {exc}{hint}") from exc
        if ws.subprotocol != SUBPROTOCOL:
            await ws.close(CloseCode.PROTOCOL_ERROR, "subprotocol tdp.v1 required")
            raise ConnectionError(f"{url}: server did not select subprotocol {SUBPROTOCOL}")
        session = ClientSession(
            hello,
            request_timeout=request_timeout,
            heartbeat_interval=heartbeat_interval,
            loss_threshold=loss_threshold,
        )
        client = cls(ws, session, queue_size=queue_size)
        client._start()
        try:
            await asyncio.wait_for(asyncio.shield(client._welcomed), open_timeout)
        except BaseException:
            await client.abort()
            raise
        logger.info("connected to %s as %s (epoch %d)", url, hello.ident, client.epoch)
        return client

    # ----- state ------------------------------------------------------------------------------

    @property
    def welcome(self) -> Welcome:
        welcome = self.session.welcome
        assert welcome is not None, "connect() returns only after the welcome"
        return welcome

    @property
    def epoch(self) -> int:
        return self.session.epoch

    @property
    def rtt(self) -> float | None:
        return self.session.rtt

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def close_code(self) -> int | None:
        """The close code the server sent, once closed (None when the link just dropped)."""
        return self._close_code

    # ----- API --------------------------------------------------------------------------------

    # the timeout belongs to the session machine (it yields the 504 outcome), not to asyncio
    async def request(self, request: Request, *, timeout: float | None = None) -> Ok:
        """Send a request (its id is assigned here) and wait for its answer.

        Raises `RequestError` for an `Error` answer (including 504 when none came within the timeout)
        and `ConnectionClosed` when the link dies first; the request then stays in
        ``session.unacknowledged()`` for replay.
        """
        if self._closed or self._closing:
            raise ConnectionClosed("client is closed", self._close_code)
        try:
            request_id = self.session.send_request(request, self._loop.time(), timeout=timeout)
        except ProtocolError as exc:
            raise RequestError(Error(code=exc.code, reason=exc.reason)) from None
        future: asyncio.Future[Ok] = self._loop.create_future()
        self._futures[request_id] = future
        self._pump()
        try:
            return await future
        finally:
            self._futures.pop(request_id, None)

    def notify(self, message: Notification) -> None:
        """Send a notification. Raises `ConnectionClosed` when closed, `ProtocolError` when too large."""
        if self._closed or self._closing:
            raise ConnectionClosed("client is closed", self._close_code)
        self.session.send_notification(message, self._loop.time())
        self._pump()

    async def next_message(self) -> Message:
        """The next notification from the platform, in arrival order; `ConnectionClosed` once the link is
        gone and every message received before has been read."""
        while not self._messages:
            if self._closed:
                raise ConnectionClosed("connection closed", self._close_code)
            self._message_ready.clear()
            await self._message_ready.wait()
        return self._messages.popleft()

    async def close(self) -> None:
        """Say bye, close the WebSocket normally and wait until the link is down."""
        if not self._closed and not self._closing:
            self._closing = True
            self.session.close(self._loop.time())
            self._pump()
            self._outgoing_ready.set()  # the writer flushes the bye, then closes
        await self.wait_closed()

    async def abort(self) -> None:
        """Drop the link at once: no bye, no closing handshake (a crash or a cable pulled, as the platform
        sees it). Requests in flight stay in ``session.unacknowledged()``."""
        self._ws.transport.abort()
        if self._reader is not None:
            with contextlib.suppress(BaseException):
                await self._reader
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(BaseException):
                await self._writer

    async def wait_closed(self) -> None:
        """Wait until the link is down (closed by either side, or lost)."""
        if self._reader is not None:
            await asyncio.shield(self._reader)

    # ----- plumbing ---------------------------------------------------------------------------

    def _start(self) -> None:
        self.session.connect(self._loop.time())
        self._reader = self._loop.create_task(self._read_loop(), name="tdp-client-reader")
        self._writer = self._loop.create_task(self._write_loop(), name="tdp-client-writer")
        self._pump()

    async def _read_loop(self) -> None:
        try:
            while True:
                data = await self._ws.recv()  # str for a text frame, bytes for a binary one
                self.session.receive_data(data, self._loop.time(), binary=isinstance(data, bytes))
                self._pump()
        except websockets.ConnectionClosed as exc:
            self._close_code = _close_code(exc)
        except Exception:
            logger.exception("client session failed; dropping the connection")
            self._ws.transport.abort()
        finally:
            self._lost()

    async def _write_loop(self) -> None:
        ws = self._ws
        try:
            while True:
                while self._outgoing:
                    await ws.send(self._outgoing.popleft(), text=True)
                if self._closed:
                    return
                if self._closing:
                    await ws.close(CloseCode.NORMAL)
                    return
                self._outgoing_ready.clear()
                await self._outgoing_ready.wait()
        except websockets.ConnectionClosed:
            pass

    def _pump(self) -> None:
        """Move the session's output to the writer and its events to their owners; re-arm the timer."""
        session = self.session
        while True:
            data = session.data_to_send()
            if data and not self._closed:
                self._outgoing.extend(data)
                self._outgoing_ready.set()
            events = session.events()
            if not events:
                break
            for event in events:
                self._dispatch(event)
        self._arm_timer()

    def _dispatch(self, event: SessionEvent) -> None:
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:
                logger.exception("on_event tap failed on %s", type(event).__name__)
        if isinstance(event, Answered):
            future = self._futures.pop(event.request.id, None)
            if future is not None and not future.done():
                if isinstance(event.answer, Ok):
                    future.set_result(event.answer)
                else:
                    future.set_exception(RequestError(event.answer))
        elif isinstance(event, RequestFailed):
            future = self._futures.pop(event.request.id, None)
            if future is not None and not future.done():
                future.set_exception(RequestError(event.error))
        elif isinstance(event, Received):
            self._enqueue(event.message)
        elif isinstance(event, Welcomed):
            if not self._welcomed.done():
                self._welcomed.set_result(event.welcome)
        elif isinstance(event, HelloRejected):
            if not self._welcomed.done():
                self._welcomed.set_exception(RequestError(event.error))
        elif isinstance(event, PeerSilent):
            logger.warning("platform silent for %.3f s; dropping the connection", event.silent_for)
            self._ws.transport.abort()
        elif isinstance(event, StaleMessage):
            # a superseded instance keeps talking (pings at least): warn once per epoch, not per message
            level = logging.DEBUG if event.message.epoch == self._stale_epoch_warned else logging.WARNING
            self._stale_epoch_warned = event.message.epoch
            logger.log(level, "dropped %s of stale epoch %d (highest seen %d)",
                       tag_of(event.message), event.message.epoch, event.highest_epoch)
        elif isinstance(event, EpochRaised):
            logger.info("platform epoch raised from %d to %d", event.old, event.new)
        elif isinstance(event, Violation | UnexpectedAnswer):
            logger.warning("ignored from platform: %s", event)

    def _enqueue(self, message: Message) -> None:
        queue = self._messages
        if len(queue) == queue.maxlen:
            if not self._overflowing:
                logger.warning("notification queue full (%d): dropping the oldest", queue.maxlen)
            self._overflowing = True
            self.dropped_messages += 1
        else:
            self._overflowing = False
        queue.append(message)
        self._message_ready.set()

    def _arm_timer(self) -> None:
        when = None if self._closed else self.session.get_timer()
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
        # call_at may fire a hair early; the session must see its own deadline as reached
        self.session.handle_timer(max(self._loop.time(), when))
        self._pump()

    def _lost(self) -> None:
        """The socket is down: requests in flight become unacknowledged and their awaiters are told."""
        if self._closed:
            return
        self.session.connection_lost(self._loop.time())
        self._pump()
        self._closed = True
        self._arm_timer()
        self._outgoing.clear()
        self._outgoing_ready.set()
        self._message_ready.set()
        error = ConnectionClosed("connection closed before the answer", self._close_code)
        for future in self._futures.values():
            if not future.done():
                future.set_exception(error)
        self._futures.clear()
        if not self._welcomed.done():
            self._welcomed.set_exception(ConnectionClosed("connection closed before the welcome",
                                                          self._close_code))
            self._welcomed.exception()  # retrieved: connect() may already have given up waiting
        logger.info("connection closed (code %s)", self._close_code)

    async def _abort(self) -> None:
        await self.abort()  # kept for callers of the earlier private name


def _close_code(exc: websockets.ConnectionClosed) -> int | None:
    """The close code of whichever side closed first; None when the link just dropped."""
    if exc.rcvd is not None and (exc.sent is None or exc.rcvd_then_sent):
        return exc.rcvd.code
    return exc.sent.code if exc.sent is not None else None


__all__ = ["ConnectionClosed", "RequestError", "TrunkingClient"]
