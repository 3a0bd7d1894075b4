"""What a scenario makes happen: `TerminalActions` drive one simulated terminal, `ConsoleActions` give the
dispatcher's commands through the desk core (`console.core.desk.Desk`), naming calls, alerts and alarms the
way a dispatcher does (by group, terminal or code) rather than by the platform's ids.

Every action raises `ActionFailed` with words a maintainer acts on when it cannot be carried out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal, TypeVar

from console.core.desk import (
    Affiliations,
    BroadcastStarted,
    CommandFailed,
    MessageSent,
    PisPushed,
    PttResult,
)
from console.headless.checks import MediaUnavailable
from console.headless.trains import service_time_at
from protocols import messages as wire
from protocols.aio.client import ConnectionClosed, RequestError
from testbed.terminals import EmergencyOutcome, PttOutcome, SimTerminal, SimTrain, TerminalDisabled
from testbed.terminals.service import ServiceClock
from testbed.terminals.terminal import MEDIA_REPORT_INTERVAL, QUEUE_PATIENCE

if TYPE_CHECKING:
    from console.headless.session import Session

logger = logging.getLogger(__name__)

#: how long an action waits for what it names (an alert, a ringing call) to show on the desk
LOOKUP_WAIT = 2.0
#: a held train's timetable speed: it stays where it was put for the length of any scenario
_HELD = 1e-9
T = TypeVar("T")


class ActionFailed(RuntimeError):
    """A terminal or console action could not be carried out (refused, nothing to act on, link down)."""


def describe_error(exc: BaseException) -> str:
    """An action's failure in words."""
    if isinstance(exc, CommandFailed):
        return f"refused by the platform: {exc.code} {exc.reason}"
    if isinstance(exc, RequestError):
        return f"refused by the platform: {exc.error.code} {exc.error.reason}"
    if isinstance(exc, ConnectionClosed):
        return f"link closed: {exc}"
    if isinstance(exc, ActionFailed | TerminalDisabled | MediaUnavailable):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    return f"{type(exc).__name__}: {exc}"


