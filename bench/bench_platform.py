"""Floor control and location load on the reference platform (`trunkdesk testbed`), on loopback.

Two measurements in one run, against the platform in its own process on a bench line (the sample line
plus 2,000 handsets and 50 talk groups of 10):

1. talk bursts: 500 terminals in 50 groups request, ack, hold and release the floor; the request → answer
   round trip of immediate grants as the terminals see it (target p99 <= 5 ms), the same requests timed inside
   the platform (socket read → answer written, `trunkdesk testbed --handling-times`), and the platform's CPU
   per 1,000 floor operations;
2. location load: 2,000 terminals send one location report a second; the lag at a connected console
   (arrival − fix_ms), reports delivered vs sent, and the platform's CPU.

The platform is the system under test and the terminals are test equipment: like a lab would, the bench gives
the platform a core of its own (CPU affinity: the platform on the first usable CPU, the load generators and the
console on the others) and runs the load generators at a lower priority (nice 10), so that their scheduling
does not show as the platform's latency (bench/_layout.py). ``--shared-cores`` keeps the old layout (everything
on every core, normal priority), for comparison; the report names the layout and how busy each CPU was.

The terminals are real TDP/1 clients (`TrunkingClient`, answering heartbeats) in worker processes
(bench/_load.py); the console measuring the lag runs in this process. The platform's CPU is read from
/proc/<pid>/stat, also with every session connected and idle (heartbeats only) as a baseline.

Run from the repository root, on a quiet machine: ``.venv/bin/python -m bench.bench_platform`` (about 1.5
minutes; writes its section of docs/benchmarks.md). ``--quick`` for a smoke run that records nothing,
``--output FILE`` to write the section to another file, ``--profile FILE`` runs the platform under cProfile.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import multiprocessing
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._layout import CpuSample, Layout, apply_to_this_process, pin_process, plan
from bench._lines import PROBE_GROUP, PROBE_HANDSET, group_id, handset_id, write_bench_line
from bench._load import WorkerSpec, cpu_seconds, run_worker
from bench._platform_report import CONSOLE_USER, print_profile, report_lines
from bench._report import ROOT, record
from protocols.aio.client import ConnectionClosed, TrunkingClient
from protocols.machines.session_events import Received, SessionEvent
from protocols.messages import FloorAck, FloorRelease, FloorRequest, Hello, LocationUpdate
from testbed.line import SAMPLE_PASSWORD, SAMPLE_TERMINAL_SECRET
from testbed.platform.handling_times import load as load_handling_times

logger = logging.getLogger(__name__)

SECTION = "Platform: floor control and location load"
PER_GROUP = 10
#: nice value of the load generators unless ``--nice`` says otherwise
LOAD_NICE = 10
#: seconds between the latency probe's floor requests (bench/bench_platform.py `Probe`)
PROBE_PERIOD = 0.05
#: seconds for the platform to print its listening line, for workers to connect, to finish after the window
START_TIMEOUT = 30.0
READY_TIMEOUT = 90.0
DONE_TIMEOUT = 30.0


class BenchError(RuntimeError):
    """The benchmark could not run (platform did not start, a worker failed, ...)."""


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile (nan for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# ----- the platform process ----------------------------------------------------------------------


class PlatformProcess:
    """`trunkdesk testbed --no-terminals` on a line file, its URL, its CPU time, its log."""

    def __init__(self, line: Path, log: Path, *, profile: Path | None = None, handling_times: Path | None = None,
                 cpus: tuple[int, ...] = ()) -> None:
        command = [sys.executable]
        if profile is not None:
            command += ["-m", "cProfile", "-o", str(profile)]
        command += ["-m", "console.cli", "testbed", "--no-terminals", "--port", "0", "--quiet", "--line", str(line)]
        if handling_times is not None:
            command += ["--handling-times", str(handling_times)]
        #: where the platform writes its own timing of each request on stop (None: it does not time them)
        self.handling_times = handling_times
        self.log = log
        self._log_file = log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=self._log_file, text=True)
        self.pid = self.process.pid
        self._ticks = os.sysconf("SC_CLK_TCK")
        #: CPUs the platform is pinned to (empty: not pinned), and why pinning failed if it did
        self.cpus = cpus
        self.pin_problem = pin_process(self.pid, cpus) if cpus else ""

    def pin_again(self) -> None:
        """Pin the threads the platform started since (threads inherit from the thread that starts them, so this
        only matters for any started before the first pin took)."""
        if self.cpus and not self.pin_problem:
            self.pin_problem = pin_process(self.pid, self.cpus)

    def url(self, timeout: float = START_TIMEOUT) -> str:
        """Wait for the ``listening ws://...`` line the testbed prints first."""
        stdout = self.process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], timeout)
        first = stdout.readline().strip() if ready else ""
        if not first.startswith("listening ws://"):
            raise BenchError(f"platform did not start (first line {first!r}); log: {self.log_tail()}")
        self.pin_again()
        return first.split(" ", 1)[1]

    def cpu_seconds(self) -> float:
        """User + system CPU time of the platform process so far (from /proc/<pid>/stat)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            raise BenchError(f"platform process {self.pid} is gone; log: {self.log_tail()}") from None
        return (int(fields[11]) + int(fields[12])) / self._ticks  # utime, stime: fields 14, 15 of stat(5)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGINT (a clean stop, which also writes the profile), then SIGTERM, then SIGKILL."""
        try:
            for stop in (self._interrupt, self.process.terminate, self.process.kill):
                if self.process.poll() is not None:
                    break
                stop()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout)
            return self.process.poll()
        finally:
            if self.process.stdout is not None:
                self.process.stdout.close()
            self._log_file.close()

    def _interrupt(self) -> None:
        self.process.send_signal(signal.SIGINT)

    def log_tail(self, lines: int = 8) -> str:
        with contextlib.suppress(OSError):
            return " | ".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        return ""


