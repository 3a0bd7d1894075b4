"""A simulated terminal's floor control: one `FloorParticipant` per call, their timers, PTT outcomes.

The participants are the real MCPTT client machines (protocols/machines/floor_terminal.py); this module
only moves their messages to the session, fires their timers and turns their events into the outcome
of a PTT press.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, fields
from typing import Any, Literal

from protocols.aio.client import ConnectionClosed, RequestError
from protocols.aio.timers import run_timers
from protocols.machines.floor_terminal import (
    Denied,
    FloorIdle,
    FloorParticipant,
    FloorTaken,
    ParticipantState,
    ParticipantTimers,
    PermissionGranted,
    PermissionRevoked,
    Queued,
    RequestFailed,
)
from protocols.messages import (
    Error,
    FloorAck,
    FloorDeny,
    FloorGranted,
    FloorQueueInfo,
    FloorRevoke,
    Message,
    Notification,
    Ok,
    PriorityClass,
    Request,
)
from protocols.messages import FloorIdle as FloorIdleMessage
from protocols.messages import FloorTaken as FloorTakenMessage

log = logging.getLogger(__name__)

#: Longest wait for the outcome of a PTT press (the participant itself gives up after C101 x T101).
PRESS_TIMEOUT = 5.0

_FLOOR_MESSAGES = (FloorGranted, FloorTakenMessage, FloorIdleMessage, FloorRevoke, FloorDeny, FloorQueueInfo)

PttResult = Literal["granted", "queued", "denied", "failed"]


@dataclass(frozen=True)
class PttOutcome:
    """What a PTT press came to: ``granted``, ``queued`` (at ``position``), ``denied`` or ``failed``."""

    outcome: PttResult
    call: str | None
    position: int | None = None
    reason: str = ""
    #: talk-time limit in seconds when granted (None: none)
    limit: float | None = None


@dataclass
class TerminalStats:
    """What one simulated terminal did and received, for the fleet's summary."""

    registrations: int = 0
    link_drops: int = 0
    #: links lost without being asked to and found again by the terminal itself
    reconnects: int = 0
    #: requests caught by a lost link (or a 421) and sent once more on the new one
    requests_retried: int = 0
    #: floors held or queued for across a lost link and asked for again
    floors_reclaimed: int = 0
    talk_bursts: int = 0
    floor_requests: int = 0
    floor_grants: int = 0
    floor_queued: int = 0
    floor_denied: int = 0
    floor_revoked: int = 0
    floor_failures: int = 0
    texts_sent: int = 0
    statuses_set: int = 0
    emergencies: int = 0
    alarms_raised: int = 0
    location_reports: int = 0
    calls_answered: int = 0
    calls_rejected: int = 0
    messages_received: int = 0
    actions_done: int = 0
    actions_skipped: int = 0
    errors: int = 0

    def add(self, other: TerminalStats) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


