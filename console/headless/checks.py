"""What a scenario can expect, as `Check`s: a sentence saying what is expected and a probe that looks at the
desk's world, the simulated radios, the event log or the platform links and says what it saw.

Checks only look; `Session.expect` (session.py) waits for one to hold within its deadline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from console.core.desk import Desk
from console.core.eventlog import Event
from console.core.world import media_plane_down
from console.headless.scenario import LOG_EVENT_FIELDS
from protocols import messages as wire
from testbed.line import Line
from testbed.terminals import SimTerminal

logger = logging.getLogger(__name__)

#: most terminals named one by one when a radio check fails for many
_NAMED = 6
#: default deadline of an expectation made in code, seconds
DEFAULT_WITHIN = 5.0
#: seconds between two looks of a waiting expectation
POLL = 0.025
#: event fields that name a party: ``dispatcher`` there means this desk's user
_PARTY_FIELDS = frozenset({"actor", "terminal", "holder", "initiator", "sender", "caller", "to", "by",
                           "acknowledged_by"})


class MediaUnavailable(RuntimeError):
    """The step needs media (video frames on the wall, a published stream) and the desk core has none yet."""


def media_unavailable_reason() -> str | None:
    """Why media steps cannot run here, or None when they can: the desk core's video wall and the media engine
    (aiortc, PyAV: the ``media`` extra) must import."""
    try:
        import console.core.media_desk  # noqa: F401
        import media.engine  # noqa: F401
    except ImportError as exc:
        return f"the media engine is not installed ({exc})"
    return None


class Scene(Protocol):
    """What checks look at (a running `Session`)."""

    @property
    def desk(self) -> Desk: ...

    @property
    def line(self) -> Line: ...

    def sim(self, terminal_id: str) -> SimTerminal: ...

    def sims(self, terminals: Iterable[str]) -> list[SimTerminal]: ...

    def group_id(self, group: str) -> str: ...

    def party_id(self, party: str) -> str | None: ...


@dataclass(frozen=True)
class Observation:
    """What a probe saw: whether the expectation holds, and the state in words."""

    held: bool
    seen: str


@dataclass(frozen=True)
class Outcome:
    """How an expectation came out: held (after ``after`` seconds) or not, and what was seen last."""

    held: bool
    after: float
    seen: str


class ExpectationFailed(AssertionError):
    """An expectation did not hold within its deadline."""

    def __init__(self, expected: str, seen: str, within: float) -> None:
        super().__init__(f"expected within {within:g}s: {expected}; seen: {seen}")
        self.expected, self.seen, self.within = expected, seen, within


@dataclass(frozen=True)
class Check:
    """An expectation: ``expected`` in words, ``observe`` to look once, and its deadline ``within`` seconds.

    Await it to wait until it holds (`ExpectationFailed` when the deadline passes); `wait` says how it went
    without raising."""

    expected: str
    observe: Callable[[], Awaitable[Observation]]
    requires: frozenset[str] = field(default_factory=frozenset)
    within: float = 5.0

    async def wait(self) -> Outcome:
        """Look until the expectation holds or ``within`` seconds pass."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            seen = await self.observe()
            elapsed = loop.time() - start
            if seen.held or elapsed >= self.within:
                return Outcome(seen.held, elapsed, seen.seen)
            await asyncio.sleep(min(POLL, self.within - elapsed))

    async def _hold(self) -> Outcome:
        outcome = await self.wait()
        if not outcome.held:
            raise ExpectationFailed(self.expected, outcome.seen, self.within)
        return outcome

    def __await__(self) -> Generator[Any, None, Outcome]:
        return self._hold().__await__()


def _probe(fn: Callable[[], Observation]) -> Callable[[], Awaitable[Observation]]:
    async def observe() -> Observation:
        return fn()
    return observe


def _list(items: Sequence[str], empty: str = "none") -> str:
    if not items:
        return empty
    shown = ", ".join(items[:_NAMED])
    return shown + (f" and {len(items) - _NAMED} more" if len(items) > _NAMED else "")


