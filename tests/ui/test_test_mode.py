"""Test mode: the maintainer's panel over the desk's own test bench (the pair as processes, simulated terminals in
the desk's process), its faults, and the recorder whose files replay headless."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.core.desk import Desk
from console.core.eventlog import Event
from console.core.world import World
from console.headless.loader import load_scenario, parse_scenario
from console.headless.runner import run
from console.ui.app import run_desk
from console.ui.i18n import Languages
from console.ui.panes import panes
from console.ui.panes.test_mode import NAME, TestModePane, install, uninstall
from console.ui.resources import icon_path
from console.ui.session import DeskSession
from console.ui.test_mode import TestModeOptions
from console.ui.test_mode.bench import TestBench
from console.ui.test_mode.recording import ScenarioRecording, duration, save_recording
from console.ui.test_mode.terminals_model import FLOOR
from protocols import messages as wire
from tests.ui.conftest import until
from tests.ui.line_world import sample_line

# ----- the recorder and the pane, without a platform ------------------------------------------------------------


def _command(event_id: int, at: float, command: str, *, terminal: str | None = None, group: str | None = None,
             call: str | None = None, alarm: str | None = None, outcome: str = "ok", result: Any = None,
             **fields: Any) -> Event:
    """A ``command`` event as `Desk._record` writes it."""
    summary = {"command": command, "outcome": outcome, **fields}
    return Event(event_id, int(at * 1000), "chief", "command", terminal, group, call, None, alarm, summary,
                 {"request": fields, "result": result})


def test_test_mode_recording_writes_steps_in_order_and_the_loader_accepts_the_file(tmp_path: Path) -> None:
    line = sample_line()
    world = World()
    t0 = 1_000.0
    recording = ScenarioRecording(line=line, line_path=None, user="chief", monitor=["TG-TRAIN", "TG-S01"],
                                  select="TG-TRAIN", simulated=["HS-002", "TR1905", "ST-S03-1"], seed=3, speed=2.0,
                                  world=world, clock=lambda: t0)
    # what the desk shows while recording: a call that ends before the command on it is read from the log
    world.apply(wire.CallStarted(call=wire.CallInfo(id="C-7", kind="private", parties=["chief", "HS-002"],
                                                    initiator="HS-002")))
    world.apply(wire.AlarmUpdate(alarm=wire.AlarmInfo(id="AL-1", source="sensor", origin="ST-S03-1", code="SMOKE")))
    world.apply(wire.CallEnded(call="C-7", reason="released"))

    recording.terminal(t0 + 1.04, "emergency", "HS-002")
    recording.fault(t0 + 4.0, "kill", "A", active_before="A")
    recording.registered(t0 + 5.0, "HS-010")
    recording.terminal(t0 + 5.5, "move", "TR1905", between=["S03", "S04"], hold=None)
    events = [
        _command(1, t0 + 2.0, "ack_emergency", terminal="HS-002", alert="E-1"),
        _command(2, t0 + 3.0, "end_call", call="C-7"),
        _command(3, t0 + 3.5, "ack_alarm", alarm="AL-1"),
        _command(4, t0 + 6.0, "regroup", mode="regroup", name="Incident team", terminals=["HS-002", "HS-010"],
                 result={"group": "RG-1"}),
        _command(5, t0 + 6.5, "select", group="RG-1", groups=["RG-1", "TG-TRAIN"], selected="RG-1"),
        _command(6, t0 + 7.0, "send_text", text="Hold at the platform", to="TR1905", group=None),
        _command(7, t0 + 7.5, "push_video", session="V-1", to=["HS-002"]),  # no scenario action
        _command(8, t0 + 8.0, "call_private", terminal="HS-009", callee="HS-009", outcome="error", code=404,
                 reason="not registered"),
        _command(9, t0 + 9.0, "dissolve", group="RG-1"),
    ]
    recording.finish(reversed(events), t0 + 10.0)  # the log answers newest first

    saved = save_recording(recording, tmp_path / "recorded.yaml", name="Recorded")
    assert saved.valid, saved.problems
    scenario = load_scenario(saved.path)
    assert scenario.setup.platform == "pair"
    assert scenario.setup.monitor == ("TG-TRAIN", "TG-S01") and scenario.setup.select == "TG-TRAIN"
    # the terminals the steps act on or name (the alarm's station radio too), in line order
    assert scenario.setup.terminals.simulate == tuple(t for t in line.terminals if t in {"TR1905", "HS-002",
                                                                                          "ST-S03-1"})
    assert scenario.setup.terminals.start_later == ("HS-010",)
    assert scenario.setup.terminals.rate == 0 and scenario.setup.terminals.speed == 2.0
    shown = [(s.kind, s.action, s.timing.at, dict(s.args)) for s in scenario.steps]
    assert shown == [
        ("terminal", "emergency", 1.0, {"terminal": "HS-002"}),
        ("expect", "emergency_shown", None, {"terminal": "HS-002"}),
        ("console", "ack_emergency", 2.0, {"terminal": "HS-002"}),
        ("expect", "emergency_state", None, {"terminal": "HS-002", "state": "acknowledged"}),
        ("console", "end_call", 3.0, {"kind": "private", "terminal": "HS-002"}),
        ("console", "ack_alarm", 3.5, {"terminal": "ST-S03-1", "code": "SMOKE"}),
        ("fault", "kill", 4.0, {"instance": "A"}),
        ("expect", "active", None, {"instance": "B"}),
        ("terminal", "register", 5.0, {"terminal": "HS-010"}),
        ("terminal", "move", 5.5, {"terminal": "TR1905", "between": ["S03", "S04"]}),
        ("console", "regroup", 6.0, {"name": "Incident team", "terminals": ["HS-002", "HS-010"], "as": "regroup1"}),
        ("console", "select", 6.5, {"group": "regroup1"}),
        ("console", "send_text", 7.0, {"text": "Hold at the platform", "to": "TR1905"}),
        ("console", "dissolve", 9.0, {"group": "regroup1"}),
    ]
    assert any("push_video" in note for note in recording.notes)
    assert any("call_private" in note and "404" in note for note in recording.notes)
    text = saved.path.read_text(encoding="utf-8")
    assert "expect: {within: 3s, console: emergency_shown, terminal: HS-002}" in text  # as docs/scenarios.md writes
    assert "not registered" in scenario.description


def test_test_mode_durations_are_written_to_a_tenth_of_a_second() -> None:
    assert [duration(s) for s in (0.0, 0.04, 1.04, 2.5, 12.96, 60.0)] == ["0s", "0s", "1s", "2.5s", "13s", "60s"]


def test_test_mode_recording_without_checks_has_only_actions(tmp_path: Path) -> None:
    recording = ScenarioRecording(line=sample_line(), line_path=None, user="chief", monitor=(), select=None,
                                  simulated=["HS-002"], seed=0, speed=1.0, world=World(), checks=False,
                                  clock=lambda: 0.0)
    recording.terminal(1.0, "emergency", "HS-002")
    recording.terminal(2.0, "alarm", "HS-002", code="FIRE-1", text=None, source="sensor", severity="major")
    recording.finish([], 3.0)
    scenario = parse_scenario(recording.to_yaml("No checks", tmp_path), "no-checks.yaml", base=tmp_path)
    assert [s.kind for s in scenario.steps] == ["terminal", "terminal"]
    assert scenario.steps[1].args == {"terminal": "HS-002", "code": "FIRE-1", "source": "sensor",
                                      "severity": "major"}


def test_test_mode_icon_is_a_valid_svg(qapp: QApplication) -> None:
    assert QSvgRenderer(str(icon_path("test-mode"))).isValid()


def test_test_mode_pane_is_closed_in_the_default_layout_and_opened_from_the_view_menu(
        tmp_path: Path, languages: Languages, settings: QSettings, qtbot: QtBot) -> None:
    bench = TestBench.with_pair(TestModeOptions(terminals=(), rate=0))  # not started: nothing runs
    install(bench)
    desk = Desk(tmp_path / "events.sqlite")
    try:
        session = DeskSession(desk, languages, user="chief", settings=settings, install_ptt=False)
        window = session.window
        qtbot.addWidget(window)
        assert NAME in [spec.name for spec in panes()]
        window.show()
        dock = window.docks[NAME]
        assert dock.isHidden()  # the default layout keeps it closed
        action = dock.toggleViewAction()
        assert action in window.view_menu.actions() and action.text() == "Test mode"
        action.trigger()
        assert dock.isVisible()
        pane = window.pane(NAME)
        assert isinstance(pane, TestModePane)
        assert pane.count.text() == "0 simulated"
        assert not pane.record_bar.record_button.isEnabled()  # nothing to record before the bench is attached
        assert not pane.drive.emergency_button.isEnabled()  # no terminal chosen
        assert not pane.faults.buttons[("kill", "A")].isEnabled()  # the pair is not running
        languages.set_language("zh_CN")
        QCoreApplication.processEvents()  # the LanguageChange events
        assert dock.windowTitle() == "测试模式"
        assert pane.record_bar.record_button.text() == "录制" and pane.count.text() == "已模拟 0 个"
        window.reset_layout()
        assert dock.isHidden()
        session.detach()
        window.close()
    finally:
        languages.set_language("en")
        uninstall()
        asyncio.run(desk.close())
    assert NAME not in [spec.name for spec in panes()]


# ----- the whole desk in test mode, against the real pair -----------------------------------------------------


@pytest.fixture
def plain_app(qapp: QApplication) -> Iterator[QApplication]:
    """The test QApplication, given back without the desk's theme afterwards."""
    yield qapp
    qapp.setStyleSheet("")
    qapp.setQuitOnLastWindowClosed(True)


