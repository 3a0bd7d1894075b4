"""Load-generator worker processes for `bench.bench_platform`: many real TDP/1 terminals in one process.

A worker connects its terminals (bounded concurrency), reports ``("ready", facts)`` over its pipe, waits
for ``("go", t_start, t_end)`` (unix seconds), drives the load until ``t_end`` and reports
``("done", results)``; ``("stop",)`` instead of go makes it close and exit. Three kinds of load:
talk bursts (floor request, ack, hold, release); one location report per terminal per second; and the
``mixed`` line traffic of `bench.bench_desk` (train radios reporting where the timetable puts them, staff
handsets reporting now and then and moving between stations, and everyone changing status code).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

from bench._layout import lower_priority, pin_process
from protocols.aio.client import ConnectionClosed, RequestError, TrunkingClient
from protocols.constants import ErrorCode
from protocols.messages import (
    FloorAck,
    FloorGranted,
    FloorRelease,
    FloorRequest,
    Hello,
    Location,
    LocationReport,
    StatusSet,
    TerminalKind,
)
from testbed.line import Timetable, load_line
from testbed.terminals.train import train_location

logger = logging.getLogger(__name__)

#: seconds a worker waits for the parent's go before giving up
GO_TIMEOUT = 120.0
#: seconds a granted terminal waits for its `floor.granted` notification
GRANT_NOTICE_TIMEOUT = 2.0
#: the staff radios' pre-defined status codes the mixed load cycles through (available, en route, on site, busy)
STATUS_CODES = (1, 2, 3, 4)
#: mixed load: share of a handset's location reports that move it to another station
MOVE_SHARE = 0.2


@dataclass(frozen=True)
class WorkerSpec:
    """What one worker process does: which terminals, which load, with which numbers."""

    url: str
    terminals: tuple[str, ...]
    secret: str
    mode: Literal["talk", "location", "mixed"]
    seed: int
    concurrency: int = 25
    open_timeout: float = 15.0
    #: talk bursts: each terminal's group
    group_of: dict[str, str] = field(default_factory=dict)
    #: talk bursts: pause between bursts and floor hold time, seconds (uniform)
    pause: tuple[float, float] = (0.5, 3.0)
    hold: tuple[float, float] = (0.2, 1.0)
    #: talk bursts: how long a queued terminal waits for the floor before leaving the queue
    queue_wait: float = 0.3
    #: location reports: stations to report at (cycled)
    stations: tuple[str, ...] = ("S01",)
    #: the kind each terminal says it is in its hello (default: handset)
    kinds: dict[str, TerminalKind] = field(default_factory=dict)
    #: mixed: seconds between two location reports of a handset, and of a train radio
    location_period: float = 1.0
    train_period: float = 1.0
    #: mixed: seconds between two status changes of each terminal (0: none)
    status_period: float = 0.0
    #: mixed: train radio id -> train number; trains report where ``line``'s timetable puts them
    trains: dict[str, str] = field(default_factory=dict)
    line: str = ""
    #: mixed: service time (s after the start of service) at the start of the window
    service_start: float = 3600.0
    #: CPUs the worker runs on (empty: wherever it was started) and the nice value it adds to its own: the
    #: terminals are test equipment, kept off the platform's core and below it in priority (bench/_layout.py)
    cpus: tuple[int, ...] = ()
    nice: int = 0


def cpu_seconds() -> float:
    """User + system CPU time of this process."""
    times = os.times()
    return times.user + times.system


class Terminal:
    """One connected bench terminal: the client plus a reader that drains and watches its notifications."""

    def __init__(self, ident: str, client: TrunkingClient) -> None:
        self.ident = ident
        self.client = client
        #: call id -> perf_counter() arrival of the latest floor.granted naming this terminal
        self.grants: dict[str, float] = {}
        self.granted = asyncio.Event()
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                message = await self.client.next_message()
                if isinstance(message, FloorGranted) and message.holder == self.ident:
                    self.grants[message.call] = time.perf_counter()
                    self.granted.set()

    async def wait_grant(self, call: str, timeout: float) -> float | None:
        """perf_counter() arrival of floor.granted for ``call``, waiting up to ``timeout`` s; None if none came."""
        deadline = time.perf_counter() + timeout
        while call not in self.grants:
            left = deadline - time.perf_counter()
            if left <= 0 or self.client.closed:
                return None
            self.granted.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.granted.wait(), left)
        return self.grants.pop(call)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.client.close()
        self.reader.cancel()
        with contextlib.suppress(BaseException):
            await self.reader


async def connect_all(spec: WorkerSpec) -> tuple[list[Terminal], Counter[str], set[int]]:
    """Connect every terminal of ``spec``, ``spec.concurrency`` at a time; terminals, failure kinds, heartbeats."""
    gate = asyncio.Semaphore(spec.concurrency)
    failures: Counter[str] = Counter()
    heartbeats: set[int] = set()
    terminals: list[Terminal] = []

    async def one(ident: str) -> None:
        hello = Hello(id=0, versions=[1], role="terminal", ident=ident, terminal_kind=spec.kinds.get(ident, "handset"),
                      secret=spec.secret, agent="bench")
        async with gate:
            try:
                client = await TrunkingClient.connect(spec.url, hello, open_timeout=spec.open_timeout)
            except (OSError, RequestError) as exc:
                failures[type(exc).__name__ + ": " + str(exc)[:80]] += 1
                return
        heartbeats.add(client.welcome.heartbeat_ms)
        terminals.append(Terminal(ident, client))

    await asyncio.gather(*(one(ident) for ident in spec.terminals))
    return terminals, failures, heartbeats


class TalkStats:
    """Counts and timings of one worker's talk bursts (only bursts started inside the window)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.granted_ms: list[float] = []
        #: unix time each immediate grant was requested (parallel to granted_ms)
        self.granted_at: list[float] = []
        self.notice_ms: list[float] = []


