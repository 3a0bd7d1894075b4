"""The core's side of the sound devices: the playout ring between the mixer and an output device (prefill, underruns
counted and faded, delay capped, a stalled device caught up, safe across threads), the desk's mix reaching it, the
microphone's feed, what diagnostics say; and the ``media.warm_voice_links`` setting."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from console.core.config import load_settings
from console.core.desk import Desk
from console.core.diagnostics import collect_diagnostics
from console.core.media_desk import MediaOptions, media_options
from console.core.sound import DeskSound, DeviceState, PlayoutRing
from media.audio import AUDIO_RATE, tone_level
from media.mic_feed import MicFeed

pytestmark = pytest.mark.timeout(60)


def ramp(start: int, count: int) -> np.ndarray:
    return (1 + (start + np.arange(count)) % 30000).astype(np.int16)


def test_the_ring_waits_for_its_prefill_then_plays_in_order() -> None:
    ring = PlayoutRing(prefill=0.02, max_level=0.1)
    ring.write(ramp(0, 500))
    assert not ring.read(480).any(), "silence until the prefill is buffered"
    ring.write(ramp(500, 700))  # 1200 samples: past the prefill (960)
    assert np.array_equal(ring.read(480), ramp(0, 480))
    assert np.array_equal(ring.read(480), ramp(480, 480))
    assert ring.stats().underruns == 0 and ring.level == pytest.approx(240 / AUDIO_RATE)


def test_running_dry_is_counted_faded_and_waits_for_the_prefill_again() -> None:
    ring = PlayoutRing(prefill=0.02, max_level=0.1)
    ring.write(np.full(1000, 10000, dtype=np.int16))
    out = ring.read(1200)
    assert np.array_equal(out[:900], np.full(900, 10000)), "what was there is played"
    assert out[999] == 0 and 0 < out[990] < 10000, "faded out, not cut"
    assert not out[1000:].any()
    stats = ring.stats()
    assert stats.underruns == 1 and stats.underrun_samples == 200
    ring.write(np.full(500, 5000, dtype=np.int16))
    assert not ring.read(100).any(), "after an underrun it waits for its prefill again"
    ring.write(np.full(500, 5000, dtype=np.int16))
    assert ring.read(100).all()
    assert ring.stats().underruns == 1, "waiting for the prefill is not another underrun"


def test_the_delay_never_grows_past_the_maximum() -> None:
    ring = PlayoutRing(prefill=0.02, max_level=0.1)
    ring.write(ramp(0, 4000))
    ring.write(ramp(4000, 2000))  # 6000 > 4800: the oldest go, down to the prefill
    stats = ring.stats()
    assert stats.level == pytest.approx(0.02) and stats.dropped_samples == 6000 - 960
    assert np.array_equal(ring.read(960), ramp(6000 - 960, 960)), "the newest are kept"


def test_delay_a_stalled_device_left_behind_is_trimmed_back_to_the_margin() -> None:
    ring = PlayoutRing(prefill=0.05, max_level=0.3, margin=0.02, stall=math.inf)  # the trim alone
    ring.write(ramp(0, 2400))
    ring.read(480)
    ring.write(ramp(2400, 4800))  # the device stalled for 100 ms: 150 ms are buffered now
    step = 480
    written = 7200
    for _ in range(120):  # 1.2 s of steady playout (two trim windows): 10 ms in, 10 ms out
        ring.write(ramp(written, step))
        written += step
        ring.read(step)
    stats = ring.stats()
    assert stats.level < 0.03, "back to the margin (plus a step)"
    assert stats.dropped_samples > 0.1 * AUDIO_RATE and stats.underruns == 0


def test_a_device_that_stalls_catches_up_at_once_dropping_what_piled_up_and_counting_the_stall() -> None:
    ring = PlayoutRing(prefill=0.05, max_level=1.0, margin=1.0, stall=0.1)  # no trim, no cap: the catch-up alone
    step, written, now = 480, 0, 100.0
    for _ in range(20):  # 200 ms of steady playout, 10 ms in and 10 ms out
        ring.write(ramp(written, step))
        written += step
        ring.read(step, now)
        now += 0.01
    before = ring.stats()
    assert before.stalls == 0 and before.dropped_samples == 0, "reads 10 ms apart are no stall"
    for _ in range(30):  # the device's thread does not run for 300 ms; the mixer goes on writing
        ring.write(ramp(written, step))
        written += step
    assert ring.level > 0.3
    now += 0.3
    out = ring.read(step, now)
    stats = ring.stats()
    assert stats.stalls == 1 and stats.longest_stall == pytest.approx(0.31)
    assert np.array_equal(out, ramp(written - 2400, step)), "it plays on from the newest prefill (50 ms)"
    assert stats.dropped_samples == before.level * AUDIO_RATE + 30 * step - 2400, "everything older is dropped"
    assert ring.level == pytest.approx(0.05 - 0.01), "the delay is the prefill's again, not 300 ms more"
    ring.write(ramp(written, step))
    ring.read(step, now + 0.09)
    assert ring.stats().stalls == 1, "90 ms is within the device's own buffer"


def test_a_device_starting_up_is_caught_up_but_not_counted_as_stalled_and_a_stall_in_silence_is() -> None:
    ring = PlayoutRing(prefill=0.02, max_level=1.0, margin=1.0, stall=0.1)
    ring.write(ramp(0, 960))
    ring.read(1920, 10.0)  # what Qt and PulseAudio do when the stream opens: fill their buffers (56 ms) ...
    ring.read(768, 10.01)
    ring.write(ramp(960, 14_400))  # ... then wait 300 ms for the sink to start, while the mixer goes on
    out = ring.read(256, 10.31)
    stats = ring.stats()
    assert stats.stalls == 0, "starting is no stall"
    assert np.array_equal(out, ramp(15_360 - 960, 256)) and stats.dropped_samples == 14_400 - 960, "but caught up"
    now = 10.31
    for _ in range(20):  # 200 ms of steady reads, in silence (nothing written)
        now += 0.01
        ring.read(480, now)
    ring.read(480, now + 0.5)  # the device's thread did not run for 500 ms: nothing to drop, a stall all the same
    stats = ring.stats()
    assert stats.stalls == 1 and stats.longest_stall == pytest.approx(0.5)
    assert stats.dropped_samples == 14_400 - 960
    ring.reset()  # another device: starting up again
    ring.read(1920, 20.0)
    ring.read(256, 20.3)
    assert ring.stats().stalls == 1


def test_the_ring_hands_every_sample_once_between_a_writer_and_a_reader_thread() -> None:
    # no trimming and no catching up here (a loaded machine may pause the reader): every sample must come out
    ring = PlayoutRing(prefill=0.01, max_level=1.0, margin=1.0, stall=math.inf)
    total, chunk = 29_760, 960
    played: list[np.ndarray] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set() or ring.level > 0:
            played.append(ring.read(256))

    thread = threading.Thread(target=reader)
    thread.start()
    for start in range(0, total, chunk):
        while ring.level > 0.5:  # as the mixer does, never far ahead of the device
            time.sleep(0.001)
        ring.write(ramp(start, chunk))
    done.set()
    thread.join(10)
    out = np.concatenate(played)
    heard = out[out != 0]  # silence while waiting for the prefill, and at underruns, is zeros
    stats = ring.stats()
    assert stats.dropped_samples == 0 and stats.read == stats.written == total
    # each sample once and in order: every step is +1 but where an underrun faded the samples before it (48 at most)
    steps = np.diff(heard.astype(np.int32))
    assert np.count_nonzero(steps != 1) <= 48 * stats.underruns, "nothing twice, nothing out of order"
    assert len(heard) >= total - 48 * stats.underruns, "nothing lost"


async def test_the_desks_mix_reaches_the_playout_ring_tones_included(tmp_path: Path) -> None:
    sound = DeskSound(microphone=False)
    desk = Desk(tmp_path / "events.sqlite", media=MediaOptions())
    try:
        assert desk.media is not None
        sound.attach(desk.media)
        desk.media.play("test", (0.3 * 32767 * np.sin(2 * math.pi * 660 * np.arange(24_000) / AUDIO_RATE))
                        .astype(np.int16), 1.0)
        await asyncio.sleep(0.35)
        out = sound.playout.read(int(sound.playout.level * AUDIO_RATE))
        assert sound.playout.stats().written > 0.25 * AUDIO_RATE, "the mixer renders in real time, engine or not"
        assert tone_level(out, 660.0) > 0.9
        assert "mixer: 0 ms of received audio dropped to keep the delay short" in sound.describe()
    finally:
        await desk.close()
        sound.close()


def test_the_microphone_goes_to_the_feed_the_workers_read() -> None:
    sound = DeskSound()
    try:
        assert sound.feed is not None
        options = sound.media_options(MediaOptions())
        assert options.microphone == sound.feed.spec
        assert sound.media_options(MediaOptions(microphone="tone:500")).microphone == "tone:500", "a stand-in wins"
        reader = MicFeed.attach(sound.feed.name)
        sound.take_microphone(np.full(960, 16384, dtype=np.int16))
        pcm, position = reader.read(0, 2000)
        assert position == 960 and (pcm == 16384).all()
        assert sound.input_level == pytest.approx(0.5) and sound.captured == 960
        reader.close()
    finally:
        sound.close()
    sound.take_microphone(np.ones(10, dtype=np.int16))  # after close: ignored, not a crash


def test_diagnostics_list_the_devices_in_use_and_their_problems(tmp_path: Path) -> None:
    sound = DeskSound()
    heard: list[str] = []
    sound.listeners.append(lambda: heard.append("changed"))
    sound.set_state("output", DeviceState("USB headset", "Built-in Audio", "output device 'USB headset' is missing"))
    sound.set_state("input", DeviceState("", "USB microphone"))
    desk = Desk(tmp_path / "events.sqlite")
    desk.sound = sound
    try:
        text = collect_diagnostics(desk, log_lines=[])
        section = text.split("== sound devices ==")[1].split("==")[0]
        assert "output: Built-in Audio (configured: 'USB headset'); problem: output device 'USB headset'" in section
        assert "input: USB microphone (configured: the system default)" in section
        assert "underruns" in section and "0 device stalls (longest 0 ms)" in section
        assert sound.feed is not None and sound.feed.spec in section
        assert heard == ["changed", "changed"]
        assert sound.problems() == ["output: output device 'USB headset' is missing"]
    finally:
        asyncio.run(desk.close())
        sound.close()


def test_warm_voice_links_are_a_setting(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[media]\nwarm_voice_links = 3\n")
    loaded = load_settings(config)
    assert loaded.settings.media.warm_voice_links == 3 and not loaded.problems
    options, problems = media_options(loaded.settings.media)
    assert options.warm_voice_links == 3 and not problems
    assert load_settings(tmp_path / "none.toml").settings.media.warm_voice_links == 8, "8 by default"
    for bad in ("-1", '"many"', "2.5", "true"):
        config.write_text(f"[media]\nwarm_voice_links = {bad}\n")
        loaded = load_settings(config)
        assert loaded.settings.media.warm_voice_links == 8
        assert len(loaded.problems) == 1 and "media.warm_voice_links" in loaded.problems[0]
