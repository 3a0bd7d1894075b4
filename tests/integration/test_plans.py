"""Emergency plans against the real testbed: a fire alarm raised by a station's radio proposes the station fire
plan, and running it performs every action on the platform — the groups' terminals receive the text, the station
radio rings, the cameras' sessions exist with the desk as sink, the PIS text reaches the trains at and around the
station and no other — each outcome in the event log. An unacknowledged plan escalates on the desk's real clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from console.headless.session import Session
from testbed.terminals import SimTerminal

pytestmark = pytest.mark.integration

CAMERAS = ["CAM-S02-1", "CAM-S02-2", "CAM-S03-1", "CAM-S03-2", "CAM-S04-1", "CAM-S04-2"]
#: S03's radio and staff (group TG-S03), a neighbour's radio (TG-ENV: every station), trains near S03 and far away
TERMINALS = ["ST-S03-1", "HS-005", "ST-S02-1", "TR1905", "TR1901", *CAMERAS]


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(0.02)


def texts(sim: SimTerminal) -> list[str]:
    return [m.text for m in sim.texts]


async def test_a_fire_alarm_at_a_station_proposes_the_plan_and_running_it_does_every_action_in_the_testbed() -> None:
    async with Session.embedded(terminals=TERMINALS, plans=True) as s:
        plans = s.plans
        await s.terminal("TR1905").move(between=["S03", "S04"], hold=True)
        await s.terminal("TR1901").move(station="S09", hold=True)
        await until(lambda: (loc := s.desk.world.terminals["TR1905"].location) is not None
                    and loc.next_station is not None)

        alarm = await s.terminal("ST-S03-1").alarm("FIRE", "Smoke in the concourse", source="sensor",
                                                   severity="critical")
        await until(lambda: bool(plans.open_proposals()))
        [proposal] = plans.open_proposals()
        assert proposal.plan.id == "station-fire" and proposal.event.alarm == alarm
        assert proposal.event.place.station == "S03"
        assert proposal.steps[3].resolved.trains == ("1905",)  # TR1901 at S09 is far away

        ran = await plans.run_all(proposal.id)
        assert [(r.step.kind, r.state, r.reason) for r in ran] == [
            ("notify", "done", ""), ("call_station", "done", ""), ("cameras", "done", ""), ("pis", "done", "")]
        assert proposal.steps[4].state == "skipped"  # acknowledged by running: no escalation

        # groups notified: the station's group (its radio and staff) and environment control (every station radio)
        text = "Fire alarm at Wenchang Road (FIRE): start the station fire procedure and report to the OCC."
        for terminal in ("ST-S03-1", "HS-005", "ST-S02-1"):
            await until(lambda t=terminal: text in texts(s.sim(t)))  # type: ignore[misc]
        assert text not in texts(s.sim("TR1901"))
        # the station radio is called by the desk (full duplex) and answers
        station = s.sim("ST-S03-1")
        await until(lambda: any(c.caller == "chief" and c.duplex == "full" for c in station.incoming_calls))
        # the cameras of S03 and its neighbours have sessions to the desk, on the platform and on the desk's wall
        platform = s.platform
        assert platform is not None
        sessions = platform.state.video.sessions.values()
        assert sorted(v.source for v in sessions if v.sink == "chief") == CAMERAS
        await until(lambda: sorted(v.source for v in s.desk.world.video.values()) == CAMERAS)
        # the PIS text reaches the train in the section, and only it
        await until(lambda: bool(s.sim("TR1905").pis_showing()))
        [shown] = s.sim("TR1905").pis_showing()
        assert shown.text == "文昌路站发生火警，请听从工作人员指引。" and shown.urgent
        assert shown.text_en == "Fire alarm at Wenchang Road. Please follow the instructions of staff."
        assert not s.sim("TR1901").pis

        # every proposal, run and step outcome is in the event log, findable by the alarm
        log = s.desk.log
        kinds = [e.kind for e in log.search(alarm=alarm, limit=50)]
        assert {"plan_proposed", "plan_run", "plan_acknowledged"} <= set(kinds)
        outcomes = sorted((e.summary["step"], e.summary["outcome"]) for e in log.search(kind="plan_step"))
        assert outcomes == [(1, "ok"), (2, "ok"), (3, "ok"), (4, "ok"), (5, "skipped")]
        assert log.search("station-fire pis", kind="plan_step")


async def test_an_unacknowledged_plan_escalates_to_the_all_call_group_on_the_desks_clock(tmp_path: Path) -> None:
    (tmp_path / "fast.yaml").write_text("""\
format: 1
id: fire-fast
name: Fire, escalated fast
trigger: {event: alarm, place: station, codes: [FIRE]}
steps:
  - call_station: here
  - escalate: {after: 1s, groups: [TG-ALL], text: "Nobody took the fire at {station}"}
""", encoding="utf-8")
    async with Session.embedded(terminals=["ST-S05-1", "HS-009", "TR1905"], plans=tmp_path) as s:
        await s.terminal("ST-S05-1").alarm("FIRE", source="sensor")
        await until(lambda: bool(s.plans.open_proposals()))
        [proposal] = s.plans.open_proposals()
        assert proposal.escalation_due is not None
        text = "Nobody took the fire at Civic Centre"
        for terminal in ("HS-009", "TR1905", "ST-S05-1"):  # every kind of terminal is in the all-call group
            await until(lambda t=terminal: text in texts(s.sim(t)), timeout=5.0)  # type: ignore[misc]
        assert proposal.escalated and proposal.steps[1].state == "done"
        assert proposal.steps[0].state == "pending"  # the dispatcher still has the call to make
        assert not s.sim("ST-S05-1").incoming_calls
        [escalated] = s.desk.log.search(kind="plan_escalated")
        assert escalated.summary["plan"] == "fire-fast"
