"""Media sources of simulated terminals: a looping pre-encoded clip, a test tone and a speech-like voice.

`ClipTrack` hands aiortc the H.264 access units of a clip (clips.py) as `av.Packet`s, so aiortc packetises
them without decoding or encoding: a camera feed costs its sender about a percent of a core. The clip is read
once into memory (shared by every track of the same file), looped with continuous timestamps, paced on the
event loop's clock, and can be swapped for another clip (a quality switch) at the next frame, which is always
clean because every clip starts with a keyframe and its SPS/PPS.

The audio tracks give Opus something real to encode: a pure tone (a per-terminal frequency lets a test check
whose voice it hears with an FFT) and a voiced, syllable-rhythmed signal with speech-like spectrum.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.audio import AUDIO_RATE, Pcm
from media.mic_feed import FedMicrophoneTrack

log = logging.getLogger(__name__)

__all__ = [
    "AUDIO_RATE",
    "ClipTrack",
    "EncodedClip",
    "GatedTrack",
    "PcmLoopTrack",
    "SpeechTrack",
    "ToneTrack",
    "load_pcm",
    "microphone_track",
    "tone_frequency",
]

VIDEO_CLOCK = 90_000
#: audio frame length (aiortc packetises 20 ms per RTP packet)
AUDIO_PTIME = 0.020
#: when a track's consumer stalled longer than this, the track restarts its clock instead of bursting
MAX_LATE = 0.5


@dataclass(frozen=True)
class EncodedClip:
    """A clip's access units in presentation order (no B-frames, so also decoding order)."""

    path: Path
    width: int
    height: int
    fps: float
    units: tuple[bytes, ...]
    keyframes: tuple[bool, ...]

    @property
    def bitrate(self) -> float:
        """Mean video bitrate in bits per second."""
        return sum(len(unit) for unit in self.units) * 8 * self.fps / len(self.units)


_loaded: dict[tuple[str, int, int], EncodedClip] = {}
_loading = threading.Lock()


def load_clip(path: Path | str) -> EncodedClip:
    """Read a clip's H.264 access units (Annex B, as MPEG-TS carries them); cached per file version."""
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    with _loading:
        clip = _loaded.get(key)
        if clip is not None:
            return clip
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            if stream.codec_context.name != "h264":
                raise ValueError(f"{path}: video is {stream.codec_context.name}, not H.264")
            units: list[tuple[int, bytes, bool]] = []
            for packet in container.demux(stream):
                if packet.size == 0 or packet.pts is None:
                    continue
                units.append((packet.pts, bytes(packet), packet.is_keyframe))
            rate = stream.average_rate or stream.guessed_rate or 25
            clip = EncodedClip(path=path, width=stream.codec_context.width, height=stream.codec_context.height,
                               fps=float(rate), units=tuple(u[1] for u in sorted(units)),
                               keyframes=tuple(u[2] for u in sorted(units)))
        if not clip.units or not clip.keyframes[0]:
            raise ValueError(f"{path}: a clip must start with a keyframe")
        _loaded[key] = clip
        log.debug("loaded clip %s: %dx%d, %d frames, %.0f kbit/s", path.name, clip.width, clip.height,
                  len(clip.units), clip.bitrate / 1000)
        return clip


class _PacedTrack(MediaStreamTrack):
    """A track that releases one unit every ``period`` seconds of the event loop's clock."""

    def __init__(self, period: float) -> None:
        super().__init__()
        self._period = period
        self._start: float | None = None
        self._emitted = 0

    async def _pace(self) -> None:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        due = self._start + self._emitted * self._period
        wait = due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        elif wait < -MAX_LATE:
            self.resync()

    def resync(self) -> None:
        """Carry on from now, as if the next unit were due at once (after a pause its consumer chose)."""
        if self._start is not None:
            self._start = asyncio.get_running_loop().time() - self._emitted * self._period