def _where(location: wire.Location | None) -> str:
    if location is None:
        return "somewhere unknown"
    if location.station and location.next_station:
        return f"between {location.station} and {location.next_station}"
    if location.station:
        return f"at {location.station}"
    return f"in {location.area}" if location.area else "somewhere unknown"


def _placed(location: wire.Location | None, station: str | None, between: Sequence[str] | None) -> bool:
    if station is not None:
        return location is not None and location.station == station and location.next_station is None
    if between is not None:
        return location is not None and {location.station, location.next_station} == set(between)
    return True


# ----- the desk's view -----------------------------------------------------------------------------------


class ConsoleChecks:
    """What the dispatcher's desk shows (its `World`)."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene

    @property
    def _world(self) -> Any:
        return self.scene.desk.world

    def emergency_shown(self, terminal: str | None = None, *, state: str | None = None, kind: str | None = None,
                        station: str | None = None, between: Sequence[str] | None = None,
                        within: float = DEFAULT_WITHIN) -> Check:
        whose = f" from {terminal}" if terminal else ""
        extra = "".join(f" {w}" for w in (state, kind) if w) + (f" at {station}" if station else "") + (
            f" between {between[0]} and {between[1]}" if between else "")
        expected = f"the desk shows an emergency alert{whose}{extra}"

        def look() -> Observation:
            alerts = list(self._world.alerts.values())
            held = any((terminal is None or a.terminal == terminal) and (state is None or a.state == state)
                       and (kind is None or a.kind == kind) and _placed(a.location, station, between) for a in alerts)
            seen = [f"{a.id} from {a.terminal} ({a.kind}, {a.state}, {_where(a.location)})" for a in alerts]
            return Observation(held, "alerts on the desk: " + _list(seen))
        return Check(expected, _probe(look), within=within)

    def emergency_gone(self, terminal: str | None = None, *, within: float = DEFAULT_WITHIN) -> Check:
        def look() -> Observation:
            alerts = [a for a in self._world.alerts.values() if terminal is None or a.terminal == terminal]
            return Observation(not alerts, "alerts on the desk: " + _list([f"{a.id} from {a.terminal}"
                                                                           for a in alerts]))
        return Check(f"no emergency alert{f' from {terminal}' if terminal else ''} on the desk", _probe(look),
                     within=within)

    def _alarms(self, terminal: str | None, code: str | None) -> list[wire.AlarmInfo]:
        return [a for a in self._world.alarms.values()
                if (terminal is None or a.origin == terminal) and (code is None or a.code == code)]

    def alarm_shown(self, terminal: str | None = None, *, code: str | None = None, state: str | None = None,
                    within: float = DEFAULT_WITHIN) -> Check:
        def look() -> Observation:
            held = any(state is None or a.state == state for a in self._alarms(terminal, code))
            seen = [f"{a.id} {a.code} from {a.origin} ({a.state})" for a in self._world.alarms.values()]
            return Observation(held, "alarms on the desk: " + _list(seen))
        what = " ".join(w for w in (code, f"from {terminal}" if terminal else None, state) if w)
        return Check(f"the desk shows an alarm {what}".rstrip(), _probe(look), within=within)

    def alarm_gone(self, terminal: str | None = None, *, code: str | None = None,
                   within: float = DEFAULT_WITHIN) -> Check:
        def look() -> Observation:
            left = self._alarms(terminal, code)
            return Observation(not left, "alarms: " + _list([f"{a.id} {a.code} from {a.origin}" for a in left]))
        return Check(f"no alarm {code or ''} {f'from {terminal}' if terminal else ''} on the desk".replace("  ", " "),
                     _probe(look), within=within)

    def media_plane(self, is_: str, *, within: float = DEFAULT_WITHIN) -> Check:
        """The desk shows the media plane ``down`` (the platform's "media plane down" alarm raised: its SFU is
        unreachable) or ``up`` (no such alarm)."""
        def look() -> Observation:
            alarm = media_plane_down(self._world)
            seen = f"media plane down ({alarm.text})" if alarm is not None else "media plane up (no alarm)"
            return Observation((alarm is not None) == (is_ == "down"), seen)
        return Check(f"the desk shows the media plane {is_}", _probe(look), within=within)

    def presence(self, terminal: str, is_: str, *, within: float = DEFAULT_WITHIN) -> Check:
        def look() -> Observation:
            info = self._world.terminals.get(terminal)
            now = info.presence if info is not None else "not known to the desk"
            return Observation(now == is_, f"{terminal} is {now}")
        return Check(f"the desk shows {terminal} {is_}", _probe(look), within=within)

    def floor_granted(self, *, within: float = DEFAULT_WITHIN) -> Check:
        desk = self.scene.desk

        def look() -> Observation:
            call = desk.world.call_of_group(desk.world.selected) if desk.world.selected else None
            holder = call.holder if call is not None else None
            return Observation(desk.ptt_state == "has_permission",
                               f"the desk's floor state is {desk.ptt_state} (group {desk.world.selected}, "
                               f"holder {holder})")
        return Check("the floor is granted to the dispatcher", _probe(look), within=within)

    def floor_holder(self, group: str, holder: str, *, within: float = DEFAULT_WITHIN) -> Check:
        group_id, holder_id = self.scene.group_id(group), self.scene.party_id(holder)

        def look() -> Observation:
            call = self._world.call_of_group(group_id)
            if call is None:
                return Observation(holder_id is None, f"no call in {group_id}")
            return Observation(call.holder == holder_id, f"{call.holder or 'nobody'} holds the floor of {call.id}")
        return Check(f"{holder} holds the floor in {group}", _probe(look), within=within)

    def queue(self, group: str, party: str, position: int | None = None, *, within: float = DEFAULT_WITHIN) -> Check:
        group_id, party_id = self.scene.group_id(group), self.scene.party_id(party)

        def look() -> Observation:
            call = self._world.call_of_group(group_id)
            queue = list(call.queue) if call is not None else []
            held = any(q.party == party_id and (position is None or q.position == position) for q in queue)
            return Observation(held, f"queue of {group_id}: " + _list([f"{q.position}. {q.party} ({q.priority})"
                                                                      for q in queue], "empty"))
        at = f" at position {position}" if position is not None else ""
        return Check(f"{party} waits in the queue of {group}{at}", _probe(look), within=within)

    def _calls(self, group: str | None, terminal: str | None, kind: str | None) -> list[wire.CallInfo]:
        group_id = self.scene.group_id(group) if group is not None else None
        return [c for c in self._world.calls.values()
                if (group_id is None or c.group == group_id) and (kind is None or c.kind == kind)
                and (terminal is None or terminal in c.parties or c.initiator == terminal)]

    def _call_words(self) -> str:
        return "calls on the desk: " + _list([f"{c.id} {c.kind} in {c.group or '-'} by {c.initiator}"
                                              for c in self._world.calls.values()])

    def call_running(self, group: str | None = None, terminal: str | None = None, kind: str | None = None, *,
                     within: float = DEFAULT_WITHIN) -> Check:
        what = " ".join(w for w in (kind, f"in {group}" if group else None, f"with {terminal}" if terminal else None)
                        if w)
        return Check(f"a call runs {what}".rstrip(),
                     _probe(lambda: Observation(bool(self._calls(group, terminal, kind)), self._call_words())),
                     within=within)

    def no_call(self, group: str | None = None, terminal: str | None = None, kind: str | None = None, *,
                within: float = DEFAULT_WITHIN) -> Check:
        what = " ".join(w for w in (kind, f"in {group}" if group else None, f"with {terminal}" if terminal else None)
                        if w)
        return Check(f"no call runs {what}".rstrip(),
                     _probe(lambda: Observation(not self._calls(group, terminal, kind), self._call_words())),
                     within=within)

    def incoming_call(self, from_: str | None = None, *, within: float = DEFAULT_WITHIN) -> Check:
        caller = self.scene.party_id(from_) if from_ is not None else None

        def look() -> Observation:
            ringing = list(self._world.incoming.values())
            held = any(caller is None or m.caller == caller for m in ringing)
            return Observation(held, "ringing: " + _list([f"{m.call} from {m.caller}" for m in ringing]))
        return Check(f"a private call{f' from {from_}' if from_ else ''} rings at the desk", _probe(look),
                     within=within)

    def train_position(self, train: str, *, station: str | None = None,
                       between: Sequence[str] | None = None, within: float = DEFAULT_WITHIN) -> Check:
        radio = self.scene.line.trains[train].radio

        def look() -> Observation:
            info = self._world.terminals.get(radio)
            location = info.location if info is not None else None
            return Observation(location is not None and _placed(location, station, between),
                               f"train {train} is {_where(location)}")
        where = f" at {station}" if station else f" between {between[0]} and {between[1]}" if between else " placed"
        return Check(f"the desk shows train {train}{where}", _probe(look), within=within)

    def text_received(self, from_: str | None = None, *, text: str | None = None,
                      within: float = DEFAULT_WITHIN) -> Check:
        sender = self.scene.party_id(from_) if from_ is not None else None

        def look() -> Observation:
            texts = list(self._world.texts)
            held = any((sender is None or m.sender == sender) and (text is None or text in m.text) for m in texts)
            return Observation(held, "texts: " + _list([f"{m.sender}: {m.text}" for m in texts[-_NAMED:]]))
        return Check(f"the desk got a text{f' from {from_}' if from_ else ''}{f' with {text!r}' if text else ''}",
                     _probe(look), within=within)

    def status_received(self, from_: str | None = None, *, status: int | None = None,
                        within: float = DEFAULT_WITHIN) -> Check:
        sender = self.scene.party_id(from_) if from_ is not None else None

        def look() -> Observation:
            statuses = list(self._world.statuses)
            held = any((sender is None or m.sender == sender) and (status is None or m.status == status)
                       for m in statuses)
            return Observation(held, "statuses: " + _list([f"{m.sender}: {m.status}" for m in statuses[-_NAMED:]]))
        return Check(f"the desk got status {status if status is not None else ''}"
                     f"{f' from {from_}' if from_ else ''}".replace("  ", " "), _probe(look), within=within)

    def status_shown(self, terminal: str, status: int, *, within: float = DEFAULT_WITHIN) -> Check:
        """The desk shows ``status`` as the terminal's own status code (the one it set)."""
        def look() -> Observation:
            info = self._world.terminals.get(terminal)
            now = info.status if info is not None else None
            return Observation(now == status, f"{terminal} shows status {now if now is not None else 'none'}")
        return Check(f"the desk shows {terminal} with status {status}", _probe(look), within=within)

    def group_exists(self, group: str, *, within: float = DEFAULT_WITHIN) -> Check:
        def look() -> Observation:
            group_id = self.scene.group_id(group)
            return Observation(group_id in self._world.groups, f"{len(self._world.groups)} groups; {group} is "
                               f"{'there' if group_id in self._world.groups else 'not there'}")
        return Check(f"the desk shows group {group}", _probe(look), within=within)

    def group_gone(self, group: str, *, within: float = DEFAULT_WITHIN) -> Check:
        def look() -> Observation:
            group_id = self.scene.group_id(group)
            return Observation(group_id not in self._world.groups, f"{group} is "
                               f"{'still there' if group_id in self._world.groups else 'gone'}")
        return Check(f"group {group} is gone from the desk", _probe(look), within=within)


