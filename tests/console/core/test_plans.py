"""Emergency plans in the desk core: which plan an event proposes, the targets its steps resolve to from the line's
geometry, running steps with their outcomes in the event log, and escalation on the desk's clock (a fake one: no
sleeping). The desk's commands are a recording stand-in here; tests/integration/test_plans.py runs the same plans
against the real testbed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.core.desk import CommandFailed, MessageSent, PisPushed
from console.core.eventlog import EventLog
from console.core.layout import layout_from_line
from console.core.plan_loader import load_plans, parse_plan
from console.core.plans import DeskPlans
from console.core.world import World
from console.headless.plans import default_plans_folder, facts_from_line
from protocols import messages as wire
from testbed.line import Line, default_line_path, load_line
from testbed.terminals.train import train_location

T0 = 1_700_000_000.0


@pytest.fixture(scope="module")
def line() -> Line:
    return load_line(default_line_path())


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class CommandsStandIn:
    """Takes the desk's commands and remembers them; ``refuse[(command, target)]`` fails one as the platform would."""

    def __init__(self, world: World, log: EventLog) -> None:
        self.world, self.log, self.me = world, log, "chief"
        self.asked: list[tuple[str, Any, dict[str, Any]]] = []
        self.refuse: dict[tuple[str, str], tuple[int, str]] = {}

    async def _answer(self, command: str, target: str, result: Any, **fields: Any) -> Any:
        self.asked.append((command, target, fields))
        if (command, target) in self.refuse:
            raise CommandFailed(*self.refuse[(command, target)])
        return result

    async def send_text(self, text: str, to: str | None = None, group: str | None = None) -> Any:
        return await self._answer("send_text", str(to or group), MessageSent("M-1", 1), text=text)

    async def send_status(self, code: int, to: str | None = None, group: str | None = None) -> Any:
        return await self._answer("send_status", str(to or group), MessageSent(None, 1), status=code)

    async def call_private(self, terminal: str, duplex: wire.Duplex = "half", *, automatic: bool = False) -> str:
        return str(await self._answer("call_private", terminal, "C-1", duplex=duplex))

    async def pull_video(self, source: str, quality: wire.VideoQuality = "thumb", *, camera: str | None = None,
                         tile: int | None = None) -> str:
        return str(await self._answer("pull_video", camera or source, "V-1", source=source, quality=quality))

    async def push_pis(self, text: str, text_en: str = "", trains: Any = (), *, duration_s: int = 60,
                       urgent: bool = False) -> Any:
        return await self._answer("push_pis", ",".join(trains) or "all", PisPushed("PIS-1", len(tuple(trains))),
                                  text=text, text_en=text_en, trains=tuple(trains), urgent=urgent,
                                  duration_s=duration_s)

    async def broadcast(self, target: wire.BroadcastTarget, subsystem: wire.Subsystem | None = None,
                        group: str | None = None) -> Any:
        return await self._answer("broadcast", group or target, None)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(line: Line, clock: Clock) -> World:
    """The sample line after its snapshot, every terminal registered, trains where the timetable puts them 1000 s
    after service start."""
    world = World(layout_from_line(line), clock=clock)
    infos = [wire.TerminalInfo(id=t.id, kind=t.kind, name=t.name, presence="registered", station=t.station,
                               groups=list(line.groups_of(t.id))) for t in line.terminals.values()]
    groups = [wire.GroupInfo(id=g.id, name=g.name, subsystem=g.subsystem, kind=g.kind, members=list(g.members))
              for g in line.groups.values()]
    world.apply(wire.Snapshot(terminals=infos, groups=groups))
    world.apply_many([wire.LocationUpdate(terminal=t.radio, location=train_location(line.timetable, t.number, 1000.0,
                                                                                  depot=t.depot))
                      for t in line.trains.values()])
    return world


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EventLog]:
    events = EventLog(tmp_path / "events.db")
    yield events
    events.close()


@pytest.fixture
def desk(world: World, log: EventLog) -> CommandsStandIn:
    return CommandsStandIn(world, log)


@pytest.fixture
def plans(desk: CommandsStandIn, line: Line) -> DeskPlans:
    facts = facts_from_line(line)
    found = load_plans(default_plans_folder(), facts)
    assert not found.problems
    return DeskPlans(desk, found.plans, facts)


def alarm(alarm_id: str, origin: str, code: str, *, state: str = "raised", location: wire.Location | None = None,
          **fields: Any) -> wire.AlarmUpdate:
    return wire.AlarmUpdate(alarm=wire.AlarmInfo(id=alarm_id, source=fields.pop("source", "sensor"), origin=origin,
                                                 code=code, state=state, location=location, **fields))  # type: ignore[arg-type]