LOG_LINE = re.compile(r"^\S+ \S+ (?P<level>WARNING|ERROR|CRITICAL) (?P<name>[\w.]+): (?P<message>.*)$")


def log_problems(text: str) -> dict[str, tuple[int, str]]:
    """Warnings and errors in the platform's log: message shape -> (how many, the first one in full)."""
    found: dict[str, tuple[int, str]] = {}
    for line in text.splitlines():
        if match := LOG_LINE.match(line):
            example = f"{match['level']} {match['name']}: {match['message']}"
            shape = re.sub(r"<Connection [^>]*>|\d+(\.\d+)?", "#", example)
        elif line.startswith("Traceback"):
            shape = example = "Traceback (see the platform log)"
        else:
            continue
        count, first = found.get(shape, (0, example))
        found[shape] = (count + 1, first)
    return found


# ----- worker processes ----------------------------------------------------------------------------


@dataclass
class Phase:
    """What one load phase measured."""

    ready: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    idle_cpu_pct: float = math.nan
    cpu_s: float = 0.0
    wall_s: float = 0.0
    t_start: float = 0.0
    t_end: float = 0.0
    #: busy share (0-1) of each CPU during the window, the share of one CPU stolen by a hypervisor, and the
    #: bench process's own CPU seconds in the window (the console): to tell the platform from the rest
    cpu_busy: dict[int, float] = field(default_factory=dict)
    steal: float = 0.0
    bench_cpu_s: float = 0.0

    def count(self, name: str) -> int:
        return sum(r["counts"].get(name, 0) for r in self.results)

    def values(self, name: str) -> list[float]:
        return [v for r in self.results for v in r[name]]

    @property
    def connected(self) -> int:
        return sum(r["connected"] for r in self.ready)

    def heartbeats(self) -> list[int]:
        return sorted({h for r in self.ready for h in r["heartbeat_ms"]})

    def failures(self) -> Counter[str]:
        return sum((Counter(r["failures"]) for r in self.ready), Counter())

    def worker_cpu(self) -> str:
        return ", ".join(f"{r['cpu_s'] / r['wall_s'] * 100:.0f} %" for r in self.results if r["wall_s"] > 0)


