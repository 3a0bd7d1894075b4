"""Floor control on the talking side: one `FloorParticipant` per call per terminal or console
(3GPP TS 24.380 §6.2, the floor participant). Sans-I/O: PTT presses, notifications and answers in;
messages to send and `ParticipantEvent`s out; time passed in as ``now`` (seconds).

States (TS 24.380 "U: ..."): ``has_no_permission``, ``pending_request`` (a floor.request is out),
``has_permission`` (may talk), ``pending_release`` (a floor.release is out: stopping, or leaving the
queue), ``queued``.

* Requests are built with ``id=0`` (the session assigns ids) and a fresh idempotency key; the driver
  hands each answer back through `answer`, matched by that key. T101 (floor.request) and T100
  (floor.release) re-send the same request with the same key, C101/C100 times in all; one more
  expiry gives up with `RequestFailed` and ``has_no_permission``.
* A grant arrives as the Ok answer or as floor.granted, whichever comes first; floor.granted is
  always acknowledged (floor.ack of="granted"), floor.revoke too (of="revoke"). A revoke stops the
  talker at once (`PermissionRevoked`) and sends floor.release; floor.taken naming someone else or
  floor.idle completes a release, or takes the floor from a holder the server has moved on from.
* The PTT key is tracked: released while the request is out, the grant (or queue place) is given back
  at once; pressed while a release is out, the floor is asked for again once the release completes.
  A revoked (or overtaken) talker asks again only after a new press, never by itself.
* T104: while queued with no news of the queue position for T104, ask for it (floor.queue_position),
  C104 times; one more expiry gives up (``has_no_permission`` and `RequestFailed`).
* T103: armed by received media while someone else talks; on expiry the floor is assumed idle.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import msgspec

from protocols import messages as wire
from protocols.constants import (
    C100_FLOOR_RELEASE,
    C101_FLOOR_REQUEST,
    C104_QUEUE_POSITION,
    T100_FLOOR_RELEASE,
    T101_FLOOR_REQUEST,
    T103_END_OF_MEDIA,
    T104_QUEUE_POSITION,
    ErrorCode,
)
from protocols.messages import PriorityClass

logger = logging.getLogger(__name__)

ParticipantState = Literal["has_no_permission", "pending_request", "has_permission", "pending_release",
                           "queued"]
_Timer = Literal["T100", "T101", "T103", "T104"]
_FloorRequestKind = wire.FloorRequest | wire.FloorRelease | wire.FloorQueuePositionRequest
_FloorNotification = (wire.FloorGranted, wire.FloorTaken, wire.FloorIdle, wire.FloorRevoke, wire.FloorDeny,
                      wire.FloorQueueInfo)


@dataclass(frozen=True, kw_only=True)
class ParticipantTimers:
    """Timer values (seconds) and counters of the floor participant; defaults from constants."""

    t100: float = T100_FLOOR_RELEASE
    c100: int = C100_FLOOR_RELEASE
    t101: float = T101_FLOOR_REQUEST
    c101: int = C101_FLOOR_REQUEST
    t103: float = T103_END_OF_MEDIA
    t104: float = T104_QUEUE_POSITION
    c104: int = C104_QUEUE_POSITION

    def __post_init__(self) -> None:
        if min(self.t100, self.t101, self.t103, self.t104) <= 0:
            raise ValueError("floor timers must be positive")
        if min(self.c100, self.c101, self.c104) < 1:
            raise ValueError("floor counters must be at least 1")


# ----- events ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ParticipantEvent:
    """Base of every floor participant event."""

    #: the call whose floor this is
    call: str


@dataclass(frozen=True, kw_only=True)
class PermissionGranted(ParticipantEvent):
    """The floor is ours: play the talk-permit tone and start sending."""

    #: talk-time limit in seconds, None for none
    limit: float | None


@dataclass(frozen=True, kw_only=True)
class PermissionRevoked(ParticipantEvent):
    """Stop sending at once: revoked by the server (its reason), or the server moved on ("taken", "idle")."""

    reason: str


@dataclass(frozen=True, kw_only=True)
class Queued(ParticipantEvent):
    """Our request waits in the queue at ``position`` (from 1); sent again whenever it moves."""

    position: int


@dataclass(frozen=True, kw_only=True)
class Denied(ParticipantEvent):
    """Our request was refused, or dropped from the queue."""

    reason: str


@dataclass(frozen=True, kw_only=True)
class FloorTaken(ParticipantEvent):
    """Someone else talks."""

    holder: str
    priority: PriorityClass


@dataclass(frozen=True, kw_only=True)
class FloorIdle(ParticipantEvent):
    """Nobody talks (told by the server, or assumed after T103 without media)."""


@dataclass(frozen=True, kw_only=True)
class RequestFailed(ParticipantEvent):
    """A floor request, release or queue position request got no usable answer; we gave up."""

    #: the message type: "floor.request", "floor.release" or "floor.queue_position"
    what: str
    reason: str = ""


def _new_key() -> str:
    return uuid.uuid4().hex


class FloorParticipant:
    """One party's view of one call's floor: turns PTT presses into floor requests and follows the server."""

    def __init__(self, call: str, me: str, *, priority: PriorityClass = "normal",
                 timers: ParticipantTimers = ParticipantTimers(),
                 keys: Callable[[], str] | None = None) -> None:
        self.call = call
        self.me = me
        #: class of our next requests (raised by the owner during an emergency)
        self.priority: PriorityClass = priority
        self.timers = timers
        self._keys = keys or _new_key
        self._state: ParticipantState = "has_no_permission"
        self._holder: str | None = None
        self._position: int | None = None
        self._limit: float | None = None
        #: the consoles' view of the whole queue (floor.queue with a list)
        self.queue: list[wire.QueueEntry] = []
        #: PTT pressed and not released since, nor revoked: a grant is wanted
        self._wants_floor = False
        #: in pending_release: True when we give back the floor, False when we leave the queue
        self._releasing_floor = False
        self._outstanding: _FloorRequestKind | None = None
        self._sends = 0
        self._position_asks = 0
        self._deadlines: dict[_Timer, float] = {}
        self._out: list[wire.Message] = []
        self._events: list[ParticipantEvent] = []

    # ----- read-only view ---------------------------------------------------------------------

    @property
    def state(self) -> ParticipantState:
        return self._state

    @property
    def holder(self) -> str | None:
        """Who talks as far as we know (``me`` while we have permission)."""
        return self._holder

    @property
    def position(self) -> int | None:
        """Our queue position while queued."""
        return self._position

    @property
    def limit(self) -> float | None:
        """Our talk-time limit in seconds while we have permission (None: none)."""
        return self._limit

    @property
    def outstanding(self) -> _FloorRequestKind | None:
        """The request awaiting its answer, if any."""
        return self._outstanding

    def messages_to_send(self) -> list[wire.Message]:
        """Drain the messages to send, oldest first (requests carry ``id=0``)."""
        out, self._out = self._out, []
        return out

    def events(self) -> list[ParticipantEvent]:
        """Drain the pending events, oldest first."""
        events, self._events = self._events, []
        return events

    def get_timer(self) -> float | None:
        """The earliest armed deadline, or None."""
        return min(self._deadlines.values(), default=None)

    # ----- inputs -----------------------------------------------------------------------------

    def press(self, now: float, *, override: bool = False) -> None:
        """PTT pressed (``override``: a dispatcher takes the floor whoever holds it)."""
        self._wants_floor = True
        if self._state == "has_no_permission" or (self._state == "queued" and override):
            self._request(now, override=override)

    def release(self, now: float) -> None:
        """PTT released: give back the floor, or leave the queue (after the answer if a request is out)."""
        self._wants_floor = False
        if self._state == "has_permission":
            self._release(now, floor=True)
        elif self._state == "queued":
            self._release(now, floor=False)

    def media_received(self, now: float) -> None:
        """Media from the holder arrived: (re)start T103 unless we are the one talking."""
        if self._state != "has_permission":
            self._deadlines["T103"] = now + self.timers.t103

    def answer(self, request: wire.Request, answer: wire.Ok | wire.Error, now: float) -> None:
        """The answer to one of our requests; stale answers (no longer outstanding) are ignored."""
        req = self._outstanding
        if req is None or request.key != req.key or type(request) is not type(req):
            logger.debug("call %s: %s ignores a stale answer to %s", self.call, self.me, wire.tag_of(request))
            return
        self._clear_outstanding()
        if isinstance(req, wire.FloorRequest):
            self._request_answered(answer, now)
        elif isinstance(req, wire.FloorRelease):
            if isinstance(answer, wire.Error):
                logger.info("call %s: %s release answered %d %s", self.call, self.me, answer.code,
                            answer.reason)
            self._release_done(now)
        else:
            self._position_answered(answer, now)

    def receive(self, message: wire.Message, now: float) -> None:
        """A floor notification; anything else, or for another call, is ignored."""
        if not isinstance(message, _FloorNotification) or message.call != self.call:
            return
        if isinstance(message, wire.FloorGranted):
            self._on_granted_notice(message, now)
        elif isinstance(message, wire.FloorTaken):
            self._on_taken(message, now)
        elif isinstance(message, wire.FloorIdle):
            self._on_idle(now)
        elif isinstance(message, wire.FloorRevoke):
            self._on_revoke(message, now)
        elif isinstance(message, wire.FloorDeny):
            self._on_deny(message, now)
        else:
            self._on_queue_info(message, now)

    def handle_timer(self, now: float) -> None:
        """Process every deadline up to ``now``, in deadline order."""
        while True:
            due = [(deadline, name) for name, deadline in self._deadlines.items() if deadline <= now]
            if not due:
                return
            deadline, name = min(due)
            del self._deadlines[name]
            if name == "T103":
                self._media_ended()
            elif name == "T104":
                self._ask_position(deadline)
            else:
                self._retransmit(deadline)

    # ----- notifications ----------------------------------------------------------------------

    def _on_granted_notice(self, message: wire.FloorGranted, now: float) -> None:
        if message.holder != self.me:
            return
        self._out.append(wire.FloorAck(call=self.call, of="granted"))
        limit = None if message.limit_ms is None else message.limit_ms / 1000
        if self._state == "has_permission":
            self._limit = limit
        elif self._state in ("pending_request", "queued", "has_no_permission"):
            self._clear_outstanding()
            self._granted(limit, now)

    def _on_taken(self, message: wire.FloorTaken, now: float) -> None:
        if message.holder == self.me:
            return
        self._deadlines.pop("T103", None)
        self._holder = message.holder
        self._events.append(FloorTaken(call=self.call, holder=message.holder, priority=message.priority))
        self._server_moved_on("taken", now)

    def _on_idle(self, now: float) -> None:
        self._deadlines.pop("T103", None)
        self._holder = None
        self._events.append(FloorIdle(call=self.call))
        self._server_moved_on("idle", now)

    def _server_moved_on(self, reason: str, now: float) -> None:
        """The floor is someone else's or nobody's: our talk spurt (or our release) is over."""
        if self._state == "has_permission":
            logger.info("call %s: %s lost the floor (%s)", self.call, self.me, reason)
            self._wants_floor = False  # a new talk spurt needs a new press
            self._set_state("has_no_permission")
            self._limit = None
            self._events.append(PermissionRevoked(call=self.call, reason=reason))
        elif self._state == "pending_release" and self._releasing_floor:
            self._clear_outstanding()
            self._release_done(now)

    def _on_revoke(self, message: wire.FloorRevoke, now: float) -> None:
        self._out.append(wire.FloorAck(call=self.call, of="revoke"))
        if self._state != "has_permission":
            return
        logger.info("call %s: %s floor revoked (%s)", self.call, self.me, message.reason)
        self._wants_floor = False  # a revoked talker asks again only with a new press
        self._events.append(PermissionRevoked(call=self.call, reason=message.reason))
        if message.reason == "call_ended":
            self._set_state("has_no_permission")
            self._holder = self._limit = None
        else:
            self._release(now, floor=True)

    def _on_deny(self, message: wire.FloorDeny, now: float) -> None:
        if self._state in ("queued", "pending_request"):
            self._clear_outstanding()
            self._not_queued(message.reason)
        elif self._state == "pending_release" and not self._releasing_floor:
            self._clear_outstanding()
            self._release_done(now)

    def _on_queue_info(self, message: wire.FloorQueueInfo, now: float) -> None:
        if message.position is None:
            self.queue = list(message.queue)
        elif self._state == "queued":
            self._queue_news(message.position, now)
        elif self._state == "pending_request" and message.position > 0:
            self._clear_outstanding()
            self._queued(message.position, now)

    # ----- answers ----------------------------------------------------------------------------

    def _request_answered(self, answer: wire.Ok | wire.Error, now: float) -> None:
        if isinstance(answer, wire.Error):
            self._set_state("has_no_permission")
            if answer.code == ErrorCode.CONFLICT and answer.reason.startswith("floor_denied"):
                reason = answer.reason.partition(":")[2].strip() or answer.reason
                logger.info("call %s: %s floor denied (%s)", self.call, self.me, reason)
                self._events.append(Denied(call=self.call, reason=reason))
            else:
                self._fail("floor.request", f"{answer.code} {answer.reason}")
            return
        outcome = answer.result.get("outcome")
        if outcome == "granted":
            limit_ms = answer.result.get("limit_ms")
            self._granted(limit_ms / 1000 if isinstance(limit_ms, int | float) else None, now)
            return
        position = answer.result.get("position")
        if outcome == "queued" and isinstance(position, int) and position > 0:
            self._queued(position, now)
        else:
            self._set_state("has_no_permission")
            self._fail("floor.request", f"unexpected result {answer.result!r}")

    def _position_answered(self, answer: wire.Ok | wire.Error, now: float) -> None:
        if self._state != "queued":
            return
        position = answer.result.get("position") if isinstance(answer, wire.Ok) else None
        if isinstance(position, int):
            self._queue_news(position, now)
        else:
            self._give_up_queue(now, "floor.queue_position", self._describe(answer))

    # ----- timers -----------------------------------------------------------------------------

    def _retransmit(self, at: float) -> None:
        """T101 or T100 expired with no answer: re-send with the same key, or give up after C101/C100."""
        req = self._outstanding
        assert isinstance(req, wire.FloorRequest | wire.FloorRelease)
        timer: _Timer
        if isinstance(req, wire.FloorRequest):
            timer, period, limit = "T101", self.timers.t101, self.timers.c101
        else:
            timer, period, limit = "T100", self.timers.t100, self.timers.c100
        if self._sends < limit:
            self._sends += 1
            logger.debug("call %s: %s re-sends %s (%d)", self.call, self.me, wire.tag_of(req), self._sends)
            self._out.append(msgspec.structs.replace(req, id=0))
            self._deadlines[timer] = at + period
            return
        self._clear_outstanding()
        if isinstance(req, wire.FloorRequest):
            self._set_state("has_no_permission")
            self._fail("floor.request", "no answer")
        else:
            self._set_state("has_no_permission")
            self._holder = self._limit = None
            self._fail("floor.release", "no answer")

    def _ask_position(self, at: float) -> None:
        """T104 expired while queued: ask for our position, or give up after C104 unanswered asks."""
        if self._state != "queued":
            return
        if self._position_asks >= self.timers.c104:
            self._give_up_queue(at, "floor.queue_position", "no answer")
            return
        self._position_asks += 1
        req = self._outstanding
        if not isinstance(req, wire.FloorQueuePositionRequest):
            req = wire.FloorQueuePositionRequest(id=0, key=self._keys(), call=self.call)
            self._outstanding = req
        self._out.append(msgspec.structs.replace(req, id=0))
        self._deadlines["T104"] = at + self.timers.t104

    def _media_ended(self) -> None:
        """T103: no media from the holder for T103: assume the floor is idle."""
        if self._state == "has_permission":
            return
        logger.debug("call %s: %s assumes the floor idle (T103)", self.call, self.me)
        self._holder = None
        self._events.append(FloorIdle(call=self.call))

    # ----- transitions ------------------------------------------------------------------------

    def _request(self, now: float, *, override: bool = False) -> None:
        req = wire.FloorRequest(id=0, key=self._keys(), call=self.call, priority=self.priority,
                                override=override)
        self._deadlines.pop("T104", None)
        self._position = None
        self._send(req, now, "T101", self.timers.t101)
        self._set_state("pending_request")

    def _release(self, now: float, *, floor: bool) -> None:
        self._releasing_floor = floor
        self._deadlines.pop("T104", None)
        self._position = None
        self._limit = None
        self._send(wire.FloorRelease(id=0, key=self._keys(), call=self.call), now, "T100", self.timers.t100)
        self._set_state("pending_release")

    def _send(self, req: wire.FloorRequest | wire.FloorRelease, now: float, timer: _Timer,
              period: float) -> None:
        self._clear_outstanding()
        self._outstanding, self._sends = req, 1
        self._out.append(msgspec.structs.replace(req, id=0))
        self._deadlines[timer] = now + period

    def _clear_outstanding(self) -> None:
        self._outstanding = None
        for name in ("T100", "T101"):
            self._deadlines.pop(name, None)

    def _granted(self, limit: float | None, now: float) -> None:
        self._deadlines.pop("T104", None)
        self._deadlines.pop("T103", None)
        self._position = None
        self._holder = self.me
        if not self._wants_floor:
            # PTT already let go: give the floor straight back, without starting to talk.
            self._release(now, floor=True)
            return
        self._limit = limit
        self._set_state("has_permission")
        self._events.append(PermissionGranted(call=self.call, limit=limit))

    def _queued(self, position: int, now: float) -> None:
        self._position, self._position_asks = position, 0
        self._set_state("queued")
        self._events.append(Queued(call=self.call, position=position))
        self._deadlines["T104"] = now + self.timers.t104
        if not self._wants_floor:
            self._release(now, floor=False)

    def _queue_news(self, position: int, now: float) -> None:
        """Fresh news of our queue position (0: we are no longer queued)."""
        if position <= 0:
            self._not_queued("not_queued")
            return
        self._position_asks = 0
        self._deadlines["T104"] = now + self.timers.t104
        if position != self._position:
            self._position = position
            self._events.append(Queued(call=self.call, position=position))

    def _not_queued(self, reason: str) -> None:
        self._deadlines.pop("T104", None)
        self._position = None
        self._set_state("has_no_permission")
        self._events.append(Denied(call=self.call, reason=reason))

    def _give_up_queue(self, now: float, what: str, reason: str) -> None:
        self._clear_outstanding()
        self._deadlines.pop("T104", None)
        self._position = None
        self._set_state("has_no_permission")
        self._fail(what, reason)

    def _release_done(self, now: float) -> None:
        self._set_state("has_no_permission")
        if self._holder == self.me:
            self._holder = None
        self._limit = self._position = None
        if self._wants_floor:
            self._request(now)

    def _fail(self, what: str, reason: str) -> None:
        logger.info("call %s: %s gave up on %s (%s)", self.call, self.me, what, reason)
        self._events.append(RequestFailed(call=self.call, what=what, reason=reason))

    def _set_state(self, state: ParticipantState) -> None:
        if state != self._state:
            logger.debug("call %s: %s %s -> %s", self.call, self.me, self._state, state)
            self._state = state

    @staticmethod
    def _describe(answer: wire.Ok | wire.Error) -> str:
        if isinstance(answer, wire.Error):
            return f"{answer.code} {answer.reason}"
        return f"result {answer.result!r}"
