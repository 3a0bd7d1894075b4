"""The line clock over real loopback sockets (SPEC.md §3.5.9): a testbed platform tells consoles the clock its
simulated line runs on in their welcome, and a desk core started on its own (as `trunkdesk desk` against a
separately started `trunkdesk testbed`) runs its train graph on it, so its trains' delays are the testbed's (not
hours off the time of day). A platform that tells none leaves the desk on the time of day, as a real line runs."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from console.core.desk import Desk
from console.core.layout import layout_from_line
from console.core.train_graph import PlanClock
from protocols.aio.client import TrunkingClient
from protocols.messages import Hello
from testbed.line import Line
from testbed.platform.server import PlatformServer
from testbed.terminals.fleet import Fleet, simulated_clock
from testbed.terminals.service import ServiceClock
from testbed.terminals.train import SimTrain

pytestmark = pytest.mark.integration

#: how much faster than real time the simulated lines of these tests run
SPEED = 10.0
#: the train made to run behind its timetable, and by how much (service seconds: 120 wall seconds at SPEED)
LATE_TRAIN = "1905"
BEHIND_S = 1200.0


def running_radios(line: Line) -> list[str]:
    """The radios of the trains the timetable runs."""
    return [t.radio for t in line.trains.values() if t.number in line.timetable.departures]


async def delays_known(desk: Desk, radios: list[str], timeout: float = 20.0) -> dict[str, float]:
    """Each train's delay once every one of ``radios`` has reported twice to the desk."""

    def ready() -> bool:
        tracks = desk.trains.tracks
        return all(r in tracks and len(tracks[r].positions) >= 2 and tracks[r].delay is not None for r in radios)

    assert await desk.wait_until(ready, timeout), {r: desk.trains.tracks.get(r) for r in radios}
    return {r: desk.trains.tracks[r].delay for r in radios}  # type: ignore[misc]


@contextlib.asynccontextmanager
async def platform_and_trains(line: Line, *, tell: bool, late: str | None = None
                              ) -> AsyncIterator[tuple[PlatformServer, ServiceClock]]:
    """A platform (telling the line clock or not) and the line's trains running on a clock SPEED times real time."""
    service = simulated_clock(line, speed=SPEED)
    platform = PlatformServer(line, port=0, line_clock=service.to_wire() if tell else None)
    await platform.start()
    fleet = Fleet(line, platform.url, rate=0.0, include=["train"], service=service)
    if late is not None:
        sim = fleet.terminal(line.trains[late].radio)
        assert isinstance(sim, SimTrain)
        sim.service = ServiceClock(start=service.start, speed=service.speed, offset=service.offset - BEHIND_S)
    try:
        await fleet.start()
        yield platform, service
    finally:
        await fleet.stop()
        await platform.stop()


@contextlib.asynccontextmanager
async def desk_on(line: Line, folder: Path, urls: str | list[str]) -> AsyncIterator[Desk]:
    desk = Desk(folder / "events.db", layout=layout_from_line(line))
    await desk.connect(urls, "chief", "demo")
    try:
        yield desk
    finally:
        await desk.close()


async def test_a_desk_reads_its_trains_delays_on_the_clock_the_testbed_platform_tells(
        sample_line: Line, tmp_path: Path) -> None:
    radios = running_radios(sample_line)
    late_radio = sample_line.trains[LATE_TRAIN].radio
    async with platform_and_trains(sample_line, tell=True, late=LATE_TRAIN) as (platform, service), \
            desk_on(sample_line, tmp_path, platform.url) as desk:
        told = desk.trains.plan_clock
        assert told == PlanClock.told(service.to_wire()) and told.speed == SPEED
        assert told.at(service.start + 60) == pytest.approx(service.at(service.start + 60), abs=1e-6)
        delays = await delays_known(desk, radios)
        # the late train is BEHIND_S of its timetable behind: 120 s of the desk's (wall) time at SPEED
        assert delays.pop(late_radio) == pytest.approx(BEHIND_S / SPEED, abs=5.0)
        assert all(abs(d) < 5.0 for d in delays.values()), delays
        assert desk.trains.tracks[late_radio].number == LATE_TRAIN


