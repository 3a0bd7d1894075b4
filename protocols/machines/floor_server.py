"""Floor control on the platform side: one `FloorArbitrator` per call (3GPP TS 24.380 §6.3, the floor
control server). Sans-I/O: calls in, `FloorEvent`s out, time passed in as ``now`` (seconds).

States, in TS 24.380 terms:

* ``idle`` — "G: Floor Idle": nobody talks and nobody waits. Entering it emits `Idle`, repeated every
  T7 until C7 announcements in all (C7=1: once).
* ``taken`` — "G: Floor Taken": one party (the holder) may talk. A grant emits `Granted` (to the
  grantee) then `Taken` (to everyone else); arms T2 with the talk-time limit of the holder's priority
  class (None: no limit) and T20, which repeats `Granted` (``repeat=True``) until `ack`, up to C20
  emissions in all; one more T20 with no ack emits `GrantLost` and the floor moves on. T1 (end of
  media) is armed only once the media plane reported the holder's media for this grant
  (`media_activity`); its expiry counts as the holder's release.
* ``pending_revoke`` — "G: pending Floor Revoke": the holder was sent `Revoked` and has T8 to stop.
  Its release, its end of media (T1) or T8 expiry gives the floor to the head of the queue
  (``Granted(from_queue=True)``), or makes it idle when nobody waits; the revoked holder never gets
  the floor back from the revoke itself.

Requests (the return value is the request's answer; no event is emitted for a request's own denial):

* idle: granted at once. From the holder: granted again, idempotently (a repeat `Granted`; `Taken`
  again only when its class rose). From the holder while its revoke is pending: denied ``revoked``.
* taken, requester's class strictly above the holder's: pre-emption. The requester is queued by class
  (normally at the head) and the holder gets ``Revoked(pre_empted)``.
* ``override=True`` (the caller checked the dispatcher's permission): the holder is revoked
  (``override``) whatever its class and the requester is pinned at the head of the queue, ahead of the
  class order. While a revoke is pending, the first override stands; later ones queue by class.
* otherwise queued by class (emergency > imminent_peril > dispatcher > normal), then arrival. A party
  already queued keeps its place and arrival time; a re-request may raise (never lower) its class.
* the queue holds at most ``queue_limit`` parties: a newcomer that outranks the last one bumps it
  (``Denied(queue_full)`` to the bumped party); otherwise the newcomer is denied ``queue_full``.
* a broadcast call (``fixed_holder``) denies everyone else ``broadcast_call``; an ended call denies
  everything ``call_ended``.

Every queue change emits `QueueChanged` (for consoles) and `QueuePosition` to each still-queued party
whose position changed, except the requester being answered (its position is in its answer).
`handle_timer(now)` processes every deadline up to ``now`` in deadline order, each as of its own
deadline, so a late call catches up exactly.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from typing import Literal

from protocols.constants import (
    C7_FLOOR_IDLE,
    C20_FLOOR_GRANTED,
    T1_END_OF_MEDIA,
    T2_STOP_TALKING,
    T2_STOP_TALKING_DISPATCHER,
    T2_STOP_TALKING_EMERGENCY,
    T7_FLOOR_IDLE,
    T8_FLOOR_REVOKE,
    T20_FLOOR_GRANTED,
)
from protocols.messages import PRIORITY_RANK, PriorityClass, QueueEntry

logger = logging.getLogger(__name__)

FloorState = Literal["idle", "taken", "pending_revoke"]
RevokeReason = Literal["pre_empted", "talk_time_limit", "override", "call_ended", "disabled"]
DecisionOutcome = Literal["granted", "queued", "denied"]

_Timer = Literal["T8", "T1", "T2", "T20", "T7"]
#: Order among deadlines that fall at the same instant: a holder whose media ended (T1) releases
#: before its talk-time limit (T2) would revoke it.
_TIMER_ORDER: tuple[_Timer, ...] = ("T8", "T1", "T2", "T20", "T7")


@dataclass(frozen=True, kw_only=True)
class FloorTimers:
    """Timer values (seconds) and counters of the floor control server; defaults from constants."""

    t1: float = T1_END_OF_MEDIA
    t2_normal: float | None = T2_STOP_TALKING
    t2_dispatcher: float | None = T2_STOP_TALKING_DISPATCHER
    #: imminent peril is a life-safety class: no limit by default, like emergency
    t2_imminent_peril: float | None = T2_STOP_TALKING_EMERGENCY
    t2_emergency: float | None = T2_STOP_TALKING_EMERGENCY
    t7: float = T7_FLOOR_IDLE
    c7: int = C7_FLOOR_IDLE
    t8: float = T8_FLOOR_REVOKE
    t20: float = T20_FLOOR_GRANTED
    c20: int = C20_FLOOR_GRANTED
    queue_limit: int = 16

    def __post_init__(self) -> None:
        durations = (self.t1, self.t7, self.t8, self.t20, self.t2_normal, self.t2_dispatcher,
                     self.t2_imminent_peril, self.t2_emergency)
        if any(t is not None and not t > 0 for t in durations):
            raise ValueError("floor timers must be positive")
        if self.c7 < 1 or self.c20 < 1 or self.queue_limit < 0:
            raise ValueError("C7 and C20 must be at least 1, queue_limit at least 0")

    def talk_limit(self, priority: PriorityClass) -> float | None:
        """T2 for a holder of this class (None: no limit)."""
        return {
            "normal": self.t2_normal,
            "dispatcher": self.t2_dispatcher,
            "imminent_peril": self.t2_imminent_peril,
            "emergency": self.t2_emergency,
        }[priority]


@dataclass(frozen=True, kw_only=True)
class FloorDecision:
    """The answer to one floor request."""

    outcome: DecisionOutcome
    #: queue position (from 1) when queued, else 0
    position: int = 0
    #: talk-time limit in seconds when granted (None: no limit)
    limit: float | None = None
    #: why it was denied ("" otherwise)
    reason: str = ""


# ----- events ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FloorEvent:
    """Base of every floor arbitrator event."""

    #: the call whose floor this is
    call: str


@dataclass(frozen=True, kw_only=True)
class Granted(FloorEvent):
    """To the grantee: it may talk (floor.granted); it answers with floor.ack."""

    party: str
    priority: PriorityClass
    #: talk-time limit in seconds (what remains of it on a repeat), None for none
    limit: float | None
    #: the grant came from the queue
    from_queue: bool = False
    #: a T20 repetition (or an answer to the holder's repeated request), not a new grant
    repeat: bool = False


@dataclass(frozen=True, kw_only=True)
class Taken(FloorEvent):
    """To every participant but the holder: someone talks (floor.taken)."""

    holder: str
    priority: PriorityClass


@dataclass(frozen=True, kw_only=True)
class Idle(FloorEvent):
    """To every participant: nobody talks (floor.idle)."""


@dataclass(frozen=True, kw_only=True)
class Revoked(FloorEvent):
    """To the holder: stop talking now (floor.revoke)."""

    party: str
    reason: RevokeReason


@dataclass(frozen=True, kw_only=True)
class Denied(FloorEvent):
    """To a queued party whose request is dropped (floor.deny): bumped, removed, or the call ended."""

    party: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class QueuePosition(FloorEvent):
    """To a queued party: its position changed (floor.queue with a position)."""

    party: str
    position: int


@dataclass(frozen=True, kw_only=True)
class QueueChanged(FloorEvent):
    """For consoles: the whole queue after a change (floor.queue with the list)."""

    queue: tuple[QueueEntry, ...]


@dataclass(frozen=True, kw_only=True)
class GrantLost(FloorEvent):
    """The grantee never acknowledged its grant (T20 x C20): the grant is withdrawn, the floor moves on."""

    party: str


# ----- the arbitrator -------------------------------------------------------------------------


@dataclass(slots=True)
class _Waiting:
    """One queued request: its class may rise, its arrival never changes."""

    party: str
    priority: PriorityClass
    arrival: int


def _rank(priority: PriorityClass) -> int:
    return PRIORITY_RANK[priority]


class FloorArbitrator:
    """Decides who may talk in one call: grants, queue, pre-emption, revocation and the server timers."""

    def __init__(self, call: str, *, timers: FloorTimers = FloorTimers(),
                 fixed_holder: str | None = None) -> None:
        self.call = call
        self.timers = timers
        self.fixed_holder = fixed_holder
        self._state: FloorState = "idle"
        self._holder: str | None = None
        self._holder_priority: PriorityClass | None = None
        self._from_queue = False
        #: the override the pending revoke is for: it heads the queue, ahead of the class order
        self._pinned: _Waiting | None = None
        #: the rest of the queue, kept sorted by class (highest first) then arrival
        self._ordered: list[_Waiting] = []
        self._arrivals = itertools.count()
        self._deadlines: dict[_Timer, float] = {}
        self._t2_deadline: float | None = None
        self._grant_emissions = 0
        self._idle_emissions = 0
        self._ended = False
        self._events: list[FloorEvent] = []

    # ----- read-only view ---------------------------------------------------------------------

    @property
    def state(self) -> FloorState:
        """TS 24.380 "G: Floor Idle", "G: Floor Taken" or "G: pending Floor Revoke"."""
        return self._state

    @property
    def holder(self) -> str | None:
        """Who may talk now (still the revoked holder while its revoke is pending)."""
        return self._holder

    @property
    def holder_priority(self) -> PriorityClass | None:
        return self._holder_priority

    @property
    def queue(self) -> list[QueueEntry]:
        """The waiting requests in grant order, positions from 1."""
        return [QueueEntry(party=w.party, priority=w.priority, position=i)
                for i, w in enumerate(self._waiting(), start=1)]

    @property
    def pending_override(self) -> str | None:
        """The party an override revoke is pending for (it heads the queue), if any."""
        return self._pinned.party if self._pinned is not None else None

    @property
    def ended(self) -> bool:
        return self._ended

    def events(self) -> list[FloorEvent]:
        """Drain the pending events, oldest first."""
        events, self._events = self._events, []
        return events

    def get_timer(self) -> float | None:
        """The earliest armed deadline, or None."""
        return min(self._deadlines.values(), default=None)

    # ----- inputs -----------------------------------------------------------------------------

    def request(self, party: str, priority: PriorityClass, now: float, *,
                override: bool = False) -> FloorDecision:
        """A floor request from ``party``; the result is the request's answer."""
        if self._ended:
            return FloorDecision(outcome="denied", reason="call_ended")
        if self.fixed_holder is not None and party != self.fixed_holder:
            return FloorDecision(outcome="denied", reason="broadcast_call")
        if self._state == "idle":
            self._grant(party, priority, now, from_queue=False)
            return FloorDecision(outcome="granted", limit=self._remaining(now))
        if party == self._holder:
            return self._repeat_request(party, priority, now)
        assert self._holder_priority is not None
        before = self._positions()
        if override and (self._state == "taken" or self._pinned is None):
            if not self._enqueue(party, priority, pin=True):
                return FloorDecision(outcome="denied", reason="queue_full")
            if self._state == "taken":
                self._revoke("override", now)
        else:
            if not self._enqueue(party, priority, pin=False):
                return FloorDecision(outcome="denied", reason="queue_full")
            if self._state == "taken" and _rank(priority) > _rank(self._holder_priority):
                self._revoke("pre_empted", now)
        self._announce_queue(before, answered=party)
        position = self._position_of(party)
        logger.debug("call %s: %s queued at %d (%s%s)", self.call, party, position, priority,
                     ", override" if override else "")
        return FloorDecision(outcome="queued", position=position)

    def release(self, party: str, now: float) -> bool:
        """The holder stops talking, or a queued party leaves the queue; False if it is neither."""
        if self._ended:
            return False
        if party == self._holder:
            logger.debug("call %s: %s released the floor", self.call, party)
            self._floor_free(now)
            return True
        if self._position_of(party):
            before = self._positions()
            self._dequeue(party)
            self._announce_queue(before)
            return True
        return False

    def ack(self, party: str, now: float) -> None:
        """floor.ack of a grant from ``party``: stops the T20 repetition if it holds the floor."""
        if party == self._holder and self._state == "taken":
            self._deadlines.pop("T20", None)

    def media_activity(self, party: str, sending: bool, now: float) -> None:
        """The media plane reports the holder's media: sending (re)starts T1; stopped arms it if unarmed."""
        if party != self._holder:
            return
        if sending or "T1" not in self._deadlines:
            self._deadlines["T1"] = now + self.timers.t1

    def remove_party(self, party: str, now: float, *, disabled: bool = False) -> None:
        """``party`` left the call or was lost (or, with ``disabled``, was disabled by a dispatcher)."""
        if self._ended:
            return
        if party == self._holder:
            if disabled:
                self._emit(Revoked(call=self.call, party=party, reason="disabled"))
            self._floor_free(now)
        elif self._position_of(party):
            before = self._positions()
            self._dequeue(party)
            if disabled:
                self._emit(Denied(call=self.call, party=party, reason="disabled"))
            self._announce_queue(before)

    def end(self, now: float) -> None:
        """The call ended: the holder is revoked (call_ended), every queued party denied; nothing after."""
        if self._ended:
            return
        if self._holder is not None:
            self._emit(Revoked(call=self.call, party=self._holder, reason="call_ended"))
        waiting = self._waiting()
        for w in waiting:
            self._emit(Denied(call=self.call, party=w.party, reason="call_ended"))
        self._pinned, self._ordered = None, []
        if waiting:
            self._emit(QueueChanged(call=self.call, queue=()))
        self._ended = True
        self._state, self._holder, self._holder_priority = "idle", None, None
        self._deadlines.clear()
        logger.debug("call %s: floor closed", self.call)

    def handle_timer(self, now: float) -> None:
        """Process every deadline up to ``now``, in deadline order."""
        while True:
            due = [(deadline, _TIMER_ORDER.index(name), name)
                   for name, deadline in self._deadlines.items() if deadline <= now]
            if not due:
                return
            deadline, _, name = min(due)
            del self._deadlines[name]
            self._expire(name, deadline)

    # ----- transitions ------------------------------------------------------------------------

    def _expire(self, name: _Timer, at: float) -> None:
        if name == "T7":
            self._emit(Idle(call=self.call))
            self._idle_emissions += 1
            if self._idle_emissions < self.timers.c7:
                self._deadlines["T7"] = at + self.timers.t7
        elif name == "T20":
            assert self._holder is not None and self._holder_priority is not None
            if self._grant_emissions < self.timers.c20:
                self._grant_emissions += 1
                self._emit(Granted(call=self.call, party=self._holder, priority=self._holder_priority,
                                   limit=self._remaining(at), from_queue=self._from_queue, repeat=True))
                self._deadlines["T20"] = at + self.timers.t20
            else:
                logger.info("call %s: %s never acknowledged its grant", self.call, self._holder)
                self._emit(GrantLost(call=self.call, party=self._holder))
                self._floor_free(at)
        elif name == "T2":
            logger.info("call %s: %s reached its talk-time limit", self.call, self._holder)
            self._revoke("talk_time_limit", at)
        else:  # T1 (end of the holder's media) and T8 (revoke not obeyed in time) free the floor
            logger.debug("call %s: %s expired for %s", self.call, name, self._holder)
            self._floor_free(at)

    def _grant(self, party: str, priority: PriorityClass, now: float, *, from_queue: bool) -> None:
        self._state, self._holder, self._holder_priority = "taken", party, priority
        self._from_queue = from_queue
        for name in ("T1", "T7", "T8"):
            self._deadlines.pop(name, None)
        self._arm_t2(now)
        self._grant_emissions = 1
        self._deadlines["T20"] = now + self.timers.t20
        logger.debug("call %s: floor granted to %s (%s)", self.call, party, priority)
        self._emit(Granted(call=self.call, party=party, priority=priority, limit=self._remaining(now),
                           from_queue=from_queue))
        self._emit(Taken(call=self.call, holder=party, priority=priority))

    def _repeat_request(self, party: str, priority: PriorityClass, now: float) -> FloorDecision:
        """The holder asks again: it is granted again unless its revoke is pending."""
        assert self._holder_priority is not None
        if self._state == "pending_revoke":
            return FloorDecision(outcome="denied", reason="revoked")
        if _rank(priority) > _rank(self._holder_priority):
            self._holder_priority = priority
            self._arm_t2(now)
            self._emit(Taken(call=self.call, holder=party, priority=priority))
        self._emit(Granted(call=self.call, party=party, priority=self._holder_priority,
                           limit=self._remaining(now), from_queue=self._from_queue, repeat=True))
        return FloorDecision(outcome="granted", limit=self._remaining(now))

    def _revoke(self, reason: RevokeReason, now: float) -> None:
        assert self._holder is not None
        logger.info("call %s: floor revoked from %s (%s)", self.call, self._holder, reason)
        self._emit(Revoked(call=self.call, party=self._holder, reason=reason))
        self._state = "pending_revoke"
        for name in ("T2", "T20"):
            self._deadlines.pop(name, None)
        self._t2_deadline = None
        self._deadlines["T8"] = now + self.timers.t8

    def _floor_free(self, now: float) -> None:
        """The holder is gone: grant the head of the queue, or go idle."""
        self._holder, self._holder_priority, self._t2_deadline = None, None, None
        for name in ("T1", "T2", "T8", "T20"):
            self._deadlines.pop(name, None)
        waiting = self._waiting()
        if not waiting:
            self._state = "idle"
            self._idle_emissions = 1
            self._emit(Idle(call=self.call))
            if self.timers.c7 > 1:
                self._deadlines["T7"] = now + self.timers.t7
            return
        before = self._positions()
        head = waiting[0]
        self._dequeue(head.party)
        self._grant(head.party, head.priority, now, from_queue=True)
        self._announce_queue(before)

    def _arm_t2(self, now: float) -> None:
        assert self._holder_priority is not None
        limit = self.timers.talk_limit(self._holder_priority)
        if limit is None:
            self._deadlines.pop("T2", None)
            self._t2_deadline = None
        else:
            self._t2_deadline = self._deadlines["T2"] = now + limit

    def _remaining(self, now: float) -> float | None:
        return None if self._t2_deadline is None else max(0.0, self._t2_deadline - now)

    # ----- queue ------------------------------------------------------------------------------

    def _waiting(self) -> list[_Waiting]:
        return ([self._pinned] if self._pinned is not None else []) + self._ordered

    def _positions(self) -> dict[str, tuple[int, PriorityClass]]:
        return {w.party: (i, w.priority) for i, w in enumerate(self._waiting(), start=1)}

    def _position_of(self, party: str) -> int:
        """Queue position of ``party`` (from 1), or 0 when it is not queued."""
        return next((i for i, w in enumerate(self._waiting(), start=1) if w.party == party), 0)

    def _enqueue(self, party: str, priority: PriorityClass, *, pin: bool) -> bool:
        """Queue ``party`` (or raise its class); False when the queue is full and it outranks nobody."""
        existing = next((w for w in self._waiting() if w.party == party), None)
        if existing is not None:
            if _rank(priority) > _rank(existing.priority):
                existing.priority = priority
            if pin and existing is not self._pinned:
                self._ordered.remove(existing)
                self._pinned = existing
            self._ordered.sort(key=lambda w: (-_rank(w.priority), w.arrival))
            return True
        if len(self._waiting()) >= self.timers.queue_limit:
            last = self._ordered[-1] if self._ordered else None
            if last is None or (not pin and _rank(last.priority) >= _rank(priority)):
                return False
            self._ordered.pop()
            logger.info("call %s: %s bumped from the full floor queue by %s", self.call, last.party, party)
            self._emit(Denied(call=self.call, party=last.party, reason="queue_full"))
        entry = _Waiting(party, priority, next(self._arrivals))
        if pin:
            assert self._pinned is None
            self._pinned = entry
        else:
            self._ordered.append(entry)
            self._ordered.sort(key=lambda w: (-_rank(w.priority), w.arrival))
        return True

    def _dequeue(self, party: str) -> None:
        if self._pinned is not None and self._pinned.party == party:
            self._pinned = None
        else:
            self._ordered = [w for w in self._ordered if w.party != party]

    def _announce_queue(self, before: dict[str, tuple[int, PriorityClass]],
                        answered: str | None = None) -> None:
        """Emit QueueChanged and the QueuePosition changes since ``before``."""
        after = self._positions()
        if after == before:
            return
        self._emit(QueueChanged(call=self.call, queue=tuple(self.queue)))
        for party, (position, _) in after.items():
            if party != answered and before.get(party, (0,))[0] != position:
                self._emit(QueuePosition(call=self.call, party=party, position=position))

    def _emit(self, event: FloorEvent) -> None:
        self._events.append(event)
