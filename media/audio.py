"""PCM for push-to-talk voice: rings of received audio, the desk's mixer of talkers and tones, a tone detector.

Everything here is mono int16 at 48 kHz (Opus's rate) and plain numpy: no aiortc, no clock. A `PcmRing` keeps
the newest seconds of a stream and hands out what was added since a position, so that a reader in another
process (the desk, reading a worker's ring over the pipe) takes each sample once. `VoiceMixer` mixes the
talkers the desk hears, each at its own gain (the selected group louder), and one-shot tones (talk permit, floor
denied), into an output ring that an audio device (the Qt desk) or a test reads.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable
from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt

__all__ = ["AUDIO_RATE", "AudioTail", "Pcm", "PcmRing", "VoiceMixer", "tone_level"]

AUDIO_RATE = 48_000

Pcm = npt.NDArray[np.int16]


class PcmRing:
    """The newest ``seconds`` of a mono int16 stream; ``written`` counts every sample ever added."""

    def __init__(self, seconds: float, rate: int = AUDIO_RATE) -> None:
        self.rate = rate
        self._ring: Pcm = np.zeros(max(1, int(seconds * rate)), dtype=np.int16)
        self.written = 0

    @property
    def capacity(self) -> int:
        return len(self._ring)

    def add_pcm(self, samples: npt.NDArray[np.int16]) -> None:
        """Append samples (the oldest fall out of the ring)."""
        skipped = max(0, len(samples) - len(self._ring))
        kept = samples[skipped:]
        start = (self.written + skipped) % len(self._ring)
        first = min(len(kept), len(self._ring) - start)
        self._ring[start:start + first] = kept[:first]
        self._ring[: len(kept) - first] = kept[first:]
        self.written += len(samples)

    def _span(self, first: int) -> Pcm:
        """Samples from absolute position ``first`` (still in the ring) to the newest."""
        count = self.written - first
        if count <= 0:
            return np.zeros(0, dtype=np.int16)
        start = first % len(self._ring)
        if start + count <= len(self._ring):
            return self._ring[start:start + count].copy()
        return np.concatenate((self._ring[start:], self._ring[: count - (len(self._ring) - start)]))

    def last(self, seconds: float) -> Pcm:
        """The newest ``seconds`` (fewer when fewer were added)."""
        count = min(int(seconds * self.rate), len(self._ring), self.written)
        return self._span(self.written - count)

    def since(self, position: int) -> tuple[Pcm, int]:
        """What was added after ``position`` (a `written` value seen before) and the new position; when the ring
        overran since, only what it still holds."""
        first = max(position, self.written - len(self._ring), 0)
        return self._span(first), self.written


class AudioTail(PcmRing):
    """The last few seconds of a received audio track, folded to mono int16 at 48 kHz."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds, AUDIO_RATE)

    def add(self, frame: av.AudioFrame) -> None:
        """Append a decoded frame (aiortc's Opus decoder gives packed stereo s16; others are folded alike)."""
        pcm = frame.to_ndarray()
        channels = len(frame.layout.channels)
        mono = pcm[0] if frame.format.is_planar else pcm.reshape(-1)[::channels]
        if mono.dtype.kind == "f":
            mono = np.clip(mono * 32767, -32768, 32767)
        self.add_pcm(mono.astype(np.int16))


@dataclass
class _Stream:
    gain: float
    pending: Pcm
    playing: bool = False
    #: the least held after a render in the current trim window, and the samples rendered in that window
    lowest: int | None = None
    window: int = 0


