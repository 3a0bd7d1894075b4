"""The desk's sound devices as the core sees them: the mix on its way out, the microphone on its way in (no Qt).

The Qt desk owns the devices (console/ui/sound.py: a `QAudioSink` and a `QAudioSource` on an audio thread of their
own); the core only hands PCM over, so that headless runs and tests use the same path without Qt:

- **Out.** The desk's `VoiceMixer` renders the mix (talkers, the selected group louder, tones, replay overlays) in
  40 ms chunks on the event loop; each chunk is also written into a `PlayoutRing`, which the output device reads
  from its own thread, a few milliseconds at a time. The ring starts playing once it holds `PREFILL` seconds (so a
  late chunk of the event loop does not run it dry), counts every time it runs dry anyway (an *underrun*: the
  device then plays silence, faded out, and the ring waits for its prefill again) and keeps the delay short: what
  stays buffered beyond `MARGIN` at the ring's lowest for half a second (delay a stalled device left behind, or a
  device clock slower than ours) is dropped, and never more than `MAX_LEVEL` is kept. A device that asks for
  nothing for longer than `STALL` (its thread starved on a busy machine) has played silence meanwhile, so the ring
  counts a *stall* and drops what piled up beyond the prefill at once: audio that fell behind catches up instead of
  staying late (docs/architecture.md, "the loudspeaker's tail").
- **In.** The input device's chunks go to a `MicFeed` (media/mic_feed.py): shared memory that the media workers'
  voice links and the recorder's tap read as the desk's microphone (the spec ``feed:<name>``), each while keyed.

`DeskSound` ties them to a desk and keeps what diagnostics and the status bar show: the devices in use, their
problems (a device missing or failing), the counters.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from media.audio import AUDIO_RATE, Pcm
from media.mic_feed import MicFeed

if TYPE_CHECKING:
    from console.core.media_desk import DeskMedia, MediaOptions

logger = logging.getLogger(__name__)

__all__ = ["MARGIN", "MAX_LEVEL", "PREFILL", "STALL", "DeskSound", "DeviceState", "PlayoutRing", "PlayoutStats"]

#: seconds the playout ring holds before it plays (the event loop renders the mix every 40 ms)
PREFILL = 0.05
#: seconds of delay above which the oldest samples are dropped at once
MAX_LEVEL = 0.2
#: seconds the ring keeps at its lowest (just before the mixer's next chunk): more, held for `TRIM_WINDOW`, is
#: delay left by a stall of the device and is dropped; less is what a late event loop may eat before an underrun
MARGIN = 0.02
TRIM_WINDOW = 0.5
#: seconds between two reads of the device above which it stalled: more than its own buffer holds (Qt's ring, 40 ms,
#: and PulseAudio's, about 20 ms), so it has played silence, and what the mixer wrote meanwhile is late
STALL = 0.1
#: samples faded out when the ring runs dry (1 ms), so that an underrun does not click
_FADE = AUDIO_RATE // 1000


@dataclass(frozen=True)
class PlayoutStats:
    """What a `PlayoutRing` went through."""

    #: times the device found the ring dry after it had started playing
    underruns: int
    #: samples of silence played in place of missing ones
    underrun_samples: int
    #: samples dropped to keep the delay short (held past the margin, past the ring's maximum, or late after a stall)
    dropped_samples: int
    #: samples written and read so far
    written: int
    read: int
    #: seconds buffered now
    level: float
    #: times the device asked for nothing for longer than the ring's stall time (it played silence meanwhile)
    stalls: int = 0
    #: the longest of those gaps, seconds
    longest_stall: float = 0.0


class PlayoutRing:
    """A thread-safe FIFO of mono int16 samples between the mixer (writer) and an output device (reader)."""

    def __init__(self, *, rate: int = AUDIO_RATE, prefill: float = PREFILL, max_level: float = MAX_LEVEL,
                 margin: float = MARGIN, stall: float = STALL) -> None:
        if not 0 < prefill < max_level:
            raise ValueError("the prefill must be above 0 and below the maximum level")
        self.rate = rate
        self.prefill = int(prefill * rate)
        self.max_level = int(max_level * rate)
        self.margin = int(margin * rate)
        self.stall = stall
        self._window = 0
        self._lowest = self.max_level
        self._lock = threading.Lock()
        self._ring: Pcm = np.zeros(self.max_level * 2, dtype=np.int16)
        self._head = 0  # absolute read position
        self._tail = 0  # absolute write position
        self._playing = False
        self._underruns = 0
        self._underrun_samples = 0
        self._dropped = 0
        self._last_read: float | None = None
        #: samples the device asked for since it opened (`reset`)
        self._asked = 0
        self._stalls = 0
        self._longest_stall = 0.0

    def write(self, samples: Pcm) -> None:
        """Append rendered samples (the event loop's side)."""
        if not len(samples):
            return
        with self._lock:
            samples = samples[-len(self._ring):]
            start = self._tail % len(self._ring)
            first = min(len(samples), len(self._ring) - start)
            self._ring[start:start + first] = samples[:first]
            self._ring[: len(samples) - first] = samples[first:]
            self._tail += len(samples)
            if self._tail - self._head > self.max_level:
                self._dropped += self._tail - self._head - self.prefill
                self._head = self._tail - self.prefill

    def read(self, count: int, now: float | None = None) -> Pcm:
        """Exactly ``count`` samples for the device (the audio thread's side): buffered ones, silence for the rest.

        ``now`` (`time.monotonic` by default) tells a stalled device: see `_catch_up`."""
        out = np.zeros(count, dtype=np.int16)
        now = time.monotonic() if now is None else now
        with self._lock:
            self._catch_up(now)
            self._asked += count
            level = self._tail - self._head
            if not self._playing:
                if level < self.prefill:
                    return out
                self._playing = True
            take = min(level, count)
            start = self._head % len(self._ring)
            first = min(take, len(self._ring) - start)
            out[:first] = self._ring[start:start + first]
            out[first:take] = self._ring[: take - first]
            self._head += take
            self._trim(count)
            if take < count:
                self._playing = False
                self._underruns += 1
                self._underrun_samples += count - take
                fade = min(_FADE, take)
                if fade:
                    out[take - fade:take] = (out[take - fade:take] * np.linspace(1.0, 0.0, fade)).astype(np.int16)
        return out

    def _catch_up(self, now: float) -> None:
        """After a stall of the device, drop what piled up beyond the prefill (under the lock).

        The device asks for a few ms at a time; a gap longer than `stall` means its thread did not run (a busy
        machine), its own buffer ran dry and it played silence. Everything written meanwhile would now be played
        that late, and stay that late: the newest prefill is kept, the rest dropped and counted. A device that just
        opened (PulseAudio: Qt's ring and the stream filled, 56 ms, then nothing for 0.3 s or more until the sink
        starts) is caught up likewise but not counted as stalled."""
        last, self._last_read = self._last_read, now
        if last is None or now - last <= self.stall:
            return
        if self._asked >= self.stall * self.rate:  # a device that just opened fills its buffer, then starts: no stall
            self._stalls += 1
            self._longest_stall = max(self._longest_stall, now - last)
        excess = self._tail - self._head - self.prefill
        if excess > 0:
            self._head += excess
            self._dropped += excess
        self._window = 0
        self._lowest = self.max_level

    def _trim(self, count: int) -> None:
        """Drop the delay held beyond the margin all through the last window (under the lock)."""
        self._lowest = min(self._lowest, self._tail - self._head)
        self._window += count
        if self._window < TRIM_WINDOW * self.rate:
            return
        excess = self._lowest - self.margin
        if excess > self.rate // 200:  # over 5 ms
            self._head += excess
            self._dropped += excess
        self._window = 0
        self._lowest = self.max_level

    @property
    def level(self) -> float:
        """Seconds buffered now."""
        with self._lock:
            return (self._tail - self._head) / self.rate

    def stats(self) -> PlayoutStats:
        with self._lock:
            return PlayoutStats(self._underruns, self._underrun_samples, self._dropped, self._tail, self._head,
                                (self._tail - self._head) / self.rate, self._stalls, self._longest_stall)

    def reset(self) -> None:
        """Forget what is buffered (a device was switched: it starts from the prefill again)."""
        with self._lock:
            self._head = self._tail
            self._playing = False
            self._window = 0
            self._lowest = self.max_level
            self._last_read = None  # a new device: no stall to tell before its first read
            self._asked = 0


@dataclass(frozen=True)
class DeviceState:
    """One direction's device as the desk uses it."""

    #: the configured device (``audio.input`` / ``audio.output``; "" for the system's default)
    wanted: str = ""
    #: the device in use (its description), None when none is open
    using: str | None = None
    #: what is wrong, in English for the log and diagnostics (None: all is well)
    problem: str | None = None


class DeskSound:
    """The desk's sound devices as the core keeps them (see the module docstring).

    ``microphone``: capture a live microphone into a `MicFeed` (False: voice links keep the desk's stand-in or none).
    """

    def __init__(self, *, microphone: bool = True, prefill: float = PREFILL, max_level: float = MAX_LEVEL) -> None:
        self.playout = PlayoutRing(prefill=prefill, max_level=max_level)
        self.feed: MicFeed | None = MicFeed.create() if microphone else None
        self.output = DeviceState()
        self.input = DeviceState()
        #: the microphone's peak level of the last captured chunk, 0..1
        self.input_level = 0.0
        #: samples captured from the microphone so far
        self.captured = 0
        #: the output device's own buffer, seconds (for the delay diagnostics show)
        self.device_buffer = 0.0
        #: the scheduling priority the audio threads run at, as the UI got it (for diagnostics; "" until a device)
        self.audio_priority = ""
        #: told of every change of a device's state (the status bar)
        self.listeners: list[Callable[[], None]] = []
        self._media: DeskMedia | None = None
        self._feeding = threading.Lock()
        self._closed = False

    def media_options(self, options: MediaOptions) -> MediaOptions:
        """``options`` with the live microphone as the desk's microphone (unless a stand-in was asked for)."""
        if self.feed is None or options.microphone:
            return options
        return dataclasses.replace(options, microphone=self.feed.spec)

    def attach(self, media: DeskMedia | None) -> None:
        """Play ``media``'s mix on the output device from now on (the mixer renders continuously from then on, on the
        running event loop, so that tones and replays play without a media engine too)."""
        if media is None or self._media is media:
            return
        self._media = media
        media.voice.mixer.sinks.append(self.playout.write)
        media.ensure_audio()

    def take_microphone(self, pcm: Pcm) -> None:
        """A chunk captured from the microphone (any thread): to the media workers' feed, and the level meter."""
        if not len(pcm):
            return
        with self._feeding:
            if self._closed:
                return
            if self.feed is not None:
                self.feed.write(pcm)
            self.captured += len(pcm)
        self.input_level = float(np.abs(pcm.astype(np.int32)).max()) / 32768

    def set_state(self, direction: str, state: DeviceState) -> None:
        """The UI's news of a device (``"input"`` or ``"output"``); problems are logged once each."""
        before = self.output if direction == "output" else self.input
        if state == before:
            return
        if state.problem and state.problem != before.problem:
            logger.warning("sound %s: %s", direction, state.problem)
        elif state.using != before.using:
            logger.info("sound %s: %s", direction, state.using or "none")
        if direction == "output":
            self.output = state
        else:
            self.input = state
        for listener in list(self.listeners):
            try:
                listener()
            except Exception:  # a listener's bug must not stop the sound
                logger.exception("sound listener failed")

    def problems(self) -> list[str]:
        return [f"{name}: {state.problem}" for name, state in (("output", self.output), ("input", self.input))
                if state.problem]

    def describe(self) -> list[str]:
        """Lines for the diagnostics: devices in use, their problems, the playout's counters."""
        lines = []
        for name, state in (("output", self.output), ("input", self.input)):
            wanted = repr(state.wanted) if state.wanted else "the system default"
            lines.append(f"{name}: {state.using or 'none'} (configured: {wanted})"
                         + (f"; problem: {state.problem}" if state.problem else ""))
        stats = self.playout.stats()
        lines.append(f"playout: {stats.underruns} underruns ({stats.underrun_samples / AUDIO_RATE * 1000:.0f} ms of "
                     f"silence), {stats.stalls} device stalls (longest {stats.longest_stall * 1000:.0f} ms), "
                     f"{stats.dropped_samples / AUDIO_RATE * 1000:.0f} ms dropped, "
                     f"{stats.level * 1000:.0f} ms buffered + {self.device_buffer * 1000:.0f} ms in the device")
        if self._media is not None:
            dropped = self._media.voice.mixer.dropped / AUDIO_RATE * 1000
            lines.append(f"mixer: {dropped:.0f} ms of received audio dropped to keep the delay short")
        if self.audio_priority:
            lines.append(f"audio threads: {self.audio_priority}")
        if self.feed is not None:
            lines.append(f"microphone: {self.captured / AUDIO_RATE:.1f} s captured into {self.feed.spec}")
        else:
            lines.append("microphone: not captured (a stand-in or none)")
        return lines

    def close(self) -> None:
        """Stop feeding the workers and free the feed (after the media engine stopped)."""
        with self._feeding:
            self._closed = True
        if self._media is not None:
            sinks = self._media.voice.mixer.sinks
            if self.playout.write in sinks:
                sinks.remove(self.playout.write)
            self._media = None
        if self.feed is not None:
            self.feed.close()
            self.feed = None
