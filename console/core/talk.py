"""The desk's side of floor control: one `FloorParticipant` per call the dispatcher pressed PTT in.

The participants are the real MCPTT client machines (protocols/machines/floor_terminal.py); `DeskFloors`
only sends what they want sent, answers their requests, fires their timers (T100, T101, T103, T104) and
turns their events into the outcome of a press. It keeps the failover layer told which floors the
dispatcher still holds PTT for, so that they are asked for again after a switch of instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from protocols.aio.client import ConnectionClosed, RequestError
from protocols.aio.timers import run_timers
from protocols.machines.floor_terminal import (
    Denied,
    FloorParticipant,
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
    FloorIdle,
    FloorQueueInfo,
    FloorRevoke,
    FloorTaken,
    Message,
    Notification,
    Ok,
    PriorityClass,
    Request,
)

logger = logging.getLogger(__name__)

#: Longest wait for the outcome of a PTT press (the participant itself gives up after C101 x T101).
PRESS_TIMEOUT = 5.0
_FLOOR_MESSAGES = (FloorGranted, FloorTaken, FloorIdle, FloorRevoke, FloorDeny, FloorQueueInfo)

PttOutcome = Literal["granted", "queued", "denied", "failed"]


@dataclass(frozen=True)
class PttResult:
    """What a PTT press came to: ``granted`` (with the talk-time ``limit`` in seconds, None for none),
    ``queued`` at ``position``, ``denied`` or ``failed`` (with the ``reason``)."""

    outcome: PttOutcome
    call: str | None
    position: int | None = None
    reason: str = ""
    limit: float | None = None


class DeskFloors:
    """The floors this desk takes part in as a talker (see the module docstring)."""

    def __init__(
        self,
        me: str,
        *,
        request: Callable[[Request], Awaitable[Ok]],
        notify: Callable[[Notification], None],
        floor_wanted: Callable[[str, PriorityClass, bool], None] | None = None,
        floor_released: Callable[[str], None] | None = None,
        on_event: Callable[[str, object], None] | None = None,
        timers: ParticipantTimers | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.me = me
        self._request = request
        self._notify = notify
        self._floor_wanted = floor_wanted
        self._floor_released = floor_released
        self._on_event = on_event
        self._timers = timers or ParticipantTimers()
        self.clock = clock
        self.participants: dict[str, FloorParticipant] = {}
        #: unix time at which our talk time in a call runs out (while we hold its floor with a limit)
        self.deadlines: dict[str, float] = {}
        self._outcomes: dict[str, PttResult | None] = {}
        self._changed = asyncio.Event()
        self._timer_wake = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._timer_task: asyncio.Task[None] | None = None

    # ----- state ------------------------------------------------------------------------------

    def state(self, call: str | None) -> ParticipantState:
        participant = self.participants.get(call) if call is not None else None
        return participant.state if participant is not None else "has_no_permission"

    def talk_time_left(self, call: str | None) -> float | None:
        """Seconds of talk time left in ``call`` while we hold its floor with a limit, else None."""
        if call is None or self.state(call) != "has_permission" or call not in self.deadlines:
            return None
        return max(0.0, self.deadlines[call] - self.clock())

    # ----- inputs -----------------------------------------------------------------------------

    def receive(self, message: Message) -> None:
        """A notification from the platform; floor ones go to their call's participant."""
        if isinstance(message, _FLOOR_MESSAGES):
            participant = self.participants.get(message.call)
            if participant is not None:
                participant.receive(message, self._now())
                self._after(participant)
            elif isinstance(message, FloorGranted) and message.holder == self.me:
                # a grant we hold no participant for (re-requested by the failover layer after our press
                # was settled): acknowledge it so that the platform does not move on (T20)
                self._notify(FloorAck(call=message.call, of="granted"))
            elif isinstance(message, FloorRevoke):
                self._notify(FloorAck(call=message.call, of="revoke"))

    def call_ended(self, call: str) -> None:
        """The call is over: its participant and any press waiting on it are done."""
        if self.participants.pop(call, None) is not None:
            self._resolve(call, PttResult("denied", call, reason="call_ended"))
            if self._floor_released is not None:
                self._floor_released(call)
        self.deadlines.pop(call, None)
        self._pulse()

    # ----- PTT --------------------------------------------------------------------------------

    async def press(self, call: str, *, override: bool = False,
                    priority: PriorityClass = "dispatcher") -> PttResult:
        """Press PTT in ``call``; returns once granted, queued, denied or given up."""
        self._ensure_timers()
        participant = self.participants.get(call)
        if participant is None:
            participant = FloorParticipant(call, self.me, priority=priority, timers=self._timers)
            self.participants[call] = participant
        participant.priority = priority
        if participant.state == "has_permission":
            return PttResult("granted", call, limit=participant.limit)
        if participant.state == "queued" and not override:
            return PttResult("queued", call, position=participant.position)
        self._outcomes[call] = None
        if self._floor_wanted is not None:
            self._floor_wanted(call, priority, override)
        participant.press(self._now(), override=override)
        self._after(participant)
        await self._wait_until(lambda: self._outcomes.get(call) is not None or call not in self.participants,
                               PRESS_TIMEOUT)
        outcome = self._outcomes.pop(call, None)
        if outcome is None:
            reason = "call ended" if call not in self.participants else "no outcome in time"
            return PttResult("failed", call, reason=reason)
        return outcome

    async def release(self, call: str) -> None:
        """Let go of PTT in ``call``; returns once the platform confirmed (bounded by `PRESS_TIMEOUT`)."""
        participant = self.participants.get(call)
        if self._floor_released is not None:
            self._floor_released(call)
        if participant is None:
            return
        participant.release(self._now())
        self._after(participant)
        await self._wait_until(lambda: participant.state in ("has_no_permission", "pending_request"),
                               PRESS_TIMEOUT)

    async def close(self) -> None:
        """Stop the timers and every request still in flight."""
        tasks = set(self._tasks)
        if self._timer_task is not None:
            tasks.add(self._timer_task)
            self._timer_task = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.participants.clear()
        self._pulse()

    # ----- plumbing ---------------------------------------------------------------------------

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _ensure_timers(self) -> None:
        if self._timer_task is None or self._timer_task.done():
            self._timer_task = asyncio.get_running_loop().create_task(self._run_timers(), name="desk-floor-timers")

    async def _run_timers(self) -> None:
        """Fire the participants' timers at their deadlines; runs until cancelled."""
        await run_timers(self.participants.values, self._timer_wake, self._now, self._after)

    def _after(self, participant: FloorParticipant) -> None:
        """Send what the participant wants sent and act on its events."""
        for message in participant.messages_to_send():
            if isinstance(message, Request):
                task = asyncio.get_running_loop().create_task(self._send_request(participant, message),
                                                              name=f"desk-floor-{participant.call}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            elif isinstance(message, Notification):
                try:
                    self._notify(message)
                except ConnectionClosed:
                    logger.debug("call %s: %s not sent, link down", participant.call, type(message).__name__)
        call = participant.call
        for event in participant.events():
            if isinstance(event, PermissionGranted):
                if event.limit is not None:
                    self.deadlines[call] = self.clock() + event.limit
                self._resolve(call, PttResult("granted", call, limit=event.limit))
            elif isinstance(event, Queued):
                self._resolve(call, PttResult("queued", call, position=event.position))
            elif isinstance(event, Denied):
                self._resolve(call, PttResult("denied", call, reason=event.reason))
            elif isinstance(event, RequestFailed):
                self._resolve(call, PttResult("failed", call, reason=f"{event.what}: {event.reason}"))
            elif isinstance(event, PermissionRevoked):
                self.deadlines.pop(call, None)
                if self._floor_released is not None:
                    self._floor_released(call)
            if self._on_event is not None:
                self._on_event(call, event)
        if participant.state != "has_permission":
            self.deadlines.pop(call, None)
        self._timer_wake.set()
        self._pulse()

    async def _send_request(self, participant: FloorParticipant, request: Request) -> None:
        try:
            answer: Ok | Error = await self._request(request)
        except RequestError as exc:
            answer = exc.error
        except ValueError:
            # a retransmission (same key) while the first copy is still outstanding in the failover layer,
            # which carries that one to its answer itself
            logger.debug("call %s: %s %s still outstanding", participant.call, type(request).__name__, request.key)
            return
        except ConnectionClosed:
            return  # the participant's retransmission timer settles it
        if self.participants.get(participant.call) is participant:
            participant.answer(request, answer, self._now())
            self._after(participant)

    def _resolve(self, call: str, outcome: PttResult) -> None:
        if call in self._outcomes and self._outcomes[call] is None:
            self._outcomes[call] = outcome

    def _pulse(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _wait_until(self, condition: Callable[[], bool], within: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return True


__all__ = ["PRESS_TIMEOUT", "DeskFloors", "PttOutcome", "PttResult"]
