"""What recording the desk's voice costs, and how quickly a replay comes back.

The real `DeskRecorder` and `RecordingStore` (no network: the voice links' chunks are handed in as the desk's audio
loop hands them, 40 ms per talker per tick, speech-like audio from `media.sources.SpeechTrack`):

1. **Encoding**: CPU of the store's writer thread (Opus at 24 kbit/s into Ogg, file writes, SQLite) per second of
   audio, i.e. the share of one core each simultaneous talker costs; measured on the whole run, the writer thread
   alone (from /proc), against the desk thread's own share (``take_audio``: routing and a copy).
2. **The event loop**: ``talkers`` talkers fed in real time on an asyncio loop for ``seconds``: the time each tick
   spends in ``take_audio`` (p50, p99, max), and the loop's lateness (p99) against the same loop without recording.
3. **Replay**: ``Desk.replay``'s core (`DeskRecorder.replay`) for 15 and 60 s out of the recorded files (read and
   decoded in a thread).

Run from the repository root: ``.venv/bin/python -m bench.bench_recording`` (about 40 s; ``--quick`` for a smoke
run that records nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from bench._report import record
from console.core.eventlog import EventLog
from console.core.recordings import DeskRecorder, RecordingOptions
from console.core.world import World
from media.audio import AUDIO_RATE, Pcm
from media.sources import SpeechTrack
from protocols import messages as wire

CHUNK = 1920  # 40 ms: what the desk's audio loop reads per talker per tick (AUDIO_TICK)
TICK = CHUNK / AUDIO_RATE


def speech(seconds: float, seed: int) -> Pcm:
    """Speech-like PCM (SpeechTrack's signal), mono int16 at 48 kHz."""
    track = SpeechTrack(seed=seed)
    frame = AUDIO_RATE // 50
    parts = [track._signal(start) for start in range(0, int(seconds * AUDIO_RATE), frame)]
    pcm: Pcm = np.clip(np.concatenate(parts) * 32767, -32768, 32767).astype(np.int16)
    return pcm


def thread_cpu(native_id: int) -> float:
    """CPU seconds a thread of this process has used (utime + stime from /proc)."""
    with open(f"/proc/self/task/{native_id}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Line:
    """``talkers`` handsets, each holding the floor of its own group's call (what `DeskVoice.heard` would say)."""

    def __init__(self, talkers: int) -> None:
        self.world = World()
        self.calls: dict[str, wire.CallInfo] = {}
        for n in range(talkers):
            terminal = f"HS-{n:03d}"
            self.world.terminals[terminal] = wire.TerminalInfo(id=terminal, kind="handset")
            call = wire.CallInfo(id=f"C-{n}", kind="group", group=f"TG-{n:02d}", parties=[terminal], holder=terminal,
                                 holder_priority="normal")
            self.world.calls[call.id] = call
            self.calls[terminal] = call

    def heard(self) -> dict[str, wire.CallInfo]:
        return self.calls


def writer_thread() -> int:
    """The native id of the recordings' writer thread (there is one store at a time here)."""
    thread = next(t for t in threading.enumerate() if t.name.startswith("recordings-"))
    assert thread.native_id is not None
    return thread.native_id


def encoding_cost(folder: Path, talkers: int, seconds: float) -> dict[str, float]:
    """Feed ``seconds`` of audio for each talker as fast as possible; CPU per second of audio."""
    line = Line(talkers)
    clips = {terminal: speech(min(seconds, 20.0), seed=n) for n, terminal in enumerate(line.calls)}
    with EventLog(folder / "events.sqlite") as log:
        recorder = DeskRecorder(RecordingOptions(folder / "rec"), log=log, world=line.world, heard=line.heard)
        writer = writer_thread()
        desk_before, writer_before = time.thread_time(), thread_cpu(writer)
        began = time.perf_counter()
        total = int(seconds * AUDIO_RATE)
        for start in range(0, total, CHUNK):
            for terminal, clip in clips.items():
                offset = start % len(clip)
                recorder.take_audio(terminal, clip[offset:offset + CHUNK])
        desk_cpu = time.thread_time() - desk_before
        recorder.store.flush(timeout=600)
        wall = time.perf_counter() - began
        writer_cpu = thread_cpu(writer) - writer_before
        asyncio.run(recorder.close())
        size = sum(p.stat().st_size for p in (folder / "rec").glob("*/*.ogg"))
    audio = seconds * talkers
    return {"audio_s": audio, "writer_cpu": writer_cpu, "desk_cpu": desk_cpu, "wall": wall,
            "per_talker": writer_cpu / audio, "desk_per_talker": desk_cpu / audio, "kbit_s": size * 8 / audio / 1000}


async def paced(folder: Path, talkers: int, seconds: float, recording: bool) -> dict[str, float]:
    """``talkers`` fed in real time every 40 ms; per-tick time in take_audio and the loop's lateness."""
    line = Line(talkers)
    clips = {terminal: speech(10.0, seed=n) for n, terminal in enumerate(line.calls)}
    log = EventLog(folder / f"paced-{recording}.sqlite")
    recorder = DeskRecorder(RecordingOptions(folder / f"paced-{recording}"), log=log, world=line.world,
                            heard=line.heard) if recording else None
    loop = asyncio.get_running_loop()
    spent: list[float] = []
    late: list[float] = []
    process_before = time.process_time()
    began = loop.time()
    ticks = int(seconds / TICK)
    for n in range(ticks):
        due = began + (n + 1) * TICK
        await asyncio.sleep(max(0.0, due - loop.time()))
        late.append(max(0.0, loop.time() - due))
        if recorder is None:
            continue
        t0 = time.perf_counter()
        for terminal, clip in clips.items():
            offset = (n * CHUNK) % len(clip)
            recorder.take_audio(terminal, clip[offset:offset + CHUNK])
        spent.append(time.perf_counter() - t0)
    cpu = (time.process_time() - process_before) / (loop.time() - began)
    if recorder is not None:
        await recorder.close()
    log.close()
    return {"spent_p50": _pct(spent, 50), "spent_p99": _pct(spent, 99), "spent_max": max(spent, default=0.0),
            "late_p99": _pct(late, 99), "late_max": max(late), "cpu": cpu}


async def replay_times(folder: Path, bursts: int, burst_seconds: float) -> dict[str, float]:
    """Record ``bursts`` bursts in one group, then time replays of 15 and 60 s from a fresh recorder (disk only)."""
    line = Line(1)
    terminal = next(iter(line.calls))
    clip = speech(burst_seconds, seed=7)
    with EventLog(folder / "replay.sqlite") as log:
        recorder = DeskRecorder(RecordingOptions(folder / "replay"), log=log, world=line.world, heard=line.heard)
        for _burst in range(bursts):
            for start in range(0, len(clip), CHUNK):
                recorder.take_audio(terminal, clip[start:start + CHUNK])
            recorder.tick(time.monotonic() + 3600)  # the talker is still heard, but silent: the burst ends
        await recorder.close()
        fresh = DeskRecorder(RecordingOptions(folder / "replay"), log=log, world=line.world, heard=dict)
        times = {}
        for seconds in (15, 60):
            began = time.perf_counter()
            replay = await fresh.replay(line.calls[terminal].group or "", seconds)
            times[f"replay_{seconds}"] = time.perf_counter() - began
            times[f"replay_{seconds}_audio"] = replay.seconds
        await fresh.close()
    return times


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return float(np.percentile(values, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run; records nothing")
    parser.add_argument("--talkers", type=int, default=8)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    load = os.getloadavg()[0]
    seconds = 5.0 if args.quick else 60.0
    paced_seconds = 3.0 if args.quick else 15.0
    with tempfile.TemporaryDirectory(prefix="bench-recording-") as tmp:
        folder = Path(tmp)
        one = encoding_cost(folder / "one", 1, seconds)
        many = encoding_cost(folder / "many", args.talkers, seconds)
        base = asyncio.run(paced(folder, args.talkers, paced_seconds, recording=False))
        live = asyncio.run(paced(folder, args.talkers, paced_seconds, recording=True))
        replays = asyncio.run(replay_times(folder, 12, 6.0))
    lines = [
        "Encoding (Opus 24 kbit/s constrained VBR in Ogg, on the store's writer thread), speech-like audio "
        "fed as fast as possible in 40 ms chunks:",
        "",
        "| talkers | audio | writer thread CPU | per talker (share of a core) | desk thread per talker | file rate |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for n, result in ((1, one), (args.talkers, many)):
        lines.append(f"| {n} | {result['audio_s']:.0f} s | {result['writer_cpu']:.2f} s | "
                     f"{100 * result['per_talker']:.2f} % | {100 * result['desk_per_talker']:.3f} % | "
                     f"{result['kbit_s']:.1f} kbit/s |")
    lines += [
        "",
        f"Real time, {args.talkers} talkers at once for {paced_seconds:.0f} s, 40 ms ticks on an asyncio loop "
        f"(what the desk's audio loop does):",
        "",
        "| | take_audio per tick p50 / p99 / max | loop lateness p99 / max | process CPU |",
        "| --- | --- | --- | --- |",
        f"| without recording | — | {1000 * base['late_p99']:.2f} / {1000 * base['late_max']:.2f} ms | "
        f"{100 * base['cpu']:.1f} % |",
        f"| recording | {1000 * live['spent_p50']:.3f} / {1000 * live['spent_p99']:.3f} / "
        f"{1000 * live['spent_max']:.3f} ms | {1000 * live['late_p99']:.2f} / {1000 * live['late_max']:.2f} ms | "
        f"{100 * live['cpu']:.1f} % |",
        "",
        f"Replay from disk (12 bursts of 6 s in one group, a desk started anew): last 15 s in "
        f"{1000 * replays['replay_15']:.0f} ms ({replays['replay_15_audio']:.1f} s of audio), last 60 s in "
        f"{1000 * replays['replay_60']:.0f} ms ({replays['replay_60_audio']:.1f} s).",
        "",
        f"Load average (1 min) when the run began: {load:.2f} (other work shares the machine: the lateness and "
        f"maxima move with it; the CPU per talker does not).",
    ]
    print("\n".join(lines))
    if args.quick:
        print("(quick run: nothing recorded)")
        return
    record("Recording: Opus encoding and replay", lines, packages=("av", "numpy", "msgspec"))


if __name__ == "__main__":
    main()
