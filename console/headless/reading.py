"""Reading composed YAML nodes into values for the scenario loader, each problem kept with its file, line and
column (the way testbed/line/reading.py reads line files)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import yaml

from console.headless.scenario import Mark

_TAG = "tag:yaml.org,2002:"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|min)\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "min": 60.0}
NULL = _TAG + "null"


class ScenarioError(ValueError):
    """Problems in scenario files; ``errors`` lists each as (mark, message), in file order."""

    def __init__(self, errors: Sequence[tuple[Mark, str]]) -> None:
        self.errors = sorted(errors, key=lambda e: (e[0].file, e[0].line, e[0].column))
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(f"{mark}: {message}" for mark, message in self.errors)


def parse_duration(text: str) -> float | None:
    """Seconds of a duration written "2.5s", "500ms" or "1min"; None when it is not one."""
    match = _DURATION.match(text)
    return float(match.group(1)) * _UNIT[match.group(2)] if match else None


def describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == _TAG + "null":
        return "nothing"
    return f"'{node.value}'"


class NodeReader:
    """Turns YAML nodes into values, recording each problem with its position."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[tuple[Mark, str]] = []

    def mark(self, node: yaml.Node) -> Mark:
        return Mark(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def error(self, node: yaml.Node, message: str) -> None:
        self.errors.append((self.mark(node), message))

    def mapping(self, node: yaml.Node, what: str, allowed: Iterable[str],
                required: Iterable[str] = ()) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """Keys to (key node, value node); unknown, duplicate and missing keys are errors."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what}: expected a mapping, got {describe(node)}")
            return {}
        allowed = list(allowed)
        found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name is None:
                self.error(key, f"{what}: keys must be text")
            elif name in found:
                self.error(key, f"{what}: duplicate key '{name}'")
            elif name not in allowed:
                self.error(key, f"{what}: unknown field '{name}' (expected one of: {', '.join(allowed)})")
            else:
                found[name] = (key, value)
        for name in required:
            if name not in found:
                self.error(node, f"{what}: missing required field '{name}'")
        return found

    def keys(self, node: yaml.MappingNode, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """Every key of a mapping (checked against no list); duplicate and non-text keys are errors."""
        found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                self.error(key, f"{what}: keys must be text")
            elif key.value in found:
                self.error(key, f"{what}: duplicate key '{key.value}'")
            else:
                found[key.value] = (key, value)
        return found

    def scalar(self, node: yaml.Node, what: str, tags: tuple[str, ...], expected: str) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag.removeprefix(_TAG) in tags:
            return str(node.value)
        self.error(node, f"{what}: expected {expected}, got {describe(node)}")
        return None

    def text(self, node: yaml.Node, what: str) -> str | None:
        """Text; numbers are read as written (so 1905 and "1905" are the same train)."""
        return self.scalar(node, what, ("str", "int", "float"), "text")

    def word(self, node: yaml.Node, what: str) -> str | None:
        value = self.text(node, what)
        if value is not None and (not value or any(c.isspace() for c in value)):
            self.error(node, f"{what}: '{value}' is not a valid name (non-empty, no spaces)")
            return None
        return value

    def integer(self, node: yaml.Node, what: str) -> int | None:
        value = self.scalar(node, what, ("int",), "a whole number")
        return int(yaml.safe_load(value)) if value is not None else None

    def number(self, node: yaml.Node, what: str, *, positive: bool = False) -> float | None:
        value = self.scalar(node, what, ("int", "float"), "a number")
        if value is None:
            return None
        number = float(yaml.safe_load(value))
        if positive and not number > 0:
            self.error(node, f"{what}: must be positive, got {value}")
            return None
        return number

    def flag(self, node: yaml.Node, what: str) -> bool | None:
        value = self.scalar(node, what, ("bool",), "true or false")
        return bool(yaml.safe_load(value)) if value is not None else None

    def duration(self, node: yaml.Node, what: str) -> float | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag == _TAG + "null":
            self.error(node, f"{what}: expected a duration like 2.5s or 500ms, got {describe(node)}")
            return None
        seconds = parse_duration(str(node.value))
        if seconds is None:
            hint = " (give a unit: s, ms or min)" if node.tag in (_TAG + "int", _TAG + "float") else ""
            self.error(node, f"{what}: bad duration '{node.value}'{hint}; expected e.g. 2.5s, 500ms or 1min")
        return seconds

    def items(self, node: yaml.Node, what: str, *, single: bool = False) -> list[yaml.Node]:
        """A list's items (with ``single``, one scalar reads as a list of one)."""
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        if single and isinstance(node, yaml.ScalarNode) and node.tag != _TAG + "null":
            return [node]
        self.error(node, f"{what}: expected a list, got {describe(node)}")
        return []

    def choice(self, node: yaml.Node, what: str, options: Sequence[str]) -> str | None:
        value = self.text(node, what)
        if value is not None and value not in options:
            self.error(node, f"{what}: '{value}' is not one of: {', '.join(options)}")
            return None
        return value


__all__ = ["NULL", "NodeReader", "ScenarioError", "describe", "parse_duration"]
