"""Reading received tracks to their end: every peer that receives media drains what arrives.

aiortc decodes every received track into unbounded queues, so a track nobody reads grows without bound: each
receiving peer (a terminal's viewer, a voice link's sender, the test and bench peers) starts one drain task per
track as it arrives and hands each frame to its own handler. `TrackDrains` keeps those tasks (a task that is not
referenced may be collected mid-flight) and ends them on close: by waiting for them once the peer connection is
closed (its tracks then end with `MediaStreamError`), or by cancelling them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

__all__ = ["FrameHandler", "TrackDrains", "drain"]

#: called with each frame a track yields (an `av.VideoFrame`, `av.AudioFrame` or, rarely, a packet)
FrameHandler = Callable[[Any], None]


async def drain(track: MediaStreamTrack, on_frame: FrameHandler) -> None:
    """Hand every frame of ``track`` to ``on_frame`` until the track ends."""
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        on_frame(frame)


class TrackDrains:
    """The drain tasks of one peer's received tracks."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        """Drains still running."""
        return len(self._tasks)

    def start(self, track: MediaStreamTrack, on_frame: FrameHandler, name: str | None = None) -> None:
        """Drain ``track`` into ``on_frame`` in a task of the running loop, until it ends."""
        task = asyncio.get_running_loop().create_task(drain(track, on_frame), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for every drain to end (close the peer connection first)."""
        if self._tasks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*self._tasks, return_exceptions=True), timeout)

    async def cancel(self) -> None:
        """Cancel every drain and wait until each has ended."""
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
