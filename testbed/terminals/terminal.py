"""A simulated terminal: a real TDP/1 client on its own WebSocket, driven by tests, scenarios or behaviours.

`SimTerminal` registers like a field radio (hello as a terminal, affiliation to its groups), talks with
a `FloorParticipant` per call (floors.py: floor acks, retransmissions and revokes as on a real MCPTT
client), answers private calls by policy, honours control orders and keeps what it received so that
tests can assert on it. Its camera and microphone answer consoles' media sessions (feeds.py: a stamped clip,
a tone while it holds a floor). Its `PlatformLink` (link.py) brings it back by itself when the platform fails over;
it then affiliates again and asks again for the floors it held. Subclasses (`SimTrain`, `SimStaff`) add their
own reporting loops.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import random
import ssl as ssl_module
import time
import uuid
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from protocols.aio.client import ConnectionClosed, RequestError, TrunkingClient
from protocols.constants import SUPPORTED_VERSIONS, ErrorCode
from protocols.machines.floor_terminal import ParticipantTimers
from protocols.messages import (
    AffiliationSet,
    AlarmRaise,
    AlarmSource,
    CallEnded,
    CallInfo,
    CallRelease,
    CallStarted,
    ControlOrder,
    EmergencyAlert,
    EmergencyCancel,
    EmergencyState,
    GroupCallSetup,
    GroupUpdate,
    Hello,
    Location,
    LocationReport,
    MediaActivity,
    MediaAnswer,
    MediaOffer,
    Message,
    Notification,
    Ok,
    PisMessage,
    PrivateCallAnswer,
    PrivateCallIncoming,
    PrivateCallSetup,
    Request,
    Severity,
    StatusMessage,
    StatusSet,
    TextMessage,
    TextSend,
    VideoSession,
    Welcome,
)
from testbed.line import Terminal
from testbed.terminals.behaviour import (
    Action,
    ActionStream,
    RaiseAlarm,
    RaiseEmergency,
    SendText,
    StatusChange,
    TalkBurst,
)
from testbed.terminals.feeds import FeedSettings, TerminalFeeds
from testbed.terminals.feeds import media_number as default_media_number
from testbed.terminals.floors import PttOutcome, TerminalFloors, TerminalStats
from testbed.terminals.link import PlatformLink, cancel_and_wait, log_failure, platform_urls

log = logging.getLogger(__name__)

#: Longest wait for a queued talk burst to be granted before leaving the queue.
QUEUE_PATIENCE = 15.0
#: Seconds between media-activity reports while talking (the platform's T1 is 4 s).
MEDIA_REPORT_INTERVAL = 1.0
#: Longest a behaviour action may take before it is abandoned.
ACTION_TIMEOUT = 90.0

__all__ = ["EmergencyOutcome", "PttOutcome", "SimTerminal", "TerminalDisabled", "TerminalStats"]


class TerminalDisabled(RuntimeError):
    """The platform disabled this terminal by a control order: it makes no calls and sends no data."""


@dataclass(frozen=True)
class EmergencyOutcome:
    """An emergency alert raised: its id, the emergency call (if one was started) and our floor there."""

    alert: str
    call: str | None
    floor: PttOutcome | None


def _key() -> str:
    return uuid.uuid4().hex


class SimTerminal:
    """One simulated terminal over its own TDP/1 session (see the module docstring).

    ``urls`` are the platform's instances (one URL, or the pair's); ``reconnect_seed`` seeds the jitter of
    its reconnection backoff (with the terminal id), so that a fleet run comes back the same way each time.
    ``media`` says where its media may flow; ``media_number`` is stamped into its video and picks its tone
    (`feeds.media_numbers`; unique within a fleet).
    ``ssl`` verifies ``wss://`` instances (`protocols.aio.tls.ssl_context`; None: the system's trust store).
    """

    def __init__(
        self,
        terminal: Terminal,
        urls: str | Sequence[str],
        secret: str,
        *,
        clock: Callable[[], float] = time.time,
        home_group: str | None = None,
        answer_calls: bool = True,
        answer_delay: float = 0.5,
        keep: int = 200,
        open_timeout: float = 5.0,
        floor_timers: ParticipantTimers | None = None,
        reconnect_seed: int | str = 0,
        media: FeedSettings | None = None,
        media_number: int | None = None,
        ssl: ssl_module.SSLContext | None = None,
    ) -> None:
        self.terminal = terminal
        self.id = terminal.id
        self.kind = terminal.kind
        self.urls = platform_urls(urls)
        self.clock = clock
        self._home_group = home_group
        #: policy for incoming private calls: accept after ``answer_delay`` seconds, or reject at once
        self.answer_calls = answer_calls
        self.answer_delay = answer_delay

        #: groups the platform lets this terminal affiliate to (from the welcome, plus regroups)
        self.groups: list[str] = []
        self.stats = TerminalStats()
        #: the last ``keep`` notifications received, oldest first
        self.received: collections.deque[Message] = collections.deque(maxlen=keep)
        self.texts: collections.deque[TextMessage] = collections.deque(maxlen=keep)
        self.statuses: collections.deque[StatusMessage] = collections.deque(maxlen=keep)
        #: PIS messages shown, with the clock time each was shown at (train radios)
        self.pis: collections.deque[tuple[float, PisMessage]] = collections.deque(maxlen=keep)
        self.incoming_calls: collections.deque[PrivateCallIncoming] = collections.deque(maxlen=keep)
        self.control_orders: collections.deque[ControlOrder] = collections.deque(maxlen=keep)
        #: calls this terminal takes part in, by id; and the running call of each group
        self.calls: dict[str, CallInfo] = {}
        self.group_calls: dict[str, str] = {}
        self.disabled = False
        self.ambient_listening = False
        self.location: Location | None = None
        #: our active emergency alert, its kind and state (``acknowledged`` by a dispatcher, ...)
        self.alert: str | None = None
        self.alert_kind: Literal["emergency", "imminent_peril"] = "emergency"
        self.alert_state: str | None = None

        self._link_tasks: set[asyncio.Task[Any]] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.floors = TerminalFloors(self.id, clock=clock, stats=self.stats, request=self._request,
                                     notify=self._notify, spawn=self._spawn, timers=floor_timers)
        self._behaviour: asyncio.Task[None] | None = None
        #: the media sessions this terminal is the source of (its camera, its microphone)
        self.feeds = TerminalFeeds(self.id, media_number or default_media_number(self.id), media or FeedSettings(),
                                   talking=self.talking, notify=self._notify, request=self._request)
        hello = Hello(id=0, versions=list(SUPPORTED_VERSIONS), role="terminal", ident=self.id, secret=secret,
                      terminal_kind=self.kind, agent="trunkdesk-testbed-terminal")
        self.link = PlatformLink(self.id, self.urls, hello, stats=self.stats,
                                 rng=random.Random(f"{reconnect_seed}/reconnect/{self.id}"),
                                 on_open=self._affiliate, on_registered=self._registered,
                                 on_message=self._take, on_lost=self._link_lost, open_timeout=open_timeout,
                                 ssl=ssl)

    # ----- state ------------------------------------------------------------------------------

    @property
    def link_up(self) -> bool:
        """True while this terminal holds an open, registered session with the platform."""
        return self.link.up

    @property
    def client(self) -> TrunkingClient | None:
        """The present session (None while the link is down)."""
        return self.link.client

    @property
    def welcome(self) -> Welcome | None:
        """The welcome of the present (or last) session."""
        return self.link.welcome

    @property
    def url(self) -> str:
        """The platform instance of the present (or last) session."""
        return self.link.url

    @property
    def home_group(self) -> str | None:
        """The group PTT, texts and emergencies go to when none is named."""
        if self._home_group is not None:
            return self._home_group
        return self.groups[0] if self.groups else None

    @property
    def floor_holders(self) -> dict[str, str | None]:
        """Who holds the floor of each call, as far as this terminal knows."""
        return self.floors.holders

    def talking(self) -> bool:
        """Whether this terminal holds a floor now (its microphone is keyed)."""
        return any(p.state == "has_permission" for p in self.floors.participants.values())

    def floor_state(self, call: str | None = None) -> str:
        """Our floor participant's state in ``call`` (default: the call of the last press)."""
        return self.floors.state(call)

    def pis_showing(self) -> list[PisMessage]:
        """The PIS messages still on the passenger screens now."""
        now = self.clock()
        return [m for shown, m in self.pis if shown + m.duration_s > now]

    def messages_of(self, kind: type[Message]) -> list[Message]:
        """The kept notifications of one type, oldest first."""
        return [m for m in self.received if isinstance(m, kind)]

    # ----- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect (to the first of ``urls`` that takes us), say hello as a terminal and affiliate to the groups
        the platform offers. From then on the link comes back by itself when lost without being asked to."""
        await self.link.open()

    async def stop(self) -> None:
        """Say bye and close; cancel and await every task of this terminal."""
        if self._behaviour is not None:
            await cancel_and_wait({self._behaviour})
            self._behaviour = None
        await self.link.close()  # first: a link coming back meanwhile would start new loops
        await cancel_and_wait(self._link_tasks | self._tasks)
        await self.feeds.close()

    async def drop_link(self) -> None:
        """Lose the link abruptly (no bye, no closing handshake): the platform sees us unreachable. The terminal
        does not come back by itself until `restore_link`."""
        await self.link.drop()
        await cancel_and_wait(set(self._link_tasks))

    async def restore_link(self, url: str | None = None) -> None:
        """Reconnect (optionally to another instance first) with the resumption token of the last welcome."""
        if self.link_up:
            return
        await self.link.open(url)

    async def _affiliate(self, client: TrunkingClient) -> None:
        """A session opened (first, or after a loss): affiliate to the groups its welcome offers."""
        self.groups = list(client.welcome.groups)
        await client.request(AffiliationSet(id=0, key=_key(), groups=list(self.groups)))

    async def _registered(self, after_loss: bool) -> None:
        """The link is up: run the floor timers and the subclass's loops; after a loss, ask again for our floors."""
        self._spawn_loop(self.floors.run_timers(), f"terminal-{self.id}-floor-timers")
        if after_loss:
            self.floors.reclaim()
        await self._on_registered()

    async def _on_registered(self) -> None:
        """Hook for subclasses: start the loops that run while the link is up (with `_spawn_loop`)."""

    def _spawn_loop(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Run a task tied to the present link: cancelled when the link goes down or the terminal stops."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._link_tasks.add(task)
        task.add_done_callback(self._link_tasks.discard)
        task.add_done_callback(log_failure)

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        """Run a one-off task (an answer, a floor request); `stop` cancels what is left of it."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(log_failure)

    def _link_lost(self, coming_back: bool) -> None:
        """The session is gone: stop the link's loops and forget its calls (re-announced on the next registration,
        late entry). Floors are forgotten too, unless the link comes back by itself: then they are asked for again."""
        current = asyncio.current_task()
        for task in self._link_tasks:
            if task is not current:
                task.cancel()
        if not coming_back:
            self.floors.forget()
        self.feeds.drop()  # the platform ended our media sessions with the link
        self.calls.clear()
        self.group_calls.clear()
        self.floors.pulse()

    # ----- receiving --------------------------------------------------------------------------

    def _take(self, message: Message) -> None:
        """A notification from the platform: keep it and act on it."""
        self.stats.messages_received += 1
        self.received.append(message)
        self._on_message(message)

    def _on_message(self, message: Message) -> None:
        now = self.clock()
        if isinstance(message, CallStarted):
            info = message.call
            self.calls[info.id] = info
            if info.group is not None:
                self.group_calls[info.group] = info.id
            self.floors.holders.setdefault(info.id, info.holder)
        elif isinstance(message, CallEnded):
            self._forget_call(message.call)
        elif isinstance(message, PrivateCallIncoming):
            self.incoming_calls.append(message)
            self._spawn(self._answer_private(message), f"terminal-{self.id}-answer-{message.call}")
        elif isinstance(message, TextMessage):
            self.texts.append(message)
        elif isinstance(message, StatusMessage):
            self.statuses.append(message)
        elif isinstance(message, PisMessage):
            self.pis.append((now, message))
            log.info("terminal %s shows PIS %s: %s", self.id, message.message, message.text)
        elif isinstance(message, ControlOrder):
            self._obey(message, now)
        elif isinstance(message, EmergencyState) and message.alert.id == self.alert:
            self.alert_state = message.alert.state
            if message.alert.state == "cancelled":
                self._emergency_over()
        elif isinstance(message, VideoSession | MediaOffer | MediaAnswer):
            self.feeds.handle(message)
        elif isinstance(message, GroupUpdate):
            group = message.group.id
            if message.removed:
                self.groups = [g for g in self.groups if g != group]
            elif group not in self.groups and self.id in message.group.members:
                self.groups.append(group)
        else:
            self.floors.receive(message, now)
        self.floors.pulse()

    def _forget_call(self, call: str) -> None:
        ended = self.calls.pop(call, None)
        for group, running in list(self.group_calls.items()):
            if running == call:
                del self.group_calls[group]
        if ended is not None or call in self.floors.participants:
            self.floors.call_ended(call)

    def _obey(self, order: ControlOrder, now: float) -> None:
        self.control_orders.append(order)
        log.info("terminal %s: control order %s by %s", self.id, order.action, order.by)
        if order.action == "disable":
            self.disabled = True
            self.floors.release_all(now)
        elif order.action == "enable":
            self.disabled = False
        else:
            self.ambient_listening = order.action == "ambient_start"

    async def _answer_private(self, incoming: PrivateCallIncoming) -> None:
        accept = self.answer_calls and not self.disabled
        if accept:
            await asyncio.sleep(self.answer_delay)
        try:
            await self._request(PrivateCallAnswer(id=0, key=_key(), call=incoming.call, accept=accept))
        except (RequestError, ConnectionClosed) as exc:
            log.info("terminal %s: answer to call %s failed: %s", self.id, incoming.call, exc)
            return
        if accept:
            self.stats.calls_answered += 1
        else:
            self.stats.calls_rejected += 1

    # ----- driving API: voice -----------------------------------------------------------------

    async def ptt_press(self, group: str | None = None, *, call: str | None = None) -> PttOutcome:
        """Press PTT in ``group`` (default: the home group) or in a running ``call``; returns when the floor
        is granted, the request queued, denied or given up."""
        self._check_usable()
        if call is not None:
            return await self.floors.press(call)
        call = await self._call_in(group)
        outcome = await self.floors.press(call)
        if outcome.outcome == "failed" and f" {int(ErrorCode.NOT_FOUND)} " in f" {outcome.reason} ":
            # The call we knew of ended while we were not told (link down): set up the group's call anew.
            self._forget_call(call)
            outcome = await self.floors.press(await self._call_in(group))
        return outcome

    async def _call_in(self, group: str | None) -> str:
        """The running call of a group, or a new group call (MCPTT on-demand group call setup)."""
        group = group or self.home_group
        if group is None:
            raise ValueError(f"terminal {self.id} has no group to talk in")
        existing = self.group_calls.get(group)
        if existing is not None:
            return existing
        ok = await self._request(GroupCallSetup(id=0, key=_key(), group=group))
        call = ok.result["call"]
        assert isinstance(call, str)
        self.group_calls.setdefault(group, call)
        return call

    async def ptt_release(self) -> None:
        """Let go of PTT: give back the floor or leave the queue; returns once the platform confirmed."""
        await self.floors.release()

    async def talk(self, seconds: float, group: str | None = None) -> PttOutcome:
        """A talk burst: press, wait for the floor (leaving the queue after `QUEUE_PATIENCE`), talk for
        ``seconds`` while reporting media, release. Returns the press outcome."""
        outcome = await self.ptt_press(group)
        call = outcome.call
        if call is None:
            return outcome
        if outcome.outcome == "queued":
            await self.floors.wait_until(lambda: self.floor_state(call) != "queued", QUEUE_PATIENCE)
        if self.floor_state(call) == "has_permission":
            self.stats.talk_bursts += 1
            await self._hold(call, seconds)
        if self.floor_state(call) in ("has_permission", "queued", "pending_request"):
            await self.ptt_release()
        return outcome

    async def _hold(self, call: str, seconds: float) -> None:
        """Talk for ``seconds``, reporting media every second, until revoked or the call ends."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while self.floor_state(call) == "has_permission" and (remaining := end - loop.time()) > 0:
            self._notify(MediaActivity(call=call, sending=True))
            await self.floors.wait_until(lambda: self.floor_state(call) != "has_permission",
                                         min(remaining, MEDIA_REPORT_INTERVAL))

    async def call_private(self, callee: str, *, duplex: Literal["half", "full"] = "half",
                           automatic: bool = False) -> str:
        """Call one terminal or dispatcher privately; the call id (it rings until answered)."""
        self._check_usable()
        ok = await self._request(PrivateCallSetup(id=0, key=_key(), callee=callee, duplex=duplex,
                                                  automatic=automatic))
        call = ok.result["call"]
        assert isinstance(call, str)
        return call

    async def release_call(self, call: str) -> None:
        """End a call this terminal takes part in (its own group call or a private call)."""
        await self._request(CallRelease(id=0, key=_key(), call=call))

    # ----- driving API: emergencies, data, alarms, location -------------------------------------

    async def emergency(self, kind: Literal["emergency", "imminent_peril"] = "emergency",
                        group: str | None = None) -> EmergencyOutcome:
        """Raise an emergency alert with an emergency call; we then hold (or wait for) its floor."""
        self._check_usable()
        group = group or self.home_group
        ok = await self._request(EmergencyAlert(id=0, key=_key(), alert_kind=kind, group=group,
                                                location=self.location, call=True))
        alert = ok.result["alert"]
        assert isinstance(alert, str)
        self.alert, self.alert_kind, self.alert_state = alert, kind, "active"
        self.stats.emergencies += 1
        self.floors.set_priority(kind)
        call = ok.result.get("call")
        floor: PttOutcome | None = None
        if isinstance(call, str):
            if group is not None:
                self.group_calls[group] = call
            # The alert asked for the floor already; pressing makes our participant follow that request
            # (the platform answers a holder's or a queued party's repeat with the same decision).
            floor = await self.floors.press(call)
        log.warning("terminal %s raised %s %s in %s (call %s)", self.id, kind, alert, group, call)
        return EmergencyOutcome(alert, call if isinstance(call, str) else None, floor)

    async def cancel_emergency(self) -> None:
        """Cancel our emergency alert (the originator's cancel)."""
        if self.alert is None:
            return
        await self._request(EmergencyCancel(id=0, key=_key(), alert=self.alert, reason="cancelled by user"))
        self.alert_state = "cancelled"
        self._emergency_over()

    def _emergency_over(self) -> None:
        self.alert = None
        self.floors.set_priority("normal")

    async def send_text(self, text: str, to: str | None = None, group: str | None = None) -> str:
        """Send a short text to a terminal or dispatcher, or a group (default: the home group); its id."""
        self._check_usable()
        if to is None and group is None:
            group = self.home_group
        ok = await self._request(TextSend(id=0, key=_key(), text=text, to=to, group=group))
        self.stats.texts_sent += 1
        return str(ok.result.get("message", ""))

    async def set_status(self, code: int) -> None:
        """Set this terminal's status code (shown on the consoles)."""
        self._check_usable()
        await self._request(StatusSet(id=0, key=_key(), status=code))
        self.stats.statuses_set += 1

    async def raise_alarm(self, source: AlarmSource, severity: Severity, code: str, text: str,
                          origin: str | None = None) -> str:
        """Report an alarm (equipment, sensor, video analytics); the alarm id."""
        self._check_usable()
        ok = await self._request(AlarmRaise(id=0, key=_key(), source=source, severity=severity, code=code,
                                            text=text, location=self.location, origin=origin))
        self.stats.alarms_raised += 1
        return str(ok.result.get("alarm", ""))

    async def report_location(self, location: Location, *, fix_time: float | None = None) -> None:
        """Report where we are (a notification: no answer), as fixed at ``fix_time`` (default: now).
        Raises `ConnectionClosed` without a link."""
        self.location = location
        fix = self.clock() if fix_time is None else fix_time
        self._notify(LocationReport(location=location, fix_ms=round(fix * 1000)), strict=True)
        self.stats.location_reports += 1

    # ----- behaviour --------------------------------------------------------------------------

    def start_behaviour(self, stream: ActionStream) -> None:
        """Carry out ``stream``'s actions at their times (seconds from now) until `stop`."""
        if self._behaviour is not None:
            raise RuntimeError(f"terminal {self.id} already runs a behaviour")
        task = asyncio.get_running_loop().create_task(self._run_behaviour(stream),
                                                      name=f"terminal-{self.id}-behaviour")
        task.add_done_callback(log_failure)
        self._behaviour = task

    async def _run_behaviour(self, stream: ActionStream) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for action in stream:
            delay = start + action.at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if self.disabled or not self.link_up:
                self.stats.actions_skipped += 1
                continue
            try:
                await asyncio.wait_for(self.perform(action), ACTION_TIMEOUT)
                self.stats.actions_done += 1
            except (RequestError, ConnectionClosed, TerminalDisabled, TimeoutError, ValueError) as exc:
                self.stats.errors += 1
                log.info("terminal %s: %s failed: %s", self.id, type(action).__name__, exc)

    async def perform(self, action: Action) -> None:
        """Carry out one behaviour action now."""
        if isinstance(action, TalkBurst):
            await self.talk(action.seconds)
        elif isinstance(action, StatusChange):
            await self.set_status(action.code)
        elif isinstance(action, SendText):
            await self.send_text(action.text)
        elif isinstance(action, RaiseEmergency):
            outcome = await self.emergency()
            if outcome.floor is not None and outcome.floor.outcome == "granted" and outcome.call is not None:
                await self._hold(outcome.call, action.talk_seconds)
            await self.ptt_release()
            self._spawn(self._cancel_later(action.cancel_after), f"terminal-{self.id}-cancel-emergency")
        else:
            assert isinstance(action, RaiseAlarm)
            await self.raise_alarm(action.source, action.severity, action.code, action.text)

    async def _cancel_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        with contextlib.suppress(RequestError, ConnectionClosed):
            await self.cancel_emergency()

    # ----- plumbing ---------------------------------------------------------------------------

    def _check_usable(self) -> None:
        if self.disabled:
            raise TerminalDisabled(f"terminal {self.id} is disabled")

    async def _request(self, request: Request) -> Ok:
        return await self.link.request(request)

    def _notify(self, message: Notification, *, strict: bool = False) -> None:
        self.link.notify(message, strict=strict)
