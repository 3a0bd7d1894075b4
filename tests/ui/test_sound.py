"""The Qt desk's sound devices on a real (private) PulseAudio with virtual devices (tests/pulse.py): the mix is
heard on the output device, the microphone reaches the media workers' feed, a configured device that is missing
is said in the status bar while the system default plays, and is used again when it comes back; File → Audio
devices… lists the devices, plays a test tone, shows the microphone's level and saves the choice."""

from __future__ import annotations

import math
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from console.core.sound import DeskSound
from console.ui.audio_devices_dialog import AudioDevicesDialog, install_sound_ui
from console.ui.session import DeskSession
from console.ui.sound import DeskAudio
from media.audio import AUDIO_RATE, VoiceMixer, tone_level
from tests.pulse import MIC_SOURCE, MOUTH_SINK, OUTPUT_SINK, PrivatePulse
from tests.ui import conftest

pytestmark = pytest.mark.timeout(60)


def tone(frequency: float, seconds: float, amplitude: float = 0.3) -> np.ndarray:
    n = np.arange(int(seconds * AUDIO_RATE))
    return (amplitude * np.sin(2 * math.pi * frequency * n / AUDIO_RATE) * 32767).astype(np.int16)


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


class MixerClock:
    """What the desk's audio loop does, on a Qt timer: render the mixer every 40 ms of the clock into the ring."""

    def __init__(self, sound: DeskSound) -> None:
        self.mixer = VoiceMixer()
        self.mixer.sinks.append(sound.playout.write)
        self.timer = QTimer()
        self.timer.timeout.connect(self.tick)
        self.rendered = 0.0
        self.started = 0.0

    def start(self) -> None:
        self.started = time.monotonic()
        self.timer.start(40)

    def tick(self) -> None:
        due = (time.monotonic() - self.started) * AUDIO_RATE
        count = int(due - self.rendered)
        if count > 0:
            self.mixer.render(count)
            self.rendered += count


