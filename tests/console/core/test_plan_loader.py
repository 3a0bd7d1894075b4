"""Plan files: the sample plans load against the sample line; a bad file is reported with every problem at its
file:line:col and the other files still load; the JSON schema is made from the loader's vocabulary and the sample
plans fit it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from console.core.plan_format import CallStation, Cameras, Escalate, Notify, Pis
from console.core.plan_loader import PlanError, load_plan, load_plans, parse_plan
from console.core.plan_schema import schema_text
from console.headless.plans import default_plans_folder, facts_from_line
from testbed.line import default_line_path, load_line

FACTS = facts_from_line(load_line(default_line_path()))
GOOD = """\
format: 1
id: good
name: A good plan
trigger: {event: alarm, place: station, codes: [FIRE]}
steps:
  - notify: {groups: [here], text: "Fire at {station}"}
"""
BAD = """\
format: 1
id: bad
name: A bad plan
trigger:
  event: alarm
  place: platform
  stopped_for: 2min
steps:
  - notify: {groups: [TG-NOWHERE], text: "Fire at {stationn}"}
  - call_station: S99
  - cameras: {of: [here], limit: 0}
  - pis: {trains: section, duration: 10}
  - escalate: {after: 60s}
  - escalate: {after: 2min, roles: [janitor], text: x}
  - teleport: {to: mars}
