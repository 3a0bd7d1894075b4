"""The desk process of `bench.bench_desk` (and `bench.bench_plots`): the real Qt desk, signed in, with a probe on
its event loop.

`run_desk_process` starts the desk as `trunkdesk` does (`create_application`, `run_on_loop`, `DeskSession` with
every pane), offscreen by default, shows the window at 1920x1050 with the line, stations and handsets panes all
in view, and answers the bench over a pipe:

- ``("ready", facts)`` once signed in and shown (sent by the desk);
- ``("begin", name)`` / ``("end", name)`` → ``("measured", name, stats)``: event-loop lateness, CPU, RSS, what
  the bridge delivered and how often the panes painted between the two (``end`` answers);
- ``("shoot", path)`` → ``("shot", path)``: a PNG of the window;
- ``("stop",)``: close the desk (the process then exits).

`serve_desk` runs the same desk with another bench's session script (bench_plots: the train graph and quality
plots, with the same probe, measurer and warnings counter).

The probe is a single-shot precise `QTimer` re-armed every 10 ms: its lateness (fired − due) is how long an
event that is due waits for the GUI thread; a gap of more than 200 ms between two firings is a freeze.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

    from console.ui.session import DeskSession

logger = logging.getLogger(__name__)

#: probe period and freeze threshold, seconds
PROBE_PERIOD = 0.010
FREEZE_GAP = 0.200
#: the panes whose painting is counted (and which must be in view)
WATCHED_PANES = ("vehicles", "stations", "handsets")
#: seconds between two looks at the pipe while no measurement runs
POLL = 0.02
WINDOW_SIZE = (1920, 1050)
#: typed into the handsets pane's filter box: the bench handsets (`bench._lines.handset_id`)
HANDSET_FILTER = "HB-"


@dataclass(frozen=True)
class DeskRun:
    """What the desk process is asked to do."""

    url: str
    user: str
    password: str
    line: str
    folder: str
    #: write a cProfile of the GUI thread over the window named ``profile_window`` to this file
    profile: str = ""
    profile_window: str = "load"
    #: render on a virtual X display (Xvfb) instead of offscreen
    xvfb: bool = False


def cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def rss_mib() -> float:
    """Resident memory of this process, MiB (from /proc/self/status)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_queue_wait() -> float:
    """Seconds this thread has waited on a run queue for a core (/proc/thread-self/schedstat; nan if unknown)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    return float("nan")


class Received:
    """Counts what the desk takes from the platform (by message tag) and how old each location fix is then."""

    def __init__(self, desk: Any) -> None:
        from protocols.messages import LocationUpdate, Message, tag_of

        self.counts: Counter[str] = Counter()
        self.lag_ms: list[float] = []
        handle = desk.handle

        def counted(message: object) -> Any:
            self.counts[tag_of(message) if isinstance(message, Message) else "other"] += 1
            changes = handle(message)
            if isinstance(message, LocationUpdate) and message.fix_ms:
                self.lag_ms.append(time.time() * 1000 - message.fix_ms)
            return changes

        desk.handle = counted  # the desk's receive loop looks it up on the instance


class WarningCounter(logging.Handler):
    """Keeps the desk's warnings and errors: (perf_counter time, level and logger, message)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[tuple[float, str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((time.perf_counter(), f"{record.levelname} {record.name}", record.getMessage()[:200]))

    def since(self, start: int) -> dict[str, tuple[int, str]]:
        """The warnings from record ``start`` on: level and logger -> (how many, the first message)."""
        found: dict[str, tuple[int, str]] = {}
        for _, key, message in self.records[start:]:
            count, first = found.get(key, (0, message))
            found[key] = (count + 1, first)
        return found


