"""The desk with its live plots: event-loop latency while the train graph and the quality plots update live, with
20 trains on the line and 30 video feeds received.

The reference platform (`trunkdesk testbed --no-terminals`) runs in one process, the sample line's 20 train radios
(moving on the timetable, reporting once a second) and 30 of its cameras (answering video pulls with their stamped
clips over real WebRTC) in another; the real desk (`DeskWindow` with every pane, through `Desk` and `DeskSession` as
`trunkdesk` starts it, offscreen Qt, its media engine in worker processes) in another, signed in as `chief`, with
the train graph in front in the top dock area and the quality plots in a floating dock of their own (as on a second
screen), both in view. The desk's train graph follows the testbed's service clock (its ``service clock`` line).

Windows: the two panes updating with the trains only (``graph``); with 30 camera feeds pulled onto the wall
(thumbnails), every feed sampled and listed in the quality pane, its plots showing the default choice (``load``);
and with every feed chosen, so that all their curves are drawn (``all``). The probe of bench/_desk.py (a 10 ms
precise `QTimer`) measures how late the GUI thread serves a due event: p50/p99/max and freezes (gaps over 200 ms);
target p99 < 50 ms. A window at whose end fewer feeds are live than were pulled is flagged in the report.
Screenshots of the two panes come from tests/ui/test_panes_quality.py (``TRUNKDESK_SCREENSHOTS=1``).

Run from the repository root: ``.venv/bin/python -m bench.bench_plots`` (about 2 minutes; ``--quick`` for a
smoke run that records nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import math
import multiprocessing
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._desk import FREEZE_GAP, PROBE_PERIOD, DeskRun, WarningCounter, serve_desk
from bench._desk_process import DeskProcess
from bench._procs import percentile
from bench._report import ROOT, record
from media.clips import clip_spec, ensure_clip
from testbed.line import SAMPLE_PASSWORD, default_line_path, load_line
from testbed.terminals.feeds import FeedSettings, media_numbers

logger = logging.getLogger(__name__)

SECTION = "Desk: live train graph and quality plots"
TARGET_P99_MS = 50.0
DESK_USER = "chief"
FEEDS = 30
WINDOW_SIZE = (1920, 1050)
QUALITY_SIZE = (1900, 560)
READY_TIMEOUT = 120.0
#: feeds pulled at a time
PULL_BATCH = 5
ANSWER_TIMEOUT = 90.0


# ----- the testbed: the platform, and the simulated trains and cameras --------------------------------------------


def run_fleet(url: str, cameras: list[str], conn: Connection) -> None:
    """Process entry point: the sample line's train radios and ``cameras`` against ``url`` until told to stop;
    sends ``("ready", (start, speed, offset))`` (the service clock) once they all registered."""
    logging.basicConfig(level=logging.WARNING, format="fleet %(process)d %(levelname)s %(name)s: %(message)s")

    async def main() -> None:
        from testbed.terminals import Fleet

        fleet = Fleet(load_line(default_line_path()), url, rate=0, include=["train", *cameras])
        await fleet.start()
        clock = fleet.service
        conn.send(("ready", (clock.start, clock.speed, clock.offset)))
        try:
            await asyncio.to_thread(conn.recv)
        except EOFError:
            pass
        finally:
            await fleet.stop()

    try:
        asyncio.run(main())
    except BaseException:
        with contextlib.suppress(OSError):
            conn.send(("error", traceback.format_exc()))
        raise


class Testbed:
    """The platform (`trunkdesk testbed --no-terminals`) and, in a process of its own, the simulated trains and
    cameras: like a real platform, it does not share its event loop with thirty video senders."""

    def __init__(self, log: Path, cameras: list[str]) -> None:
        self.log = log
        self.cameras = cameras
        self._log_file = log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "console.cli", "testbed", "--no-terminals", "--port", "0", "--quiet"], cwd=ROOT,
            stdout=subprocess.PIPE, stderr=self._log_file, text=True)
        self.url = ""
        self.clock: tuple[float, float, float] | None = None
        self.fleet: BaseProcess | None = None
        self._conn: Connection | None = None

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Wait for the platform's URL, then start the terminals and wait until they registered."""
        stdout = self.process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], timeout)
        line = stdout.readline().strip() if ready else ""
        if not line.startswith("listening "):
            raise RuntimeError(f"the platform did not start; log: {self.log.read_text()[-800:]}")
        self.url = line.split(" ", 1)[1]
        context = multiprocessing.get_context("spawn")
        self._conn, theirs = context.Pipe()
        self.fleet = context.Process(target=run_fleet, args=(self.url, self.cameras, theirs), name="bench-fleet")
        self.fleet.start()
        theirs.close()
        if not self._conn.poll(timeout):
            raise RuntimeError("the simulated terminals did not register in time")
        kind, value = self._conn.recv()
        if kind != "ready":
            raise RuntimeError(f"the simulated terminals failed: {value}")
        self.clock = value

    def cpu_seconds(self) -> float:
        pids = [self.process.pid, *([self.fleet.pid] if self.fleet is not None and self.fleet.pid else [])]
        return sum(_cpu_of(pid) for pid in pids)

    def stop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.send(("stop",))
        if self.fleet is not None:
            self.fleet.join(30)
            for end in (self.fleet.terminate, self.fleet.kill):
                if self.fleet.is_alive():
                    end()
                    self.fleet.join(5)
        for stop in (lambda: self.process.send_signal(signal.SIGINT), self.process.terminate, self.process.kill):
            if self.process.poll() is not None:
                break
            stop()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(15)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log_file.close()


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process (nan once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ----- the desk process -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlotsRun:
    desk: DeskRun
    clock: tuple[float, float, float]


def _arrange(session: Any) -> None:
    """The train graph in front of its tab group across the top of the window (the default layout, made taller);
    the quality plots floated in a window of their own beside it (a second screen), both in view."""
    from PySide6.QtCore import Qt

    window = session.window
    window.resize(*WINDOW_SIZE)
    docks = window.docks
    docks["train_graph"].setFloating(False)
    docks["train_graph"].show()
    docks["train_graph"].raise_()
    window.resizeDocks([docks["train_graph"]], [460], Qt.Orientation.Vertical)
    quality = docks["quality"]
    quality.setFloating(True)
    quality.show()
    quality.resize(*QUALITY_SIZE)


def _script(conn: Connection, run: PlotsRun, warnings: WarningCounter) -> Any:
    async def obey(session: Any) -> None:
        from bench._desk import Measurer, Probe, Received
        from console.core.train_graph import PlanClock

        desk = session.desk
        desk.trains.plan_clock = PlanClock(*run.clock)
        probe = Probe()
        probe.start()
        measurer = Measurer(session, probe, run.desk, Received(desk), warnings)
        _arrange(session)
        await asyncio.sleep(1.5)
        _arrange(session)  # again, once the window has laid itself out
        await asyncio.sleep(0.5)
        window = session.window
        graph, quality = window.pane("train_graph"), window.pane("quality")
        probe.watch("train_graph", graph)
        probe.watch("quality", quality)
        paints_at: dict[str, Counter[str]] = {}
        samples_at: dict[str, int] = {}
        cpu_at: dict[str, tuple[float, list[float]]] = {}
        conn.send(("ready", {"pid": os.getpid(), "window": [window.width(), window.height()],
                             "graph": [graph.width(), graph.height()], "quality": [quality.width(), quality.height()],
                             "visible": [graph.isVisible(), quality.isVisible()]}))
        try:
            while True:
                if not conn.poll():
                    await asyncio.sleep(0.02)
                    continue
                order = conn.recv()
                if order[0] == "begin":
                    measurer.begin(order[1])
                    paints_at[order[1]] = Counter(probe.paints)
                    samples_at[order[1]] = len(probe.fired)
                    cpu_at[order[1]] = (time.perf_counter(), _media_cpu(desk))
                elif order[0] == "end":
                    result = measurer.end(order[1])
                    first = max(samples_at.pop(order[1]), 1)
                    # CPU the GUI thread spent between two firings of the probe: the desk's own work, whatever the
                    # waits for a core (which lateness includes)
                    result["busy_ms"] = [(b - a) * 1000 for a, b in zip(probe.thread_cpu[first - 1:-1],
                                                                          probe.thread_cpu[first:], strict=True)]
                    since = paints_at.pop(order[1])
                    began, media_before = cpu_at.pop(order[1])
                    seconds = time.perf_counter() - began
                    media_now = _media_cpu(desk)
                    result.update(
                        plot_paints={n: probe.paints[n] - since[n] for n in ("train_graph", "quality")},
                        media_cpu=[(b - a) / seconds for a, b in zip(media_before, media_now, strict=False)],
                        trains=len(desk.trains.tracks), feeds=_live_feeds(desk),
                        sessions=len(desk.media.engine.sessions) if desk.media and desk.media.engine else 0,
                        video=len(desk.world.video),
                        states=dict(Counter(desk.media.engine.state_of(s) for s in desk.media.engine.sessions))
                        if desk.media and desk.media.engine else {},
                        curves=_curves(graph, quality), visible=[graph.isVisible(), quality.isVisible()])
                    conn.send(("measured", order[1], result))
                elif order[0] == "pull":
                    conn.send(("pulled", await _pull(desk, quality, order[1])))
                elif order[0] == "select":
                    if order[1]:
                        quality.table.selectAll()
                    else:
                        quality.table.clearSelection()
                    conn.send(("selected", len(quality.plotted_feeds())))
                else:
                    break
        finally:
            probe.stop()

    return obey


def _media_cpu(desk: Any) -> list[float]:
    engine = desk.media.engine if desk.media is not None else None
    return [_cpu_of(pid) for pid in (engine.worker_pids if engine is not None else [])]


def _live_feeds(desk: Any) -> int:
    return sum(1 for feed in desk.quality.feeds.values() if feed.ended is None and len(feed.frame_rate)
               and (feed.frame_rate.last_value() or 0) > 0)


def _curves(graph: Any, quality: Any) -> dict[str, int]:
    return {"train lines": len(graph.curves), "feed curves": sum(len(c) for c in quality.feed_curves.values()),
            "link curves": 2 * len(quality.link_curves)}


async def _pull(desk: Any, quality: Any, cameras: list[str]) -> dict[str, Any]:
    """Pull ``cameras`` onto the wall, `PULL_BATCH` at a time as a dispatcher would (thirty answers at once stall
    the testbed's platform past the desk's heartbeat tolerance on a loaded two-core machine), and wait until they
    show pictures."""
    began = time.monotonic()
    failed: list[str] = []
    for first in range(0, len(cameras), PULL_BATCH):
        batch = cameras[first:first + PULL_BATCH]
        results = await asyncio.gather(*(desk.pull_video(camera) for camera in batch), return_exceptions=True)
        failed += [repr(r) for r in results if isinstance(r, BaseException)]
        wanted = first + len(batch) - len(failed)
        await desk.wait_until(lambda wanted=wanted: _live_feeds(desk) >= wanted, 30.0)
    took = time.monotonic() - began
    return {"asked": len(cameras), "failed": failed[:3], "live": _live_feeds(desk), "seconds": took}


def run_desk_process(run: PlotsRun, conn: Connection) -> None:
    """Process entry point: the desk until ``("stop",)``; a failure is reported as ``("error", traceback)``."""
    serve_desk(run.desk, conn, functools.partial(_script, conn, run))


# ----- the run --------------------------------------------------------------------------------------------------


def prepare_clips(count: int) -> list[str]:
    """The first ``count`` cameras of the sample line, their thumbnail clips encoded into the clip cache now (the
    testbed would encode them on the first pull, stalling its event loop meanwhile)."""
    line = load_line(default_line_path())
    numbers = media_numbers(line.terminals)
    cameras = [t.id for t in line.terminals.values() if t.kind == "camera"][:count]
    for camera in cameras:
        ensure_clip(clip_spec("thumb", numbers[camera], camera, seconds=FeedSettings().clip_seconds))
    return cameras


async def measure(settings: argparse.Namespace, folder: Path) -> dict[str, Any]:
    cameras = await asyncio.to_thread(prepare_clips, settings.feeds)
    load_average = os.getloadavg()
    testbed = Testbed(folder / "testbed.log", cameras)
    desk: DeskProcess | None = None
    out: dict[str, Any] = {"load_average": load_average}
    try:
        await asyncio.to_thread(testbed.wait_ready)
        assert testbed.clock is not None
        print(f"testbed pid {testbed.process.pid} on {testbed.url}", flush=True)
        run = PlotsRun(DeskRun(url=testbed.url, user=DESK_USER, password=SAMPLE_PASSWORD,
                               line=str(default_line_path()), folder=str(folder),
                               profile=str(settings.profile or ""), profile_window="all"), testbed.clock)
        desk = DeskProcess(run_desk_process, run, name="bench-plots-desk", timeout=ANSWER_TIMEOUT)
        out["ready"] = await desk.ask(None, "sign-in", READY_TIMEOUT)
        print(f"desk up: {out['ready']}; {settings.idle:.0f} s with the trains only ...", flush=True)
        out["graph"] = await desk.measure("graph", settings.idle)
        print(f"pulling {len(cameras)} feeds ...", flush=True)
        out["pulled"] = await desk.ask(("pull", cameras), "feeds live")
        print(f"{out['pulled']}; {settings.duration:.0f} s with the feeds, the quality plots showing "
              f"{await desk.ask(('select', False), 'feeds chosen')} of them ...", flush=True)
        cpu0, wall0 = testbed.cpu_seconds(), time.perf_counter()
        out["load"] = await desk.measure("load", settings.duration)
        out["testbed_cpu"] = (testbed.cpu_seconds() - cpu0) / (time.perf_counter() - wall0)
        chosen = await desk.ask(("select", True), "feeds chosen")
        out["chosen"] = chosen
        print(f"{settings.duration:.0f} s with all {chosen} feeds chosen in the quality pane ...", flush=True)
        out["all"] = await desk.measure("all", settings.duration)
        for name in ("graph", "load", "all"):
            print(name, {k: out[name][k] for k in ("feeds", "sessions", "video", "states")}, flush=True)
        out["load_end"] = os.getloadavg()
    finally:
        if desk is not None:
            desk.stop(30.0)
        testbed.stop()
    return out


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f} ms"


