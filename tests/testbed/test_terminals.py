"""Simulated terminals without sockets: behaviour schedules, train positions from the timetable, staff
walks, the fleet's choice of terminals, and a terminal's floor handling fed by hand."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from itertools import pairwise
from typing import Any

import pytest

from protocols.messages import (
    ControlOrder,
    FloorAck,
    FloorGranted,
    FloorRelease,
    FloorRequest,
    Location,
    Notification,
    Ok,
    PisMessage,
    PlatformRole,
    Request,
    Welcome,
)
from testbed.line import Line, default_line_path, load_line
from testbed.terminals.behaviour import (
    DEFAULT_RATES,
    STATUS_CODES,
    Behaviour,
    RaiseAlarm,
    RaiseEmergency,
    Rates,
    SendText,
    StatusChange,
    TalkBurst,
    TalkDurations,
)
from testbed.terminals.fleet import Fleet, describe_failure, home_group_of, summarise_failures
from testbed.terminals.floors import TerminalFloors, TerminalStats
from testbed.terminals.link import (
    BACKOFF_FIRST,
    BACKOFF_MAX,
    KnownInstances,
    platform_urls,
    reconnect_delay,
)
from testbed.terminals.service import ServiceClock
from testbed.terminals.staff import SimStaff, StaffWalk
from testbed.terminals.terminal import SimTerminal, TerminalDisabled
from testbed.terminals.train import SimTrain, train_location

HOURS = 3600.0


@pytest.fixture(scope="module")
def line() -> Line:
    return load_line(default_line_path())


# ----- behaviour ------------------------------------------------------------------------------


def test_same_seed_and_terminal_give_the_same_schedule() -> None:
    first = Behaviour(seed=7).schedule("HS-001", "handset", until=10 * HOURS)
    again = Behaviour(seed=7).schedule("HS-001", "handset", until=10 * HOURS)
    assert first == again
    assert len(first) > 50


def test_schedule_differs_by_seed_and_by_terminal() -> None:
    base = Behaviour(seed=7).schedule("HS-001", "handset", until=HOURS)
    assert Behaviour(seed=8).schedule("HS-001", "handset", until=HOURS) != base
    assert Behaviour(seed=7).schedule("HS-002", "handset", until=HOURS) != base


def test_a_terminals_stream_does_not_depend_on_other_terminals() -> None:
    behaviour = Behaviour(seed=3)
    alone = behaviour.schedule("TR1901", "train", until=HOURS)
    for other in ("TR1902", "HS-001", "ST-S01-1"):
        behaviour.schedule(other, "handset", until=HOURS)
    assert behaviour.schedule("TR1901", "train", until=HOURS) == alone


def test_actions_are_in_time_order_within_the_horizon() -> None:
    actions = Behaviour(seed=1).schedule("ST-S01-1", "station", until=20 * HOURS)
    times = [a.at for a in actions]
    assert times == sorted(times)
    assert all(0 < t <= 20 * HOURS for t in times)


def test_counts_follow_the_rates_per_hour() -> None:
    hours = 400
    counts = Counter(type(a) for a in Behaviour(seed=11).schedule("HS-001", "handset", until=hours * HOURS))
    rates = DEFAULT_RATES["handset"]
    assert counts[TalkBurst] == pytest.approx(rates.talk * hours, rel=0.1)
    assert counts[StatusChange] == pytest.approx(rates.status * hours, rel=0.15)
    assert counts[SendText] == pytest.approx(rates.text * hours, rel=0.15)
    assert counts[RaiseAlarm] == 0  # handsets have no equipment


def test_rate_factor_scales_every_kind() -> None:
    hours = 200
    normal = len(Behaviour(seed=5).schedule("ST-S02-1", "station", until=hours * HOURS))
    doubled = len(Behaviour(seed=5, rate=2.0).schedule("ST-S02-1", "station", until=hours * HOURS))
    assert doubled == pytest.approx(2 * normal, rel=0.1)


def test_behaviour_off_or_rate_zero_does_nothing() -> None:
    assert Behaviour.off().schedule("HS-001", "handset", until=100 * HOURS) == []
    assert Behaviour(seed=1).with_rate(0).schedule("HS-001", "handset", until=100 * HOURS) == []
    assert Behaviour.off().stream("HS-001", "handset").next() is None


def test_cameras_only_raise_video_analytics_alarms_and_stations_equipment_alarms() -> None:
    camera = Behaviour(seed=2).schedule("CAM-S01-1", "camera", until=200 * HOURS)
    assert camera and all(isinstance(a, RaiseAlarm) and a.source == "video_analytics" for a in camera)
    station_alarms = [a for a in Behaviour(seed=2).schedule("ST-S01-1", "station", until=200 * HOURS)
                      if isinstance(a, RaiseAlarm)]
    assert station_alarms and all(a.source == "equipment" for a in station_alarms)


def test_status_codes_and_talk_lengths_stay_in_their_sets() -> None:
    durations = TalkDurations(median=4.0, shortest=1.0, longest=25.0)
    actions = Behaviour(seed=9, durations=durations).schedule("TR1901", "train", until=200 * HOURS)
    talks = [a.seconds for a in actions if isinstance(a, TalkBurst)]
    assert talks and min(talks) >= 1.0 and max(talks) <= 25.0
    assert 2.5 < sorted(talks)[len(talks) // 2] < 6.0  # the median is near 4 s
    assert {a.code for a in actions if isinstance(a, StatusChange)} <= set(STATUS_CODES["train"])


def test_emergencies_are_rare_and_cancelled_later() -> None:
    rates = {"handset": Rates(emergency=1.0)}
    actions = Behaviour(seed=4, rates=rates).schedule("HS-001", "handset", until=50 * HOURS)
    assert actions and all(isinstance(a, RaiseEmergency) for a in actions)
    assert all(isinstance(a, RaiseEmergency) and a.cancel_after > a.talk_seconds for a in actions)
    assert DEFAULT_RATES["handset"].emergency < DEFAULT_RATES["handset"].talk / 100


# ----- service time and trains ----------------------------------------------------------------


def test_service_clock_runs_at_its_speed() -> None:
    service = ServiceClock(start=1000.0, speed=10.0, offset=500.0)
    assert service.at(1000.0) == 500.0
    assert service.at(1003.0) == 530.0
    assert service.wall(service.at(1234.5)) == pytest.approx(1234.5)
    with pytest.raises(ValueError):
        ServiceClock(start=0.0, speed=0.0)


def test_train_location_stands_at_each_station_while_the_timetable_dwells(line: Line) -> None:
    timetable = line.timetable
    codes = {s.chainage_m: s.code for s in line.stations}
    for number in ("1901", "1902", "1907"):
        points = timetable.planned(number, until=4 * HOURS)
        dwells = 0
        for (t, chainage), (t_next, chainage_next) in pairwise(points):
            if chainage_next != chainage:
                continue  # a run: see the next test
            dwells += 1  # an arrival: the train stands at the station until its departure
            for at in (t + 0.5, (t + t_next) / 2, t_next - 0.5):
                location = train_location(timetable, number, at)
                assert location.chainage_m == pytest.approx(chainage, abs=0.1)
                assert (location.station, location.next_station) == (codes[chainage], None)
                assert location.train_number == number
        assert dwells > 20


def test_train_location_between_stations_names_both_and_moves_forward(line: Line) -> None:
    timetable = line.timetable
    points = timetable.planned("1901", until=timetable.trip_s)
    (leave, here), (arrive, there) = points[0], points[1]  # departure from S01, arrival at S02
    assert here < there
    mid = train_location(timetable, "1901", (leave + arrive) / 2)
    assert mid.station == "S01" and mid.next_station == "S02" and mid.direction == "up"
    assert here < mid.chainage_m < there  # type: ignore[operator]
    later = train_location(timetable, "1901", (leave + arrive) / 2 + 10)
    assert later.chainage_m > mid.chainage_m  # type: ignore[operator]


def test_train_location_before_first_departure_and_of_a_spare(line: Line) -> None:
    first = line.timetable.departures["1903"]
    waiting = train_location(line.timetable, "1903", first.first_s - 60)
    assert waiting.station == first.origin and waiting.next_station is None
    spare = train_location(line.timetable, "1919", 1000.0, depot="D1")
    assert spare.area == "D1" and spare.station is None and spare.train_number == "1919"


def test_sim_train_reports_the_timetable_at_service_time_with_speed(line: Line) -> None:
    terminal = line.terminals[line.trains["1905"].radio]
    service = ServiceClock(start=50_000.0, speed=10.0, offset=3000.0)
    train = SimTrain(terminal, "ws://127.0.0.1:1", "x", timetable=line.timetable, service=service)
    for wall in (50_000.0, 50_001.0, 50_017.5, 50_240.0):
        expected = line.timetable.position("1905", 3000.0 + (wall - 50_000.0) * 10.0)
        location = train.location_at(wall)
        assert location.chainage_m == pytest.approx(expected.chainage_m, abs=0.1)
        assert location.station == expected.station
        assert location.direction == expected.direction


# ----- staff ------------------------------------------------------------------------------------


def test_staff_move_only_to_neighbouring_stations(line: Line) -> None:
    walk = StaffWalk(line, "S05", random.Random(1), dwell=(60.0, 120.0))
    previous = "S05"
    visited = {previous}
    moves = 0
    for t in range(0, 20 * 3600, 30):
        for station in walk.advance(float(t)):
            neighbours = {s.code for s in line.neighbours(previous) if s is not None}
            assert station in neighbours
            previous = station
            visited.add(station)
            moves += 1
    assert walk.station == previous
    assert moves > 500 and len(visited) > 3


def test_staff_dwell_between_moves_within_the_range(line: Line) -> None:
    walk = StaffWalk(line, "S01", random.Random(2), dwell=(120.0, 300.0))
    times = []
    for t in range(0, 10 * 3600, 5):
        if walk.advance(float(t)):
            times.append(t)
    gaps = [b - a for a, b in pairwise(times)]
    assert gaps and all(120 - 5 <= g <= 300 + 5 for g in gaps)


def test_staff_walk_is_reproducible_and_catches_up_after_a_long_pause(line: Line) -> None:
    one = StaffWalk(line, "S03", random.Random(42))
    two = StaffWalk(line, "S03", random.Random(42))
    stepwise = [s for t in range(0, 5 * 3600, 10) for s in one.advance(float(t))]
    at_once = two.advance(float(5 * 3600 - 10))
    assert stepwise == at_once and len(at_once) > 5


def test_depot_staff_stay_in_their_depot_as_an_area(line: Line) -> None:
    walk = StaffWalk(line, "D1", random.Random(0))
    assert walk.advance(100 * 3600.0) == []
    assert walk.location() == Location(area="D1")


def test_fleet_makes_walkers_of_staff_with_the_seed(line: Line) -> None:
    fleet = Fleet(line, "ws://127.0.0.1:1", seed=5, include=["handset"])
    again = Fleet(line, "ws://127.0.0.1:1", seed=5, include=["handset"])
    walker = fleet.terminal("HS-001")
    assert isinstance(walker, SimStaff)
    assert walker.walk.station == line.terminals["HS-001"].station
    other = again.terminal("HS-001")
    assert isinstance(other, SimStaff)
    t = fleet.service.at(fleet.clock()) + 3 * 3600
    assert walker.walk.advance(t) == other.walk.advance(t)


# ----- the fleet's choices --------------------------------------------------------------------


def test_fleet_includes_by_kind_or_id_and_builds_the_right_terminals(line: Line) -> None:
    fleet = Fleet(line, "ws://127.0.0.1:1", include=["train", "ST-S01-1"])
    trains = [t for t in line.terminals.values() if t.kind == "train"]
    assert set(fleet.terminals) == {t.id for t in trains} | {"ST-S01-1"}
    assert all(isinstance(fleet.terminal(t.id), SimTrain) for t in trains)
    assert type(fleet.terminal("ST-S01-1")) is SimTerminal
    assert len(Fleet(line, "ws://127.0.0.1:1").terminals) == len(line.terminals)
    with pytest.raises(ValueError, match="NOPE"):
        Fleet(line, "ws://127.0.0.1:1", include=["NOPE"])


def test_fleet_and_terminals_take_one_platform_url_or_the_pairs(line: Line) -> None:
    pair = ["ws://127.0.0.1:1", "ws://127.0.0.1:2"]
    fleet = Fleet(line, pair, include=["HS-001", "TR1901", "ST-S01-1"])
    assert fleet.urls == pair and fleet.url == pair[0]
    assert all(t.urls == pair and t.url == pair[0] for t in fleet.terminals.values())
    single = Fleet(line, "ws://127.0.0.1:3", include=["HS-001"])
    assert single.terminal("HS-001").urls == ["ws://127.0.0.1:3"]
    with pytest.raises(ValueError):
        Fleet(line, [], include=["HS-001"])


def test_fleet_starts_service_once_every_train_is_out(line: Line) -> None:
    fleet = Fleet(line, "ws://127.0.0.1:1", include=["train"], speed=10.0)
    latest = max(d.first_s for d in line.timetable.departures.values())
    assert fleet.service.offset == latest and fleet.service.speed == 10.0


def test_home_groups_are_the_station_group_or_the_trains_talk_group(line: Line) -> None:
    assert home_group_of(line, line.terminals["ST-S01-1"]) == "TG-S01"
    assert home_group_of(line, line.terminals["HS-001"]) == "TG-S01"
    assert home_group_of(line, line.terminals[line.trains["1901"].radio]) == "TG-TRAIN"
    assert home_group_of(line, line.terminals["CAM-S01-1"]) is None


def test_failure_summary_groups_reasons_and_names_terminals() -> None:
    failures = {f"HS-{i:03}": "refused by the platform: 401 unknown identity or wrong secret" for i in range(12)}
    failures["TR1901"] = "platform unreachable: [Errno 111] Connection refused"
    text = summarise_failures(failures, 150)
    assert text.startswith("13 of 150 terminals failed to register")
    assert "401 unknown identity or wrong secret (12: HS-000, HS-001" in text and "and 4 more" in text
    assert "Connection refused (1: TR1901)" in text
    assert describe_failure(TimeoutError()) == "no answer in time"


# ----- a terminal fed by hand -------------------------------------------------------------------


class _Wire:
    """Stands in for the session: records what a terminal's floors send and answers floor requests."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        self.requests: list[Request] = []
        self.notifications: list[Notification] = []
        self.tasks: set[asyncio.Task[Any]] = set()

    async def request(self, request: Request) -> Ok:
        self.requests.append(request)
        return Ok(re=1, result=self.answer)

    def notify(self, message: Notification) -> None:
        self.notifications.append(message)

    def spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