def move(world: World, radio: str, *, station: str, next_station: str | None = None, chainage: float,
         number: str) -> None:
    world.apply(wire.LocationUpdate(terminal=radio, location=wire.Location(
        station=station, next_station=next_station, chainage_m=chainage, direction="up", train_number=number)))


def trains_near_s03(world: World) -> list[str]:
    """Trains at S03 or between it and S02 or S04, as the world places them now."""
    near = []
    for view in world.trains():
        pair = set(view.between or ())
        if (view.at_station and view.station == "S03") or pair in ({"S02", "S03"}, {"S03", "S04"}):
            assert view.number is not None
            near.append(view.number)
    return near


# ----- proposing -----------------------------------------------------------------------------------------


def test_a_fire_alarm_at_a_station_proposes_the_fire_plan_resolved_from_the_line(
        world: World, plans: DeskPlans, log: EventLog) -> None:
    move(world, "TR1905", station="S03", next_station="S04", chainage=6000.0, number="1905")
    move(world, "TR1901", station="S09", chainage=19200.0, number="1901")
    world.apply(alarm("AL-1", "ST-S03-1", "FIRE", text="Smoke in the concourse", severity="critical"))

    [proposal] = plans.open_proposals()
    assert proposal.plan.id == "station-fire"
    assert proposal.event.place.kind == "station" and proposal.event.place.station == "S03"
    assert "code FIRE" in proposal.why and "place station" in proposal.why
    notify, call, cameras, pis, escalate = (s.resolved for s in proposal.steps)
    assert notify.groups == ("TG-S03", "TG-ENV")
    assert notify.text == "Fire alarm at Wenchang Road (FIRE): start the station fire procedure and report to the OCC."
    assert call.parties == ("ST-S03-1",) and call.details["duplex"] == "full"
    assert [f[0] for f in cameras.feeds] == ["CAM-S03-1", "CAM-S03-2", "CAM-S02-1", "CAM-S02-2", "CAM-S04-1",
                                             "CAM-S04-2"]
    assert "1905" in pis.trains and "1901" not in pis.trains
    assert sorted(pis.trains) == sorted(trains_near_s03(world))
    assert pis.text == "文昌路站发生火警，请听从工作人员指引。" and pis.details["urgent"] is True
    assert escalate.groups == ("TG-ALL",) and escalate.parties == ("chief",) and escalate.after == 60.0
    assert all(s.state == "pending" for s in proposal.steps)

    [logged] = log.search(kind="plan_proposed")
    assert logged.alarm == "AL-1" and logged.terminal == "ST-S03-1"
    assert logged.summary["plan"] == "station-fire" and logged.summary["proposal"] == proposal.id
    assert log.search("station-fire FIRE")  # searchable by plan and alarm code


def test_an_alarm_is_considered_once_and_other_alarms_propose_nothing(world: World, plans: DeskPlans) -> None:
    world.apply(alarm("AL-1", "ST-S03-1", "FIRE"))
    world.apply(alarm("AL-1", "ST-S03-1", "FIRE", severity="critical"))  # the same alarm again: no new proposal
    world.apply(alarm("AL-2", "ST-S04-1", "PSD-FAULT", source="equipment"))  # no plan for it
    world.apply(alarm("AL-3", "CAM-S05-1", "INTRUSION", source="video_analytics"))  # at a station: not a section
    world.apply(alarm("AL-4", "ST-S06-1", "FIRE", state="acknowledged"))  # somebody took it already
    assert [p.event.alarm for p in plans.open_proposals()] == ["AL-1"]


def test_an_intrusion_between_stations_tells_both_ends_and_the_trains_in_the_section(
        world: World, plans: DeskPlans) -> None:
    move(world, "TR1905", station="S04", next_station="S03", chainage=6500.0, number="1905")
    move(world, "TR1907", station="S04", chainage=7900.0, number="1907")
    move(world, "TR1909", station="S05", next_station="S06", chainage=10000.0, number="1909")
    world.apply(wire.LocationUpdate(terminal="HS-025", location=wire.Location(station="S03", next_station="S04")))
    world.apply(alarm("AL-7", "HS-025", "INTRUSION", source="terminal"))

    [proposal] = plans.open_proposals()
    assert proposal.plan.id == "section-intrusion"
    place = proposal.event.place
    assert place.kind == "section" and place.section == ("S03", "S04") and place.ahead == "S04"
    notify, pis, cameras, call, escalate = (s.resolved for s in proposal.steps)
    assert notify.groups == ("TG-S03", "TG-S04", "TG-TRAIN")
    assert "Wenchang Road – Science Park" in notify.text
    assert "1905" in pis.trains and "1907" in pis.trains and "1909" not in pis.trains
    assert [f[0] for f in cameras.feeds] == ["CAM-S03-1", "CAM-S03-2", "CAM-S04-1", "CAM-S04-2"]
    assert call.parties == ("ST-S04-1",)  # the station ahead
    assert escalate.broadcast == ("all_trains", None) and escalate.parties == ("chief",)


