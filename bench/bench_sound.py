"""The Qt desk's real sound path: mouth-to-ear through the output device, playout underruns idle and on a busy
machine, and what the live microphone's shared-memory feed adds.

Everything runs on a private PulseAudio with virtual devices (tests/pulse.py), so the figures are the desk's own
path, not a sound card's:

- *world* (a process, bench_media's): the real platform and the handset HS-001, whose `GatedTrack` logs when its
  microphone opens (tone onset at the handset);
- *this process*: the desk core (`Desk`, one media worker), the Qt `DeskAudio` on its audio thread playing the mix
  on the null sink ``desk_out`` and capturing ``desk_mic``; ``parec`` records ``desk_out.monitor`` in 5 ms chunks,
  each stamped on arrival. Mouth-to-ear is tone onset at the handset → the first 5 ms chunk of the monitor that
  carries the handset's tone (that chunk's first sample's time), next to the same onset in the desk's mixer output
  (polled every 5 ms, as bench_media does) to show what the device path adds;
- the same bursts again with two processes spinning on the two cores (a busy machine), counting the playout ring's
  underruns (the device found it dry and played silence);
- the microphone feed: a tone played into the desk's microphone while a spawned reader (a `FedMicrophoneTrack`,
  what a media worker runs) takes frames; each frame's latency is its return time minus the time the capture thread
  wrote its newest sample.

Run from the repository root: ``.venv/bin/python -m bench.bench_sound`` (``--bursts N``, 20 by default;
``--quick``: 5 bursts, records nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import math
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._procs import BenchError, percentile, receive
from bench._report import record
from bench.bench_media import WorldPlan, run_world

logger = logging.getLogger(__name__)

SECTION = "Sound devices: mouth-to-ear through the loudspeaker, underruns, microphone feed"
LOOPBACK = ("127.0.0.1",)
TALKER, GROUP = "HS-001", "TG-S01"
RATE = 48_000
DESK_TONE = 1250.0


@dataclass
class Phase:
    """One set of bursts."""

    name: str
    device: list[float] = field(default_factory=list)
    mixer: list[float] = field(default_factory=list)
    missed: int = 0
    underruns: int = 0
    underrun_ms: float = 0.0
    seconds: float = 0.0
    #: the playout ring's level, sampled every 10 ms (seconds)
    levels: list[float] = field(default_factory=list)
    #: the machine's 1-minute load average at the end of the phase (other work shares it)
    load: float = 0.0


@dataclass
class Result:
    phases: list[Phase] = field(default_factory=list)
    feed: list[float] = field(default_factory=list)
    chunk_ms: list[float] = field(default_factory=list)
    device_buffer_ms: float = 0.0
    prefill_ms: float = 0.0


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    x = 0
    while time.monotonic() < end:
        x += 1


def _read_feed(name: str, seconds: float, conn: Connection) -> None:
    """A spawned reader of the desk's microphone feed, as a media worker reads it: (end position, time) per frame."""
    from media.mic_feed import FedMicrophoneTrack

    async def run() -> list[tuple[int, float]]:
        track = FedMicrophoneTrack.open(name)
        track.resync()
        out: list[tuple[int, float]] = []
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                await track.recv()
                out.append((track._position, time.monotonic()))
        finally:
            track.stop()
        return out

    conn.send(asyncio.run(run()))


def onset_in(chunks: Sequence[tuple[float, Any]], after: float, frequency: float,
             tone_level: Callable[..., float]) -> float | None:
    """The time of the first sample of the first 5 ms chunk (after ``after``) that carries ``frequency``.

    A sample's time comes from its index in the continuous capture, not from when its chunk reached this process
    (which a busy machine delays): the capture's start is the lower envelope of (arrival - samples so far / rate),
    the chunk that reached us soonest after it was recorded."""
    ends: list[int] = []
    total = 0
    for _, pcm in chunks:
        total += len(pcm)
        ends.append(total)
    if not chunks:
        return None
    start = min(arrived - end / RATE for (arrived, _), end in zip(chunks, ends, strict=True))
    for (_, pcm), end in zip(chunks, ends, strict=True):
        first = start + (end - len(pcm)) / RATE
        if first < after - 0.05 or len(pcm) < 64:
            continue
        if float(abs(pcm.astype("int32")).max()) > 2000 and tone_level(pcm, frequency, bandwidth=200) > 0.5:
            return first
    return None