def test_the_mix_plays_on_the_output_and_the_microphone_feeds_the_media_workers(
        pulse: PrivatePulse, sound: DeskSound, qtbot: QtBot) -> None:
    audio = DeskAudio(sound)
    clock = MixerClock(sound)
    try:
        audio.start()
        qtbot.waitUntil(lambda: sound.output.using == "DeskOut" and sound.input.using == "DeskMic", timeout=5000)
        assert not audio.problems() and sound.device_buffer == pytest.approx(0.04, abs=0.01)
        clock.start()
        with pulse.capture() as heard:
            clock.mixer.overlay("talker", tone(700.0, 3.0))
            qtbot.waitUntil(lambda: tone_level(heard.last(0.3), 700.0) > 0.9, timeout=5000)
        assert sound.feed is not None
        before = sound.feed.written
        player = pulse.play(tone(900.0, 1.0))
        try:
            def mic_hears() -> bool:
                assert sound.feed is not None
                pcm, _ = sound.feed.read(sound.feed.written - AUDIO_RATE // 5, AUDIO_RATE)
                return tone_level(pcm, 900.0) > 0.9 and sound.input_level > 0.2  # the meter's level too
            qtbot.waitUntil(mic_hears, timeout=5000)
        finally:
            player.wait(10)
        assert sound.feed.written > before
    finally:
        clock.timer.stop()
        audio.close()


def test_a_missing_device_is_said_the_default_plays_and_it_is_used_again_when_plugged_in(
        pulse: PrivatePulse, sound: DeskSound, session: DeskSession, qtbot: QtBot) -> None:
    audio = DeskAudio(sound, output="USB headset", parent=session.window)
    ui = install_sound_ui(session.window, audio, None)
    clock = MixerClock(sound)
    plugged: int | None = None
    try:
        audio.start()
        clock.start()
        clock.mixer.overlay("talker", tone(600.0, 30.0))
        qtbot.waitUntil(lambda: sound.output.using == "DeskOut", timeout=5000)
        assert ui.label.isVisibleTo(session.window)
        assert ui.label.text() == "Sound output USB headset is not connected: playing on DeskOut"
        assert sound.output.problem is not None and "USB headset" in sound.output.problem
        with pulse.capture() as heard:  # the desk is heard on the default meanwhile
            qtbot.waitUntil(lambda: tone_level(heard.last(0.3), 600.0) > 0.9, timeout=5000)

        plugged = pulse.load("module-null-sink", "sink_name=headset",
                             "sink_properties=device.description='USB\\ headset'")
        qtbot.waitUntil(lambda: sound.output.using == "USB headset", timeout=5000)
        assert not ui.label.isVisibleTo(session.window) and sound.output.problem is None
        with pulse.capture("headset.monitor") as heard:
            qtbot.waitUntil(lambda: tone_level(heard.last(0.3), 600.0) > 0.9, timeout=5000)

        pulse.unload(plugged)
        plugged = None
        qtbot.waitUntil(lambda: sound.output.using == "DeskOut", timeout=5000)
        assert ui.label.isVisibleTo(session.window)
        with pulse.capture() as heard:
            qtbot.waitUntil(lambda: tone_level(heard.last(0.3), 600.0) > 0.9, timeout=5000)
    finally:
        clock.timer.stop()
        if plugged is not None:
            pulse.unload(plugged)
        audio.close()


def test_no_device_at_all_is_said_and_the_desk_runs_on(
        pulse: PrivatePulse, sound: DeskSound, session: DeskSession, qtbot: QtBot) -> None:
    audio = DeskAudio(sound, input="Nothing", parent=session.window)
    ui = install_sound_ui(session.window, audio, None)
    try:
        audio.start()
        qtbot.waitUntil(lambda: sound.input.using == "DeskMic", timeout=5000)
        assert ui.label.text() == "Microphone Nothing is not connected: using DeskMic"
        audio.set_devices(input="")
        qtbot.waitUntil(lambda: not ui.label.isVisibleTo(session.window), timeout=5000)
    finally:
        audio.close()


def test_the_audio_devices_dialog_lists_tries_and_saves_the_devices(
        pulse: PrivatePulse, sound: DeskSound, session: DeskSession, qtbot: QtBot, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[dispatcher]\nuser = "chief"\n')
    audio = DeskAudio(sound, parent=session.window)
    ui = install_sound_ui(session.window, audio, config)
    try:
        audio.start()
        qtbot.waitUntil(lambda: sound.output.using == "DeskOut", timeout=5000)
        assert ui.action in session.window.file_menu.actions() and ui.action.text() == "Audio devices…"
        ui.action.trigger()
        dialog = ui.dialog
        assert isinstance(dialog, AudioDevicesDialog) and dialog.isVisible()
        outputs = [dialog.output_box.itemText(i) for i in range(dialog.output_box.count())]
        inputs = [dialog.input_box.itemText(i) for i in range(dialog.input_box.count())]
        assert outputs[0] == "System default" and {"DeskOut", "Mouth"} <= set(outputs[1:])
        assert inputs == ["System default", "DeskMic"], "monitors are not microphones"

        with pulse.capture(f"{OUTPUT_SINK}.monitor") as heard:
            # the recorder must be running before the tone starts: it once took over a second to start, by when
            # most of the tone had played unheard
            qtbot.waitUntil(lambda: len(heard.last(0.2)) > 0, timeout=5000)
            assert dialog.play_test_tone()
            qtbot.waitUntil(lambda: tone_level(heard.last(0.2), 1000.0) > 0.9, timeout=5000)
        player = pulse.play(tone(500.0, 1.5, amplitude=0.5), MOUTH_SINK)
        try:
            qtbot.waitUntil(lambda: dialog.meter.value() > 80, timeout=5000)
        finally:
            player.wait(10)

        dialog.output_box.setCurrentIndex(outputs.index("Mouth"))
        dialog.input_box.setCurrentIndex(inputs.index("DeskMic"))
        dialog.accept()
        qtbot.waitUntil(lambda: sound.output.using == "Mouth", timeout=5000)
        saved = tomllib.loads(config.read_text())
        assert saved["audio"] == {"output": "Mouth", "input": "DeskMic"}
        assert saved["dispatcher"] == {"user": "chief"}, "the other settings are kept"
        assert MIC_SOURCE == "desk_mic"
    finally:
        audio.close()


def test_copy_diagnostics_lists_the_devices_in_use(
        pulse: PrivatePulse, sound: DeskSound, session: DeskSession, qtbot: QtBot) -> None:
    audio = DeskAudio(sound, parent=session.window)
    session.desk.sound = sound
    try:
        audio.start()
        qtbot.waitUntil(lambda: sound.output.using == "DeskOut" and sound.input.using == "DeskMic", timeout=5000)
        text = session.window.copy_diagnostics()
        assert "output: DeskOut (configured: the system default)" in text
        assert "input: DeskMic (configured: the system default)" in text
    finally:
        audio.close()
