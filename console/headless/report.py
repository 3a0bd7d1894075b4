"""What a scenario run came to: one `StepResult` per step (its timing, pass or fail, what was expected and what
was seen), gathered in a `ScenarioReport`; printed one line per step, and written as JSON or JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

StepStatus = Literal["passed", "failed", "error", "skipped"]
_WORD = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "skipped": "SKIP"}


@dataclass
class StepResult:
    """One step's run: ``started`` is seconds after the steps began, ``duration`` how long it took."""

    index: int
    line: int
    column: int
    kind: str
    description: str
    status: StepStatus
    started: float = 0.0
    duration: float = 0.0
    #: for expectations: what was expected and what was seen last
    expected: str = ""
    seen: str = ""
    #: the action's result, why it failed, or why it was skipped
    detail: str = ""
    #: seconds the step started after its time (an earlier step ran long)
    late: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("passed", "skipped")

    def where(self, file: str) -> str:
        return f"{file}:{self.line}:{self.column}"


@dataclass
class ScenarioReport:
    """A whole run: setup, every step, and anything that went wrong outside the steps."""

    name: str
    file: str
    platform: str
    started_at: float
    setup_seconds: float = 0.0
    duration: float = 0.0
    steps: list[StepResult] = field(default_factory=list)
    #: why the session could not be set up (nothing ran)
    setup_error: str | None = None
    #: why the whole scenario was skipped (a requirement the run cannot meet)
    skipped: str | None = None
    #: failures of background actions (talk bursts) and other notes
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Set up, and every step passed or was skipped for a missing requirement."""
        return self.setup_error is None and all(s.ok for s in self.steps)

    @property
    def failures(self) -> list[StepResult]:
        return [s for s in self.steps if not s.ok]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(_WORD, 0)
        for step in self.steps:
            counts[step.status] += 1
        return counts

    def summary(self) -> str:
        """One paragraph: the verdict, the counts, and each failure with its place, expectation and sight."""
        if self.skipped is not None:
            return f"{self.name}: SKIPPED ({self.skipped})"
        if self.setup_error is not None:
            return f"{self.name}: ERROR in setup: {self.setup_error}"
        counts = self.counts()
        verdict = "PASSED" if self.passed else "FAILED"
        lines = [f"{self.name}: {verdict} in {self.duration:.1f}s (setup {self.setup_seconds:.1f}s): "
                 + ", ".join(f"{n} {w}" for w, n in counts.items() if n)]
        for step in self.failures:
            lines.append(f"  {step.where(self.file)}: step {step.index} {step.description}: {_WORD[step.status]}")
            lines += _explain(step, "    ")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["passed"] = self.passed
        return data


def _explain(step: StepResult, indent: str) -> list[str]:
    lines = []
    if step.expected:
        lines.append(f"{indent}expected: {step.expected}")
    if step.seen:
        lines.append(f"{indent}seen: {step.seen}")
    if step.detail and step.status != "passed":
        lines.append(f"{indent}{step.detail}")
    return lines


def progress_line(step: StepResult) -> str:
    """The line printed as a step ends: when it started, which step, pass or fail, and how long it took
    (failures add what was expected and what was seen)."""
    late = f" (late {step.late:.1f}s)" if step.late >= 0.5 else ""
    head = (f"{step.started:8.2f}s  #{step.index:<3} L{step.line:<4} {step.description}  "
            f"{_WORD[step.status]} {step.duration:.2f}s{late}")
    if step.status == "passed" and step.detail:
        head += f"  [{step.detail}]"
    return "\n".join([head, *(_explain(step, "           ") if step.status != "passed" else [])])


def write_json(reports: Sequence[ScenarioReport], path: Path) -> None:
    """Every report, as a JSON list."""
    path.write_text(json.dumps([r.as_dict() for r in reports], indent=2, ensure_ascii=False), encoding="utf-8")


def junit_xml(reports: Sequence[ScenarioReport]) -> str:
    """JUnit XML: a testsuite per scenario and a testcase per step (setup failures as one ``setup`` case)."""
    root = ET.Element("testsuites", name="trunkdesk scenarios")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for report in reports:
        counts = report.counts()
        cases = len(report.steps) + (1 if report.setup_error is not None else 0)
        errors = counts["error"] + (1 if report.setup_error is not None else 0)
        suite = ET.SubElement(root, "testsuite", name=report.name, file=report.file, tests=str(cases),
                              failures=str(counts["failed"]), errors=str(errors), skipped=str(counts["skipped"]),
                              time=f"{report.duration:.3f}")
        for key, value in (("tests", cases), ("failures", counts["failed"]), ("errors", errors),
                           ("skipped", counts["skipped"])):
            totals[key] += value
        if report.setup_error is not None:
            case = ET.SubElement(suite, "testcase", classname=report.name, name="setup",
                                 time=f"{report.setup_seconds:.3f}", file=report.file)
            ET.SubElement(case, "error", message=report.setup_error).text = report.setup_error
        for step in report.steps:
            case = ET.SubElement(suite, "testcase", classname=report.name,
                                 name=f"step {step.index} (line {step.line}): {step.description}",
                                 time=f"{step.duration:.3f}", file=report.file, line=str(step.line))
            text = "\n".join(_explain(step, ""))
            if step.status == "failed":
                ET.SubElement(case, "failure", message=step.expected or step.detail).text = text
            elif step.status == "error":
                ET.SubElement(case, "error", message=step.detail).text = text
            elif step.status == "skipped":
                ET.SubElement(case, "skipped", message=step.detail)
        if report.notes:
            ET.SubElement(suite, "system-out").text = "\n".join(report.notes)
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(reports: Sequence[ScenarioReport], path: Path) -> None:
    path.write_text(junit_xml(reports), encoding="utf-8")


__all__ = ["ScenarioReport", "StepResult", "StepStatus", "junit_xml", "progress_line", "write_json", "write_junit"]
