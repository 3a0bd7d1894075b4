"""Receive pacing: a media worker's event loop takes its packets in batches rather than one wake-up per packet.

On the 30-feed wall a worker receives about 1,100 RTP packets a second on 30 UDP sockets. Left alone, its event
loop wakes for almost every one: an ``epoll_wait`` return, a ``recvmsg`` that reads the packet and one that finds
the socket empty, the GIL taken back from the decode thread, and the decode thread woken again for each frame.
That per-packet overhead, not the work on the packet, was most of the loop thread's CPU.

`ReceivePacer` makes the loop sleep for `interval` between its turns while video is being received: packets
wait in the kernel's socket buffers meanwhile (a 720p keyframe is far smaller than a socket's default buffer), and
the next turn handles everything that arrived in one pass, while the decode thread, which the loop no longer
interrupts, decodes the frames the previous pass completed. Timers and other callbacks of the loop run at most
one `interval` late. Alternating phases in one run of the 30-feed wall (bench/bench_media.py, docs/benchmarks.md,
"Media") measured a worker's CPU about a tenth lower with 4 ms than without, for 1-2 ms more glass-to-glass
latency.

Only on uvloop, whose UDP transports read a ready socket until it is empty (up to 32 datagrams a turn, libuv's
batch). asyncio's own loop reads one datagram per socket per turn: paced, a 720p feed would overflow its socket
buffer. On that loop (a worker without uvloop) the pacer does nothing and says so once.

``TRUNKDESK_RX_PACING_MS`` sets the interval (0 turns pacing off); the default is `DEFAULT_INTERVAL`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_INTERVAL", "ReceivePacer", "interval_from_environment"]

#: seconds the loop sleeps between its turns while receiving video
DEFAULT_INTERVAL = 0.004
#: the most an interval may be: longer would hold voice and RTCP noticeably late
MAX_INTERVAL = 0.02


def interval_from_environment(default: float = DEFAULT_INTERVAL) -> float:
    """The interval ``TRUNKDESK_RX_PACING_MS`` asks for (seconds; 0: no pacing), ``default`` when unset; a value
    that is not a number of milliseconds between 0 and 20 is refused with a log line and the default kept."""
    raw = os.environ.get("TRUNKDESK_RX_PACING_MS", "").strip()
    if not raw:
        return default
    try:
        value = float(raw) / 1000
    except ValueError:
        value = -1.0
    if not 0 <= value <= MAX_INTERVAL:
        log.warning("TRUNKDESK_RX_PACING_MS=%r is not a number of milliseconds from 0 to %.0f; using %.0f ms",
                    raw, MAX_INTERVAL * 1000, default * 1000)
        return default
    return value


class ReceivePacer:
    """Sleeps `interval` in each turn of the running loop while ``active()`` says video is being received.

    `wake` starts it (call it whenever a session that may receive video opens); it stops by itself at the first
    turn where ``active()`` is false, and for good at `stop`. ``sleep`` is injectable for tests."""

    def __init__(self, interval: float, active: Callable[[], bool], *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = interval
        self._active = active
        self._sleep = sleep
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running = False
        self._stopped = False
        #: turns slept so far (diagnostics, tests)
        self.turns = 0

    @property
    def running(self) -> bool:
        return self._running

    def wake(self) -> None:
        """Start pacing the running loop, unless it already is, pacing is off, the pacer was stopped, or the loop
        is not uvloop's (see the module docstring)."""
        if self._running or self._stopped or self.interval <= 0:
            return
        loop = asyncio.get_running_loop()
        if not type(loop).__module__.startswith("uvloop"):
            if self._loop is None:
                log.info("receive pacing is off: the worker's event loop (%s) is not uvloop", type(loop).__name__)
            self._loop = loop
            return
        self._loop = loop
        self._running = True
        self._loop.call_soon(self._turn)

    def stop(self) -> None:
        self._stopped = True

    def _turn(self) -> None:
        if self._stopped or not self._active():
            self._running = False
            return
        self.turns += 1
        self._sleep(self.interval)  # the GIL is free meanwhile: the decode thread works
        assert self._loop is not None
        self._loop.call_soon(self._turn)
