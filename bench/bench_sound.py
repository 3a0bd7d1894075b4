"""The Qt desk's real sound path: mouth-to-ear through the output device idle and overloaded, where the time goes,
playout underruns and device stalls, and what the live microphone's shared-memory feed adds.

Everything runs on a private PulseAudio with virtual devices (tests/pulse.py), so the figures are the desk's own
path, not a sound card's:

- *world* (a process, bench_media's): the real platform and the handset HS-001, whose `GatedTrack` logs when its
  microphone opens (tone onset at the handset);
- *this process*: the desk core (`Desk`, one media worker), the Qt `DeskAudio` on its audio thread playing the mix
  on the null sink ``desk_out`` and capturing ``desk_mic``; ``parec`` records ``desk_out.monitor`` in 5 ms chunks,
  each stamped on arrival. Mouth-to-ear is tone onset at the handset → the first 5 ms chunk of the monitor that
  carries the handset's tone (that chunk's first sample's time). On the way, the onset is also timed where the
  mix writes it into the playout ring and where the output device reads it from there, which splits the delay into
  *to the mix* (network, media worker, the desk's audio loop and mixer), *playout ring* and *Qt + PulseAudio*
  (Qt's ring, the server's stream, the null sink);
- the phases: *idle* (no load of ours), *overloaded* (``--spinners`` processes, 12 by default, spinning for the whole
  phase, started and stopped here, at the desk's own priority, each in a session of its own as other applications
  run: Linux shares the cores between sessions first, so a few spinners in the desk's own session barely touch it,
  while a dozen other sessions leave it a sixth of a core), and, when the desk could raise its audio threads'
  priority (console/ui/audio_priority.py), *overloaded at normal priority* with that undone, to show what the
  priority buys and what a desk without the right to raise it gets. The world process is lifted above the load
  where it can be (root): it stands for other machines;
- the microphone feed: a tone played into the desk's microphone while a spawned reader (a `FedMicrophoneTrack`,
  what a media worker runs) takes frames; each frame's latency is its return time minus the time the capture thread
  wrote its newest sample.

Run from the repository root: ``.venv/bin/python -m bench.bench_sound`` (``--bursts N``, 20 by default;
``--quick``: 5 bursts, records nothing; ``--no-record``: print only, for a machine shared with other work).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
#: processes spinning during the overloaded phases, each in a session of its own by default (``--spinners``)
SPINNERS = 12


@dataclass
class Phase:
    """One set of bursts."""

    name: str
    #: mouth-to-ear: the handset's tone onset → heard on the sink's monitor (seconds, one per measured burst)
    device: list[float] = field(default_factory=list)
    #: the stages of each measured burst: onset → taken by the desk from the media worker, → written into the playout
    #: ring (the mix), → read from it by the output device, → heard (seconds)
    desk: list[float] = field(default_factory=list)
    mix: list[float] = field(default_factory=list)
    ring: list[float] = field(default_factory=list)
    qt: list[float] = field(default_factory=list)
    missed: int = 0
    underruns: int = 0
    underrun_ms: float = 0.0
    stalls: int = 0
    #: ms dropped by the playout ring, and of received audio by the mixer
    dropped_ms: float = 0.0
    mixer_dropped_ms: float = 0.0
    #: the longest gap between two reads of the output device (seconds)
    longest_gap: float = 0.0
    seconds: float = 0.0
    #: the playout ring's level, sampled every 10 ms (seconds)
    levels: list[float] = field(default_factory=list)
    #: what the mixer holds of the talker heard, not played yet, sampled likewise while a talker plays (seconds)
    backlog: list[float] = field(default_factory=list)
    #: the machine's 1-minute load average at the end of the phase (other work shares it)
    load: float = 0.0
    #: the audio threads' priority during the phase
    priority: str = ""


@dataclass
class Result:
    phases: list[Phase] = field(default_factory=list)
    feed: list[float] = field(default_factory=list)
    chunk_ms: list[float] = field(default_factory=list)
    device_buffer_ms: float = 0.0
    prefill_ms: float = 0.0
    priority: str = ""
    #: whether the world process runs above the load (nice -15)
    world_lifted: bool = False
    #: the overloaded phases' spinning processes, and whether each had a session of its own
    spinners: int = SPINNERS
    own_sessions: bool = True


class StageLog:
    """Times a burst's way through the desk while armed: when the desk's audio loop takes the talker's tone from the
    media worker (`DeskVoice.take_audio`), the playout ring's writes (the mixer, on the event loop) and reads (the
    audio thread) as (time, ring position after) each, and the ring position where the tone first appears in what
    the mix wrote."""

    def __init__(self, voice: Any, ring: Any, tone: float) -> None:
        from media.audio import tone_level

        self.voice, self.ring, self.tone, self.tone_level = voice, ring, tone, tone_level
        self.sinks: list[Callable[..., None]] = voice.mixer.sinks
        self.writes: list[tuple[float, int]] = []
        self.reads: list[tuple[float, int]] = []
        self.onset: int | None = None
        self.arrived: float | None = None
        self.armed = False
        self._take, self._write, self._read = voice.take_audio, ring.write, ring.read
        self.sinks[self.sinks.index(self._write)] = self.write  # the mixer's sink (DeskSound.attach)
        ring.read = self.read  # the output device looks it up at each read
        voice.take_audio = self.take  # the audio loop too

    def close(self) -> None:
        self.sinks[self.sinks.index(self.write)] = self._write
        del self.ring.read
        del self.voice.take_audio

    def arm(self) -> None:
        self.writes, self.reads, self.onset, self.arrived, self.armed = [], [], None, None, True

    def _tone_at(self, samples: Any) -> int | None:
        """The offset of the first 5 ms block (as the monitor is searched) that carries the tone, None if none."""
        for at in range(0, len(samples) - 239, 240):
            block = samples[at:at + 240]
            loud = float(abs(block.astype("int32")).max()) > 2000
            if loud and self.tone_level(block, self.tone, bandwidth=200) > 0.5:
                return at
        return None

    def take(self, session: str, position: int, pcm: Any, now: float | None = None) -> None:
        self._take(session, position, pcm, now)
        if self.armed and self.arrived is None and self._tone_at(pcm) is not None:
            self.arrived = time.monotonic()

    def write(self, samples: Any) -> None:
        before = self.ring.stats().written
        self._write(samples)
        if not self.armed:
            return
        self.writes.append((time.monotonic(), before + len(samples)))
        if self.onset is None and (at := self._tone_at(samples)) is not None:
            self.onset = before + at

    def read(self, count: int, now: float | None = None) -> Any:
        out = self._read(count, now)
        if self.armed:
            self.reads.append((time.monotonic(), self.ring.stats().read))
        return out

    def times(self) -> tuple[float, float, float] | None:
        """(taken from the worker, written, read) times of the tone's onset, None when it was not seen."""
        if self.onset is None or self.arrived is None:
            return None
        written = next((at for at, end in self.writes if end > self.onset), None)
        read = next((at for at, end in self.reads if end > self.onset), None)
        return None if written is None or read is None else (self.arrived, written, read)

    def longest_gap(self) -> float:
        return max((b[0] - a[0] for a, b in itertools.pairwise(self.reads)), default=0.0)