async def _receive(conn: Connection, timeout: float, what: str) -> tuple[Any, ...]:
    """The next message of a worker; BenchError when it fails, dies or stays silent."""

    def wait() -> tuple[Any, ...]:
        try:
            if conn.poll(timeout):
                message: tuple[Any, ...] = conn.recv()
                return message
        except (EOFError, OSError):
            return ("error", "worker exited without a word")
        return ("error", f"no {what} within {timeout:.0f} s")

    message = await asyncio.to_thread(wait)
    if message[0] == "error":
        raise BenchError(f"load worker failed ({what}): {message[1]}")
    return message


@contextlib.contextmanager
def workers(specs: Sequence[WorkerSpec]) -> Iterator[list[Connection]]:
    """Start one spawned process per spec; always end them (join, then terminate, then kill)."""
    context = multiprocessing.get_context("spawn")
    processes: list[multiprocessing.process.BaseProcess] = []
    conns: list[Connection] = []
    try:
        for spec in specs:
            mine, theirs = context.Pipe()
            process = context.Process(target=run_worker, args=(spec, theirs), name=f"bench-{spec.mode}", daemon=True)
            process.start()
            theirs.close()
            processes.append(process)
            conns.append(mine)
        yield conns
    finally:
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.send(("stop",))
        deadline = time.monotonic() + 20.0
        for worker in processes:
            worker.join(max(0.1, deadline - time.monotonic()))
        for worker in processes:
            if worker.is_alive():
                worker.terminate()
                worker.join(3.0)
            if worker.is_alive():
                worker.kill()
                worker.join(3.0)
        for conn in conns:
            conn.close()


@contextlib.asynccontextmanager
async def running_workers(specs: Sequence[WorkerSpec]) -> AsyncIterator[list[Connection]]:
    """`workers` for a coroutine: ending them (joining, up to 20 s while they close their terminals) happens in
    a thread, so that this process's event loop keeps answering the console's heartbeats meanwhile (blocked, the
    platform drops the console as silent and the next phase measures no lag)."""
    manager = workers(specs)
    conns = manager.__enter__()
    try:
        yield conns
    finally:
        await asyncio.to_thread(manager.__exit__, None, None, None)


async def run_phase(platform: PlatformProcess, specs: Sequence[WorkerSpec], *, idle: float, duration: float) -> Phase:
    """Connect the workers' terminals, measure the idle baseline, drive the load for ``duration`` s."""
    phase = Phase()
    async with running_workers(specs) as conns:
        for conn in conns:
            phase.ready.append((await _receive(conn, READY_TIMEOUT, "ready"))[1])
        await asyncio.sleep(1.0)  # let the registrations' presence updates settle
        cpu0 = platform.cpu_seconds()
        await asyncio.sleep(idle)
        phase.idle_cpu_pct = (platform.cpu_seconds() - cpu0) / idle * 100
        phase.t_start = time.time() + 0.5
        phase.t_end = phase.t_start + duration
        for conn in conns:
            conn.send(("go", phase.t_start, phase.t_end))
        await asyncio.sleep(phase.t_start - time.time())
        cpu0, wall0, machine0, bench0 = platform.cpu_seconds(), time.perf_counter(), CpuSample.now(), cpu_seconds()
        await asyncio.sleep(max(0.0, phase.t_end - time.time()))
        phase.cpu_s, phase.wall_s = platform.cpu_seconds() - cpu0, time.perf_counter() - wall0
        machine = CpuSample.now()
        phase.cpu_busy = machine.busy_since(machine0, phase.wall_s)
        phase.steal = machine.steal_since(machine0, phase.wall_s)
        phase.bench_cpu_s = cpu_seconds() - bench0
        for conn in conns:
            phase.results.append((await _receive(conn, DONE_TIMEOUT, "results"))[1])
    return phase


def split(items: Sequence[str], parts: int) -> list[tuple[str, ...]]:
    """``items`` dealt round-robin into ``parts`` tuples."""
    return [tuple(items[i::parts]) for i in range(parts)]


