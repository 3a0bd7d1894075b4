"""Floor control and location load on the reference platform (`trunkdesk testbed`), on loopback.

Two measurements in one run, against the platform in its own process on a bench line (the sample line
plus 2,000 handsets and 50 talk groups of 10):

1. talk bursts: 500 terminals in 50 groups request, ack, hold and release the floor; the request → answer
   round trip of immediate grants (target p99 <= 5 ms) and the platform's CPU per 1,000 floor operations;
2. location load: 2,000 terminals send one location report a second; the lag at a connected console
   (arrival − fix_ms), reports delivered vs sent, and the platform's CPU.

The terminals are real TDP/1 clients (`TrunkingClient`, answering heartbeats) in worker processes
(bench/_load.py); the console measuring the lag runs in this process. The platform's CPU is read from
/proc/<pid>/stat, also with every session connected and idle (heartbeats only) as a baseline.

Run from the repository root: ``.venv/bin/python -m bench.bench_platform`` (about 1.5 minutes; ``--quick``
for a smoke run that records nothing; ``--profile FILE`` runs the platform under cProfile).
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._lines import group_id, handset_id, write_bench_line
from bench._load import WorkerSpec, cpu_seconds, run_worker
from bench._report import ROOT, record
from protocols.aio.client import ConnectionClosed, TrunkingClient
from protocols.machines.session_events import Received, SessionEvent
from protocols.messages import Hello, LocationUpdate
from testbed.line import SAMPLE_PASSWORD, SAMPLE_TERMINAL_SECRET

logger = logging.getLogger(__name__)

SECTION = "Platform: floor control and location load"
#: target of the floor request → grant round trip on loopback, milliseconds
TARGET_P99_MS = 5.0
PER_GROUP = 10
CONSOLE_USER = "chief"
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

    def __init__(self, line: Path, log: Path, *, profile: Path | None = None) -> None:
        command = [sys.executable]
        if profile is not None:
            command += ["-m", "cProfile", "-o", str(profile)]
        command += ["-m", "console.cli", "testbed", "--no-terminals", "--port", "0", "--quiet", "--line", str(line)]
        self.log = log
        self._log_file = log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=self._log_file, text=True)
        self.pid = self.process.pid
        self._ticks = os.sysconf("SC_CLK_TCK")

    def url(self, timeout: float = START_TIMEOUT) -> str:
        """Wait for the ``listening ws://...`` line the testbed prints first."""
        stdout = self.process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], timeout)
        first = stdout.readline().strip() if ready else ""
        if not first.startswith("listening ws://"):
            raise BenchError(f"platform did not start (first line {first!r}); log: {self.log_tail()}")
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


async def run_phase(platform: PlatformProcess, specs: Sequence[WorkerSpec], *, idle: float, duration: float) -> Phase:
    """Connect the workers' terminals, measure the idle baseline, drive the load for ``duration`` s."""
    phase = Phase()
    with workers(specs) as conns:
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
        cpu0, wall0 = platform.cpu_seconds(), time.perf_counter()
        await asyncio.sleep(max(0.0, phase.t_end - time.time()))
        phase.cpu_s, phase.wall_s = platform.cpu_seconds() - cpu0, time.perf_counter() - wall0
        for conn in conns:
            phase.results.append((await _receive(conn, DONE_TIMEOUT, "results"))[1])
    return phase


def split(items: Sequence[str], parts: int) -> list[tuple[str, ...]]:
    """``items`` dealt round-robin into ``parts`` tuples."""
    return [tuple(items[i::parts]) for i in range(parts)]


# ----- the console ------------------------------------------------------------------------------------


