"""The emergency plans pane with a live desk: a fire alarm at a station brings the pane to the front with the plan,
its countdown and its steps; "Run all" carries the steps out on the real testbed and the table shows each outcome
(a camera the platform cannot reach fails with the platform's reason, and "Run step" tries it again); "Dismiss" asks
twice; an unacknowledged plan's countdown turns into "escalated"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from console.core.world import World
from console.headless.trains import service_time_at
from console.ui.event_text import render, severity_of
from console.ui.i18n import Languages
from console.ui.panes.plans import PlansPane, StepsModel
from testbed.terminals.service import ServiceClock
from tests.ui.conftest import RunAsync, until
from tests.ui.live_desk import live_desk

pytestmark = pytest.mark.integration

#: S03's radio, staff and cameras and one neighbour's cameras (S02's stay offline: the platform refuses those pulls)
TERMINALS = ("ST-S03-1", "HS-005", "CAM-S03-1", "CAM-S03-2", "CAM-S04-1", "CAM-S04-2", "TR1905")


def states(pane: PlansPane) -> list[str]:
    return [pane.steps.index(row, 0).data(Qt.ItemDataRole.UserRole) for row in range(pane.steps.rowCount())]


def test_a_fire_alarm_pops_up_the_plan_and_run_all_shows_every_outcome(
        run_async: RunAsync, qtbot: QtBot, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, *TERMINALS, plans=True) as live:
            pane = live.pane("plans")
            assert isinstance(pane, PlansPane)
            live.window.raise_pane("calls")  # the plans share a tabbed dock with the calls
            await until(lambda: pane.visibleRegion().isEmpty())  # behind the calls' tab
            assert pane.empty.text().startswith("No plan proposed. 5 plans are ready")
            hold_between(live.fleet.terminal("TR1905"), "S03", "S04")
            await until(lambda: (loc := live.world.terminals["TR1905"].location) is not None
                        and {loc.station, loc.next_station} == {"S03", "S04"})

            alarm = await live.fleet.terminal("ST-S03-1").raise_alarm("sensor", "critical", "FIRE", "Smoke")
            await until(lambda: pane.proposal() is not None and not pane.visibleRegion().isEmpty())  # in front
            proposal = pane.proposal()
            assert proposal.event.alarm == alarm
            assert pane.title.text() == "Fire alarm at a station"
            assert pane.happened.text() == "Alarm FIRE — Smoke from Wenchang Road radio 1 · ST-S03-1, Wenchang Road"
            assert pane.trigger.text() == "Matched: alarm · at a station · FIRE, FIRE-*, SMOKE*"
            assert pane.escalation.text() in ("Escalates in 1:00 unless acknowledged",
                                              "Escalates in 0:59 unless acknowledged")
            assert pane.escalation.property("state") == "alarm"
            assert pane.steps.rowCount() == 5 and states(pane) == ["pending"] * 5
            step = pane.steps.index(0, StepsModel.STEP).data()
            assert step.startswith("Tell Wenchang Road station, Environment & equipment control: “Fire alarm at")
            assert pane.steps.index(1, StepsModel.STEP).data() == "Call Wenchang Road radio 1 · ST-S03-1 " \
                                                                  "(full duplex)"
            assert pane.steps.index(2, StepsModel.STEP).data() == "Put 6 cameras on the wall: Wenchang Road, " \
                                                                  "Liuhu, Science Park"
            assert pane.steps.index(4, StepsModel.STEP).data().startswith("Unacknowledged after 1:00: Tell All call")
            assert pane.run_all_button.isEnabled() and pane.dismiss_button.isEnabled()

            qtbot.mouseClick(pane.run_all_button, Qt.MouseButton.LeftButton)
            await until(lambda: pane.status.tasks != set())
            await pane.status.wait_idle()
            assert states(pane) == ["done", "done", "failed", "done", "skipped"]
            cameras = pane.steps.index(2, StepsModel.STATE).data()
            assert cameras.startswith("Failed: video:CAM-S02-1: 409 CAM-S02-1 is not reachable")
            assert pane.steps.index(4, StepsModel.STATE).data() == "Skipped: acknowledged"
            assert pane.escalation.text() == "Acknowledged by chief"
            assert pane.escalation.property("state") == "granted"
            assert pane.status.text() == "3 done, 1 failed: see the steps"
            # what the steps did, on the testbed
            assert any("Fire alarm at Wenchang Road" in m.text for m in live.fleet.terminal("HS-005").texts)
            assert any(c.caller == "chief" for c in live.fleet.terminal("ST-S03-1").incoming_calls)
            pulled = ["CAM-S03-1", "CAM-S03-2", "CAM-S04-1", "CAM-S04-2"]
            assert sorted(v.source for v in live.platform.state.video.sessions.values()) == pulled
            await until(lambda: bool(live.fleet.terminal("TR1905").pis_showing()))

            # "Run step" tries the failed step again, for what failed only; then the dispatcher skips it
            pane.table.selectRow(2)
            assert pane.run_step_button.isEnabled() and pane.skip_step_button.isEnabled()
            qtbot.mouseClick(pane.run_step_button, Qt.MouseButton.LeftButton)
            await until(lambda: pane.status.tasks != set())
            await pane.status.wait_idle()
            assert states(pane)[2] == "failed" and pane.status.text() == "0 done, 1 failed: see the steps"
            assert sorted(v.source for v in live.platform.state.video.sessions.values()) == pulled  # not twice
            pane.table.selectRow(2)
            qtbot.mouseClick(pane.skip_step_button, Qt.MouseButton.LeftButton)
            await until(lambda: states(pane)[2] == "skipped")
            assert pane.steps.index(2, StepsModel.STATE).data() == "Skipped: skipped by chief"
            assert proposal.state == "done"
            await until(lambda: not pane.run_all_button.isEnabled() and not pane.dismiss_button.isEnabled())
            assert pane.proposals.item(0).text().startswith("Fire alarm at a station — Alarm FIRE")
            assert "— Done ·" in pane.proposals.item(0).text()
            outcomes = [e.summary["outcome"] for e in live.desk.log.search(kind="plan_step", alarm=alarm)]
            assert outcomes.count("refused") == 2 and outcomes.count("ok") == 3
            # the log pane says it in words
            skipped = live.desk.log.search(kind="plan_step", alarm=alarm)[0]
            assert render(skipped, live.world) == "Plan “Fire alarm at a station”, step 3 (cameras): skipped: " \
                                                  "skipped by chief"
            refused = next(e for e in live.desk.log.search(kind="plan_step") if e.summary["outcome"] == "refused")
            assert render(refused, live.world).startswith("Plan “Fire alarm at a station”, step 3 (cameras): "
                                                          "refused (video:CAM-S02-1: 409 CAM-S02-1 is not reachable")
            assert severity_of(refused) == "refused"

    run_async(scenario)


def hold_between(train: Any, a: str, b: str) -> None:
    """Stop a simulated train's timetable with it between stations ``a`` and ``b`` (as a scenario's held move)."""
    t = service_time_at(train.timetable, train.train_number, between=[a, b])
    assert t is not None
    train.service = ServiceClock(start=train.clock(), speed=1e-9, offset=t)


def test_an_unacknowledged_plan_counts_down_then_shows_it_escalated_and_dismiss_asks_twice(
        run_async: RunAsync, qtbot: QtBot, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "fast.yaml").write_text("""\
