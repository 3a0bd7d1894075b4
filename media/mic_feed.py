"""The desk's live microphone, fed by the desk and read in the media workers: a shared-memory ring of PCM.

The Qt desk captures its microphone (a sound device, console/ui/sound.py) in the desk's process; voice links and
the recorder's tap read the microphone in the media worker processes (media/receiver.py, media/mic_tap.py), each
with its own reader (`microphone_track`). So one capture is fanned out through shared memory: the desk writes every
captured chunk into a `MicFeed` (one writer), and each reader in a worker is a `FedMicrophoneTrack` that attached
to it by name (the microphone spec ``feed:<name>``) and hands aiortc 20 ms frames from its own position.

Layout: a header of four uint64 (magic, capacity, samples ever written, write counter of the last write's end in
nanoseconds of `time.monotonic`) then ``capacity`` int16 samples, mono at 48 kHz. The writer stores samples first
and the count after; a reader that finds the count moved past what it copied (the ring overran its position while
it copied) takes only what is still valid. x86-64 and arm64 keep those two stores in order for a reader that
loads the count first (numpy element stores are plain stores; the count is one aligned 8-byte store).

A reader that keyed its microphone (`resync`: the gate opened) starts from the newest samples, so a burst carries
what the dispatcher says from the press on, not what was said before it. Waiting for samples polls the ring at the
pace they are due (no busy loop): the added delay is the capture's chunk (about 10 ms with the Qt desk) plus at
most one poll period (`POLL`, 5 ms); bench/bench_sound.py measures it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import time
from multiprocessing import shared_memory

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.audio import AUDIO_RATE, Pcm

log = logging.getLogger(__name__)

__all__ = ["FEED_PREFIX", "FedMicrophoneTrack", "MicFeed"]

#: a microphone spec naming a feed: ``feed:<shared memory name>``
FEED_PREFIX = "feed:"
_MAGIC = 0x7472_756E_6B6D_6963  # "trunkmic"
_HEADER = 4 * 8
_MAGIC_AT, _CAPACITY_AT, _WRITTEN_AT, _WROTE_AT = range(4)
#: samples per frame handed to aiortc (20 ms, one Opus packet)
FRAME = AUDIO_RATE // 50
#: seconds between two looks at the ring while a reader waits for samples
POLL = 0.005
#: a reader further behind than this (seconds) jumps to the newest samples minus one frame (it was not read)
MAX_BEHIND = 0.2


class MicFeed:
    """A shared ring of the desk's microphone (see the module docstring). `create` in the desk, `attach` in workers."""

    def __init__(self, memory: shared_memory.SharedMemory, *, owner: bool) -> None:
        self._memory = memory
        self._owner = owner
        self._header = np.ndarray((4,), np.uint64, memory.buf, 0)
        if int(self._header[_MAGIC_AT]) != _MAGIC:
            raise ValueError(f"shared memory {memory.name} is not a microphone feed")
        self.capacity = int(self._header[_CAPACITY_AT])
        self._ring: Pcm = np.ndarray((self.capacity,), np.int16, memory.buf, _HEADER)
        self._closed = False

    @classmethod
    def create(cls, seconds: float = 2.0) -> MicFeed:
        """A new feed keeping the newest ``seconds``, owned (and unlinked on `close`) by the caller."""
        capacity = max(FRAME * 4, int(seconds * AUDIO_RATE))
        memory = shared_memory.SharedMemory(create=True, size=_HEADER + 2 * capacity)
        header = np.ndarray((4,), np.uint64, memory.buf, 0)
        header[_CAPACITY_AT] = capacity
        header[_WRITTEN_AT] = 0
        header[_MAGIC_AT] = _MAGIC
        del header
        log.info("microphone feed %s: %.1f s", memory.name, capacity / AUDIO_RATE)
        return cls(memory, owner=True)

    @classmethod
    def attach(cls, name: str) -> MicFeed:
        """The feed ``name`` created by another process (a media worker attaching to the desk's microphone)."""
        return cls(shared_memory.SharedMemory(name=name), owner=False)

    @property
    def name(self) -> str:
        return self._memory.name

    @property
    def spec(self) -> str:
        """The microphone spec that makes `media.sources.microphone_track` read this feed."""
        return FEED_PREFIX + self.name

    @property
    def written(self) -> int:
        """Samples ever written."""
        return int(self._header[_WRITTEN_AT])

    @property
    def wrote_at(self) -> float:
        """`time.monotonic` of the last write's end (0.0 before the first)."""
        return int(self._header[_WROTE_AT]) / 1e9

    def write(self, samples: Pcm) -> None:
        """Append captured samples (mono int16 at 48 kHz); the oldest fall out. One writer only."""
        if self._closed or not len(samples):
            return
        samples = np.asarray(samples, dtype=np.int16)
        written = self.written
        skipped = max(0, len(samples) - self.capacity)
        kept = samples[skipped:]
        start = (written + skipped) % self.capacity
        first = min(len(kept), self.capacity - start)
        self._ring[start:start + first] = kept[:first]
        self._ring[: len(kept) - first] = kept[first:]
        self._header[_WROTE_AT] = int(time.monotonic() * 1e9)
        self._header[_WRITTEN_AT] = written + len(samples)  # after the samples: readers trust what it counts

    def read(self, position: int, count: int) -> tuple[Pcm, int]:
        """Up to ``count`` samples from absolute ``position`` on (what the ring still holds of them, from the oldest
        valid one when it overran) and the position after them."""
        written = self.written
        first = max(position, written - self.capacity + FRAME)  # a frame of margin against the writer
        last = min(written, first + count)
        if last <= first:
            return np.zeros(0, dtype=np.int16), max(position, first)
        start = first % self.capacity
        if start + (last - first) <= self.capacity:
            out = self._ring[start:start + last - first].copy()
        else:
            out = np.concatenate((self._ring[start:], self._ring[: last - first - (self.capacity - start)]))
        overran = self.written - self.capacity + FRAME - first  # samples the writer replaced while we copied
        if overran > 0:
            out, first = out[overran:], first + overran
        return out, first + len(out)

    def close(self) -> None:
        """Detach; the owner also frees the memory."""
        if self._closed:
            return
        self._closed = True
        del self._ring, self._header
        self._memory.close()
        if self._owner:
            with contextlib.suppress(FileNotFoundError):
                self._memory.unlink()


