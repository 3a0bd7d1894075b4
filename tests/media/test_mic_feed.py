"""The desk's live microphone through shared memory: one writer, readers by position that never get a sample twice
or torn, 20 ms frames for aiortc that start from "now" when keyed, and a media worker process reading the feed as
the desk's microphone (`microphone_track("feed:...")`, here through the recorder's tap)."""

from __future__ import annotations

import asyncio
import math

import numpy as np
import pytest

from media.audio import AUDIO_RATE, tone_level
from media.engine import MediaEngine
from media.mic_feed import FRAME, MAX_BEHIND, FedMicrophoneTrack, MicFeed
from media.sources import microphone_track
from tests.media.conftest import LOOPBACK

pytestmark = pytest.mark.timeout(60)


def ramp(start: int, count: int) -> np.ndarray:
    """Samples whose values tell their position (modulo int16)."""
    return ((start + np.arange(count)) % 30000).astype(np.int16)


def tone(start: int, count: int, frequency: float) -> np.ndarray:
    t = (start + np.arange(count)) / AUDIO_RATE
    return (0.3 * np.sin(2 * math.pi * frequency * t) * 32767).astype(np.int16)


def test_readers_take_each_sample_once_in_order_and_an_overrun_keeps_the_newest() -> None:
    feed = MicFeed.create(seconds=0.1)
    reader = MicFeed.attach(feed.name)
    try:
        assert reader.capacity == feed.capacity == int(0.1 * AUDIO_RATE)
        feed.write(ramp(0, 1000))
        first, position = reader.read(0, 600)
        rest, position = reader.read(position, 10_000)
        assert position == 1000 and np.array_equal(np.concatenate((first, rest)), ramp(0, 1000))
        nothing, same = reader.read(position, 100)
        assert len(nothing) == 0 and same == position
        # the writer laps the reader: what is gone is skipped, never returned torn
        feed.write(ramp(1000, 3 * feed.capacity))
        kept, position = reader.read(position, 10 * feed.capacity)
        assert position == 1000 + 3 * feed.capacity
        assert 0 < len(kept) < feed.capacity
        assert np.array_equal(kept, ramp(position - len(kept), len(kept)))
        assert reader.wrote_at > 0
    finally:
        reader.close()
        feed.close()
    with pytest.raises(FileNotFoundError):
        MicFeed.attach(feed.name)  # the owner freed it


async def test_the_track_hands_out_20_ms_frames_from_now_on_and_skips_ahead_when_left_behind() -> None:
    feed = MicFeed.create()
    track = microphone_track(feed.spec)
    assert isinstance(track, FedMicrophoneTrack)
    try:
        feed.write(ramp(0, 4 * FRAME))  # said before the microphone was keyed: not part of the burst
        track.resync()
        waiting = asyncio.ensure_future(track.recv())
        await asyncio.sleep(0.03)
        assert not waiting.done(), "no frame before a whole one was captured"
        feed.write(ramp(4 * FRAME, FRAME // 2))
        feed.write(ramp(4 * FRAME + FRAME // 2, FRAME // 2))
        frame = await asyncio.wait_for(waiting, 1.0)
        assert frame.samples == FRAME and frame.sample_rate == AUDIO_RATE and frame.pts == 0
        assert np.array_equal(frame.to_ndarray().reshape(-1), ramp(4 * FRAME, FRAME))
        feed.write(ramp(5 * FRAME, FRAME))
        second = await asyncio.wait_for(track.recv(), 1.0)
        assert second.pts == FRAME and np.array_equal(second.to_ndarray().reshape(-1), ramp(5 * FRAME, FRAME))
        # keyed again after a pause: from the newest samples, not what the pause held
        feed.write(ramp(6 * FRAME, 3 * FRAME))
        track.resync()
        feed.write(ramp(9 * FRAME, FRAME))
        third = await asyncio.wait_for(track.recv(), 1.0)
        assert np.array_equal(third.to_ndarray().reshape(-1), ramp(9 * FRAME, FRAME))
        # a reader left far behind (its sender stalled) jumps to the newest frame instead of lagging
        behind = int(MAX_BEHIND * AUDIO_RATE) + 5 * FRAME
        feed.write(ramp(10 * FRAME, behind))
        latest = await asyncio.wait_for(track.recv(), 1.0)
        assert track.skips == 1
        assert np.array_equal(latest.to_ndarray().reshape(-1), ramp(10 * FRAME + behind - FRAME, FRAME))
    finally:
        track.stop()
        feed.close()


async def test_a_media_worker_reads_the_desks_feed_as_its_microphone() -> None:
    feed = MicFeed.create()
    writing = True

    async def capture() -> None:  # what the Qt desk's input device does: 10 ms chunks in real time
        written = 0
        loop = asyncio.get_running_loop()
        start = loop.time()
        while writing:
            due = int((loop.time() - start) * AUDIO_RATE)
            if due > written:
                feed.write(tone(written, due - written, 850.0))
                written = due
            await asyncio.sleep(0.01)

    capturing = asyncio.ensure_future(capture())
    try:
        async with MediaEngine(allowed_addresses=LOOPBACK, tiles=2, microphone=feed.spec) as engine:
            assert await engine.tap_microphone(True)
            await asyncio.sleep(0.6)
            pcm = await engine.drain_microphone()
            assert len(pcm) > 0.4 * AUDIO_RATE, "the worker read the feed in real time"
            assert tone_level(pcm, 850.0) > 0.9
            assert await engine.tap_microphone(False)
    finally:
        writing = False
        await capturing
        feed.close()