def _row(name: str, w: dict[str, Any]) -> str:
    late, seconds = w["late_ms"], w["seconds"]
    media = " + ".join(f"{share * 100:.0f} %" for share in w["media_cpu"]) or "—"
    paints = " / ".join(f"{w['plot_paints'][n] / seconds:.1f}" for n in ("train_graph", "quality"))
    busy = w["busy_ms"]
    return (f"| {name} | {seconds:.0f} | {_ms(percentile(late, 50))} | {_ms(percentile(late, 99))} | "
            f"{_ms(max(late, default=math.nan))} | {w['freezes']} | {_ms(percentile(busy, 99))} / "
            f"{_ms(max(busy, default=math.nan))} | {w['cpu_s'] / seconds * 100:.0f} % | "
            f"{w['waited_s'] / seconds * 100:.0f} % | {media} | "
            f"{w['rss_start']:.0f} → {w['rss_end']:.0f} | {w['trains']} | {w['feeds']} | "
            f"{w['curves']['train lines']} / {w['curves']['feed curves']} | {paints} |")


def _long_gaps(w: dict[str, Any]) -> str:
    """What the GUI thread did in the probe's long gaps (over 5 periods): computed, or waited for a core."""
    total, cpu = w["long_gaps_s"], w["long_gaps_cpu_s"]
    if total <= 0:
        return "no gap of more than 50 ms between two probe firings"
    return (f"gaps of more than 50 ms between two probe firings took {total:.1f} s in all, of which the GUI thread "
            f"computed {cpu:.1f} s ({cpu / total * 100:.0f} %; the rest it waited for a core or the GIL)")


