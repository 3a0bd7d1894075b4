"""Closing the media engine ends and reaps every worker process: no child of the desk outlives it, none is left a
zombie, whether the engine was running, still starting, or its closing was cancelled half-way; and a program that
used the engine leaves no process behind in its process group when it exits (multiprocessing's resource tracker
included).

Real worker processes throughout; the children are read from /proc (Linux).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from multiprocessing import resource_tracker
from pathlib import Path

import pytest

from media.engine import MediaEngine, MediaWorkerLost
from tests.media.conftest import LOOPBACK
from tests.procfs import group_processes

pytestmark = [pytest.mark.timeout(90),
              pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads children from /proc (Linux)")]

ROOT = Path(__file__).resolve().parents[2]


def children() -> set[int]:
    """This process's children, zombies included (a child stays listed until it is waited for)."""
    found: set[int] = set()
    for listing in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        found.update(int(pid) for pid in listing.read_text().split())
    return found


def helpers() -> set[int]:
    """multiprocessing's resource tracker: a helper that lives as long as this process, not a worker."""
    pid = getattr(resource_tracker._resource_tracker, "_pid", None)
    return {pid} if pid is not None else set()


def assert_reaped(pid: int) -> None:
    """The process has exited and was waited for: not running, not a zombie, not our child any more."""
    assert pid not in children()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def kill_left(pids: list[int]) -> list[int]:
    """Clean-up after a test that stopped workers: any still our child is killed and reaped; those that were."""
    left = [pid for pid in pids if pid in children()]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return left


async def until(check: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_close_reaps_every_worker() -> None:
    before = children()
    engine = MediaEngine(allowed_addresses=LOOPBACK, workers=2, tiles=2)
    await engine.start()
    pids = engine.worker_pids
    assert len(pids) == 2 and set(pids) <= children()
    await engine.close()
    for pid in pids:
        assert_reaped(pid)
    assert children() - before - helpers() == set()
    await engine.close()  # again: nothing to do, no error


async def test_close_while_the_workers_are_starting_ends_them_and_fails_the_start() -> None:
    before = children()
    engine = MediaEngine(allowed_addresses=LOOPBACK, workers=2, tiles=2)
    starting = asyncio.ensure_future(engine.start())
    await until(lambda: len(children() - before - helpers()) == 2)  # both spawned, neither ready (aiortc loads)
    spawned = children() - before - helpers()
    assert not starting.done()
    await engine.close()
    with pytest.raises(MediaWorkerLost, match="closed while its workers were starting"):
        await starting
    for pid in spawned:
        assert_reaped(pid)
    assert children() - before - helpers() == set()


async def test_a_start_after_close_spawns_nothing() -> None:
    before = children()
    engine = MediaEngine(allowed_addresses=LOOPBACK, tiles=2)
    await engine.close()
    with pytest.raises(RuntimeError, match="closed"):
        await engine.start()
    assert children() - before - helpers() == set()
    assert engine.wall is None


async def test_a_caller_that_gives_up_on_close_does_not_stop_the_reaping() -> None:
    before = children()
    engine = MediaEngine(allowed_addresses=LOOPBACK, workers=2, tiles=2)
    await engine.start()
    pids = engine.worker_pids
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(engine.close(), 0.01)  # as the desk's bounded closing step does when it runs out
    await engine.close()  # returns when the closing the first call began is done
    for pid in pids:
        assert_reaped(pid)
    assert children() - before - helpers() == set()


async def test_a_worker_that_answers_nothing_is_killed_and_reaped() -> None:
    before = children()
    engine = MediaEngine(allowed_addresses=LOOPBACK, workers=2, tiles=2)
    await engine.start()
    frozen, other = engine.worker_pids
    os.kill(frozen, signal.SIGSTOP)  # answers no Shutdown, does not see its pipe close, holds SIGTERM pending
    left: list[int] = []
    try:
        await engine.close()
    finally:
        left = kill_left([frozen])
    assert left == [], "the engine left the frozen worker behind"
    assert_reaped(frozen)
    assert_reaped(other)
    assert children() - before - helpers() == set()


def test_a_loop_that_ends_while_closing_kills_and_reaps_the_workers() -> None:
    """The desk's loop ends with the closing task still pending (it is cancelled, as `asyncio.run` and the desk's
    run_on_loop do with leftovers): the workers are killed and reaped before the loop is gone."""
    before = children()
    seen: dict[str, list[int]] = {}
    closing: list[asyncio.Future[None]] = []

    async def main() -> None:
        engine = MediaEngine(allowed_addresses=LOOPBACK, workers=2, tiles=2)
        await engine.start()
        seen["pids"] = engine.worker_pids
        for pid in seen["pids"]:
            os.kill(pid, signal.SIGSTOP)  # so that the closing is still waiting when the loop ends
        closing.append(asyncio.ensure_future(engine.close()))
        await asyncio.sleep(0.2)

    left: list[int] = []
    try:
        asyncio.run(main())
    finally:
        left = kill_left(seen.get("pids", []))
    assert left == [], "workers outlived the loop"
    assert len(seen["pids"]) == 2
    for pid in seen["pids"]:
        assert_reaped(pid)
    assert children() - before - helpers() == set()


def group_members(pgid: int) -> list[str]:
    """Every process of a process group, zombies included, as ``pid state``."""
    return [f"{pid} {state}" for pid, state in group_processes(pgid)]


def test_a_program_that_used_the_engine_leaves_no_process_in_its_group() -> None:
    """What the packaged demo's smoke test checks: the program exits, and nothing of its process group remains,
    not even multiprocessing's resource tracker as a zombie (which an init that does not reap keeps for good)."""
    program = textwrap.dedent("""
        import asyncio
        from multiprocessing import resource_tracker
        from media.engine import MediaEngine

        async def main():
            engine = MediaEngine(allowed_addresses=("127.0.0.1",), workers=2, tiles=2)
            await engine.start()
            print("workers", *engine.worker_pids, flush=True)
            await engine.close()
            print("tracker", resource_tracker._resource_tracker._pid, flush=True)

        if __name__ == "__main__":
            asyncio.run(main())
    """)
    process = subprocess.Popen([sys.executable, "-c", program], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0, err
    printed = dict(line.split(" ", 1) for line in out.splitlines())
    assert len(printed["workers"].split()) == 2 and printed["tracker"] != "None"
    assert "leaked" not in err  # the wall was unlinked by close, not by the tracker
    # the program has exited and been waited for: whatever of its group remains was left behind by it
    assert group_members(process.pid) == []