def _run_test_mode(tmp_path: Path, script: Any, *terminals: str) -> int:
    """`trunkdesk demo --test-mode` with ``terminals`` simulated (no behaviours of their own), running ``script``."""
    return run_desk([], "", "", demo=True, language="en", log_path=tmp_path / "events.sqlite", script=script,
                    test_mode=TestModeOptions(terminals=terminals, rate=0.0))


def _pane(session: Any) -> TestModePane:
    pane = session.window.pane(NAME)
    assert isinstance(pane, TestModePane)
    return pane


async def _listed(pane: TestModePane, count: int) -> None:
    """Wait until the panel lists ``count`` terminals, each with its link up and reachable on the desk."""
    def ready() -> bool:
        model = pane.model
        return model.rowCount() == count and all(
            (row := model.record_of(model.terminal_id(i))) is not None
            and row.presence in ("registered", "busy", "emergency") and row.link_up for i in range(count))
    await until(ready, 30)


@pytest.mark.integration
@pytest.mark.slow
def test_test_mode_panel_lists_the_simulated_terminals_and_its_ptt_and_emergency_reach_the_platform(
        plain_app: QApplication, tmp_path: Path, qtbot: QtBot) -> None:
    seen: dict[str, Any] = {}

    async def check(session: Any) -> None:
        window = session.window
        world = session.desk.world
        pane = _pane(session)
        assert window.docks[NAME].isVisible()  # --test-mode shows the panel
        await _listed(pane, 2)
        seen["rows"] = [pane.model.terminal_id(i) for i in range(pane.model.rowCount())]
        seen["candidates"] = pane.add_box.count()

        # PTT held on the panel: the train radio takes the floor of its group's call on the platform
        assert pane.select_terminal("TR1905")
        assert pane.drive.terminal == "TR1905" and pane.tabs.tabText(0) == "Drive TR1905"
        sim = pane.bench.sim("TR1905")
        qtbot.mousePress(pane.drive.ptt_button, Qt.MouseButton.LeftButton)
        await until(lambda: sim.floor_state() == "has_permission", 10)
        group = sim.home_group
        await until(lambda: (call := world.call_of_group(group)) is not None and call.holder == "TR1905", 10)
        await until(lambda: pane.model.record_of("TR1905").floor == "has_permission", 5)
        seen["floor_text"] = pane.model.index(pane.model.row_of("TR1905"), FLOOR).data()
        qtbot.mouseRelease(pane.drive.ptt_button, Qt.MouseButton.LeftButton)
        await until(lambda: sim.floor_state() == "has_no_permission", 10)
        await until(lambda: (call := world.call_of_group(group)) is None or call.holder is None, 10)

        # an emergency from the handset: the desk's world has the alert and the red banner comes up
        assert pane.select_terminal("HS-002")
        pane.drive.emergency_button.click()
        await until(lambda: any(a.terminal == "HS-002" and a.state == "active" for a in world.alerts.values()), 10)
        await until(lambda: window.banner.is_wanted and window.banner.parentWidget().isVisible(), 5)
        seen["banner"] = window.banner.headline_text(window.banner.shown_alert())
        await until(lambda: pane.model.record_of("HS-002").alert == "active", 5)

        # a terminal added from the line, then stopped
        pane.add_box.setCurrentIndex(pane.add_box.findData("ST-S03-1"))
        pane.add_button.click()
        await _listed(pane, 3)
        assert pane.select_terminal("ST-S03-1")
        pane.remove_selected()
        await until(lambda: pane.model.rowCount() == 2, 10)
        await until(lambda: world.terminals["ST-S03-1"].presence == "offline", 10)
        window.close()

    assert _run_test_mode(tmp_path, check, "TR1905", "HS-002") == 0
    assert seen["rows"] == ["TR1905", "HS-002"]  # in line order
    assert seen["candidates"] == len(sample_line().terminals) - 2
    assert seen["floor_text"] == "Talking"
    assert "HS-002" in seen["banner"]


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(240)  # its own bounded waits add up to 110 s plus the pair's start: over 120 s under load
def test_test_mode_kill_a_button_makes_the_desk_fail_over_to_b(plain_app: QApplication, tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    async def check(session: Any) -> None:
        window = session.window
        links = session.desk.world.links
        pane = _pane(session)
        await _listed(pane, 1)
        await until(lambda: pane.bench.active_instance() == "A", 10)
        pane.tabs.setCurrentIndex(1)
        kill = pane.faults.buttons[("kill", "A")]
        assert kill.isEnabled()
        kill.click()
        await until(lambda: (b := links.get("B")) is not None and b.role == "active" and b.state == "up", 30)
        badge = window.status.badges["B"]
        await until(lambda: badge.role_text() == "active", 5)
        await until(lambda: {s.name: s.process for s in pane.bench.instances()}["A"] == "stopped", 5)
        pane.faults.refresh()
        seen["A"] = pane.faults.states["A"].text()
        seen["kill A enabled"] = kill.isEnabled()
        seen["restart A enabled"] = pane.faults.buttons[("restart", "A")].isEnabled()
        # the simulated terminal followed the pair to B
        await until(lambda: pane.bench.sim("HS-002").link_up, 30)
        seen["terminal on"] = pane.bench.sim("HS-002").url
        seen["B url"] = pane.bench.pair.url("B") if pane.bench.pair is not None else None
        window.close()

    assert _run_test_mode(tmp_path, check, "HS-002") == 0
    assert "stopped" in seen["A"]
    assert not seen["kill A enabled"] and seen["restart A enabled"]
    assert seen["terminal on"] == seen["B url"]


@pytest.mark.integration
@pytest.mark.slow
def test_test_mode_recording_an_emergency_and_its_acknowledgement_replays_headless(
        plain_app: QApplication, tmp_path: Path) -> None:
    path = tmp_path / "recorded.yaml"
    saved: list[Any] = []

    async def record(session: Any) -> None:
        window = session.window
        world = session.desk.world
        pane = _pane(session)
        await _listed(pane, 2)
        pane.record_bar.record_button.click()
        assert pane.record_bar.recording
        await asyncio.sleep(0.3)
        assert pane.select_terminal("HS-002")
        pane.drive.emergency_button.click()
        await until(lambda: any(a.terminal == "HS-002" and a.state == "active" for a in world.alerts.values()), 10)
        await until(lambda: window.banner.is_wanted, 5)
        await asyncio.sleep(0.3)
        window.banner.acknowledge()  # the dispatcher's own command, from the banner
        await until(lambda: any(a.terminal == "HS-002" and a.state == "acknowledged"
                                for a in world.alerts.values()), 10)
        await until(lambda: pane.bench.sim("HS-002").alert_state == "acknowledged", 10)
        saved.append(await pane.record_bar.stop_and_save(path))
        assert not pane.record_bar.recording
        assert "Saved" in pane.record_bar.status.text()
        window.close()

    assert _run_test_mode(tmp_path, record, "HS-002", "TR1905") == 0
    assert saved and saved[0] is not None and saved[0].valid, saved
    text = path.read_text(encoding="utf-8")
    scenario = parse_scenario(text, str(path), base=path.parent)
    assert [(s.kind, s.action) for s in scenario.steps] == [
        ("terminal", "emergency"), ("expect", "emergency_shown"), ("console", "ack_emergency"),
        ("expect", "emergency_state")]
    assert scenario.setup.terminals.simulate == ("HS-002",)
    emergency, ack = scenario.steps[0], scenario.steps[2]
    assert emergency.timing.at is not None and ack.timing.at is not None and ack.timing.at > emergency.timing.at
    assert scenario.steps[2].args == {"terminal": "HS-002"}

    report = asyncio.run(run(scenario, log_path=tmp_path / "replay.sqlite"))
    assert report.passed, report.summary()
    assert [s.status for s in report.steps] == ["passed"] * 4
    QCoreApplication.processEvents()