class Probe:
    """The event-loop probe, and the paint counter of the watched panes (see the module docstring)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QEvent, QObject, Qt, QTimer

        self.fired: list[float] = []
        self.late_ms: list[float] = []
        #: CPU time of the GUI thread at each firing (a long gap with little CPU: the thread waited for a core)
        self.thread_cpu: list[float] = []
        self.paints: Counter[str] = Counter()
        self._due = 0.0
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        paint = QEvent.Type.Paint
        paints = self.paints

        class PaintCounter(QObject):
            def __init__(self, name: str) -> None:
                super().__init__()
                self.name = name

            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == paint:
                    paints[self.name] += 1
                return False

        self._counter_class = PaintCounter
        self._counters: list[QObject] = []

    def start(self) -> None:
        self._arm()

    def stop(self) -> None:
        self._timer.stop()

    def _arm(self) -> None:
        self._due = time.perf_counter() + PROBE_PERIOD
        self._timer.start(round(PROBE_PERIOD * 1000))

    def _tick(self) -> None:
        now = time.perf_counter()
        self.fired.append(now)
        self.thread_cpu.append(time.thread_time())
        self.late_ms.append((now - self._due) * 1000)
        self._arm()

    def watch(self, name: str, widget: QObject) -> None:
        """Count the paint events of ``widget`` and of every widget inside it under ``name``."""
        from PySide6.QtWidgets import QWidget

        counter = self._counter_class(name)
        self._counters.append(counter)
        for child in [widget, *widget.findChildren(QWidget)]:
            child.installEventFilter(counter)


@dataclass
class Mark:
    """Where a measurement began."""

    wall: float
    cpu: float
    rss: float
    sample: int
    paints: Counter[str]
    bridge: tuple[int, int, int]
    waited: float
    received: Counter[str]
    lags: int
    warnings: int


class Measurer:
    """Takes the ``begin``/``end`` orders and turns the probe's samples between them into numbers."""

    def __init__(self, session: DeskSession, probe: Probe, run: DeskRun, received: Received,
                 warnings: WarningCounter) -> None:
        self.session = session
        self.probe = probe
        self.received = received
        self.warnings = warnings
        self.run = run
        self.marks: dict[str, Mark] = {}
        self.profiler: Any = None

    def _bridge(self) -> tuple[int, int, int]:
        stats = self.session.bridge.stats
        return stats.changes, stats.batches, stats.terminal_ids

    def begin(self, name: str) -> None:
        self.marks[name] = Mark(time.perf_counter(), cpu_seconds(), rss_mib(), len(self.probe.fired),
                                Counter(self.probe.paints), self._bridge(), run_queue_wait(),
                                Counter(self.received.counts), len(self.received.lag_ms),
                                len(self.warnings.records))
        if self.run.profile and name == self.run.profile_window:
            import cProfile

            self.profiler = cProfile.Profile()
            self.profiler.enable()

    def end(self, name: str) -> dict[str, Any]:
        wall, cpu, rss = time.perf_counter(), cpu_seconds(), rss_mib()
        if self.profiler is not None and name == self.run.profile_window:
            self.profiler.disable()
            self.profiler.dump_stats(self.run.profile)
            self.profiler = None
        mark = self.marks.pop(name)
        fired = self.probe.fired[mark.sample:]
        late = self.probe.late_ms[mark.sample:]
        gaps = [(b - a) * 1000 for a, b in zip([mark.wall, *fired], [*fired, wall], strict=True)]
        # the long gaps (over 5 probe periods): how much of them the GUI thread spent computing
        long_gaps = long_cpu = 0.0
        first = max(mark.sample, 1)
        for i in range(first, len(self.probe.fired)):
            gap = self.probe.fired[i] - self.probe.fired[i - 1]
            if gap > 5 * PROBE_PERIOD:
                long_gaps += gap
                long_cpu += self.probe.thread_cpu[i] - self.probe.thread_cpu[i - 1]
        changes, batches, ids = (now - then for now, then in zip(self._bridge(), mark.bridge, strict=True))
        world = self.session.desk.world
        return {
            "seconds": wall - mark.wall,
            "late_ms": late,
            "max_gap_ms": max(gaps, default=0.0),
            "freezes": sum(1 for gap in gaps if gap > FREEZE_GAP * 1000),
            "cpu_s": cpu - mark.cpu,
            "rss_start": mark.rss,
            "rss_end": rss,
            "paints": {n: self.probe.paints[n] - mark.paints[n] for n in WATCHED_PANES},
            "changes": changes,
            "batches": batches,
            "terminal_ids": ids,
            "online": sum(1 for info in world.terminals.values() if info.presence not in ("offline", "disabled")),
            "waited_s": run_queue_wait() - mark.waited,
            "long_gaps_s": long_gaps,
            "long_gaps_cpu_s": long_cpu,
            "received": {k: v - mark.received[k] for k, v in self.received.counts.items() if v > mark.received[k]},
            "lag_ms": self.received.lag_ms[mark.lags:],
            "warnings": self.warnings.since(mark.warnings),
        }