def test_an_emergency_on_a_train_opens_its_own_cameras_and_the_stations_either_side(
        world: World, plans: DeskPlans) -> None:
    move(world, "TR1905", station="S04", next_station="S03", chainage=6500.0, number="1905")
    world.apply(wire.EmergencyAlerted(alert=wire.AlertInfo(id="E-1", terminal="TR1905", group="TG-TRAIN")))

    [proposal] = plans.open_proposals()
    assert proposal.plan.id == "train-emergency" and proposal.event.alert == "E-1"
    cameras, notify, call, pis, escalate = (s.resolved for s in proposal.steps)
    assert escalate.parties == ("chief",) and escalate.after == 90.0
    assert cameras.feeds == (("TR1905", "CAM-1905-1"), ("TR1905", "CAM-1905-2"), ("CAM-S03-1", None),
                             ("CAM-S03-2", None), ("CAM-S04-1", None), ("CAM-S04-2", None))
    assert call.parties == ("ST-S03-1",)  # running down towards S03
    assert pis.trains == ("1905",)
    assert "train 1905 (Wenchang Road – Science Park)" in notify.text


def test_a_step_with_nothing_to_do_is_skipped_with_the_reason_never_widened(
        world: World, plans: DeskPlans, desk: CommandsStandIn) -> None:
    for view in world.trains():  # every train far from S03
        move(world, view.radio.id, station="S09", chainage=19200.0, number=view.number or "")
    world.apply(alarm("AL-1", "ST-S03-1", "FIRE"))
    [proposal] = plans.open_proposals()
    pis = proposal.steps[3]
    assert pis.state == "skipped" and pis.reason == "no train is there now"
    assert not [a for a in desk.asked if a[0] == "push_pis"]  # an empty train list would mean every train


# ----- running -------------------------------------------------------------------------------------------


async def test_run_all_performs_every_step_and_logs_each_outcome_with_the_platforms_reason(
        world: World, plans: DeskPlans, desk: CommandsStandIn, log: EventLog, clock: Clock) -> None:
    move(world, "TR1905", station="S03", next_station="S04", chainage=6000.0, number="1905")
    world.apply(alarm("AL-1", "ST-S03-1", "FIRE"))
    [proposal] = plans.open_proposals()
    desk.refuse[("send_text", "TG-ENV")] = (403, "not allowed in group TG-ENV")
    changed: list[str] = []
    plans.subscribe(changed.append)

    clock.now += 5
    ran = await plans.run_all(proposal.id)
    assert [r.index for r in ran] == [0, 1, 2, 3]  # the escalation is not run: running acknowledged the proposal
    assert [s.state for s in proposal.steps] == ["failed", "done", "done", "done", "skipped"]
    assert proposal.steps[0].reason == "text:TG-ENV: 403 not allowed in group TG-ENV"
    assert proposal.acknowledged == "dispatcher chief" and proposal.escalation_due is None
    asked = [(command, target) for command, target, _ in desk.asked]
    assert asked[:2] == [("send_text", "TG-S03"), ("send_text", "TG-ENV")]
    assert ("call_private", "ST-S03-1") in asked and ("pull_video", "CAM-S04-2") in asked
    assert ("push_pis", ",".join(proposal.steps[3].resolved.trains)) in asked
    assert changed and set(changed) == {proposal.id}

    steps = {e.summary["step"]: e.summary for e in log.search(kind="plan_step")}
    assert steps[1]["outcome"] == "refused" and "403 not allowed" in steps[1]["reason"]
    assert steps[2]["outcome"] == "ok" and steps[2]["parties"] == ["ST-S03-1"]
    assert steps[5]["outcome"] == "skipped" and steps[5]["reason"] == "acknowledged: dispatcher chief"
    assert log.search(kind="plan_run") and log.search(kind="plan_acknowledged")
    assert log.search("refused TG-ENV", kind="plan_step")

    # the refusal is fixed; running the failed step again sends only what failed
    del desk.refuse[("send_text", "TG-ENV")]
    desk.asked.clear()
    run = await plans.run_step(proposal.id, 0)
    assert run.state == "done" and [(c, t) for c, t, _ in desk.asked] == [("send_text", "TG-ENV")]
    assert proposal.state == "done" and not plans.open_proposals()


