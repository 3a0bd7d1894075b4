"""The desk's microphone tapped for the recorder: read only while on, drained by position, carried on from "now"
after a pause; and the same through a media worker (`MediaEngine.tap_microphone` / `drain_microphone`)."""

from __future__ import annotations

import asyncio

import pytest

from media.audio import AUDIO_RATE, tone_level
from media.engine import MediaEngine
from media.mic_tap import MicrophoneTap
from tests.media.conftest import LOOPBACK

pytestmark = pytest.mark.timeout(60)


async def test_the_tap_reads_the_microphone_only_while_on_and_hands_out_each_sample_once() -> None:
    tap = MicrophoneTap("tone:1250")
    try:
        nothing, at = tap.since(0)
        assert len(nothing) == 0 and at == 0
        assert tap.set(True) and not tap.set(True), "switched on once"
        await asyncio.sleep(0.5)
        first, position = tap.since(0)
        assert 0.35 * AUDIO_RATE < len(first) < 0.7 * AUDIO_RATE, "paced in real time"
        assert tone_level(first, 1250.0) > 0.9
        assert tap.set(False)
        await asyncio.sleep(0.05)
        rest, position = tap.since(position)
        written = tap.ring.written
        await asyncio.sleep(0.3)
        assert tap.ring.written == written, "nothing read while off"
        nothing, at = tap.since(position)
        assert len(nothing) == 0 and at == position
        # on again after a pause: from now, not a burst of what the pause would have held
        tap.set(True)
        await asyncio.sleep(0.2)
        again, _ = tap.since(position)
        assert len(again) < 0.35 * AUDIO_RATE
        assert len(rest) <= 0.1 * AUDIO_RATE
    finally:
        await tap.close()


async def test_a_tap_without_a_microphone_does_nothing() -> None:
    tap = MicrophoneTap("")
    assert not tap.set(True) and not tap.on
    await tap.close()


async def test_the_engine_taps_the_microphone_in_a_worker_and_drains_it() -> None:
    async with MediaEngine(allowed_addresses=LOOPBACK, tiles=2, microphone="tone:700") as engine:
        assert len(await engine.drain_microphone()) == 0, "nothing before the tap"
        assert await engine.tap_microphone(True)
        await asyncio.sleep(0.6)
        pcm = await engine.drain_microphone()
        assert len(pcm) > 0.4 * AUDIO_RATE and tone_level(pcm, 700.0) > 0.9
        assert await engine.tap_microphone(False)
        await asyncio.sleep(0.1)
        await engine.drain_microphone()  # what the tap still held
        await asyncio.sleep(0.3)
        assert len(await engine.drain_microphone()) == 0, "nothing once stopped"
    async with MediaEngine(allowed_addresses=LOOPBACK, tiles=2) as silent:
        assert not await silent.tap_microphone(True), "no microphone: nothing to tap"
