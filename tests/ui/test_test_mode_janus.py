"""The demo and its test mode on the Janus plane: `trunkdesk demo --media janus --media-address ADDR`, and the
faults panel's Janus row (kill, pause, resume, restart), recorded into a scenario file that replays on Janus.

Everything is real: the desk offscreen with its panel, the bench's own pair brokering the bench's own Janus, the
desk's media. Janus cannot do ICE over loopback, so each body runs in a network namespace of its own
(tests/integration/netns.py), on one end of its veth pair, and returns what it saw as JSON.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from console.cli import _demo_testbed_args, build_parser, janus_demo_problem
from testbed.janus import INSTALL_COMMAND
from tests.integration.netns import VethPair, require_netns, run_command_in_netns, run_in_netns

ADDRESS = VethPair().ip
needs_janus = pytest.mark.skipif(shutil.which("janus") is None, reason=f"janus not installed ({INSTALL_COMMAND})")


def test_demo_on_janus_says_what_it_needs_and_hands_the_media_options_to_its_testbed() -> None:
    parse = build_parser().parse_args
    assert janus_demo_problem(parse(["demo"])) is None, "the direct plane needs nothing"
    if shutil.which("janus") is not None:
        missing = janus_demo_problem(parse(["demo", "--media", "janus"]))
        assert missing is not None and "--media-address" in missing and "loopback" in missing
        loopback = janus_demo_problem(parse(["demo", "--media", "janus", "--media-address", "127.0.0.1"]))
        assert loopback is not None and "is loopback: Janus cannot do ICE over 127.0.0.1" in loopback
        assert janus_demo_problem(parse(["demo", "--media", "janus", "--media-address", "10.9.9.9"])) is None
    args = parse(["demo", "--media", "janus", "--media-address", "10.9.9.9", "--rtp-ports", "21000-21099"])
    passed = _demo_testbed_args(args)
    assert passed[passed.index("--media") + 1] == "janus" and passed[passed.index("--media-address") + 1] == "10.9.9.9"
    assert passed[passed.index("--rtp-ports") + 1] == "21000-21099"
    assert "--media" not in _demo_testbed_args(parse(["demo"]))


async def _until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


def janus_test_mode_body(folder: str) -> dict[str, Any]:
    """`trunkdesk demo --test-mode --media janus`: the Janus row, its kill and restart, and their recording."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from console.core.world import media_plane_down
    from console.ui.app import run_desk
    from console.ui.panes.test_mode import NAME, TestModePane
    from console.ui.test_mode import TestModeOptions
    from console.ui.test_mode.recording import save_recording

    seen: dict[str, Any] = {}

    async def check(session: Any) -> None:
        pane = session.window.pane(NAME)
        assert isinstance(pane, TestModePane)
        bench, world, faults = pane.bench, session.desk.world, pane.faults
        await _until(lambda: bench.session is not None and bench.active_instance() is not None, 30, "the bench")
        pane.tabs.setCurrentIndex(1)
        faults.refresh()
        seen["janus_row_shown"] = faults.states["janus"].isVisibleTo(faults)
        seen["janus_faults"] = [fault for fault, row in faults.buttons if row == "janus"]
        seen["enabled_before"] = {f: faults.buttons[(f, "janus")].isEnabled() for f in seen["janus_faults"]}
        seen["state_before"] = faults.states["janus"].text()
        seen["media_plane_before"] = media_plane_down(world) is None
        bench.start_recording()

        faults.buttons[("kill", "janus")].click()
        await _until(lambda: media_plane_down(world) is not None, 15, "the desk shows the media plane down")
        await _until(lambda: {s.name: s.process for s in bench.instances()}.get("janus") == "stopped", 5, "stopped")
        faults.refresh()
        seen["state_after_kill"] = faults.states["janus"].text()
        seen["enabled_after_kill"] = {f: faults.buttons[(f, "janus")].isEnabled() for f in seen["janus_faults"]}

        faults.buttons[("restart", "janus")].click()
        await _until(lambda: media_plane_down(world) is None, 20, "the media plane up again")
        seen["state_after_restart"] = faults.states["janus"].text()
        recording = await bench.stop_recording()
        saved = save_recording(recording, Path(folder) / "recorded-janus.yaml")
        seen["problems"] = list(saved.problems)
        if saved.scenario is not None:
            seen["setup"] = [saved.scenario.setup.media, list(saved.scenario.setup.media_addresses)]
            seen["steps"] = [[s.kind, s.action, s.viewpoint, dict(s.args)] for s in saved.scenario.steps]
        session.window.close()

    seen["exit"] = run_desk([], "", "", demo=True, language="en", log_path=Path(folder) / "events.sqlite",
                            script=check, media_addresses=(ADDRESS,),
                            test_mode=TestModeOptions(terminals=(), rate=0.0, media="janus",
                                                      media_addresses=(ADDRESS,)))
    return seen


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(240)
@needs_janus
def test_the_faults_panel_breaks_the_benchs_janus_and_the_recording_replays_on_janus(tmp_path: Path) -> None:
    require_netns()
    r = run_in_netns(janus_test_mode_body, str(tmp_path), timeout=220)

    assert r["exit"] == 0
    assert r["janus_row_shown"] and r["janus_faults"] == ["kill", "pause", "resume", "restart"]
    assert r["enabled_before"] == {"kill": True, "pause": True, "resume": False, "restart": True}
    assert "running" in r["state_before"] and "media plane up" in r["state_before"] and r["media_plane_before"]
    assert "stopped" in r["state_after_kill"] and "media plane down" in r["state_after_kill"]
    assert r["enabled_after_kill"] == {"kill": False, "pause": False, "resume": False, "restart": True}
    assert r["problems"] == [], "the recording loads as a scenario"
    assert r["setup"] == ["janus", [ADDRESS]], "it replays on Janus, on the same media address"
    faults = [[kind, action, args] for kind, action, _viewpoint, args in r["steps"] if kind == "fault"]
    assert faults == [["fault", "kill", {"instance": "janus"}], ["fault", "restart", {"instance": "janus"}]]
    checks = [[action, args] for _kind, action, viewpoint, args in r["steps"] if viewpoint == "console"]
    assert checks == [["media_plane", {"is": "down"}], ["media_plane", {"is": "up"}]]


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(180)
@needs_janus
def test_the_demo_runs_on_janus_with_a_media_address(monkeypatch: pytest.MonkeyPatch) -> None:
    require_netns()
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    done = run_command_in_netns([sys.executable, "-m", "console.cli", "demo", "--media", "janus", "--media-address",
                                 ADDRESS, "--no-terminals", "--duration", "8"], timeout=150)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "desk ready: connected to A (active), B (standby)" in done.stdout, done.stdout[-2000:]
