"""The Python scenario API (`Session`) and the runner against the real testbed: every kind of action and check
reaches the platform, the simulated terminals and the desk."""

from __future__ import annotations

import pytest

from console.headless import ExpectationFailed, Scenario, Session, SetupFailed, run
from console.headless.report import StepResult
from tests.headless.conftest import WriteScenario

pytestmark = pytest.mark.integration


async def test_the_fluent_api_raises_an_emergency_shows_it_and_acknowledges_it() -> None:
    async with Session.embedded(terminals=["TR1905", "HS-002"]) as s:
        outcome = await s.terminal("HS-002").emergency()
        await s.expect.console.emergency_shown("HS-002", within=1.0)
        assert await s.console.ack_emergency() == outcome.alert
        await s.expect.radio.emergency_state(["HS-002"], "acknowledged", within=2.0)
        await s.expect.log("emergency_acknowledged", {"actor": "dispatcher", "terminal": "HS-002"}, within=1.0)
        with pytest.raises(ExpectationFailed) as failed:
            await s.expect.console.emergency_shown("TR1905", within=0.2)
        assert failed.value.expected == "the desk shows an emergency alert from TR1905"
        assert "from HS-002 (emergency, acknowledged" in failed.value.seen
        outcome_of_wait = await s.expect.console.presence("TR1905", "registered", within=1.0).wait()
        assert outcome_of_wait.held and outcome_of_wait.seen == "TR1905 is registered"
    assert s.platform is None and s.pair is None  # everything stopped


async def test_the_example_of_the_issue_runs_against_the_pair_as_processes() -> None:
    async with Session.embedded(pair=True, terminals=["TR1905", "HS-002"]) as s:
        await s.terminal("HS-002").emergency()
        await s.expect.console.emergency_shown("HS-002", within=1.0)
        await s.console.ack_emergency()
        assert s.pair is not None and s.pair.alive("A") and s.pair.alive("B")
        assert await s.fault.isolate("standby") == "B"
        await s.fault.restore("B")
        await s.expect.platform_active("A", within=2.0)
        await s.expect.radio.emergency_state(["HS-002"], "acknowledged", within=2.0)
        pair = s.pair
    assert not pair.alive("A") and not pair.alive("B") and not pair.alive("witness")


EVERYTHING = """
format: 1
name: Every kind of step
setup:
  console: {user: chief, monitor: [TG-S01, TG-S05], select: TG-S01}
  terminals:
    simulate: [HS-001, HS-002, HS-009, TR1910, ST-S05-1, TR1901]
    start_later: [HS-003]
steps:
  - {do: text, terminal: HS-001, text: 站台有积水, to: dispatcher}
  - expect: {within: 2s, console: text_received, from: HS-001, text: 积水}
  - {console: send_text, text: 收到，请巡查, to: HS-001}
  - expect: {within: 2s, radio: text_received, terminal: HS-001, text: 请巡查, from: dispatcher}
  - {do: status, terminal: HS-002, code: 3}
  - expect: {within: 2s, console: status_shown, terminal: HS-002, status: 3}
  - {console: send_status, code: 5, group: TG-S05}
  - expect: {within: 2s, log: command, with: {command: send_status, outcome: ok}}

  - {do: alarm, terminal: ST-S05-1, code: ESC-STOP, text: Escalator stopped, severity: minor}
  - expect: {within: 2s, console: alarm_shown, terminal: ST-S05-1, code: ESC-STOP, state: raised}
  - {console: ack_alarm, code: ESC-STOP}
  - expect: {within: 2s, console: alarm_shown, code: ESC-STOP, state: acknowledged}
  - {console: clear_alarm, terminal: ST-S05-1}
  - expect: {within: 2s, console: alarm_gone, code: ESC-STOP}

  - {console: regroup, name: Incident S05, terminals: [HS-009, TR1910], as: incident}
  - expect: {within: 2s, console: group_exists, group: incident}
  - {console: patch, name: S01+S05, groups: [TG-S01, TG-S05], as: s01s05}
  - expect: {within: 2s, console: group_exists, group: s01s05}
  - {console: dissolve, group: incident}
  - {console: dissolve, group: s01s05}
  - expect: {within: 2s, console: group_gone, group: incident}

  - {console: disable, terminal: HS-009}
  - expect: {within: 2s, radio: disabled, terminal: HS-009}
  - expect: {within: 2s, console: presence, terminal: HS-009, is: disabled}
  - {console: enable, terminal: HS-009}
  - expect: {within: 2s, radio: enabled, terminal: HS-009}

  - {console: call_private, terminal: HS-002}
  - expect: {within: 3s, console: call_running, kind: private, terminal: HS-002}
  - {console: end_call, kind: private, terminal: HS-002}
  - expect: {within: 2s, console: no_call, kind: private}
  - {do: call_private, terminal: HS-001, to: dispatcher}
  - expect: {within: 2s, console: incoming_call, from: HS-001}
  - {console: answer, from: HS-001}
  - expect: {within: 2s, radio: in_call, terminal: HS-001, kind: private}
  - {console: force_release, kind: private, terminal: HS-001, reason: test over}
  - expect: {within: 2s, log: call_ended, with: {reason: force_released}}

  - {console: ptt_press}
  - expect: {within: 2s, console: floor_holder, group: TG-S01, holder: dispatcher}
  - expect: {within: 2s, radio: floor_holder, terminals: [HS-001, HS-002], holder: dispatcher, group: TG-S01}
  - {console: ptt_release}
  - expect: {within: 2s, console: floor_holder, group: TG-S01, holder: none}
  - {do: ptt, terminal: HS-002}
  - expect: {within: 2s, radio: floor_state, terminal: HS-002, state: has_permission}
  - {console: ptt_override}
  - expect: {within: 2s, console: floor_granted}
  - expect: {within: 2s, radio: floor_revoked, terminal: HS-002, reason: override}
  - {console: ptt_release}
  - {do: release, terminal: HS-002}

  - {do: register, terminal: HS-003}
  - expect: {within: 2s, console: presence, terminal: HS-003, is: registered}
  - {do: deregister, terminal: HS-003}
  - expect: {within: 2s, console: presence, terminal: HS-003, is: offline}
  - {do: drop_link, terminal: HS-002}
  - expect: {within: 8s, console: presence, terminal: HS-002, is: unreachable}
  - expect: {within: 1s, radio: link, terminal: HS-002, up: false}
  - {do: restore_link, terminal: HS-002}
  - expect: {within: 3s, console: presence, terminal: HS-002, is: registered}

  - {do: move, terminal: HS-001, station: S02}
  - {do: move, terminal: TR1901, station: S07, hold: true}
  - expect: {within: 3s, console: train_position, train: 1901, station: S07}
  - {do: timetable_speed, speed: 5}
  - {do: report_location, terminal: ST-S05-1, station: S05}
  - {console: broadcast, target: group, group: TG-S05}
  - expect: {within: 2s, radio: in_call, terminal: ST-S05-1, kind: broadcast, group: TG-S05}
  - {console: push_pis, text: 本次列车终点站, trains: [1910], duration: 30s}
  - expect: {within: 2s, radio: pis_shown, train: 1910, text: 终点站}
  - {console: pull_video, source: HS-009, quality: thumb}
  - expect: {within: 2s, log: command, with: {command: pull_video, outcome: ok}}
  - {do: publish_video, terminal: HS-009}
  - {do: emergency, terminal: HS-002, kind: imminent_peril}
  - expect: {within: 2s, console: emergency_shown, terminal: HS-002, kind: imminent_peril}
  - {do: cancel_emergency, terminal: HS-002}
  - expect: {within: 2s, console: emergency_gone, terminal: HS-002}
  - {wait: 100ms}
"""