async def bursts(desk: Any, world: Connection, phase: Phase, *, count: int, talker_tone: float, pulse: Any,
                 sound: Any) -> None:
    from media.audio import tone_level

    mixer = desk.media.voice.mixer
    before = sound.playout.stats()
    began = time.monotonic()

    async def sample_levels() -> None:
        while True:
            phase.levels.append(sound.playout.level)
            await asyncio.sleep(0.01)

    sampling = asyncio.ensure_future(sample_levels())
    with pulse.capture() as heard:
        for _ in range(count):
            for _ in range(250):  # silence at the desk first (5 s at most)
                if tone_level(mixer.output.last(0.2), talker_tone) <= 0.05:
                    break
                await asyncio.sleep(0.02)
            world.send(("talk", 1.0, GROUP))
            mixed: float | None = None
            while not world.poll():
                if mixed is None and tone_level(mixer.output.last(0.02), talker_tone, bandwidth=100) > 0.5:
                    mixed = time.monotonic()
                await asyncio.sleep(0.005)
            _, outcome, onsets = world.recv()
            await asyncio.sleep(0.3)  # the burst's end reaches the monitor
            at = onset_in(heard.chunks(), onsets[0], talker_tone, tone_level) if onsets else None
            if outcome != "granted" or not onsets or at is None or mixed is None:
                phase.missed += 1
                logger.warning("burst not measured: %s, onsets %s, device %s, mixer %s", outcome, onsets, at, mixed)
            else:
                phase.device.append(at - onsets[0])
                phase.mixer.append(mixed - onsets[0])
            await asyncio.sleep(0.5)
    sampling.cancel()
    after = sound.playout.stats()
    phase.underruns = after.underruns - before.underruns
    phase.underrun_ms = (after.underrun_samples - before.underrun_samples) / RATE * 1000
    phase.seconds = time.monotonic() - began
    phase.load = os.getloadavg()[0]


async def measure(count: int, folder: Path) -> Result:
    from console.core.desk import Desk
    from console.core.layout import layout_from_line
    from console.core.media_desk import MediaOptions
    from console.core.sound import DeskSound
    from console.ui.sound import DeskAudio
    from media.sources import tone_frequency
    from testbed.line import default_line_path, load_line
    from tests.pulse import PrivatePulse

    out = Result()
    context = multiprocessing.get_context("spawn")
    pulse = PRIVATE_PULSE
    assert isinstance(pulse, PrivatePulse)
    world_conn, world_end = context.Pipe()
    _, sends_out = context.Pipe(duplex=False)
    plan = WorldPlan((), (), TALKER, str(Path(tempfile.gettempdir()) / "trunkdesk-bench-clips"))
    world = context.Process(target=run_world, args=(plan, world_end, sends_out), name="bench-world")
    world.start()
    sound = DeskSound()
    audio: Any = None
    desk: Any = None
    spinners: list[multiprocessing.process.BaseProcess] = []
    try:
        _, url, _, numbers = await asyncio.to_thread(receive, world_conn, 120, "the platform and the handset")
        talker_tone = tone_frequency(numbers[TALKER])
        line = load_line(default_line_path())
        desk = Desk(folder / "events.db", layout=layout_from_line(line),
                    media=sound.media_options(MediaOptions(allowed_addresses=LOOPBACK, workers=1)))
        await desk.connect(url, "chief", "demo")
        await desk.monitor([GROUP])
        await desk.select(GROUP)
        audio = DeskAudio(sound)
        sound.attach(desk.media)
        audio.start()
        deadline = time.monotonic() + 10
        while not (sound.output.using and sound.input.using):
            if time.monotonic() > deadline:
                raise BenchError(f"the sound devices did not open: {sound.problems()}")
            await asyncio.sleep(0.05)
        out.device_buffer_ms = sound.device_buffer * 1000
        out.prefill_ms = sound.playout.prefill / RATE * 1000
        world_conn.send(("talk", 2.0, GROUP))  # the first burst sets the voice link up: not measured
        await asyncio.to_thread(receive, world_conn, 30, "the first talk burst")
        await asyncio.sleep(1.0)
        print(f"  mouth-to-ear, idle: {count} bursts", flush=True)
        idle = Phase("idle")
        await bursts(desk, world_conn, idle, count=count, talker_tone=talker_tone, pulse=pulse, sound=sound)
        out.phases.append(idle)
        print(f"  mouth-to-ear, busy (2 spinning processes): {count} bursts", flush=True)
        spinners = [context.Process(target=_spin, args=(count * 3.0 + 30,), daemon=True) for _ in range(2)]
        for spinner in spinners:
            spinner.start()
        busy = Phase("busy")
        await bursts(desk, world_conn, busy, count=count, talker_tone=talker_tone, pulse=pulse, sound=sound)
        out.phases.append(busy)
        for spinner in spinners:
            spinner.kill()
        print("  microphone feed", flush=True)
        await feed_latency(sound, pulse, out)
    finally:
        for spinner in spinners:
            if spinner.is_alive():
                spinner.kill()
        if audio is not None:
            audio.close()
        if desk is not None:
            await desk.close()
        sound.close()
        world_conn.send(("stop",))
        await asyncio.to_thread(world.join, 20)
        if world.is_alive():
            world.kill()
    return out