class Console:
    """The `chief` console: records when each location update arrives, drains everything else."""

    def __init__(self, client: TrunkingClient) -> None:
        self.client = client
        #: (arrival unix ms, fix_ms) of every location update
        self.locations: list[tuple[float, int]] = []
        client.on_event = self._tap
        self._drain = asyncio.get_running_loop().create_task(self._drain_messages())

    @classmethod
    async def connect(cls, url: str) -> Console:
        hello = Hello(id=0, versions=[1], role="console", ident=CONSOLE_USER, secret=SAMPLE_PASSWORD, agent="bench")
        return cls(await TrunkingClient.connect(url, hello, queue_size=100_000))

    def _tap(self, event: SessionEvent) -> None:
        if isinstance(event, Received) and isinstance(event.message, LocationUpdate):
            self.locations.append((time.time() * 1000, event.message.fix_ms))

    async def _drain_messages(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await self.client.next_message()

    async def settle(self, quiet: float = 1.0, limit: float = 10.0) -> None:
        """Wait until no location update arrived for ``quiet`` s (at most ``limit`` s)."""
        deadline = time.monotonic() + limit
        seen = -1
        while len(self.locations) != seen and time.monotonic() < deadline:
            seen = len(self.locations)
            await asyncio.sleep(quiet)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.close(), 5.0)
        self._drain.cancel()
        with contextlib.suppress(BaseException):
            await self._drain


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


@dataclass
class Outcome:
    settings: Settings
    talk: Phase
    location: Phase
    lags: list[tuple[float, float]]  # (fix unix s, lag ms) of the location phase's reports
    console_heartbeat_ms: int
    problems: dict[str, tuple[int, str]]
    load_average: tuple[float, float, float]


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
    platform = PlatformProcess(line_path, folder / "platform.log", profile=settings.profile)
    console: Console | None = None
    try:
        url = platform.url()
        print(f"platform pid {platform.pid} on {url}; line: {len(line.terminals)} terminals, {len(line.groups)} groups",
              flush=True)
        console = await Console.connect(url)
        talk_specs = [
            WorkerSpec(url=url, terminals=part, secret=SAMPLE_TERMINAL_SECRET, mode="talk",
                       seed=settings.seed * 100 + i, concurrency=concurrency, group_of={t: group_of[t] for t in part})
            for i, part in enumerate(split(talkers, settings.workers))
        ]
        print(f"talk bursts: {settings.terminals} terminals, {settings.duration:.0f} s ...", flush=True)
        talk = await run_phase(platform, talk_specs, idle=settings.idle, duration=settings.duration)
        location_specs = [
            WorkerSpec(url=url, terminals=part, secret=SAMPLE_TERMINAL_SECRET, mode="location",
                       seed=settings.seed * 100 + 50 + i, concurrency=concurrency, stations=stations)
            for i, part in enumerate(split(reporters, settings.workers))
        ]
        print(f"location load: {settings.locations} terminals, {settings.location_duration:.0f} s ...", flush=True)
        location = await run_phase(platform, location_specs, idle=settings.idle, duration=settings.location_duration)
        await console.settle()
        low = math.floor(location.t_start * 1000)  # every report of the phase: they are sent inside its window
        lags = [(fix / 1000, arrival - fix) for arrival, fix in console.locations if fix >= low]
        heartbeat = console.client.welcome.heartbeat_ms
    finally:
        if console is not None:
            await console.close()
        code = platform.stop()
        if code not in (0, None):
            logger.warning("platform exited with %s", code)
    problems = log_problems(platform.log.read_text(encoding="utf-8", errors="replace"))
    return Outcome(settings, talk, location, lags, heartbeat, problems, load_average)


# ----- the report ----------------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f} ms" if value < 10 else f"{value:,.0f} ms"


def _phase_facts(phase: Phase) -> str:
    failed = phase.failures()
    closed = sum(r["closed_early"] for r in phase.results)
    text = f"{phase.connected} connected"
    if failed:
        text += f", {sum(failed.values())} failed to connect ({'; '.join(f'{n}× {k}' for k, n in failed.items())})"
    text += f"; {closed} sessions lost during the load" if closed else "; no session lost during the load"
    return text


