"""`trunkdesk scenario validate` and `trunkdesk scenario run`: exit codes, output, reports."""

from __future__ import annotations

import asyncio
import io
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from console.cli import build_parser
from console.headless.cli import main
from console.headless.runner import unmet
from testbed.line import default_line_path, load_line
from testbed.platform.server import PlatformServer
from tests.headless.conftest import EXAMPLES, WriteScenario

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
ERROR_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$")

FAILING = """
format: 1
name: A handset that never goes unreachable
setup:
  terminals: {simulate: [HS-002]}
steps:
  - do: status
    terminal: HS-002
    code: 3
  - expect: {within: 500ms, console: presence, terminal: HS-002, is: unreachable}
  - expect: {within: 2s, console: status_shown, terminal: HS-002, status: 3}
  - do: drop_link
    terminal: HS-002
  - expect: {within: 5s, console: presence, terminal: HS-002, is: unreachable}
"""

MALFORMED = """
format: 1
name: Malformed
setup:
  platform: pair
steps:
  - do: emergency
    terminal: TR1905
  - expect: {console: emergency_shown}
"""


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(build_parser().parse_args(["scenario", *argv]), out, err)
    return code, out.getvalue(), err.getvalue()


def test_validate_prints_every_error_as_file_line_col_and_exits_1(write_scenario: WriteScenario) -> None:
    bad = write_scenario(MALFORMED, "bad.yaml")
    good = EXAMPLES / "train-emergency.yaml"
    done = subprocess.run([sys.executable, "-m", "console.cli", "scenario", "validate", str(good), str(bad)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 1, done
    errors = done.stderr.splitlines()
    assert len(errors) == 2
    parsed = [ERROR_LINE.match(line) for line in errors]
    assert all(parsed), errors
    assert [(m["file"], int(m["line"]), int(m["col"])) for m in parsed if m] == [(str(bad), 7, 15), (str(bad), 8, 13)]
    assert "terminal 'TR1905' is not simulated" in errors[0] and "expectation has no deadline" in errors[1]
    missing = unmet(frozenset({"media"}))
    not_here = f" ({missing.removeprefix('requires media: ')})" if missing else ""
    assert done.stdout.splitlines() == [f"{good}: ok (16 steps); 1 step(s) require media{not_here}"]

    code, out, err = cli("validate", *map(str, sorted(EXAMPLES.glob("*.yaml"))))
    assert (code, err) == (0, "") and len(out.splitlines()) == 6
    # the Janus example says what a run of it needs
    janus = next(line for line in out.splitlines() if "janus-video-incident.yaml" in line)
    assert "media plane janus, requires media" in janus and "--media-address ADDR" in janus
    assert "not loopback (Janus cannot do ICE over 127.0.0.1)" in janus


def test_a_malformed_file_stops_the_run_before_any_platform_starts(
        write_scenario: WriteScenario, platforms_started: list[str]) -> None:
    good = write_scenario(FAILING, "good.yaml")
    bad = write_scenario(MALFORMED, "bad.yaml")
    code, out, err = cli("run", str(good), str(bad))
    assert code == 1 and out == ""
    assert f"{bad}:7:15: " in err and "nothing was run" in err
    assert platforms_started == []


def test_a_failing_expectation_exits_1_and_the_report_says_which_step_what_was_expected_and_seen(
        write_scenario: WriteScenario, tmp_path: Path, platforms_started: list[str]) -> None:
    path = write_scenario(FAILING)
    junit, report_json = tmp_path / "report.xml", tmp_path / "report.json"
    code, out, _err = cli("run", str(path), "--junit", str(junit), "--json", str(report_json))
    assert code == 1, out
    assert platforms_started == ["embedded"]
    lines = out.splitlines()
    step_lines = [line for line in lines if re.match(r"^\s+\d+\.\d\ds  #\d", line)]
    assert len(step_lines) == 5 and [line.split()[1] for line in step_lines] == ["#1", "#2", "#3", "#4", "#5"]
    assert "FAIL" in step_lines[1] and all("PASS" in step_lines[i] for i in (0, 2, 3, 4))
    summary = out[out.index("A handset that never goes unreachable: FAILED"):]
    assert f"{path}:9:5: step 2 expect console presence within 0.5s terminal=HS-002 is=unreachable: FAIL" in summary
    assert "expected: the desk shows HS-002 unreachable" in summary and "seen: HS-002 is registered" in summary

    suites = ET.parse(junit).getroot()
    assert suites.tag == "testsuites" and suites.get("tests") == "5" and suites.get("failures") == "1"
    (suite,) = suites
    cases = suite.findall("testcase")
    assert len(cases) == 5 and all(float(c.get("time", "-1")) >= 0 for c in cases)
    assert [c.find("failure") is not None for c in cases] == [False, True, False, False, False]
    failure = cases[1].find("failure")
    assert failure is not None and "seen: HS-002 is registered" in (failure.text or "")
    assert cases[1].get("name", "").startswith("step 2 (line 9): expect console presence")

    (report,) = json.loads(report_json.read_text(encoding="utf-8"))
    assert report["passed"] is False and [s["status"] for s in report["steps"]] == [
        "passed", "failed", "passed", "passed", "passed"]
    assert report["steps"][1]["seen"] == "HS-002 is registered" and report["steps"][1]["duration"] >= 0.5
    assert report["steps"][4]["started"] >= report["steps"][1]["started"] + 0.5


def test_a_passing_run_exits_0_with_a_line_per_step(write_scenario: WriteScenario) -> None:
    path = write_scenario(FAILING.replace("within: 500ms, console: presence, terminal: HS-002, is: unreachable",
                                          "within: 500ms, console: presence, terminal: HS-002, is: registered"))
    code, out, _err = cli("run", str(path))
    assert code == 0, out
    assert out.count(" PASS ") == 5 and "PASSED" in out


def test_external_options_need_an_address(write_scenario: WriteScenario) -> None:
    code, _out, err = cli("run", str(write_scenario(FAILING)), "--user", "train1")
    assert code == 2 and "need --url" in err


EXTERNAL = """
format: 1
name: Against a platform the scenario does not start
setup:
  platform: external
  external: {urls: [URL], user: train1, password: demo}
  terminals: {simulate: [HS-002]}
steps:
  - {do: emergency, terminal: HS-002}
  - expect: {within: 2s, console: emergency_shown, terminal: HS-002}
  - {console: ack_emergency, terminal: HS-002}
  - expect: {within: 2s, log: emergency_acknowledged, with: {actor: train1}}
"""


async def test_a_scenario_runs_against_an_external_platform_from_the_file_or_the_command_line(
        write_scenario: WriteScenario, tmp_path: Path, platforms_started: list[str]) -> None:
    line = load_line(default_line_path())
    platform = PlatformServer(line, port=0)
    await platform.start()
    try:
        platforms_started.clear()
        in_file = write_scenario(EXTERNAL.replace("URL", platform.url), "external.yaml")
        code, out, _err = await asyncio.to_thread(cli, "run", str(in_file))
        assert code == 0, out
        assert platform.state.alerts and all(a.acknowledged_by == "train1" for a in platform.state.alerts.values())

        embedded = write_scenario(EXTERNAL.replace("platform: external", "platform: embedded").replace(
            "  external: {urls: [URL], user: train1, password: demo}\n", "").replace("HS-002", "HS-001"),
            "embedded.yaml")
        password = tmp_path / "password"
        password.write_text("demo\n", encoding="utf-8")
        code, out, _err = await asyncio.to_thread(cli, "run", str(embedded), "--url", platform.url, "--user",
                                                  "train1", "--password-file", str(password))
        assert code == 0, out
        assert "platform external" in out and len(platform.state.alerts) == 2
        assert platforms_started == []  # both ran against the platform of this test
    finally:
        await platform.stop()