async def test_a_platform_that_tells_no_clock_leaves_the_desk_on_the_time_of_day(
        sample_line: Line, tmp_path: Path) -> None:
    async with platform_and_trains(sample_line, tell=False) as (platform, _service), \
            desk_on(sample_line, tmp_path, platform.url) as desk:
        assert desk.link is not None and desk.link.welcome is not None
        assert desk.link.welcome.line_clock is None
        assert desk.trains.plan_clock == PlanClock.time_of_day(sample_line.timetable.service_start_s, desk.clock())


async def test_terminals_are_not_told_the_line_clock(sample_line: Line) -> None:
    service = simulated_clock(sample_line, speed=SPEED)
    platform = PlatformServer(sample_line, port=0, line_clock=service.to_wire())
    await platform.start()
    try:
        hello = Hello(id=0, versions=[1], role="terminal", ident="TR1905", terminal_kind="train",
                      secret="demo-terminal")
        client = await TrunkingClient.connect(platform.url, hello)
        try:
            assert client.welcome.line_clock is None
        finally:
            await client.close()
    finally:
        await platform.stop()


# ----- `trunkdesk testbed` started on its own ---------------------------------------------------------------


class ChildTestbed:
    """`trunkdesk testbed ...` as a child process: its listening URLs and the service clock it printed."""

    def __init__(self, *args: str) -> None:
        self.args = args
        self.lines: list[str] = []
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self, instances: int, timeout: float = 60.0) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "console.cli", "testbed", "--port", "0", "--rate", "0", "--quiet", *self.args,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        await self.wait(lambda: len(self.urls) == instances and self.clock is not None, timeout)

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        while raw := await self.process.stdout.readline():
            self.lines.append(raw.decode(errors="replace").rstrip())

    async def wait(self, condition: Callable[[], bool], timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            assert self.process is not None and self.process.returncode is None, self.lines[-10:]
            assert loop.time() < deadline, self.lines[-10:]
            await asyncio.sleep(0.05)

    @property
    def urls(self) -> list[str]:
        return [line.split(" ", 1)[1] for line in self.lines if line.startswith("listening ")]

    @property
    def clock(self) -> ServiceClock | None:
        told = [line.removeprefix("service clock ") for line in self.lines if line.startswith("service clock ")]
        return ServiceClock.parse(told[0]) if told else None

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


@contextlib.asynccontextmanager
async def run_testbed(*args: str, instances: int = 1) -> AsyncIterator[ChildTestbed]:
    child = ChildTestbed(*args)
    try:
        await child.start(instances)
        yield child
    finally:
        await child.stop()


async def test_a_desk_against_a_separately_started_testbed_runs_on_its_simulated_clock(
        sample_line: Line, tmp_path: Path) -> None:
    async with run_testbed("--speed", str(SPEED)) as child, desk_on(sample_line, tmp_path, child.urls) as desk:
        printed = child.clock
        assert printed is not None and printed.speed == SPEED
        told = desk.trains.plan_clock
        assert told is not None and told.speed == SPEED
        assert told.at(printed.start + 100) == pytest.approx(printed.at(printed.start + 100), abs=0.01)
        delays = await delays_known(desk, running_radios(sample_line))
        assert all(abs(d) < 5.0 for d in delays.values()), delays


async def test_both_instances_of_a_testbed_pair_tell_the_same_clock(sample_line: Line) -> None:
    async with run_testbed("--pair", "--speed", str(SPEED), instances=2) as child:
        printed = child.clock
        assert printed is not None
        clocks = []
        for url in child.urls:
            hello = Hello(id=0, versions=[1], role="console", ident="chief", secret="demo")
            client = await TrunkingClient.connect(url, hello)
            try:
                clocks.append((client.welcome.instance, client.welcome.line_clock))
            finally:
                await client.close()
        assert [name for name, _ in clocks] == ["A", "B"]
        assert clocks[0][1] == clocks[1][1] == printed.to_wire()
