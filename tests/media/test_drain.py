"""Received tracks are read to their end: every frame reaches the handler, and closing ends every drain."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import av
import pytest

from media.drain import TrackDrains, drain
from media.sources import ToneTrack

pytestmark = pytest.mark.timeout(30)


async def _until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_drain_hands_every_frame_to_the_handler_until_the_track_ends() -> None:
    track = ToneTrack(440.0)
    frames: list[object] = []
    task = asyncio.create_task(drain(track, frames.append))
    await _until(lambda: len(frames) >= 5)
    track.stop()
    await asyncio.wait_for(task, 2.0)  # ended by itself: the track's end is not an error
    assert all(isinstance(frame, av.AudioFrame) for frame in frames)
    pts = [frame.pts for frame in frames]  # type: ignore[attr-defined]
    assert pts == sorted(pts) and len(set(pts)) == len(pts)  # in order, none twice


async def test_wait_returns_once_the_tracks_ended_and_forgets_the_drains() -> None:
    drains = TrackDrains()
    tracks = [ToneTrack(440.0), ToneTrack(880.0)]
    counts = [0, 0]

    def counter(index: int) -> Callable[[object], None]:
        def count(_frame: object) -> None:
            counts[index] += 1
        return count

    for index, track in enumerate(tracks):
        drains.start(track, counter(index), name=f"drain-{index}")
    assert len(drains) == 2
    await _until(lambda: min(counts) >= 3)
    for track in tracks:
        track.stop()
    began = time.monotonic()
    await drains.wait(5.0)
    assert len(drains) == 0 and time.monotonic() - began < 2.0


async def test_wait_gives_up_after_its_timeout_and_ends_a_drain_whose_track_goes_on() -> None:
    drains = TrackDrains()
    track = ToneTrack(440.0)
    frames: list[object] = []
    drains.start(track, frames.append)
    await _until(lambda: len(frames) >= 2)
    began = time.monotonic()
    await drains.wait(0.2)
    waited = time.monotonic() - began
    assert 0.15 < waited < 2.0
    await _until(lambda: len(drains) == 0, 1.0)  # cancelled with the wait: nothing left running
    seen = len(frames)
    await asyncio.sleep(0.1)
    assert len(frames) == seen
    track.stop()


async def test_cancel_ends_every_drain_at_once() -> None:
    drains = TrackDrains()
    tracks = [ToneTrack(440.0), ToneTrack(880.0)]
    frames: list[object] = []
    for track in tracks:
        drains.start(track, frames.append)
    await _until(lambda: len(frames) >= 4)
    await drains.cancel()
    assert len(drains) == 0
    seen = len(frames)
    await asyncio.sleep(0.1)
    assert len(frames) == seen  # no drain reads on
    for track in tracks:
        track.stop()
