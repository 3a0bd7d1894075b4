"""Stopping the pair's processes is bounded and leaves nothing behind, even for a child that ignores SIGTERM and
has a child of its own holding its output pipe (`Process.wait`, in Python 3.11.7, waits for that pipe too: killing
only the child, as the pair once did, left the wait, and the desk closing its test bench, hanging for good)."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

import pytest

from testbed import pair as pair_module
from testbed.pair import PairProcesses, _Child
from tests.procfs import group_processes

pytestmark = [pytest.mark.timeout(60),
              pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process groups from /proc")]

#: ignores SIGTERM, starts a grandchild that inherits stdout and sleeps, then says it is ready
STUBBORN = textwrap.dedent("""
    import signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    grandchild = subprocess.Popen([sys.executable, "-c",
                                   "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                                   "time.sleep(600)"])
    print("ready", grandchild.pid, flush=True)
    time.sleep(600)
""")


def group_members(pgid: int) -> list[int]:
    """Processes of a process group still running. A killed grandchild is left for init to reap (only its parent
    could have, and it was killed first), so a zombie does not count, as in packaging/smoke.sh."""
    return [pid for pid, state in group_processes(pgid) if state != "Z"]


async def spawn_stubborn(pair: PairProcesses, name: str) -> _Child:
    child = _Child(name, [sys.executable, "-c", STUBBORN])
    pair.children[name] = child
    await pair._spawn(child, "ready", 20)
    return child


async def test_stop_ends_a_child_that_ignores_sigterm_and_its_grandchild_holding_the_pipe(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pair_module, "STOP_TIMEOUT", 1.0)
    pair = PairProcesses()
    child = await spawn_stubborn(pair, "stubborn")
    assert child.process is not None
    pgid = child.process.pid
    assert len(group_members(pgid)) == 2  # the child and its grandchild, in the child's own group
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.wait_for(pair.stop(), 20)  # the old stop waited here for good
    assert loop.time() - started < 10
    assert child.process.returncode is not None and child.process.returncode < 0  # killed
    assert group_members(pgid) == []
    assert not pair.alive("stubborn")


async def test_the_kill_fault_ends_the_whole_group_and_returns() -> None:
    pair = PairProcesses()
    child = await spawn_stubborn(pair, "stubborn")
    assert child.process is not None
    pgid = child.process.pid
    await asyncio.wait_for(pair.kill("stubborn"), 20)
    assert child.process.returncode == -9
    assert group_members(pgid) == []
    await pair.stop()
