"""Simulated terminals across a failover of the dual-live pair, and across links lost without being asked to:
they come back by themselves, on the new active, with their affiliations, floors and location reports."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from protocols.aio.server import Connection
from protocols.messages import AlarmRaise, Error, FloorGranted, Ok, Request
from testbed.line import Line
from testbed.platform.server import PairConfig, PlatformServer
from testbed.platform.witness import WitnessServer
from testbed.terminals import link as link_module
from testbed.terminals.fleet import Fleet

pytestmark = pytest.mark.integration

_SIM_TASK_PREFIXES = ("terminal-", "floor-", "train-", "staff-", "tdp-client-")
HANDSETS = [f"HS-{i:03}" for i in range(1, 11)]


def _leftover_tasks() -> list[str]:
    """Names of simulated-terminal and client tasks still running."""
    return sorted(t.get_name() for t in asyncio.all_tasks()
                  if not t.done() and t.get_name().startswith(_SIM_TASK_PREFIXES))


async def _eventually(condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        await asyncio.sleep(0.02)


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class Pair:
    witness: WitnessServer
    a: PlatformServer
    b: PlatformServer

    @property
    def urls(self) -> list[str]:
        return [self.a.url, self.b.url]


@pytest.fixture
async def pair(sample_line: Line) -> AsyncIterator[Pair]:
    """A dual-live pair in this process: A active, B following it."""
    witness = WitnessServer()
    await witness.start()
    pa, pb, ca, cb = _free_ports(4)
    peers = {"A": f"ws://127.0.0.1:{pa}", "B": f"ws://127.0.0.1:{pb}"}
    clients = {"A": f"ws://127.0.0.1:{ca}", "B": f"ws://127.0.0.1:{cb}"}
    a = PlatformServer(sample_line, instance="A", port=ca,
                       pair=PairConfig(witness=witness.url, peer_urls=peers, peer_port=pa, client_urls=clients))
    b = PlatformServer(sample_line, instance="B", port=cb,
                       pair=PairConfig(witness=witness.url, peer_urls=peers, peer_port=pb, client_urls=clients))
    await a.start()
    try:
        await _eventually(lambda: a.role == "active", "A active")
        await b.start()
        await _eventually(lambda: a._standby is not None, "B follows A")
        yield Pair(witness, a, b)
    finally:
        await a.stop()
        await b.stop()
        await witness.stop()


def _on(platform: PlatformServer, terminal_id: str, via: str | None = None) -> bool:
    """``platform`` shows the terminal registered, with sessions on instance ``via`` (default: that platform's)
    and on no other instance."""
    principal = platform.state.principals.get(terminal_id)
    record = platform.state.terminals[terminal_id]
    return (principal is not None and set(principal.sessions) == {via or platform.instance}
            and record.info.presence == "registered")


async def test_the_fleet_follows_the_failover_with_floors_and_train_reports(pair: Pair, sample_line: Line) -> None:
    trains = [t.id for t in sample_line.terminals.values() if t.kind == "train"]
    fleet = Fleet(sample_line, pair.urls, rate=0.0, include=["train", *HANDSETS], seed=3)
    await fleet.start()
    try:
        assert len(fleet.terminals) == 30
        await _eventually(lambda: all(_on(pair.a, t) for t in fleet.terminals), "the fleet registered on A")
        talker, waiter = fleet.terminal("HS-001"), fleet.terminal("HS-002")
        burst = asyncio.create_task(talker.talk(8.0, "TG-S01"))
        await _eventually(lambda: talker.floor_state() == "has_permission", "HS-001 talks")
        call = talker.floors.ptt_call
        assert call is not None
        queued = await waiter.ptt_press("TG-S01")  # PTT stays pressed: HS-002 waits in the queue
        assert (queued.outcome, queued.call, queued.position) == ("queued", call, 1)

        def grants() -> int:
            return sum(1 for m in talker.messages_of(FloorGranted) if isinstance(m, FloorGranted) and m.call == call)

        granted_before = grants()
        lost_at = time.time()
        await pair.a.stop()
        await _eventually(lambda: pair.b.role == "active", "B promoted", timeout=3.0)
        await _eventually(lambda: all(_on(pair.b, t) and fleet.terminal(t).link_up for t in fleet.terminals),
                          "every terminal registered on B", timeout=3.0)
        back_in = time.time() - lost_at
        assert all(fleet.terminal(t).url == pair.b.url for t in fleet.terminals)
        assert all((fleet.terminal(t).stats.reconnects, fleet.terminal(t).stats.link_drops) == (1, 1)
                   for t in fleet.terminals)
        welcome = fleet.terminal(trains[0]).welcome
        assert welcome is not None and welcome.resumed and welcome.instance == "B"

        # The floor held and the place in the queue were asked for again, and the platform kept both.
        floor = pair.b.state.calls.calls[call].floor
        assert floor is not None
        await _eventually(lambda: talker.stats.floors_reclaimed == 1 and talker.floors.participants[call].state
                          == "has_permission", "HS-001 asked for its floor again")
        assert floor.holder == "HS-001" and grants() > granted_before  # B granted the repeat request
        assert [(q.party, q.position) for q in floor.queue] == [("HS-002", 1)]
        assert waiter.floor_state(call) == "queued" and waiter.stats.floors_reclaimed == 1

        # Trains report to B: every train radio has a fix taken after the failover.
        after_ms = (lost_at + back_in) * 1000
        await _eventually(lambda: all(pair.b.state.terminals[t].last_fix_ms > after_ms for t in trains),
                          "every train reports its position to B", timeout=2.5)

        # Media reports reach B too: past B's end-of-media timer (4 s) the talker still holds the floor.
        await asyncio.sleep(max(0.0, lost_at + 4.5 - time.time()))
        assert floor.holder == "HS-001" and talker.floor_state(call) == "has_permission"
        outcome = await asyncio.wait_for(burst, 8.0)
        assert outcome.outcome == "granted" and talker.stats.talk_bursts == 1
        await _eventually(lambda: floor.holder == "HS-002", "the queued handset gets the floor on B")
        await waiter.ptt_release()
    finally:
        began = time.monotonic()
        await fleet.stop()
        assert time.monotonic() - began < 3.0
    assert _leftover_tasks() == []


async def test_a_terminal_registered_through_the_standby_stays_with_it_through_the_promotion(
        pair: Pair, sample_line: Line) -> None:
    fleet = Fleet(sample_line, [pair.b.url, pair.a.url], rate=0.0, include=["HS-003"])  # the standby first
    await fleet.start()
    try:
        handset = fleet.terminal("HS-003")
        assert handset.url == pair.b.url and handset.welcome is not None and handset.welcome.role == "standby"
        await _eventually(lambda: _on(pair.a, "HS-003", via="B"), "registered on A through the standby")
        await pair.a.stop()
        await _eventually(lambda: handset.link.instances.role_of(pair.b.url) == "active", "B announces itself")
        assert handset.link.instances.epoch == pair.b.epoch == 2
        await _eventually(lambda: _on(pair.b, "HS-003"), "registered on B")
        text = await handset.send_text("after the failover")
        assert text.startswith("M-")
        assert handset.link_up and handset.stats.reconnects == handset.stats.link_drops == 0
    finally:
        await fleet.stop()
    assert _leftover_tasks() == []


async def test_with_both_instances_gone_the_terminals_keep_trying_and_stop_promptly(
        pair: Pair, sample_line: Line, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(link_module, "RELINK_WAIT", 1.0)
    fleet = Fleet(sample_line, pair.urls, rate=0.0, include=["HS-004", "HS-005"])
    await fleet.start()
    try:
        await pair.a.stop()
        await pair.b.stop()
        await asyncio.sleep(1.5)
        handset = fleet.terminal("HS-004")
        assert not handset.link_up and handset.link.coming_back
        with pytest.raises(ConnectionError):  # a request waits for the link, then gives up
            await asyncio.wait_for(handset.set_status(3), 3.0)
    finally:
        began = time.monotonic()
        await fleet.stop()
        assert time.monotonic() - began < 1.0
    assert not fleet.terminal("HS-004").link.coming_back
    assert _leftover_tasks() == []


# ----- a single platform: links lost without being asked to ----------------------------------------------


class _CutBeforeTheAnswer(PlatformServer):
    """Applies the first alarm it is sent, then drops that link before the answer leaves (a cable cut)."""

    cut = True

    def answer_now(self, conn: Connection, request: Request) -> Ok | Error | None:

        return None  # every request through on_request


    async def on_request(self, conn: Connection, request: Request) -> Ok | Error:
        answer = await super().on_request(conn, request)
        if isinstance(request, AlarmRaise) and self.cut:
            self.cut = False
            conn.transport.abort()
        return answer


async def test_a_request_in_flight_is_sent_again_once_and_applied_once(sample_line: Line) -> None:
    platform = _CutBeforeTheAnswer(sample_line)
    await platform.start()
    fleet = Fleet(sample_line, platform.url, rate=0.0, include=["ST-S01-1"])
    try:
        await fleet.start()
        station = fleet.terminal("ST-S01-1")
        alarm = await asyncio.wait_for(station.raise_alarm("equipment", "major", "ESC-1", "escalator stopped"), 5)
        assert list(platform.state.alarms) == [alarm]  # answered from the stored outcome, not applied twice
        stats = station.stats
        assert (stats.requests_retried, stats.reconnects, stats.link_drops, stats.registrations) == (1, 1, 1, 2)
        assert station.link_up and station.welcome is not None and station.welcome.resumed
    finally:
        await fleet.stop()
        await platform.stop()
    assert _leftover_tasks() == []


async def test_a_deliberately_dropped_link_stays_down_until_restored(
        platform: PlatformServer, sample_line: Line) -> None:
    fleet = Fleet(sample_line, platform.url, rate=0.0, include=["HS-006"])
    await fleet.start()
    try:
        handset = fleet.terminal("HS-006")
        await handset.drop_link()
        await asyncio.sleep(0.6)
        assert not handset.link_up and not handset.link.coming_back and handset.stats.reconnects == 0
        await handset.restore_link()
        assert handset.link_up
        # the restored link comes back by itself again when the platform drops it
        kicked: Any = next(iter(platform.server.connections))
        kicked.transport.abort()
        await _eventually(lambda: handset.stats.reconnects == 1 and handset.link_up, "back by itself")
        assert handset.stats.link_drops == 2
    finally:
        await fleet.stop()
    assert _leftover_tasks() == []


async def test_a_silent_platform_is_left_and_found_again(sample_line: Line) -> None:
    platform = PlatformServer(sample_line, terminal_heartbeat=0.1)  # silence shows after 0.3 s
    await platform.start()
    fleet = Fleet(sample_line, platform.url, rate=0.0, include=["HS-007"])
    try:
        await fleet.start()
        handset = fleet.terminal("HS-007")
        muted: Any = handset.client
        muted._ws.transport.pause_reading()  # nothing from the platform reaches the terminal any more
        await _eventually(lambda: handset.stats.reconnects == 1 and handset.link_up, "back after the silence")
        assert handset.client is not muted and muted.closed
        assert handset.stats.link_drops == 1 and handset.welcome is not None and handset.welcome.resumed
        await handset.set_status(3)
        assert platform.state.terminals["HS-007"].info.status == 3
    finally:
        await fleet.stop()
        await platform.stop()
    assert _leftover_tasks() == []
