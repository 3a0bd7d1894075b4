"""Sources: a clip loops as pre-encoded packets with continuous timestamps; tones and voice sound as they should."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError

from media.sources import AUDIO_RATE, ClipTrack, SpeechTrack, ToneTrack, load_clip, tone_frequency
from media.stamp import read_frame_stamp


def dominant_frequency(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / AUDIO_RATE)[int(np.argmax(spectrum))])


async def test_a_clip_loops_as_packets_with_continuous_timestamps_at_its_frame_rate(
        make_clip: Callable[..., Path]) -> None:
    clip = load_clip(make_clip("thumb", 4, seconds=0.4))  # 10 frames
    assert (clip.width, clip.height, len(clip.units), clip.fps) == (320, 180, 10, 25.0)
    track = ClipTrack(clip)
    loop = asyncio.get_running_loop()
    start = loop.time()
    packets = [await track.recv() for _ in range(25)]
    elapsed = loop.time() - start
    assert [p.pts for p in packets] == [3600 * n for n in range(25)]  # 90 kHz clock, 25 fps, across loops
    assert bytes(packets[10]) == bytes(packets[0]) == clip.units[0]
    assert 0.85 < elapsed < 3.0  # paced: 24 frame periods (not sooner; the upper bound allows a loaded CI machine)
    # the packets decode (no re-encoding anywhere) to the stamped frames, looping
    decoder = av.CodecContext.create("h264", "r")
    stamps = [read_frame_stamp(f) for p in packets for f in decoder.decode(p)]
    assert stamps[:12] == [(4, n % 10) for n in range(12)]
    track.stop()
    with pytest.raises(MediaStreamError):
        await track.recv()


async def test_switching_clips_continues_at_the_next_frame_with_the_new_clips_keyframe(
        make_clip: Callable[..., Path]) -> None:
    thumb = load_clip(make_clip("thumb", 5, seconds=0.4))
    hd = load_clip(make_clip("hd", 5, seconds=0.4))
    track = ClipTrack(thumb)
    for _ in range(3):
        await track.recv()
    track.switch(hd)
    switched = await track.recv()
    assert bytes(switched) == hd.units[0] and hd.keyframes[0]
    assert switched.pts == 3 * 3600
    assert track.frames_sent == 4


async def test_tone_frames_are_20_ms_of_the_given_frequency() -> None:
    track = ToneTrack(tone_frequency(3))
    frames = [await track.recv() for _ in range(25)]
    assert {f.samples for f in frames} == {960} and {f.sample_rate for f in frames} == {AUDIO_RATE}
    assert [f.pts for f in frames[:3]] == [0, 960, 1920]
    pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in frames]).astype(float)
    assert dominant_frequency(pcm) == pytest.approx(700.0, abs=3)
    assert tone_frequency(3) != tone_frequency(4)


async def test_speech_like_signal_has_voice_band_energy_and_syllable_rhythm() -> None:
    track = SpeechTrack(seed=1)
    frames = [await track.recv() for _ in range(100)]  # 2 s
    pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in frames]).astype(float)
    spectrum = np.abs(np.fft.rfft(pcm)) ** 2
    freqs = np.fft.rfftfreq(len(pcm), 1 / AUDIO_RATE)
    voice_band = spectrum[(freqs > 100) & (freqs < 3500)].sum() / spectrum.sum()
    assert voice_band > 0.95
    levels = np.array([np.sqrt(np.mean(f.to_ndarray().astype(float) ** 2)) for f in frames])
    assert levels.max() > 2000 and levels.min() < levels.max() / 5  # loud syllables and quiet gaps
    again = SpeechTrack(seed=1)
    assert np.array_equal((await again.recv()).to_ndarray(), frames[0].to_ndarray())  # deterministic