class FedMicrophoneTrack(MediaStreamTrack):
    """An audio track of 20 ms mono frames read from a `MicFeed` (see the module docstring)."""

    kind = "audio"

    def __init__(self, feed: MicFeed, *, poll: float = POLL) -> None:
        super().__init__()
        self.feed = feed
        self._poll = poll
        self._position = feed.written
        self._pts = 0
        self._time_base = fractions.Fraction(1, AUDIO_RATE)
        #: times this reader fell behind by more than `MAX_BEHIND` and skipped ahead
        self.skips = 0

    @classmethod
    def open(cls, name: str) -> FedMicrophoneTrack:
        return cls(MicFeed.attach(name))

    def resync(self) -> None:
        """Carry on from the newest samples (the gate opened: what came before is not part of the burst)."""
        self._position = self.feed.written

    async def recv(self) -> av.AudioFrame:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            written = self.feed.written
            if written - self._position > MAX_BEHIND * AUDIO_RATE:
                self._position = written - FRAME
                self.skips += 1
            if written - self._position >= FRAME:
                break
            await asyncio.sleep(max(self._poll, (FRAME - (written - self._position)) / AUDIO_RATE / 2))
        pcm, self._position = self.feed.read(self._position, FRAME)
        if len(pcm) < FRAME:  # overran while copying: pad (rare, and only after a stall)
            pcm = np.concatenate((pcm, np.zeros(FRAME - len(pcm), dtype=np.int16)))
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = self._pts
        frame.time_base = self._time_base
        self._pts += FRAME
        return frame

    def stop(self) -> None:
        super().stop()
        self.feed.close()