class TerminalActions:
    """One simulated terminal, as a scenario drives it."""

    def __init__(self, session: Session, sim: SimTerminal) -> None:
        self.session = session
        self.sim = sim

    @property
    def id(self) -> str:
        return self.sim.id

    def _group(self, group: str | None) -> str | None:
        return self.session.group_id(group) if group is not None else None

    async def register(self) -> None:
        """Register (a terminal held back with ``start_later``, or one deregistered before)."""
        await self.session.start_terminals([self.sim.id])

    async def deregister(self) -> None:
        """Say bye and close the terminal's session."""
        await self.session.stop_terminal(self.sim.id)

    async def ptt(self, group: str | None = None) -> PttOutcome:
        """Press PTT (home group unless ``group``) and keep it pressed until `release`."""
        return await self.sim.ptt_press(self._group(group))

    async def release(self) -> None:
        await self.sim.ptt_release()

    async def talk(self, seconds: float, group: str | None = None) -> PttOutcome:
        """Press PTT and return the press's outcome; the burst (waiting in the queue if queued, talking for
        ``seconds``, releasing) goes on in the background."""
        sim = self.sim
        outcome = await sim.ptt_press(self._group(group))
        call = outcome.call
        if call is not None and outcome.outcome in ("granted", "queued"):
            self.session.spawn(self._burst(call, seconds), f"talk-{sim.id}")
        return outcome

    async def _burst(self, call: str, seconds: float) -> None:
        sim = self.sim
        if sim.floor_state(call) == "queued":
            await sim.floors.wait_until(lambda: sim.floor_state(call) != "queued", QUEUE_PATIENCE)
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while sim.floor_state(call) == "has_permission" and (left := end - loop.time()) > 0:
            sim.link.notify(wire.MediaActivity(call=call, sending=True))
            await sim.floors.wait_until(lambda: sim.floor_state(call) != "has_permission",
                                        min(left, MEDIA_REPORT_INTERVAL))
        if sim.floor_state(call) in ("has_permission", "queued", "pending_request"):
            await sim.ptt_release()

    async def emergency(self, kind: Literal["emergency", "imminent_peril"] = "emergency",
                        group: str | None = None) -> EmergencyOutcome:
        """Raise an emergency alert with its call (the terminal then holds or waits for the floor)."""
        return await self.sim.emergency(kind, self._group(group))

    async def cancel_emergency(self) -> None:
        if self.sim.alert is None:
            raise ActionFailed(f"{self.sim.id} has no emergency alert to cancel")
        await self.sim.cancel_emergency()

    async def alarm(self, code: str, text: str = "", source: wire.AlarmSource = "equipment",
                    severity: wire.Severity = "major") -> str:
        """Raise an alarm from this terminal's equipment; the alarm id."""
        return await self.sim.raise_alarm(source, severity, code, text or code)

    async def move(self, *, station: str | None = None, between: Sequence[str] | None = None,
                   area: str | None = None, direction: wire.Direction | None = None,
                   hold: bool = False) -> wire.Location:
        """Put the terminal somewhere. A train is set to the point of its timetable where it stands at
        ``station`` or runs ``between`` two stations, and runs on from there (``hold``: stays there); others
        report the place."""
        sim = self.sim
        if isinstance(sim, SimTrain) and area is None:
            t = service_time_at(sim.timetable, sim.train_number, station=station, between=between,
                                direction=direction)
            if t is None:
                where = station or f"between {between[0]} and {between[1]}" if between else "there"
                raise ActionFailed(f"the timetable never puts train {sim.train_number} {where}")
            now = sim.clock()
            sim.service = ServiceClock(start=now, speed=_HELD if hold else sim.service.speed, offset=t)
            location = sim.location_at(now)
        else:
            if between is not None:
                raise ActionFailed(f"{sim.id} is not a train: it cannot be between two stations")
            location = wire.Location(station=station, area=area)
        await sim.report_location(location)
        return location

    async def report_location(self, station: str | None = None, next_station: str | None = None,
                              area: str | None = None, chainage_m: float | None = None) -> wire.Location:
        """Report one location as given (a train's timetable report overwrites it within a second)."""
        location = wire.Location(station=station, next_station=next_station, area=area, chainage_m=chainage_m)
        await self.sim.report_location(location)
        return location

    async def status(self, code: int) -> None:
        await self.sim.set_status(code)

    async def text(self, text: str, to: str | None = None, group: str | None = None) -> str:
        """Send a text to a party or a group (default: the home group); the message id."""
        return await self.sim.send_text(text, to=self.session.party_id(to) if to else None, group=self._group(group))

    async def call_private(self, to: str, duplex: Literal["half", "full"] = "half") -> str:
        callee = self.session.party_id(to)
        if callee is None:
            raise ActionFailed("a private call needs someone to call")
        return await self.sim.call_private(callee, duplex=duplex)

    async def publish_video(self, camera: str | None = None, quality: Literal["thumb", "hd"] = "thumb") -> None:
        """Get the terminal's camera (or its on-board ``camera``, a simulated terminal too) ready to send: its clip
        is encoded now, so that a pull is answered at once. Simulated cameras send whenever a desk pulls them."""
        if not self.session.options.media:
            raise MediaUnavailable("requires media: the session runs without media")
        await self.session.sim(camera or self.sim.id).feeds.prepare(quality)

    async def drop_link(self) -> None:
        """Lose the link abruptly; the terminal stays away until `restore_link`."""
        await self.sim.drop_link()

    async def restore_link(self, instance: str | None = None) -> None:
        await self.sim.restore_link(self.session.instance_url(instance) if instance else None)

    async def timetable_speed(self, speed: float) -> None:
        """Run this train's timetable at ``speed`` from where it is now."""
        set_speed([self.sim], speed)


def set_speed(sims: Sequence[SimTerminal], speed: float) -> int:
    """Run the timetable (trains) and walks (staff) of ``sims`` at ``speed`` from where they are now."""
    changed = 0
    for sim in sims:
        service = getattr(sim, "service", None)
        if isinstance(service, ServiceClock):
            now = sim.clock()
            sim.service = ServiceClock(start=now, speed=speed, offset=service.at(now))  # type: ignore[attr-defined]
            changed += 1
    return changed