def _verdict(w: dict[str, Any]) -> str:
    return "met" if percentile(w["late_ms"], 99) < TARGET_P99_MS and w["freezes"] == 0 else "NOT met"


def _headline(w: dict[str, Any]) -> str:
    late = w["late_ms"]
    return (f"event-loop lateness p50 {_ms(percentile(late, 50))}, p99 {_ms(percentile(late, 99))}, max "
            f"{_ms(max(late, default=math.nan))}, {w['freezes']} freezes (target p99 < {TARGET_P99_MS:.0f} ms: "
            f"{_verdict(w)})")


def report_lines(out: dict[str, Any], settings: argparse.Namespace) -> list[str]:
    load, graph, every = out["load"], out["graph"], out["all"]
    ready, pulled = out["ready"], out["pulled"]
    lines = [
        "The real desk (`DeskWindow` with every pane, through `Desk` and `DeskSession` as `trunkdesk` starts it; Qt "
        f"offscreen, window {ready['window'][0]}×{ready['window'][1]}) in its own process with its media engine "
        "(worker processes), signed in as `chief` to the reference platform (`trunkdesk testbed --no-terminals`) in "
        "another process; the sample line's 20 train radios (reporting once a second where the timetable puts "
        f"them) and {pulled['asked']} of its cameras (answering video pulls over real WebRTC on loopback) are "
        "simulated in a third. The train graph is in front in the "
        f"top dock area ({ready['graph'][0]}×{ready['graph'][1]}) and the quality plots in a floating dock of their "
        f"own ({ready['quality'][0]}×{ready['quality'][1]}, as on a second screen), both in view; the graph's plan "
        f"follows the testbed's service clock. All processes share the same {os.cpu_count()} cores (load average "
        f"{out['load_average'][0]:.1f} at the start).",
        "",
        f"Windows: **graph**, the two panes updating with the trains only ({settings.idle:.0f} s); **load**, after "
        f"{pulled['asked']} camera feeds (thumbnails, 320×180 at 25 fps) were pulled onto the wall, {PULL_BATCH} at a "
        f"time ({pulled['live']} showing pictures {pulled['seconds']:.1f} s after the first pull): every feed "
        "sampled and listed in the quality pane, its plots showing the default choice (warned feeds first, at most "
        f"6; {settings.duration:.0f} s); **all**, "
        f"every feed in the list chosen ({out['chosen']}: the {pulled['asked']} video feeds and the desk's voice "
        "links), so that all their bitrate, frame rate, jitter and loss curves are drawn "
        f"({settings.duration:.0f} s). Probe: a precise `QTimer` re-armed every "
        f"{PROBE_PERIOD * 1000:.0f} ms in the desk; lateness = fired − due; freeze = a gap of more than "
        f"{FREEZE_GAP * 1000:.0f} ms between two firings. The GUI thread's work between two probes (its CPU time "
        "from one firing to the next, `time.thread_time`) is what the desk itself held the loop for; lateness adds "
        "the time it waited for a core, which on this shared two-core machine is most of it.",
        "",
        f"**With 20 trains and {pulled['asked']} feeds (load): {_headline(load)}. With all {pulled['asked']} feeds "
        f"plotted: {_headline(every)}.**",
        "",
        "| window | s | lateness p50 | p99 | max | freezes | GUI thread's work between two probes p99 / max | "
        "desk CPU (one core) | GUI thread waiting for a core | media workers' CPU | RSS MiB | trains | feeds live | "
        "curves: train lines / feed curves | paint events/s: graph / quality |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        _row("graph (trains only)", graph),
        _row(f"load ({pulled['asked']} feeds)", load),
        _row(f"all ({pulled['asked']} feeds plotted)", every),
        "",
        f"- platform and simulated terminals (20 trains, {pulled['asked']} camera senders) under load: "
        f"{out['testbed_cpu'] * 100:.0f} % of one core; load average at the end {out['load_end'][0]:.1f}",
        f"- under load, {_long_gaps(load)}; with every feed plotted, {_long_gaps(every)}",
        f"- panes in view at the end: train graph {load['visible'][0]}, quality {load['visible'][1]}",
    ]
    for name, w in (("load", load), ("all", every)):
        if w["feeds"] < pulled["live"]:
            lines.append(f"- **in the {name} window only {w['feeds']} of the {pulled['live']} feeds were still live at "
                         "its end** (see the desk log lines below: the platform link dropped, its sessions ended): "
                         "that window measured less than it should")
    if pulled["failed"]:
        lines.append(f"- pulls that failed: {pulled['failed']}")
    for name, w in (("graph", graph), ("load", load), ("all", every)):
        for what, (n, first) in w.get("warnings", {}).items():
            lines.append(f"- desk log, {name} window: {n}× {what}, the first: `{first[:120]}`")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--feeds", type=int, default=FEEDS, help=f"video feeds pulled (default {FEEDS})")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds under load (default 60)")
    parser.add_argument("--idle", type=float, default=15.0, help="seconds with the trains only (default 15)")
    parser.add_argument("--quick", action="store_true", help="6 feeds, short windows; records nothing")
    parser.add_argument("--profile", type=Path, default=None,
                        help="profile the desk's GUI thread in the window with every feed plotted into FILE "
                             "(records nothing)")
    settings = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if settings.quick:
        settings.feeds, settings.duration, settings.idle = 6, 8.0, 4.0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-plots-") as folder:
        try:
            out = asyncio.run(measure(settings, Path(folder)))
        except RuntimeError as exc:
            print(f"bench_plots: {exc}", file=sys.stderr)
            return 1
    lines = report_lines(out, settings)
    print("\n".join(lines))
    print(f"\n(run took {time.perf_counter() - started:.0f} s)")
    if settings.profile is not None:
        import pstats

        pstats.Stats(str(settings.profile)).sort_stats("tottime").print_stats(25)
    elif not settings.quick:
        record(SECTION, lines, packages=("PySide6-Essentials", "pyqtgraph", "numpy", "aiortc"))
        print("recorded in docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
