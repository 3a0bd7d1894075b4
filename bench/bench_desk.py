"""The dispatch desk under line load: Qt event-loop latency and the desk's CPU with 2,000 terminals reporting.

The reference platform (`trunkdesk testbed --no-terminals`) runs in its own process on a bench line (the sample
line plus the bench handsets); the real desk (`DeskWindow` with every pane, through `Desk` and `DeskSession` as
`trunkdesk` starts it, offscreen Qt) runs in another, signed in as `chief` (bench/_desk.py); 2,000 terminals
(the 20 train radios and bench handsets) are real TDP/1 clients in load-worker processes (bench/_load.py, mode
``mixed``) sending 500 updates a second: location reports (80 %; trains once a second where the timetable puts
them, handsets at a station, now and then another) and status changes (20 %, `status.set`).

A probe in the desk (a 10 ms timer) measures how late the GUI thread serves a due event: p50/p99/max and freezes
(gaps over 200 ms; target p99 < 50 ms, no freezes), with the desk's CPU and memory, in four windows: the desk
alone, while the terminals register, all online and idle (the baseline), and under load. A screenshot of the
desk under load goes to docs/screenshots/desk-under-load.png.

Run from the repository root: ``.venv/bin/python -m bench.bench_desk`` (about 2 minutes; ``--quick`` for a smoke
run that records nothing; ``--profile FILE`` profiles the desk's GUI thread under load and prints the top,
recording nothing either).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._desk import FREEZE_GAP, HANDSET_FILTER, PROBE_PERIOD, DeskRun, run_desk_process
from bench._desk_process import DeskFailed, DeskProcess
from bench._lines import handset_id, write_bench_line
from bench._load import MOVE_SHARE, STATUS_CODES, WorkerSpec
from bench._report import ROOT, record
from bench.bench_platform import (
    DONE_TIMEOUT,
    READY_TIMEOUT,
    BenchError,
    Phase,
    PlatformProcess,
    _receive,
    log_problems,
    percentile,
    split,
    workers,
)
from protocols.messages import TerminalKind
from testbed.line import SAMPLE_PASSWORD, SAMPLE_TERMINAL_SECRET

logger = logging.getLogger(__name__)

SECTION = "Desk: event-loop latency under load"
TARGET_P99_MS = 50.0
DESK_USER = "chief"
SCREENSHOT = ROOT / "docs" / "screenshots" / "desk-under-load.png"
#: where ``--quick`` puts its screenshot (it records nothing in the repository)
QUICK_SHOT = Path(tempfile.gettempdir()) / "bench-desk-quick.png"
#: share of the updates that are location reports (the rest are status changes)
LOCATION_SHARE = 0.8
#: at most this many train radios among the terminals, and at most this share of the location reports
TRAINS_MAX = 20
TRAIN_SHARE_MAX = 0.5
#: seconds for the desk to sign in and show its window; for it to answer an order
DESK_READY_TIMEOUT = 90.0
DESK_ANSWER_TIMEOUT = 30.0
#: the screenshot is taken this many seconds before the load ends (the probe's load window ends then too)
SHOT_MARGIN = 1.0
#: the desk's measurement windows, in order, with their names in the report
WINDOWS = {
    "startup": "desk laid out for the bench (after sign-in)",
    "alone": "desk alone (no terminal online)",
    "registering": "terminals registering",
    "idle": "baseline: all online, no updates",
    "load": "under load",
    "leaving": "screenshot, then the terminals leave",
}


@dataclass
class Settings:
    terminals: int
    rate: float
    duration: float
    idle: float
    workers: int
    seed: int
    concurrency: int
    profile: Path | None
    xvfb: bool
    #: where the screenshot under load goes
    shot: Path = SCREENSHOT


@dataclass(frozen=True)
class Plan:
    """How the updates a second are shared out: who sends what how often."""

    trains: dict[str, str]  # radio id -> train number
    handsets: tuple[str, ...]
    train_period: float
    handset_period: float
    status_period: float

    @property
    def terminals(self) -> list[str]:
        return [*self.trains, *self.handsets]

    def rates(self) -> tuple[float, float, float]:
        """Location reports a second from trains and from handsets, status changes a second."""
        n = len(self.trains) + len(self.handsets)
        return (len(self.trains) / self.train_period, len(self.handsets) / self.handset_period,
                n / self.status_period)


def make_plan(trains: dict[str, str], terminals: int, rate: float) -> Plan:
    """Share ``rate`` updates a second over ``terminals``: trains once a second (at most half of the location
    reports), the handsets the other location reports, everyone the status changes."""
    chosen = dict(list(trains.items())[:min(TRAINS_MAX, terminals // 10)])
    handsets = tuple(handset_id(n) for n in range(1, terminals - len(chosen) + 1))
    locations = rate * LOCATION_SHARE
    train_rate = min(float(len(chosen)), locations * TRAIN_SHARE_MAX)
    train_period = len(chosen) / train_rate if chosen else 1.0
    handset_period = len(handsets) / (locations - train_rate)
    status_period = terminals / (rate - locations)
    return Plan(chosen, handsets, train_period, handset_period, status_period)


# ----- the desk process ----------------------------------------------------------------------------------


async def shoot(desk: DeskProcess, path: Path) -> None:
    """A screenshot of the desk's window into ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    await desk.ask(("shoot", str(path)), "screenshot")