def _lift(pid: int, nice: int = -15) -> bool:
    """Set every thread of process ``pid`` to ``nice``; False when refused (not root: the world then shares the load).

    The world (platform and handset) stands for other machines: on the dispatcher's overloaded PC, the handset's
    encoder and the platform would not wait for a core, so they should not here either."""
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(ProcessLookupError):
                os.setpriority(os.PRIO_PROCESS, int(task.name), nice)
    except (PermissionError, FileNotFoundError):
        return False
    return True


def _spin(seconds: float, session: bool = False) -> None:
    """Keep a core busy for ``seconds``; with ``session``, from a session of its own (another application)."""
    if session:
        os.setsid()
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
    mixer_dropped = mixer.dropped
    began = time.monotonic()
    log = StageLog(desk.media.voice, sound.playout, talker_tone)
    longest_gap = 0.0

    async def sample_levels() -> None:
        while True:
            phase.levels.append(sound.playout.level)
            pending = [len(stream.pending) for stream in mixer._streams.values() if stream.playing]
            if pending:  # a talker is heard: how far behind the mixer plays him
                phase.backlog.append(max(pending) / RATE)
            await asyncio.sleep(0.01)

    sampling = asyncio.ensure_future(sample_levels())
    try:
        with pulse.capture() as heard:
            for _ in range(count):
                for _ in range(250):  # silence at the desk first (5 s at most)
                    if tone_level(mixer.output.last(0.2), talker_tone) <= 0.05:
                        break
                    await asyncio.sleep(0.02)
                log.arm()
                world.send(("talk", 1.0, GROUP))
                _, outcome, onsets = await asyncio.to_thread(receive, world, 30, "a talk burst")
                await asyncio.sleep(0.3)  # the burst's end reaches the monitor
                log.armed = False
                longest_gap = max(longest_gap, log.longest_gap())
                at = onset_in(heard.chunks(), onsets[0], talker_tone, tone_level) if onsets else None
                stages = log.times()
                if outcome != "granted" or not onsets or at is None or stages is None:
                    phase.missed += 1
                    logger.warning("burst not measured: %s, onsets %s, heard %s, ring %s", outcome, onsets, at, stages)
                else:
                    arrived, written, read = stages
                    phase.device.append(at - onsets[0])
                    phase.desk.append(arrived - onsets[0])
                    phase.mix.append(written - arrived)
                    phase.ring.append(read - written)
                    phase.qt.append(at - read)
                await asyncio.sleep(0.5)
    finally:
        sampling.cancel()
        log.close()
    after = sound.playout.stats()
    phase.underruns = after.underruns - before.underruns
    phase.underrun_ms = (after.underrun_samples - before.underrun_samples) / RATE * 1000
    phase.stalls = after.stalls - before.stalls
    phase.dropped_ms = (after.dropped_samples - before.dropped_samples) / RATE * 1000
    phase.mixer_dropped_ms = (mixer.dropped - mixer_dropped) / RATE * 1000
    phase.longest_gap = longest_gap
    phase.seconds = time.monotonic() - began
    phase.load = os.getloadavg()[0]


