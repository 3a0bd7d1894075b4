"""Every example scenario in resources/scenarios runs through the Python API and passes (media steps are
skipped, with the reason, until the desk core has a video wall; then they must run)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from console.headless import Scenario, run
from console.headless.report import StepResult
from console.headless.runner import unmet
from tests.headless.conftest import EXAMPLES

pytestmark = pytest.mark.integration
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
#: the most one example may take, setup included (CI runs them all)
BUDGET = 20.0
MEDIA_MISSING = unmet(frozenset({"media"}))


def test_there_are_the_five_examples_of_the_issue() -> None:
    assert [p.name for p in EXAMPLE_FILES] == ["all-trains-broadcast.yaml", "failover-emergency.yaml",
                                               "floor-contention.yaml", "train-emergency.yaml",
                                               "video-wall-30.yaml"]


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
async def test_the_example_passes(path: Path) -> None:
    scenario = Scenario.load(path)
    seen: list[StepResult] = []
    began = time.monotonic()
    report = await run(scenario, progress=seen.append, partial=True)
    took = time.monotonic() - began
    assert report.passed, report.summary()
    assert report.setup_error is None and report.skipped is None
    assert [s.index for s in report.steps] == [s.index for s in scenario.steps] == [s.index for s in seen]
    skipped = [s for s in report.steps if s.status == "skipped"]
    media_steps = [s.index for s in scenario.steps if "media" in s.requires]
    if MEDIA_MISSING is None:
        assert not skipped, "media is available: every step must run"
    else:
        assert [s.index for s in skipped] == media_steps
        assert all(s.detail == MEDIA_MISSING for s in skipped)
    assert took < BUDGET, f"{path.name} took {took:.1f}s"
    assert all(s.started >= 0 and s.duration >= 0 for s in report.steps)


async def test_without_media_its_steps_are_skipped_with_the_reason_and_a_media_scenario_whole(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import console.headless.runner as runner_module
    import console.headless.session as session_module

    monkeypatch.setattr(runner_module, "media_unavailable_reason", lambda: "no media on this machine")
    monkeypatch.setattr(session_module, "media_unavailable_reason", lambda: "no media on this machine")
    wall = Scenario.load(EXAMPLES / "video-wall-30.yaml")
    assert wall.requires == {"media"}
    report = await run(wall)
    assert report.skipped == "requires media: no media on this machine" and report.passed
    assert report.setup_seconds == 0.0 and {s.status for s in report.steps} == {"skipped"}
    assert len(report.steps) == len(wall.steps) and "SKIPPED (requires media: " in report.summary()

    emergency = Scenario.load(EXAMPLES / "train-emergency.yaml")
    report = await run(emergency)
    assert report.passed, report.summary()
    (skipped,) = [s for s in report.steps if s.status == "skipped"]
    assert skipped.description.startswith("expect wall frames")
    assert skipped.detail == "requires media: no media on this machine"