async def test_every_kind_of_step_reaches_the_platform_the_terminals_and_the_desk(
        write_scenario: WriteScenario) -> None:
    scenario = Scenario.load(write_scenario(EVERYTHING))
    seen: list[StepResult] = []
    report = await run(scenario, progress=seen.append)
    assert report.passed, report.summary()
    assert {s.status for s in report.steps} == {"passed"}  # publish_video too: the session has media
    assert len(seen) == len(scenario.steps)


async def test_a_single_platform_can_be_killed_and_restarted(write_scenario: WriteScenario) -> None:
    scenario = Scenario.load(write_scenario("""
        format: 1
        name: Single platform restart
        setup:
          terminals: {simulate: [HS-001]}
        steps:
          - {fault: kill, instance: active}
          - expect: {within: 5s, radio: link, terminal: HS-001, up: false}
          - {fault: restart, instance: A}
          - expect: {within: 10s, radio: link, terminal: HS-001, up: true}
          - expect: {within: 10s, platform: active, instance: A}
        """))
    report = await run(scenario)
    assert report.passed, report.summary()


async def test_an_action_that_cannot_be_carried_out_stops_the_run_and_says_why(
        write_scenario: WriteScenario) -> None:
    scenario = Scenario.load(write_scenario("""
        format: 1
        name: Nothing to acknowledge
        setup: {}
        steps:
          - {console: ack_emergency}
          - expect: {within: 1s, console: emergency_gone}
        """))
    report = await run(scenario)
    assert not report.passed
    first, second = report.steps
    assert first.status == "error" and first.detail == "nothing to act on: no active emergency alert on the desk"
    assert first.duration >= 1.9  # it waited for one to show
    assert second.status == "skipped" and second.detail == "not run: step 1 could not be carried out"


async def test_a_setup_that_fails_is_reported_and_leaves_nothing_running(write_scenario: WriteScenario) -> None:
    scenario = Scenario.load(write_scenario("""
        format: 1
        name: Wrong password
        setup:
          console: {user: train1, password: wrong}
        steps:
          - {console: ptt_press}
        """))
    report = await run(scenario)
    assert not report.passed and report.steps == []
    assert report.setup_error is not None and "could not log in as train1" in report.setup_error
    assert "ERROR in setup" in report.summary()
    with pytest.raises(SetupFailed):
        await Session.of(scenario).start()