def talk_lines(out: Outcome) -> list[str]:
    s, phase = out.settings, out.talk
    granted = phase.values("granted_ms")
    notice = phase.values("notice_ms")
    p50, p99 = percentile(granted, 50), percentile(granted, 99)
    met = "met" if p99 <= TARGET_P99_MS else "NOT met"
    requests, acks, releases = phase.count("floor.request"), phase.count("floor.ack"), phase.count("floor.release")
    ops = requests + acks + releases
    window = phase.wall_s
    idle_cpu_s = phase.idle_cpu_pct / 100 * window
    per_k = phase.cpu_s / ops * 1000 if ops else math.nan
    net_per_k = (phase.cpu_s - idle_cpu_s) / ops * 1000 if ops else math.nan
    totals = sum((Counter(r["counts"]) for r in phase.results), Counter())
    others = {k: v for k, v in sorted(totals.items())
              if k.startswith(("error", "outcome", "release error", "grant notice", "disconnected"))}
    return [
        f"### Talk bursts: {s.terminals} terminals in {s.groups} groups of {s.terminals // s.groups}, "
        f"{s.duration:.0f} s",
        "",
        f"Each terminal loops: pause {_span(0.5, 3.0)} s, `floor.request` (group), on `granted` `floor.ack` when "
        "`floor.granted` arrives, hold 0.2-1.0 s, `floor.release`; when queued, it waits 0.3 s for the floor "
        "and otherwise leaves the queue with `floor.release`.",
        "",
        f"**floor.request → answer `granted`: p50 {_ms(p50)}, p99 {_ms(p99)} over {len(granted):,} immediate grants "
        f"(target p99 ≤ {TARGET_P99_MS:.0f} ms: {met}).**",
        "",
        f"- requests {requests:,}: granted at once {phase.count('granted'):,}, queued {phase.count('queued'):,} "
        f"(then granted from the queue {phase.count('granted from the queue'):,}, left the queue "
        f"{phase.count('left the queue'):,}), denied {phase.count('denied'):,}"
        + (f"; also {others}" if others else ""),
        f"- floor.request → `floor.granted` notification (immediate grants): p50 {_ms(percentile(notice, 50))}, "
        f"p99 {_ms(percentile(notice, 99))}, max {_ms(max(notice, default=math.nan))}",
        f"- floor operations handled: {ops:,} ({requests:,} request + {acks:,} ack + {releases:,} release) in "
        f"{window:.1f} s = {ops / window:,.0f} ops/s",
        f"- **platform CPU: {per_k:.3f} CPU-s per 1,000 floor operations** ({phase.cpu_s:.2f} CPU-s, "
        f"{phase.cpu_s / window * 100:.0f} % of one core, heartbeats included); net of the idle baseline "
        f"({phase.idle_cpu_pct:.0f} % with the {phase.connected} sessions connected and idle): {net_per_k:.3f} "
        "CPU-s per 1,000",
        f"- terminals: {_phase_facts(phase)}; load workers' CPU: {phase.worker_cpu()}",
    ]


def _span(low: float, high: float) -> str:
    return f"{low:g}-{high:g}"