# ----- the run -------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    settings: Settings
    plan: Plan
    ready: dict[str, Any]
    windows: dict[str, dict[str, Any]]
    phase: Phase
    platform_cpu_pct: float
    problems: dict[str, tuple[int, str]]
    load_average: tuple[float, float, float]
    shot: Path | None = None
    notes: list[str] = field(default_factory=list)


async def measure(settings: Settings, folder: Path) -> Outcome:
    """Platform, desk, terminals; the four windows; always stop every process."""
    handsets_needed = settings.terminals
    groups = max(1, min(50, handsets_needed // 10))
    line_path, line = write_bench_line(folder, handsets_needed, groups, 10)
    trains = {t.radio: number for number, t in line.trains.items() if t.radio}
    plan = make_plan(trains, settings.terminals, settings.rate)
    stations = tuple(s.code for s in line.stations)
    kinds: dict[str, TerminalKind] = dict.fromkeys(plan.trains, "train")
    concurrency = max(1, settings.concurrency // settings.workers)
    specs = [
        WorkerSpec(url="", terminals=part, secret=SAMPLE_TERMINAL_SECRET, mode="mixed", seed=settings.seed * 100 + i,
                   concurrency=concurrency, stations=stations, kinds={t: kinds[t] for t in part if t in kinds},
                   location_period=plan.handset_period, train_period=plan.train_period,
                   status_period=plan.status_period, trains={t: plan.trains[t] for t in part if t in plan.trains},
                   line=str(line_path))
        for i, part in enumerate(split(plan.terminals, settings.workers))
    ]
    load_average = os.getloadavg()
    platform = PlatformProcess(line_path, folder / "platform.log")
    desk: DeskProcess | None = None
    windows: dict[str, dict[str, Any]] = {}
    phase = Phase()
    shot: Path | None = None
    try:
        url = platform.url()
        print(f"platform pid {platform.pid} on {url}; line: {len(line.terminals)} terminals, {len(line.groups)} groups",
              flush=True)
        run = DeskRun(url=url, user=DESK_USER, password=SAMPLE_PASSWORD, line=str(line_path), folder=str(folder),
                      profile=str(settings.profile or ""), xvfb=settings.xvfb)
        desk = DeskProcess(run_desk_process, run, name="bench-desk", timeout=DESK_ANSWER_TIMEOUT, daemon=True)
        ready: dict[str, Any] = (await desk.receive("sign-in", DESK_READY_TIMEOUT))[1]
        print(f"desk pid {ready['pid']} up ({ready['platform']}, window {ready['window']}, panes in view "
              f"{sorted(ready['in_view'])}); {settings.idle:.0f} s alone ...", flush=True)
        windows["startup"] = ready["startup"]
        windows["alone"] = await desk.measure("alone", settings.idle)
        print(f"{settings.terminals} terminals connecting ...", flush=True)
        desk.begin("registering")
        specs = [replace(spec, url=url) for spec in specs]
        with workers(specs) as conns:
            for conn in conns:
                phase.ready.append((await _receive(conn, READY_TIMEOUT, "ready"))[1])
            await asyncio.sleep(2.0)  # the last presence updates reach the desk
            windows["registering"] = await desk.end("registering")
            print(f"{phase.connected} connected; {settings.idle:.0f} s idle baseline ...", flush=True)
            windows["idle"] = await desk.measure("idle", settings.idle)
            phase.t_start = time.time() + 0.5
            phase.t_end = phase.t_start + settings.duration
            for conn in conns:
                conn.send(("go", phase.t_start, phase.t_end))
            print(f"load: {settings.rate:.0f} updates/s for {settings.duration:.0f} s ...", flush=True)
            await asyncio.sleep(phase.t_start - time.time())
            desk.begin("load")
            cpu0, wall0 = platform.cpu_seconds(), time.perf_counter()
            await asyncio.sleep(max(0.0, phase.t_end - SHOT_MARGIN - time.time()))
            windows["load"] = await desk.end("load")
            phase.cpu_s, phase.wall_s = platform.cpu_seconds() - cpu0, time.perf_counter() - wall0
            await shoot(desk, settings.shot)
            shot = settings.shot
            await asyncio.sleep(SHOT_MARGIN / 2)  # the grab's own stall stays out of the next window
            desk.begin("leaving")
            for conn in conns:
                phase.results.append((await _receive(conn, settings.duration + DONE_TIMEOUT, "results"))[1])
        await asyncio.sleep(2.0)  # every terminal closed its session (the workers ended): the last updates arrive
        windows["leaving"] = await desk.end("leaving")
    finally:
        if desk is not None:
            code = desk.stop()
            if code not in (0, None):
                logger.warning("desk exited with %s", code)
        code = platform.stop()
        if code not in (0, None):
            logger.warning("platform exited with %s", code)
    problems = log_problems(platform.log.read_text(encoding="utf-8", errors="replace"))
    platform_cpu = phase.cpu_s / phase.wall_s * 100 if phase.wall_s else math.nan
    return Outcome(settings, plan, ready, windows, phase, platform_cpu, problems, load_average, shot)


# ----- the report ----------------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"


def _cpu_pct(w: dict[str, Any]) -> float:
    return w["cpu_s"] / w["seconds"] * 100 if w["seconds"] else math.nan


def _updates(w: dict[str, Any]) -> int:
    """Location and presence (status) updates the desk took from the platform in window ``w``."""
    return int(w["received"].get("location", 0) + w["received"].get("presence", 0))


def _row(name: str, w: dict[str, Any]) -> str:
    late, seconds = w["late_ms"], w["seconds"]
    paints = " / ".join(f"{w['paints'][n] / seconds:,.0f}" for n in ("vehicles", "stations", "handsets"))
    return (f"| {name} | {seconds:.1f} | {_ms(percentile(late, 50))} | {_ms(percentile(late, 99))} | "
            f"{_ms(max(late, default=math.nan))} | {w['freezes']} | {_cpu_pct(w):.0f} % | "
            f"{w['waited_s'] / seconds * 100:.0f} % | {w['rss_start']:.0f} → {w['rss_end']:.0f} | "
            f"{_updates(w) / seconds:,.0f} | {w['batches'] / seconds:,.1f} | {paints} | {w['online']:,} |")


def _received(w: dict[str, Any]) -> str:
    return ", ".join(f"{n:,} {tag}" for tag, n in sorted(w["received"].items(), key=lambda item: -item[1]))


def _long_gaps(w: dict[str, Any]) -> str:
    """What the GUI thread did in the probe's long gaps: computed (the desk's own work) or waited."""
    limit = f"{5 * PROBE_PERIOD * 1000:.0f} ms"
    total, cpu = w["long_gaps_s"], w["long_gaps_cpu_s"]
    if total <= 0:
        return f"no gap of more than {limit} between two probe firings"
    return (f"gaps of more than {limit} between two probe firings: {total:.2f} s in all, of which the GUI thread "
            f"computed {cpu:.2f} s ({cpu / total * 100:.0f} %; the rest it waited: for a core, the GIL or I/O)")


def verdict(load: dict[str, Any]) -> tuple[bool, str]:
    p99 = percentile(load["late_ms"], 99)
    met = p99 < TARGET_P99_MS and load["freezes"] == 0
    return met, "met" if met else "NOT met"


def report_lines(out: Outcome) -> list[str]:
    s, plan, phase = out.settings, out.plan, out.phase
    w = out.windows
    load, idle = w["load"], w["idle"]
    lag = load["lag_ms"]
    train_rate, handset_rate, status_rate = plan.rates()
    late = load["late_ms"]
    _met, met = verdict(load)
    ratio = _cpu_pct(load) / _cpu_pct(idle) if _cpu_pct(idle) > 0 else math.nan
    sent_loc, sent_status = phase.count("location.report"), phase.count("status.set")
    window = s.duration
    closed = sum(r["closed_early"] for r in phase.results)
    failures = phase.failures()
    errors = {k: v for r in phase.results for k, v in r["counts"].items() if "error" in k or "disconnected" in k}
    ready = out.ready
    lines = [
        f"The real desk (`DeskWindow` with every pane, through `Desk` and `DeskSession` as `trunkdesk` starts it; "
        f"Qt `{ready['platform']}`, window {ready['window'][0]}×{ready['window'][1]}) in its own process, signed in "
        f"as `{DESK_USER}` (monitoring {ready['monitored']} groups) to the reference platform "
        "(`trunkdesk testbed --no-terminals`) in another, on a bench line of "
        f"{ready['terminals']:,} terminals and {ready['groups']} groups. {s.terminals:,} terminals "
        f"({len(plan.trains)} train radios, {len(plan.handsets):,} bench handsets) are real TDP/1 clients in "
        f"{s.workers} load process{'es' if s.workers > 1 else ''}. The line, stations and handsets panes are in view "
        "and paint into the backing store (for that the bench gives the handsets a dock of their own below the "
        f"stations, filtered to `{HANDSET_FILTER}` so that the rows in view change, and tabs messages and the event "
        "log with the calls). All processes share the same "
        f"{os.cpu_count()} cores (load average {out.load_average[0]:.1f} at the start)"
        + (", desk under cProfile during the load (slower)." if s.profile else "."),
        "",
        f"Load: **{s.rate:,.0f} updates/s for {s.duration:.0f} s**: location reports "
        f"{train_rate + handset_rate:,.0f}/s "
        f"(train radios every {plan.train_period:.1f} s where the timetable puts them; handsets every "
        f"{plan.handset_period:.1f} s at a station, {MOVE_SHARE:.0%} of the reports at another one) and status "
        f"changes {status_rate:,.0f}/s (`status.set`, codes {STATUS_CODES[0]}-{STATUS_CODES[-1]}, each terminal "
        f"every {plan.status_period:.0f} s). Probe: a precise `QTimer` re-armed every {PROBE_PERIOD * 1000:.0f} ms "
        "in the desk; lateness = fired − due (how long a due event waits for the GUI thread); freeze = a gap of more "
        f"than {FREEZE_GAP * 1000:.0f} ms between two firings.",
        "",
        f"**Under load: event-loop lateness p50 {_ms(percentile(late, 50))}, p99 {_ms(percentile(late, 99))}, max "
        f"{_ms(max(late, default=math.nan))}, {load['freezes']} freezes (target p99 < {TARGET_P99_MS:.0f} ms and no "
        f"freeze: {met}). Desk CPU {_cpu_pct(load):.0f} % of one core, {ratio:.1f}× the idle baseline "
        f"({_cpu_pct(idle):.0f} %).**",
        "",
        "| window | s | lateness p50 | p99 | max | freezes | desk CPU (one core) | GUI thread waiting for a core | "
        "RSS MiB | updates/s taken | bridge batches/s | paint events/s: line / stations / handsets | terminals "
        "online |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *(_row(f"{label}" + (f" ({s.rate:,.0f}/s)" if key == "load" else ""), w[key])
          for key, label in WINDOWS.items() if key in w),
        "",
        f"- sent by the terminals over {window:.0f} s: {sent_loc:,} location reports ({sent_loc / window:,.0f}/s), "
        f"{sent_status:,} status changes ({sent_status / window:,.0f}/s); the desk took "
        f"{_updates(load) / load['seconds']:,.0f} updates/s ({_received(load)}) and its bridge emitted "
        f"{load['batches'] / load['seconds']:.1f} batches/s ({load['terminal_ids'] / max(load['batches'], 1):,.0f} "
        "terminal ids a batch)",
        f"- age of a location fix when the desk applies it (arrival − `fix_ms`): p50 {_ms(percentile(lag, 50))}, "
        f"p99 {_ms(percentile(lag, 99))}, max {_ms(max(lag, default=math.nan))}",
        f"- {_long_gaps(load)}; the GUI thread waited for a core {load['waited_s']:.1f} s of the "
        f"{load['seconds']:.0f} s window in all (`/proc/thread-self/schedstat`)",
        f"- the load window is the first {load['seconds']:.1f} s of the load (the screenshot is taken "
        f"{SHOT_MARGIN:.0f} s before its end, outside the window); max gap between two probe firings under load "
        f"{_ms(load['max_gap_ms'])}",
        f"- platform CPU under load {out.platform_cpu_pct:.0f} % of one core; load workers' CPU "
        f"{phase.worker_cpu()}",
        f"- terminals: {phase.connected:,} connected"
        + (f", {sum(failures.values())} failed ({dict(failures)})" if failures else "")
        + (f"; {closed} sessions lost" if closed else "; no session lost")
        + (f"; {errors}" if errors else ""),
        f"- panes in view at the end: {', '.join(f'{n} {v[0]}×{v[1]}' for n, v in load['in_view'].items())}",
    ]
    if out.shot is not None:
        where = out.shot.relative_to(ROOT) if out.shot.is_relative_to(ROOT) else out.shot
        lines.append(f"- screenshot under load: `{where}`")
    for key, label in WINDOWS.items():
        for what, (n, first) in w.get(key, {}).get("warnings", {}).items():
            lines.append(f"- desk log, {label}: {n}× {what}, the first: `{first[:120]}`")
    if out.problems:
        worst = sorted(out.problems.values(), key=lambda item: -item[0])[:5]
        lines.append("- platform log: " + "; ".join(f"{n:,}× `{example[:120]}`" for n, example in worst))
    return lines


def print_profile(path: Path, top: int = 30) -> None:
    """The desk's hottest functions under load, by own time and by cumulative time."""
    import pstats

    if not path.exists():
        print(f"no profile written to {path}")
        return
    for order in ("tottime", "cumulative"):
        print(f"\ndesk GUI thread under load ({path}), top {top} by {order}:")
        pstats.Stats(str(path)).sort_stats(order).print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--terminals", type=int, default=2000, help="terminals connected (default 2000)")
    parser.add_argument("--rate", type=float, default=500.0, help="updates a second in total (default 500)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (default 30)")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of each baseline window (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="load-generator processes (default 2)")
    parser.add_argument("--concurrency", type=int, default=50, help="connections opened at a time (default 50)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the phases, stations and status codes")
    parser.add_argument("--profile", type=Path, default=None,
                        help="profile the desk under load into FILE (records nothing)")
    parser.add_argument("--xvfb", action="store_true", help="render on a virtual X display instead of offscreen")
    parser.add_argument("--quick", action="store_true", help="200 terminals, 50/s, 5 s; records nothing")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.quick:
        args.terminals, args.rate, args.duration, args.idle = 200, 50.0, 5.0, 3.0
    if args.terminals < 10 or args.rate <= 0 or args.workers < 1 or args.duration <= SHOT_MARGIN + 1:
        parser.error("need at least 10 terminals, a positive rate, one worker and more than 2 s of load")
    settings = Settings(args.terminals, args.rate, args.duration, args.idle, args.workers, args.seed,
                        args.concurrency, args.profile.resolve() if args.profile else None, args.xvfb,
                        QUICK_SHOT if args.quick else SCREENSHOT)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-desk-") as folder:
        try:
            outcome = asyncio.run(measure(settings, Path(folder)))
        except (BenchError, DeskFailed) as exc:
            print(f"bench_desk: {exc}", file=sys.stderr)
            return 1
    lines = report_lines(outcome)
    print("\n".join(lines))
    print(f"\n(run took {time.perf_counter() - started:.0f} s)")
    if settings.profile is not None:
        print_profile(settings.profile)
    if not args.quick and settings.profile is None:
        record(SECTION, lines)
        print("recorded in docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
