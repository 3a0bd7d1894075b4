"""Test mode's recorder: what the maintainer does on the test bench, and the dispatcher's commands the desk gave
meanwhile, written as a scenario file (docs/scenarios.md) that `trunkdesk scenario run FILE` replays headless.

The bench tells the recording each terminal action, fault, added or removed terminal as it succeeds, with the
time it was asked for; the dispatcher's commands come from the desk's event log (every command is a ``command``
event with its request and outcome) when the recording stops, named the way a dispatcher names them (the
terminal of an alert, the group of a call) from what the desk's world showed while recording. Steps carry
``at:`` offsets from the start; a few checks of what the desk must show follow the actions that cause it.
The recording is Qt-free: the panel only starts, stops and saves it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from console.headless.loader import ScenarioError, parse_scenario
from console.headless.scenario import FORMAT_VERSION, Scenario
from testbed.line import Line, default_line_path
from testbed.pair import INSTANCES

logger = logging.getLogger(__name__)

#: offsets are written to a tenth of a second
_RESOLUTION = 0.1
#: deadlines of the checks added after actions, seconds
SHOWN_WITHIN = 3.0
FAILOVER_WITHIN = 20.0
#: dispatcher commands written as they are (their request fields carry the scenario's fields one to one)
_PLAIN_FIELDS: dict[str, dict[str, str]] = {
    "call_private": {"callee": "terminal", "duplex": "duplex"},
    "broadcast": {"target": "target", "subsystem": "subsystem", "group": "group"},
    "send_text": {"text": "text", "to": "to", "group": "group"},
    "send_status": {"status": "code", "to": "to", "group": "group"},
    "pull_video": {"source": "source", "camera": "camera", "quality": "quality"},
}
#: faults after which the other instance must take over, when they hit the active one
_TAKEOVER_FAULTS = ("kill", "pause", "isolate")
#: seconds within which the desk must show the media plane down (Janus killed or hung) or up again
MEDIA_PLANE_WITHIN = 15.0
#: what the desk shows after each fault on Janus
_JANUS_SHOWS = {"kill": "down", "pause": "down", "restart": "up", "resume": "up"}


class _Flow(dict[str, Any]):
    """A mapping written on one line (an expectation: ``expect: {within: 2s, console: ...}``)."""


class _FlowList(list[Any]):
    """A list of plain values written on one line (``between: [S03, S04]``)."""


class _Dumper(yaml.SafeDumper):
    """Block style for the file's structure, flow style for `_Flow` and `_FlowList` (as docs/scenarios.md writes)."""


_Dumper.add_representer(_Flow, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data.items(),
                                                                              flow_style=True))
_Dumper.add_representer(_FlowList, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data,
                                                                                   flow_style=True))


def _styled(value: Any, *, key: str = "") -> Any:
    """``value`` with expectations and lists of plain values marked to be written on one line."""
    if isinstance(value, dict):
        inner = {k: _styled(v, key=k) for k, v in value.items()}
        return _Flow(inner) if key == "expect" else inner
    if isinstance(value, list):
        if all(isinstance(v, str | int | float | bool) for v in value):
            return _FlowList(value)
        return [_styled(v) for v in value]
    return value


@dataclass
class _Step:
    """One step of the file: when (seconds from the start; expectations follow their action) and its fields."""

    at: float
    order: int
    body: dict[str, Any]
    #: an expectation: written without ``at`` (it starts when the step before it ended)
    follows: bool = False


class WorldMemory:
    """What the desk showed while recording, by platform id: calls, alarms, video sessions, calls ringing at the
    desk. A command on a call that has ended since is still written by its group or terminal."""

    def __init__(self, world: Any) -> None:
        self.world = world
        self.calls: dict[str, Any] = {}
        self.alarms: dict[str, Any] = {}
        self.video: dict[str, Any] = {}
        self.incoming: dict[str, Any] = {}
        self._seen(())
        self._unsubscribe: Callable[[], None] | None = world.subscribe(self._seen)

    def _seen(self, _changes: Iterable[object]) -> None:
        world = self.world
        self.calls.update(world.calls)
        self.alarms.update(world.alarms)
        self.video.update(world.video)
        self.incoming.update(world.incoming)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


def duration(seconds: float) -> str:
    """A duration as scenario files write it: ``2s``, ``1.5s``."""
    return f"{round(seconds / _RESOLUTION) * _RESOLUTION:.1f}".rstrip("0").rstrip(".") + "s"


