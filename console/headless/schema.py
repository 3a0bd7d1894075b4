"""The JSON Schema of scenario files, made from the vocabulary in scenario.py so that the two never drift apart.

resources/scenarios/scenario.schema.json is its output (``python -m console.headless.schema > FILE``); a test
checks that the file is up to date. The schema describes the shape (keys, types, words); the loader also checks
what a schema cannot: terminals and groups against the line, instances against the setup, step references.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

from console.headless.scenario import (
    CHECKS,
    CONSOLE_ACTIONS,
    FAULTS,
    FORMAT_VERSION,
    LOG_FIELDS,
    TERMINAL_ACTIONS,
    Field,
)

_DURATION = r"^\s*(\d+(\.\d+)?|\.\d+)\s*(ms|s|min)\s*$"
_NAME = {"type": ["string", "integer"], "pattern": r"^\S+$"}
_TEXT = {"type": ["string", "number"]}


def _field(field: Field) -> dict[str, Any]:
    kind = field.kind
    if kind == "duration":
        return {"$ref": "#/$defs/duration"}
    if kind == "int":
        return {"type": "integer"}
    if kind == "number":
        return {"type": "number"}
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "text":
        return dict(_TEXT)
    if kind == "choice":
        return {"enum": list(field.choices)}
    if kind == "fields":
        return {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null"]}}
    if kind == "stations2":
        return {"type": "array", "items": dict(_NAME), "minItems": 2, "maxItems": 2}
    if kind in ("terminals", "groups", "trains"):
        return {"type": "array", "items": dict(_NAME)}
    if kind == "sims":
        return {"oneOf": [dict(_NAME), {"type": "array", "items": dict(_NAME)}]}
    return dict(_NAME)  # ids, codes, parties, labels, instances


def _branch(key: str, name: str, spec: Mapping[str, Field], common: Mapping[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {key: {"const": name}, **common}
    properties.update({field_name: _field(field) for field_name, field in spec.items()})
    required = [key] + [n for n, f in spec.items() if f.required]
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file."""
    timing = {"at": {"$ref": "#/$defs/duration"},
              "after": {"type": "string", "pattern": r"^\s*[^\s+]+\s*(\+\s*.+)?$"},
              "id": dict(_NAME), "note": dict(_TEXT)}
    steps: list[dict[str, Any]] = []
    for key, table in (("do", TERMINAL_ACTIONS), ("console", CONSOLE_ACTIONS), ("fault", FAULTS)):
        steps += [_branch(key, name, spec, timing) for name, spec in table.items()]
    steps.append(_branch("wait", "", {}, timing) | {"properties": {"wait": {"$ref": "#/$defs/duration"}, **timing}})
    checks: list[dict[str, Any]] = []
    within = {"within": {"$ref": "#/$defs/duration"}}
    for viewpoint, table in CHECKS.items():
        for name, spec in table.items():
            branch = _branch(viewpoint, name, spec, within)
            branch["required"].append("within")
            if viewpoint == "wall":
                branch["description"] = "requires media"
            checks.append(branch)
    log = _branch("log", "", LOG_FIELDS, within)
    log["properties"]["log"] = dict(_NAME)
    log["required"].append("within")
    checks.append(log)
    steps.append({"type": "object", "properties": {"expect": {"oneOf": checks}, **timing}, "required": ["expect"],
                  "additionalProperties": False})
    names = {"type": "array", "items": dict(_NAME)}
    one_or_more = {"oneOf": [dict(_NAME), names]}
    setup = {
        "type": "object", "additionalProperties": False,
        "properties": {
            "line": {"type": "string", "description": "'sample', or a line file's path relative to this file"},
            "platform": {"enum": ["embedded", "pair", "external"]},
            "media": {"enum": ["direct", "janus"],
                      "description": "janus: the scenario starts its own Janus, which the platform brokers; media "
                                     "then needs an address that is not loopback (media_address or --media-address)"},
            "media_address": {"oneOf": [dict(_NAME), names],
                              "description": "IP address(es) of this machine media may use; not loopback for janus"},
            "console": {"type": "object", "additionalProperties": False,
                        "properties": {"user": dict(_NAME), "password": dict(_TEXT), "monitor": one_or_more,
                                       "select": dict(_NAME)}},
            "terminals": {"type": "object", "additionalProperties": False,
                          "properties": {"simulate": one_or_more, "start_later": one_or_more,
                                         "rate": {"type": "number", "minimum": 0}, "seed": {"type": "integer"},
                                         "speed": {"type": "number", "exclusiveMinimum": 0},
                                         "answer_calls": {"type": "boolean"}}},
            "external": {"type": "object", "additionalProperties": False, "required": ["urls"],
                         "properties": {"urls": {"oneOf": [{"type": "string"}, {"type": "array",
                                                                                "items": {"type": "string"}}]},
                                        "user": dict(_NAME), "password": dict(_TEXT), "password_env": dict(_NAME),
                                        "terminal_secret": dict(_TEXT)}},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "trunkdesk scenario",
        "description": "A headless scenario for trunkdesk (docs/scenarios.md). "
                       "Generated by console/headless/schema.py.",
        "type": "object",
        "required": ["format", "name", "setup", "steps"],
        "additionalProperties": False,
        "properties": {
            "format": {"const": FORMAT_VERSION},
            "name": dict(_TEXT),
            "description": dict(_TEXT),
            "requires": {"oneOf": [{"enum": ["media"]}, {"type": "array", "items": {"enum": ["media"]}}]},
            "setup": {"$ref": "#/$defs/setup"},
            "steps": {"type": "array", "items": {"$ref": "#/$defs/step"}},
        },
        "$defs": {
            "duration": {"type": "string", "pattern": _DURATION, "description": "e.g. 2.5s, 500ms, 1min"},
            "setup": setup,
            "step": {"oneOf": steps},
        },
    }


def schema_text() -> str:
    """The schema as the file holds it."""
    return json.dumps(scenario_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_text())
