"""Scenario files (YAML, docs/scenarios.md) read into `Scenario`s, checked whole before anything runs.

`load_scenario` raises one `ScenarioError` listing every problem of the file as file:line:col: bad YAML,
unknown or missing keys, bad durations, expectations without a deadline, terminals or groups the line does
not have, terminals that are not simulated, faults on instances the setup has not, step ids used before
they are defined. `check_files` checks several files and collects the problems of all of them.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast, get_args

import yaml

from console.headless.reading import (
    FileProblem,
    NodeReader,
    ScenarioError,
    compose,
    describe,
    parse_duration,
    read_text,
)
from console.headless.scenario import (
    CHECKS,
    CONSOLE_ACTIONS,
    CONSOLE_REQUIRES,
    FAULTS,
    FORMAT_VERSION,
    JANUS_FAULTS,
    LOG_FIELDS,
    SINGLE_PLATFORM_FAULTS,
    TERMINAL_ACTIONS,
    TERMINAL_REQUIRES,
    VIEWPOINT_REQUIRES,
    VIEWPOINTS,
    ExternalPlatform,
    Field,
    FieldKind,
    Mark,
    MediaPlane,
    PlatformKind,
    Scenario,
    Setup,
    Step,
    StepKind,
    TerminalsSetup,
    Timing,
)
from protocols.messages import TerminalKind
from testbed.line import SAMPLE_PASSWORD, SAMPLE_TERMINAL_SECRET, Line, LineError, default_line_path, load_line

logger = logging.getLogger(__name__)

_AFTER = re.compile(r"^\s*([^\s+]+)\s*(?:\+\s*(.+))?$")
_KINDS = frozenset(get_args(TerminalKind))
_STEP_KINDS: dict[str, StepKind] = {"do": "terminal", "console": "console", "fault": "fault", "expect": "expect",
                                    "wait": "wait"}
_COMMON = ("at", "after", "id", "note")
#: media planes the schema knows
_MEDIA_PLANES: tuple[str, ...] = get_args(MediaPlane)
#: why the Janus plane needs an address that is not loopback (said wherever one is missing or wrong)
JANUS_ADDRESS_NEEDED = ("the Janus plane needs a media address of this machine that is not loopback (Janus cannot "
                        "do ICE over 127.0.0.1): give setup.media_address, or --media-address ADDR to "
                        "trunkdesk scenario run")


def load_scenario(path: str | Path) -> Scenario:
    """Read and check one scenario file (ScenarioError lists every problem; unreadable files too)."""
    path = Path(path)
    try:
        text = read_text(path)
    except FileProblem as exc:
        raise ScenarioError([(exc.mark, exc.message)]) from None
    return parse_scenario(text, str(path), base=path.parent)


def check_files(paths: Iterable[str | Path]) -> tuple[list[Scenario], list[tuple[Mark, str]]]:
    """Check every file; the scenarios that passed and the problems of all that did not."""
    scenarios: list[Scenario] = []
    errors: list[tuple[Mark, str]] = []
    for path in paths:
        try:
            scenarios.append(load_scenario(path))
        except ScenarioError as exc:
            errors += exc.errors
    return scenarios, errors


def parse_scenario(text: str, file: str = "<scenario>", *, base: Path | None = None) -> Scenario:
    """Check and build a scenario from YAML text; ``base`` is where relative line paths start."""
    try:
        root = compose(text, file)
    except FileProblem as exc:
        raise ScenarioError([(exc.mark, exc.message)]) from None
    reader = NodeReader(file)
    scenario = _Builder(reader, base or Path.cwd()).build(root)
    if reader.errors or scenario is None:
        raise ScenarioError(reader.errors or [(Mark(file, 1, 1), "not a scenario")])
    return scenario


# ----- building the scenario ---------------------------------------------------------------------------


@dataclass
class _Context:
    """What the steps may refer to: the line, what is simulated, labels and step ids seen so far."""

    line: Line | None
    platform: PlatformKind
    simulated: set[str]
    labels: set[str]
    step_ids: set[str]
    user: str
    #: the media plane (direct, janus)
    media: str = "direct"


class _Builder:
    def __init__(self, reader: NodeReader, base: Path) -> None:
        self.r = reader
        self.base = base

    def build(self, root: yaml.Node) -> Scenario | None:
        r = self.r
        top = r.mapping(root, "scenario", ("format", "name", "description", "requires", "setup", "steps"),
                        ("format", "name", "setup", "steps"))
        if not top:
            return None
        if "format" in top:
            version = r.integer(top["format"][1], "format")
            if version is not None and version != FORMAT_VERSION:
                r.error(top["format"][1], f"format: this trunkdesk reads format {FORMAT_VERSION}, not {version}")
        name = r.text(top["name"][1], "name") if "name" in top else None
        description = r.text(top["description"][1], "description") if "description" in top else ""
        requires: set[str] = set()
        if "requires" in top:
            for item in r.items(top["requires"][1], "requires", single=True):
                value = r.choice(item, "requires", ("media",))
                if value is not None:
                    requires.add(value)
        built = self.setup(top["setup"][1]) if "setup" in top else None
        setup, line = built if built is not None else (None, None)
        context = _Context(line, setup.platform if setup else "embedded", self.simulated(setup, line), set(), set(),
                           setup.user if setup else "chief", setup.media if setup else "direct")
        steps = self.steps(top["steps"][1], context) if "steps" in top else []
        if setup is None or line is None or name is None or r.errors:
            return None
        return Scenario(name=name, path=Path(r.file), setup=setup, steps=tuple(steps), line=line,
                        description=description or "", requires=frozenset(requires))

    # ----- setup -----------------------------------------------------------------------------------

    def setup(self, node: yaml.Node) -> tuple[Setup, Line | None] | None:
        r = self.r
        fields = r.mapping(node, "setup", ("line", "platform", "media", "media_address", "console", "terminals",
                                           "external"))
        line_path = default_line_path()
        line: Line | None = None
        if "line" in fields:
            value = r.text(fields["line"][1], "setup.line")
            if value is not None and value != "sample":
                line_path = (self.base / value).resolve()
        try:
            line = load_line(line_path)
        except LineError as exc:
            where = fields["line"][1] if "line" in fields else node
            first = exc.errors[0]
            r.error(where, f"setup.line: {line_path} has {len(exc.errors)} problem(s), first: "
                           f"{first.line}:{first.column}: {first.message}")
        except OSError as exc:
            r.error(fields["line"][1] if "line" in fields else node, f"setup.line: cannot read {line_path}: {exc}")
        platform = "embedded"
        if "platform" in fields:
            platform = r.choice(fields["platform"][1], "setup.platform", ("embedded", "pair", "external")) or platform
        media = "direct"
        if "media" in fields:
            media = r.choice(fields["media"][1], "setup.media", _MEDIA_PLANES) or media
            if media == "janus" and platform == "external":
                r.error(fields["media"][1], "setup.media: janus starts the scenario's own Janus beside its own "
                                            "platform (setup.platform embedded or pair); an external platform "
                                            "brings its media plane with it")
        addresses: list[str] = []
        if "media_address" in fields:
            for item in r.items(fields["media_address"][1], "setup.media_address", single=True):
                address = r.word(item, "setup.media_address")
                if address is None:
                    continue
                try:
                    parsed = ipaddress.ip_address(address)
                except ValueError:
                    r.error(item, f"setup.media_address: '{address}' is not an IP address")
                    continue
                if parsed.is_loopback and media == "janus":
                    r.error(item, f"setup.media_address: {address} is loopback: {JANUS_ADDRESS_NEEDED}")
                    continue
                addresses.append(address)
        user, password = "chief", SAMPLE_PASSWORD
        monitor: tuple[str, ...] = ()
        select: str | None = None
        if "console" in fields:
            user, password, monitor, select = self.console(fields["console"][1], line)
        terminals = self.terminals(fields["terminals"][1], line) if "terminals" in fields else TerminalsSetup()
        external = None
        if "external" in fields:
            external = self.external(fields["external"][1], user, password)
            if platform != "external":
                r.error(fields["external"][0], "setup.external: given, but setup.platform is not 'external'")
        elif platform == "external":
            r.error(fields["platform"][1], "setup.platform: 'external' needs setup.external (urls and credentials), "
                                           "or give --url on the command line")
        if external is not None:
            user, password = external.user, external.password
        setup = Setup(line=line_path, platform=cast(PlatformKind, platform), media=cast(MediaPlane, media),
                      user=user, password=password, monitor=monitor, select=select, terminals=terminals,
                      external=external, media_addresses=tuple(addresses))
        return setup, line

    def console(self, node: yaml.Node, line: Line | None) -> tuple[str, str, tuple[str, ...], str | None]:
        r = self.r
        fields = r.mapping(node, "setup.console", ("user", "password", "monitor", "select"))
        user = r.word(fields["user"][1], "setup.console.user") if "user" in fields else None
        password = r.text(fields["password"][1], "setup.console.password") if "password" in fields else None
        groups: list[str] = []
        if "monitor" in fields:
            for item in r.items(fields["monitor"][1], "setup.console.monitor", single=True):
                group = self.group_ref(item, "setup.console.monitor", line, set())
                if group is not None:
                    groups.append(group)
        select = self.group_ref(fields["select"][1], "setup.console.select", line, set()) if "select" in fields \
            else None
        if user is not None and line is not None and user not in line.dispatchers:
            r.error(fields["user"][1], f"setup.console.user: no dispatcher '{user}' on line {line.name}")
        return user or "chief", password if password is not None else SAMPLE_PASSWORD, tuple(groups), select

    def terminals(self, node: yaml.Node, line: Line | None) -> TerminalsSetup:
        r = self.r
        fields = r.mapping(node, "setup.terminals", ("simulate", "start_later", "rate", "seed", "speed",
                                                     "answer_calls"))
        chosen: dict[str, list[str]] = {"simulate": [], "start_later": []}
        for key, found in chosen.items():
            if key not in fields:
                continue
            for item in r.items(fields[key][1], f"setup.terminals.{key}", single=True):
                value = r.word(item, f"setup.terminals.{key}")
                if value is None:
                    continue
                if line is not None and value not in _KINDS and value not in line.terminals:
                    r.error(item, f"setup.terminals.{key}: '{value}' is neither a terminal of line {line.name} "
                                  f"nor a terminal kind ({', '.join(sorted(_KINDS))})")
                    continue
                found.append(value)
        rate = r.number(fields["rate"][1], "setup.terminals.rate") if "rate" in fields else None
        if rate is not None and rate < 0:
            r.error(fields["rate"][1], "setup.terminals.rate: must not be negative")
        seed = r.integer(fields["seed"][1], "setup.terminals.seed") if "seed" in fields else None
        speed = r.number(fields["speed"][1], "setup.terminals.speed", positive=True) if "speed" in fields else None
        answer = r.flag(fields["answer_calls"][1], "setup.terminals.answer_calls") if "answer_calls" in fields \
            else None
        return TerminalsSetup(tuple(chosen["simulate"]), tuple(chosen["start_later"]), max(rate or 0.0, 0.0),
                              seed or 0, speed or 1.0, True if answer is None else answer)

    def external(self, node: yaml.Node, user: str, password: str) -> ExternalPlatform | None:
        r = self.r
        fields = r.mapping(node, "setup.external", ("urls", "user", "password", "password_env", "terminal_secret"),
                           ("urls",))
        urls: list[str] = []
        if "urls" in fields:
            for item in r.items(fields["urls"][1], "setup.external.urls", single=True):
                url = r.text(item, "setup.external.urls")
                if url is not None and not url.startswith(("ws://", "wss://")):
                    r.error(item, f"setup.external.urls: '{url}' is not a ws:// or wss:// address")
                elif url is not None:
                    urls.append(url)
        if "user" in fields:
            user = r.word(fields["user"][1], "setup.external.user") or user
        if "password" in fields and "password_env" in fields:
            r.error(fields["password_env"][0], "setup.external: give password or password_env, not both")
        if "password" in fields:
            password = r.text(fields["password"][1], "setup.external.password") or ""
        elif "password_env" in fields:
            variable = r.word(fields["password_env"][1], "setup.external.password_env")
            password = os.environ.get(variable, "") if variable else ""
        secret = SAMPLE_TERMINAL_SECRET
        if "terminal_secret" in fields:
            secret = r.text(fields["terminal_secret"][1], "setup.external.terminal_secret") or secret
        return ExternalPlatform(tuple(urls), user, password, secret) if urls else None

    @staticmethod
    def simulated(setup: Setup | None, line: Line | None) -> set[str]:
        if setup is None or line is None:
            return set()
        wanted = set(setup.terminals.simulate) | set(setup.terminals.start_later)
        return {t.id for t in line.terminals.values() if t.id in wanted or t.kind in wanted}

    # ----- steps -----------------------------------------------------------------------------------

    def steps(self, node: yaml.Node, context: _Context) -> list[Step]:
        steps: list[Step] = []
        for index, item in enumerate(self.r.items(node, "steps"), start=1):
            step = self.step(item, index, context)
            if step is not None:
                steps.append(step)
        return steps

    def step(self, node: yaml.Node, index: int, context: _Context) -> Step | None:
        r = self.r
        what = f"step {index}"
        if not isinstance(node, yaml.MappingNode):
            r.error(node, f"{what}: expected a mapping, got {describe(node)}")
            return None
        keys = r.keys(node, what)
        kinds = [k for k in _STEP_KINDS if k in keys]
        if len(kinds) != 1:
            if kinds:
                r.error(node, f"{what}: give one of do, console, fault, expect, wait; got {', '.join(kinds)}")
            else:
                r.error(node, f"{what}: unknown step kind: give one of do (a terminal action), console, fault, "
                              f"expect or wait (keys here: {', '.join(keys) or 'none'})")
            return None
        key = kinds[0]
        kind = _STEP_KINDS[key]
        timing, step_id, note = self.common(keys, what, context)
        if kind == "expect":
            built = self.expectation(keys[key][1], what, context)
            extra = [k for k in keys if k not in (key, *_COMMON)]
            for name in extra:
                r.error(keys[name][0], f"{what}: unknown field '{name}' (an expectation's fields go inside expect:)")
            if built is None:
                return None
            viewpoint, action, args, within = built
            requires = VIEWPOINT_REQUIRES.get(viewpoint, frozenset())
            return Step(index, r.mark(node), "expect", action, args, timing, step_id, note, viewpoint, within,
                        requires)
        if kind == "wait":
            for name in [k for k in keys if k not in ("wait", *_COMMON)]:
                r.error(keys[name][0], f"{what}: unknown field '{name}' for a wait")
            length = r.duration(keys["wait"][1], f"{what}: wait")
            return Step(index, r.mark(node), "wait", "wait", {}, timing, step_id, note, within=length or 0.0)
        table = {"terminal": TERMINAL_ACTIONS, "console": CONSOLE_ACTIONS, "fault": FAULTS}[kind]
        named = r.word(keys[key][1], f"{what}: {key}")
        if named is None:
            return None
        action = named
        if action not in table:
            r.error(keys[key][1], f"{what}: unknown {key} action '{action}' (expected one of: {', '.join(table)})")
            return None
        spec = table[action]
        args = self.args(node, keys, spec, f"{what} ({key} {action})", context, skip=(key, *_COMMON))
        self.check_action(node, kind, action, args, keys=keys, what=f"{what} ({key} {action})", context=context)
        requires = (TERMINAL_REQUIRES if kind == "terminal" else CONSOLE_REQUIRES if kind == "console" else {}).get(
            action, frozenset())
        return Step(index, r.mark(node), kind, action, args, timing, step_id, note, requires=requires)

    def common(self, keys: Mapping[str, tuple[yaml.Node, yaml.Node]], what: str,
               context: _Context) -> tuple[Timing, str | None, str]:
        r = self.r
        timing = Timing()
        if "at" in keys and "after" in keys:
            r.error(keys["after"][0], f"{what}: give at or after, not both")
        elif "at" in keys:
            at = r.duration(keys["at"][1], f"{what}: at")
            timing = Timing(at=at) if at is not None else timing
        elif "after" in keys:
            node = keys["after"][1]
            text = r.text(node, f"{what}: after")
            match = _AFTER.match(text) if text is not None else None
            if text is not None and match is None:
                r.error(node, f"{what}: after: expected 'previous + 1s' or '<step id> + 1s', got '{text}'")
            elif match is not None:
                ref, delay_text = match.group(1), match.group(2)
                delay = parse_duration(delay_text) if delay_text else 0.0
                if delay is None:
                    r.error(node, f"{what}: after: bad duration '{delay_text}'; expected e.g. 1s or 500ms")
                if ref != "previous" and ref not in context.step_ids:
                    r.error(node, f"{what}: after: no step with id '{ref}' before this one")
                timing = Timing(after=ref, delay=delay or 0.0)
        step_id = r.word(keys["id"][1], f"{what}: id") if "id" in keys else None
        if step_id is not None:
            if step_id in context.step_ids or step_id == "previous":
                r.error(keys["id"][1], f"{what}: id '{step_id}' is used already")
            context.step_ids.add(step_id)
        note = (r.text(keys["note"][1], f"{what}: note") or "") if "note" in keys else ""
        return timing, step_id, note

    def args(self, node: yaml.Node, keys: Mapping[str, tuple[yaml.Node, yaml.Node]], spec: Mapping[str, Field],
             what: str, context: _Context, *, skip: Sequence[str]) -> dict[str, Any]:
        r = self.r
        args: dict[str, Any] = {}
        for name, (key_node, value_node) in keys.items():
            if name in skip:
                continue
            if name not in spec:
                allowed = ", ".join(spec) or "none"
                r.error(key_node, f"{what}: unknown field '{name}' (expected one of: {allowed})")
                continue
            value = self.value(value_node, spec[name], f"{what}: {name}", context)
            if value is not None:
                args[name] = value
        for name, field in spec.items():
            if field.required and name not in keys:
                r.error(node, f"{what}: missing required field '{name}'")
        return args

    def value(self, node: yaml.Node, field: Field, what: str, context: _Context, *, kinds: bool = False) -> Any:
        r, line, kind = self.r, context.line, field.kind
        if kind == "duration":
            return r.duration(node, what)
        if kind == "text":
            return r.text(node, what)
        if kind == "int":
            return r.integer(node, what)
        if kind == "number":
            return r.number(node, what)
        if kind == "bool":
            return r.flag(node, what)
        if kind == "choice":
            return r.choice(node, what, field.choices)
        if kind in ("terminals", "groups", "trains", "sims"):
            one: dict[str, FieldKind] = {"terminals": "terminal", "groups": "group", "trains": "train", "sims": "sim"}
            values = [self.value(item, Field(one[kind]), what, context, kinds=kind == "sims")
                      for item in r.items(node, what, single=kind == "sims")]
            return values if all(v is not None for v in values) else None
        if kind == "fields":
            return self.log_fields(node, what)
        if kind == "stations2":
            return self.stations2(node, what, line)
        value = r.word(node, what)
        if value is None:
            return None
        if kind == "label":
            if value in context.labels or (line is not None and value in line.groups):
                r.error(node, f"{what}: '{value}' names a group already")
            context.labels.add(value)
            return value
        if kind == "instance":
            return self.instance(node, value, what, context)
        if line is None:
            return value
        if kind == "terminal" and value not in line.terminals:
            r.error(node, f"{what}: unknown terminal '{value}' (not on line {line.name})")
        elif kind == "sim":
            return self.sim(node, value, what, context, line, kinds=kinds)
        elif kind == "party" and value not in ("dispatcher", "none", *line.dispatchers, *line.terminals):
            r.error(node, f"{what}: '{value}' is neither a terminal of line {line.name}, a dispatcher, "
                          f"'dispatcher' (this console) nor 'none'")
        elif kind == "group":
            return self.group_ref(node, what, line, context.labels)
        elif kind == "station" and value not in self.places(line):
            r.error(node, f"{what}: unknown station or depot '{value}' (line {line.name} has "
                          f"{', '.join(self.places(line))})")
        elif kind == "train" and value not in line.trains:
            r.error(node, f"{what}: unknown train '{value}' (not on line {line.name})")
        else:
            return value
        return None

    def sim(self, node: yaml.Node, value: str, what: str, context: _Context, line: Line, *,
            kinds: bool = False) -> str | None:
        """A simulated terminal's id (or, with ``kinds``, a kind of which some terminal is simulated)."""
        if kinds and value in _KINDS:
            if not any(line.terminals[t].kind == value for t in context.simulated):
                self.r.error(node, f"{what}: no {value} terminal is simulated")
                return None
            return value
        if value not in line.terminals:
            self.r.error(node, f"{what}: unknown terminal '{value}' (not on line {line.name})")
        elif value not in context.simulated:
            self.r.error(node, f"{what}: terminal '{value}' is not simulated: add it to setup.terminals.simulate "
                               f"(or start_later)")
        else:
            return value
        return None

    def group_ref(self, node: yaml.Node, what: str, line: Line | None, labels: set[str]) -> str | None:
        value = self.r.word(node, what)
        if value is None or line is None or value in line.groups or value in labels:
            return value
        self.r.error(node, f"{what}: unknown group '{value}' (not on line {line.name}, and no regroup or patch "
                           f"named so before this step)")
        return None

    @staticmethod
    def places(line: Line) -> list[str]:
        codes = [s.code for s in line.stations] + [d.code for d in line.depots]
        return codes + ([line.control_centre.code] if line.control_centre is not None else [])

    def stations2(self, node: yaml.Node, what: str, line: Line | None) -> list[str] | None:
        items = self.r.items(node, what)
        codes = [self.r.word(item, what) for item in items]
        if len(items) != 2:
            if items:
                self.r.error(node, f"{what}: expected two neighbouring stations, got {len(items)}")
            return None
        if None in codes or line is None:
            return cast(list[str], codes) if None not in codes else None
        stations = [s.code for s in line.stations]
        a, b = cast(list[str], codes)
        if a not in stations or b not in stations:
            self.r.error(node, f"{what}: {a} and {b} must both be stations of line {line.name}")
            return None
        if abs(stations.index(a) - stations.index(b)) != 1:
            self.r.error(node, f"{what}: {a} and {b} are not neighbours on line {line.name}")
            return None
        return [a, b]

    def instance(self, node: yaml.Node, value: str, what: str, context: _Context) -> str | None:
        names = {"embedded": ("A", "active"), "pair": ("A", "B", "witness", "active", "standby"),
                 "external": ()}[context.platform]
        if context.media == "janus" and context.platform != "external":
            names = (*names, "janus")
        if value == "janus" and context.media != "janus":
            self.r.error(node, f"{what}: no Janus to break: the scenario's media plane is direct (setup.media: "
                               f"janus starts one)")
        elif context.platform == "external":
            self.r.error(node, f"{what}: an external platform cannot be broken by a scenario: faults and "
                               f"instances need setup.platform embedded or pair")
        elif value not in names:
            known = "A, B, witness, active, standby"
            if value in known.split(", "):
                self.r.error(node, f"{what}: no instance '{value}' in a single-platform setup (setup.platform: "
                                   f"pair has A, B and the witness)")
            else:
                self.r.error(node, f"{what}: '{value}' is not an instance (expected one of: {', '.join(names)})")
        else:
            return value
        return None

    def log_fields(self, node: yaml.Node, what: str) -> dict[str, str] | None:
        if not isinstance(node, yaml.MappingNode):
            self.r.error(node, f"{what}: expected a mapping of field: value, got {describe(node)}")
            return None
        out: dict[str, str] = {}
        for key, value in node.value:
            name = self.r.word(key, what)
            text = self.r.scalar(value, f"{what}.{name}", ("str", "int", "float", "bool", "null"), "a plain value")
            if name is not None and text is not None:
                out[name] = text
        return out

    # ----- checks beyond single fields ---------------------------------------------------------------

    def check_action(self, node: yaml.Node, kind: StepKind, action: str, args: Mapping[str, Any], *,
                     keys: Mapping[str, tuple[yaml.Node, yaml.Node]], what: str, context: _Context) -> None:
        r, line = self.r, context.line
        if kind == "fault" and args.get("instance") == "janus":
            if action not in JANUS_FAULTS:
                r.error(keys["fault"][1], f"{what}: Janus takes {', '.join(sorted(JANUS_FAULTS))}, not {action}")
        elif kind == "fault" and context.platform == "embedded" and action not in SINGLE_PLATFORM_FAULTS:
            r.error(keys["fault"][1], f"{what}: needs the pair's processes (setup.platform: pair); a single "
                                      f"embedded platform takes only {', '.join(sorted(SINGLE_PLATFORM_FAULTS))}")
        if kind == "terminal" and action == "move":
            places = [k for k in ("station", "between", "area") if k in keys]
            if len(places) != 1:
                r.error(node, f"{what}: give one of station, between or area")
            terminal = args.get("terminal")
            if line is not None and terminal in line.terminals and places:
                info = line.terminals[terminal]
                if info.kind == "train" and places[0] != "area":
                    if info.train not in line.timetable.departures:
                        r.error(keys[places[0]][1], f"{what}: train {info.train} is not timetabled (a spare in "
                                                    f"its depot): it cannot be moved along the line")
                elif places[0] == "between":
                    r.error(keys["between"][1], f"{what}: only a train radio can be between two stations")
        if kind == "terminal" and action == "timetable_speed" and not (args.get("speed", 1) > 0):
            r.error(keys["speed"][1], f"{what}: speed must be positive")
        if kind == "console" and action == "broadcast":
            target = args.get("target")
            if target in ("subsystem", "group") and target not in args:
                r.error(node, f"{what}: target {target} needs the field '{target}'")
        if kind == "console" and action in ("end_call", "force_release") and not (
                {"group", "terminal", "kind"} & set(args)):
            r.error(node, f"{what}: say which call: give group, terminal or kind")

    def expectation(self, node: yaml.Node, what: str,
                    context: _Context) -> tuple[str, str, dict[str, Any], float | None] | None:
        r = self.r
        if not isinstance(node, yaml.MappingNode):
            r.error(node, f"{what}: expect: expected a mapping like {{within: 1s, console: emergency_shown}}, "
                          f"got {describe(node)}")
            return None
        keys = r.keys(node, f"{what}: expect")
        viewpoints = [v for v in VIEWPOINTS if v in keys]
        if len(viewpoints) != 1:
            r.error(node, f"{what}: expect: give exactly one of {', '.join(VIEWPOINTS)} (what to look at)"
                    + (f"; got {', '.join(viewpoints)}" if viewpoints else ""))
            return None
        viewpoint = viewpoints[0]
        within = None
        if "within" not in keys:
            r.error(node, f"{what}: expectation has no deadline: add within: <duration> (e.g. within: 2s)")
        else:
            within = r.duration(keys["within"][1], f"{what}: within")
            if within is not None and within <= 0:
                r.error(keys["within"][1], f"{what}: within must be longer than 0s")
        check = r.word(keys[viewpoint][1], f"{what}: {viewpoint}")
        if check is None:
            return None
        if viewpoint == "log":
            spec: Mapping[str, Field] = LOG_FIELDS
        elif check not in CHECKS[viewpoint]:
            r.error(keys[viewpoint][1], f"{what}: unknown {viewpoint} check '{check}' (expected one of: "
                                        f"{', '.join(CHECKS[viewpoint])})")
            return None
        else:
            spec = CHECKS[viewpoint][check]
        label = f"{what} (expect {viewpoint} {check})"
        args = self.args(node, keys, spec, label, context, skip=("within", viewpoint))
        if viewpoint == "radio":
            subjects = [k for k in ("terminal", "terminals", "train") if k in keys]
            if len(subjects) != 1:
                r.error(node, f"{label}: say whose radio: give one of terminal, terminals or train")
            train = args.get("train")
            line = context.line
            if train is not None and line is not None and line.trains[train].radio not in context.simulated:
                r.error(keys["train"][1], f"{label}: the radio of train {train} ({line.trains[train].radio}) is not "
                                          f"simulated: add it to setup.terminals.simulate")
        if viewpoint == "platform" and context.platform != "pair" and args.get("instance") == "B":
            r.error(keys["instance"][1], f"{label}: no instance B in a single-platform setup")
        if viewpoint == "console" and "station" in args and "between" in args:
            r.error(node, f"{label}: give station or between, not both")
        return viewpoint, check, args, within


__all__ = ["JANUS_ADDRESS_NEEDED", "ScenarioError", "check_files", "load_scenario", "parse_duration",
           "parse_scenario"]
