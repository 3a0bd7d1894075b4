"""Events that plans answer, where they happened, which plan matches, and each step's concrete targets.

`locate` places a terminal (or a place code) on the line at the time of the event: on a train (the train's radio or
one of its cameras), at a station, or between two stations, from the reported location, else the terminal's home
station. `match` says whether a plan's trigger fits an event and why. `resolve` turns a plan step into what the desk
will do: the groups and parties to tell, the station radio to call, the camera feeds to open (the train's own and
the stations either side), the trains whose passenger screens get the message — all from the line's geometry and
the world as it is now. `StoppedTrains` follows train reports to tell a train standing still.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from console.core.layout import LineLayout, Place, TrainPlan
from console.core.plan_format import (
    EITHER_SIDE,
    HERE,
    CallStation,
    Cameras,
    Escalate,
    EventKind,
    Notify,
    Pis,
    PlaceKind,
    Plan,
    PlanFacts,
    PlanStep,
    StepKind,
    Trigger,
)
from console.core.world import World
from protocols import messages as wire

_SEVERITY_RANK = {"info": 0, "minor": 1, "major": 2, "critical": 3}
#: a train whose chainage changes by less than this between reports stands still
STILL_M = 2.0
#: a train radio silent this long is not known to stand still (its link may be down): no stop is told
STALE_S = 10.0


@dataclass(frozen=True)
class EventPlace:
    """Where an event happened: ``kind`` is train, station or section (None: off the line, or unknown)."""

    kind: PlaceKind | None = None
    station: str | None = None
    #: the two stations around, in line order, when between them
    section: tuple[str, str] | None = None
    #: the next station in the direction of travel (a train between two stations)
    ahead: str | None = None
    train: str | None = None
    radio: str | None = None
    area: str | None = None

    def here(self) -> tuple[str, ...]:
        """The station where it is, or both ends of the section."""
        if self.station is not None and self.section is None:
            return (self.station,)
        return self.section or ()

    def either_side(self, layout: LineLayout) -> tuple[str, ...]:
        """At a station: the stations before and after it; between two stations: those two."""
        if self.section is not None:
            return self.section
        if self.station is None:
            return ()
        codes = [s.code for s in layout.stations]
        if self.station not in codes:
            return ()
        index = codes.index(self.station)
        return tuple(codes[i] for i in (index - 1, index + 1) if 0 <= i < len(codes))

    def call_station(self) -> str | None:
        """The station to call for it: where it is, or where a train between two stations is heading."""
        if self.section is not None:
            return self.ahead or self.section[0]
        return self.station


@dataclass(frozen=True)
class PlanEvent:
    """Something a plan may answer: an emergency alert, an alarm, or a train stopped too long."""

    kind: EventKind
    #: what it is (``alarm:AL-3``, ``alert:E-2``, ``stop:TR1905@5480.0/1712000000``): proposals are made once per key
    key: str
    at: float
    place: EventPlace
    terminal: str | None = None
    terminal_kind: str | None = None
    alarm: str | None = None
    alert: str | None = None
    code: str = ""
    text: str = ""
    severity: str | None = None
    source: str | None = None
    alert_kind: str | None = None
    #: train_stopped: how long it has stood, and the timetable's planned stop there (at a station)
    stopped_s: float = 0.0
    planned_s: float | None = None

    def summary(self) -> dict[str, Any]:
        """The event's fields for the event log (plain values)."""
        place = self.place
        fields: dict[str, Any] = {"event": self.kind, "terminal": self.terminal, "place": place.kind,
                                  "station": place.station, "section": list(place.section or ()) or None,
                                  "train": place.train, "code": self.code or None, "text": self.text or None,
                                  "severity": self.severity, "source": self.source, "alert_kind": self.alert_kind,
                                  "stopped_s": round(self.stopped_s) if self.kind == "train_stopped" else None}
        return {k: v for k, v in fields.items() if v is not None}


# ----- where ---------------------------------------------------------------------------------------------


def train_of(layout: LineLayout, terminal: str) -> TrainPlan | None:
    """The train whose cab radio or on-board camera ``terminal`` is."""
    plan = layout.train_of_radio(terminal)
    if plan is not None:
        return plan
    return next((t for t in layout.trains if terminal in t.cameras), None)


