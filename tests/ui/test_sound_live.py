"""The Qt desk's real sound end to end: a handset's talk burst (real WebRTC through the testbed platform) comes out of
the desk's output device, and what is said into the desk's microphone device reaches the group's terminals only
while the desk holds the floor. The devices are a private PulseAudio's virtual ones (tests/pulse.py): the output is
captured from its sink's monitor, the microphone is a source fed by a sink the test plays a tone into; the handset's
voice is told by its tone's frequency (FFT)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from console.core.media_desk import MediaOptions
from console.core.sound import DeskSound
from console.ui.i18n import Languages
from console.ui.sound import DeskAudio
from media import ice
from media.audio import AUDIO_RATE, tone_level
from media.sources import tone_frequency
from testbed.terminals.feeds import FeedSettings
from tests.pulse import PrivatePulse
from tests.ui import conftest
from tests.ui.conftest import RunAsync, until
from tests.ui.live_desk import live_desk

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

LOOPBACK = ("127.0.0.1",)
#: what the dispatcher "says" into the microphone: a tone no terminal talks in
DESK_TONE = 1250.0


@pytest.fixture
def pulse(private_pulse: PrivatePulse | None) -> PrivatePulse:
    if private_pulse is None:
        pytest.skip(f"PulseAudio cannot run here: {conftest.PULSE_PROBLEM}")
    return private_pulse


@pytest.fixture
def sound() -> Iterator[DeskSound]:
    desk_sound = DeskSound()
    yield desk_sound
    desk_sound.close()


def tone(frequency: float, seconds: float) -> np.ndarray:
    n = np.arange(int(seconds * AUDIO_RATE))
    return (0.3 * np.sin(2 * math.pi * frequency * n / AUDIO_RATE) * 32767).astype(np.int16)


def test_a_handsets_burst_is_heard_on_the_output_and_the_microphone_reaches_the_group_only_while_holding_the_floor(
        pulse: PrivatePulse, sound: DeskSound, run_async: RunAsync, tmp_path: Path, languages: Languages,
        settings: QSettings) -> None:
    media = sound.media_options(MediaOptions(allowed_addresses=LOOPBACK, workers=1))
    assert sound.feed is not None and media.microphone == sound.feed.spec
    feeds = FeedSettings(allowed_addresses=LOOPBACK, clip_cache=tmp_path / "clips", clip_seconds=4.0)

    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, "HS-001", "ST-S01-1", media=media, feeds=feeds) as live:
            audio = DeskAudio(sound, parent=live.window)
            try:
                sound.attach(live.desk.media)
                audio.start()
                await until(lambda: sound.output.using == "DeskOut" and sound.input.using == "DeskMic", 10)
                await live.select("TG-S01")
                handset, station = live.fleet.terminal("HS-001"), live.fleet.terminal("ST-S01-1")
                handset_tone = tone_frequency(live.fleet.media_numbers["HS-001"])

                # the handset talks: its voice comes out of the loudspeaker
                with pulse.capture() as heard:
                    await asyncio.sleep(0.5)
                    assert tone_level(heard.last(0.4), handset_tone) < 0.1, "silence before the burst"
                    burst = asyncio.create_task(handset.talk(3.0, "TG-S01"))
                    await until(lambda: tone_level(heard.last(0.4), handset_tone) > 0.8, 10)
                    assert (await burst).outcome == "granted"

                # the dispatcher talks into the microphone all along; the group hears it only under the floor
                player = pulse.play(tone(DESK_TONE, 12.0))
                try:
                    await asyncio.sleep(1.5)
                    listeners = (station, handset)
                    assert [t.feeds.frames_heard() for t in listeners] == [0, 0], "nothing before the floor is ours"
                    result = await live.desk.ptt_press()
                    assert result.outcome == "granted"
                    await until(lambda: all(tone_level(t.feeds.heard(0.3), DESK_TONE) > 0.8 for t in listeners), 10)
                    await live.desk.ptt_release()
                    await asyncio.sleep(0.4)  # what was in flight arrives
                    counts = [t.feeds.frames_heard() for t in listeners]
                    await asyncio.sleep(1.0)
                    assert [t.feeds.frames_heard() for t in listeners] == counts, "nothing after the release"
                finally:
                    player.kill()
                    player.wait(10)
            finally:
                audio.close()

    try:
        run_async(scenario)
    finally:
        ice.lift_host_restriction()
