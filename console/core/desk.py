"""The dispatcher's desk without a face: the commands a dispatcher gives, over the platform link, and the
receive loop that keeps the `World` and the `EventLog` up to date. The Qt desk, test mode and headless
scenarios all drive this one class (docs/architecture.md, "One core, three faces").

Every command carries a fresh idempotency key (the failover layer replays it with the same key after a
switch of instance), is recorded in the event log with its outcome, and returns a typed result or raises
`CommandFailed` with the platform's error code and reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from ssl import SSLContext
from typing import TYPE_CHECKING, Any

import msgspec

from console.core.changes import Change, ProtocolProblem
from console.core.command_errors import CommandFailed
from console.core.config import DeskSettings
from console.core.desk_commands import MessageSent, PisPushed, PlatformCommands
from console.core.desk_recordings import RecordingCommands
from console.core.eventlog import EventLog
from console.core.layout import LineLayout
from console.core.link import DeskLink, PlatformLink
from console.core.media_desk import DeskMedia, MediaOptions
from console.core.quality import QualityMonitor
from console.core.quality_settings import QualitySettings
from console.core.recordings import DeskRecorder, RecordingOptions
from console.core.records import record_notification, record_problem
from console.core.sound import DeskSound
from console.core.talk import DeskFloors, PttResult
from console.core.train_graph import PlanClock, TrainTracks
from console.core.world import World
from protocols import messages as wire
from protocols.aio.client import ConnectionClosed, RequestError
from protocols.aio.tls import plain_off_loopback
from protocols.codec import ProtocolError
from protocols.constants import SUPPORTED_VERSIONS, ErrorCode
from protocols.machines.failover import (
    CommandsFailed,
    FailoverEvent,
    Offline,
    Restore,
    ServingChanged,
    SplitBrain,
)
from protocols.machines.floor_terminal import ParticipantState

if TYPE_CHECKING:
    from console.core.plans import DeskPlans

logger = logging.getLogger(__name__)

AGENT = "trunkdesk-desk/0.1.0"
#: Seconds between two refreshes of the platform links' state (heartbeat age, rtt) in the world.
LINK_REFRESH = 0.5


class PlainTransportRefused(ConnectionError):
    """The desk will not send credentials over plain ``ws://`` to an address off this machine (SPEC.md §2.2)."""


@dataclass(frozen=True)
class Affiliations:
    """The groups the desk monitors now, the one it talks in, and calls it joined late."""

    groups: tuple[str, ...]
    selected: str | None
    late_entry: tuple[str, ...] = ()


@dataclass(frozen=True)
class BroadcastStarted:
    call: str
    parties: int


def _key() -> str:
    return uuid.uuid4().hex