def _show_panes(session: DeskSession) -> dict[str, Any]:
    """The window at 1920x1050 with the line, stations and handsets all in view: the handsets leave the stations'
    tab for a row of their own below them, messages and the event log join the calls' tabs to make room."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QLineEdit

    window = session.window
    if QApplication.platformName() == "offscreen":
        window.resize(*WINDOW_SIZE)
    else:
        window.showMaximized()
    docks = window.docks
    for name in ("handsets", "messages", "event_log"):
        window.removeDockWidget(docks[name])
    # (splitting a tabbed dock would only add another tab: the handsets go to the bottom of the right column)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, docks["handsets"], Qt.Orientation.Vertical)
    for name in ("messages", "event_log"):
        window.tabifyDockWidget(docks["calls"], docks[name])
        docks[name].show()
    for name in ("calls", *WATCHED_PANES):
        docks[name].show()
        docks[name].raise_()
    # the bench handsets in view (as a dispatcher types a filter), so that the rows that change are painted
    box = getattr(window.pane("handsets"), "filter", None)
    if isinstance(box, QLineEdit):
        box.setText(HANDSET_FILTER)
    return {"platform": QApplication.platformName()}


def _size_panes(session: DeskSession) -> None:
    """Share the right column between stations and handsets (after the window's own first sizing)."""
    from PySide6.QtCore import Qt

    window = session.window
    docks = window.docks
    half = max(200, (window.height() - docks["vehicles"].height()) // 2)
    window.resizeDocks([docks["stations"], docks["handsets"]], [half, half], Qt.Orientation.Vertical)


def _in_view(session: DeskSession) -> dict[str, list[int]]:
    """Size of each watched pane that is visible with a non-empty visible region (absent: not in view)."""
    shown: dict[str, list[int]] = {}
    for name in WATCHED_PANES:
        dock = session.window.docks[name]
        widget = dock.widget()
        if dock.isVisible() and widget is not None and widget.isVisible() and not widget.visibleRegion().isEmpty():
            shown[name] = [widget.width(), widget.height()]
    return shown


def _script(conn: Connection, run: DeskRun, warnings: WarningCounter) -> Any:
    """The coroutine `run_on_loop` runs once the desk is signed in: set up, then obey the pipe."""

    async def obey(session: DeskSession) -> None:
        import asyncio

        probe = Probe()
        probe.start()
        measurer = Measurer(session, probe, run, Received(session.desk), warnings)
        measurer.begin("startup")  # the window re-laid out for the bench, its first paints
        facts = _show_panes(session)
        await asyncio.sleep(0.5)  # laid out once (the window sizes its docks after the first show)
        _size_panes(session)
        await asyncio.sleep(1.0)
        for name in WATCHED_PANES:
            probe.watch(name, session.window.pane(name))
        world = session.desk.world
        facts.update(window=[session.window.width(), session.window.height()], in_view=_in_view(session),
                     terminals=len(world.terminals), groups=len(world.groups), monitored=len(world.affiliations),
                     rss=rss_mib(), pid=os.getpid(), startup=measurer.end("startup"))
        conn.send(("ready", facts))
        try:
            while True:
                if not conn.poll():
                    await asyncio.sleep(POLL)
                    continue
                order = conn.recv()
                if order[0] == "begin":
                    measurer.begin(order[1])
                elif order[0] == "end":
                    result = measurer.end(order[1])
                    result.update(in_view=_in_view(session))
                    conn.send(("measured", order[1], result))
                elif order[0] == "shoot":
                    session.window.grab().save(order[1])
                    conn.send(("shot", order[1]))
                else:
                    break
        finally:
            probe.stop()

    return obey


def _settings_in(folder: str) -> None:
    """QSettings in ``folder``: the default layout, and nothing of the user's desk read or written."""
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)


#: makes the desk's session script (what `run_on_loop` runs once signed in) around the warnings counter
ScriptMaker = Callable[["WarningCounter"], Callable[["DeskSession"], Awaitable[None]]]


def _desk(run: DeskRun, script: ScriptMaker) -> int:
    from console.ui.app import DeskOptions, check_environment, create_application, run_on_loop

    warnings = WarningCounter()
    logging.getLogger().addHandler(warnings)
    check_environment()
    _settings_in(tempfile.mkdtemp(prefix="settings-", dir=run.folder))
    app, languages = create_application(language="en")
    options = DeskOptions(urls=[run.url], user=run.user, password=run.password, language="en", line=Path(run.line),
                          log_path=Path(run.folder) / "desk-events.sqlite", script=script(warnings))
    return run_on_loop(app, languages, options)


def serve_desk(run: DeskRun, conn: Connection, script: ScriptMaker) -> None:
    """The body of a desk process: the desk as `trunkdesk` starts it, signed in as ``run`` says, running the
    session script ``script`` makes until it returns; a failure is reported as ``("error", traceback)``."""
    logging.basicConfig(level=logging.WARNING, format="desk %(process)d %(levelname)s %(name)s: %(message)s")
    if run.xvfb:
        from console.ui.screenshot import xvfb

        context: Any = xvfb(":97")
    else:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        context = contextlib.nullcontext()
    try:
        with context:
            code = _desk(run, script)
        if code:
            conn.send(("error", f"the desk exited with {code} (see its log above)"))
    except BaseException:
        with contextlib.suppress(OSError):
            conn.send(("error", traceback.format_exc()))
        raise
    finally:
        conn.close()
        sys.stdout.flush()


def run_desk_process(run: DeskRun, conn: Connection) -> None:
    """Process entry point of bench_desk: the desk until ``("stop",)``."""
    serve_desk(run, conn, functools.partial(_script, conn, run))


__all__ = ["DeskRun", "Measurer", "Probe", "Received", "WarningCounter", "run_desk_process", "serve_desk"]