def _floors(wire: _Wire) -> TerminalFloors:
    return TerminalFloors("HS-001", clock=lambda: 100.0, stats=TerminalStats(), request=wire.request,
                          notify=wire.notify, spawn=wire.spawn)


async def test_press_returns_the_grant_and_a_floor_granted_is_acknowledged() -> None:
    wire = _Wire({"call": "C-1", "outcome": "granted", "position": 0, "limit_ms": 30000})
    floors = _floors(wire)
    outcome = await floors.press("C-1")
    assert (outcome.outcome, outcome.call, outcome.limit) == ("granted", "C-1", 30.0)
    assert isinstance(wire.requests[0], FloorRequest) and wire.requests[0].call == "C-1"
    floors.receive(FloorGranted(call="C-1", holder="HS-001", priority="normal", limit_ms=30000), 100.0)
    assert FloorAck(call="C-1", of="granted") in wire.notifications
    assert floors.state("C-1") == "has_permission" and floors.holders["C-1"] == "HS-001"
    assert floors.stats.floor_grants == 1


async def test_press_reports_the_queue_position() -> None:
    wire = _Wire({"call": "C-2", "outcome": "queued", "position": 2, "limit_ms": None})
    outcome = await _floors(wire).press("C-2")
    assert (outcome.outcome, outcome.position) == ("queued", 2)


