"""The desk's microphone, tapped in a media worker while the desk talks: what the recorder keeps of the dispatcher.

Voice links send the microphone only while keyed, each from its own reader of the microphone (`microphone_track`),
and only when there is a party to talk to. The dispatcher's words are recorded whether or not anyone listens, so
one worker also reads the microphone into a ring while the desk talks (`TapMicrophone`), the way a voice link's
received audio is kept (`AudioTail`); the desk drains it every audio tick (`DrainMicrophone`) and hands it to its
recorder. It all runs on the worker's loop, never on the desk's event loop or GUI thread.

While the tap is off the microphone is not read at all (no task, no wake-ups); switched on again it carries on from
"now" (`resync`), as a keyed link does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.audio import AudioTail, Pcm
from media.sources import microphone_track

log = logging.getLogger(__name__)

__all__ = ["MicrophoneTap"]


class MicrophoneTap:
    """Reads the microphone ``spec`` (a `microphone_track` spec; "" for none) into a ring of ``keep`` seconds while
    on. ``written`` counts every sample ever added; `since` hands out what came after a position."""

    def __init__(self, spec: str, keep: float = 2.0) -> None:
        self.spec = spec
        self.ring = AudioTail(keep)
        self._track: MediaStreamTrack | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def on(self) -> bool:
        return self._task is not None and not self._task.done()

    def set(self, on: bool) -> bool:
        """Start or stop reading; whether that changed anything (always False without a microphone)."""
        if not self.spec or on == self.on:
            return False
        if on:
            if self._track is None:
                self._track = microphone_track(self.spec)
            resync = getattr(self._track, "resync", None)
            if callable(resync):
                resync()
            self._task = asyncio.get_running_loop().create_task(self._pump(self._track), name="microphone-tap")
        elif self._task is not None:
            self._task.cancel()
            self._task = None
        return True

    async def _pump(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                log.warning("the microphone ended; the desk's voice is no longer recorded")
                return
            if isinstance(frame, av.AudioFrame):
                self.ring.add(frame)

    def since(self, position: int) -> tuple[Pcm, int]:
        """The samples added after ``position`` (0 at first) and the new position."""
        return self.ring.since(position)

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._track is not None:
            self._track.stop()
            self._track = None
