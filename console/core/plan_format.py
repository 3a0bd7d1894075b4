"""Emergency plans as data: what a plan file says (docs/plans.md), read by `console.core.plan_loader`.

A plan is a trigger (an event kind, the kind of place it happened at, and conditions) and a list of steps. Steps
name their targets by role (``here``, ``either_side``, ``train``, ``section``...) or by id; the engine
(`console.core.plans`) resolves them to terminals, groups, cameras and trains from the line's geometry at the time
of the event. These records are plain and frozen: the loader builds them, nothing changes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from console.core.yaml_reading import Mark

FORMAT_VERSION = 1

EventKind = Literal["emergency", "alarm", "train_stopped"]
PlaceKind = Literal["station", "section", "train", "any"]
StepKind = Literal["notify", "call_station", "cameras", "pis", "escalate"]

EVENT_KINDS: tuple[EventKind, ...] = ("emergency", "alarm", "train_stopped")
PLACE_KINDS: tuple[PlaceKind, ...] = ("station", "section", "train", "any")
STEP_KINDS: tuple[StepKind, ...] = ("notify", "call_station", "cameras", "pis", "escalate")
SEVERITIES = ("info", "minor", "major", "critical")
ALARM_SOURCES = ("equipment", "sensor", "video_analytics", "terminal")
ALERT_KINDS = ("emergency", "imminent_peril")
TERMINAL_KINDS = ("train", "station", "handset", "recorder", "camera", "gateway", "console")
#: where a stopped train counts: between two stations (never planned), or at a station beyond its planned dwell
STOP_PLACES = ("between", "station")

#: place words steps use for stations: the event's station(s), and the stations either side of it
HERE, EITHER_SIDE = "here", "either_side"
#: camera sources: the event's train's own cameras, or stations (``here``, ``either_side``, a station code)
CAMERA_WORDS = ("train", HERE, EITHER_SIDE)
#: which trains a PIS message goes to
PIS_TRAINS = ("train", "section", "all")
#: words for terminals in ``to`` lists: the event's train radio
TO_WORDS = ("train",)
#: what an escalation may open as well as its messages: a one-way broadcast call to all trains, all stations
#: (or to a group, named by its id)
BROADCAST_TARGETS = ("all_trains", "all_stations")
#: placeholders texts may use, filled from the event (docs/plans.md, "Texts")
PLACEHOLDERS = ("station", "station_zh", "section", "section_zh", "place", "place_zh", "train", "code", "text",
                "terminal", "stopped")


@dataclass(frozen=True)
class Trigger:
    """What makes a plan match: an event of ``event`` at a place of one of ``places``, meeting the conditions.

    Empty tuples mean "any". ``codes`` are alarm codes (``*`` wildcards, case-insensitive)."""

    event: EventKind
    places: tuple[PlaceKind, ...] = ("any",)
    stations: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    min_severity: str | None = None
    alert_kinds: tuple[str, ...] = ()
    terminal_kinds: tuple[str, ...] = ()
    #: train_stopped: seconds without moving (beyond the planned dwell, at a station)
    stopped_for: float = 0.0
    stop_place: str = "between"


@dataclass(frozen=True)
class Notify:
    """A text and/or status message to groups and parties."""

    groups: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    text: str = ""
    status: int | None = None


@dataclass(frozen=True)
class CallStation:
    """A private call to a station's first fixed radio (``here``: the event's station, or the one a train heads for)."""

    station: str = HERE
    duplex: Literal["half", "full"] = "half"


@dataclass(frozen=True)
class Cameras:
    """Feeds to open on the video wall."""

    of: tuple[str, ...] = ("train", HERE)
    quality: Literal["thumb", "hd"] = "thumb"
    #: at most this many feeds (None: all)
    limit: int | None = None


@dataclass(frozen=True)
class Pis:
    """A passenger-information message on trains' screens."""

    trains: str = "section"
    text: str = ""
    text_en: str = ""
    urgent: bool = False
    duration_s: int = 300


@dataclass(frozen=True)
class Escalate:
    """After ``after`` seconds without acknowledgement: tell these groups, parties and dispatcher roles, and
    optionally open a broadcast call."""

    after: float
    groups: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    text: str = ""
    status: int | None = None
    broadcast: str | None = None


StepSpec = Notify | CallStation | Cameras | Pis | Escalate


@dataclass(frozen=True)
class PlanStep:
    """One step as the file says it; ``label``/``label_zh`` replace the desk's own description of it."""

    kind: StepKind
    spec: StepSpec
    label: str = ""
    label_zh: str = ""
    mark: Mark | None = None


@dataclass(frozen=True)
class Plan:
    """One emergency plan (one file)."""

    id: str
    name: str
    trigger: Trigger
    steps: tuple[PlanStep, ...]
    name_zh: str = ""
    description: str = ""
    #: among plans matching the same event, the highest priority is proposed
    priority: int = 0
    path: Path | None = None

    @property
    def escalation(self) -> Escalate | None:
        """The plan's escalation (at most one per plan)."""
        for step in self.steps:
            if isinstance(step.spec, Escalate):
                return step.spec
        return None


@dataclass(frozen=True)
class PlanFacts:
    """What plans are checked against and resolved with, beyond the world the desk sees: the line's groups,
    stations, terminals, dispatchers (user → role) and the timetable's planned stop at each station (not the
    termini)."""

    groups: frozenset[str] = frozenset()
    stations: tuple[str, ...] = ()
    terminals: frozenset[str] = frozenset()
    dispatchers: dict[str, str] = field(default_factory=dict)
    planned_stop_s: dict[str, float] = field(default_factory=dict)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.dispatchers.values())

    def users_of(self, role: str) -> list[str]:
        return sorted(user for user, of in self.dispatchers.items() if of == role)


__all__ = ["ALARM_SOURCES", "ALERT_KINDS", "BROADCAST_TARGETS", "CAMERA_WORDS", "EITHER_SIDE", "EVENT_KINDS",
           "FORMAT_VERSION", "HERE", "PIS_TRAINS", "PLACEHOLDERS", "PLACE_KINDS", "SEVERITIES", "STEP_KINDS",
           "STOP_PLACES", "TERMINAL_KINDS", "TO_WORDS", "CallStation", "Cameras", "Escalate", "EventKind", "Mark",
           "Notify", "Pis", "PlaceKind", "Plan", "PlanFacts", "PlanStep", "StepKind", "StepSpec", "Trigger"]