class TerminalFloors:
    """The floors of one terminal: a participant for each call it pressed PTT in."""

    def __init__(
        self,
        me: str,
        *,
        clock: Callable[[], float],
        stats: TerminalStats,
        request: Callable[[Request], Awaitable[Ok]],
        notify: Callable[[Notification], None],
        spawn: Callable[[Coroutine[Any, Any, Any], str], None],
        timers: ParticipantTimers | None = None,
    ) -> None:
        self.me = me
        self.clock = clock
        self.stats = stats
        self._request = request
        self._notify = notify
        self._spawn = spawn
        self._timers = timers or ParticipantTimers()
        #: class of our floor requests (raised while our emergency alert is active)
        self._priority: PriorityClass = "normal"
        self.participants: dict[str, FloorParticipant] = {}
        #: who holds the floor of each call as far as this terminal knows
        self.holders: dict[str, str | None] = {}
        #: the call of the last PTT press
        self.ptt_call: str | None = None
        self._outcomes: dict[str, PttOutcome | None] = {}
        #: calls whose floor is being asked for again after a lost link, with the state it had before
        self._reclaiming: dict[str, ParticipantState] = {}
        self._changed = asyncio.Event()
        self._timer_wake = asyncio.Event()

    # ----- state ------------------------------------------------------------------------------

    def state(self, call: str | None = None) -> str:
        """Our participant's state in ``call`` (default: the call of the last press). While a floor held or queued
        for is asked for again after a lost link, it still reads as held or queued."""
        call = call or self.ptt_call
        participant = self.participants.get(call) if call is not None else None
        if participant is None:
            return "has_no_permission"
        before = self._reclaiming.get(participant.call)
        if before is not None and participant.state == "pending_request":
            return before
        return participant.state

    def set_priority(self, priority: PriorityClass) -> None:
        self._priority = priority
        for participant in self.participants.values():
            participant.priority = priority

    # ----- inputs -----------------------------------------------------------------------------

    def receive(self, message: Message, now: float) -> None:
        """A notification from the platform; floor ones go to their call's participant."""
        if not isinstance(message, _FLOOR_MESSAGES):
            return
        if isinstance(message, FloorTakenMessage):
            self.holders[message.call] = message.holder
        elif isinstance(message, FloorIdleMessage):
            self.holders[message.call] = None
        participant = self.participants.get(message.call)
        if participant is not None:
            participant.receive(message, now)
            self._after(participant)
        elif isinstance(message, FloorGranted | FloorRevoke):
            # A floor we never pressed for (an emergency's implicit request, answered before we made its
            # participant): acknowledge it so that the platform does not move on; the emergency claims it.
            if isinstance(message, FloorGranted):
                self._notify(FloorAck(call=message.call, of="granted"))
                self.holders[message.call] = message.holder
            else:
                self._notify(FloorAck(call=message.call, of="revoke"))

    def call_ended(self, call: str) -> None:
        self.holders.pop(call, None)
        self._reclaiming.pop(call, None)
        if self.participants.pop(call, None) is not None:
            self._resolve(call, PttOutcome("denied", call, reason="call_ended"))
        if self.ptt_call == call:
            self.ptt_call = None
        self.pulse()

    def release_all(self, now: float) -> None:
        """Give back every floor and leave every queue (the terminal was disabled)."""
        for participant in list(self.participants.values()):
            participant.release(now)
            self._after(participant)

    def forget(self) -> None:
        """The link is gone and with it every floor."""
        self.participants.clear()
        self._reclaiming.clear()
        self.ptt_call = None
        self.pulse()

    def reclaim(self) -> list[str]:
        """The link is back after a loss (on this instance or the other one): ask again for every floor we held or
        were queued for with PTT still pressed (SPEC.md §7.2 step 6, a new key). The platform grants its holder's
        repeat again and leaves a queued party its place. Returns the calls asked for."""
        now = self.clock()
        reclaimed: list[str] = []
        for call, before in list(self.participants.items()):
            if before.state not in ("has_permission", "queued"):
                continue  # nothing held, or a request out that the link retries by itself
            participant = FloorParticipant(call, self.me, priority=self._priority, timers=self._timers)
            self.participants[call] = participant
            self._reclaiming[call] = before.state
            self.stats.floors_reclaimed += 1
            log.info("call %s: %s asks again for the floor it %s before the link was lost", call, self.me,
                     "held" if before.state == "has_permission" else "was queued for")
            participant.press(now)
            self._after(participant)
            reclaimed.append(call)
        return reclaimed

    # ----- PTT --------------------------------------------------------------------------------

    async def press(self, call: str) -> PttOutcome:
        """Press PTT in ``call``; returns once granted, queued, denied or given up."""
        participant = self.participants.get(call)
        if participant is None:
            participant = FloorParticipant(call, self.me, priority=self._priority, timers=self._timers)
            self.participants[call] = participant
        self.ptt_call = call
        if participant.state == "has_permission":
            return PttOutcome("granted", call, limit=participant.limit)
        if participant.state == "queued":
            return PttOutcome("queued", call, position=participant.position)
        self._outcomes[call] = None
        self.stats.floor_requests += 1
        participant.press(self.clock())
        self._after(participant)
        await self.wait_until(lambda: self._outcomes.get(call) is not None or call not in self.participants,
                              PRESS_TIMEOUT)
        outcome = self._outcomes.pop(call, None)
        if outcome is None:
            reason = "call ended" if call not in self.participants else "no outcome in time"
            return PttOutcome("failed", call, reason=reason)
        return outcome

    async def release(self) -> None:
        """Let go of PTT in the call of the last press; returns once the platform confirmed (bounded)."""
        call = self.ptt_call
        participant = self.participants.get(call) if call is not None else None
        if participant is None:
            return
        self._reclaiming.pop(participant.call, None)
        participant.release(self.clock())
        self._after(participant)
        await self.wait_until(lambda: participant.state in ("has_no_permission", "pending_request"),
                              PRESS_TIMEOUT)

    # ----- waiting ----------------------------------------------------------------------------

    def pulse(self) -> None:
        """Wake everyone waiting for a change of floor or call state."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_until(self, condition: Callable[[], bool], within: float) -> bool:
        """Wait until ``condition()`` holds (re-checked on every change), at most ``within`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return True

    async def run_timers(self) -> None:
        """Fire the participants' timers (T100, T101, T103, T104) at their deadlines; runs until cancelled."""
        await run_timers(self.participants.values, self._timer_wake, self.clock, self._after)

    # ----- plumbing ---------------------------------------------------------------------------

    def _after(self, participant: FloorParticipant) -> None:
        """Send what the participant wants sent and act on its events."""
        for message in participant.messages_to_send():
            if isinstance(message, Request):
                self._spawn(self._send_request(participant, message), f"floor-{self.me}-{participant.call}")
            elif isinstance(message, Notification):
                self._notify(message)
        call = participant.call
        if participant.state != "pending_request":
            self._reclaiming.pop(call, None)
        for event in participant.events():
            if isinstance(event, PermissionGranted):
                self.stats.floor_grants += 1
                self.holders[call] = self.me
                self._resolve(call, PttOutcome("granted", call, limit=event.limit))
            elif isinstance(event, Queued):
                self.stats.floor_queued += 1
                self._resolve(call, PttOutcome("queued", call, position=event.position))
            elif isinstance(event, Denied):
                self.stats.floor_denied += 1
                self._resolve(call, PttOutcome("denied", call, reason=event.reason))
            elif isinstance(event, RequestFailed):
                self.stats.floor_failures += 1
                self._resolve(call, PttOutcome("failed", call, reason=f"{event.what}: {event.reason}"))
            elif isinstance(event, PermissionRevoked):
                self.stats.floor_revoked += 1
                log.info("call %s: floor of %s revoked (%s)", call, self.me, event.reason)
            elif isinstance(event, FloorTaken):
                self.holders[call] = event.holder
            elif isinstance(event, FloorIdle):
                self.holders[call] = None
        self._timer_wake.set()
        self.pulse()

    async def _send_request(self, participant: FloorParticipant, request: Request) -> None:
        try:
            answer: Ok | Error = await self._request(request)
        except RequestError as exc:
            answer = exc.error
        except ConnectionClosed:
            return  # the participant's retransmission timer or the link loss settles it
        if self.participants.get(participant.call) is participant:
            participant.answer(request, answer, self.clock())
            self._after(participant)

    def _resolve(self, call: str, outcome: PttOutcome) -> None:
        if call in self._outcomes and self._outcomes[call] is None:
            self._outcomes[call] = outcome
