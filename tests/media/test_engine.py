"""The media engine over real WebRTC (ICE on loopback, DTLS-SRTP): feeds land on their tiles, stamped and counted.

Senders run in the test process (`VideoSender`, pre-encoded clips), receivers in the engine's worker processes;
the SDP goes from sink to source and back as the platform would relay it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import numpy as np
import pytest

from media.engine import MediaEngine, MediaWorkerError, MediaWorkerLost
from media.sender import VideoSender
from media.sources import AUDIO_RATE, ToneTrack, tone_frequency
from media.stamp import read_frame_stamp
from tests.media.conftest import LOOPBACK

pytestmark = pytest.mark.timeout(60)


async def until(check: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def connect(engine: MediaEngine, session: str, sender: VideoSender, **options: object) -> None:
    """The sink offers, the source answers, the sink applies the answer (SPEC §5.14)."""
    offer = await engine.open_session(session, **options)  # type: ignore[arg-type]
    assert "a=recvonly" in offer and "a=candidate:" in offer
    answer = await sender.answer(offer)
    assert "a=sendonly" in answer
    await engine.accept_answer(session, answer)


@pytest.fixture
async def engine_factory() -> AsyncIterator[Callable[..., Awaitable[MediaEngine]]]:
    engines: list[MediaEngine] = []

    async def make(**options: object) -> MediaEngine:
        engine = MediaEngine(allowed_addresses=LOOPBACK, tiles=8, **options)  # type: ignore[arg-type]
        engines.append(engine)
        await engine.start()
        return engine

    yield make
    for engine in engines:
        await engine.close()


@pytest.fixture
async def senders() -> AsyncIterator[list[VideoSender]]:
    made: list[VideoSender] = []
    yield made
    for sender in made:
        await sender.close()


async def stamps_of(engine: MediaEngine, tile: int, seconds: float) -> list[tuple[int, int]]:
    """Every distinct stamp the tile shows while polled like a painter for ``seconds``."""
    seen: list[tuple[int, int]] = []
    seq = -1
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        frame = engine.read_tile(tile, since=seq)
        if frame is not None:
            seq = frame.seq
            stamp = read_frame_stamp(frame.luma())
            assert stamp is not None, "every frame on the wall carries a readable stamp"
            seen.append(stamp)
        await asyncio.sleep(0.01)
    return seen


async def test_a_thumbnail_feed_lands_on_its_tile_in_order_is_counted_and_stops_when_closed(
        engine_factory: Callable[..., Awaitable[MediaEngine]], senders: list[VideoSender],
        make_clip: Callable[..., Path]) -> None:
    states: list[tuple[str, str]] = []
    engine = await engine_factory(on_state=lambda session, state: states.append((session, state)))
    sender = VideoSender(make_clip("thumb", 7), allowed_addresses=LOOPBACK, name="TR-0007")
    senders.append(sender)
    await connect(engine, "V-1", sender)
    tile = engine.tile_of("V-1")
    assert tile == 0
    await until(lambda: engine.wall is not None and engine.wall.has_picture(0), what="the first frame")

    stamps = await stamps_of(engine, 0, 1.5)
    assert {source for source, _ in stamps} == {7}
    numbers = [n for _, n in stamps]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)  # increasing, no repeats
    assert len(numbers) > 20  # a painter polling every 10 ms sees nearly every frame of 25 fps

    frame = engine.read_tile(0)
    assert frame is not None and (frame.width, frame.height) == (320, 180) and frame.age < 0.5
    stats = (await engine.stats("V-1"))["V-1"]
    assert stats.state == "connected" and stats.tile == 0 and stats.worker == 0 and stats.audio is None
    video = stats.video
    assert video is not None
    assert video.frames >= len(numbers) and 20 < video.fps < 30
    assert (video.width, video.height, video.decode_errors, video.packets_lost) == (320, 180, 0, 0)
    assert video.packets_received >= video.frames and stats.bytes_received > 30_000
    assert video.last_frame_age is not None and video.last_frame_age < 0.5
    assert ("V-1", "connected") in states

    assert await engine.close_session("V-1")
    assert engine.wall is not None and not engine.wall.has_picture(0)
    seq = engine.wall.seq(0)
    await asyncio.sleep(0.3)
    assert engine.wall.seq(0) == seq, "no frame is written after the session closed"
    assert engine.read_tile(0) is None
    assert await engine.stats() == {}
    assert not await engine.close_session("V-1")


async def test_an_audio_tone_arrives_at_its_frequency(
        engine_factory: Callable[..., Awaitable[MediaEngine]], senders: list[VideoSender]) -> None:
    engine = await engine_factory()
    sender = VideoSender(None, audio=ToneTrack(tone_frequency(3)), allowed_addresses=LOOPBACK, name="HS-0003")
    senders.append(sender)
    await connect(engine, "A-1", sender, video=False, audio=True)
    assert engine.tile_of("A-1") is None
    await sender.wait_connected()

    async def enough_audio() -> np.ndarray:
        while True:
            samples = await engine.recent_audio("A-1", 0.5)
            if len(samples) == AUDIO_RATE // 2:
                return samples
            await asyncio.sleep(0.1)

    samples = await asyncio.wait_for(enough_audio(), 10)
    spectrum = np.abs(np.fft.rfft(samples.astype(float) * np.hanning(len(samples))))
    peak = float(np.fft.rfftfreq(len(samples), 1 / AUDIO_RATE)[int(np.argmax(spectrum))])
    assert peak == pytest.approx(700.0, abs=5)
    assert np.sqrt(np.mean(samples.astype(float) ** 2)) > 1000  # a real signal, not Opus comfort noise
    stats = (await engine.stats("A-1"))["A-1"]
    assert stats.video is None and stats.audio is not None and stats.audio.frames > 20


async def test_four_feeds_on_two_workers_each_land_on_their_own_tile(
        engine_factory: Callable[..., Awaitable[MediaEngine]], senders: list[VideoSender],
        make_clip: Callable[..., Path]) -> None:
    engine = await engine_factory(workers=2)
    sources = {f"V-{n}": n for n in (11, 12, 13, 14)}
    for session, source in sources.items():
        sender = VideoSender(make_clip("thumb", source), allowed_addresses=LOOPBACK, name=f"TR-{source}")
        senders.append(sender)
        await connect(engine, session, sender)
    tiles = {session: engine.tile_of(session) for session in sources}
    assert sorted(tiles.values()) == [0, 1, 2, 3]  # type: ignore[type-var]
    assert sorted(engine.worker_of(s) for s in sources) == [0, 0, 1, 1]  # spread evenly over the workers

    wall = engine.wall
    assert wall is not None
    await until(lambda: all(wall.has_picture(t) for t in range(4)), what="a picture on every tile")
    for session, source in sources.items():
        tile = tiles[session]
        assert tile is not None
        stamps = await stamps_of(engine, tile, 0.3)
        assert stamps and {s for s, _ in stamps} == {source}, f"tile {tile} shows {session}'s source"
    stats = await engine.stats()
    assert set(stats) == set(sources)
    assert {stats[s].worker for s in sources} == {0, 1}
    assert all(s.video is not None and s.video.frames > 10 for s in stats.values())


async def test_a_quality_switch_at_the_source_changes_the_tile_to_hd_without_renegotiation(
        engine_factory: Callable[..., Awaitable[MediaEngine]], senders: list[VideoSender],
        make_clip: Callable[..., Path]) -> None:
    engine = await engine_factory()
    sender = VideoSender(make_clip("thumb", 21), allowed_addresses=LOOPBACK, name="CAM-21")
    senders.append(sender)
    await connect(engine, "V-7", sender, quality="thumb")
    await until(lambda: (f := engine.read_tile(0)) is not None and f.width == 320, what="the thumbnail")
    sender.switch_clip(make_clip("hd", 21, seconds=1.0))
    await until(lambda: (f := engine.read_tile(0)) is not None and f.width == 1280, what="the HD picture")
    frame = engine.read_tile(0)
    assert frame is not None and (frame.width, frame.height) == (1280, 720)
    assert read_frame_stamp(frame.luma()) is not None
    assert read_frame_stamp(frame.luma())[0] == 21  # type: ignore[index]
    stats = (await engine.stats("V-7"))["V-7"]
    assert stats.video is not None and stats.video.decode_errors == 0


async def test_a_worker_that_dies_fails_its_sessions(
        engine_factory: Callable[..., Awaitable[MediaEngine]], senders: list[VideoSender],
        make_clip: Callable[..., Path]) -> None:
    states: list[tuple[str, str]] = []
    engine = await engine_factory(on_state=lambda session, state: states.append((session, state)))
    sender = VideoSender(make_clip("thumb", 31), allowed_addresses=LOOPBACK, name="TR-31")
    senders.append(sender)
    await connect(engine, "V-9", sender)
    await until(lambda: ("V-9", "connected") in states, what="connected")
    (pid,) = engine.worker_pids
    os.kill(pid, signal.SIGKILL)
    await until(lambda: ("V-9", "failed") in states, what="the session to fail")
    assert engine.state_of("V-9") == "failed"
    with pytest.raises(MediaWorkerLost):
        await engine.stats("V-9")
    with pytest.raises(MediaWorkerLost):
        await engine.open_session("V-10")


async def test_bad_requests_are_refused_and_the_engine_keeps_running(
        engine_factory: Callable[..., Awaitable[MediaEngine]]) -> None:
    with pytest.raises(RuntimeError, match="not running"):
        await MediaEngine(allowed_addresses=LOOPBACK).open_session("V-0")
    with pytest.raises(ValueError, match="no media address"):
        MediaEngine(allowed_addresses=[])
    engine = await engine_factory()
    await engine.open_session("V-1", tile=2)
    with pytest.raises(ValueError, match="already shows"):
        await engine.open_session("V-2", tile=2)
    with pytest.raises(ValueError, match="already open"):
        await engine.open_session("V-1")
    with pytest.raises(ValueError, match="not on the wall"):
        await engine.open_session("V-3", tile=99)
    with pytest.raises(KeyError):
        await engine.accept_answer("V-404", "v=0")
    with pytest.raises(MediaWorkerError):
        await engine.accept_answer("V-1", "this is not SDP")
    assert "a=recvonly" in await engine.open_session("V-4")  # still serving
    assert engine.tile_of("V-4") == 0


async def test_sessions_are_placed_on_the_least_loaded_worker_hd_weighing_four_thumbnails(
        engine_factory: Callable[..., Awaitable[MediaEngine]]) -> None:
    engine = await engine_factory(workers=2)
    await engine.open_session("V-hd", quality="hd")
    for n in range(3):
        await engine.open_session(f"V-t{n}")
    assert engine.worker_of("V-hd") == 0
    assert [engine.worker_of(f"V-t{n}") for n in range(3)] == [1, 1, 1]
    engine.set_quality("V-hd", "thumb")  # worker 0 now carries 1, worker 1 carries 3
    await engine.open_session("V-next")
    assert engine.worker_of("V-next") == 0
