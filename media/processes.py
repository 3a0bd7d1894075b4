"""Ending the desk's child processes for good: wait for them, then terminate, then kill, and always reap.

A child that has exited but was not waited for stays a zombie; one that outlives the desk is reparented to init,
which in a container may never reap it. The media engine (media/engine.py) ends its workers with these, and the
desk program stops multiprocessing's resource tracker at exit (`release_helpers_at_exit`).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import logging
import os
import signal
import time
from multiprocessing.process import BaseProcess
from typing import Any, Literal

log = logging.getLogger(__name__)

__all__ = ["exited", "reap_now", "reaped", "release_helpers_at_exit", "signal_process", "stop_resource_tracker"]


async def exited(processes: list[BaseProcess], timeout: float) -> list[BaseProcess]:
    """Poll until every process has exited (each poll reaps one that has: no zombie), at most ``timeout`` seconds;
    the ones still running."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        alive = [p for p in processes if not reaped(p)]
        if not alive or loop.time() >= deadline:
            return alive
        await asyncio.sleep(0.02)


def reaped(process: BaseProcess) -> bool:
    """Whether the process has exited and been waited for (`exitcode` waits without blocking)."""
    if process.exitcode is None:
        return False
    process.join(0)  # known exited: only drops it from multiprocessing's list of children
    return True


def signal_process(process: BaseProcess, action: Literal["terminate", "kill"]) -> None:
    """SIGTERM or SIGKILL a process that is still running (one gone, closed or never started is left alone)."""
    with contextlib.suppress(ProcessLookupError, ValueError, AttributeError):
        if process.exitcode is not None:
            return
        if action == "terminate":
            process.terminate()
        else:
            process.kill()


def reap_now(process: BaseProcess) -> None:
    """Kill and reap a worker still running, blocking for at most a second: the last resort when the closing was
    cancelled, so that no worker outlives the engine."""
    try:
        if reaped(process):
            return
        process.kill()
        process.join(1.0)
    except (ProcessLookupError, ValueError, AttributeError, AssertionError):
        return
    if process.exitcode is None:
        log.error("media worker %s did not end after SIGKILL", process.pid)


@functools.cache
def release_helpers_at_exit() -> None:
    """At the program's exit, stop and reap multiprocessing's resource tracker (idempotent).

    The tracker is a helper process that multiprocessing starts for the workers and the shared memory (the wall,
    the microphone feed) and lets outlive the program: it exits after the program, and under an init that does not
    reap (a container) it stays a zombie of the program's process group. Stopped here, after the program's own
    shutdown (its shared memory is unlinked by then), it does its cleanup, exits and is reaped before the program
    ends. Bounded: a tracker that does not exit within 2 s is killed."""
    atexit.register(stop_resource_tracker)


def stop_resource_tracker(timeout: float = 2.0) -> bool:
    """Stop multiprocessing's resource tracker of this process, if it started one, and reap it (closing its pipe
    ends it after it unlinks what is still registered). Only for the end of the program: shared memory still in
    use would be unlinked. Whether a tracker was stopped."""
    from multiprocessing import resource_tracker

    tracker: Any = resource_tracker._resource_tracker  # no public way to end it, and its _stop() waits unbounded
    lock, fd, pid = getattr(tracker, "_lock", None), getattr(tracker, "_fd", None), getattr(tracker, "_pid", None)
    if lock is None or fd is None or pid is None:
        return False
    with lock:
        tracker._fd = tracker._pid = None
        with contextlib.suppress(OSError):
            os.close(fd)
        deadline = time.monotonic() + timeout
        try:
            while os.waitpid(pid, os.WNOHANG) == (0, 0):
                if time.monotonic() >= deadline:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    break
                time.sleep(0.01)
        except (ChildProcessError, ProcessLookupError):  # already reaped elsewhere
            pass
    return True