async def measure(count: int, folder: Path, spinning: int = SPINNERS, own_sessions: bool = True) -> Result:
    from console.core.desk import Desk
    from console.core.layout import layout_from_line
    from console.core.media_desk import MediaOptions
    from console.core.sound import DeskSound
    from console.ui.audio_priority import raise_priority, renice
    from console.ui.sound import DeskAudio
    from media.sources import tone_frequency
    from testbed.line import default_line_path, load_line
    from tests.pulse import PrivatePulse

    out = Result(spinners=spinning, own_sessions=own_sessions)
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
        assert world.pid is not None
        out.world_lifted = _lift(world.pid)
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
        out.priority = sound.audio_priority
        print(f"  mouth-to-ear, idle: {count} bursts (audio threads: {out.priority})", flush=True)
        idle = Phase("idle", priority=out.priority)
        await bursts(desk, world_conn, idle, count=count, talker_tone=talker_tone, pulse=pulse, sound=sound)
        out.phases.append(idle)
        raised = out.priority.startswith("nice")
        for name, normal in (("overloaded", False), ("overloaded at normal priority", True)):
            if normal and not raised:
                break  # the overloaded phase ran at normal priority already
            print(f"  mouth-to-ear, {name} ({spinning} spinning processes): {count} bursts", flush=True)
            if out.world_lifted:
                _lift(world.pid)  # the threads it started since
            threads = audio.audio_threads()
            if normal:
                renice(threads, 0)
            spinners = [context.Process(target=_spin, args=(count * 3.0 + 30, own_sessions), daemon=True)
                        for _ in range(spinning)]
            for spinner in spinners:
                spinner.start()
            phase = Phase(name, priority="normal priority" if normal else out.priority)
            try:
                await bursts(desk, world_conn, phase, count=count, talker_tone=talker_tone, pulse=pulse, sound=sound)
            finally:
                for spinner in spinners:
                    spinner.kill()
                for spinner in spinners:
                    spinner.join(5)
                if normal:
                    raise_priority(threads[0])
            out.phases.append(phase)
            await asyncio.sleep(2.0)  # the machine settles
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
        f"{out.device_buffer_ms:.0f} ms (Qt's ring; PulseAudio's stream holds at most about 20 ms more), the playout "
        f"ring starts at {out.prefill_ms:.0f} ms (console/core/sound.py). Audio threads: {out.priority}. The world "
        + ("process runs at nice -15: it stands for other machines, which the desk's load does not slow."
           if out.world_lifted else "process shares the load (it could not be lifted): its handset is slowed too."),
        "",
        "| condition | bursts | mouth-to-ear p50 / p95 / max | to the desk p50 / p95 | mixer p50 / p95 | "
        "playout ring p50 / p95 | Qt + PulseAudio p50 / p95 | mixer backlog p50 / max | ring level p50 / max | "
        "underruns | "
        "device stalls (longest read gap) | dropped by the ring / the mixer | load average |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for phase in out.phases:
        per_min = phase.underruns / phase.seconds * 60 if phase.seconds else 0.0
        lines.append(
            f"| {phase.name} | {len(phase.device)} measured, {phase.missed} missed | {_ms(phase.device, 50)} / "
            f"{_ms(phase.device, 95)} / {_ms(phase.device, 100)} | {_ms(phase.desk, 50)} / {_ms(phase.desk, 95)} | "
            f"{_ms(phase.mix, 50)} / {_ms(phase.mix, 95)} | "
            f"{_ms(phase.ring, 50)} / {_ms(phase.ring, 95)} | {_ms(phase.qt, 50)} / {_ms(phase.qt, 95)} | "
            f"{_ms(phase.backlog, 50)} / {_ms(phase.backlog, 100)} | "
            f"{_ms(phase.levels, 50)} / {_ms(phase.levels, 100)} | "
            f"{phase.underruns} in {phase.seconds:.0f} s ({per_min:.1f}/min, {phase.underrun_ms:.0f} ms of silence) | "
            f"{phase.stalls} ({phase.longest_gap * 1000:.0f} ms) | {phase.dropped_ms:.0f} ms / "
            f"{phase.mixer_dropped_ms:.0f} ms | {phase.load:.1f} |")
    chunk = percentile(out.chunk_ms, 50)
    lines += [
        "",
        "- mouth-to-ear: the handset's microphone passes its first tone frame (its `GatedTrack`) → the first 5 ms "
        "chunk captured from the desk's sink monitor that carries the handset's tone (that chunk's first sample, "
        "timed by its place in the continuous capture, whose start is the earliest chunk arrival less its samples: "
        "a busy machine's late deliveries do not count; `parec` at 5 ms latency still adds a few ms). "
        "Target (3GPP KPI3): p95 < 300 ms.",
        "- the stages: *to the desk* ends when the desk's audio loop takes the tone's first samples from the media "
        "worker (network, the worker's receive and decode, the loop's 40 ms read cadence); *mixer* ends when the "
        "mixer writes the tone's first 5 ms block into the playout ring (its 60 ms prebuffer, the next render); "
        "*playout ring* ends when the "
        "output device reads that sample (the audio thread); *Qt + PulseAudio* ends when it is heard (Qt's ring, "
        "the server's stream, the null sink; a stall of Qt's PulseAudio thread shows here).",
        "- idle: no load of this benchmark's own; the machine is shared, and the load average column says how busy "
        f"it was anyway. overloaded: {out.spinners} processes spinning for the whole phase, at the desk's priority, "
        + ("each in a session of its own, as other applications run: Linux shares the cores between sessions "
           "(autogroups) first, so the desk's session gets a share, not a thread's worth; "
           if out.own_sessions else "in the desk's session (its scheduling group); ")
        + "*at normal priority*: the desk's audio threads set back to nice 0 for the phase (what a desk gets without "
        "the right to raise them: console/ui/audio_priority.py).",
        "- device stalls: reads of the output device more than 100 ms apart (the device played silence meanwhile; "
        "what piled up in the ring is dropped, counted in *dropped*); the longest read gap is over the bursts' "
        "windows. Underruns: the device found the ring dry. The mixer drops what a talker's stream keeps beyond its "
        "prebuffer for half a second (a backlog the media worker's late delivery left) or past 300 ms.",
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
    parser.add_argument("--no-record", action="store_true", help="print the figures only (a shared, busy machine)")
    parser.add_argument("--spinners", type=int, default=SPINNERS, help="spinning processes when overloaded")
    parser.add_argument("--spinners-in-desk-session", action="store_true",
                        help="spin in the desk's session instead of one session each")
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
            out = _run(app, measure(count, Path(folder), args.spinners, not args.spinners_in_desk_session))
    finally:
        PRIVATE_PULSE.stop()
    lines = report_lines(out)
    print("\n".join(lines))
    if not (args.quick or args.no_record):
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
