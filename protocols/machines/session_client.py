"""The client side of a TDP/1 session as a sans-I/O state machine (SPEC.md §4).

Bytes and calls in, bytes and events out; time is passed in as ``now`` (seconds) and the next deadline
is asked with `get_timer`. It handles the hello, heartbeats and RTT, epoch fencing, and the correlation
of every request with exactly one outcome: `Answered`, or `RequestFailed` after its timeout.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import msgspec

from protocols.codec import ProtocolError, decode, encode
from protocols.constants import (
    HEARTBEAT_INTERVAL,
    HEARTBEAT_LOSS_THRESHOLD,
    REQUEST_TIMEOUT,
    ErrorCode,
)
from protocols.machines.session_events import (
    Answered,
    ClientEvent,
    EpochRaised,
    HelloRejected,
    PeerSilent,
    Received,
    RequestFailed,
    StaleMessage,
    UnexpectedAnswer,
    Violation,
    Welcomed,
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
    tag_of,
)

ClientState = Literal["idle", "hello_sent", "open", "closed"]

#: Pings remembered for RTT measurement; older ones are forgotten (their pongs then measure nothing).
_PINGS_REMEMBERED = 16


@dataclass
class _Pending:
    """A request waiting for its answer."""

    request: Request
    deadline: float
    #: False while held back until the session opens
    written: bool


_Selector = Callable[[_Pending], bool]


class ClientSession:
    """One connection's worth of client-side TDP/1 session, reusable across reconnects via `connect`."""

    def __init__(
        self,
        hello: Hello,
        *,
        request_timeout: float = REQUEST_TIMEOUT,
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
        loss_threshold: int = HEARTBEAT_LOSS_THRESHOLD,
    ) -> None:
        self._hello_template = hello
        self._request_timeout = request_timeout
        self._configured_interval = heartbeat_interval
        self._configured_threshold = loss_threshold
        self._interval = heartbeat_interval
        self._threshold = loss_threshold
        self._state: ClientState = "idle"
        self._epoch = hello.epoch
        self.welcome: Welcome | None = None
        self._rtt: float | None = None

        self._next_id = 1
        self._hello: Hello | None = None
        self._hello_deadline = 0.0
        self._pending: dict[int, _Pending] = {}
        self._deadlines: list[tuple[float, int]] = []  # heap, stale entries skipped lazily
        self._held: list[Message] = []  # written once the session opens
        self._unacknowledged: list[Request] = []

        self._last_received = 0.0
        self._silence_reported = False
        self._next_ping: float | None = None
        self._ping_seq = 0
        self._pings: dict[int, float] = {}

        self._outbox: list[bytes] = []
        self._events: list[ClientEvent] = []

    # ----- state ------------------------------------------------------------------------------

    @property
    def state(self) -> ClientState:
        return self._state

    @property
    def epoch(self) -> int:
        """The highest platform epoch seen; stamped on every outgoing message."""
        return self._epoch

    @property
    def rtt(self) -> float | None:
        """Round-trip time of the latest answered ping, in seconds."""
        return self._rtt

    @property
    def heartbeat_interval(self) -> float:
        return self._interval

    @property
    def loss_threshold(self) -> int:
        return self._threshold

    def pending_ids(self) -> list[int]:
        """Ids of the requests still waiting for an answer, in the order they were sent."""
        return list(self._pending)

    def raise_epoch(self, epoch: int) -> None:
        """Adopt a higher epoch learnt elsewhere (e.g. from the other instance of the pair)."""
        self._epoch = max(self._epoch, epoch)

    # ----- calls from the owner ---------------------------------------------------------------

    def connect(self, now: float) -> None:
        """Start a connection: queue the hello (with the resumption token of the last welcome, if any)."""
        if self._state in ("hello_sent", "open"):
            raise RuntimeError(f"cannot connect a session that is {self._state}")
        self._next_id = 1
        self._interval = self._configured_interval
        self._threshold = self._configured_threshold
        self._pings.clear()
        self._next_ping = None
        resume = self.welcome.resume_token if self.welcome is not None else self._hello_template.resume
        hello = msgspec.structs.replace(
            self._hello_template, id=self._take_id(), epoch=self._epoch, resume=resume
        )
        self._outbox.append(encode(hello))
        self._hello = hello
        self._hello_deadline = now + self._request_timeout
        self._state = "hello_sent"
        self._last_received = now
        self._silence_reported = False

    def send_request(self, request: Request, now: float, *, timeout: float | None = None) -> int:
        """Queue a request under the next id and return that id; before the welcome it is held back.

        Raises `ProtocolError` (TOO_LARGE) when the request cannot be encoded within the size limit,
        and RuntimeError when the session is not connected.
        """
        if self._state not in ("hello_sent", "open"):
            raise RuntimeError(f"cannot send a request on a session that is {self._state}")
        stamped = msgspec.structs.replace(request, id=self._next_id, epoch=self._epoch)
        data = encode(stamped)
        self._take_id()
        deadline = now + (self._request_timeout if timeout is None else timeout)
        written = self._state == "open"
        self._pending[stamped.id] = _Pending(stamped, deadline, written)
        heapq.heappush(self._deadlines, (deadline, stamped.id))
        if written:
            self._outbox.append(data)
        else:
            self._held.append(stamped)
        return stamped.id

    def send_notification(self, message: Notification, now: float) -> None:
        """Queue a notification (held back until the welcome when sent during the hello)."""
        if self._state not in ("hello_sent", "open"):
            raise RuntimeError(f"cannot send on a session that is {self._state}")
        stamped = msgspec.structs.replace(message, epoch=self._epoch)
        data = encode(stamped)
        if self._state == "open":
            self._outbox.append(data)
        else:
            self._held.append(stamped)

    def close(self, now: float, reason: str = "") -> None:
        """End the session in order: queue `Bye`. Answers already on their way are still matched."""
        if self._state in ("hello_sent", "open"):
            self._outbox.append(encode(Bye(reason=reason, epoch=self._epoch)))
        self._unacknowledge(lambda p: not p.written)
        self._held.clear()
        self._stop()

    def connection_lost(self, now: float) -> None:
        """The transport is gone. Outstanding requests are kept as unacknowledged, not failed:
        the owner replays them (same idempotency keys) or gives up with `fail_unacknowledged`."""
        self._unacknowledge(lambda p: True)
        self._held.clear()
        self._outbox.clear()
        self._stop()

    def unacknowledged(self) -> list[Request]:
        """Requests sent but never answered before the connection was lost, in the order sent."""
        return list(self._unacknowledged)

    def take_unacknowledged(self) -> list[Request]:
        """Remove and return the unacknowledged requests, to replay them (here after reconnecting, or on
        another session). `send_request` gives each a new id; the idempotency key stays."""
        taken, self._unacknowledged = self._unacknowledged, []
        return taken

    def fail_unacknowledged(self, now: float) -> None:
        """Give up on the unacknowledged requests: one `RequestFailed` (504) each."""
        for request in self.take_unacknowledged():
            error = Error(code=ErrorCode.TIMEOUT, reason="connection lost before the answer", re=request.id)
            self._events.append(RequestFailed(request, error))

    # ----- input ------------------------------------------------------------------------------

    def receive_data(self, data: bytes | str, now: float, *, binary: bool = False) -> None:
        """Feed one WebSocket message from the server (``binary``: it came in a binary frame)."""
        if self._state == "idle":
            return
        self._last_received = now
        self._silence_reported = False
        try:
            if binary:
                raise ProtocolError(ErrorCode.BAD_MESSAGE, "binary frames are not TDP/1 messages")
            message = decode(data)
        except ProtocolError as exc:
            self._events.append(Violation(exc))
            return
        if message.epoch < self._epoch:
            self._events.append(StaleMessage(message, self._epoch))
            return
        if message.epoch > self._epoch:
            self._events.append(EpochRaised(self._epoch, message.epoch))
            self._epoch = message.epoch
        if isinstance(message, Answer):
            self._receive_answer(message, now)
        elif isinstance(message, Request):
            self._events.append(
                Violation(ProtocolError(ErrorCode.BAD_MESSAGE, f"server sent request {tag_of(message)!r}"))
            )
        elif isinstance(message, Ping):
            if self._state in ("hello_sent", "open"):
                self._outbox.append(encode(Pong(seq=message.seq, epoch=self._epoch)))
        elif isinstance(message, Pong):
            sent = self._pings.get(message.seq)
            if sent is not None:
                self._rtt = now - sent
                for seq in [s for s in self._pings if s <= message.seq]:
                    del self._pings[seq]
        else:
            self._events.append(Received(message))

    def _receive_answer(self, answer: Answer, now: float) -> None:
        hello = self._hello
        if self._state == "hello_sent" and hello is not None and answer.re == hello.id:
            if isinstance(answer, Welcome):
                self._open(answer, now)
            elif isinstance(answer, Error):
                self._hello = None
                self._unacknowledge(lambda p: True)
                self._held.clear()
                self._stop()
                self._events.append(HelloRejected(answer))
            else:
                self._events.append(Violation(ProtocolError(ErrorCode.BAD_MESSAGE, "hello answered with ok")))
            return
        if isinstance(answer, Ok | Error):
            pending = self._pending.get(answer.re) if answer.re is not None else None
            if pending is not None and pending.written:
                del self._pending[pending.request.id]
                self._events.append(Answered(pending.request, answer))
                return
        assert isinstance(answer, Ok | Error | Welcome)
        self._events.append(UnexpectedAnswer(answer))

    def _open(self, welcome: Welcome, now: float) -> None:
        self._hello = None
        self._state = "open"
        self.welcome = welcome
        if welcome.heartbeat_ms > 0:
            self._interval = welcome.heartbeat_ms / 1000
        if welcome.loss_threshold > 0:
            self._threshold = welcome.loss_threshold
        self._next_ping = now + self._interval
        self._events.append(Welcomed(welcome))
        held, self._held = self._held, []
        for message in held:
            stamped = msgspec.structs.replace(message, epoch=self._epoch)
            if isinstance(stamped, Request):
                pending = self._pending.get(stamped.id)
                if pending is None:  # timed out while held
                    continue
                pending.written = True
                pending.request = stamped
            self._outbox.append(encode(stamped))

    # ----- time -------------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        """When `handle_timer` should next be called, or None when nothing is due."""
        deadlines: list[float] = []
        if self._state == "hello_sent":
            deadlines.append(self._hello_deadline)
        self._drop_stale_deadlines()
        if self._deadlines:
            deadlines.append(self._deadlines[0][0])
        if self._state == "open":
            assert self._next_ping is not None
            deadlines.append(self._next_ping)
            if not self._silence_reported:
                deadlines.append(self._silence_deadline())
        return min(deadlines) if deadlines else None

    def handle_timer(self, now: float) -> None:
        """Fire whatever is due at ``now``: hello and request timeouts, pings, silence detection."""
        hello = self._hello
        if self._state == "hello_sent" and hello is not None and now >= self._hello_deadline:
            self._hello = None
            self._unacknowledge(lambda p: True)
            self._held.clear()
            self._stop()
            error = Error(
                code=ErrorCode.TIMEOUT, reason=f"no welcome within {self._request_timeout:g} s", re=hello.id
            )
            self._events.append(HelloRejected(error))
        self._drop_stale_deadlines()
        while self._deadlines and self._deadlines[0][0] <= now:
            _, request_id = heapq.heappop(self._deadlines)
            pending = self._pending.pop(request_id)
            error = Error(code=ErrorCode.TIMEOUT, reason="no answer in time", re=request_id)
            self._events.append(RequestFailed(pending.request, error))
            self._drop_stale_deadlines()
        if self._state != "open":
            return
        if not self._silence_reported and now >= self._silence_deadline():
            self._silence_reported = True
            self._events.append(PeerSilent(now - self._last_received))
        assert self._next_ping is not None
        if now >= self._next_ping:
            self._ping_seq += 1
            self._pings[self._ping_seq] = now
            if len(self._pings) > _PINGS_REMEMBERED:
                del self._pings[min(self._pings)]
            self._outbox.append(encode(Ping(seq=self._ping_seq, epoch=self._epoch)))
            self._next_ping += self._interval
            if self._next_ping <= now:
                self._next_ping = now + self._interval

    # ----- output -----------------------------------------------------------------------------

    def data_to_send(self) -> list[bytes]:
        """Messages to write, one WebSocket text frame each, in order."""
        data, self._outbox = self._outbox, []
        return data

    def events(self) -> list[ClientEvent]:
        """Events since the last call, in order."""
        events, self._events = self._events, []
        return events

    # ----- helpers ----------------------------------------------------------------------------

    def _take_id(self) -> int:
        request_id = self._next_id
        self._next_id += 1
        return request_id

    def _silence_deadline(self) -> float:
        return self._last_received + self._interval * self._threshold

    def _drop_stale_deadlines(self) -> None:
        heap = self._deadlines
        while heap:
            deadline, request_id = heap[0]
            pending = self._pending.get(request_id)
            if pending is not None and pending.deadline == deadline:
                return
            heapq.heappop(heap)

    def _unacknowledge(self, which: _Selector) -> None:
        moved = [p for p in self._pending.values() if which(p)]
        for p in moved:
            del self._pending[p.request.id]
            self._unacknowledged.append(p.request)

    def _stop(self) -> None:
        self._state = "closed"
        self._next_ping = None
        self._pings.clear()

__all__ = ["ClientSession", "ClientState"]