async def test_dismissing_skips_what_is_left_and_logs_it(world: World, plans: DeskPlans, desk: CommandsStandIn,
                                                         log: EventLog, clock: Clock) -> None:
    world.apply(alarm("AL-1", "ST-S03-1", "FIRE"))
    [proposal] = plans.open_proposals()
    await plans.run_step(proposal.id, 1)
    plans.skip_step(proposal.id, 2, "cameras already up")
    plans.dismiss(proposal.id, "false alarm")
    assert proposal.state == "dismissed"
    assert [s.state for s in proposal.steps] == ["skipped", "done", "skipped", "skipped", "skipped"]
    assert proposal.steps[2].reason == "cameras already up"
    clock.now += 3600
    await plans.tick()
    assert [c for c, _, _ in desk.asked] == ["call_private"]  # nothing else: not even the escalation
    [dismissed] = log.search(kind="plan_dismissed")
    assert dismissed.summary["reason"] == "false alarm" and dismissed.alarm == "AL-1"


# ----- escalation ----------------------------------------------------------------------------------------


async def test_an_unacknowledged_proposal_escalates_after_its_delay_on_the_desks_clock(
        world: World, plans: DeskPlans, desk: CommandsStandIn, log: EventLog, clock: Clock) -> None:
    world.apply(alarm("AL-1", "ST-S03-1", "FIRE"))
    [proposal] = plans.open_proposals()
    assert plans.next_deadline() == T0 + 60
    clock.now = T0 + 59.9
    assert proposal.escalation_left(clock.now) == pytest.approx(0.1)
    await plans.tick()
    assert desk.asked == [] and not proposal.escalated

    clock.now = T0 + 60
    await plans.tick()
    assert proposal.escalated and proposal.steps[4].state == "done"
    text = "UNACKNOWLEDGED fire alarm at Wenchang Road (FIRE): all staff follow the fire procedure."
    assert desk.asked == [("send_text", "TG-ALL", {"text": text}), ("send_text", "chief", {"text": text})]
    assert plans.next_deadline() is None
    [escalated] = log.search(kind="plan_escalated")
    assert escalated.summary["after_s"] == 60.0 and escalated.alarm == "AL-1"
    [step] = [e for e in log.search(kind="plan_step") if e.summary["step"] == 5]
    assert step.summary["trigger"] == "timer" and step.summary["outcome"] == "ok"
    await plans.tick(T0 + 500)
    assert len(desk.asked) == 2  # once only
    assert proposal.state == "open"  # the other steps still wait for the dispatcher


async def test_acknowledging_the_alarm_at_the_platform_stops_the_escalation(
        world: World, plans: DeskPlans, desk: CommandsStandIn, log: EventLog, clock: Clock) -> None:
    world.apply(alarm("AL-1", "ST-S03-1", "FIRE"))
    [proposal] = plans.open_proposals()
    clock.now += 30
    world.apply(alarm("AL-1", "ST-S03-1", "FIRE", state="acknowledged", acknowledged_by="env1"))
    assert proposal.acknowledged == "alarm acknowledged by env1"
    assert proposal.steps[4].state == "skipped" and plans.next_deadline() is None
    await plans.tick(T0 + 3600)
    assert desk.asked == []
    assert log.search("env1", kind="plan_acknowledged")


async def test_a_train_standing_between_stations_too_long_proposes_its_plan_until_it_moves(
        world: World, plans: DeskPlans, desk: CommandsStandIn, clock: Clock) -> None:
    def report(chainage: float) -> None:
        move(world, "TR1905", station="S03", next_station="S04", chainage=chainage, number="1905")

    report(6000.0)
    for _ in range(119):
        clock.now += 1
        report(6000.5)  # within the GPS wobble: standing
        await plans.tick()
    assert not plans.open_proposals()  # 119 s: not yet
    clock.now += 1.5
    report(6000.0)
    await plans.tick()
    [proposal] = plans.open_proposals()
    assert proposal.plan.id == "train-stopped" and proposal.event.terminal == "TR1905"
    assert "stopped 120 s between S03 and S04" in proposal.why
    notify, cameras, pis, escalate = (s.resolved for s in proposal.steps)
    assert notify.parties == ("TR1905",) and "stood 120 s in Wenchang Road – Science Park" in notify.text
    assert cameras.feeds == (("TR1905", "CAM-1905-1"), ("TR1905", "CAM-1905-2"))
    assert pis.trains == ("1905",)
    assert escalate.groups == ("TG-TRAIN",) and escalate.after == 180.0
    clock.now += 5
    report(6000.0)
    await plans.tick()
    assert len(plans.proposals) == 1  # the same stop is proposed once

    clock.now += 1
    report(6100.0)  # it moves on: the escalation is off
    assert proposal.acknowledged == "the train moved on"
    await plans.tick(clock.now + 600)
    assert desk.asked == []


