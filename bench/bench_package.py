"""The packaged desk: the bundle's size on disk and its start-up time, against the desk run from the venv.

Start-up is launch → the desk usable: its window shown and signed in to both instances of a dual-live pair,
which the desk announces on stdout as ``desk ready: connected to A (active), B (standby)`` (console/ui/app.py).
Two ways, each launched N times from the bundle (``dist/trunkdesk/trunkdesk``) and from the venv (``python -m
console.cli``), offscreen, with empty user folders, closing itself a second after it is ready:

- ``desk``: `trunkdesk desk` against a pair testbed already running (started once by this script): the desk's
  own start-up, the figure the 3 s target is for;
- ``demo``: `trunkdesk demo`, which first starts its embedded testbed (the pair and the simulated line, as
  child processes) and then signs in to it: what a newcomer waits for.

Per launch it also notes when the window was shown (the desk logs "desk window shown" right after
``window.show()``; read at ``-v``) and when the process had exited.

Run from the repository root after ``bash packaging/build.sh``: ``.venv/bin/python -m bench.bench_package``
(about 3 minutes; ``--launches N``, default 5; ``--quick``: 2 launches, records nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._procs import BenchError, percentile
from bench._report import ROOT, record
from testbed.line import SAMPLE_PASSWORD

SECTION = "Packaged app: size and start-up"
BUNDLE = ROOT / "dist" / "trunkdesk"
EXECUTABLE = BUNDLE / "trunkdesk"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
READY_LINE = "desk ready: connected to A (active), B (standby)"
#: target: the desk usable within this many seconds of launch
READY_TARGET = 3.0
#: the desk's log line right after its window is shown (console/ui/app.py, at -v)
SHOWN_MARK = "desk window shown"
LAUNCH_TIMEOUT = 90.0
CLOSE_AFTER = 1.0


# ----- size -------------------------------------------------------------------------------------------------


def folder_size(folder: Path) -> tuple[int, int, int]:
    """(bytes on disk, apparent bytes, files) of everything under ``folder``."""
    disk = apparent = files = 0
    for path in folder.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        stat = path.stat()
        disk += stat.st_blocks * 512
        apparent += stat.st_size
        files += 1
    return disk, apparent, files


def size_lines(bundle: Path) -> list[str]:
    """The bundle's size and its largest parts, as markdown."""
    disk, apparent, files = folder_size(bundle)
    internal = bundle / "_internal"
    parts: dict[str, int] = {}
    for child in internal.iterdir():
        name = child.name.removesuffix(".libs")  # av + av.libs, numpy + numpy.libs
        size = folder_size(child)[0] if child.is_dir() else child.stat().st_blocks * 512
        parts[name] = parts.get(name, 0) + size
    top = sorted(parts.items(), key=lambda item: -item[1])[:6]
    rest = disk - sum(size for _, size in top)
    mib = 1024 * 1024
    lines = [f"- bundle `dist/trunkdesk`: **{disk / mib:.0f} MiB on disk** ({apparent / mib:.0f} MiB apparent), "
             f"{files} files",
             "- largest parts: " + ", ".join(f"{name} {size / mib:.0f} MiB" for name, size in top)
             + f", the rest {rest / mib:.0f} MiB"]
    return lines


# ----- one launch -------------------------------------------------------------------------------------------


@dataclass
class Launch:
    """Seconds from launch to: the window shown, the desk ready, the process gone."""

    shown: float
    ready: float
    exited: float
    ready_line: str


async def launch(argv: list[str], env: dict[str, str], timeout: float = LAUNCH_TIMEOUT) -> Launch:
    """Start ``argv``, time its ``desk ready`` line, let it close itself; in its own session, killed on timeout."""
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env=env, start_new_session=True)
    assert process.stdout is not None
    shown = ready = math.nan
    ready_line = ""
    output: list[str] = []
    try:
        async with asyncio.timeout(timeout):
            while raw := await process.stdout.readline():
                now = time.monotonic() - started
                line = raw.decode(errors="replace").rstrip()
                output.append(line)
                if math.isnan(shown) and SHOWN_MARK in line:
                    shown = now
                if not ready_line and line.startswith("desk ready: "):
                    ready, ready_line = now, line
            code = await process.wait()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        raise BenchError(f"{argv[0]}: no end within {timeout:.0f} s:\n" + "\n".join(output[-20:])) from None
    exited = time.monotonic() - started
    with contextlib.suppress(ProcessLookupError):  # anything it left behind in its session
        os.killpg(process.pid, signal.SIGKILL)
    if code != 0 or not ready_line:
        raise BenchError(f"{argv[0]}: exit {code}, ready line {ready_line!r}:\n" + "\n".join(output[-20:]))
    return Launch(shown=shown, ready=ready, exited=exited, ready_line=ready_line)


# ----- the pair the `desk` launches sign in to ----------------------------------------------------------------