class ClipTrack(_PacedTrack):
    """A video track that loops a pre-encoded clip, sent as is (see the module docstring)."""

    kind = "video"

    def __init__(self, clip: EncodedClip | Path | str) -> None:
        self.clip = clip if isinstance(clip, EncodedClip) else load_clip(clip)
        super().__init__(1 / self.clip.fps)
        self._index = 0
        self._next_clip: EncodedClip | None = None
        self._time_base = fractions.Fraction(1, VIDEO_CLOCK)
        self._pts = 0
        self._keyframe_wanted = False
        #: keyframe requests that made the clip skip ahead to its next keyframe
        self.keyframe_jumps = 0

    @property
    def frames_sent(self) -> int:
        """Access units handed to the sender so far."""
        return self._emitted

    def switch(self, clip: EncodedClip | Path | str) -> None:
        """Continue with ``clip`` (from its first keyframe) at the next frame: a quality switch."""
        self._next_clip = clip if isinstance(clip, EncodedClip) else load_clip(clip)

    def request_keyframe(self) -> None:
        """A receiver lost the picture (RTCP PLI or FIR, e.g. an SFU's new subscriber): a pre-encoded clip cannot
        make a keyframe, so the next frame sent is the clip's next keyframe (skipping ahead to it, at most one
        keyframe interval), rather than the new viewer waiting for it."""
        self._keyframe_wanted = True

    async def recv(self) -> av.Packet:  # type: ignore[type-arg]
        await self._pace()
        if self._next_clip is not None:
            self.clip, self._next_clip, self._index = self._next_clip, None, 0
            self._period = 1 / self.clip.fps
            self._start = asyncio.get_running_loop().time() - self._emitted * self._period
        if self._keyframe_wanted:
            self._keyframe_wanted = False
            if not self.clip.keyframes[self._index]:
                keyframes = self.clip.keyframes
                ahead = next((i for i in range(self._index + 1, len(keyframes)) if keyframes[i]), 0)
                self._index = ahead
                self.keyframe_jumps += 1
        packet = av.Packet(self.clip.units[self._index])
        packet.pts = self._pts
        packet.time_base = self._time_base
        self._index = (self._index + 1) % len(self.clip.units)
        self._emitted += 1
        self._pts += round(VIDEO_CLOCK * self._period)
        return packet


def tone_frequency(source_id: int) -> float:
    """A terminal's test-tone frequency: 400 Hz up in 100 Hz steps, 16 distinct (well apart after Opus)."""
    return 400.0 + 100.0 * (source_id % 16)