async def test_an_unclaimed_grant_is_still_acknowledged() -> None:
    wire = _Wire({})
    floors = _floors(wire)
    floors.receive(FloorGranted(call="C-9", holder="HS-001", priority="emergency"), 100.0)
    assert wire.notifications == [FloorAck(call="C-9", of="granted")]


async def test_a_disabled_terminal_makes_no_calls_and_a_train_shows_pis(line: Line) -> None:
    terminal = SimTerminal(line.terminals["TR1901"], "ws://127.0.0.1:1", "x", clock=lambda: 10.0)
    terminal._on_message(ControlOrder(action="disable", by="train1"))
    assert terminal.disabled
    with pytest.raises(TerminalDisabled):
        await terminal.ptt_press()
    with pytest.raises(TerminalDisabled):
        await terminal.send_text("hello")
    terminal._on_message(ControlOrder(action="enable", by="train1"))
    assert not terminal.disabled
    terminal._on_message(PisMessage(message="PIS-1", text="列车晚点", duration_s=60))
    assert [m.message for m in terminal.pis_showing()] == ["PIS-1"]
    terminal.clock = lambda: 71.0
    assert terminal.pis_showing() == []


# ----- the link: reconnection order and backoff -----------------------------------------------------


def test_platform_urls_keeps_the_order_without_repeats() -> None:
    assert platform_urls("ws://a") == ["ws://a"]
    assert platform_urls(("ws://b", "ws://a", "ws://b")) == ["ws://b", "ws://a"]
    with pytest.raises(ValueError):
        platform_urls([])


