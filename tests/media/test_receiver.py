"""Receive-side counters: frame rate, freezes and age from frame times; the audio tail keeps the newest samples."""

from __future__ import annotations

import av
import numpy as np

from media.receiver import AudioTail, StreamCounter
from media.sources import AUDIO_RATE


def test_a_steady_stream_counts_frames_and_rate_and_no_freeze() -> None:
    counter = StreamCounter("video")
    for n in range(100):
        counter.frame(n * 0.04)
    stats = counter.snapshot(3.97, decode_errors=0, packets_received=120, packets_lost=0)
    assert stats.frames == 100 and stats.freezes == 0
    assert 24 < stats.fps < 26
    assert stats.last_frame_age is not None and abs(stats.last_frame_age - 0.01) < 1e-9


def test_a_long_gap_is_one_freeze_and_a_stopped_stream_has_no_rate() -> None:
    counter = StreamCounter("video")
    times = [n * 0.04 for n in range(50)] + [2.0 + 0.5 + n * 0.04 for n in range(50)]
    for t in times:
        counter.frame(t)
    stats = counter.snapshot(times[-1], decode_errors=0, packets_received=0, packets_lost=0)
    assert stats.freezes == 1 and 0.5 < stats.freeze_seconds < 0.6
    assert counter.fps(times[-1] + 5) == 0.0


def test_the_audio_tail_keeps_the_newest_samples_across_the_ring_edge() -> None:
    tail = AudioTail(seconds=0.05)  # 2400 samples
    for n in range(7):  # 7 x 960 stereo frames, as aiortc's Opus decoder gives them
        mono = np.arange(n * 960, (n + 1) * 960, dtype=np.int16)
        stereo = np.repeat(mono, 2).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
        frame.sample_rate = AUDIO_RATE
        tail.add(frame)
    last = tail.last(0.02)  # 960 samples
    assert np.array_equal(last, np.arange(6 * 960, 7 * 960, dtype=np.int16))
    assert len(tail.last(1.0)) == 2400
    assert np.array_equal(tail.last(1.0), np.arange(7 * 960 - 2400, 7 * 960, dtype=np.int16))
    assert len(AudioTail(1.0).last(1.0)) == 0