def location_lines(out: Outcome) -> list[str]:
    s, phase = out.settings, out.location
    lag = [ms for _, ms in out.lags]
    sent = phase.count("location.report")
    window = phase.wall_s
    buckets: dict[int, list[float]] = {}
    last = max(0, math.ceil(s.location_duration / 5) - 1)  # reports sent just after the window count in the last
    for fix, ms in out.lags:
        buckets.setdefault(min(last, int((fix - phase.t_start) // 5)), []).append(ms)
    trend = ", ".join(f"{_ms(percentile(v, 50))} / {_ms(max(v))}" for _, v in sorted(buckets.items()))
    slips = phase.values("slip_ms")
    return [
        f"### Location load: {s.locations:,} terminals × 1 report/s, {s.location_duration:.0f} s",
        "",
        "Each terminal sends `location.report` once a second (random phase) with `fix_ms` = its send time; the "
        f"`{CONSOLE_USER}` console (in the bench process) stamps each `location` update on arrival.",
        "",
        f"**lag at the console (arrival − fix_ms): p50 {_ms(percentile(lag, 50))}, p99 {_ms(percentile(lag, 99))}, "
        f"max {_ms(max(lag, default=math.nan))}.**",
        "",
        f"- reports sent {sent / window:,.0f}/s ({sent:,}), delivered to the console {len(lag) / window:,.0f}/s "
        f"({len(lag):,}, {len(lag) / sent * 100 if sent else math.nan:.1f} %)",
        f"- lag p50 / max in each 5 s of the run: {trend}",
        f"- **platform CPU: {phase.cpu_s / window * 100:.0f} % of one core** ({phase.cpu_s:.1f} CPU-s in "
        f"{window:.1f} s); idle baseline with the {phase.connected:,} sessions connected: "
        f"{phase.idle_cpu_pct:.0f} %",
        f"- terminals: {_phase_facts(phase)}; late sends (generator behind schedule) p99 "
        f"{_ms(percentile(slips, 99))}; load workers' CPU: {phase.worker_cpu()}",
    ]


def report_lines(out: Outcome) -> list[str]:
    s = out.settings
    terminal_hb = sorted(set(out.talk.heartbeats()) | set(out.location.heartbeats()))
    hb = ", ".join(f"{h} ms" for h in terminal_hb) or "n/a"
    lines = [
        f"Reference platform (`trunkdesk testbed --no-terminals`) in its own process on 127.0.0.1, on a bench line: "
        f"the sample line plus {max(s.terminals, s.locations):,} handsets and {s.groups} talk groups. Terminals are "
        f"real TDP/1 clients (`TrunkingClient`) in {s.workers} worker processes; one `{CONSOLE_USER}` console in the "
        f"bench process. Heartbeats in effect (`welcome.heartbeat_ms`, both directions): terminals {hb}, console "
        f"{out.console_heartbeat_ms} ms. All on the same {os.cpu_count()} cores (load average "
        f"{out.load_average[0]:.1f} at the start)" + (", platform under cProfile (slower)." if s.profile else "."),
        "",
        *talk_lines(out),
        "",
        *location_lines(out),
    ]
    if out.problems:
        lines += ["", "### Platform log: warnings and errors", ""]
        worst = sorted(out.problems.values(), key=lambda item: -item[0])[:8]
        lines += [f"- {n:,}×, the first: `{example[:160]}`" for n, example in worst]
    return lines


def print_profile(path: Path, top: int = 20) -> None:
    """The platform's hottest functions by own time."""
    import pstats

    if not path.exists():
        print(f"no profile written to {path}")
        return
    print(f"\nplatform profile ({path}), top {top} by own time:")
    pstats.Stats(str(path)).sort_stats("tottime").print_stats(top)


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
    parser.add_argument("--quick", action="store_true", help="small numbers, a few seconds each; records nothing")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.quick:
        args.terminals, args.groups, args.duration = 40, 4, 4.0
        args.locations, args.location_duration, args.idle = 100, 4.0, 1.0
    if args.groups < 1 or args.terminals < args.groups or args.workers < 1:
        parser.error("need at least one group, one terminal per group and one worker")
    settings = Settings(args.terminals, args.groups, args.duration, args.locations, args.location_duration,
                        args.idle, args.workers, args.seed, args.concurrency,
                        args.profile.resolve() if args.profile else None)
    started, cpu0 = time.perf_counter(), cpu_seconds()
    with tempfile.TemporaryDirectory(prefix="bench-platform-") as folder:
        try:
            outcome = asyncio.run(measure(settings, Path(folder)))
        except BenchError as exc:
            print(f"bench_platform: {exc}", file=sys.stderr)
            return 1
    lines = report_lines(outcome)
    print("\n".join(lines))
    print(f"\n(run took {time.perf_counter() - started:.0f} s; bench process CPU {cpu_seconds() - cpu0:.1f} s)")
    if settings.profile is not None:
        print_profile(settings.profile)
    if not args.quick:
        record(SECTION, lines)
        print("recorded in docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