def _call_soon(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the loop is done with what it is doing now (at once outside a loop): a burst
    of notifications read in one go reaches the world's observers as one batch."""
    try:
        asyncio.get_running_loop().call_soon(callback)
    except RuntimeError:
        callback()


class Desk(RecordingCommands, PlatformCommands):
    """One dispatcher's desk: `connect`, then give commands; `world` and `log` follow the platform.
    With ``media`` it also receives video and voice (`DeskMedia`); without, it only signals. With ``recording``
    it records what it hears and who held each floor (`DeskRecorder`), and can replay it."""

    def __init__(self, log: EventLog | str | Path, *, layout: LineLayout | None = None,
                 clock: Callable[[], float] = time.time, media: MediaOptions | None = None,
                 recording: RecordingOptions | None = None) -> None:
        self._owns_log = not isinstance(log, EventLog)
        self.log = log if isinstance(log, EventLog) else EventLog(log)
        self.world = World(layout, clock=clock, schedule=_call_soon)
        self.clock = clock
        self.me = ""
        self.link: PlatformLink | None = None
        self._floors: DeskFloors | None = None
        self._ptt_call: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._links_changed = asyncio.Event()
        #: the serving session was lost since the link last re-attached (its media must be set up again)
        self._serving_lost = False
        self._welcome: wire.Welcome | None = None
        #: the line clock the serving platform told (None: it told none, the time of day holds)
        self._told_clock: PlanClock | None = None
        #: the settings the desk was started with (for diagnostics; None when started without a settings file)
        self.settings: DeskSettings | None = None
        #: the sound devices' side of the core, when a desk plays and captures sound (the Qt desk sets it)
        self.sound: DeskSound | None = None
        self.media = DeskMedia(media, world=self.world, me=lambda: self.me, run=self._run, notify=self._notify,
                               holding=self._holding, record=self._record,
                               log_event=lambda kind, summary: self.log.record(kind, actor=self.me or "desk",
                                                                               summary=summary),
                               ) if media is not None else None
        #: the train graph's positions, plan and delays; the links' and media's quality with its warnings
        self.trains = TrainTracks(self.world.layout, clock=clock)
        self.quality = QualityMonitor(self.world, self.log, clock=clock, settings=self._quality_settings)
        if self.media is not None:
            self.media.on_stats = self.quality.take_media_stats
        #: the emergency plans this desk proposes (console/core/plans.py), when some were attached
        self.plans: DeskPlans | None = None
        self.recorder: DeskRecorder | None = None
        if recording is not None:
            voice = self.media.voice if self.media is not None else None
            try:
                self.recorder = DeskRecorder(recording, log=self.log, world=self.world,
                                             heard=voice.recorded if voice is not None else dict, clock=clock)
            except (OSError, sqlite3.Error) as exc:  # the desk runs on without recording, and says so
                logger.error("recording is off: %s cannot be used: %s", recording.folder, exc)
                self.log.record("recording_unavailable", actor="desk",
                                summary={"folder": str(recording.folder), "reason": str(exc)})
            if voice is not None and self.recorder is not None:
                voice.listeners.append(self.recorder.take_audio)

    # ----- connection -------------------------------------------------------------------------

    async def connect(self, urls: str | Sequence[str], user: str, password: str, *, wait_serving: float = 5.0,
                      ssl: SSLContext | None = None, allow_plain: bool = False, **link_options: Any) -> None:
        """Log in as ``user`` to the platform instance(s) at ``urls`` and start following it.

        ``wss://`` instances are verified with ``ssl`` (`protocols.aio.tls.ssl_context`; None: the system's trust
        store). The password is never sent over plain ``ws://`` off loopback (SPEC.md §2.2) unless
        ``allow_plain`` (isolated test networks only): `PlainTransportRefused` instead."""
        listed = [urls] if isinstance(urls, str) else list(urls)
        exposed = plain_off_loopback(listed)
        if exposed and not allow_plain:
            reason = (f"refusing to send the password over plain ws:// to {', '.join(exposed)}: use wss:// "
                      "(or allow plain ws on an isolated test network)")
            self.log.record("desk_connect_failed", actor=user, summary={"reason": reason})
            raise PlainTransportRefused(reason)
        hello = wire.Hello(id=0, versions=list(SUPPORTED_VERSIONS), role="console", ident=user, secret=password,
                           agent=AGENT)
        link = DeskLink(listed, hello, ssl=ssl, **link_options)
        link.on_violation = self._on_violation
        link.on_change = self._on_link_change
        try:
            await link.start(wait_serving=wait_serving)
        except BaseException as exc:
            await link.close()
            self.log.record("desk_connect_failed", actor=user, summary={"reason": str(exc)})
            raise
        self.attach(link, user)

    def attach(self, link: PlatformLink, user: str) -> None:
        """Follow an already started link as ``user`` (what `connect` does once the link serves)."""
        if self.link is not None:
            raise RuntimeError("the desk is already connected")
        self.link, self.me = link, user
        self._floors = DeskFloors(user, request=link.request, notify=link.notify, floor_wanted=link.floor_wanted,
                                  floor_released=link.floor_released, clock=self.clock, on_event=self._floor_event)
        self._check_welcome()
        if self.media is not None:
            self.media.epoch_seen(link.epoch)  # the era its sessions will belong to
        self._spawn(self._receive(link), "desk-receive")
        self._spawn(self._follow_links(link), "desk-links")
        self._spawn(self.quality.run(), "desk-quality")
        self.log.record("desk_connected", actor=user, summary={"serving": link.serving, "epoch": link.epoch})
        logger.info("desk %s connected via %s (epoch %d)", user, link.serving, link.epoch)

    async def close(self) -> None:
        """Leave the platform and stop; the event log is flushed (and closed if the desk opened it)."""
        tasks, self._tasks = set(self._tasks), set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.plans is not None:
            await self.plans.close()
        if self._floors is not None:
            await self._floors.close()
        if self.media is not None:
            await self.media.close()
        if self.recorder is not None:
            await self.recorder.close()
        link, self.link = self.link, None
        if link is not None:
            await link.close()
            self.log.record("desk_disconnected", actor=self.me)
        if self._owns_log:
            self.log.close()
        else:
            self.log.flush()

    @property
    def connected(self) -> bool:
        return self.link is not None and self.link.serving is not None

    # ----- what the desk shows ------------------------------------------------------------------

    @property
    def ptt_call(self) -> str | None:
        """The call PTT acts on: the running call of the selected group."""
        selected = self.world.selected
        call = self.world.call_of_group(selected) if selected is not None else None
        return call.id if call is not None else None

    @property
    def ptt_state(self) -> ParticipantState:
        """Our floor participant's state in the selected group's call (``has_no_permission`` when none)."""
        if self._floors is None:
            return "has_no_permission"
        return self._floors.state(self.ptt_call or self._ptt_call)

    @property
    def talk_time_left(self) -> float | None:
        """Seconds left before the talk-time limit revokes our floor, while we hold it with a limit."""
        if self._floors is None:
            return None
        return self._floors.talk_time_left(self.ptt_call or self._ptt_call)

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Wait until ``condition()`` holds, re-checked after every change of the world; False on timeout."""
        changed = asyncio.Event()
        unsubscribe = self.world.subscribe(lambda _changes: changed.set())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while not condition():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), min(remaining, 0.25))
            return True
        finally:
            unsubscribe()

    # ----- receiving ----------------------------------------------------------------------------

    async def _receive(self, link: PlatformLink) -> None:
        while True:
            try:
                message = await link.next_message()
            except ConnectionClosed:
                return
            try:
                self.handle(message)
            except Exception as exc:  # a bug of ours must not end the desk's following of the platform
                logger.exception("desk failed on %s", type(message).__name__)
                self._problem(f"desk failed on {type(message).__name__}: {exc!r}")

    def handle(self, message: object) -> list[Change]:
        """Take one notification from the platform: log what matters, apply it to the world, hand floor
        news to our floor participants. Anything unusable is logged as ``protocol_error``; the desk goes on."""
        if not isinstance(message, wire.Message):
            self._problem(f"not a TDP/1 message: {type(message).__name__}", data=repr(message)[:500])
            return [ProtocolProblem("not a TDP/1 message")]
        try:
            record_notification(self.log, self.world, message)
        except Exception as exc:
            logger.exception("could not record %s", wire.tag_of(message))
            self._problem(f"could not record {wire.tag_of(message)}: {exc!r}", data=message)
        changes = self.world.apply(message)
        for change in changes:
            if isinstance(change, ProtocolProblem):
                self._problem(change.text, data=message, in_world=False)
        try:
            self.trains.take(message)
        except Exception:  # a position the graph cannot use must not stop the desk
            logger.exception("train graph failed on %s", wire.tag_of(message))
        if self._floors is not None:
            try:
                self._floors.receive(message)
                if isinstance(message, wire.CallEnded):
                    self._floors.call_ended(message.call)
            except Exception as exc:
                logger.exception("floor handling of %s failed", wire.tag_of(message))
                self._problem(f"floor handling of {wire.tag_of(message)} failed: {exc!r}", data=message)
        if isinstance(message, wire.Snapshot | wire.PlatformRole):
            self._check_welcome()
        if self.media is not None:
            try:
                self.media.handle(message)
            except Exception as exc:
                logger.exception("media handling of %s failed", wire.tag_of(message))
                self._problem(f"media handling of {wire.tag_of(message)} failed: {exc!r}", data=message)
        if self.recorder is not None:
            try:
                self.recorder.handle(message)
            except Exception:  # recording must never stop the desk following the platform
                logger.exception("recorder failed on %s", wire.tag_of(message))
        return changes

    def _floor_event(self, call: str, event: object) -> None:
        if self.media is not None:
            self.media.floor_event(call, event)

    def _holding(self) -> list[str]:
        """The calls whose floor the desk holds now."""
        floors = self._floors.participants if self._floors is not None else {}
        return [call for call, participant in floors.items() if participant.state == "has_permission"]

    def _notify(self, message: wire.Notification) -> None:
        if self.link is None:
            raise ConnectionClosed("not connected")
        self.link.notify(message)

    def _problem(self, text: str, *, data: Any = None, actor: str = "platform", in_world: bool = True) -> None:
        logger.warning("protocol problem from the platform: %s", text)
        try:
            record_problem(self.log, text, actor=actor, message=data)
        except (TypeError, ValueError, msgspec.EncodeError):
            record_problem(self.log, text, actor=actor, message=repr(data)[:500])
        if in_world:
            self.world.problem(text)
            self.world.flush()

    def _on_violation(self, url: str, error: ProtocolError) -> None:
        self._problem(f"{int(error.code)} {error.reason}", actor=url)

    def _check_welcome(self) -> None:
        """Take in the serving session's welcome when it is new (first attach, or after a failover)."""
        welcome = self.link.welcome if self.link is not None else None
        if welcome is not None and welcome is not self._welcome:
            self._welcome = welcome
            self.world.set_session(welcome, self.me)
            self._take_line_clock(welcome.line_clock)

    def _take_line_clock(self, told: wire.LineClock | None) -> None:
        """Run the train graph's delays and the plans' stop times on the line clock the platform told (SPEC.md
        §3.5.9). A platform that tells none leaves the clock as it is: the time of day, or one a local caller set
        (an embedded testbed's); one that stops telling it (the other instance after a failover) brings the time
        of day back."""
        clock = PlanClock.told(told) if told is not None else None
        if clock == self._told_clock:
            return
        previous, self._told_clock = self._told_clock, clock
        if clock is not None:
            self.trains.plan_clock = clock
            logger.info("the line runs on the platform's clock: service time %.0f s at %.3f, %g x real time",
                        clock.offset, clock.start, clock.speed)
        elif previous is not None and self.trains.timetable is not None:
            self.trains.plan_clock = PlanClock.time_of_day(self.trains.timetable.service_start_s, self.clock())
            logger.info("the platform tells no line clock any more: the time of day")

    # ----- platform links ---------------------------------------------------------------------

    def _on_link_change(self, event: FailoverEvent) -> None:
        self._links_changed.set()
        if self.media is not None and self.link is not None:
            self.media.epoch_seen(self.link.epoch)  # a new active: the media is set up again on it
        if isinstance(event, Offline) or (isinstance(event, ServingChanged) and event.detected_at is not None):
            self._serving_lost = True  # the platform may end this desk's sessions (it does for a lost party)
        elif isinstance(event, Restore):
            lost, self._serving_lost = self._serving_lost, False
            if lost and self.media is not None and self.link is not None:
                self.media.reattached()  # same epoch or not: the wall and voice links are set up again
        if isinstance(event, ServingChanged | Offline | SplitBrain | CommandsFailed):
            fields = msgspec.to_builtins(event)
            self.log.record(f"link_{type(event).__name__}", actor=self.me or "desk",
                            summary={k: v for k, v in fields.items() if isinstance(v, str | int | bool | None)},
                            data=fields)

    async def _follow_links(self, link: PlatformLink) -> None:
        """Mirror the link layer's view of each instance into the world (on change, and every LINK_REFRESH)."""
        while True:
            self._check_welcome()
            if self.media is not None:
                self.media.epoch_seen(link.epoch)
            for url, info in link.links().items():
                name = info.instance or url
                if info.instance is not None and url in self.world.links and url != info.instance:
                    self.world.forget_link(url)
                fields: dict[str, Any] = {"url": url, "state": info.state, "peer_up": info.peer_up,
                                          "serving": info.serving, "rtt": info.rtt,
                                          "heartbeat_age": info.heartbeat_age}
                if info.role is not None:
                    fields["role"] = info.role
                if info.epoch is not None:
                    fields["epoch"] = info.epoch
                self.world.update_link(name, **fields)
            self._links_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._links_changed.wait(), LINK_REFRESH)

    # ----- commands: plumbing -----------------------------------------------------------------

    def _require_link(self, command: str) -> PlatformLink:
        if self.link is None:
            self._record(command, {}, {}, error=(int(ErrorCode.UNAVAILABLE), "not connected"))
            raise CommandFailed(ErrorCode.UNAVAILABLE, "not connected")
        return self.link

    async def _run(self, command: str, request: wire.Request, *, record: bool = True,
                   **subjects: str | None) -> wire.Ok:
        """Send one keyed request, record it with its outcome (unless ``record`` is off: the caller records the
        outcome of several tries itself); `CommandFailed` on any failure."""
        link = self._require_link(command)
        request = msgspec.structs.replace(request, key=request.key or _key())
        return await self._outcome(command, link.request(request), request, subjects, record=record)

    async def _outcome(self, command: str, pending: Awaitable[wire.Ok], request: wire.Request | dict[str, Any],
                       subjects: dict[str, str | None], *, record: bool = True) -> wire.Ok:
        try:
            ok = await pending
        except RequestError as exc:
            code, reason = exc.error.code, exc.error.reason
        except ConnectionClosed as exc:
            code, reason = int(ErrorCode.UNAVAILABLE), f"link closed: {exc}"
        except TimeoutError:
            code, reason = int(ErrorCode.TIMEOUT), "no answer in time"
        else:
            if record:
                self._record(command, request, subjects, result=ok.result)
            return ok
        if record:
            self._record(command, request, subjects, error=(code, reason))
        logger.info("command %s failed: %d %s", command, code, reason)
        raise CommandFailed(code, reason)

    def _record(self, command: str, request: wire.Request | dict[str, Any], subjects: dict[str, str | None], *,
                result: dict[str, Any] | None = None, error: tuple[int, str] | None = None,
                outcome: str | None = None) -> None:
        fields = msgspec.to_builtins(request)
        assert isinstance(fields, dict)
        summary: dict[str, Any] = {"command": command, "outcome": outcome or ("error" if error else "ok")}
        summary.update({k: v for k, v in fields.items() if k not in ("id", "epoch", "key")})
        if error is not None:
            summary["code"], summary["reason"] = error
        self.log.record("command", actor=self.me, terminal=subjects.get("terminal"), group=subjects.get("group"),
                        call=subjects.get("call"), alert=subjects.get("alert"), alarm=subjects.get("alarm"),
                        summary=summary, data={"request": fields, "result": result})

    def _spawn(self, coroutine: Any, name: str) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("desk task %s failed", task.get_name(), exc_info=task.exception())

    def _quality_settings(self) -> QualitySettings:
        return self.settings.quality if self.settings is not None else QualitySettings()

    # ----- commands: groups ---------------------------------------------------------------------

    async def monitor(self, groups: Iterable[str]) -> Affiliations:
        """Monitor exactly ``groups``; the selected group stays selected only if it is one of them."""
        wanted = sorted(set(groups))
        selected = self.world.selected if self.world.selected in wanted else None
        return await self._affiliate("monitor", wanted, selected)

    async def select(self, group: str) -> Affiliations:
        """Talk in ``group`` (monitoring it too)."""
        return await self._affiliate("select", sorted({*self.world.affiliations, group}), group)

    async def _affiliate(self, command: str, groups: list[str], selected: str | None) -> Affiliations:
        link = self._require_link(command)
        request = {"groups": groups, "selected": selected}
        ok = await self._outcome(command, link.set_affiliations(groups, selected), request, {"group": selected})
        now = tuple(str(g) for g in ok.result.get("groups", groups))
        self.world.set_affiliations(now, selected)
        return Affiliations(now, selected, tuple(str(c) for c in ok.result.get("late_entry", ())))

    # ----- commands: voice ----------------------------------------------------------------------

    async def ptt_press(self) -> PttResult:
        """Press PTT in the selected group (starting its group call if none runs)."""
        return await self._ptt("ptt_press", override=False)

    async def ptt_override(self) -> PttResult:
        """Take the floor of the selected group whoever holds it (needs the ``override`` permission)."""
        return await self._ptt("ptt_override", override=True)

    async def _ptt(self, command: str, *, override: bool) -> PttResult:
        link = self._require_link(command)
        assert self._floors is not None
        group = self.world.selected
        if group is None:
            self._record(command, {}, {}, error=(int(ErrorCode.BAD_MESSAGE), "no group selected"))
            raise CommandFailed(ErrorCode.BAD_MESSAGE, "no group selected")
        result = PttResult("failed", None)
        pressed = time.monotonic()
        for _attempt in range(2):
            call = await self._group_call(command, link, group)
            self._ptt_call = call
            result = await self._floors.press(call, override=override)
            if not (result.outcome == "failed" and f"{int(ErrorCode.NOT_FOUND)} " in result.reason):
                break
            # the call ended under us (hang time): forget it and set up the group's call anew
            self._floors.call_ended(call)
            self.world.apply(wire.CallEnded(call=call, reason="released"))
        if result.outcome == "granted":  # KPI1: floor access time, call set-up included
            self.quality.floor_access(time.monotonic() - pressed, result.call)
        self._record(command, {"group": group, "override": override}, {"group": group, "call": result.call},
                     outcome=result.outcome, result={"position": result.position, "reason": result.reason,
                                                     "limit": result.limit})
        return result

    async def _group_call(self, command: str, link: PlatformLink, group: str) -> str:
        """The running call of ``group``, or a new one (MCPTT on-demand group call setup)."""
        running = self.world.call_of_group(group)
        if running is not None:
            return running.id
        request = wire.GroupCallSetup(id=0, key=_key(), group=group, priority="dispatcher")
        try:
            ok = await link.request(request)
        except RequestError as exc:
            self._record(command, request, {"group": group}, error=(exc.error.code, exc.error.reason))
            raise CommandFailed(exc.error.code, exc.error.reason) from None
        except ConnectionClosed as exc:
            self._record(command, request, {"group": group}, error=(int(ErrorCode.UNAVAILABLE), str(exc)))
            raise CommandFailed(ErrorCode.UNAVAILABLE, f"link closed: {exc}") from None
        return str(ok.result["call"])

    async def ptt_release(self) -> None:
        """Let go of PTT: give back the floor or leave the queue."""
        call = self._ptt_call
        if self._floors is None or call is None:
            return
        await self._floors.release(call)
        self._record("ptt_release", {"call": call}, {"call": call}, outcome=self._floors.state(call))

    async def call_private(self, terminal: str, duplex: wire.Duplex = "half", *, automatic: bool = False) -> str:
        """Call one terminal (or dispatcher) privately; the call id (it rings until answered)."""
        ok = await self._run("call_private", wire.PrivateCallSetup(id=0, callee=terminal, duplex=duplex,
                                                                   automatic=automatic), terminal=terminal)
        return str(ok.result["call"])

    async def answer(self, call: str, accept: bool = True) -> str:
        """Accept or reject a private call ringing at this desk; the call's state."""
        ok = await self._run("answer", wire.PrivateCallAnswer(id=0, call=call, accept=accept), call=call)
        return str(ok.result.get("state", ""))

    async def end_call(self, call: str) -> bool:
        """End a call the desk takes part in; False when it had already ended."""
        ok = await self._run("end_call", wire.CallRelease(id=0, call=call), call=call)
        return bool(ok.result.get("released", True))

    async def force_release(self, call: str, reason: str = "") -> None:
        """End any call (needs the ``force_release`` permission)."""
        await self._run("force_release", wire.CallForceRelease(id=0, call=call, reason=reason), call=call)

    async def broadcast(self, target: wire.BroadcastTarget, subsystem: wire.Subsystem | None = None,
                        group: str | None = None) -> BroadcastStarted:
        """A one-way call to all trains, all stations, a subsystem or a group."""
        ok = await self._run("broadcast", wire.BroadcastSetup(id=0, target=target, subsystem=subsystem, group=group),
                             group=group)
        return BroadcastStarted(str(ok.result["call"]), int(ok.result.get("parties", 0)))



__all__ = ["Affiliations", "BroadcastStarted", "CommandFailed", "Desk", "MessageSent", "PisPushed",
           "PlainTransportRefused", "PttResult"]
