"""Headless scenarios: scenario files and the Python scenario API over the desk core and the testbed, with
reports (JUnit XML, JSON). No Qt here (docs/scenarios.md)."""

from console.headless.checks import Check, ExpectationFailed, MediaUnavailable, Outcome
from console.headless.loader import ScenarioError, check_files, load_scenario
from console.headless.report import ScenarioReport, StepResult
from console.headless.runner import run
from console.headless.scenario import Scenario, Step
from console.headless.session import Session, SetupFailed

__all__ = [
    "Check",
    "ExpectationFailed",
    "MediaUnavailable",
    "Outcome",
    "Scenario",
    "ScenarioError",
    "ScenarioReport",
    "Session",
    "SetupFailed",
    "Step",
    "StepResult",
    "check_files",
    "load_scenario",
    "run",
]
