"""Plan files (YAML, docs/plans.md) read into `Plan`s, every problem reported as file:line:col.

`load_plans` reads a folder (or a list of files): a file with problems is reported whole and left out, the others
load. Names (groups, stations, terminals, dispatchers, roles) are checked against `PlanFacts` when given. The
reading is the scenario loader's (console/core/yaml_reading.py): composed YAML nodes keep their marks, so each
message points at the value at fault.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from console.core.plan_format import (
    ALARM_SOURCES,
    ALERT_KINDS,
    BROADCAST_TARGETS,
    CAMERA_WORDS,
    EITHER_SIDE,
    EVENT_KINDS,
    FORMAT_VERSION,
    HERE,
    PIS_TRAINS,
    PLACE_KINDS,
    PLACEHOLDERS,
    SEVERITIES,
    STEP_KINDS,
    STOP_PLACES,
    TERMINAL_KINDS,
    TO_WORDS,
    CallStation,
    Cameras,
    Escalate,
    EventKind,
    Mark,
    Notify,
    Pis,
    PlaceKind,
    Plan,
    PlanFacts,
    PlanStep,
    StepKind,
    StepSpec,
    Trigger,
)
from console.core.yaml_reading import (
    NULL,
    FileProblem,
    NodeReader,
    compose,
    describe,
    parse_duration,
    read_text,
)

_TOP = ("format", "id", "name", "name_zh", "description", "priority", "trigger", "steps")
_TRIGGER = ("event", "place", "stations", "codes", "sources", "min_severity", "alert_kinds", "terminal_kinds",
            "stopped_for", "stop_place")
#: trigger conditions that only make sense for one event kind
_ONLY_FOR: dict[str, EventKind] = {"codes": "alarm", "sources": "alarm", "min_severity": "alarm",
                                   "alert_kinds": "emergency", "stopped_for": "train_stopped",
                                   "stop_place": "train_stopped"}
_STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "notify": ("groups", "to", "text", "status"),
    "call_station": ("station", "duplex"),
    "cameras": ("of", "quality", "limit"),
    "pis": ("trains", "text", "text_en", "urgent", "duration"),
    "escalate": ("after", "groups", "to", "roles", "text", "status", "broadcast"),
}


@dataclass(frozen=True)
class PlanProblem:
    """One problem of a plan file."""

    mark: Mark
    message: str

    def __str__(self) -> str:
        return f"{self.mark}: {self.message}"


class PlanError(ValueError):
    """A plan file that cannot be used; ``problems`` lists every problem found in it, in file order."""

    def __init__(self, problems: Sequence[PlanProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.mark.file, p.mark.line, p.mark.column))
        super().__init__("\n".join(map(str, self.problems)))


@dataclass
class PlanSet:
    """The plans that loaded, and the problems of the files that did not."""

    plans: list[Plan] = field(default_factory=list)
    problems: list[PlanProblem] = field(default_factory=list)


def load_plans(source: str | Path | Iterable[str | Path], facts: PlanFacts | None = None) -> PlanSet:
    """Every ``*.yaml`` plan of a folder (in name order), or the files listed; a bad file is reported and skipped,
    a plan id used twice is reported at its second file."""
    if isinstance(source, str | Path):
        folder = Path(source)
        files = sorted(folder.glob("*.yaml")) if folder.is_dir() else [folder]
    else:
        files = [Path(p) for p in source]
    found = PlanSet()
    first_of: dict[str, Path] = {}
    for path in files:
        try:
            plan = load_plan(path, facts)
        except PlanError as exc:
            found.problems += exc.problems
            continue
        if plan.id in first_of:
            found.problems.append(PlanProblem(Mark(str(path), 1, 1), f"id: plan '{plan.id}' is defined already "
                                                                     f"in {first_of[plan.id]}"))
            continue
        first_of[plan.id] = path
        found.plans.append(plan)
    return found


def load_plan(path: str | Path, facts: PlanFacts | None = None) -> Plan:
    """Read and check one plan file (`PlanError` lists every problem; unreadable files too)."""
    path = Path(path)
    try:
        text = read_text(path)
    except FileProblem as exc:
        raise PlanError([PlanProblem(exc.mark, exc.message)]) from None
    return parse_plan(text, str(path), facts, path=path)


def parse_plan(text: str, file: str = "<plan>", facts: PlanFacts | None = None, *, path: Path | None = None) -> Plan:
    """Check and build a plan from YAML text."""
    try:
        root = compose(text, file)
    except FileProblem as exc:
        raise PlanError([PlanProblem(exc.mark, exc.message)]) from None
    reader = _Reader(file, facts)
    plan = reader.plan(root, path)
    if reader.problems or plan is None:
        raise PlanError(reader.problems or [PlanProblem(Mark(file, 1, 1), "not a plan")])
    return plan


class _Reader(NodeReader):
    """Turns YAML nodes into a plan, recording each problem with its position."""

    duration_like = "90s or 2min"
    duration_examples = "90s, 500ms or 2min"

    def __init__(self, file: str, facts: PlanFacts | None) -> None:
        super().__init__(file)
        self.facts = facts

    @property
    def problems(self) -> list[PlanProblem]:
        return [PlanProblem(mark, message) for mark, message in self.errors]

    # ----- values --------------------------------------------------------------------------------

    def duration(self, node: yaml.Node, what: str) -> float | None:
        """A duration longer than 0s."""
        seconds = super().duration(node, what)
        if seconds is not None and seconds <= 0:
            self.error(node, f"{what}: must be longer than 0s")
            return None
        return seconds

    def words(self, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node]]:
        """A list of names (one name reads as a list of one)."""
        items = list(node.value) if isinstance(node, yaml.SequenceNode) else [node]
        if isinstance(node, yaml.ScalarNode) and node.tag == NULL:
            self.error(node, f"{what}: expected a name or a list of names, got nothing")
            return []
        out = []
        for item in items:
            value = self.word(item, what)
            if value is not None:
                out.append((value, item))
        return out

    def choices(self, node: yaml.Node, what: str, options: Sequence[str]) -> tuple[str, ...]:
        out = []
        for value, item in self.words(node, what):
            if value not in options:
                self.error(item, f"{what}: '{value}' is not one of: {', '.join(options)}")
            else:
                out.append(value)
        return tuple(out)

    def choice(self, node: yaml.Node, what: str, options: Sequence[str]) -> str | None:
        """One of ``options``, read as a name (no spaces)."""
        return self.one_of(node, what, self.word(node, what), options)

    def template(self, node: yaml.Node, what: str) -> str | None:
        """A text that may hold {placeholders} (docs/plans.md, "Texts")."""
        value = self.text(node, what)
        if value is None:
            return None
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
        except ValueError as exc:
            self.error(node, f"{what}: {exc} (write {{{{ and }}}} for braces)")
            return None
        unknown = [n for n in names if n not in PLACEHOLDERS]
        if unknown:
            self.error(node, f"{what}: unknown placeholder {{{unknown[0]}}} (known: "
                             f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)})")
            return None
        return value

    # ----- names against the line ------------------------------------------------------------------

    def stations(self, node: yaml.Node, what: str, *, words: Sequence[str] = ()) -> tuple[str, ...]:
        out = []
        known = self.facts.stations if self.facts is not None else None
        for value, item in self.words(node, what):
            if value in words:
                out.append(value)
            elif known is not None and value not in known:
                extra = f"{', '.join(words)} or " if words else ""
                self.error(item, f"{what}: '{value}' is not {extra}a station of the line ({', '.join(known)})")
            else:
                out.append(value)
        return tuple(out)

    def groups(self, node: yaml.Node, what: str) -> tuple[str, ...]:
        out = []
        known = self.facts.groups if self.facts is not None else None
        for value, item in self.words(node, what):
            if value in (HERE, EITHER_SIDE) or known is None or value in known:
                out.append(value)
            else:
                self.error(item, f"{what}: unknown group '{value}' (give a group of the line, {HERE} or "
                                 f"{EITHER_SIDE}: the station groups of the event's place)")
        return tuple(out)

    def parties(self, node: yaml.Node, what: str) -> tuple[str, ...]:
        out = []
        facts = self.facts
        for value, item in self.words(node, what):
            if value in TO_WORDS or facts is None or value in facts.terminals or value in facts.dispatchers:
                out.append(value)
            else:
                self.error(item, f"{what}: '{value}' is neither a terminal nor a dispatcher of the line, nor "
                                 f"{' or '.join(TO_WORDS)} (the event's train radio)")
        return tuple(out)

    def roles(self, node: yaml.Node, what: str) -> tuple[str, ...]:
        out = []
        known = self.facts.roles if self.facts is not None else None
        for value, item in self.words(node, what):
            if known is not None and value not in known:
                self.error(item, f"{what}: no dispatcher has role '{value}' (roles: {', '.join(sorted(known))})")
            else:
                out.append(value)
        return tuple(out)

    # ----- the plan ----------------------------------------------------------------------------------

    def plan(self, root: yaml.Node, path: Path | None) -> Plan | None:
        top = self.mapping(root, "plan", _TOP, ("format", "id", "name", "trigger", "steps"))
        if not top:
            return None
        if "format" in top:
            version = self.integer(top["format"][1], "format")
            if version is not None and version != FORMAT_VERSION:
                self.error(top["format"][1], f"format: this trunkdesk reads plan format {FORMAT_VERSION}, "
                                             f"not {version}")
        plan_id = self.word(top["id"][1], "id") if "id" in top else None
        name = self.text(top["name"][1], "name") if "name" in top else None
        name_zh = (self.text(top["name_zh"][1], "name_zh") or "") if "name_zh" in top else ""
        description = (self.text(top["description"][1], "description") or "") if "description" in top else ""
        priority = (self.integer(top["priority"][1], "priority") or 0) if "priority" in top else 0
        trigger = self.trigger(top["trigger"][1]) if "trigger" in top else None
        steps = self.steps(top["steps"][1]) if "steps" in top else []
        if plan_id is None or name is None or trigger is None or self.problems:
            return None
        return Plan(plan_id, name, trigger, tuple(steps), name_zh, description, priority, path)

    def trigger(self, node: yaml.Node) -> Trigger | None:
        fields = self.mapping(node, "trigger", _TRIGGER, ("event",))
        if "event" not in fields:
            return None
        event = self.choice(fields["event"][1], "trigger.event", EVENT_KINDS)
        if event is None:
            return None
        for name, only in _ONLY_FOR.items():
            if name in fields and only != event:
                self.error(fields[name][0], f"trigger.{name}: only for event {only} (this plan's event is {event})")
        places: tuple[str, ...] = ("any",)
        if "place" in fields:
            places = self.choices(fields["place"][1], "trigger.place", PLACE_KINDS) or places
            if event == "train_stopped" and not set(places) & {"train", "any"}:
                self.error(fields["place"][1], "trigger.place: a stopped train is an event on a train: give train "
                                               "or any")
        stations = self.stations(fields["stations"][1], "trigger.stations") if "stations" in fields else ()
        codes = tuple(v.upper() for v, _ in self.words(fields["codes"][1], "trigger.codes")) if "codes" in fields \
            else ()
        sources = self.choices(fields["sources"][1], "trigger.sources", ALARM_SOURCES) if "sources" in fields else ()
        severity = self.choice(fields["min_severity"][1], "trigger.min_severity", SEVERITIES) \
            if "min_severity" in fields else None
        alert_kinds = self.choices(fields["alert_kinds"][1], "trigger.alert_kinds", ALERT_KINDS) \
            if "alert_kinds" in fields else ()
        terminal_kinds = self.choices(fields["terminal_kinds"][1], "trigger.terminal_kinds", TERMINAL_KINDS) \
            if "terminal_kinds" in fields else ()
        stopped_for = 0.0
        if "stopped_for" in fields:
            stopped_for = self.duration(fields["stopped_for"][1], "trigger.stopped_for") or 0.0
        elif event == "train_stopped":
            self.error(node, "trigger: a train_stopped plan needs stopped_for (e.g. stopped_for: 2min)")
        stop_place = "between"
        if "stop_place" in fields:
            stop_place = self.choice(fields["stop_place"][1], "trigger.stop_place", STOP_PLACES) or stop_place
        return Trigger(cast(EventKind, event), cast(tuple[PlaceKind, ...], places), stations, codes, sources,
                       severity, alert_kinds, terminal_kinds, stopped_for, stop_place)

    def steps(self, node: yaml.Node) -> list[PlanStep]:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"steps: expected a list, got {describe(node)}")
            return []
        if not node.value:
            self.error(node, "steps: a plan needs at least one step")
        steps = []
        escalations = 0
        for index, item in enumerate(node.value, start=1):
            step = self.step(item, f"step {index}")
            if step is None:
                continue
            if step.kind == "escalate":
                escalations += 1
                if escalations == 2:
                    self.error(item, f"step {index}: a plan has at most one escalate step")
            steps.append(step)
        return steps

    def step(self, node: yaml.Node, what: str) -> PlanStep | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what}: expected a mapping like {{notify: {{groups: [here], text: ...}}}}, "
                             f"got {describe(node)}")
            return None
        fields = self.mapping(node, what, (*STEP_KINDS, "label", "label_zh"))
        kinds = [k for k in STEP_KINDS if k in fields]
        if len(kinds) != 1:
            self.error(node, f"{what}: give exactly one of {', '.join(STEP_KINDS)}"
                       + (f"; got {', '.join(kinds)}" if kinds else ""))
            return None
        kind = kinds[0]
        label = (self.text(fields["label"][1], f"{what}: label") or "") if "label" in fields else ""
        label_zh = (self.text(fields["label_zh"][1], f"{what}: label_zh") or "") if "label_zh" in fields else ""
        body = fields[kind][1]
        if kind == "call_station" and isinstance(body, yaml.ScalarNode) and body.tag != NULL:
            station = self.stations(body, f"{what}: call_station", words=(HERE,))
            spec: StepSpec | None = CallStation(station[0]) if station else None
        else:
            spec = self.spec(kind, body, f"{what} ({kind})")
        if spec is None:
            return None
        return PlanStep(kind, spec, label, label_zh, self.mark(node))

    def spec(self, kind: StepKind, node: yaml.Node, what: str) -> StepSpec | None:
        fields = self.mapping(node, what, _STEP_FIELDS[kind], ("after",) if kind == "escalate" else ())
        get: dict[str, yaml.Node] = {name: value for name, (_, value) in fields.items()}
        if kind == "notify":
            return self.notify(node, get, what)
        if kind == "call_station":
            station = self.stations(get["station"], f"{what}: station", words=(HERE,)) if "station" in get \
                else (HERE,)
            duplex = self.choice(get["duplex"], f"{what}: duplex", ("half", "full")) if "duplex" in get else "half"
            return CallStation(station[0], cast(Any, duplex or "half")) if station else None
        if kind == "cameras":
            return self.cameras(get, what)
        if kind == "pis":
            return self.pis(node, get, what)
        return self.escalate(node, get, what)

    def notify(self, node: yaml.Node, get: dict[str, yaml.Node], what: str) -> Notify | None:
        groups = self.groups(get["groups"], f"{what}: groups") if "groups" in get else ()
        to = self.parties(get["to"], f"{what}: to") if "to" in get else ()
        text = self.template(get["text"], f"{what}: text") if "text" in get else None
        status = self.integer(get["status"], f"{what}: status") if "status" in get else None
        if "groups" not in get and "to" not in get:
            self.error(node, f"{what}: say whom to notify: give groups and/or to")
        if "text" not in get and "status" not in get:
            self.error(node, f"{what}: say what: give text and/or status")
        return Notify(groups, to, text or "", status)

    def cameras(self, get: dict[str, yaml.Node], what: str) -> Cameras:
        of = self.stations(get["of"], f"{what}: of", words=CAMERA_WORDS) if "of" in get else ("train", HERE)
        quality = self.choice(get["quality"], f"{what}: quality", ("thumb", "hd")) if "quality" in get else "thumb"
        limit = self.integer(get["limit"], f"{what}: limit") if "limit" in get else None
        if limit is not None and limit < 1:
            self.error(get["limit"], f"{what}: limit must be at least 1")
        return Cameras(of, cast(Any, quality or "thumb"), limit)

    def pis(self, node: yaml.Node, get: dict[str, yaml.Node], what: str) -> Pis | None:
        trains = self.choice(get["trains"], f"{what}: trains", PIS_TRAINS) if "trains" in get else "section"
        text = self.template(get["text"], f"{what}: text") if "text" in get else None
        text_en = (self.template(get["text_en"], f"{what}: text_en") or "") if "text_en" in get else ""
        urgent = bool(self.flag(get["urgent"], f"{what}: urgent")) if "urgent" in get else False
        duration = self.duration(get["duration"], f"{what}: duration") if "duration" in get else 300.0
        if "text" not in get:
            self.error(node, f"{what}: missing required field 'text' (what the passenger screens show)")
        return Pis(trains or "section", text or "", text_en, urgent, max(1, round(duration or 300.0)))

    def escalate(self, node: yaml.Node, get: dict[str, yaml.Node], what: str) -> Escalate | None:
        after = self.duration(get["after"], f"{what}: after") if "after" in get else None
        groups = self.groups(get["groups"], f"{what}: groups") if "groups" in get else ()
        to = self.parties(get["to"], f"{what}: to") if "to" in get else ()
        roles = self.roles(get["roles"], f"{what}: roles") if "roles" in get else ()
        text = self.template(get["text"], f"{what}: text") if "text" in get else None
        status = self.integer(get["status"], f"{what}: status") if "status" in get else None
        broadcast = None
        if "broadcast" in get:
            broadcast = self.word(get["broadcast"], f"{what}: broadcast")
            known = self.facts.groups if self.facts is not None else None
            if broadcast is not None and broadcast not in BROADCAST_TARGETS and known is not None \
                    and broadcast not in known:
                self.error(get["broadcast"], f"{what}: broadcast: '{broadcast}' is neither "
                                             f"{' nor '.join(BROADCAST_TARGETS)} nor a group of the line")
        if not ({"groups", "to", "roles", "broadcast"} & set(get)):
            self.error(node, f"{what}: say whom to escalate to: give groups, to, roles and/or broadcast")
        if {"groups", "to", "roles"} & set(get) and "text" not in get and "status" not in get:
            self.error(node, f"{what}: say what the escalation tells: give text and/or status")
        if after is None:
            return None
        return Escalate(after, groups, to, roles, text or "", status, broadcast)


__all__ = ["PlanError", "PlanProblem", "PlanSet", "load_plan", "load_plans", "parse_duration", "parse_plan"]