class ConsoleActions:
    """The dispatcher's commands, through the desk core."""

    def __init__(self, session: Session) -> None:
        self.session = session

    async def _find(self, find: Callable[[], T | None], what: str) -> T:
        """What ``find`` names, waiting up to LOOKUP_WAIT for it to show on the desk."""
        found: list[T] = []

        def look() -> bool:
            value = find()
            if value is not None:
                found.append(value)
            return value is not None

        if not await self.session.desk.wait_until(look, LOOKUP_WAIT):
            raise ActionFailed(f"nothing to act on: {what}")
        return found[0]

    async def monitor(self, groups: Sequence[str]) -> Affiliations:
        return await self.session.desk.monitor(self.session.group_id(g) for g in groups)

    async def select(self, group: str) -> Affiliations:
        return await self.session.desk.select(self.session.group_id(group))

    async def ptt_press(self) -> PttResult:
        return await self.session.desk.ptt_press()

    async def ptt_release(self) -> None:
        await self.session.desk.ptt_release()

    async def ptt_override(self) -> PttResult:
        return await self.session.desk.ptt_override()

    async def call_private(self, terminal: str, duplex: wire.Duplex = "half") -> str:
        callee = self.session.party_id(terminal)
        if callee is None:
            raise ActionFailed("a private call needs someone to call")
        return await self.session.desk.call_private(callee, duplex)

    async def answer(self, from_: str | None = None, accept: bool = True) -> str:
        """Answer the private call ringing at the desk (from ``from_`` when given)."""
        caller = self.session.party_id(from_) if from_ else None
        world = self.session.desk.world
        call = await self._find(lambda: next((c for c, m in world.incoming.items()
                                              if caller is None or m.caller == caller), None),
                                f"no call ringing{f' from {from_}' if from_ else ''}")
        return await self.session.desk.answer(call, accept)

    def _call(self, group: str | None, terminal: str | None, kind: str | None) -> str | None:
        group_id = self.session.group_id(group) if group else None
        calls = [c for c in self.session.desk.world.calls.values()
                 if (group_id is None or c.group == group_id) and (kind is None or c.kind == kind)
                 and (terminal is None or terminal in c.parties or c.initiator == terminal)]
        return max(calls, key=lambda c: c.started_ms).id if calls else None

    async def end_call(self, group: str | None = None, terminal: str | None = None, kind: str | None = None) -> bool:
        call = await self._find(lambda: self._call(group, terminal, kind), _call_words(group, terminal, kind))
        return await self.session.desk.end_call(call)

    async def force_release(self, group: str | None = None, terminal: str | None = None, kind: str | None = None,
                            reason: str = "") -> str:
        call = await self._find(lambda: self._call(group, terminal, kind), _call_words(group, terminal, kind))
        await self.session.desk.force_release(call, reason)
        return call

    async def broadcast(self, target: wire.BroadcastTarget, subsystem: wire.Subsystem | None = None,
                        group: str | None = None) -> BroadcastStarted:
        return await self.session.desk.broadcast(target, subsystem, self.session.group_id(group) if group else None)

    async def regroup(self, name: str, terminals: Sequence[str], name_zh: str = "", as_: str | None = None) -> str:
        """Gather terminals into a new group; ``as_`` names it for later steps."""
        group = await self.session.desk.regroup(name, terminals, name_zh)
        self.session.name_group(as_ or name, group)
        return group

    async def patch(self, name: str, groups: Sequence[str], name_zh: str = "", as_: str | None = None) -> str:
        group = await self.session.desk.patch(name, [self.session.group_id(g) for g in groups], name_zh)
        self.session.name_group(as_ or name, group)
        return group

    async def dissolve(self, group: str) -> None:
        await self.session.desk.dissolve(self.session.group_id(group))

    def _alert(self, terminal: str | None, states: tuple[str, ...]) -> str | None:
        alerts = [a for a in self.session.desk.world.alerts.values()
                  if a.state in states and (terminal is None or a.terminal == terminal)]
        return max(alerts, key=lambda a: a.raised_ms).id if alerts else None

    async def ack_emergency(self, terminal: str | None = None) -> str:
        """Acknowledge the newest active emergency alert (from ``terminal`` when given); its alert id."""
        alert = await self._find(lambda: self._alert(terminal, ("active",)),
                                 f"no active emergency alert{f' from {terminal}' if terminal else ''} on the desk")
        await self.session.desk.ack_emergency(alert)
        return alert

    async def cancel_emergency(self, terminal: str | None = None, reason: str = "") -> str:
        alert = await self._find(lambda: self._alert(terminal, ("active", "acknowledged")),
                                 f"no emergency alert{f' from {terminal}' if terminal else ''} on the desk")
        await self.session.desk.cancel_emergency(alert, reason)
        return alert

    def _alarm(self, terminal: str | None, code: str | None, states: tuple[str, ...]) -> str | None:
        alarms = [a for a in self.session.desk.world.alarms.values() if a.state in states
                  and (terminal is None or a.origin == terminal) and (code is None or a.code == code)]
        return max(alarms, key=lambda a: a.raised_ms).id if alarms else None

    async def ack_alarm(self, terminal: str | None = None, code: str | None = None) -> str:
        alarm = await self._find(lambda: self._alarm(terminal, code, ("raised",)), "no raised alarm "
                                 + " ".join(w for w in (code, f"from {terminal}" if terminal else "") if w))
        await self.session.desk.ack_alarm(alarm)
        return alarm

    async def clear_alarm(self, terminal: str | None = None, code: str | None = None) -> str:
        alarm = await self._find(lambda: self._alarm(terminal, code, ("raised", "acknowledged")), "no alarm "
                                 + " ".join(w for w in (code, f"from {terminal}" if terminal else "") if w))
        await self.session.desk.clear_alarm(alarm)
        return alarm

    async def send_text(self, text: str, to: str | None = None, group: str | None = None) -> MessageSent:
        return await self.session.desk.send_text(text, self.session.party_id(to) if to else None,
                                                 self.session.group_id(group) if group else None)

    async def send_status(self, code: int, to: str | None = None, group: str | None = None) -> MessageSent:
        return await self.session.desk.send_status(code, self.session.party_id(to) if to else None,
                                                   self.session.group_id(group) if group else None)

    async def push_pis(self, text: str, text_en: str = "", trains: Sequence[str] = (), urgent: bool = False,
                       duration: float = 60.0) -> PisPushed:
        return await self.session.desk.push_pis(text, text_en, trains, duration_s=max(1, round(duration)),
                                                urgent=urgent)

    async def disable(self, terminal: str) -> None:
        await self.session.desk.disable(terminal)

    async def enable(self, terminal: str) -> None:
        await self.session.desk.enable(terminal)

    async def pull_video(self, source: str, camera: str | None = None,
                         quality: wire.VideoQuality = "thumb") -> str:
        """Ask for a terminal's video (signalling only until media lands in console/core); the session id."""
        return await self.session.desk.pull_video(source, quality, camera=camera)

    async def focus_video(self, source: str) -> int:
        """Focus the wall's tile showing ``source`` (it goes to HD, the focused one before back to thumbnail)."""
        media = self.session.desk.media
        if media is None:
            raise MediaUnavailable("requires media: the session runs without media")
        tile = await self._find(lambda: next((t.index for t in media.wall.tiles.values()
                                              if source in (t.source, t.asked) and not t.hidden), None),
                                f"no tile shows {source}")
        await media.focus(tile)
        return tile

    async def stop_video(self, source: str) -> bool:
        world = self.session.desk.world
        session = await self._find(lambda: next((s for s, v in world.video.items() if v.source == source), None),
                                   f"no video session from {source}")
        return await self.session.desk.stop_video(session)


def _call_words(group: str | None, terminal: str | None, kind: str | None) -> str:
    return "no " + " ".join(w for w in (kind, "call", f"in {group}" if group else None,
                                        f"with {terminal}" if terminal else None) if w) + " on the desk"


__all__ = ["ActionFailed", "ConsoleActions", "TerminalActions", "describe_error", "set_speed"]