# ----- the simulated radios ------------------------------------------------------------------------------


class RadioChecks:
    """What simulated terminals received; every named radio must show it."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene

    def _each(self, expected: str, subjects: Sequence[str], test: Callable[[SimTerminal], tuple[bool, str]],
              within: float) -> Check:
        def look() -> Observation:
            radios = self.scene.sims(subjects)
            failing = []
            for sim in radios:
                held, seen = test(sim)
                if not held:
                    failing.append(f"{sim.id}: {seen}")
            if not radios:
                return Observation(False, "no simulated radio matches " + ", ".join(subjects))
            if not failing:
                return Observation(True, f"all {len(radios)} radios")
            return Observation(False, f"{len(failing)} of {len(radios)} radios not: " + _list(failing))
        return Check(f"{_list(list(subjects))}: {expected}", _probe(look), within=within)

    def pis_shown(self, terminals: Sequence[str], text: str | None = None, *, within: float = DEFAULT_WITHIN) -> Check:
        def test(sim: SimTerminal) -> tuple[bool, str]:
            showing = sim.pis_showing()
            held = any(text is None or text in m.text or text in m.text_en for m in showing)
            return held, "screens show " + _list([m.text for m in showing], "nothing")
        return self._each(f"passenger screens show {text!r}" if text else "passenger screens show a message",
                          terminals, test, within)

    def _calls(self, sim: SimTerminal, kind: str | None, group: str | None) -> list[wire.CallInfo]:
        group_id = self.scene.group_id(group) if group is not None else None
        return [c for c in sim.calls.values() if (kind is None or c.kind == kind)
                and (group_id is None or c.group == group_id)]

    def in_call(self, terminals: Sequence[str], kind: str | None = None, group: str | None = None, *,
                within: float = DEFAULT_WITHIN) -> Check:
        def test(sim: SimTerminal) -> tuple[bool, str]:
            return bool(self._calls(sim, kind, group)), "in calls " + _list(
                [f"{c.id} ({c.kind})" for c in sim.calls.values()])
        return self._each(f"in a {kind or ''} call{f' of {group}' if group else ''}".replace("  ", " "), terminals,
                          test, within)

    def floor_holder(self, terminals: Sequence[str], holder: str, kind: str | None = None,
                     group: str | None = None, *, within: float = DEFAULT_WITHIN) -> Check:
        holder_id = self.scene.party_id(holder)

        def test(sim: SimTerminal) -> tuple[bool, str]:
            calls = self._calls(sim, kind, group)
            holders = {c.id: sim.floor_holders.get(c.id) for c in calls}
            return any(h == holder_id for h in holders.values()), "hears " + _list(
                [f"{h or 'nobody'} in {c}" for c, h in holders.items()], "no call")
        return self._each(f"hears {holder} holding the floor", terminals, test, within)

    def floor_state(self, terminals: Sequence[str], state: str, position: int | None = None, *,
                    within: float = DEFAULT_WITHIN) -> Check:
        def test(sim: SimTerminal) -> tuple[bool, str]:
            now = sim.floor_state()
            call = sim.floors.ptt_call
            participant = sim.floors.participants.get(call) if call is not None else None
            at = participant.position if participant is not None else None
            held = now == state and (position is None or at == position)
            return held, f"{now}" + (f" at {at}" if at is not None else "")
        at = f" at position {position}" if position is not None else ""
        return self._each(f"floor {state}{at}", terminals, test, within)

    def floor_revoked(self, terminals: Sequence[str], reason: str | None = None, *,
                      within: float = DEFAULT_WITHIN) -> Check:
        def test(sim: SimTerminal) -> tuple[bool, str]:
            revokes = [m for m in sim.messages_of(wire.FloorRevoke) if isinstance(m, wire.FloorRevoke)]
            held = any(reason is None or m.reason == reason for m in revokes)
            return held, "revokes " + _list([m.reason for m in revokes])
        return self._each(f"had its floor revoked{f' ({reason})' if reason else ''}", terminals, test, within)

    def emergency_state(self, terminals: Sequence[str], state: str, *, within: float = DEFAULT_WITHIN) -> Check:
        return self._each(f"emergency {state}", terminals,
                          lambda sim: (sim.alert_state == state, f"emergency {sim.alert_state or 'none'}"), within)

    def text_received(self, terminals: Sequence[str], text: str | None = None, from_: str | None = None, *,
                      within: float = DEFAULT_WITHIN) -> Check:
        sender = self.scene.party_id(from_) if from_ is not None else None

        def test(sim: SimTerminal) -> tuple[bool, str]:
            texts = list(sim.texts)
            held = any((text is None or text in m.text) and (sender is None or m.sender == sender) for m in texts)
            return held, "texts " + _list([f"{m.sender}: {m.text}" for m in texts[-3:]])
        return self._each(f"got a text{f' {text!r}' if text else ''}{f' from {from_}' if from_ else ''}",
                          terminals, test, within)

    def disabled(self, terminals: Sequence[str], *, within: float = DEFAULT_WITHIN) -> Check:
        return self._each("disabled", terminals, lambda sim: (sim.disabled, "enabled"), within)

    def enabled(self, terminals: Sequence[str], *, within: float = DEFAULT_WITHIN) -> Check:
        return self._each("enabled", terminals, lambda sim: (not sim.disabled, "disabled"), within)

    def link(self, terminals: Sequence[str], up: bool, *, within: float = DEFAULT_WITHIN) -> Check:
        return self._each(f"link {'up' if up else 'down'}", terminals,
                          lambda sim: (sim.link_up == up, f"link {'up' if sim.link_up else 'down'}"), within)


# ----- the event log, the platform, the wall -------------------------------------------------------------


def _matches(event: Event, fields: dict[str, str], scene: Scene) -> bool:
    """Every field matches: an event id field or a summary key; ``dispatcher`` as a party is this desk's user,
    a group may be named by its scenario label, and true/false/null match as YAML writes them."""
    for name, written in fields.items():
        value: Any = getattr(event, name) if name in LOG_EVENT_FIELDS else event.summary.get(name)
        wanted = written
        if written == "dispatcher" and name in _PARTY_FIELDS:
            wanted = scene.desk.me
        elif name == "group":
            wanted = scene.group_id(written)
        if value is None:
            if wanted.lower() not in ("null", "~", "none"):
                return False
        elif str(value).lower() != wanted.lower():
            return False
    return True


def log_holds(scene: Scene, kind: str, fields: dict[str, str] | None = None, *,
              within: float = DEFAULT_WITHIN) -> Check:
    """The desk's event log holds an event of ``kind`` whose fields (ids, actor, summary keys) match."""
    wanted = dict(fields or {})

    async def observe() -> Observation:
        events = await scene.desk.log.asearch(kind=kind, limit=500)
        held = any(_matches(e, wanted, scene) for e in events)
        seen = [f"{e.actor} {e.terminal or ''} {e.summary}".replace("  ", " ") for e in events[:3]]
        return Observation(held, f"{len(events)} {kind} events" + (": " + "; ".join(seen) if seen else ""))
    with_ = " with " + ", ".join(f"{k}={v}" for k, v in wanted.items()) if wanted else ""
    return Check(f"the event log holds {kind}{with_}", observe, within=within)


def platform_active(scene: Scene, instance: str, *, within: float = DEFAULT_WITHIN) -> Check:
    """The desk sees ``instance`` as the active platform instance, over a link that is up."""
    def look() -> Observation:
        links = scene.desk.world.links
        seen = [f"{name} {link.role or '?'} (link {link.state}{', serving' if link.serving else ''})"
                for name, link in sorted(links.items())]
        link = links.get(instance)
        return Observation(link is not None and link.role == "active" and link.state == "up",
                           "instances: " + _list(seen))
    return Check(f"platform instance {instance} is active", _probe(look), within=within)


__all__ = ["Check", "ConsoleChecks", "MediaUnavailable", "Observation", "RadioChecks", "Scene", "log_holds",
           "media_unavailable_reason", "platform_active"]