def locate(world: World, origin: str | None, location: wire.Location | None = None) -> EventPlace:
    """Where an event of ``origin`` (a terminal id, or a place code) with ``location`` (if it carried one) is."""
    layout = world.layout
    if origin is not None and origin not in world.terminals:
        place = layout.place(origin)
        if place is not None and place.kind == "station":
            return EventPlace("station", station=place.code)
        return EventPlace(area=origin if place is not None else None)
    info = world.terminals.get(origin) if origin is not None else None
    train = train_of(layout, origin) if origin is not None else None
    number: str | None = train.number if train is not None else None
    radio = train.radio if train is not None else None
    if train is not None:
        radio_info = world.terminals.get(train.radio)
        if radio_info is not None and radio_info.location is not None and (
                location is None or location.station is None):
            location = radio_info.location  # where the train is now
    if location is None and info is not None:
        location = info.location
    if location is not None and number is None and location.train_number and info is not None \
            and info.kind == "train":
        number = location.train_number
    kind: PlaceKind | None = "train" if number is not None else None
    if location is not None and location.station is not None:
        if location.next_station is not None:
            section = _ordered(layout, location.station, location.next_station)
            return EventPlace(kind or "section", location.station, section, location.next_station, number, radio)
        return EventPlace(kind or "station", location.station, None, None, number, radio)
    home = info.station if info is not None else None
    home_place = layout.place(home) if home is not None else None
    if number is None and home_place is not None and home_place.kind == "station" and (
            location is None or location.area is None):
        return EventPlace("station", station=home_place.code)
    area = location.area if location is not None else None
    return EventPlace(kind, train=number, radio=radio, area=area or home)


def _ordered(layout: LineLayout, a: str, b: str) -> tuple[str, str]:
    codes = [s.code for s in layout.stations]
    if a in codes and b in codes and codes.index(b) < codes.index(a):
        return b, a
    return a, b


def event_of_alert(world: World, alert: wire.AlertInfo, now: float) -> PlanEvent:
    info = world.terminals.get(alert.terminal)
    return PlanEvent("emergency", f"alert:{alert.id}", now, locate(world, alert.terminal, alert.location),
                     terminal=alert.terminal, terminal_kind=info.kind if info is not None else None,
                     alert=alert.id, alert_kind=alert.kind)


def event_of_alarm(world: World, alarm: wire.AlarmInfo, now: float) -> PlanEvent:
    info = world.terminals.get(alarm.origin)
    return PlanEvent("alarm", f"alarm:{alarm.id}", now, locate(world, alarm.origin, alarm.location),
                     terminal=alarm.origin if info is not None else None,
                     terminal_kind=info.kind if info is not None else None, alarm=alarm.id, code=alarm.code,
                     text=alarm.text, severity=alarm.severity, source=alarm.source)


# ----- matching ----------------------------------------------------------------------------------------


def match(trigger: Trigger, event: PlanEvent) -> str | None:
    """Why ``trigger`` fits ``event`` (English, for the log), or None when it does not."""
    if trigger.event != event.kind:
        return None
    why = [_event_words(event)]
    place = event.place
    if "any" not in trigger.places:
        if place.kind not in trigger.places:
            return None
        why.append(f"place {place.kind}")
    if trigger.stations:
        hit = [s for s in place.here() if s in trigger.stations]
        if not hit:
            return None
        why.append(f"at {'/'.join(hit)}")
    if trigger.codes:
        code = event.code.upper()
        if not any(fnmatch.fnmatchcase(code, pattern) for pattern in trigger.codes):
            return None
        why.append(f"code {code} in {', '.join(trigger.codes)}")
    if trigger.sources:
        if event.source not in trigger.sources:
            return None
        why.append(f"source {event.source}")
    if trigger.min_severity is not None:
        if _SEVERITY_RANK.get(event.severity or "", -1) < _SEVERITY_RANK[trigger.min_severity]:
            return None
        why.append(f"severity {event.severity} ≥ {trigger.min_severity}")
    if trigger.alert_kinds:
        if event.alert_kind not in trigger.alert_kinds:
            return None
        why.append(f"alert {event.alert_kind}")
    if trigger.terminal_kinds:
        if event.terminal_kind not in trigger.terminal_kinds:
            return None
        why.append(f"from a {event.terminal_kind}")
    if event.kind == "train_stopped":
        between = place.section is not None
        if trigger.stop_place != ("between" if between else "station"):
            return None
        if between:
            limit = trigger.stopped_for
            why.append(f"stopped {event.stopped_s:.0f} s between {place.section[0]} and {place.section[1]} "  # type: ignore[index]
                       f"(limit {limit:.0f} s)")
        else:
            if event.planned_s is None:
                return None  # a terminus or a station without a planned stop: the timetable has it wait there
            limit = event.planned_s + trigger.stopped_for
            why.append(f"stopped {event.stopped_s:.0f} s at {place.station} (planned {event.planned_s:.0f} s "
                       f"+ {trigger.stopped_for:.0f} s)")
        if event.stopped_s < limit:
            return None
    return "; ".join(why)


