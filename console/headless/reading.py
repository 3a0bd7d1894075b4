"""Reading composed YAML nodes into values for the scenario loader, each problem kept with its file, line and
column. The reader itself is shared with plan files (console/core/yaml_reading.py); what is the scenario's own
is its error type."""

from __future__ import annotations

from collections.abc import Sequence

from console.core.yaml_reading import NULL, FileProblem, Mark, NodeReader, compose, describe, parse_duration, read_text


class ScenarioError(ValueError):
    """Problems in scenario files; ``errors`` lists each as (mark, message), in file order."""

    def __init__(self, errors: Sequence[tuple[Mark, str]]) -> None:
        self.errors = sorted(errors, key=lambda e: (e[0].file, e[0].line, e[0].column))
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(f"{mark}: {message}" for mark, message in self.errors)


__all__ = ["NULL", "FileProblem", "NodeReader", "ScenarioError", "compose", "describe", "parse_duration", "read_text"]
