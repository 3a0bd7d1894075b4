"""The loudspeaker's tail on a real (private) PulseAudio (tests/pulse.py): when the desk's audio thread stalls (a busy
machine), the audio that piled up meanwhile is dropped and counted, and what the mixer writes next is heard as soon
as before, not as late as the stall was long; the audio threads ask for a higher priority, and a desk without the
right to have it says so."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from console.core.sound import DeskSound
from console.ui.audio_priority import NICE, raise_priority
from console.ui.sound import DeskAudio
from media.audio import AUDIO_RATE, tone_level
from tests.pulse import Capture, PrivatePulse
from tests.ui import conftest
from tests.ui.test_sound import MixerClock, tone

pytestmark = pytest.mark.timeout(60)

STALL = 0.4


@pytest.fixture
def pulse(private_pulse: PrivatePulse | None) -> PrivatePulse:
    if private_pulse is None:
        pytest.skip(f"PulseAudio cannot run here: {conftest.PULSE_PROBLEM}")
    return private_pulse


@pytest.fixture
def sound() -> Iterator[DeskSound]:
    # no cap on the ring's level: only catching up after the stall can take the delay back
    desk_sound = DeskSound(microphone=False, max_level=2.0)
    yield desk_sound
    desk_sound.close()


def heard_at(capture: Capture, after: float, frequency: float) -> float | None:
    """When the first 5 ms of ``frequency`` after ``after`` was played: its place in the continuous capture, whose
    start is the earliest chunk arrival less the samples before it (late deliveries of a busy machine do not count)."""
    chunks = capture.chunks()
    ends = np.cumsum([len(pcm) for _, pcm in chunks])
    start = min(arrived - end / AUDIO_RATE for (arrived, _), end in zip(chunks, ends, strict=True))
    for (_, pcm), end in zip(chunks, ends, strict=True):
        first = start + (end - len(pcm)) / AUDIO_RATE
        if first >= after - 0.05 and len(pcm) >= 64 and tone_level(pcm, frequency, bandwidth=200) > 0.5:
            return float(first)
    return None


def test_after_the_audio_thread_stalls_what_piled_up_is_dropped_and_the_delay_is_short_again(
        pulse: PrivatePulse, sound: DeskSound, qtbot: QtBot) -> None:
    audio = DeskAudio(sound)
    clock = MixerClock(sound)
    try:
        audio.start()
        qtbot.waitUntil(lambda: sound.output.using == "DeskOut", timeout=5000)
        clock.start()
        def played() -> int:  # samples the device took from the ring (its head moves for dropped ones too)
            stats = sound.playout.stats()
            return stats.read - stats.dropped_samples

        # steady playout (a null sink takes up to a second or so after it opened before it asks for sound)
        began = played()
        qtbot.waitUntil(lambda: played() - began > 0.5 * AUDIO_RATE, timeout=10_000)
        worker = audio._worker
        assert worker is not None
        stalled = threading.Event()

        def stall() -> None:  # what a starved audio thread does: nothing, for a while
            stalled.set()
            time.sleep(STALL)

        before = sound.playout.stats()
        QTimer.singleShot(0, worker, stall)
        qtbot.waitUntil(stalled.is_set, timeout=5000)
        qtbot.wait(int(STALL * 1000) + 100)  # the mixer goes on writing meanwhile; the device then reads again
        after = sound.playout.stats()
        assert after.stalls == before.stalls + 1 and after.longest_stall >= STALL
        assert (after.dropped_samples - before.dropped_samples) / AUDIO_RATE > STALL - 0.1, "the late audio went"

        with pulse.capture() as heard:
            qtbot.wait(200)
            clock.mixer.overlay("talker", tone(700.0, 0.5))
            clock.tick()  # written into the ring now
            written = time.monotonic()
            qtbot.waitUntil(lambda: tone_level(heard.last(0.1), 700.0) > 0.8, timeout=5000)
            qtbot.wait(100)
            at = heard_at(heard, written, 700.0)
        assert at is not None
        # as before the stall: the ring's prefill and the device's buffer (about 110 ms), not the stall's 400 ms more
        assert at - written < 0.3, f"heard {at - written:.3f} s after it was mixed"
    finally:
        clock.timer.stop()
        audio.close()


def test_the_audio_threads_ask_for_a_higher_priority(pulse: PrivatePulse, sound: DeskSound, qtbot: QtBot) -> None:
    audio = DeskAudio(sound)
    try:
        audio.start()
        qtbot.waitUntil(lambda: sound.output.using == "DeskOut", timeout=5000)
        threads = audio.audio_threads()
        assert len(threads) >= 2, "the audio thread and Qt's PulseAudio thread"
        if os.geteuid() == 0:  # allowed to: all of them run at NICE
            assert sound.audio_priority.startswith(f"nice {NICE}")
            assert {os.getpriority(os.PRIO_PROCESS, thread) for thread in threads} == {NICE}
        else:
            assert sound.audio_priority.startswith(("nice", "normal priority"))
        assert f"audio threads: {sound.audio_priority}" in sound.describe()
    finally:
        audio.close()


def test_a_desk_refused_a_higher_priority_says_so_and_runs_on() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to become an unprivileged user for the child")
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: an ordinary user (RLIMIT_NICE 0 here), as a dispatcher's desk runs
        code = 1
        try:
            os.close(reading)
            os.setgid(65534)
            os.setuid(65534)
            text = raise_priority(threading.get_native_id())
            os.write(writing, f"{text}\n{os.getpriority(os.PRIO_PROCESS, 0)}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(writing)
    with os.fdopen(reading) as pipe:
        text, nice = pipe.read().split("\n")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert text.startswith(f"normal priority: nice {NICE} was refused") and "RLIMIT_NICE" in text
    assert nice == "0", "nothing half done"
