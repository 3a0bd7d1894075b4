"""Process measurements for the benchmarks: CPU and RSS from /proc, process trees, pipes and polls with deadlines.

Linux only (/proc). CPU is user + system time; a share of "one core" is CPU seconds per wall-clock second.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

__all__ = ["BenchError", "ask", "cpu_of", "cpu_seconds", "descendants", "percentile", "receive", "rss_mib",
           "thread_cpu_seconds", "until"]


class BenchError(RuntimeError):
    """The benchmark could not run."""


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile (nan for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def cpu_seconds(pid: int, stat: str = "") -> float:
    """User + system CPU seconds of a process (or of the thread whose ``stat`` file is given) so far; 0 if gone."""
    try:
        fields = Path(stat or f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory in MiB (0 if it is gone). ``field`` picks a part of it: ``RssAnon`` (its
    private heap and stacks: where a leak shows), ``RssShmem`` (shared memory it touched) or ``RssFile``."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


def descendants(root: int) -> list[int]:
    """``root`` and every process below it (from /proc/*/stat parent ids)."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children[ppid].append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_of(pids: Callable[[], list[int]], seconds: float) -> float:
    """CPU of a set of processes (looked up at both ends) over ``seconds``, as a share of one core."""
    before = {pid: cpu_seconds(pid) for pid in pids()}
    began = time.monotonic()
    time.sleep(seconds)
    after = {pid: cpu_seconds(pid) for pid in pids()}
    spent = sum(after[pid] - before.get(pid, 0.0) for pid in after)
    return spent / (time.monotonic() - began)


def receive(conn: Connection, timeout: float, what: str) -> Any:
    if not conn.poll(timeout):
        raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")
    return conn.recv()


async def ask(conn: Connection, message: tuple[Any, ...], timeout: float, what: str) -> Any:
    """Send ``message`` down ``conn`` and wait (off the event loop) for the answer; BenchError after ``timeout``."""
    conn.send(message)
    return await asyncio.to_thread(receive, conn, timeout, what)


async def until(check: Callable[[], bool], timeout: float, what: str, period: float = 0.05) -> float:
    """Poll ``check`` every ``period`` seconds until it holds; the seconds that took. BenchError after ``timeout``."""
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(period)
    return time.monotonic() - began


def thread_cpu_seconds(pid: int) -> tuple[float, float]:
    """(CPU seconds of ``pid``'s main thread, of all its other threads together) so far; (0, 0) if it is gone."""
    main = cpu_seconds(pid, f"/proc/{pid}/task/{pid}/stat")
    return main, max(0.0, cpu_seconds(pid) - main)