class ScenarioRecording:
    """One recording (see the module docstring): built up by the bench, finished with the desk's commands."""

    def __init__(self, *, line: Line, line_path: Path | None, user: str, monitor: Sequence[str],
                 select: str | None, simulated: Iterable[str], seed: int, speed: float, world: Any,
                 checks: bool = True, clock: Callable[[], float] = time.time, media: str = "direct",
                 media_addresses: Sequence[str] = ()) -> None:
        self.line = line
        #: the bench's media plane (janus: the file says so, with where media flows) and media addresses
        self.media = media
        self.media_addresses = tuple(media_addresses)
        self.line_path = (line_path or default_line_path()).resolve()
        self.user = user
        self.monitor = tuple(monitor)
        self.select = select
        self.seed = seed
        self.speed = speed
        #: add checks of what the desk must show after the actions that cause it
        self.checks = checks
        self.clock = clock
        self.started = clock()
        self.finished: float | None = None
        self.simulated_at_start = frozenset(simulated)
        #: terminals registered while recording that were not simulated when it began
        self.added: set[str] = set()
        #: simulated terminals the steps act on or name
        self.used: set[str] = set()
        #: what was left out of the file, and why
        self.notes: list[str] = []
        self.memory = WorldMemory(world)
        self._steps: list[_Step] = []
        self._labels: dict[str, str] = {}
        self._commands = 0

    # ----- what the bench tells -----------------------------------------------------------------

    @property
    def recording(self) -> bool:
        return self.finished is None

    @property
    def step_count(self) -> int:
        """Steps so far (actions, faults, added terminals; the desk's commands are counted when it stops)."""
        return sum(1 for s in self._steps if not s.follows) + self._commands

    def _offset(self, when: float) -> float:
        return max(0.0, when - self.started)

    def _add(self, when: float, body: dict[str, Any], *, follows: bool = False) -> None:
        at = self._offset(when)
        self._steps.append(_Step(at, len(self._steps), body, follows))

    def _simulated(self, terminal: str | None) -> bool:
        return terminal is not None and (terminal in self.simulated_at_start or terminal in self.added)

    def terminal(self, when: float, action: str, terminal: str, **fields: Any) -> None:
        """A terminal action (``do:``) that succeeded; ``fields`` as the scenario names them (None left out)."""
        self.used.add(terminal)
        self._add(when, {"do": action, "terminal": terminal, **{k: v for k, v in fields.items() if v is not None}})
        if not self.checks:
            return
        if action == "emergency":
            self._add(when, {"expect": {"within": duration(SHOWN_WITHIN), "console": "emergency_shown",
                                        "terminal": terminal}}, follows=True)
        elif action == "alarm":
            self._add(when, {"expect": {"within": duration(SHOWN_WITHIN), "console": "alarm_shown",
                                        "terminal": terminal, "code": fields["code"]}}, follows=True)

    def registered(self, when: float, terminal: str) -> None:
        """A terminal was added to the bench (registered) while recording."""
        if terminal not in self.simulated_at_start:
            self.added.add(terminal)
        self.used.add(terminal)
        self._add(when, {"do": "register", "terminal": terminal})

    def deregistered(self, when: float, terminal: str) -> None:
        """A terminal was removed from the bench (it said bye) while recording."""
        self.used.add(terminal)
        self._add(when, {"do": "deregister", "terminal": terminal})

    def fault(self, when: float, action: str, instance: str, *, active_before: str | None = None) -> None:
        """A fault on instance A, B, the witness or Janus; after one that hits the active instance, a check that the
        other takes over; after one on Janus, a check that the desk shows the media plane down (or up again)."""
        self._add(when, {"fault": action, "instance": instance})
        if self.checks and instance == "janus" and action in _JANUS_SHOWS:
            self._add(when, {"expect": {"within": duration(MEDIA_PLANE_WITHIN), "console": "media_plane",
                                        "is": _JANUS_SHOWS[action]}}, follows=True)
            return
        if self.checks and action in _TAKEOVER_FAULTS and instance in INSTANCES and instance == active_before:
            other = INSTANCES[1 - INSTANCES.index(instance)]
            self._add(when, {"expect": {"within": duration(FAILOVER_WITHIN), "platform": "active",
                                        "instance": other}}, follows=True)

    # ----- the desk's commands --------------------------------------------------------------------

    def finish(self, events: Iterable[Any], when: float | None = None) -> None:
        """Stop recording: take the dispatcher's commands from the desk's event log (``command`` events, any
        order) and let go of the world."""
        if self.finished is not None:
            return
        self.finished = when if when is not None else self.clock()
        for event in sorted(events, key=lambda e: (e.at_ms, e.id)):
            if event.kind == "command" and self.started * 1000 <= event.at_ms <= self.finished * 1000:
                self._command(event)
        self.memory.close()

    def _command(self, event: Any) -> None:
        summary = dict(event.summary)
        command = str(summary.get("command", ""))
        outcome = summary.get("outcome")
        if outcome in ("error", "failed"):
            self.notes.append(f"left out: {command} at {duration(self._offset(event.at_ms / 1000))} "
                              f"({summary.get('code', '')} {summary.get('reason', outcome)})".replace("( ", "("))
            return
        fields = self._console_fields(command, summary, event)
        if fields is None:
            return
        for key in ("terminal", "to", "from"):
            value = fields.get(key)
            if isinstance(value, str) and self._simulated(value):
                self.used.add(value)
        when = event.at_ms / 1000
        self._add(when, {"console": command, **{k: v for k, v in fields.items() if v not in (None, "", [])}})
        self._commands += 1
        terminal = fields.get("terminal")
        if self.checks and command == "ack_emergency" and isinstance(terminal, str) and self._simulated(terminal):
            self._add(when, {"expect": {"within": duration(SHOWN_WITHIN), "radio": "emergency_state",
                                        "terminal": terminal, "state": "acknowledged"}}, follows=True)

    def _group(self, group: Any) -> str | None:
        """A group as the file names it: a line group, or the label of a regroup or patch made while recording."""
        if not isinstance(group, str):
            return None
        return self._labels.get(group, group)

    def _console_fields(self, command: str, summary: dict[str, Any], event: Any) -> dict[str, Any] | None:
        """The scenario fields of one dispatcher command, or None (with a note) when a scenario cannot say it."""
        memory = self.memory
        if command in _PLAIN_FIELDS:
            fields = {name: summary.get(key) for key, name in _PLAIN_FIELDS[command].items()}
            if "group" in fields:
                fields["group"] = self._group(fields["group"])
            if command == "call_private" and fields.get("duplex") == "half":
                del fields["duplex"]
            if command == "pull_video" and fields.get("quality") == "thumb":
                del fields["quality"]
            return fields
        if command == "monitor":
            return {"groups": [self._group(g) for g in summary.get("groups", ())]}
        if command == "select":
            return {"group": self._group(summary.get("selected") or event.group)}
        if command in ("ptt_press", "ptt_override", "ptt_release"):
            return {}
        if command in ("ack_emergency", "cancel_emergency"):
            fields = {"terminal": event.terminal}
            if command == "cancel_emergency":
                fields["reason"] = summary.get("reason") or None
            return fields
        if command in ("ack_alarm", "clear_alarm"):
            alarm = memory.alarms.get(event.alarm or summary.get("alarm", ""))
            if alarm is None:
                return {}
            return {"terminal": alarm.origin if alarm.origin in self.line.terminals else None,
                    "code": alarm.code or None}
        if command in ("disable", "enable"):
            return {"terminal": event.terminal or summary.get("terminal")}
        if command in ("end_call", "force_release"):
            call = memory.calls.get(event.call or summary.get("call", ""))
            if call is None:
                self.notes.append(f"left out: {command} of a call the desk never showed ({event.call})")
                return None
            fields = self._call_fields(call)
            if command == "force_release":
                fields["reason"] = summary.get("reason") or None
            return fields
        if command == "answer":
            ringing = memory.incoming.get(summary.get("call", ""))
            fields = {"from": ringing.caller if ringing is not None else None}
            if summary.get("accept") is False:
                fields["accept"] = False
            return fields
        if command in ("regroup", "patch"):
            return self._regroup_fields(command, summary, event)
        if command == "dissolve":
            return {"group": self._group(summary.get("group") or event.group)}
        if command == "push_pis":
            seconds = summary.get("duration_s")
            return {"text": summary.get("text"), "text_en": summary.get("text_en") or None,
                    "trains": list(summary.get("trains") or ()) or None, "urgent": summary.get("urgent") or None,
                    "duration": duration(float(seconds)) if seconds else None}
        if command == "stop_video":
            session = memory.video.get(summary.get("session", ""))
            if session is None:
                self.notes.append(f"left out: stop_video of a session the desk never showed ({summary.get('session')})")
                return None
            return {"source": session.source}
        self.notes.append(f"left out: {command} (scenarios have no such console action)")
        return None

    def _call_fields(self, call: Any) -> dict[str, Any]:
        """A call as a dispatcher names it: its group (group calls), else the other party, and its kind."""
        fields: dict[str, Any] = {"kind": call.kind}
        if call.group is not None:
            fields["group"] = self._group(call.group)
        else:
            others = [p for p in (call.initiator, *call.parties) if p and p != self.user]
            fields["terminal"] = next((p for p in others if p in self.line.terminals), None)
        return fields

    def _regroup_fields(self, command: str, summary: dict[str, Any], event: Any) -> dict[str, Any]:
        result = (event.data or {}).get("result") or {}
        label = f"{command}{sum(1 for v in self._labels.values() if v.startswith(command)) + 1}"
        group = result.get("group")
        fields: dict[str, Any] = {"name": summary.get("name"), "name_zh": summary.get("name_zh") or None, "as": label}
        if command == "regroup":
            fields["terminals"] = list(summary.get("terminals") or ())
        else:
            fields["groups"] = [self._group(g) for g in summary.get("groups") or ()]
        if isinstance(group, str):
            self._labels[group] = label
        return fields

    # ----- the file ---------------------------------------------------------------------------------

    def steps(self) -> list[dict[str, Any]]:
        """The steps in the order they happened, each a mapping as the file writes it."""
        out: list[dict[str, Any]] = []
        for step in sorted(self._steps, key=lambda s: (s.at, s.order)):
            out.append(dict(step.body) if step.follows else {"at": duration(step.at), **step.body})
        return out

    def line_reference(self, folder: Path) -> str:
        """``sample`` for the sample line, else the line file's path relative to ``folder`` (where the file goes)."""
        if self.line_path == default_line_path().resolve():
            return "sample"
        return os.path.relpath(self.line_path, folder.resolve())

    def document(self, name: str, folder: Path) -> dict[str, Any]:
        """The whole scenario as a mapping (see docs/scenarios.md)."""
        line = self.line
        user = self.user if self.user in line.dispatchers else "chief"
        if user != self.user:
            self.notes.append(f"the desk's user {self.user} is not a dispatcher of line {line.name}: replayed as chief")
        monitor = [g for g in self.monitor if g in line.groups]
        console: dict[str, Any] = {"user": user}
        if monitor:
            console["monitor"] = monitor
        if self.select in line.groups:
            console["select"] = self.select
        order = list(line.terminals)
        simulate = [t for t in order if t in self.used and t in self.simulated_at_start]
        later = [t for t in order if t in self.added]
        terminals: dict[str, Any] = {}
        if simulate:
            terminals["simulate"] = simulate
        if later:
            terminals["start_later"] = later
        terminals.update(rate=0, seed=self.seed, speed=self.speed)
        began = datetime.fromtimestamp(self.started).strftime("%Y-%m-%d %H:%M:%S")
        description = (f"Recorded in the test mode of the desk on {began} by {self.user}. The behaviours of the "
                       f"terminals are off (rate 0), so only what was done by hand and the dispatcher commands replay.")
        if self.notes:
            description += " " + " ".join(f"{note}." for note in self.notes)
        setup: dict[str, Any] = {"line": self.line_reference(folder), "platform": "pair"}
        if self.media == "janus":  # the recording's own Janus comes back with it, on the same media addresses
            setup["media"] = "janus"
            if self.media_addresses:
                setup["media_address"] = list(self.media_addresses)
        setup.update(console=console, terminals=terminals)
        return {"format": FORMAT_VERSION, "name": name, "description": description, "setup": setup,
                "steps": self.steps()}

    def to_yaml(self, name: str, folder: Path) -> str:
        header = ("# Recorded in trunkdesk's test mode. Replay it headless with:\n"
                  "#   trunkdesk scenario run THIS_FILE\n")
        return header + yaml.dump(_styled(self.document(name, folder)), Dumper=_Dumper, sort_keys=False,
                                  allow_unicode=True, default_flow_style=False, width=120)


@dataclass(frozen=True)
class SavedScenario:
    """A recording written to ``path``: the scenario as the loader read it back, or the loader's problems."""

    path: Path
    scenario: Scenario | None
    problems: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.scenario is not None


def default_name(started: float) -> str:
    return "Test mode recording " + datetime.fromtimestamp(started).strftime("%Y-%m-%d %H:%M")


def save_recording(recording: ScenarioRecording, path: Path, name: str | None = None) -> SavedScenario:
    """Write the recording to ``path`` and check it with the scenario loader (a file the loader refuses is still
    written, so that nothing recorded is lost; its problems are returned)."""
    path = Path(path)
    text = recording.to_yaml(name or default_name(recording.started), path.parent)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    try:
        scenario = parse_scenario(text, str(path), base=path.parent)
    except ScenarioError as exc:
        problems = tuple(f"{mark}: {message}" for mark, message in exc.errors)
        logger.error("recorded scenario %s does not load: %s", path, "; ".join(problems))
        return SavedScenario(path, None, problems)
    logger.info("recorded scenario saved to %s (%d steps)", path, len(scenario.steps))
    return SavedScenario(path, scenario)


__all__ = ["SavedScenario", "ScenarioRecording", "WorldMemory", "default_name", "duration", "save_recording"]