async def test_standing_at_a_station_counts_beyond_the_timetables_dwell_and_never_at_a_terminus(
        world: World, plans: DeskPlans, clock: Clock) -> None:
    start = clock.now
    while clock.now - start < 209:  # S05: dwell 45 s + 180 s = 225 s
        clock.now += 2
        move(world, "TR1905", station="S05", chainage=9150.0, number="1905")
        move(world, "TR1901", station="S01", chainage=1200.0, number="1901")  # waiting at the terminus
        await plans.tick()
    assert not plans.open_proposals()
    while clock.now - start < 230:
        clock.now += 2
        move(world, "TR1905", station="S05", chainage=9150.0, number="1905")
        move(world, "TR1901", station="S01", chainage=1200.0, number="1901")
        await plans.tick()
    [proposal] = plans.open_proposals()
    assert proposal.plan.id == "train-held-at-station" and proposal.event.terminal == "TR1905"
    assert "planned 45 s" in proposal.why
    assert proposal.steps[1].resolved.parties == ("ST-S05-1",)


async def test_on_a_line_clock_ten_times_faster_standing_counts_in_line_time_and_escalation_in_wall_time(
        world: World, desk: CommandsStandIn, line: Line, clock: Clock) -> None:
    """A simulated line running 10x: 12 wall seconds standing are 120 s of its timetable, which the 120 s limit of
    the train-stopped plan is; the plan's escalation (180 s) is the dispatcher's time, not the line's."""
    facts = facts_from_line(line)
    plans = DeskPlans(desk, load_plans(default_plans_folder(), facts).plans, facts, line_rate=lambda: 10.0)

    def report(chainage: float) -> None:
        move(world, "TR1905", station="S03", next_station="S04", chainage=chainage, number="1905")

    report(6000.0)
    for _ in range(11):
        clock.now += 1
        report(6000.5)
        await plans.tick()
    assert not plans.open_proposals()  # 110 s of line time: not yet
    clock.now += 1.0
    report(6000.0)
    await plans.tick()
    [proposal] = plans.open_proposals()
    assert "stopped 120 s between S03 and S04" in proposal.why
    escalation = proposal.escalation
    assert escalation is not None and proposal.escalation_due == pytest.approx(clock.now + 180.0)
    await plans.tick(clock.now + 179)
    assert not proposal.escalated


async def test_a_train_whose_reports_stopped_is_not_taken_for_a_standing_train(
        world: World, plans: DeskPlans, clock: Clock) -> None:
    move(world, "TR1905", station="S03", next_station="S04", chainage=6000.0, number="1905")
    clock.now += 600  # no report since (its radio lost the network, say)
    await plans.tick()
    assert not plans.open_proposals()


# ----- plans given inline ---------------------------------------------------------------------------------


def test_the_highest_priority_then_the_most_specific_plan_is_proposed(
        world: World, desk: CommandsStandIn, line: Line) -> None:
    def plan(plan_id: str, place: str, priority: int) -> Any:
        return parse_plan(f"format: 1\nid: {plan_id}\nname: {plan_id}\npriority: {priority}\n"
                          f"trigger: {{event: alarm, place: {place}}}\n"
                          f"steps:\n  - notify: {{groups: [here], text: x}}\n")

    facts = facts_from_line(line)
    plans = DeskPlans(desk, [plan("anywhere", "any", 0), plan("at-station", "station", 0)], facts)
    world.apply(alarm("AL-1", "ST-S03-1", "ANY"))
    assert [p.plan.id for p in plans.open_proposals()] == ["at-station"]
    urgent = DeskPlans(desk, [plan("at-station", "station", 0), plan("anywhere", "any", 5)], facts)
    assert [p.plan.id for p in urgent.open_proposals()] == ["anywhere"]  # scan(): the alarm is still raised
    assert len(log_kinds(desk.log, "plan_proposed")) == 2


def log_kinds(log: EventLog, kind: str) -> list[Any]:
    return log.search(kind=kind)