def _event_words(event: PlanEvent) -> str:
    if event.kind == "alarm":
        return f"alarm {event.code or '?'} from {event.terminal or event.place.area or '?'}"
    if event.kind == "emergency":
        return f"{event.alert_kind or 'emergency'} from {event.terminal or '?'}"
    return f"train {event.place.train or event.terminal or '?'} stopped"


def best_plan(plans: Sequence[Plan], event: PlanEvent) -> tuple[Plan, str] | None:
    """The plan to propose for ``event``: of those matching, the highest priority, then the one naming a place kind
    over ``any``, then the first in load order; with why it matched."""
    found: list[tuple[int, int, int, Plan, str]] = []
    for order, plan in enumerate(plans):
        why = match(plan.trigger, event)
        if why is not None:
            specific = 0 if "any" in plan.trigger.places else 1
            found.append((-plan.priority, -specific, order, plan, why))
    if not found:
        return None
    _, _, _, plan, why = min(found, key=lambda f: f[:3])
    return plan, why


# ----- resolving steps -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedStep:
    """A step with its concrete targets. ``problem`` says why there is nothing to do (the step is then skipped)."""

    kind: StepKind
    groups: tuple[str, ...] = ()
    #: terminals or dispatchers to text; the station radio to call
    parties: tuple[str, ...] = ()
    #: camera feeds to open: (source terminal, on-board camera or None)
    feeds: tuple[tuple[str, str | None], ...] = ()
    #: train running numbers (PIS)
    trains: tuple[str, ...] = ()
    #: the stations the step concerns (the one called, the ones whose cameras open)
    stations: tuple[str, ...] = ()
    text: str = ""
    text_en: str = ""
    status: int | None = None
    #: escalation's broadcast call: (target, group)
    broadcast: tuple[str, str | None] | None = None
    after: float | None = None
    problem: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def targets(self) -> dict[str, Any]:
        """The targets as plain values (event log, UI)."""
        out: dict[str, Any] = {"groups": list(self.groups), "parties": list(self.parties),
                               "feeds": [f"{s}/{c}" if c else s for s, c in self.feeds], "trains": list(self.trains),
                               "stations": list(self.stations), "text": self.text, "text_en": self.text_en,
                               "status": self.status, "broadcast": list(self.broadcast) if self.broadcast else None,
                               "after_s": self.after}
        return {k: v for k, v in out.items() if v not in (None, "", [])}


def fill(template: str, event: PlanEvent, layout: LineLayout) -> str:
    """A plan text with its placeholders filled from the event."""
    if not template:
        return ""
    return template.format_map(_values(event, layout))


def _values(event: PlanEvent, layout: LineLayout) -> dict[str, str]:
    place = event.place

    def names(code: str | None) -> tuple[str, str]:
        found = layout.place(code) if code is not None else None
        if found is None:
            return code or "", code or ""
        return found.name or found.code, found.name_zh or found.name or found.code

    station, station_zh = names(place.call_station())
    if place.section is not None:
        (a, a_zh), (b, b_zh) = names(place.section[0]), names(place.section[1])
        section, section_zh = f"{a} – {b}", f"{a_zh}—{b_zh}"
    else:
        section, section_zh = station, station_zh
    where, where_zh = (section, section_zh) if place.section is not None else (station, station_zh)
    if place.train is not None:
        where = f"train {place.train}" + (f" ({where})" if where else "")
        where_zh = f"{place.train} 次列车" + (f"（{where_zh}）" if where_zh else "")
    return {"station": station, "station_zh": station_zh, "section": section, "section_zh": section_zh,
            "place": where, "place_zh": where_zh, "train": place.train or "", "code": event.code,
            "text": event.text, "terminal": event.terminal or "", "stopped": f"{event.stopped_s:.0f}"}


