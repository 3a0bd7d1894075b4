"""Every example scenario in resources/scenarios runs through the Python API and passes (media steps are
skipped, with the reason, until the desk core has a video wall; then they must run). The Janus-plane example runs
through `trunkdesk scenario run` inside a network namespace of its own (Janus cannot do ICE over loopback)."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pytest

from console.headless import Scenario, run
from console.headless.report import StepResult
from console.headless.runner import unmet
from testbed.janus import INSTALL_COMMAND
from tests.headless.conftest import EXAMPLES
from tests.integration.netns import VethPair, require_netns, run_command_in_netns

pytestmark = pytest.mark.integration
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
#: the examples on the direct plane (run here) and on the Janus plane (run in a namespace)
JANUS_FILES = [p for p in EXAMPLE_FILES if Scenario.load(p).setup.media == "janus"]
DIRECT_FILES = [p for p in EXAMPLE_FILES if p not in JANUS_FILES]
#: the most the Janus example may take, Janus and setup included
JANUS_BUDGET = 90.0
#: the most one example may take, setup included (CI runs them all)
BUDGET = 20.0
MEDIA_MISSING = unmet(frozenset({"media"}))


def test_there_are_the_five_examples_of_the_issue_and_the_janus_one() -> None:
    assert [p.name for p in EXAMPLE_FILES] == ["all-trains-broadcast.yaml", "failover-emergency.yaml",
                                               "floor-contention.yaml", "janus-video-incident.yaml",
                                               "train-emergency.yaml", "video-wall-30.yaml"]
    assert [p.name for p in JANUS_FILES] == ["janus-video-incident.yaml"]


@pytest.mark.parametrize("path", DIRECT_FILES, ids=lambda p: p.stem)
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


@pytest.mark.timeout(240)
@pytest.mark.skipif(shutil.which("janus") is None, reason=f"janus not installed ({INSTALL_COMMAND})")
@pytest.mark.parametrize("path", JANUS_FILES, ids=lambda p: p.stem)
def test_the_janus_example_passes_in_a_network_namespace(path: Path, tmp_path: Path) -> None:
    """`trunkdesk scenario run FILE --media-address ADDR` as a user would run it, on one end of a veth pair inside
    a namespace the test creates: the scenario's own Janus, the platform brokering it, the desk and the cameras."""
    require_netns()
    if MEDIA_MISSING is not None:
        pytest.skip(MEDIA_MISSING)
    report_path = tmp_path / "report.json"
    began = time.monotonic()
    done = run_command_in_netns([sys.executable, "-m", "console.cli", "scenario", "run", str(path),
                                 "--media-address", VethPair().ip, "--json", str(report_path)], timeout=200)
    took = time.monotonic() - began
    assert done.returncode == 0, f"{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    [report] = json.loads(report_path.read_text(encoding="utf-8"))
    steps = report["steps"]
    assert len(steps) == len(Scenario.load(path).steps) and {s["status"] for s in steps} == {"passed"}
    assert any(s["description"].startswith("fault kill instance=janus") for s in steps)
    assert took < JANUS_BUDGET, f"{path.name} took {took:.1f}s"


async def test_the_janus_example_says_what_it_needs_without_a_media_address() -> None:
    """Janus cannot do ICE over loopback: run without an address, the scenario stops before anything starts and
    says what to give."""
    [path] = JANUS_FILES
    report = await run(Scenario.load(path))
    assert not report.passed and report.steps == []
    assert report.setup_error is not None
    assert "--media-address" in report.setup_error and "loopback" in report.setup_error