format: 1
id: fire-fast
name: Fire, escalated fast
name_zh: 火警（快速升级）
trigger: {event: alarm, place: station, codes: [FIRE]}
steps:
  - call_station: here
  - escalate: {after: 2s, groups: [TG-ALL], text: "Nobody took the fire at {station}"}
""", encoding="utf-8")

    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, "ST-S05-1", "HS-009", plans=folder) as live:
            pane = live.pane("plans")
            assert isinstance(pane, PlansPane)
            await live.fleet.terminal("ST-S05-1").raise_alarm("sensor", "major", "FIRE", "")
            await until(lambda: pane.proposal() is not None)
            assert pane.escalation.text() in ("Escalates in 0:02 unless acknowledged",
                                              "Escalates in 0:01 unless acknowledged")
            assert pane.escalation.property("state") == "emergency"  # under 15 s: red
            await until(lambda: pane.escalation.text() == "Escalated: nobody acknowledged in time", timeout=6)
            await until(lambda: states(pane) == ["pending", "done"])
            assert any("Nobody took the fire at Civic Centre" in m.text for m in live.fleet.terminal("HS-009").texts)

            qtbot.mouseClick(pane.dismiss_button, Qt.MouseButton.LeftButton)
            assert pane.dismiss_button.text() == "Click again to dismiss"
            assert pane.proposal().state == "open"
            qtbot.mouseClick(pane.dismiss_button, Qt.MouseButton.LeftButton)
            await until(lambda: pane.proposal().state == "dismissed")
            assert states(pane) == ["skipped", "done"]
            await until(lambda: "Dismissed" in pane.proposals.item(0).text())
            assert not pane.run_all_button.isEnabled() and not pane.dismiss_button.isEnabled()
            assert not live.fleet.terminal("ST-S05-1").incoming_calls

            languages.set_language("zh_CN")
            await until(lambda: pane.title.text() == "火警（快速升级）")
            languages.set_language("en")

    run_async(scenario)


def test_a_desk_without_plans_says_so(qtbot: QtBot) -> None:
    pane = PlansPane(None, World())
    qtbot.addWidget(pane)
    pane.show()
    assert pane.empty.isVisible() and not pane.detail.isVisible()
    assert pane.empty.text() == "Emergency plans are off: this desk loaded no plan files."
    assert not pane.run_all_button.isEnabled()
