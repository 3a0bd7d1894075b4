"""A scenario as the runner sees it: the setup (line, platform, media plane, simulated terminals) and timed
steps (terminal actions, console actions, faults, expectations), each with the place in its file it came from.

The vocabulary of steps lives here too (`TERMINAL_ACTIONS`, `CONSOLE_ACTIONS`, `FAULTS`, `CHECKS`): the
loader checks files against it, the runner dispatches on it, and docs/scenarios.md and
resources/scenarios/scenario.schema.json describe it (a test keeps the schema in step with these tables).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args

from console.core.yaml_reading import Mark
from protocols.messages import BroadcastTarget, CallKind, Presence, Subsystem
from testbed.line import SAMPLE_TERMINAL_SECRET, Line

FORMAT_VERSION = 1
StepKind = Literal["terminal", "console", "fault", "expect", "wait"]
PlatformKind = Literal["embedded", "pair", "external"]
MediaPlane = Literal["direct", "janus"]
#: what a step or a whole scenario may need beyond the platform and the simulated terminals
Requirement = Literal["media"]
#: where an expectation looks: the desk's view, a simulated radio's, the event log, the platform, the video wall
Viewpoint = Literal["console", "radio", "log", "platform", "wall"]
VIEWPOINTS: tuple[str, ...] = get_args(Viewpoint)

# ----- the vocabulary ------------------------------------------------------------------------------

FieldKind = Literal[
    "duration",  # "2.5s", "500ms", "1min"
    "text", "int", "number", "bool",
    "choice",  # one of ``choices``
    "terminal",  # a terminal id of the line
    "terminals",  # a list of terminal ids of the line
    "sim",  # a simulated terminal (setup.terminals.simulate or start_later)
    "sims",  # simulated terminals: a list of ids and kinds ("train": every simulated train radio)
    "party",  # a terminal id, "dispatcher" (the console's user), a dispatcher user, or "none"
    "group",  # a group id of the line, or the label (``as``) of an earlier regroup or patch
    "groups",
    "label",  # a new name for the group a regroup or patch creates
    "station",  # a station, depot or control-centre code
    "stations2",  # two neighbouring stations
    "train",  # a train running number
    "trains",
    "instance",  # A, B, witness, active, standby (as the setup has them), janus (setup.media: janus)
    "fields",  # a mapping of field names to values (event-log matches)
]


@dataclass(frozen=True)
class Field:
    """One argument of a step: its kind, whether it must be given, and the allowed words of a choice."""

    kind: FieldKind
    required: bool = False
    choices: tuple[str, ...] = ()


def _req(kind: FieldKind, *choices: str) -> Field:
    return Field(kind, True, choices)


def _opt(kind: FieldKind, *choices: str) -> Field:
    return Field(kind, False, choices)


_ACTOR = _req("sim")
_PRESENCES = get_args(Presence)
_CALL_KINDS = get_args(CallKind)
_FLOOR_STATES = ("has_permission", "has_no_permission", "queued", "pending_request", "pending_release")
_REVOKE_REASONS = ("pre_empted", "talk_time_limit", "override", "call_ended", "disabled")

#: ``do:`` actions of a simulated terminal (``terminal:`` names it)
TERMINAL_ACTIONS: Mapping[str, Mapping[str, Field]] = {
    "register": {"terminal": _ACTOR},
    "deregister": {"terminal": _ACTOR},
    "ptt": {"terminal": _ACTOR, "group": _opt("group")},
    "release": {"terminal": _ACTOR},
    "talk": {"terminal": _ACTOR, "for": _req("duration"), "group": _opt("group")},
    "emergency": {"terminal": _ACTOR, "kind": _opt("choice", "emergency", "imminent_peril"), "group": _opt("group")},
    "cancel_emergency": {"terminal": _ACTOR},
    "alarm": {"terminal": _ACTOR, "code": _req("text"), "text": _opt("text"),
              "source": _opt("choice", "equipment", "sensor", "video_analytics", "terminal"),
              "severity": _opt("choice", "info", "minor", "major", "critical")},
    "move": {"terminal": _ACTOR, "station": _opt("station"), "between": _opt("stations2"), "area": _opt("text"),
             "direction": _opt("choice", "up", "down"), "hold": _opt("bool")},
    "report_location": {"terminal": _ACTOR, "station": _opt("station"), "next_station": _opt("station"),
                        "area": _opt("text"), "chainage_m": _opt("number")},
    "timetable_speed": {"terminal": _opt("sim"), "speed": _req("number")},
    "status": {"terminal": _ACTOR, "code": _req("int")},
    "text": {"terminal": _ACTOR, "text": _req("text"), "to": _opt("party"), "group": _opt("group")},
    "call_private": {"terminal": _ACTOR, "to": _req("party"), "duplex": _opt("choice", "half", "full")},
    "publish_video": {"terminal": _ACTOR, "camera": _opt("terminal"), "quality": _opt("choice", "thumb", "hd")},
    "drop_link": {"terminal": _ACTOR},
    "restore_link": {"terminal": _ACTOR, "instance": _opt("instance")},
}

_CALL_CHOICE = {"group": _opt("group"), "terminal": _opt("terminal"), "kind": _opt("choice", *_CALL_KINDS)}

#: ``console:`` actions: everything the desk can do (console.core.desk.Desk)
CONSOLE_ACTIONS: Mapping[str, Mapping[str, Field]] = {
    "monitor": {"groups": _req("groups")},
    "select": {"group": _req("group")},
    "ptt_press": {},
    "ptt_release": {},
    "ptt_override": {},
    "call_private": {"terminal": _req("party"), "duplex": _opt("choice", "half", "full")},
    "answer": {"from": _opt("party"), "accept": _opt("bool")},
    "end_call": dict(_CALL_CHOICE),
    "force_release": {**_CALL_CHOICE, "reason": _opt("text")},
    "broadcast": {"target": _req("choice", *get_args(BroadcastTarget)),
                  "subsystem": _opt("choice", *get_args(Subsystem)), "group": _opt("group")},
    "regroup": {"name": _req("text"), "terminals": _req("terminals"), "name_zh": _opt("text"), "as": _opt("label")},
    "patch": {"name": _req("text"), "groups": _req("groups"), "name_zh": _opt("text"), "as": _opt("label")},
    "dissolve": {"group": _req("group")},
    "ack_emergency": {"terminal": _opt("terminal")},
    "cancel_emergency": {"terminal": _opt("terminal"), "reason": _opt("text")},
    "ack_alarm": {"terminal": _opt("terminal"), "code": _opt("text")},
    "clear_alarm": {"terminal": _opt("terminal"), "code": _opt("text")},
    "send_text": {"text": _req("text"), "to": _opt("party"), "group": _opt("group")},
    "send_status": {"code": _req("int"), "to": _opt("party"), "group": _opt("group")},
    "push_pis": {"text": _req("text"), "text_en": _opt("text"), "trains": _opt("trains"), "urgent": _opt("bool"),
                 "duration": _opt("duration")},
    "disable": {"terminal": _req("terminal")},
    "enable": {"terminal": _req("terminal")},
    "pull_video": {"source": _req("terminal"), "camera": _opt("terminal"), "quality": _opt("choice", "thumb", "hd")},
    "focus_video": {"source": _req("terminal")},
    "stop_video": {"source": _req("terminal")},
}

#: ``fault:`` kinds (the embedded testbed only)
FAULTS: Mapping[str, Mapping[str, Field]] = {
    name: {"instance": _req("instance")} for name in ("kill", "pause", "resume", "restart", "isolate", "restore")
}
#: faults a single embedded platform can take (the others need the pair's processes and proxies)
SINGLE_PLATFORM_FAULTS = frozenset({"kill", "restart"})
#: the scenario's own Janus (``instance: janus``, setup.media: janus) takes these, whatever the platform
JANUS_FAULTS = frozenset({"kill", "pause", "resume", "restart"})

_RADIO_SUBJECT = {"terminal": _opt("sim"), "terminals": _opt("sims"), "train": _opt("train")}
_ALERT_PLACE = {"station": _opt("station"), "between": _opt("stations2")}

#: ``expect:`` checks by viewpoint (``log`` takes any event kind instead, with ``with:`` fields)
CHECKS: Mapping[str, Mapping[str, Mapping[str, Field]]] = {
    "console": {
        "emergency_shown": {"terminal": _opt("terminal"), "state": _opt("choice", "active", "acknowledged"),
                            "kind": _opt("choice", "emergency", "imminent_peril"), **_ALERT_PLACE},
        "emergency_gone": {"terminal": _opt("terminal")},
        "alarm_shown": {"terminal": _opt("terminal"), "code": _opt("text"),
                        "state": _opt("choice", "raised", "acknowledged")},
        "alarm_gone": {"terminal": _opt("terminal"), "code": _opt("text")},
        "presence": {"terminal": _req("terminal"), "is": _req("choice", *_PRESENCES)},
        "floor_granted": {},
        "floor_holder": {"group": _req("group"), "holder": _req("party")},
        "queue": {"group": _req("group"), "party": _req("party"), "position": _opt("int")},
        "call_running": dict(_CALL_CHOICE),
        "no_call": dict(_CALL_CHOICE),
        "incoming_call": {"from": _opt("party")},
        "train_position": {"train": _req("train"), **_ALERT_PLACE},
        "text_received": {"from": _opt("party"), "text": _opt("text")},
        "status_received": {"from": _opt("party"), "status": _opt("int")},
        "status_shown": {"terminal": _req("terminal"), "status": _req("int")},
        "group_exists": {"group": _req("group")},
        "group_gone": {"group": _req("group")},
        "media_plane": {"is": _req("choice", "up", "down")},
    },
    "radio": {
        "pis_shown": {**_RADIO_SUBJECT, "text": _opt("text")},
        "in_call": {**_RADIO_SUBJECT, "kind": _opt("choice", *_CALL_KINDS), "group": _opt("group")},
        "floor_holder": {**_RADIO_SUBJECT, "holder": _req("party"), "kind": _opt("choice", *_CALL_KINDS),
                         "group": _opt("group")},
        "floor_state": {**_RADIO_SUBJECT, "state": _req("choice", *_FLOOR_STATES), "position": _opt("int")},
        "floor_revoked": {**_RADIO_SUBJECT, "reason": _opt("choice", *_REVOKE_REASONS)},
        "emergency_state": {**_RADIO_SUBJECT, "state": _req("choice", "active", "acknowledged", "cancelled")},
        "text_received": {**_RADIO_SUBJECT, "text": _opt("text"), "from": _opt("party")},
        "disabled": dict(_RADIO_SUBJECT),
        "enabled": dict(_RADIO_SUBJECT),
        "link": {**_RADIO_SUBJECT, "up": _req("bool")},
    },
    "platform": {
        "active": {"instance": _req("choice", "A", "B")},
    },
    "wall": {
        "frames": {"source": _opt("terminal"), "train": _opt("train"), "quality": _opt("choice", "thumb", "hd")},
        "tiles": {"count": _req("int"), "quality": _opt("choice", "thumb", "hd")},
    },
}
#: fields of a ``log`` expectation besides the event kind
LOG_FIELDS: Mapping[str, Field] = {"with": _opt("fields")}
#: the event fields a ``log`` expectation's ``with`` may name beyond the event's summary keys
LOG_EVENT_FIELDS = ("actor", "terminal", "group", "call", "alert", "alarm")

#: what each step needs beyond the embedded testbed
TERMINAL_REQUIRES: Mapping[str, frozenset[str]] = {"publish_video": frozenset({"media"})}
CONSOLE_REQUIRES: Mapping[str, frozenset[str]] = {"focus_video": frozenset({"media"})}
VIEWPOINT_REQUIRES: Mapping[str, frozenset[str]] = {"wall": frozenset({"media"})}

# ----- the model -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """When a step starts: ``at`` seconds after the steps began, or ``delay`` after the end of step ``after``
    (``previous``: the step before). Neither: as soon as the step before ends."""

    at: float | None = None
    after: str | None = None
    delay: float = 0.0

    def describe(self) -> str:
        if self.at is not None:
            return f"at {self.at:g}s"
        if self.after is not None:
            return f"after {self.after} + {self.delay:g}s" if self.delay else f"after {self.after}"
        return "next"


@dataclass(frozen=True)
class Step:
    """One step: a terminal action (``do``), a console action, a fault, an expectation or a wait."""

    index: int
    mark: Mark
    kind: StepKind
    #: the action, fault or check name (``wait`` for waits; the event kind for ``log`` expectations)
    action: str
    args: Mapping[str, Any] = field(default_factory=dict)
    timing: Timing = Timing()
    id: str | None = None
    note: str = ""
    #: the viewpoint of an expectation
    viewpoint: str | None = None
    #: an expectation's deadline, or a wait's length, in seconds
    within: float | None = None
    requires: frozenset[str] = frozenset()

    def spec(self) -> Mapping[str, Field]:
        """The fields this step's kind of action or check takes."""
        if self.kind == "terminal":
            return TERMINAL_ACTIONS.get(self.action, {})
        if self.kind == "console":
            return CONSOLE_ACTIONS.get(self.action, {})
        if self.kind == "fault":
            return FAULTS.get(self.action, {})
        if self.kind == "expect" and self.viewpoint == "log":
            return LOG_FIELDS
        if self.kind == "expect" and self.viewpoint is not None:
            return CHECKS.get(self.viewpoint, {}).get(self.action, {})
        return {}

    def describe(self) -> str:
        """The step in one line, as reports show it."""
        spec = self.spec()

        def shown(name: str, value: Any) -> str:
            field = spec.get(name)
            if field is not None and field.kind == "duration" and isinstance(value, float):
                return f"{name}={value:g}s"
            return f"{name}={_short(value)}"

        args = " ".join(shown(k, v) for k, v in self.args.items())
        if self.kind == "terminal":
            head = f"{self.args.get('terminal', 'trains')} {self.action}"
            args = " ".join(shown(k, v) for k, v in self.args.items() if k != "terminal")
        elif self.kind == "console":
            head = f"console {self.action}"
        elif self.kind == "fault":
            head = f"fault {self.action}"
        elif self.kind == "wait":
            return f"wait {self.within:g}s"
        else:
            head = f"expect {self.viewpoint} {self.action} within {self.within:g}s"
        return f"{head} {args}".strip()