def station_groups(world: World, codes: Sequence[str]) -> list[str]:
    """The station groups (kind ``station``) of stations ``codes``: the ones their fixed radios belong to."""
    found: list[str] = []
    for code in codes:
        place = world.layout.place(code)
        radios = set(place.radios) if place is not None else set()
        radios |= {t.id for t in world.of_kind("station") if t.station == code}
        for group in sorted(world.groups.values(), key=lambda g: g.id):
            if group.kind == "station" and radios & set(group.members) and group.id not in found:
                found.append(group.id)
    return found


def _stations_of(words: Sequence[str], place: EventPlace, layout: LineLayout) -> list[str]:
    out: list[str] = []
    for word in words:
        codes = place.here() if word == HERE else place.either_side(layout) if word == EITHER_SIDE else \
            () if word == "train" else (word,)
        out += [c for c in codes if c not in out]
    return out


def _radio_of(world: World, code: str) -> str | None:
    place: Place | None = world.layout.place(code)
    radios = list(place.radios) if place is not None else []
    radios += [t.id for t in world.of_kind("station") if t.station == code and t.id not in radios]
    return radios[0] if radios else None


def trains_near(world: World, place: EventPlace) -> list[str]:
    """Running numbers of the trains at the event's station(s) or between them and their neighbours: at a station,
    the trains there and in the sections either side; between two stations, the trains there and at either end."""
    layout = world.layout
    if place.section is not None:
        stations = set(place.section)
        sections = {place.section}
    elif place.station is not None:
        stations = {place.station}
        sections = {_ordered(layout, place.station, other) for other in place.either_side(layout)}
    else:
        return [place.train] if place.train else []
    found: list[str] = []
    for view in world.trains():
        if view.number is None:
            continue
        between = view.between
        if (view.at_station and view.station in stations) or (
                between is not None and _ordered(layout, *between) in sections):
            found.append(view.number)
    if place.train is not None and place.train not in found:
        found.insert(0, place.train)
    return found


def resolve(step: PlanStep, event: PlanEvent, world: World, facts: PlanFacts) -> ResolvedStep:
    """``step``'s concrete targets for ``event``, from the line's geometry and the world now."""
    spec, place, layout = step.spec, event.place, world.layout
    if isinstance(spec, Notify | Escalate):
        groups: list[str] = []
        for word in spec.groups:
            codes = place.here() if word == HERE else place.either_side(layout) if word == EITHER_SIDE else None
            for group in (station_groups(world, codes) if codes is not None else [word]):
                if group not in groups:
                    groups.append(group)
        parties = _parties(spec.to, place)
        problems = [f"{word}: the event has no train" for word in spec.to if word == "train" and not place.radio]
        broadcast: tuple[str, str | None] | None = None
        if isinstance(spec, Escalate):
            for role in spec.roles:
                parties += [u for u in facts.users_of(role) if u not in parties]
            if spec.broadcast is not None:
                broadcast = (spec.broadcast, None) if spec.broadcast in ("all_trains", "all_stations") else \
                    ("group", spec.broadcast)
        problem = "" if groups or parties or broadcast else "; ".join(problems) or "nobody to tell"
        return ResolvedStep(step.kind, tuple(groups), tuple(parties), text=fill(spec.text, event, layout),
                            status=spec.status, broadcast=broadcast,
                            after=spec.after if isinstance(spec, Escalate) else None, problem=problem)
    if isinstance(spec, CallStation):
        code = place.call_station() if spec.station == HERE else spec.station
        if code is None:
            return ResolvedStep(step.kind, problem="the event is not at or near a station")
        radio = _radio_of(world, code)
        if radio is None:
            return ResolvedStep(step.kind, stations=(code,), problem=f"station {code} has no fixed radio")
        return ResolvedStep(step.kind, parties=(radio,), stations=(code,), details={"duplex": spec.duplex})
    if isinstance(spec, Cameras):
        return _cameras(step.kind, spec, place, world)
    if isinstance(spec, Pis):
        if spec.trains == "all":
            trains: list[str] = []
        elif spec.trains == "train":
            trains = [place.train] if place.train else []
        else:
            trains = trains_near(world, place)
        text = fill(spec.text, event, layout)
        if spec.trains != "all" and not trains:
            what = "the event is not on a train" if spec.trains == "train" else "no train is there now"
            return ResolvedStep(step.kind, text=text, problem=what)
        return ResolvedStep(step.kind, trains=tuple(trains), text=text, text_en=fill(spec.text_en, event, layout),
                            details={"urgent": spec.urgent, "duration_s": spec.duration_s,
                                     "all": spec.trains == "all"})
    raise TypeError(f"unknown step {spec!r}")  # pragma: no cover - the loader builds only the kinds above


