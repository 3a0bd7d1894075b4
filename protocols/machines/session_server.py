"""The server side of a TDP/1 session as a sans-I/O state machine (SPEC.md §4).

It turns a client's bytes into events for the platform (hello, requests, notifications) and enforces the
session rules on its own: hello first, unique request ids, exactly one answer per request, epoch fencing,
heartbeats, and bad input answered with an `Error` while the session stays up.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from protocols.codec import ProtocolError, decode, encode
from protocols.constants import (
    HEARTBEAT_INTERVAL,
    HEARTBEAT_LOSS_THRESHOLD,
    HELLO_TIMEOUT,
    MAX_CONSECUTIVE_ERRORS,
    SUBPROTOCOL,
    SUPPORTED_VERSIONS,
    CloseCode,
    ErrorCode,
)
from protocols.machines.session_events import (
    CloseRequested,
    HelloReceived,
    NotificationReceived,
    PeerSilent,
    RequestReceived,
    ServerEvent,
)
from protocols.messages import (
    Answer,
    Bye,
    Error,
    Hello,
    Message,
    Notification,
    Ok,
    Ping,
    Pong,
    Request,
    Welcome,
)

ServerState = Literal["awaiting_hello", "open", "closed"]

#: Notifications a superseded instance still handles: they keep the link alive and end it in order.
_SESSION_NOTIFICATIONS = (Ping, Pong, Bye)


class _UsedIds:
    """The request ids seen in a session, compact when ids grow one by one as clients send them."""

    def __init__(self) -> None:
        self._low = 0  # every id <= _low is used
        self._above: set[int] = set()

    def add(self, request_id: int) -> bool:
        """Record an id; False when it was already used."""
        if request_id <= self._low or request_id in self._above:
            return False
        self._above.add(request_id)
        while self._low + 1 in self._above:
            self._low += 1
            self._above.discard(self._low)
        return True


class ServerSession:
    """One client connection as the platform sees it."""

    def __init__(
        self,
        *,
        epoch: int,
        instance: str,
        now: float,
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
        loss_threshold: int = HEARTBEAT_LOSS_THRESHOLD,
        hello_timeout: float = HELLO_TIMEOUT,
        negotiated: bool = True,
    ) -> None:
        """``negotiated`` is False when the client offered no ``tdp.v1`` subprotocol: its first request is
        then answered 426 and the connection closed with 4002 (SPEC.md §2.1)."""
        self.epoch = epoch
        self.instance = instance
        self.principal: str | None = None
        self.close_code: int | None = None
        #: the hello that opened the session (or the one awaiting a decision)
        self.hello: Hello | None = None
        self._interval = heartbeat_interval
        self._threshold = loss_threshold
        self._negotiated = negotiated
        self._state: ServerState = "awaiting_hello"
        self._hello_deadline = now + hello_timeout
        self._hello_pending = False
        self._used_ids = _UsedIds()
        self._awaiting: set[int] = set()
        self._consecutive_errors = 0
        self._last_received = now
        self._next_ping = 0.0
        self._ping_seq = 0
        self._outbox: list[bytes] = []
        self._events: list[ServerEvent] = []

    @property
    def state(self) -> ServerState:
        return self._state

    def awaiting_answer(self) -> list[int]:
        """Ids of the requests handed to the owner and not answered yet."""
        return sorted(self._awaiting)

    # ----- input ------------------------------------------------------------------------------

    def receive_data(self, data: bytes | str, now: float, *, binary: bool = False) -> None:
        """Feed one WebSocket message from the client (``binary``: it came in a binary frame)."""
        if self._state == "closed":
            return
        self._last_received = now
        try:
            if binary:
                raise ProtocolError(ErrorCode.BAD_MESSAGE, "binary frames are not TDP/1 messages")
            message = decode(data)
        except ProtocolError as exc:
            self._consecutive_errors += 1
            self._reply(Error(code=exc.code, reason=exc.reason, re=exc.re))
            if exc.re is not None:
                self._used_ids.add(exc.re)
            if self._consecutive_errors >= MAX_CONSECUTIVE_ERRORS:
                reason = f"{self._consecutive_errors} undecodable messages in a row"
                self._finish(CloseCode.TOO_MANY_ERRORS, reason)
            return
        self._consecutive_errors = 0
        if isinstance(message, Answer):
            self._reply(Error(code=ErrorCode.BAD_MESSAGE, reason="clients do not send answers"))
        elif not self._negotiated and isinstance(message, Request):
            self._reply(Error(code=ErrorCode.UNSUPPORTED_VERSION, reason=f"offer subprotocol {SUBPROTOCOL}",
                              re=message.id))
            self._finish(CloseCode.UNSUPPORTED_VERSION, "no subprotocol in common")
        elif isinstance(message, Request):
            self._receive_request(message)
        elif self._state == "open":
            self._receive_notification(message)
        # notifications before the hello are dropped: there is nobody to attribute them to

    def _receive_request(self, request: Request) -> None:
        if not self._used_ids.add(request.id):
            self._reply(Error(code=ErrorCode.DUPLICATE_ID, reason=f"request id {request.id} already used",
                              re=request.id))
            return
        if request.epoch > self.epoch:
            reason = f"instance epoch {self.epoch} is older than {request.epoch}"
            self._reply(Error(code=ErrorCode.STALE_EPOCH, reason=reason, re=request.id))
            return
        if isinstance(request, Hello):
            self._receive_hello(request)
        elif self._state != "open":
            self._reply(Error(code=ErrorCode.UNAUTHORIZED, reason="hello first", re=request.id))
        else:
            self._awaiting.add(request.id)
            self._events.append(RequestReceived(request))

    def _receive_hello(self, hello: Hello) -> None:
        if self._state == "open" or self._hello_pending:
            self._reply(Error(code=ErrorCode.CONFLICT, reason="hello already received", re=hello.id))
            return
        self.hello = hello
        self._hello_pending = True
        if not set(hello.versions) & set(SUPPORTED_VERSIONS):
            offered = ", ".join(map(str, SUPPORTED_VERSIONS))
            self._refuse_hello(ErrorCode.UNSUPPORTED_VERSION, f"no common version; server speaks {offered}")
            return
        self._events.append(HelloReceived(hello))

    def _receive_notification(self, message: Message) -> None:
        if message.epoch > self.epoch and not isinstance(message, _SESSION_NOTIFICATIONS):
            return  # fenced: the client follows a newer instance; acting on it could obey two actives
        if isinstance(message, Ping):
            self._reply(Pong(seq=message.seq))
        elif isinstance(message, Pong):
            pass  # its arrival is the liveness it proves
        else:
            self._events.append(NotificationReceived(message))
            if isinstance(message, Bye):
                self._finish(CloseCode.NORMAL, message.reason or "bye")

    # ----- calls from the owner ---------------------------------------------------------------

    def accept(self, welcome: Welcome, principal: str, now: float) -> None:
        """Answer the pending hello with ``welcome`` (re and epoch are filled in).

        A positive ``heartbeat_ms`` / ``loss_threshold`` in the welcome sets this session's heartbeat (an
        application gives terminals a slower one than consoles); zero keeps the session's configured one."""
        hello = self.hello
        if not self._hello_pending or hello is None:
            raise ValueError("no hello awaits a decision")
        self._hello_pending = False
        if self._state == "closed":
            return
        self._state = "open"
        self.principal = principal
        if welcome.heartbeat_ms > 0:
            self._interval = welcome.heartbeat_ms / 1000
        if welcome.loss_threshold > 0:
            self._threshold = welcome.loss_threshold
        welcome = msgspec.structs.replace(
            welcome,
            re=hello.id,
            heartbeat_ms=round(self._interval * 1000),
            loss_threshold=self._threshold,
        )
        self._reply(welcome)
        self._last_received = max(self._last_received, now)
        self._next_ping = now + self._interval

    def reject(self, code: ErrorCode, reason: str, now: float) -> None:
        """Answer the pending hello with an error; refused credentials (401, 403) and no common version (426)
        also close the connection (4001, 4002); other refusals leave it waiting for another hello."""
        if not self._hello_pending:
            raise ValueError("no hello awaits a decision")
        if self._state == "closed":
            self._hello_pending = False
            return
        self._refuse_hello(code, reason)

    def _refuse_hello(self, code: ErrorCode, reason: str) -> None:
        hello = self.hello
        assert hello is not None
        self._hello_pending = False
        self._reply(Error(code=code, reason=reason, re=hello.id))
        if code in (ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN):
            self._finish(CloseCode.AUTH_FAILED, reason)
        elif code == ErrorCode.UNSUPPORTED_VERSION:
            self._finish(CloseCode.UNSUPPORTED_VERSION, reason)

    def answer(self, request_id: int, answer: Ok | Error, now: float) -> None:
        """Answer a request handed out by `RequestReceived`. Answering twice, or an id never handed out,
        is a programming error (ValueError). After the session closed the answer is dropped."""
        if request_id not in self._awaiting:
            raise ValueError(f"request {request_id} is not awaiting an answer")
        self._awaiting.discard(request_id)
        if self._state == "closed":
            return
        try:
            self._outbox.append(encode(msgspec.structs.replace(answer, re=request_id, epoch=self.epoch)))
        except ProtocolError as exc:
            reason = f"answer not sendable: {exc.reason}"
            self._reply(Error(code=ErrorCode.INTERNAL, reason=reason, re=request_id))

    def send(self, message: Notification, now: float) -> None:
        """Queue a notification to the client (dropped once closed). Raises `ProtocolError` when too large."""
        if self._state == "closed":
            return
        self._outbox.append(encode(msgspec.structs.replace(message, epoch=self.epoch)))

    def send_encoded(self, data: bytes) -> None:
        """Queue a notification already encoded (by `encode_notification` at this session's epoch), so that
        one encoding serves every receiver of a fan-out. Dropped once closed."""
        if self._state == "closed":
            return
        self._outbox.append(data)

    def set_epoch(self, epoch: int) -> None:
        """The platform's epoch changed (promotion); later messages carry it and requests are fenced by it."""
        self.epoch = epoch

    def close(self, code: CloseCode, reason: str, now: float) -> None:
        """End the session: a `Bye` when it was open, then `CloseRequested` with ``code``."""
        if self._state == "closed":
            return
        if self._state == "open":
            self._reply(Bye(reason=reason))
        self._finish(code, reason)

    def connection_lost(self, now: float) -> None:
        """The transport is gone: the session closes quietly; late answers are dropped."""
        if self._state != "closed":
            self._state = "closed"

    # ----- time -------------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        """When `handle_timer` should next be called, or None when nothing is due."""
        if self._state == "awaiting_hello":
            return None if self._hello_pending else self._hello_deadline
        if self._state == "open":
            return min(self._next_ping, self._silence_deadline())
        return None

    def handle_timer(self, now: float) -> None:
        """Fire whatever is due at ``now``: the hello timeout, pings, silence detection."""
        if self._state == "awaiting_hello":
            if not self._hello_pending and now >= self._hello_deadline:
                self._finish(CloseCode.HELLO_TIMEOUT, "no hello in time")
            return
        if self._state != "open":
            return
        if now >= self._silence_deadline():
            silent_for = now - self._last_received
            self._events.append(PeerSilent(silent_for))
            self._finish(CloseCode.HEARTBEAT_TIMEOUT, f"nothing heard for {silent_for:.3f} s")
            return
        if now >= self._next_ping:
            self._ping_seq += 1
            self._reply(Ping(seq=self._ping_seq))
            self._next_ping += self._interval
            if self._next_ping <= now:
                self._next_ping = now + self._interval

    # ----- output -----------------------------------------------------------------------------

    def data_to_send(self) -> list[bytes]:
        """Messages to write, one WebSocket text frame each, in order."""
        data, self._outbox = self._outbox, []
        return data

    def events(self) -> list[ServerEvent]:
        """Events since the last call, in order."""
        events, self._events = self._events, []
        return events

    # ----- helpers ----------------------------------------------------------------------------

    def _reply(self, message: Message) -> None:
        """Queue a message the session itself composed (always small enough to encode)."""
        self._outbox.append(encode(msgspec.structs.replace(message, epoch=self.epoch)))

    def _silence_deadline(self) -> float:
        return self._last_received + self._interval * self._threshold

    def _finish(self, code: int, reason: str) -> None:
        self._state = "closed"
        self.close_code = code
        self._events.append(CloseRequested(code, reason))


__all__ = ["ServerSession", "ServerState"]


def encode_notification(message: Notification, epoch: int) -> bytes:
    """Encode a notification as `ServerSession.send` would at ``epoch`` (for `ServerSession.send_encoded`).
    Raises `ProtocolError` when too large."""
    return encode(msgspec.structs.replace(message, epoch=epoch))