"""


def test_the_sample_plans_load_against_the_sample_line() -> None:
    found = load_plans(default_plans_folder(), FACTS)
    assert found.problems == []
    by_id = {p.id: p for p in found.plans}
    assert set(by_id) == {"station-fire", "train-emergency", "section-intrusion", "train-stopped",
                          "train-held-at-station"}
    fire = by_id["station-fire"]
    assert fire.name_zh == "车站火灾报警" and fire.trigger.event == "alarm" and fire.trigger.places == ("station",)
    assert fire.trigger.codes == ("FIRE", "FIRE-*", "SMOKE*")
    assert [type(s.spec) for s in fire.steps] == [Notify, CallStation, Cameras, Pis, Escalate]
    assert fire.escalation is not None and fire.escalation.after == 60.0
    stopped = by_id["train-stopped"].trigger
    assert stopped.event == "train_stopped" and stopped.stopped_for == 120.0 and stopped.stop_place == "between"


def test_a_bad_file_is_reported_whole_at_file_line_column_and_the_others_load(tmp_path: Path) -> None:
    (tmp_path / "a-good.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b-bad.yaml").write_text(BAD, encoding="utf-8")
    (tmp_path / "c-broken.yaml").write_text("format: 1\nid: [unclosed\n", encoding="utf-8")
    found = load_plans(tmp_path, FACTS)
    assert [p.id for p in found.plans] == ["good"]
    bad = str(tmp_path / "b-bad.yaml")
    text = [str(p) for p in found.problems]
    expected = [
        f"{bad}:6:10: trigger.place: 'platform' is not one of: station, section, train, any",
        f"{bad}:7:3: trigger.stopped_for: only for event train_stopped (this plan's event is alarm)",
        f"{bad}:9:23: step 1 (notify): groups: unknown group 'TG-NOWHERE'",
        f"{bad}:9:42: step 1 (notify): text: unknown placeholder {{stationn}}",
        f"{bad}:10:19: step 2: call_station: 'S99' is not here or a station of the line",
        f"{bad}:11:34: step 3 (cameras): limit must be at least 1",
        f"{bad}:12:10: step 4 (pis): missing required field 'text'",
        f"{bad}:12:38: step 4 (pis): duration: bad duration '10' (give a unit: s, ms or min)",
        f"{bad}:13:15: step 5 (escalate): say whom to escalate to",
        f"{bad}:14:5: step 6: a plan has at most one escalate step",
        f"{bad}:14:37: step 6 (escalate): roles: no dispatcher has role 'janitor'",
        f"{bad}:15:5: step 7: unknown field 'teleport'",
    ]
    for start in expected:
        assert any(t.startswith(start) for t in text), f"missing {start!r} in:\n" + "\n".join(text)
    broken = [t for t in text if "c-broken" in t]
    assert len(broken) == 1 and re.search(r"c-broken\.yaml:\d+:\d+: not valid YAML", broken[0])


def test_a_plan_id_used_twice_is_refused_at_its_second_file(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "two.yaml").write_text(GOOD.replace("A good plan", "Another"), encoding="utf-8")
    found = load_plans(tmp_path)
    assert [p.name for p in found.plans] == ["A good plan"]
    assert [str(p) for p in found.problems] == [f"{tmp_path / 'two.yaml'}:1:1: id: plan 'good' is defined already "
                                                f"in {tmp_path / 'one.yaml'}"]


def test_unreadable_and_empty_files_are_problems_not_crashes(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read the file"):
        load_plan(tmp_path / "missing.yaml")
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    with pytest.raises(PlanError, match=r"empty\.yaml:1:1: the file is empty"):
        load_plan(tmp_path / "empty.yaml")
    (tmp_path / "latin1.yaml").write_bytes(b"format: 1\nname: Caf\xe9\n")
    with pytest.raises(PlanError, match=r"latin1.yaml:2:\d+: not UTF-8 text"):
        load_plan(tmp_path / "latin1.yaml")


def test_a_train_stopped_plan_needs_its_threshold_and_a_train_place() -> None:
    with pytest.raises(PlanError) as caught:
        parse_plan("format: 1\nid: x\nname: x\ntrigger: {event: train_stopped, place: station}\n"
                   "steps: [{cameras: {of: [train]}}]\n", "x.yaml")
    messages = [p.message for p in caught.value.problems]
    assert any("needs stopped_for" in m for m in messages)
    assert any("a stopped train is an event on a train" in m for m in messages)


# ----- the JSON schema -------------------------------------------------------------------------------------

SCHEMA_PATH = default_plans_folder() / "plan.schema.json"
_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "object": dict,
                          "array": list, "null": type(None)}


def fits(value: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    """The subset of JSON Schema the plan schema uses."""
    if "$ref" in schema:
        return fits(value, root["$defs"][schema["$ref"].rsplit("/", 1)[1]], root)
    if "oneOf" in schema:
        return sum(fits(value, branch, root) for branch in schema["oneOf"]) == 1
    if "const" in schema and value != schema["const"]:
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(isinstance(value, _TYPES[t]) and not (isinstance(value, bool) and t in ("integer", "number"))
                   for t in types):
            return False
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        return False
    if isinstance(value, int | float) and "minimum" in schema and value < schema["minimum"]:
        return False
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        if any(k not in value for k in schema.get("required", ())):
            return False
        if schema.get("additionalProperties") is False and any(k not in properties for k in value):
            return False
        return all(fits(v, properties[k], root) for k, v in value.items() if k in properties)
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            return False
        return all(fits(v, schema["items"], root) for v in value) if "items" in schema else True
    return True


def test_the_schema_file_is_up_to_date() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), \
        "run: python -m console.core.plan_schema > resources/plans/plan.schema.json"


def test_the_sample_plans_fit_the_schema_and_broken_ones_do_not() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    for path in sorted(default_plans_folder().glob("*.yaml")):
        assert fits(yaml.safe_load(path.read_text(encoding="utf-8")), schema, schema), path
    good = yaml.safe_load(GOOD)
    assert fits(good, schema, schema)
    assert not fits({**good, "steps": [{"teleport": {}}]}, schema, schema)
    assert not fits({**good, "trigger": {"event": "meteor"}}, schema, schema)
    assert not fits({**good, "steps": [{"escalate": {"after": "60"}}]}, schema, schema)


def test_the_check_command_prints_every_problem_and_fails_on_any(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from console.headless.plan_check import main

    assert main([]) == 0
    assert capsys.readouterr().out.strip() == "5 plan(s) ok, 0 problem(s)"
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    assert main([str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{tmp_path / 'bad.yaml'}:6:10: trigger.place")
    assert out[-1] == "0 plan(s) ok, 13 problem(s)"