async def talk(term: Terminal, spec: WorkerSpec, rng: random.Random, t_end: float, stats: TalkStats) -> None:
    """Talk bursts until ``t_end``: pause, request the floor, ack the grant, hold, release."""
    group = spec.group_of[term.ident]
    client = term.client
    counts = stats.counts
    burst = 0
    try:
        while True:
            await asyncio.sleep(rng.uniform(*spec.pause))
            if time.time() >= t_end:
                return
            burst += 1
            term.grants.clear()
            started = time.perf_counter()
            try:
                answer = await client.request(FloorRequest(id=0, key=f"{term.ident}:{burst}", group=group))
            except RequestError as exc:
                counts["floor.request"] += 1
                counts["denied" if exc.error.code == ErrorCode.CONFLICT else f"error {exc.error.code}"] += 1
                continue
            answered = time.perf_counter()
            counts["floor.request"] += 1
            call = str(answer.result.get("call"))
            outcome = answer.result.get("outcome")
            if outcome == "granted":
                counts["granted"] += 1
                stats.granted_ms.append((answered - started) * 1000)
                stats.granted_at.append(time.time() - (answered - started))
                arrived = await term.wait_grant(call, GRANT_NOTICE_TIMEOUT)
                if arrived is None:
                    counts["grant notice missing"] += 1
                else:
                    stats.notice_ms.append((arrived - started) * 1000)
            elif outcome == "queued":
                counts["queued"] += 1
                arrived = await term.wait_grant(call, spec.queue_wait)
                if arrived is None:
                    counts["left the queue"] += 1
                    await _release(client, FloorRelease(id=0, key=f"{term.ident}:{burst}:leave", call=call), counts)
                    continue
                counts["granted from the queue"] += 1
            else:
                counts[f"outcome {outcome}"] += 1
                continue
            client.notify(FloorAck(call=call))
            counts["floor.ack"] += 1
            await asyncio.sleep(rng.uniform(*spec.hold))
            await _release(client, FloorRelease(id=0, key=f"{term.ident}:{burst}:release", call=call), counts)
    except ConnectionClosed:
        counts["disconnected"] += 1


async def _release(client: TrunkingClient, release: FloorRelease, counts: Counter[str]) -> None:
    """Release the floor (or leave its queue); an error answer is counted, not raised."""
    counts["floor.release"] += 1
    try:
        await client.request(release)
    except RequestError as exc:
        counts[f"release error {exc.error.code}"] += 1


