"""Voice PCM: rings that hand each sample out once, the desk's mixer (prebuffer, bounded delay, backlog dropped, gains,
tones), the tone detector, and the microphone gate that sends nothing while the floor is not held."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import numpy as np
import pytest

from media.audio import AUDIO_RATE, PcmRing, VoiceMixer, tone_level
from media.sources import GatedTrack, PcmLoopTrack, SpeechTrack, ToneTrack, load_pcm, microphone_track


def ramp(start: int, count: int) -> np.ndarray:
    return (np.arange(start, start + count) % 30000).astype(np.int16)


def test_a_ring_hands_out_what_was_added_since_a_position_across_its_edge() -> None:
    ring = PcmRing(seconds=0.01)  # 480 samples
    ring.add_pcm(ramp(0, 300))
    taken, position = ring.since(0)
    assert np.array_equal(taken, ramp(0, 300)) and position == 300
    ring.add_pcm(ramp(300, 300))  # wraps
    taken, position = ring.since(position)
    assert np.array_equal(taken, ramp(300, 300)) and position == 600
    assert len(ring.since(position)[0]) == 0
    # a reader that fell behind gets what the ring still holds, not garbage
    ring.add_pcm(ramp(600, 1000))
    taken, position = ring.since(600)
    assert np.array_equal(taken, ramp(1120, 480)) and position == 1600
    assert np.array_equal(ring.last(0.005), ramp(1360, 240))


def test_the_mixer_plays_a_stream_after_its_prebuffer_at_its_gain_and_bounds_its_delay() -> None:
    mixer = VoiceMixer(prebuffer=0.02, max_delay=0.1)  # 960 and 4800 samples
    mixer.set_gain("A", 0.5)
    mixer.push("A", np.full(500, 1000, dtype=np.int16))
    assert not mixer.playing("A")
    assert not mixer.render(480).any(), "nothing plays before the prebuffer is there"
    mixer.push("A", np.full(500, 1000, dtype=np.int16))
    assert mixer.playing("A")
    out = mixer.render(1200)
    assert (out[:1000] == 500).all() and not out[1000:].any()
    assert not mixer.playing("A"), "run dry: waits for its prebuffer again"
    # a burst beyond the delay bound is cut to the newest prebuffer's worth
    mixer.push("A", ramp(0, 6000))
    assert np.array_equal(mixer.render(960), (ramp(6000 - 960, 960) * 0.5).astype(np.int16))


def test_a_backlog_the_mixer_keeps_beyond_its_prebuffer_is_dropped_and_counted_a_steady_stream_loses_nothing() -> None:
    mixer = VoiceMixer(prebuffer=0.02, max_delay=1.0, trim_window=0.1)  # 960 samples; trimmed every 4800 rendered
    written = 0
    for _ in range(30):  # a steady stream, 10 ms in and 10 ms out per tick: nothing dropped however long
        mixer.push("A", ramp(written, 480))
        written += 480
        mixer.render(480)
    assert mixer.dropped == 0
    mixer.push("A", ramp(written, 4800))  # a stalled worker's queue at once: 100 ms more behind from now on
    written += 4800
    for _ in range(20):  # two trim windows, one of them whole at that delay
        mixer.push("A", ramp(written, 480))
        written += 480
        mixer.render(480)
    # it held 480 + 4800 after each render: what lay beyond the prebuffer went, once
    assert mixer.dropped == 480 + 4800 - 960
    mixer.push("A", ramp(written, 480))
    written += 480
    out = mixer.render(480)
    assert np.array_equal(out, ramp(written - 480 - 960, 480)), "the prebuffer's delay again, not 100 ms more"


def test_the_mixer_sums_streams_and_plays_tones_one_after_another_clipping_at_full_scale() -> None:
    mixer = VoiceMixer(prebuffer=0.0)
    mixer.push("A", np.full(40, 20000, dtype=np.int16))
    mixer.push("B", np.full(40, 20000, dtype=np.int16))
    mixer.play(np.full(50, 7, dtype=np.int16))
    mixer.play(np.full(50, 9, dtype=np.int16))
    out = mixer.render(160)
    assert (out[:40] == 32767).all()
    assert (out[40:50] == 7).all() and (out[50:100] == 9).all() and not out[100:].any()
    assert mixer.output.written == 160
    mixer.remove("A")
    assert mixer.streams == ["B"]


def test_an_overlay_plays_once_alongside_streams_and_tones_at_its_gain_and_can_be_stopped() -> None:
    mixer = VoiceMixer(prebuffer=0.0)
    mixer.push("A", np.full(100, 1000, dtype=np.int16))
    mixer.play(np.full(50, 7, dtype=np.int16))
    mixer.overlay("replay", np.full(150, 2000, dtype=np.int16), gain=0.5)
    assert mixer.overlay_left("replay") == 150 / AUDIO_RATE
    out = mixer.render(120)
    assert (out[:50] == 2007).all() and (out[50:100] == 2000).all() and (out[100:] == 1000).all(), "mixed, not queued"
    assert mixer.overlay_left("replay") == 30 / AUDIO_RATE
    assert (mixer.render(40)[:30] == 1000).all() and mixer.overlay_left("replay") == 0, "played once"
    mixer.overlay("replay", np.full(100, 2000, dtype=np.int16))
    mixer.overlay("replay", np.full(100, 300, dtype=np.int16))  # replaces what played
    assert (mixer.render(10) == 300).all()
    assert mixer.stop_overlay("replay") and not mixer.stop_overlay("replay")
    assert not mixer.render(10).any()


def test_the_tone_detector_tells_frequencies_apart() -> None:
    t = np.arange(AUDIO_RATE // 2) / AUDIO_RATE
    mix = (8000 * np.sin(2 * np.pi * 600 * t) + 4000 * np.sin(2 * np.pi * 1100 * t)).astype(np.int16)
    assert tone_level(mix, 600) == pytest.approx(0.8, abs=0.02)
    assert tone_level(mix, 1100) == pytest.approx(0.2, abs=0.02)
    assert tone_level(mix, 800) < 0.01
    assert tone_level(np.zeros(4800, dtype=np.int16), 600) == 0.0


async def test_the_gate_passes_frames_only_while_open_with_timestamps_running_on() -> None:
    keyed = False
    track = GatedTrack(ToneTrack(700.0), lambda: keyed, poll=0.005)
    pending = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.05)
    assert not pending.done(), "nothing comes while the gate is shut"
    keyed = True
    first = await asyncio.wait_for(pending, 1.0)
    second = await track.recv()
    assert (first.pts, second.pts) == (0, first.samples)
    keyed = False
    await asyncio.sleep(0.1)
    keyed = True
    third = await asyncio.wait_for(track.recv(), 1.0)
    assert third.pts == 2 * first.samples and track.frames_sent == 3
    track.stop()
    assert track.source.readyState == "ended"


def test_stand_in_microphones_are_tones_speech_or_a_looped_file(tmp_path: Path) -> None:
    assert isinstance(microphone_track("tone:750"), ToneTrack) and microphone_track("tone:750").frequency == 750.0
    assert isinstance(microphone_track("speech:3"), SpeechTrack)
    path = tmp_path / "voice.wav"
    t = np.arange(8000) / 8000
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes((10000 * np.sin(2 * np.pi * 500 * t)).astype("<i2").tobytes())
    pcm = load_pcm(path)
    assert abs(len(pcm) - AUDIO_RATE) < 2000 and tone_level(pcm, 500) > 0.9  # resampled to 48 kHz
    looped = microphone_track(str(path))
    assert isinstance(looped, PcmLoopTrack)
    with pytest.raises(ValueError):
        PcmLoopTrack(np.zeros(0, dtype=np.int16))