async def feed_latency(sound: Any, pulse: Any, out: Result) -> None:
    """A tone into the microphone for 6 s; frames read by a spawned reader, matched to the capture's writes."""
    import numpy as np

    feed = sound.feed
    writes: list[tuple[int, float]] = []
    take = sound.take_microphone

    def logged(pcm: Any) -> None:
        take(pcm)
        writes.append((feed.written, time.monotonic()))

    sound.take_microphone = logged
    n = np.arange(8 * RATE)
    player = pulse.play((0.3 * np.sin(2 * math.pi * DESK_TONE * n / RATE) * 32767).astype(np.int16))
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    reader = context.Process(target=_read_feed, args=(feed.name, 6.0, theirs), name="bench-feed-reader")
    try:
        reader.start()
        frames = await asyncio.to_thread(receive, ours, 60, "the feed's reader")
    finally:
        sound.take_microphone = take
        player.kill()
        player.wait(10)
        await asyncio.to_thread(reader.join, 10)
    for end, returned in frames[5:]:  # the first frames come from the reader's start
        written_at = next((at for position, at in writes if position >= end), None)
        if written_at is not None:
            out.feed.append(returned - written_at)
    out.chunk_ms = [(b[0] - a[0]) / RATE * 1000 for a, b in itertools.pairwise(writes)]


PRIVATE_PULSE: Any = None


def _ms(values: Sequence[float], p: float) -> str:
    value = percentile(values, p)
    return "n/a" if math.isnan(value) else f"{value * 1000:.0f} ms"


def report_lines(out: Result) -> list[str]:
    lines = [
        "Private PulseAudio with null sinks (tests/pulse.py); the platform and the handset in one process, the desk "
        "core, its Qt audio thread and one media worker in others; loopback. The output device buffers "
        f"{out.device_buffer_ms:.0f} ms, the playout ring starts at {out.prefill_ms:.0f} ms (console/core/sound.py).",
        "",
        "| condition | bursts | mouth-to-ear at the loudspeaker p50 / p95 / max | at the mixer p50 / p95 | "
        "device path adds (p50) | ring level p50 / max | playout underruns | load average |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for phase in out.phases:
        added = [d - m for d, m in zip(phase.device, phase.mixer, strict=True)]
        per_min = phase.underruns / phase.seconds * 60 if phase.seconds else 0.0
        lines.append(
            f"| {phase.name} | {len(phase.device)} measured, {phase.missed} missed | {_ms(phase.device, 50)} / "
            f"{_ms(phase.device, 95)} / {_ms(phase.device, 100)} | {_ms(phase.mixer, 50)} / {_ms(phase.mixer, 95)} | "
            f"{_ms(added, 50)} | {_ms(phase.levels, 50)} / {_ms(phase.levels, 100)} | "
            f"{phase.underruns} in {phase.seconds:.0f} s ({per_min:.1f}/min, "
            f"{phase.underrun_ms:.0f} ms of silence) | {phase.load:.1f} |")
    chunk = percentile(out.chunk_ms, 50)
    lines += [
        "",
        "- mouth-to-ear: the handset's microphone passes its first tone frame (its `GatedTrack`) → the first 5 ms "
        "chunk captured from the desk's sink monitor that carries the handset's tone (that chunk's first sample, "
        "timed by its place in the continuous capture, whose start is the earliest chunk arrival less its samples: "
        "a busy machine's late deliveries do not count; `parec` at 5 ms latency still adds a few ms). "
        "\"At the mixer\" is the same onset in the desk's mixed output, polled every "
        "5 ms: the difference is what the playout ring, the Qt audio thread and the device add. "
        "Target (3GPP KPI3): p95 < 300 ms.",
        "- idle: no load of this benchmark's own; the machine is shared, and the load average column says how busy "
        "it was anyway. busy: two processes spinning on the two cores for the whole phase, at the same priority as "
        "the desk, on top of that.",
        f"- microphone feed (media/mic_feed.py): a frame's return in a spawned reader (what a media worker runs) "
        f"minus the capture thread's write of its newest sample, {len(out.feed)} frames: p50 {_ms(out.feed, 50)}, "
        f"p95 {_ms(out.feed, 95)}, max {_ms(out.feed, 100)}; the input device delivers "
        f"{'n/a' if math.isnan(chunk) else f'{chunk:.0f} ms'} per chunk (p50), which the capture adds before it.",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    global PRIVATE_PULSE  # noqa: PLW0603 - one daemon for the run
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bursts", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="5 bursts, nothing recorded")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from tests.pulse import PrivatePulse, PulseUnavailable

    try:
        PRIVATE_PULSE = PrivatePulse().start()
    except PulseUnavailable as exc:
        print(f"bench_sound: {exc}", file=sys.stderr)
        return 2
    PRIVATE_PULSE.use()
    try:
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication(["bench-sound"])
        count = 5 if args.quick else args.bursts
        with tempfile.TemporaryDirectory() as folder:
            out = _run(app, measure(count, Path(folder)))
    finally:
        PRIVATE_PULSE.stop()
    lines = report_lines(out)
    print("\n".join(lines))
    if not args.quick:
        record(SECTION, lines, packages=("PySide6-Essentials", "PySide6-Addons", "aiortc", "av", "numpy"))
    return 0


def _run(app: Any, coroutine: Any) -> Any:
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return loop.run_until_complete(coroutine)
    finally:
        asyncio.set_event_loop(None)


if __name__ == "__main__":
    sys.exit(main())