class ToneTrack(_PacedTrack):
    """A continuous sine tone, 20 ms mono frames at 48 kHz."""

    kind = "audio"

    def __init__(self, frequency: float = 1000.0, amplitude: float = 0.3) -> None:
        super().__init__(AUDIO_PTIME)
        self.frequency = frequency
        self.amplitude = amplitude
        self._samples = round(AUDIO_RATE * AUDIO_PTIME)
        self._time_base = fractions.Fraction(1, AUDIO_RATE)

    def _signal(self, start: int) -> np.ndarray:
        t = (start + np.arange(self._samples)) / AUDIO_RATE
        return self.amplitude * np.sin(2 * math.pi * self.frequency * t)

    async def recv(self) -> av.AudioFrame:
        await self._pace()
        start = self._emitted * self._samples
        pcm = np.clip(self._signal(start) * 32767, -32768, 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = start
        frame.time_base = self._time_base
        self._emitted += 1
        return frame


class SpeechTrack(ToneTrack):
    """A voice-like signal: harmonics of a gliding pitch shaped by vowel formants, in syllables and pauses.

    Deterministic for a ``seed``; its energy sits where speech's does (100 Hz to 3.5 kHz), so Opus treats it
    as speech, unlike a pure tone.
    """

    #: formant frequencies (Hz) of a few vowels: a, e, i, o, u
    VOWELS = ((730, 1090, 2440), (530, 1840, 2480), (270, 2290, 3010), (570, 840, 2410), (300, 870, 2240))

    def __init__(self, seed: int = 0, pitch: float = 140.0, amplitude: float = 0.3) -> None:
        super().__init__(pitch, amplitude)
        self._rng = np.random.default_rng(seed)
        self._phase = 0.0
        self._syllables: list[tuple[int, int, int]] = []  # (start sample, length, vowel)
        self._planned = 0

    def _plan(self, until: int) -> None:
        while self._planned < until:
            length = int(AUDIO_RATE * self._rng.uniform(0.12, 0.3))
            pause = int(AUDIO_RATE * (self._rng.uniform(0.3, 0.7) if self._rng.random() < 0.2 else 0.03))
            self._syllables.append((self._planned, length, int(self._rng.integers(len(self.VOWELS)))))
            self._planned += length + pause
        self._syllables = [s for s in self._syllables if s[0] + s[1] > until - 4 * self._samples]

    def _signal(self, start: int) -> np.ndarray:
        end = start + self._samples
        self._plan(end)
        n = np.arange(start, end)
        # pitch glides slowly around the speaker's mean
        f0 = self.frequency * (1 + 0.1 * np.sin(2 * math.pi * 0.7 * n / AUDIO_RATE))
        phase = self._phase + 2 * math.pi * np.cumsum(f0) / AUDIO_RATE
        self._phase = float(phase[-1] % (2 * math.pi))
        out = np.zeros(self._samples)
        for first, length, vowel in self._syllables:
            inside = (n >= first) & (n < first + length)
            if not inside.any():
                continue
            envelope = np.sin(math.pi * np.clip((n - first) / length, 0, 1)) * inside
            voiced = np.zeros(self._samples)
            for harmonic in range(1, 25):
                frequency = harmonic * self.frequency
                if frequency > 3500:
                    break
                gain = sum(1 / (1 + ((frequency - formant) / 90) ** 2) for formant in self.VOWELS[vowel])
                voiced += gain / harmonic**0.5 * np.sin(harmonic * phase)
            out += envelope * voiced
        peak = 2.5
        return self.amplitude * out / peak


class PcmLoopTrack(ToneTrack):
    """Recorded audio (mono int16 at 48 kHz) played in a loop: a stand-in microphone from a file."""

    def __init__(self, pcm: Pcm, amplitude: float = 1.0) -> None:
        if not len(pcm):
            raise ValueError("no audio to loop")
        super().__init__(0.0, amplitude)
        self._pcm = pcm.astype(np.float64) / 32768

    def _signal(self, start: int) -> np.ndarray:
        index = (start + np.arange(self._samples)) % len(self._pcm)
        return self.amplitude * self._pcm[index]


def load_pcm(path: Path | str, seconds: float = 60.0) -> Pcm:
    """Decode (at most ``seconds`` of) an audio file to mono int16 at 48 kHz."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=AUDIO_RATE)
    chunks: list[npt.NDArray[np.int16]] = []
    total = 0
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunk = out.to_ndarray().reshape(-1).astype(np.int16)
                chunks.append(chunk)
                total += len(chunk)
            if total >= seconds * AUDIO_RATE:
                break
    if not chunks:
        raise ValueError(f"{path}: no audio")
    return np.concatenate(chunks)[: int(seconds * AUDIO_RATE)]


def microphone_track(spec: str) -> MediaStreamTrack:
    """The desk's microphone: ``feed:<name>`` (the live one the Qt desk captures, media/mic_feed.py), or a stand-in:
    ``tone:<Hz>``, ``speech[:<seed>]``, or the path of an audio file to loop."""
    kind, _, argument = spec.partition(":")
    if kind == "feed":
        return FedMicrophoneTrack.open(argument)
    if kind == "tone":
        return ToneTrack(float(argument or 1000.0))
    if kind == "speech":
        return SpeechTrack(seed=int(argument or 0))
    return PcmLoopTrack(load_pcm(spec))


class GatedTrack(MediaStreamTrack):
    """An audio track that passes its source's frames only while ``gate()`` holds: a microphone keyed by PTT.

    While the gate is shut nothing is sent at all (no RTP, as a floor holder that stops talking); the source is
    not read meanwhile and resumes from "now" when the gate opens. Timestamps run on over the frames let through.
    """

    kind = "audio"

    def __init__(self, source: MediaStreamTrack, gate: Callable[[], bool], *, poll: float = AUDIO_PTIME) -> None:
        super().__init__()
        self.source = source
        self.gate = gate
        self._poll = poll
        self._pts = 0
        self._was_open = False
        #: frames let through so far
        self.frames_sent = 0

    async def recv(self) -> av.AudioFrame:
        while not self.gate():
            self._was_open = False
            if self.readyState != "live":
                raise MediaStreamError
            await asyncio.sleep(self._poll)
        if not self._was_open:
            self._was_open = True
            resync = getattr(self.source, "resync", None)
            if callable(resync):
                resync()
        frame = await self.source.recv()
        assert isinstance(frame, av.AudioFrame)
        frame.pts = self._pts
        self._pts += frame.samples
        self.frames_sent += 1
        return frame

    def stop(self) -> None:
        super().stop()
        self.source.stop()
