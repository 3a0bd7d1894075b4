"""Reading YAML files whose every problem is reported as file:line:col: the one reader behind plan files
(console/core/plan_loader.py) and scenario files (console/headless/loader.py).

The files are composed into YAML nodes (not loaded into plain values) so each node keeps its position; a
`NodeReader` turns nodes into values and records each problem against the node at fault instead of stopping at
the first one, so a dispatcher fixing a file sees every problem at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

_TAG = "tag:yaml.org,2002:"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|min)\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "min": 60.0}
NULL = _TAG + "null"


@dataclass(frozen=True)
class Mark:
    """Where something was written: file, line and column (from 1)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class FileProblem(Exception):
    """The one problem that stops a file from being read at all (unreadable, not UTF-8, not YAML, empty); each
    loader turns it into its own error type."""

    def __init__(self, mark: Mark, message: str) -> None:
        self.mark = mark
        self.message = message
        super().__init__(f"{mark}: {message}")


def read_text(path: Path) -> str:
    """The file's text; `FileProblem` when it cannot be read or is not UTF-8 (pointing at the first bad byte)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileProblem(Mark(str(path), 1, 1), f"cannot read the file: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise FileProblem(Mark(str(path), line, column), "not UTF-8 text") from None


def compose(text: str, file: str) -> yaml.Node:
    """The root node of YAML text; `FileProblem` when it is not valid YAML or holds nothing."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(file, mark.line + 1, mark.column + 1) if mark is not None else Mark(file, 1, 1)
        reason = ", ".join(part for part in (exc.context, exc.problem) if part)
        raise FileProblem(where, f"not valid YAML: {reason}") from None
    except yaml.YAMLError as exc:
        raise FileProblem(Mark(file, 1, 1), f"not valid YAML: {exc}") from None
    if root is None:
        raise FileProblem(Mark(file, 1, 1), "the file is empty")
    return root


def parse_duration(text: str) -> float | None:
    """Seconds of a duration written "2.5s", "500ms" or "1min"; None when it is not one."""
    match = _DURATION.match(text)
    return float(match.group(1)) * _UNIT[match.group(2)] if match else None


def describe(node: yaml.Node) -> str:
    """What a node is, for messages ("expected a list, got a mapping")."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == NULL:
        return "nothing"
    return f"'{node.value}'"


class NodeReader:
    """Turns YAML nodes into values, recording each problem with its position in ``errors``."""

    #: examples of durations shown in messages (a file format may prefer its own)
    duration_like = "2.5s or 500ms"
    duration_examples = "2.5s, 500ms or 1min"

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
        if not isinstance(node, yaml.ScalarNode) or node.tag == NULL:
            self.error(node, f"{what}: expected a duration like {self.duration_like}, got {describe(node)}")
            return None
        seconds = parse_duration(str(node.value))
        if seconds is None:
            hint = " (give a unit: s, ms or min)" if node.tag in (_TAG + "int", _TAG + "float") else ""
            self.error(node, f"{what}: bad duration '{node.value}'{hint}; expected e.g. {self.duration_examples}")
        return seconds

    def items(self, node: yaml.Node, what: str, *, single: bool = False) -> list[yaml.Node]:
        """A list's items (with ``single``, one scalar reads as a list of one)."""
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        if single and isinstance(node, yaml.ScalarNode) and node.tag != NULL:
            return [node]
        self.error(node, f"{what}: expected a list, got {describe(node)}")
        return []

    def choice(self, node: yaml.Node, what: str, options: Sequence[str]) -> str | None:
        return self.one_of(node, what, self.text(node, what), options)

    def one_of(self, node: yaml.Node, what: str, value: str | None, options: Sequence[str]) -> str | None:
        """``value`` when it is one of ``options`` (or None, already reported); otherwise an error and None."""
        if value is not None and value not in options:
            self.error(node, f"{what}: '{value}' is not one of: {', '.join(options)}")
            return None
        return value


__all__ = ["NULL", "FileProblem", "Mark", "NodeReader", "compose", "describe", "parse_duration", "read_text"]