class PairTestbed:
    """`trunkdesk demo --headless` from the venv: the pair and the simulated line, on free ports."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.urls: list[str] = []
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> list[str]:
        argv = [str(VENV_PYTHON), "-m", "console.cli", "demo", "--headless", "--quiet", "--port", "0"]
        self._process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, env=self.env, start_new_session=True)
        assert self._process.stdout is not None
        async with asyncio.timeout(LAUNCH_TIMEOUT):
            while len(self.urls) < 2 and (raw := await self._process.stdout.readline()):
                line = raw.decode(errors="replace").strip()
                if line.startswith("listening "):
                    self.urls.append(line.split(" ", 1)[1])
        if len(self.urls) < 2:
            raise BenchError(f"the pair testbed did not start: {self.urls}")
        asyncio.get_running_loop().create_task(self._drain())
        return self.urls

    async def _drain(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        while await self._process.stdout.readline():
            pass

    async def stop(self) -> None:
        if self._process is None or self._process.returncode is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self._process.wait(), 20)
        except TimeoutError:
            os.killpg(self._process.pid, signal.SIGKILL)
            await self._process.wait()


# ----- the runs ---------------------------------------------------------------------------------------------


def programs() -> dict[str, list[str]]:
    """How each way of shipping starts `trunkdesk`."""
    return {"bundle": [str(EXECUTABLE)], "venv": [str(VENV_PYTHON), "-m", "console.cli"]}


def isolated_env(folder: Path) -> dict[str, str]:
    """The environment of a launch: offscreen, user folders under ``folder`` (no settings or cache carried in)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(folder / "config"),
               XDG_DATA_HOME=str(folder / "data"), XDG_CACHE_HOME=str(folder / "cache"),
               XDG_STATE_HOME=str(folder / "state"))
    env.pop("TRUNKDESK_RESOURCES", None)
    return env


async def measure(launches: int, folder: Path) -> dict[tuple[str, str], list[Launch]]:
    """Launch every (program, way) ``launches`` times, interleaved so that load drifts hit both alike."""
    env = isolated_env(folder)
    password = folder / "password"
    password.write_text(SAMPLE_PASSWORD + "\n", encoding="utf-8")
    pair = PairTestbed(env)
    urls = await pair.start()
    results: dict[tuple[str, str], list[Launch]] = {}
    try:
        for round_ in range(launches):
            for way in ("desk", "demo"):
                for name, program in programs().items():
                    if way == "desk":
                        args = ["-v", "desk", *(a for url in urls for a in ("--url", url)), "--user", "chief",
                                "--password-file", str(password), "--duration", str(CLOSE_AFTER)]
                    else:
                        args = ["-v", "demo", "--duration", str(CLOSE_AFTER)]
                    result = await launch([*program, *args], env)
                    results.setdefault((name, way), []).append(result)
                    print(f"  round {round_ + 1}: {name:6} {way}: shown {result.shown:.2f} s, ready "
                          f"{result.ready:.2f} s, exited {result.exited:.2f} s", flush=True)
    finally:
        await pair.stop()
    return results


def startup_lines(results: dict[tuple[str, str], list[Launch]], launches: int) -> list[str]:
    """The start-up table, as markdown."""
    lines = [f"Start-up, {launches} launches each, offscreen, empty user folders, seconds from launch "
             "(p50 / max):", "",
             "| program | start | window shown | usable (desk ready) | process gone | first launch usable |",
             "| --- | --- | --- | --- | --- | --- |"]
    for (name, way), runs in sorted(results.items(), key=lambda item: (item[0][1] != "desk", item[0][0])):
        shown = [r.shown for r in runs]
        ready = [r.ready for r in runs]
        gone = [r.exited for r in runs]
        program = "`dist/trunkdesk/trunkdesk`" if name == "bundle" else "`python -m console.cli` (venv)"
        start = "`desk` (pair already up)" if way == "desk" else "`demo` (starts its testbed)"
        lines.append(f"| {program} | {start} | {percentile(shown, 50):.2f} / {max(shown):.2f} | "
                     f"**{percentile(ready, 50):.2f}** / {max(ready):.2f} | {percentile(gone, 50):.2f} / "
                     f"{max(gone):.2f} | {ready[0]:.2f} |")
    desk = results.get(("bundle", "desk"), [])
    if desk:
        p50, worst = percentile([r.ready for r in desk], 50), max(r.ready for r in desk)
        verdict = "met" if worst <= READY_TARGET else ("met at p50, not at max" if p50 <= READY_TARGET else "missed")
        lines += ["", f"Target: the bundled desk usable within {READY_TARGET:.0f} s of launch: **{verdict}** "
                      f"(p50 {p50:.2f} s, max {worst:.2f} s). \"Process gone\" includes the {CLOSE_AFTER:.0f} s the "
                      "desk stays open after it is ready and, for `demo`, stopping its testbed."]
    demo = results.get(("bundle", "demo"), [])
    if demo:
        lines += ["", f"`demo` is usable after {percentile([r.ready for r in demo], 50):.2f} s (p50): its window "
                      "shows as fast, then it waits for its embedded testbed, which starts the witness, instance A "
                      "and instance B one after the other as processes, before it can sign in."]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--launches", type=int, default=5, help="launches of each program and way (default 5)")
    parser.add_argument("--quick", action="store_true", help="2 launches each, record nothing")
    args = parser.parse_args(argv)
    if not EXECUTABLE.is_file():
        print(f"no bundle at {EXECUTABLE}: run `bash packaging/build.sh` first", file=sys.stderr)
        return 2
    launches = 2 if args.quick else args.launches
    lines = size_lines(BUNDLE)
    print("\n".join(lines), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-package-") as folder:
        try:
            results = asyncio.run(measure(launches, Path(folder)))
        except BenchError as exc:
            print(f"bench_package: {exc}", file=sys.stderr)
            return 1
    table = startup_lines(results, launches)
    print("\n".join(table))
    if not args.quick:
        record(SECTION, [*lines, "", *table], packages=("PySide6-Essentials", "pyinstaller", "av", "aiortc"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
