"""Simulated terminals against the real reference platform over loopback: registration at scale, trains
on the timetable, links lost and restored, floor control, emergencies, dispatcher orders, behaviours."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest

from protocols.aio.client import TrunkingClient
from protocols.messages import (
    CallEnded,
    CallStarted,
    FloorGranted,
    Hello,
    LocationUpdate,
    PisPush,
    PresenceUpdate,
    PrivateCallSetup,
    Snapshot,
    TerminalControl,
)
from testbed.line import Line
from testbed.platform.server import PlatformServer
from testbed.terminals.behaviour import Behaviour, Rates, TalkDurations
from testbed.terminals.fleet import Fleet, FleetStartError
from testbed.terminals.terminal import SimTerminal, TerminalDisabled
from testbed.terminals.train import SimTrain, train_location
from tests.integration.conftest import DISPATCHER_PASSWORD, Connect

pytestmark = pytest.mark.integration

_SIM_TASK_PREFIXES = ("terminal-", "floor-", "train-", "staff-", "tdp-client-")


def _leftover_tasks() -> list[str]:
    """Names of simulated-terminal and client tasks still running."""
    return sorted(t.get_name() for t in asyncio.all_tasks()
                  if not t.done() and t.get_name().startswith(_SIM_TASK_PREFIXES))


async def _eventually(condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        await asyncio.sleep(0.05)


def _presence(platform: PlatformServer, terminal_id: str) -> str:
    return platform.state.terminals[terminal_id].info.presence


@pytest.fixture
async def fleet_factory(platform: PlatformServer, sample_line: Line) -> AsyncIterator[Callable[..., Fleet]]:
    """Fleets on the sample line against the `platform` fixture, with behaviours off unless asked."""
    fleets: list[Fleet] = []

    def make(**kwargs: object) -> Fleet:
        kwargs.setdefault("rate", 0.0)
        fleet = Fleet(sample_line, platform.url, **kwargs)  # type: ignore[arg-type]
        fleets.append(fleet)
        return fleet

    yield make
    for fleet in fleets:
        await fleet.stop()


# ----- registration at scale ------------------------------------------------------------------------


def _line_with_extra_handsets(line: Line, count: int) -> Line:
    """The sample line plus ``count`` handsets (same shared secret), to reach fleet sizes beyond it."""
    template = line.terminals["HS-001"]
    codes = [s.code for s in line.stations]
    extra = {f"HS-X{i:03}": replace(template, id=f"HS-X{i:03}", name=f"Extra handset {i}",
                                    name_zh=f"加装手台{i}", station=codes[i % len(codes)])
             for i in range(count)}
    return replace(line, terminals={**line.terminals, **extra})


async def test_two_hundred_terminals_register_and_the_platform_shows_them(sample_line: Line) -> None:
    line = _line_with_extra_handsets(sample_line, 200 - len(sample_line.terminals))
    server = PlatformServer(line, heartbeat_interval=1.0)
    await server.start()
    fleet = Fleet(line, server.url, rate=0.0, connect_concurrency=50)
    try:
        began = time.monotonic()
        await fleet.start()
        assert time.monotonic() - began < 12.0
        assert fleet.stats().registered == 200
        await _eventually(lambda: server.summary()["terminals_registered"] == 200, "200 registered on the platform")
        console = await TrunkingClient.connect(
            server.url, Hello(id=0, versions=[1], role="console", ident="chief", secret=DISPATCHER_PASSWORD))
        try:
            shown: set[str] = set()
            parts_left = None
            while parts_left != 0:  # the snapshot comes in parts that each fit in a message
                message = await asyncio.wait_for(console.next_message(), 3.0)
                if isinstance(message, Snapshot):
                    shown |= {t.id for t in message.terminals if t.presence == "registered"}
                    parts_left = message.parts - message.part
            assert shown == set(line.terminals)
        finally:
            await console.close()
    finally:
        await fleet.stop()
        await server.stop()
    assert all(_presence(server, t) == "offline" for t in line.terminals)  # bye: deregistered, not lost
    assert _leftover_tasks() == []


async def test_a_refused_terminal_is_named_in_the_failure_summary(platform: PlatformServer,
                                                                  sample_line: Line) -> None:
    fleet = Fleet(sample_line, platform.url, rate=0.0, include=["HS-001", "HS-040", "ST-S01-1"],
                  secrets={})  # HS-040 has its own secret on the sample line
    with pytest.raises(FleetStartError) as caught:
        await fleet.start()
    assert set(caught.value.failures) == {"HS-040"}
    assert "1 of 3 terminals failed to register" in str(caught.value)
    assert "401" in caught.value.failures["HS-040"]
    assert fleet.stats().registered == 0  # strict: the others were stopped again
    assert _leftover_tasks() == []


# ----- trains on the timetable ------------------------------------------------------------------


async def test_trains_report_where_the_timetable_puts_them_at_ten_times_speed(
        platform: PlatformServer, sample_line: Line, connect: Connect,
        fleet_factory: Callable[..., Fleet]) -> None:
    console = await connect("train1")
    fleet = fleet_factory(include=["train"], speed=10.0)
    await fleet.start()
    timetable = sample_line.timetable
    seen: dict[str, list[float]] = {}
    for _ in range(2):
        await asyncio.sleep(1.3)
        now_ms = time.time() * 1000
        for number, train in sample_line.trains.items():
            record = platform.state.terminals[train.radio]
            assert record.info.location is not None, f"{number} never reported"
            assert now_ms - record.last_fix_ms < 2500, f"{number}: stale fix"
            expected = train_location(timetable, number, fleet.service.at(record.last_fix_ms / 1000),
                                      depot=train.depot)
            got = record.info.location
            assert (got.station, got.next_station, got.direction, got.area) == (
                expected.station, expected.next_station, expected.direction, expected.area), number
            if expected.chainage_m is not None:
                assert got.chainage_m == pytest.approx(expected.chainage_m, abs=2.0)
                seen.setdefault(number, []).append(got.chainage_m)  # type: ignore[arg-type]
    # At 10x a running train covers well over 100 m in 1.3 s unless it stands at a station.
    moved = [n for n, (a, b) in seen.items() if abs(b - a) > 100]
    assert len(moved) >= 5, seen
    assert {"1919", "1920"}.isdisjoint(seen)  # spares stand in their depots
    assert platform.state.terminals[sample_line.trains["1919"].radio].info.location.area == "D1"  # type: ignore[union-attr]
    update = await console.expect(LocationUpdate, terminal=sample_line.trains["1901"].radio)
    assert update.location.train_number == "1901"
    train = fleet.terminal(sample_line.trains["1901"].radio)
    assert isinstance(train, SimTrain) and train.stats.location_reports >= 2


# ----- links lost and restored --------------------------------------------------------------------


async def test_a_dropped_link_shows_unreachable_and_registered_again_after_restore(
        platform: PlatformServer, connect: Connect, fleet_factory: Callable[..., Fleet]) -> None:
    console = await connect("train1")
    fleet = fleet_factory(include=["HS-001", "ST-S01-1"])
    await fleet.start()
    handset = fleet.terminal("HS-001")
    await _eventually(lambda: _presence(platform, "HS-001") == "registered", "HS-001 registered")

    await handset.drop_link()
    assert not handset.link_up
    await _eventually(lambda: _presence(platform, "HS-001") == "unreachable", "HS-001 unreachable")
    await _eventually(lambda: any(isinstance(m, PresenceUpdate) and m.terminal.id == "HS-001"
                                  and m.terminal.presence == "unreachable" for m in console.inbox),
                      "the console told HS-001 is unreachable")

    await handset.restore_link()
    assert handset.link_up and handset.welcome is not None and handset.welcome.resumed
    await _eventually(lambda: _presence(platform, "HS-001") == "registered", "HS-001 registered again")
    assert (handset.stats.registrations, handset.stats.link_drops) == (2, 1)
    outcome = await handset.ptt_press()  # the restored session works
    assert outcome.outcome == "granted"
    await handset.ptt_release()
    assert fleet.stats().registered == 2


# ----- floor control, emergencies -----------------------------------------------------------------


async def _no_grant_repeated(terminal: SimTerminal, call: str) -> None:
    """The platform repeats an unacknowledged floor.granted every T20 (1 s): none may come in 1.5 s."""

    def grants() -> int:
        return sum(1 for m in terminal.messages_of(FloorGranted) if isinstance(m, FloorGranted) and m.call == call)

    await asyncio.sleep(0.1)
    before = grants()
    assert before >= 1
    await asyncio.sleep(1.5)
    assert grants() == before, "floor.granted repeated: the grant was not acknowledged"


async def test_queued_terminal_gets_and_acknowledges_the_floor_after_release(
        platform: PlatformServer, fleet_factory: Callable[..., Fleet]) -> None:
    fleet = fleet_factory(include=["HS-001", "ST-S01-1"])
    await fleet.start()
    station, handset = fleet.terminal("ST-S01-1"), fleet.terminal("HS-001")
    first = await station.ptt_press("TG-S01")
    assert first.outcome == "granted" and first.call is not None
    second = await handset.ptt_press("TG-S01")
    assert (second.outcome, second.call, second.position) == ("queued", first.call, 1)
    await _eventually(lambda: handset.floor_holders.get(first.call) == "ST-S01-1", "the handset sees who talks")

    await station.ptt_release()
    await _eventually(lambda: handset.floor_state(first.call) == "has_permission", "granted from the queue")
    await _no_grant_repeated(handset, first.call)
    floor = platform.state.calls.calls[first.call].floor
    assert floor is not None and floor.holder == "HS-001"
    await handset.ptt_release()
    assert floor.holder is None


async def test_emergency_takes_the_floor_and_cancel_ends_it(
        platform: PlatformServer, fleet_factory: Callable[..., Fleet]) -> None:
    fleet = fleet_factory(include=["HS-001", "ST-S01-1"])
    await fleet.start()
    station, handset = fleet.terminal("ST-S01-1"), fleet.terminal("HS-001")
    talking = await station.ptt_press("TG-S01")
    assert talking.outcome == "granted"
    raised = await handset.emergency()
    assert raised.floor is not None and raised.floor.outcome in ("granted", "queued")
    await _eventually(lambda: handset.floor_state(raised.call) == "has_permission", "emergency pre-empts")
    assert _presence(platform, "HS-001") == "emergency"
    assert platform.state.alerts[raised.alert].state == "active"
    assert raised.call is not None
    await _no_grant_repeated(handset, raised.call)
    floor = platform.state.calls.calls[raised.call].floor
    assert floor is not None and floor.holder == "HS-001"
    assert station.floor_state(talking.call) != "has_permission"

    await handset.ptt_release()
    await handset.cancel_emergency()
    assert platform.state.alerts[raised.alert].state == "cancelled"
    await _eventually(lambda: _presence(platform, "HS-001") == "registered", "emergency over")


# ----- what dispatchers tell terminals --------------------------------------------------------------


async def test_dispatcher_orders_pis_and_private_calls_reach_the_terminals(
        platform: PlatformServer, sample_line: Line, connect: Connect,
        fleet_factory: Callable[..., Fleet]) -> None:
    console = await connect("train1")
    fleet = fleet_factory(include=["HS-001", "HS-002", sample_line.trains["1901"].radio])
    await fleet.start()
    handset, other = fleet.terminal("HS-001"), fleet.terminal("HS-002")
    train = fleet.terminal(sample_line.trains["1901"].radio)

    await console.request(TerminalControl(id=0, key="k-disable", terminal="HS-001", action="disable"))
    await _eventually(lambda: handset.disabled, "HS-001 obeys the disable order")
    with pytest.raises(TerminalDisabled):
        await handset.ptt_press()
    await console.request(TerminalControl(id=0, key="k-enable", terminal="HS-001", action="enable"))
    await _eventually(lambda: not handset.disabled, "HS-001 enabled again")
    assert (await handset.ptt_press()).outcome == "granted"
    await handset.ptt_release()

    await console.request(PisPush(id=0, key="k-pis", text="列车晚点五分钟", text_en="Delayed 5 min",
                                  trains=["1901"]))
    await _eventually(lambda: [m.text for m in train.pis_showing()] == ["列车晚点五分钟"], "PIS on the train")

    other.answer_calls = False
    answered = await console.request(PrivateCallSetup(id=0, key="k-call-1", callee="HS-001"))
    rejected = await console.request(PrivateCallSetup(id=0, key="k-call-2", callee="HS-002"))

    def started() -> list[CallStarted]:
        return [m for m in console.received(CallStarted) if m.call.id == answered.result["call"]]

    await _eventually(lambda: bool(started()), "HS-001 answers after a short delay")
    assert set(started()[0].call.parties) == {"train1", "HS-001"}
    ended = await console.expect(CallEnded, call=rejected.result["call"])
    assert ended.reason == "rejected"
    assert (handset.stats.calls_answered, other.stats.calls_rejected) == (1, 1)


# ----- behaviours ---------------------------------------------------------------------------------


async def test_behaviours_drive_real_traffic_and_the_fleet_stops_cleanly(
        platform: PlatformServer, sample_line: Line) -> None:
    rates = {"handset": Rates(talk=1500, status=600, text=300), "station": Rates(alarm=900, status=900),
             "camera": Rates(alarm=900)}
    behaviour = Behaviour(seed=1, rates=rates, durations=TalkDurations(median=0.4, shortest=0.2, longest=0.8))
    include = ["HS-001", "HS-002", "HS-003", "HS-004", "HS-035", "ST-S01-1", "ST-S02-1", "CAM-S01-1"]
    fleet = Fleet(sample_line, platform.url, include=include, behaviour=behaviour, seed=1)
    await fleet.start()
    try:
        await asyncio.sleep(6.0)
    finally:
        began = time.monotonic()
        await fleet.stop()
        assert time.monotonic() - began < 5.0
    stats = fleet.stats()
    totals = stats.totals
    assert stats.registered == 0
    assert totals.talk_bursts > 0 and totals.floor_grants >= totals.talk_bursts
    assert totals.statuses_set > 0 and totals.alarms_raised > 0 and totals.texts_sent > 0
    assert totals.actions_done > 10 and totals.errors == 0
    assert len(platform.state.alarms) == totals.alarms_raised
    assert platform.summary()["floor_grants"] >= totals.floor_grants
    assert _leftover_tasks() == []