class VoiceMixer:
    """Talkers' audio and one-shot tones mixed into ``output`` (see the module docstring).

    Received audio comes in bursts (a few frames per read); each stream waits until ``prebuffer`` seconds are
    buffered before it plays, and never lags more than ``max_delay`` (older samples are dropped), so a talker is
    heard with a steady, short delay. A stream that runs dry waits for its prebuffer again. What a stream still
    holds after every render of ``trim_window`` seconds beyond its prebuffer is a backlog that would otherwise stay
    for the rest of the burst (a media worker that stalled, then delivered its queue at once): it is dropped.
    ``dropped`` counts the samples dropped either way.
    """

    def __init__(self, *, rate: int = AUDIO_RATE, prebuffer: float = 0.06, max_delay: float = 0.3,
                 keep: float = 10.0, trim_window: float = 0.5) -> None:
        self.rate = rate
        self.prebuffer = int(prebuffer * rate)
        self.max_delay = int(max_delay * rate)
        self.trim_window = int(trim_window * rate)
        #: samples of received audio dropped to keep the delay short
        self.dropped = 0
        self.output = PcmRing(keep, rate)
        self._streams: dict[str, _Stream] = {}
        self._tones: collections.deque[Pcm] = collections.deque()
        #: sounds played once alongside everything else (a replay under the live audio), by name
        self._overlays: dict[str, tuple[Pcm, float]] = {}
        #: told every rendered chunk, in order (a sound device's playout ring: console/core/sound.py)
        self.sinks: list[Callable[[Pcm], None]] = []

    @property
    def streams(self) -> list[str]:
        return list(self._streams)

    def playing(self, stream: str) -> bool:
        """Whether ``stream`` is heard now (buffered past its prebuffer and not run dry)."""
        found = self._streams.get(stream)
        return found is not None and found.playing

    def set_gain(self, stream: str, gain: float) -> None:
        """Set a stream's gain (1.0 as received), adding the stream if new."""
        found = self._streams.get(stream)
        if found is None:
            self._streams[stream] = _Stream(gain, np.zeros(0, dtype=np.int16))
        else:
            found.gain = gain

    def gain(self, stream: str) -> float | None:
        found = self._streams.get(stream)
        return found.gain if found is not None else None

    def push(self, stream: str, samples: Pcm) -> None:
        """Received samples of ``stream`` (added at gain 1.0 if new)."""
        if stream not in self._streams:
            self.set_gain(stream, 1.0)
        found = self._streams[stream]
        found.pending = np.concatenate((found.pending, samples)) if len(found.pending) else samples
        if len(found.pending) > self.max_delay:
            self.dropped += len(found.pending) - self.prebuffer
            found.pending = found.pending[len(found.pending) - self.prebuffer:]
        if not found.playing and len(found.pending) >= self.prebuffer:
            found.playing = True

    def remove(self, stream: str) -> None:
        self._streams.pop(stream, None)

    def play(self, tone: Pcm) -> None:
        """Mix a one-shot sound in (after any tone still playing)."""
        if len(tone):
            self._tones.append(tone)

    def overlay(self, name: str, samples: Pcm, gain: float = 1.0) -> None:
        """Play ``samples`` once at ``gain``, mixed with the talkers and tones (not after them); replaces what
        ``name`` was playing."""
        if len(samples):
            self._overlays[name] = (samples, gain)
        else:
            self._overlays.pop(name, None)

    def stop_overlay(self, name: str) -> bool:
        """Stop ``name``'s overlay; whether it was playing."""
        return self._overlays.pop(name, None) is not None

    def overlay_left(self, name: str) -> float:
        """Seconds of ``name``'s overlay still to play (0 when none)."""
        found = self._overlays.get(name)
        return len(found[0]) / self.rate if found is not None else 0.0

    def _trim(self, stream: _Stream, count: int) -> None:
        """Drop what ``stream`` held beyond its prebuffer after every render of the last window."""
        held = len(stream.pending)
        stream.lowest = held if stream.lowest is None else min(stream.lowest, held)
        stream.window += count
        if stream.window < self.trim_window:
            return
        excess = stream.lowest - self.prebuffer
        if excess > self.rate // 200:  # over 5 ms
            stream.pending = stream.pending[excess:]
            self.dropped += excess
        stream.lowest, stream.window = None, 0

    def render(self, count: int) -> Pcm:
        """Mix the next ``count`` samples, append them to ``output`` and return them."""
        mix = np.zeros(count, dtype=np.float32)
        for name, (samples, gain) in list(self._overlays.items()):
            take = samples[:count]
            mix[: len(take)] += gain * take
            if len(take) < len(samples):
                self._overlays[name] = (samples[len(take):], gain)
            else:
                del self._overlays[name]
        for stream in self._streams.values():
            if not stream.playing:
                continue
            take = stream.pending[:count]
            mix[: len(take)] += stream.gain * take
            stream.pending = stream.pending[len(take):]
            if not len(stream.pending):
                stream.playing = False
                stream.lowest, stream.window = None, 0
            else:
                self._trim(stream, count)
        filled = 0
        while self._tones and filled < count:
            tone = self._tones[0]
            take = tone[: count - filled]
            mix[filled:filled + len(take)] += take
            filled += len(take)
            if len(take) < len(tone):
                self._tones[0] = tone[len(take):]
            else:
                self._tones.popleft()
        out = np.clip(mix, -32768, 32767).astype(np.int16)
        self.output.add_pcm(out)
        for sink in self.sinks:
            sink(out)
        return out


def tone_level(samples: npt.NDArray[np.int16], frequency: float, rate: int = AUDIO_RATE,
               bandwidth: float = 25.0) -> float:
    """How much of ``samples``' energy lies within ``bandwidth`` Hz of ``frequency`` (0..1; 0 for silence).

    A Hann-windowed FFT; what a test (or a line check) uses to tell whose tone it hears.
    """
    if len(samples) < 64:
        return 0.0
    signal = samples.astype(np.float64) * np.hanning(len(samples))
    power = np.abs(np.fft.rfft(signal)) ** 2
    total = float(power[1:].sum())
    if total <= 0 or math.isclose(total, 0.0):
        return 0.0
    bins = np.fft.rfftfreq(len(samples), 1 / rate)
    band = (bins > frequency - bandwidth) & (bins < frequency + bandwidth)
    return float(power[band].sum()) / total