class LocationStats:
    """Counts of one worker's location reports, and how late each left against its schedule (ms)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.slip_ms: list[float] = []


async def report_locations(term: Terminal, spec: WorkerSpec, rng: random.Random, window: tuple[float, float],
                           stats: LocationStats) -> None:
    """One location report a second from a random phase until the window ends; fix_ms is the send time."""
    t_start, t_end = window
    station = rng.choice(spec.stations)
    offset = rng.random()
    k = 0
    while (due := t_start + offset + k) < t_end:
        await asyncio.sleep(max(0.0, due - time.time()))
        now = time.time()
        stats.slip_ms.append((now - due) * 1000)
        location = Location(station=station, chainage_m=round(rng.uniform(0, 22_000), 1), direction="up")
        try:
            term.client.notify(LocationReport(location=location, fix_ms=int(now * 1000)))
        except ConnectionClosed:
            stats.counts["disconnected"] += 1
            return
        stats.counts["location.report"] += 1
        k += 1


async def report_where(term: Terminal, period: float, where: Callable[[float], Location], rng: random.Random, *,
                       window: tuple[float, float], stats: LocationStats) -> None:
    """A location report every ``period`` s from a random phase until the window ends, at ``where(now)``."""
    t_start, t_end = window
    offset = rng.random() * period
    k = 0
    while (due := t_start + offset + k * period) < t_end:
        await asyncio.sleep(max(0.0, due - time.time()))
        now = time.time()
        stats.slip_ms.append((now - due) * 1000)
        try:
            term.client.notify(LocationReport(location=where(now), fix_ms=int(now * 1000)))
        except ConnectionClosed:
            stats.counts["disconnected"] += 1
            return
        stats.counts["location.report"] += 1
        k += 1


async def set_statuses(term: Terminal, period: float, rng: random.Random, *, window: tuple[float, float],
                       stats: LocationStats) -> None:
    """A new status code (`status.set`) every ``period`` s from a random phase until the window ends."""
    t_start, t_end = window
    offset = rng.random() * period
    status = rng.choice(STATUS_CODES)
    k = 0
    while (due := t_start + offset + k * period) < t_end:
        await asyncio.sleep(max(0.0, due - time.time()))
        status = rng.choice([code for code in STATUS_CODES if code != status])
        try:
            await term.client.request(StatusSet(id=0, status=status))
        except RequestError as exc:
            stats.counts[f"status error {exc.error.code}"] += 1
        except ConnectionClosed:
            stats.counts["disconnected"] += 1
            return
        stats.counts["status.set"] += 1
        k += 1


async def mixed(term: Terminal, spec: WorkerSpec, rng: random.Random, timetable: Timetable | None, *,
                window: tuple[float, float], stats: LocationStats) -> None:
    """The line traffic of one terminal: location reports (a train where the timetable puts it, a handset at a
    station, now and then another one) and, if asked, status changes."""
    number = spec.trains.get(term.ident)
    if number is not None and timetable is not None:
        period = spec.train_period

        def where(now: float) -> Location:
            return train_location(timetable, number, spec.service_start + now - window[0])
    else:
        period = spec.location_period
        station = rng.choice(spec.stations)

        def where(now: float) -> Location:
            nonlocal station
            if rng.random() < MOVE_SHARE:
                station = rng.choice(spec.stations)
            return Location(station=station)

    jobs = [report_where(term, period, where, rng, window=window, stats=stats)]
    if spec.status_period > 0:
        jobs.append(set_statuses(term, spec.status_period, random.Random(rng.random()), window=window, stats=stats))
    await asyncio.gather(*jobs)


async def _receive(conn: Connection, timeout: float) -> Any:
    """The next message from the parent, or ("stop",) if none came within ``timeout`` or the pipe broke."""

    def wait() -> Any:
        try:
            return conn.recv() if conn.poll(timeout) else ("stop",)
        except (EOFError, OSError):
            return ("stop",)

    return await asyncio.to_thread(wait)


async def _run(spec: WorkerSpec, conn: Connection) -> None:
    rng = random.Random(spec.seed)
    began = time.perf_counter()
    timetable = load_line(Path(spec.line)).timetable if spec.mode == "mixed" and spec.trains else None
    terminals, failures, heartbeats = await connect_all(spec)
    conn.send(("ready", {"connected": len(terminals), "failures": dict(failures), "heartbeat_ms": sorted(heartbeats),
                         "connect_s": time.perf_counter() - began}))
    try:
        order = await _receive(conn, GO_TIMEOUT)
        if order[0] != "go":
            return
        _, t_start, t_end = order
        await asyncio.sleep(max(0.0, t_start - time.time()))
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        results: dict[str, Any] = {}
        if spec.mode == "talk":
            stats = TalkStats()
            await asyncio.gather(*(talk(t, spec, random.Random(rng.random()), t_end, stats) for t in terminals))
            results.update(counts=dict(stats.counts), granted_ms=stats.granted_ms, granted_at=stats.granted_at,
                           notice_ms=stats.notice_ms)
        elif spec.mode == "mixed":
            located = LocationStats()
            await asyncio.gather(*(mixed(t, spec, random.Random(rng.random()), timetable, window=(t_start, t_end),
                                         stats=located) for t in terminals))
            results.update(counts=dict(located.counts), slip_ms=located.slip_ms)
        else:
            located = LocationStats()
            await asyncio.gather(*(report_locations(t, spec, random.Random(rng.random()), (t_start, t_end), located)
                                   for t in terminals))
            results.update(counts=dict(located.counts), slip_ms=located.slip_ms)
        results["cpu_s"] = cpu_seconds() - cpu0
        results["wall_s"] = time.perf_counter() - wall0
        results["dropped_messages"] = sum(t.client.dropped_messages for t in terminals)
        results["closed_early"] = sum(1 for t in terminals if t.client.closed)
        conn.send(("done", results))
    finally:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(t.close() for t in terminals)), 15.0)


def run_worker(spec: WorkerSpec, conn: Connection) -> None:
    """Process entry point: run the worker; any failure is reported as ("error", traceback)."""
    logging.basicConfig(level=logging.ERROR, format="worker %(process)d %(levelname)s %(name)s: %(message)s")
    try:
        # first: the threads asyncio starts later inherit the CPUs and the nice value
        if spec.cpus:
            pin_process(os.getpid(), spec.cpus)
        lower_priority(spec.nice)
        asyncio.run(_run(spec, conn))
    except BaseException:
        with contextlib.suppress(OSError):
            conn.send(("error", traceback.format_exc()))
        raise
    finally:
        conn.close()


__all__ = ["WorkerSpec", "cpu_seconds", "run_worker"]