def _short(value: Any) -> str:
    if isinstance(value, list | tuple):
        text = ",".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = ",".join(f"{k}:{v}" for k, v in value.items())
    else:
        text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class ExternalPlatform:
    """A platform the scenario does not start: its instances' addresses and the credentials to use."""

    urls: tuple[str, ...]
    user: str
    password: str
    terminal_secret: str = ""


@dataclass(frozen=True)
class TerminalsSetup:
    """Which terminals are simulated and how they behave.

    ``simulate`` (ids or kinds) register before the first step; ``start_later`` ones wait for a ``register``
    step. ``rate`` scales the behaviour rates (0: terminals only do what steps tell them)."""

    simulate: tuple[str, ...] = ()
    start_later: tuple[str, ...] = ()
    rate: float = 0.0
    seed: int = 0
    speed: float = 1.0
    answer_calls: bool = True


@dataclass(frozen=True)
class Setup:
    """The world a scenario runs in."""

    line: Path
    platform: PlatformKind = "embedded"
    media: MediaPlane = "direct"
    user: str = "chief"
    password: str = "demo"
    monitor: tuple[str, ...] = ()
    select: str | None = None
    terminals: TerminalsSetup = TerminalsSetup()
    external: ExternalPlatform | None = None
    #: where media may flow (ICE host addresses); the Janus plane needs one that is not loopback (the runner's
    #: ``--media-address`` gives it otherwise)
    media_addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scenario:
    """A checked scenario file: load one with `Scenario.load`, run it with `console.headless.runner.run`."""

    name: str
    path: Path
    setup: Setup
    steps: tuple[Step, ...]
    line: Line
    description: str = ""
    requires: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """Read and check a scenario file; `ScenarioError` lists every problem (as file:line:col)."""
        from console.headless.loader import load_scenario

        return load_scenario(path)

    @property
    def needs(self) -> frozenset[str]:
        """Everything the scenario or any of its steps requires."""
        needs = set(self.requires)
        if self.setup.media == "janus":
            needs.add("media")
        for step in self.steps:
            needs |= step.requires
        return frozenset(needs)

    def against(self, urls: tuple[str, ...], user: str | None = None, password: str | None = None,
                terminal_secret: str | None = None) -> Scenario:
        """The same scenario run against an external platform at ``urls`` (command-line overrides)."""
        old = self.setup.external
        external = ExternalPlatform(
            urls,
            user or (old.user if old else self.setup.user),
            password if password is not None else (old.password if old else self.setup.password),
            terminal_secret if terminal_secret is not None else (old.terminal_secret if old
                                                                  else SAMPLE_TERMINAL_SECRET))
        return replace(self, setup=replace(self.setup, platform="external", external=external,
                                           user=external.user, password=external.password))


__all__ = [
    "CHECKS",
    "CONSOLE_ACTIONS",
    "CONSOLE_REQUIRES",
    "FAULTS",
    "FORMAT_VERSION",
    "JANUS_FAULTS",
    "LOG_EVENT_FIELDS",
    "LOG_FIELDS",
    "SINGLE_PLATFORM_FAULTS",
    "TERMINAL_ACTIONS",
    "TERMINAL_REQUIRES",
    "VIEWPOINTS",
    "VIEWPOINT_REQUIRES",
    "ExternalPlatform",
    "Field",
    "FieldKind",
    "Mark",
    "MediaPlane",
    "PlatformKind",
    "Requirement",
    "Scenario",
    "Setup",
    "Step",
    "StepKind",
    "TerminalsSetup",
    "Timing",
    "Viewpoint",
]