def test_reconnect_delay_doubles_to_a_second_with_bounded_seeded_jitter() -> None:
    delays = [reconnect_delay(n, random.Random("3/reconnect/HS-001")) for n in range(12)]
    assert 0 <= delays[0] <= BACKOFF_FIRST / 2
    for attempt, delay in enumerate(delays[1:], start=1):
        base = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (attempt - 1))
        assert base <= delay <= base * 1.5
    assert delays[-1] >= BACKOFF_MAX and max(delays) <= BACKOFF_MAX * 1.5
    rng, again = random.Random(7), random.Random(7)
    assert [reconnect_delay(n, rng) for n in range(8)] == [reconnect_delay(n, again) for n in range(8)]
    spread = {round(reconnect_delay(3, random.Random(f"3/reconnect/{t}")), 6) for t in ("HS-001", "HS-002", "TR1901")}
    assert len(spread) == 3  # terminals cut off together do not come back in step
    assert reconnect_delay(10_000, random.Random(1)) <= BACKOFF_MAX * 1.5


def _welcome(instance: str, role: str, epoch: int) -> Welcome:
    return Welcome(re=1, version=1, session="s", resume_token="t", instance=instance, role=role,  # type: ignore[arg-type]
                   heartbeat_ms=2000, loss_threshold=3, epoch=epoch)


