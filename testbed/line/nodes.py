"""Reading YAML nodes with their positions: the checks every line-file reader shares, collecting each problem as
a `LineError` at file:line:col instead of stopping at the first."""

from __future__ import annotations

import math

import yaml
import yaml.constructor

from testbed.line.model import (
    LineError,
)
from testbed.line.passwords import _HASH_SCHEME, _parse_hash

_TAG = "tag:yaml.org,2002:"


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == _TAG + "null":
        return "nothing (null)"
    kind = {"str": "text", "int": "the number", "float": "the number", "bool": "the flag"}
    return f"{kind.get(node.tag.removeprefix(_TAG), node.tag)} '{_short(node.value)}'"


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


class _Reader:
    """Reads composed YAML nodes into values, recording each problem with its position."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[LineError] = []
        self._constructor = yaml.constructor.SafeConstructor()

    def error(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.errors.append(LineError(self.file, mark.line + 1, mark.column + 1, message))

    def label(self, node: yaml.Node, what: str, key: str) -> str:
        """``what`` named by the value of ``key`` when the node has it, for messages."""
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == key and isinstance(v, yaml.ScalarNode):
                    return f"{what} '{v.value}'"
        return what

    def pairs(self, node: yaml.Node | None, what: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
        """(key, key node, value node) of a mapping; duplicate and non-text keys are errors."""
        if node is None:
            return []
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what}: expected a mapping, got {_describe(node)}")
            return []
        seen: dict[str, yaml.Node] = {}
        out: list[tuple[str, yaml.Node, yaml.Node]] = []
        for key_node, value in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, f"{what}: keys must be text")
            elif key_node.value in seen:
                first = seen[key_node.value].start_mark.line + 1
                self.error(key_node, f"{what}: duplicate key '{key_node.value}' (first at line {first})")
            else:
                seen[key_node.value] = key_node
                out.append((key_node.value, key_node, value))
        return out

    def fields(self, node: yaml.Node | None, what: str, required: str,
               optional: str = "") -> dict[str, yaml.Node]:
        """The values of a mapping with these keys; unknown and missing keys are errors."""
        if node is None:
            return {}
        allowed = required.split() + optional.split()
        found: dict[str, yaml.Node] = {}
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what}: expected a mapping, got {_describe(node)}")
            return found
        for key, key_node, value in self.pairs(node, what):
            if key in allowed:
                found[key] = value
            else:
                self.error(key_node, f"{what}: unknown key '{key}' (expected one of: {', '.join(allowed)})")
        for key in required.split():
            if key not in found:
                self.error(node, f"{what}: missing required key '{key}'")
        return found

    def items(self, node: yaml.Node | None, what: str) -> list[yaml.Node]:
        if node is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{what}: expected a list, got {_describe(node)}")
            return []
        return list(node.value)

    def text(self, node: yaml.Node | None, what: str, default: str = "") -> str:
        """Text (numbers are read as written, so 1901 and 0123 stay as they are)."""
        if node is None:
            return default
        if isinstance(node, yaml.ScalarNode) and node.tag in (_TAG + "str", _TAG + "int"):
            return str(node.value)
        self.error(node, f"{what}: expected text, got {_describe(node)}")
        return default

    def word(self, node: yaml.Node | None, what: str) -> str | None:
        """Text, or None (after an error) when the value is not text."""
        if node is None:
            return None
        errors = len(self.errors)
        value = self.text(node, what)
        return value if len(self.errors) == errors else None

    def ident(self, node: yaml.Node | None, what: str) -> str | None:
        """An id or code: non-empty text without spaces or ':' (which selectors use)."""
        value = self.word(node, what)
        if node is None or value is None:
            return None
        if not value or ":" in value or any(c.isspace() for c in value):
            self.error(node, f"{what}: '{value}' is not a valid id (non-empty, no spaces, no ':')")
            return None
        return value

    def idents(self, node: yaml.Node | None, what: str) -> list[tuple[str, yaml.Node]]:
        out: list[tuple[str, yaml.Node]] = []
        for item in self.items(node, what):
            value = self.ident(item, what)
            if value is not None:
                out.append((value, item))
        return out

    def number(self, node: yaml.Node | None, what: str, sign: str = "any") -> float | None:
        """A finite number; ``sign`` "positive" or "non_negative" restricts it."""
        if node is None:
            return None
        if not (isinstance(node, yaml.ScalarNode) and node.tag in (_TAG + "int", _TAG + "float")):
            self.error(node, f"{what}: expected a number, got {_describe(node)}")
            return None
        try:
            value = float(self._constructor.construct_object(node))
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            self.error(node, f"{what}: expected a finite number, got {_short(node.value)}")
        elif sign == "positive" and value <= 0:
            self.error(node, f"{what}: must be positive, got {_short(node.value)}")
        elif sign == "non_negative" and value < 0:
            self.error(node, f"{what}: must not be negative, got {_short(node.value)}")
        else:
            return value
        return None

    def flag(self, node: yaml.Node | None, what: str) -> bool:
        if node is None:
            return False
        if isinstance(node, yaml.ScalarNode) and node.tag == _TAG + "bool":
            return bool(self._constructor.construct_object(node))
        self.error(node, f"{what}: expected true or false, got {_describe(node)}")
        return False

    def choice(self, node: yaml.Node | None, what: str, options: tuple[str, ...], default: str) -> str:
        value = self.text(node, what, default)
        if value not in options:
            assert node is not None
            self.error(node, f"{what}: '{value}' is not one of: {', '.join(options)}")
            return default
        return value

    def clock(self, node: yaml.Node | None, what: str) -> int | None:
        """A clock time "HH:MM" or "HH:MM:SS" as seconds after midnight (read as written: YAML 1.1
        would turn an unquoted 23:00 into the number 1380)."""
        if node is None:
            return None
        parts = str(node.value).split(":") if isinstance(node, yaml.ScalarNode) else []
        if len(parts) in (2, 3) and all(p.isdigit() and len(p) <= 2 for p in parts):
            h, m, s = (int(p) for p in [*parts, "0"][:3])
            if h <= 24 and m < 60 and s < 60:
                return h * 3600 + m * 60 + s
        self.error(node, f"{what}: expected a clock time like \"06:00\", got {_describe(node)}")
        return None

    def password_hash(self, node: yaml.Node | None, what: str) -> str:
        value = self.text(node, what)
        if node is not None and value and _parse_hash(value) is None:
            self.error(node, f"{what}: not a hash from hash_password ('{_HASH_SCHEME}$ITERATIONS$SALT$HASH')")
        return value
