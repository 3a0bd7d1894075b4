"""Scenario files are checked whole: every problem comes back with its file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.headless.loader import ScenarioError, check_files, load_scenario, parse_duration
from console.headless.scenario import Scenario, Timing
from tests.headless.conftest import EXAMPLES, WriteScenario

BROKEN = """
format: 1
name: Everything wrong
setup:
  media: janus
  media_address: 127.0.0.1
  colour: blue
  terminals:
    simulate: [TR1905, HS-999]
steps:
  - do: emergency
    terminal: TR1905
  - do: dance
    terminal: TR1905
  - do: talk
    terminal: TR1905
    for: 3
  - do: talk
    terminal: HS-002
    for: 2s
  - expect: {console: emergency_shown, terminal: TR1905}
  - fault: kill
    instance: B
  - console: ack_emergency
    terminal: TR1905
    loudly: true
  - after: nowhere + 1s
    console: ptt_press
  - at: soon
    console: select
    group: TG-NOPE
  - jump: high
  - expect: {within: 1s, platform: active, instance: B}
  - fault: pause
    instance: A
  - console: ack_emergency
    terminal: TR9999
"""


def errors_of(path: Path) -> list[tuple[int, int, str]]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert all(mark.file == str(path) for mark, _ in caught.value.errors)
    return [(mark.line, mark.column, message) for mark, message in caught.value.errors]


def test_every_problem_of_a_file_is_reported_with_its_line_and_column(write_scenario: WriteScenario) -> None:
    found = errors_of(write_scenario(BROKEN))
    expected = [
        (5, 18, "setup.media_address: 127.0.0.1 is loopback: the Janus plane needs a media address"),
        (6, 3, "unknown field 'colour'"),
        (8, 24, "'HS-999' is neither a terminal of line Demo Line nor a terminal kind"),
        (12, 9, "step 2: unknown do action 'dance'"),
        (16, 10, "step 3 (do talk): for: bad duration '3' (give a unit"),
        (18, 15, "terminal 'HS-002' is not simulated"),
        (20, 13, "step 5: expectation has no deadline"),
        (22, 15, "no instance 'B' in a single-platform setup"),
        (25, 5, "step 7 (console ack_emergency): unknown field 'loudly'"),
        (26, 12, "after: no step with id 'nowhere'"),
        (28, 9, "at: bad duration 'soon'"),
        (30, 12, "unknown group 'TG-NOPE'"),
        (31, 5, "step 10: unknown step kind"),
        (32, 54, "step 11 (expect platform active): no instance B in a single-platform setup"),
        (33, 12, "step 12 (fault pause): needs the pair's processes"),
        (36, 15, "unknown terminal 'TR9999'"),
    ]
    assert len(found) == len(expected), "\n".join(map(str, found))
    for (line, column, message), (want_line, want_column, fragment) in zip(found, expected, strict=True):
        assert (line, column) == (want_line, want_column) and fragment in message, (line, column, message)


def test_the_error_text_is_one_file_line_col_line_per_problem(write_scenario: WriteScenario) -> None:
    path = write_scenario(BROKEN)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    lines = str(caught.value).splitlines()
    assert len(lines) == 16
    assert lines[0].startswith(f"{path}:5:18: setup.media_address: 127.0.0.1 is loopback: the Janus plane needs")
    assert "--media-address ADDR" in lines[0] and "Janus cannot do ICE over 127.0.0.1" in lines[0]
    assert all(line.startswith(f"{path}:") and line.split(":")[1].isdigit() for line in lines)


@pytest.mark.parametrize(("text", "line", "column", "fragment"), [
    ("", 1, 1, "the file is empty"),
    ("format: 1\nname: [unclosed\n", 3, 1, "not valid YAML"),
    ("format: 1\nname: x\nsetup: {}\nsteps:\n  - wait: 1s\n    wait: 2s\n", 6, 5, "duplicate key 'wait'"),
    ("name: x\nsetup: {}\nsteps: []\n", 1, 1, "missing required field 'format'"),
    ("format: 2\nname: x\nsetup: {}\nsteps: []\n", 1, 9, "reads format 1, not 2"),
    ("format: 1\nname: x\nsetup: {}\nsteps: {}\n", 4, 8, "steps: expected a list"),
])
def test_files_that_are_not_scenarios_say_where(write_scenario: WriteScenario, text: str, line: int, column: int,
                                                fragment: str) -> None:
    (found_line, found_column, message), *_ = errors_of(write_scenario(text))
    assert (found_line, found_column) == (line, column) and fragment in message, message


def test_a_pair_setup_knows_b_and_the_witness_and_an_external_one_takes_no_faults(
        write_scenario: WriteScenario) -> None:
    pair = write_scenario("""
        format: 1
        name: pair
        setup: {platform: pair}
        steps:
          - {fault: isolate, instance: B}
          - {fault: kill, instance: witness}
          - {expect: {within: 10s, platform: active, instance: B}}
        """, "pair.yaml")
    assert [s.args.get("instance") for s in load_scenario(pair).steps] == ["B", "witness", "B"]
    external = write_scenario("""
        format: 1
        name: external
        setup:
          platform: external
          external: {urls: [ws://127.0.0.1:7700, http://nope], user: train1, password: demo}
        steps:
          - {fault: kill, instance: A}
        """, "external.yaml")
    messages = [m for _, _, m in errors_of(external)]
    assert any("'http://nope' is not a ws:// or wss:// address" in m for m in messages)
    assert any("an external platform cannot be broken" in m for m in messages)


def test_references_are_checked_against_the_line_and_what_came_before(write_scenario: WriteScenario) -> None:
    path = write_scenario("""
        format: 1
        name: references
        setup:
          console: {user: nobody}
          terminals: {simulate: [train, HS-001]}
        steps:
          - {console: dissolve, group: incident}
          - {console: regroup, name: Incident, terminals: [HS-001, TR1901], as: incident}
          - {console: dissolve, group: incident}
          - {do: move, terminal: TR1919, between: [S03, S04]}
          - {do: move, terminal: TR1901, between: [S03, S05]}
          - {do: move, terminal: HS-001, between: [S01, S02]}
          - {do: move, terminal: HS-001}
          - {expect: {within: 1s, radio: pis_shown, train: 1910}}
          - {expect: {within: 1s, radio: pis_shown}}
          - {expect: {within: 1s, radio: link, terminals: [handset, recorder], up: true}}
          - {console: broadcast, target: group}
          - {console: end_call}
          - {expect: {within: 1s, console: floor_holder, group: TG-TRAIN, holder: somebody}}
          - {expect: {within: 1s, wall: frames, train: 1905}}
          - {expect: {within: 1s, console: emergency_shown, station: S01, between: [S01, S02]}}
        """)
    messages = [m for _, _, m in errors_of(path)]
    wanted = [
        "setup.console.user: no dispatcher 'nobody'",
        "step 1 (console dissolve): group: unknown group 'incident'",
        "step 4 (do move): train 1919 is not timetabled",
        "S03 and S05 are not neighbours",
        "only a train radio can be between two stations",
        "step 7 (do move): give one of station, between or area",
        "step 9 (expect radio pis_shown): say whose radio",
        "no recorder terminal is simulated",
        "target group needs the field 'group'",
        "step 12 (console end_call): say which call",
        "'somebody' is neither a terminal",
        "give station or between, not both",
    ]
    for fragment in wanted:
        assert any(fragment in m for m in messages), (fragment, messages)
    # the radio of 1910 is simulated (all trains are), the regrouped label is known after the regroup
    assert not any("1910" in m or "step 3" in m or "step 14" in m for m in messages), messages
    assert len(messages) == len(wanted)


def test_a_good_file_becomes_a_typed_scenario(write_scenario: WriteScenario) -> None:
    path = write_scenario("""
        format: 1
        name: good
        requires: media
        setup:
          console: {user: train1, monitor: [TG-TRAIN], select: TG-TRAIN}
          terminals: {simulate: [TR1905], start_later: [HS-002], rate: 0.5, seed: 7, speed: 10}
        steps:
          - {id: first, at: 1.5s, do: talk, terminal: TR1905, for: 500ms}
          - {after: first + 2s, do: register, terminal: HS-002}
          - {after: previous, expect: {within: 1min, log: command, with: {command: select, outcome: ok}}}
          - {wait: 250ms, note: breathe}
          - {do: publish_video, terminal: TR1905}
        """)
    scenario = Scenario.load(path)
    assert scenario.name == "good" and scenario.requires == {"media"} and scenario.needs == {"media"}
    setup = scenario.setup
    assert (setup.user, setup.monitor, setup.select, setup.platform, setup.media) == (
        "train1", ("TG-TRAIN",), "TG-TRAIN", "embedded", "direct")
    assert (setup.terminals.simulate, setup.terminals.start_later, setup.terminals.rate, setup.terminals.seed,
            setup.terminals.speed) == (("TR1905",), ("HS-002",), 0.5, 7, 10.0)
    talk, register, expect, wait, video = scenario.steps
    assert (talk.kind, talk.action, dict(talk.args), talk.timing, talk.id) == (
        "terminal", "talk", {"terminal": "TR1905", "for": 0.5}, Timing(at=1.5), "first")
    assert register.timing == Timing(after="first", delay=2.0) and register.mark.line == 9
    assert (expect.viewpoint, expect.action, expect.within, dict(expect.args)) == (
        "log", "command", 60.0, {"with": {"command": "select", "outcome": "ok"}})
    assert (wait.kind, wait.within, wait.note) == ("wait", 0.25, "breathe")
    assert video.requires == {"media"} and talk.requires == frozenset()
    assert talk.describe() == "TR1905 talk for=0.5s"


def test_check_files_collects_the_problems_of_every_file(write_scenario: WriteScenario) -> None:
    bad_one = write_scenario("format: 1\nname: a\nsetup: {}\nsteps: [{wait: forever}]\n", "a.yaml")
    bad_two = write_scenario("format: 1\nname: b\nsetup: {platform: moon}\nsteps: []\n", "b.yaml")
    good, errors = check_files([EXAMPLES / "floor-contention.yaml", bad_one, bad_two, Path("/no/such.yaml")])
    assert [s.name for s in good] == ["Floor contention in the train-dispatch group"]
    assert [(m.file, m.line) for m, _ in errors] == [(str(bad_one), 4), (str(bad_two), 3), ("/no/such.yaml", 1)]


@pytest.mark.parametrize(("text", "seconds"), [("2.5s", 2.5), ("500ms", 0.5), ("1min", 60.0), (" 3 s ", 3.0),
                                               ("2", None), ("-1s", None), ("1h", None), ("s", None)])
def test_durations_need_a_unit(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


def test_the_janus_plane_takes_faults_on_janus_and_says_what_it_needs(write_scenario: WriteScenario) -> None:
    ok = load_scenario(write_scenario("""
        format: 1
        name: Janus faults
        setup:
          media: janus
          media_address: [10.0.0.7]
          terminals: {simulate: [CAM-S01-1]}
        steps:
          - {fault: kill, instance: janus}
          - {fault: restart, instance: janus}
          - {fault: pause, instance: janus}
          - {fault: resume, instance: janus}
          - expect: {within: 5s, console: media_plane, is: up}
        """))
    assert ok.setup.media == "janus" and ok.setup.media_addresses == ("10.0.0.7",)
    assert "media" in ok.needs, "the Janus plane needs media whole"
    assert [s.action for s in ok.steps[:4]] == ["kill", "restart", "pause", "resume"]

    found = errors_of(write_scenario("""
        format: 1
        name: Janus faults wrong
        setup:
          media: direct
          media_address: nowhere
        steps:
          - {fault: kill, instance: janus}
        """, "direct.yaml"))
    assert [(line, column) for line, column, _ in found] == [(5, 18), (7, 29)]
    assert "'nowhere' is not an IP address" in found[0][2]
    assert "no Janus to break: the scenario's media plane is direct" in found[1][2]

    found = errors_of(write_scenario("""
        format: 1
        name: Janus isolated
        setup: {media: janus, platform: pair}
        steps:
          - {fault: isolate, instance: janus}
        """, "isolate.yaml"))
    assert [(line, column) for line, column, _ in found] == [(5, 13)]
    assert "Janus takes kill, pause, restart, resume, not isolate" in found[0][2]

    found = errors_of(write_scenario("""
        format: 1
        name: Janus external
        setup:
          media: janus
          platform: external
          external: {urls: [ws://10.0.0.5:7700]}
        steps: []
        """, "external.yaml"))
    assert [(line, column) for line, column, _ in found] == [(4, 10)]
    assert "an external platform brings its media plane with it" in found[0][2]