def test_known_instances_put_the_last_active_at_the_highest_epoch_first() -> None:
    known = KnownInstances(["ws://a", "ws://b"])
    assert known.order() == ["ws://a", "ws://b"]  # nothing heard yet: as configured
    known.welcomed("ws://b", _welcome("B", "standby", 1))
    known.announced("ws://a", PlatformRole(instance="A", role="active", epoch=1, peer="ws://c"))
    assert known.order() == ["ws://a", "ws://b", "ws://c"]  # the peer it names becomes known
    known.announced("ws://b", PlatformRole(instance="B", role="active", epoch=2))
    assert known.order() == ["ws://b", "ws://a", "ws://c"]  # the promotion outranks the older active
    known.announced("ws://a", PlatformRole(instance="A", role="standby", epoch=2))
    assert known.order() == ["ws://b", "ws://a", "ws://c"] and known.role_of("ws://a") == "standby"
    assert known.epoch == 2
    known.raise_epoch(1)
    assert known.epoch == 2


# ----- floors asked for again after a lost link ------------------------------------------------------


class _HeldWire(_Wire):
    """Answers floor requests by call, holding every answer until ``gate`` is set."""

    def __init__(self, answers: dict[str, dict[str, Any]]) -> None:
        super().__init__({})
        self.answers = answers
        self.gate = asyncio.Event()
        self.gate.set()

    async def request(self, request: Request) -> Ok:
        self.requests.append(request)
        await self.gate.wait()
        call = getattr(request, "call", "")
        return Ok(re=1, result=self.answers.get(call, {}) if isinstance(request, FloorRequest) else {})


async def test_reclaim_asks_again_for_held_and_queued_floors_with_new_keys() -> None:
    wire = _HeldWire({"C-1": {"call": "C-1", "outcome": "granted", "position": 0},
                      "C-2": {"call": "C-2", "outcome": "queued", "position": 2}})
    floors = _floors(wire)
    assert (await floors.press("C-1")).outcome == "granted"
    assert (await floors.press("C-2")).outcome == "queued"
    first_keys = {str(r.call): r.key for r in wire.requests if isinstance(r, FloorRequest)}

    wire.gate.clear()
    assert sorted(floors.reclaim()) == ["C-1", "C-2"]
    await asyncio.sleep(0)
    again = [r for r in wire.requests[2:] if isinstance(r, FloorRequest)]
    assert sorted(str(r.call) for r in again) == ["C-1", "C-2"]
    assert all(r.key != first_keys[str(r.call)] for r in again)
    # until the platform answers, the floor still reads as held and the place as kept
    assert (floors.state("C-1"), floors.state("C-2")) == ("has_permission", "queued")
    assert floors.participants["C-1"].state == "pending_request"

    wire.gate.set()
    assert await floors.wait_until(lambda: floors.participants["C-1"].state == "has_permission"
                                   and floors.participants["C-2"].state == "queued", 1.0)
    assert floors.stats.floors_reclaimed == 2
    await asyncio.gather(*wire.tasks)


async def test_reclaim_leaves_idle_floors_and_a_release_meanwhile_gives_the_floor_back() -> None:
    wire = _HeldWire({"C-1": {"call": "C-1", "outcome": "granted", "position": 0}})
    floors = _floors(wire)
    assert (await floors.press("C-1")).outcome == "granted"
    await floors.release()
    assert floors.state("C-1") == "has_no_permission"
    assert floors.reclaim() == []  # PTT let go: nothing to ask for

    assert (await floors.press("C-1")).outcome == "granted"
    wire.gate.clear()
    assert floors.reclaim() == ["C-1"]
    await floors.release()  # PTT let go before the platform answered the repeat
    wire.gate.set()
    assert await floors.wait_until(lambda: floors.participants["C-1"].state == "has_no_permission", 1.0)
    assert isinstance(wire.requests[-1], FloorRelease)
    await asyncio.gather(*wire.tasks)