# ----- the console ------------------------------------------------------------------------------------


class Drained:
    """A bench client whose messages are read (and dropped) as they come, so that its session never backs up."""

    def __init__(self, client: TrunkingClient) -> None:
        self.client = client
        self._drain = asyncio.get_running_loop().create_task(self._drain_messages())

    async def _drain_messages(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await self.client.next_message()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.close(), 5.0)
        self._drain.cancel()
        with contextlib.suppress(BaseException):
            await self._drain


class Console(Drained):
    """The `chief` console: records when each location update arrives, drains everything else."""

    def __init__(self, client: TrunkingClient) -> None:
        #: (arrival unix ms, fix_ms) of every location update
        self.locations: list[tuple[float, int]] = []
        client.on_event = self._tap
        super().__init__(client)

    @classmethod
    async def connect(cls, url: str) -> Console:
        hello = Hello(id=0, versions=[1], role="console", ident=CONSOLE_USER, secret=SAMPLE_PASSWORD, agent="bench")
        return cls(await TrunkingClient.connect(url, hello, queue_size=100_000))

    def _tap(self, event: SessionEvent) -> None:
        if isinstance(event, Received) and isinstance(event.message, LocationUpdate):
            self.locations.append((time.time() * 1000, event.message.fix_ms))

    async def settle(self, quiet: float = 1.0, limit: float = 10.0) -> None:
        """Wait until no location update arrived for ``quiet`` s (at most ``limit`` s)."""
        deadline = time.monotonic() + limit
        seen = -1
        while len(self.locations) != seen and time.monotonic() < deadline:
            seen = len(self.locations)
            await asyncio.sleep(quiet)


class Probe(Drained):
    """The latency probe: one bench handset alone in a talk group, in this process at normal priority, asking for
    the floor every ``period`` s while the load runs (a lab's probe beside its load generators): its round trips
    are what a terminal that is not itself overloaded sees of the platform under that load."""

    def __init__(self, client: TrunkingClient, period: float) -> None:
        self.client = client
        self.period = period
        #: (unix time of the request, round trip ms) of every immediate grant
        self.grants: list[tuple[float, float]] = []
        self.other = 0
        super().__init__(client)

    @classmethod
    async def connect(cls, url: str, period: float) -> Probe:
        hello = Hello(id=0, versions=[1], role="terminal", ident=PROBE_HANDSET, terminal_kind="handset",
                      secret=SAMPLE_TERMINAL_SECRET, agent="bench-probe")
        return cls(await TrunkingClient.connect(url, hello), period)

    async def run(self) -> None:
        """Until cancelled (or the session ends)."""
        burst = 0
        with contextlib.suppress(ConnectionClosed):
            while True:
                burst += 1
                at, started = time.time(), time.perf_counter()
                answer = await self.client.request(FloorRequest(id=0, key=f"probe:{burst}", group=PROBE_GROUP))
                took = (time.perf_counter() - started) * 1000
                call = str(answer.result.get("call"))
                if answer.result.get("outcome") == "granted":
                    self.grants.append((at, took))
                    self.client.notify(FloorAck(call=call))
                else:
                    self.other += 1
                await self.client.request(FloorRelease(id=0, key=f"probe:{burst}:release", call=call))
                await asyncio.sleep(self.period)


# ----- the run -------------------------------------------------------------------------------------------


@dataclass
class Settings:
    terminals: int
    groups: int
    duration: float
    locations: int
    location_duration: float
    idle: float
    workers: int
    seed: int
    concurrency: int
    profile: Path | None
    #: where the platform and the load run (bench/_layout.py)
    layout: Layout = field(default_factory=lambda: plan(shared=True, nice=0))
    #: the platform times its requests itself (``--handling-times``)
    platform_times: bool = True