def _parties(words: Sequence[str], place: EventPlace) -> list[str]:
    out: list[str] = []
    for word in words:
        party = place.radio if word == "train" else word
        if party is not None and party not in out:
            out.append(party)
    return out


def _cameras(kind: StepKind, spec: Cameras, place: EventPlace, world: World) -> ResolvedStep:
    layout = world.layout
    feeds: list[tuple[str, str | None]] = []
    if "train" in spec.of and place.radio is not None:
        train = layout.train_of_radio(place.radio)
        feeds += [(place.radio, camera) for camera in (train.cameras if train is not None else ())]
    stations = _stations_of(spec.of, place, layout)
    for code in stations:
        station = layout.place(code)
        cameras = list(station.cameras) if station is not None else []
        cameras += [t.id for t in world.of_kind("camera") if t.station == code and t.id not in cameras]
        feeds += [(camera, None) for camera in cameras]
    if spec.limit is not None:
        feeds = feeds[:spec.limit]
    problem = "" if feeds else "no camera there" if stations or place.radio else "the event has no place on the line"
    return ResolvedStep(kind, feeds=tuple(feeds), stations=tuple(stations), problem=problem,
                        details={"quality": spec.quality})


# ----- trains standing still ------------------------------------------------------------------------------


@dataclass
class _Watch:
    chainage: float
    since: float
    last: float
    location: wire.Location


class StoppedTrains:
    """Follows each train radio's reported chainage: how long it has stood still, and where."""

    def __init__(self, *, still_m: float = STILL_M, stale_s: float = STALE_S) -> None:
        self.still_m = still_m
        self.stale_s = stale_s
        self._watch: dict[str, _Watch] = {}
        #: the last location object seen per radio (a presence update keeps the same one: not a new report)
        self._seen: dict[str, wire.Location] = {}

    def observe(self, radio: str, location: wire.Location | None, now: float) -> bool:
        """A report (or a presence change) of train radio ``radio``; True when the train moved (or left the line)."""
        if location is None or location.chainage_m is None or location.station is None:
            return self._watch.pop(radio, None) is not None
        if self._seen.get(radio) is location:
            return False  # the same report again (a presence change keeps the last fix)
        self._seen[radio] = location
        watch = self._watch.get(radio)
        if watch is None or abs(location.chainage_m - watch.chainage) > self.still_m:
            moved = watch is not None
            self._watch[radio] = _Watch(location.chainage_m, now, now, location)
            return moved
        watch.last, watch.location = now, location
        return False

    def forget(self, radio: str) -> None:
        self._watch.pop(radio, None)
        self._seen.pop(radio, None)

    def standing(self, now: float) -> list[tuple[str, wire.Location, float, float]]:
        """(radio, location, seconds standing, since) of every train reported recently."""
        return [(radio, w.location, now - w.since, w.since) for radio, w in sorted(self._watch.items())
                if now - w.last <= self.stale_s]


__all__ = ["STALE_S", "STILL_M", "EventPlace", "PlanEvent", "ResolvedStep", "StoppedTrains", "best_plan",
           "event_of_alarm", "event_of_alert", "fill", "locate", "match", "resolve", "station_groups", "train_of",
           "trains_near"]
