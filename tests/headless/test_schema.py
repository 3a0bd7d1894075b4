"""resources/scenarios/scenario.schema.json is made from the loader's vocabulary, and the examples fit it.

jsonschema is not a dependency: `fits` below is the subset of JSON Schema the file uses (type, const, enum,
pattern, required, properties, additionalProperties, items, oneOf, $ref, min/max items)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from console.headless.scenario import CHECKS, CONSOLE_ACTIONS, FAULTS, TERMINAL_ACTIONS
from console.headless.schema import schema_text
from tests.headless.conftest import EXAMPLES

SCHEMA = json.loads((EXAMPLES / "scenario.schema.json").read_text(encoding="utf-8"))
_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "object": dict,
                          "array": list, "null": type(None)}


def fits(value: Any, schema: dict[str, Any]) -> bool:
    if "$ref" in schema:
        return fits(value, SCHEMA["$defs"][schema["$ref"].rsplit("/", 1)[1]])
    if "oneOf" in schema:
        return sum(fits(value, branch) for branch in schema["oneOf"]) == 1
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
    if isinstance(value, dict):
        if any(key not in value for key in schema.get("required", ())):
            return False
        properties, extra = schema.get("properties", {}), schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                if not fits(item, properties[key]):
                    return False
            elif extra is False or (isinstance(extra, dict) and not fits(item, extra)):
                return False
    if isinstance(value, list):
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)):
            return False
        if "items" in schema and not all(fits(item, schema["items"]) for item in value):
            return False
    return True


def test_the_schema_file_is_the_one_the_vocabulary_makes() -> None:
    assert (EXAMPLES / "scenario.schema.json").read_text(encoding="utf-8") == schema_text(), (
        "regenerate: python -m console.headless.schema > resources/scenarios/scenario.schema.json")


def test_the_schema_names_every_action_and_check() -> None:
    branches = SCHEMA["$defs"]["step"]["oneOf"]
    for key, table in (("do", TERMINAL_ACTIONS), ("console", CONSOLE_ACTIONS), ("fault", FAULTS)):
        named = [b["properties"][key]["const"] for b in branches if key in b["properties"]]
        assert named == list(table)
    (expect,) = [b for b in branches if "expect" in b["properties"]]
    checks = expect["properties"]["expect"]["oneOf"]
    for viewpoint, table in CHECKS.items():
        assert [c["properties"][viewpoint]["const"] for c in checks if viewpoint in c["properties"]] == list(table)
    assert all("within" in c["required"] for c in checks)
    assert SCHEMA["$defs"]["setup"]["properties"]["media"]["enum"] == ["direct", "janus"]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_fits_the_schema(path: Any) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert fits(document, SCHEMA)
    assert all(fits(step, SCHEMA["$defs"]["step"]) for step in document["steps"])


@pytest.mark.parametrize("step", [
    {"do": "dance", "terminal": "TR1905"},
    {"do": "talk", "terminal": "TR1905", "for": 3},
    {"expect": {"console": "emergency_shown"}},
    {"console": "ack_emergency", "loudly": True},
    {"at": "soon", "console": "ptt_press"},
    {"console": "ptt_press", "fault": "kill", "instance": "A"},
])
def test_the_schema_refuses_what_the_loader_refuses(step: dict[str, Any]) -> None:
    assert not fits(step, SCHEMA["$defs"]["step"])


def test_the_documentation_names_every_action_and_check() -> None:
    docs = (EXAMPLES.parents[1] / "docs" / "scenarios.md").read_text(encoding="utf-8")
    names = [*TERMINAL_ACTIONS, *CONSOLE_ACTIONS, *FAULTS] + [c for table in CHECKS.values() for c in table]
    assert [n for n in names if f"`{n}`" not in docs] == []