@dataclass
class Outcome:
    settings: Settings
    talk: Phase
    location: Phase
    lags: list[tuple[float, float]]  # (fix unix s, lag ms) of the location phase's reports
    console_heartbeat_ms: int
    problems: dict[str, tuple[int, str]]
    load_average: tuple[float, float, float]
    load_average_end: tuple[float, float, float]
    #: the layout in effect (the planned one, or unpinned with a note when pinning the platform failed)
    layout: Layout
    #: the platform's own timing: request kind -> span -> µs -> count (None: not measured)
    handling: dict[str, dict[str, Counter[int]]] | None
    #: the console's session was closed before the end (e.g. its heartbeats starved on a busy machine)
    console_lost: bool = False
    #: the probe's round trips (ms) of immediate grants inside the talk window, and its period (s)
    probe_ms: list[float] = field(default_factory=list)
    probe_period: float = 0.0


async def measure(settings: Settings, folder: Path) -> Outcome:
    """Run both phases against one platform process; always stop it."""
    handsets = max(settings.terminals, settings.locations)
    line_path, line = write_bench_line(folder, handsets, settings.groups, settings.terminals // settings.groups)
    stations = tuple(s.code for s in line.stations)
    talkers = [handset_id(n) for n in range(1, settings.terminals + 1)]
    per_group = settings.terminals // settings.groups
    group_of = {t: group_id(i // per_group + 1) for i, t in enumerate(talkers)}
    reporters = [handset_id(n) for n in range(1, settings.locations + 1)]
    concurrency = max(1, settings.concurrency // settings.workers)
    load_average = os.getloadavg()
    layout = settings.layout
    platform = PlatformProcess(line_path, folder / "platform.log", profile=settings.profile,
                               handling_times=folder / "handling-times.json" if settings.platform_times else None,
                               cpus=layout.sut_cpus)
    console: Console | None = None
    try:
        url = platform.url()
        if platform.pin_problem:
            layout = Layout(False, (), (), layout.nice, note=platform.pin_problem)
            logger.warning("the platform runs unpinned: %s", platform.pin_problem)
        print(f"platform pid {platform.pid} on {url}; line: {len(line.terminals)} terminals, {len(line.groups)} groups",
              flush=True)
        print(f"layout: {layout.describe('platform', 'load generators and console')}", flush=True)
        console = await Console.connect(url)
        talk_specs = [
            WorkerSpec(url=url, terminals=part, secret=SAMPLE_TERMINAL_SECRET, mode="talk",
                       seed=settings.seed * 100 + i, concurrency=concurrency, group_of={t: group_of[t] for t in part},
                       cpus=layout.load_cpus, nice=layout.nice)
            for i, part in enumerate(split(talkers, settings.workers))
        ]
        print(f"talk bursts: {settings.terminals} terminals, {settings.duration:.0f} s ...", flush=True)
        probe = await Probe.connect(url, PROBE_PERIOD)
        probing = asyncio.get_running_loop().create_task(probe.run())
        try:
            talk = await run_phase(platform, talk_specs, idle=settings.idle, duration=settings.duration)
        finally:
            probing.cancel()
            with contextlib.suppress(BaseException):
                await probing
            await probe.close()
        probe_ms = [ms for at, ms in probe.grants if talk.t_start <= at <= talk.t_end]
        location_specs = [
            WorkerSpec(url=url, terminals=part, secret=SAMPLE_TERMINAL_SECRET, mode="location",
                       seed=settings.seed * 100 + 50 + i, concurrency=concurrency, stations=stations,
                       cpus=layout.load_cpus, nice=layout.nice)
            for i, part in enumerate(split(reporters, settings.workers))
        ]
        print(f"location load: {settings.locations} terminals, {settings.location_duration:.0f} s ...", flush=True)
        location = await run_phase(platform, location_specs, idle=settings.idle, duration=settings.location_duration)
        await console.settle()
        low = math.floor(location.t_start * 1000)  # every report of the phase: they are sent inside its window
        lags = [(fix / 1000, arrival - fix) for arrival, fix in console.locations if fix >= low]
        heartbeat = console.client.welcome.heartbeat_ms
        console_lost = console.client.closed
    finally:
        if console is not None:
            await console.close()
        code = platform.stop()
        if code not in (0, None):
            logger.warning("platform exited with %s", code)
    problems = log_problems(platform.log.read_text(encoding="utf-8", errors="replace"))
    handling = None
    if platform.handling_times is not None:
        try:
            handling = load_handling_times(platform.handling_times)
        except (OSError, ValueError) as exc:
            logger.warning("no platform-side timing: %s", exc)
    return Outcome(settings, talk, location, lags, heartbeat, problems, load_average, os.getloadavg(), layout,
                   handling, console_lost, probe_ms, PROBE_PERIOD)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--terminals", type=int, default=500, help="talk-burst terminals (default 500)")
    parser.add_argument("--groups", type=int, default=50, help="talk groups they are spread over (default 50)")
    parser.add_argument("--duration", type=float, default=20.0, help="talk-burst seconds (default 20)")
    parser.add_argument("--locations", type=int, default=2000, help="location-reporting terminals (default 2000)")
    parser.add_argument("--location-duration", type=float, default=20.0, help="location seconds (default 20)")
    parser.add_argument("--idle", type=float, default=3.0, help="seconds of idle CPU baseline per phase (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="load-generator processes (default 2)")
    parser.add_argument("--concurrency", type=int, default=50, help="connections opened at a time (default 50)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the pauses and hold times")
    parser.add_argument("--profile", type=Path, default=None, help="run the platform under cProfile, write FILE")
    parser.add_argument("--shared-cores", action="store_true",
                        help="the old layout: platform, load generators and console on every core at normal priority "
                             "(default: the platform alone on the first CPU, the rest on the others, generators niced)")
    parser.add_argument("--nice", type=int, default=LOAD_NICE,
                        help=f"nice value added to the load generators (default {LOAD_NICE}; not with --shared-cores)")
    parser.add_argument("--no-platform-times", dest="platform_times", action="store_false",
                        help="do not have the platform time its requests (the platform-side figures are then n/a)")
    parser.add_argument("--output", type=Path, default=None,
                        help="write the report section to this file instead of docs/benchmarks.md (also with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="small numbers, a few seconds each; records nothing unless --output is given")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.quick:
        args.terminals, args.groups, args.duration = 40, 4, 4.0
        args.locations, args.location_duration, args.idle = 100, 4.0, 1.0
    if args.groups < 1 or args.terminals < args.groups or args.workers < 1:
        parser.error("need at least one group, one terminal per group and one worker")
    if args.nice < 0:
        parser.error("--nice is what the load generators add to their nice value: 0 or more")
    # before any thread or child exists: they inherit this process's CPUs (the load's, when the platform gets
    # a core of its own)
    all_cpus = tuple(sorted(os.sched_getaffinity(0)))
    layout = apply_to_this_process(plan(shared=args.shared_cores, nice=args.nice))
    settings = Settings(args.terminals, args.groups, args.duration, args.locations, args.location_duration,
                        args.idle, args.workers, args.seed, args.concurrency,
                        args.profile.resolve() if args.profile else None, layout, args.platform_times)
    started, cpu0 = time.perf_counter(), cpu_seconds()
    with tempfile.TemporaryDirectory(prefix="bench-platform-") as folder:
        try:
            outcome = asyncio.run(measure(settings, Path(folder)))
        except BenchError as exc:
            print(f"bench_platform: {exc}", file=sys.stderr)
            return 1
    if layout.pinned:  # back on every CPU: the report's machine facts count the CPUs this process may use
        pin_process(os.getpid(), all_cpus)
    lines = report_lines(outcome)
    print("\n".join(lines))
    print(f"\n(run took {time.perf_counter() - started:.0f} s; bench process CPU {cpu_seconds() - cpu0:.1f} s)")
    if settings.profile is not None:
        print_profile(settings.profile)
    if args.output is not None:
        record(SECTION, lines, path=args.output.resolve())
        print(f"recorded in {args.output}")
    elif not args.quick:
        record(SECTION, lines)
        print("recorded in docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
