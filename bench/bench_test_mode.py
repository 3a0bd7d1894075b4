"""Test mode's fleet in the desk's own process: does it make the desk stutter?

`trunkdesk demo --test-mode` runs the 150 simulated terminals of the sample line (behaviours at the demo's rate 1)
on the desk's qasync loop, on the GUI thread, and the pair's proxies there too (every client link of the pair runs
through them, so that instances can be isolated). `trunkdesk demo` keeps the same fleet in a child process. This
bench runs the real desk both ways, offscreen, with the test mode panel in view, and measures the GUI thread with
the probe of `bench.bench_desk` (a 10 ms precise `QTimer`: lateness = fired − due; freeze = a gap over 200 ms):

- ``child``: `trunkdesk demo` (the fleet in the testbed's child process);
- ``in-process``: `trunkdesk demo --test-mode`, idle (pair up, no terminal), while the 150 register, then steady.

Target as for the desk under load: p99 lateness < 50 ms and no freeze. Each configuration runs in a process of its
own. Run from the repository root: ``.venv/bin/python -m bench.bench_test_mode`` (about 2 minutes; ``--quick``
for a smoke run that records nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._desk import FREEZE_GAP, Probe, cpu_seconds
from bench._report import ROOT, record
from bench.bench_platform import percentile

logger = logging.getLogger(__name__)

SECTION = "Desk: test mode's fleet in the desk process"
TARGET_P99_MS = 50.0


def _window(probe: Probe, begin: int, wall: float, cpu: float) -> dict[str, Any]:
    fired = probe.fired[begin:]
    late = probe.late_ms[begin:]
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(fired)]
    seconds = time.perf_counter() - wall
    return {"seconds": round(seconds, 1), "p50": percentile(late, 50), "p99": percentile(late, 99),
            "max": max(late, default=0.0), "freezes": sum(1 for g in gaps if g > FREEZE_GAP * 1000),
            "over_50ms": sum(1 for g in gaps if g > 50), "cpu": (cpu_seconds() - cpu) / seconds}


def run_one(mode: str, seconds: float, out: Path) -> None:
    """One configuration in this process: the desk, the probe, the windows; the numbers as JSON to ``out``."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    folder = Path(tempfile.mkdtemp(prefix="trunkdesk-bench-test-mode-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    from console.ui.app import run_desk
    from console.ui.test_mode import TestModeOptions

    results: dict[str, Any] = {"mode": mode}

    async def script(session: Any) -> None:
        window = session.window
        window.resize(1920, 1050)
        probe = Probe()
        probe.start()
        world = session.desk.world

        async def measure(name: str, length: float) -> None:
            begin, wall, cpu = len(probe.fired), time.perf_counter(), cpu_seconds()
            await asyncio.sleep(length)
            results[name] = _window(probe, begin, wall, cpu)

        def online() -> int:
            return sum(1 for info in world.terminals.values() if info.presence not in ("offline", "disabled"))

        if mode == "child":
            await session.desk.wait_until(lambda: online() >= 150, 60)
            await measure("steady", seconds)
        else:
            bench = window.pane("test_mode").bench
            await measure("idle", min(seconds, 10.0))
            begin, wall, cpu = len(probe.fired), time.perf_counter(), cpu_seconds()
            await bench.add(bench.candidates())
            results["registering"] = _window(probe, begin, wall, cpu)
            await measure("steady", seconds)
        results["online"] = online()
        probe.stop()
        window.close()

    options = TestModeOptions(terminals=(), rate=1.0) if mode == "in-process" else None
    code = run_desk([], "", "", demo=True, language="en", script=script, test_mode=options,
                    log_path=folder / "events.sqlite", testbed_args=["--rate", "1"])
    results["exit"] = code
    out.write_text(json.dumps(results), encoding="utf-8")


def _row(label: str, window: dict[str, Any]) -> str:
    return (f"| {label} | {window['seconds']:.0f} | {window['p50']:.1f} ms | {window['p99']:.1f} ms | "
            f"{window['max']:.0f} ms | {window['over_50ms']} | {window['freezes']} | {window['cpu'] * 100:.0f} % |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 s windows, nothing recorded")
    parser.add_argument("--one", choices=("child", "in-process"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=30.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.one:
        run_one(args.one, args.seconds, args.out)
        return 0
    seconds = 10.0 if args.quick else 30.0
    runs: dict[str, dict[str, Any]] = {}
    load = os.getloadavg()[0]
    for mode in ("child", "in-process"):
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            out = Path(handle.name)
        subprocess.run([sys.executable, "-m", "bench.bench_test_mode", "--one", mode, "--out", str(out),
                        "--seconds", str(seconds)], cwd=ROOT, check=True, timeout=600)
        runs[mode] = json.loads(out.read_text(encoding="utf-8"))
        out.unlink()
    rows = [_row("fleet in a child process (`trunkdesk demo`), steady", runs["child"]["steady"]),
            _row("fleet in the desk process (`demo --test-mode`), pair up, no terminal", runs["in-process"]["idle"]),
            _row("… while the 150 terminals register", runs["in-process"]["registering"]),
            _row("… steady, 150 terminals with their behaviours", runs["in-process"]["steady"])]
    steady = runs["in-process"]["steady"]
    met = steady["p99"] < TARGET_P99_MS and steady["freezes"] == 0
    lines = [
        "The real desk (every pane, the test mode panel in view; Qt `offscreen`, 1920×1050) signed in as `chief` to "
        "the dual-live pair (A, B and the witness as processes, client links through proxies), with the 150 "
        "terminals of the sample line simulated and their behaviours at the demo's rate 1 (talk bursts, texts, "
        "alarms, emergencies; trains report once a second). Two configurations, each in a fresh process: the "
        "fleet in the testbed's child process (`trunkdesk demo`), and the fleet on the desk's own qasync loop "
        f"(`trunkdesk demo --test-mode`). All processes share the same 2 cores (load average {load:.1f} at the "
        "start). Probe: a precise `QTimer` re-armed every 10 ms in the desk; lateness = fired − due; freeze = a gap "
        "of more than 200 ms.",
        "",
        f"**Fleet in the desk process, steady: lateness p50 {steady['p50']:.1f} ms, p99 {steady['p99']:.1f} ms, max "
        f"{steady['max']:.0f} ms, {steady['freezes']} freezes (target p99 < {TARGET_P99_MS:.0f} ms and no freeze: "
        f"{'met' if met else 'NOT met'}); desk CPU {steady['cpu'] * 100:.0f} % of one core against "
        f"{runs['child']['steady']['cpu'] * 100:.0f} % with the fleet in a child process.**",
        "",
        "| window | s | lateness p50 | p99 | max | gaps > 50 ms | freezes | desk process CPU (one core) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        f"- terminals the desk showed online at the end: child {runs['child']['online']}, "
        f"in-process {runs['in-process']['online']}",
    ]
    print("\n".join(lines))
    if not args.quick:
        record(SECTION, lines)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
