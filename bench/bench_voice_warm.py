"""The first syllable of a talk burst: first-burst clipping with and without warm voice links, and what a warm link
costs while nobody talks.

Processes (started and stopped here, over a pipe):

- *world*: the real platform (`PlatformServer`) and simulated stations and handsets (`Fleet`) of two station groups,
  each answering voice links with its microphone (a tone of its own, sent only while it holds a floor); told to
  talk, a terminal presses PTT, talks for the given time from its grant and releases, and says when it was granted
  and released (`time.monotonic`, one clock for every process of the machine);
- *this process*: the dispatcher's desk core (`Desk` with media, 1 media worker, a stand-in microphone, and
  recording), monitoring both groups.

1. **First-burst clipping.** A desk is started anew for each round (so every talker's burst is its *first* one for
   that desk); each talker of the monitored groups talks once for ``burst`` seconds. Measured per burst: the onset
   (the grant → the talker's tone first in the desk's mixed output, polled every 5 ms over its last 20 ms) and the
   recorded length against the time held. *Cold*: ``warm_voice_links=0`` (the link opens when the desk sees the
   floor taken, as before); the first talker of a round also waits for the media engine to start. *Warm*: the
   default (links opened ahead as soon as the groups are monitored; the bursts start once they are connected).
   A terminal that buffered its microphone from the grant until its link is up (the other candidate design) would
   lose nothing but start that late: its added delay is the cold onset minus the warm one.
2. **Idle cost per warm link.** With every link up and nobody talking, CPU (/proc) over ``idle`` seconds of the desk's
   media worker, the desk process and the world process (platform + terminals), with ``links`` warm links against
   the same desk with its engine running and no link; the difference divided by the links.

Run from the repository root: ``.venv/bin/python -m bench.bench_voice_warm`` (about 3 minutes; ``--quick`` for a
smoke run that records nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._procs import BenchError, ask, cpu_seconds, percentile, receive, until
from bench._report import record

logger = logging.getLogger(__name__)

SECTION = "Voice: first-burst clipping and warm links"
LOOPBACK = ("127.0.0.1",)
GROUPS = ("TG-S01", "TG-S02")
#: the talkers of the first-burst rounds, with the group each talks in, and every terminal started (all members of
#: TG-S01 or TG-S02)
TALKERS = {"HS-001": "TG-S01", "ST-S01-1": "TG-S01", "HS-003": "TG-S02", "ST-S02-1": "TG-S02"}
TERMINALS = ("HS-001", "HS-002", "ST-S01-1", "ST-S01-2", "HS-035", "HS-003", "HS-004", "ST-S02-1")
DESK_MICROPHONE = "tone:1250"
WAIT = 60.0


# ----- the world: platform and terminals --------------------------------------------------------------------------


def run_world(clip_cache: str, conn: Connection) -> None:
    """Entry of the world process."""
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(_world(clip_cache, conn))


async def _world(clip_cache: str, conn: Connection) -> None:
    from testbed.line import default_line_path, load_line
    from testbed.platform.server import PlatformServer
    from testbed.terminals import Fleet
    from testbed.terminals.feeds import FeedSettings

    line = load_line(default_line_path())
    server = PlatformServer(line, port=0)
    await server.start()
    fleet = Fleet(line, server.url, rate=0, include=TERMINALS,
                  media=FeedSettings(allowed_addresses=LOOPBACK, clip_cache=Path(clip_cache), clip_seconds=4.0))
    await fleet.start()
    conn.send(("ready", server.url, {t: fleet.media_numbers[t] for t in TERMINALS}))
    loop = asyncio.get_running_loop()
    try:
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            if command[0] == "talk":
                _, terminal_id, seconds, group = command
                terminal = fleet.terminal(terminal_id)
                outcome = await terminal.ptt_press(group)
                granted = time.monotonic()
                if outcome.outcome == "granted":
                    await asyncio.sleep(seconds)
                    await terminal.ptt_release()
                conn.send(("talked", outcome.outcome, granted, time.monotonic()))
            elif command[0] == "stop":
                break
    finally:
        with contextlib.suppress(Exception):
            await fleet.stop()
        with contextlib.suppress(Exception):
            await server.stop()
        conn.send(("stopped",))


# ----- the desk -------------------------------------------------------------------------------------------------------


@dataclass
class Burst:
    mode: str
    talker: str
    #: the round's first talker (in cold mode it also waited for the media engine)
    first: bool
    onset: float | None
    held: float
    recorded: float | None = None
    #: the grant → the talker's link connected (None: it was up before the grant)
    link_up: float | None = None


@dataclass
class Idle:
    seconds: float
    #: CPU as a share of one core (worker, desk process, world process), by number of warm links
    shares: dict[int, tuple[float, float, float]] = field(default_factory=dict)


@dataclass
class Result:
    bursts: list[Burst] = field(default_factory=list)
    idle: Idle | None = None
    load: tuple[float, float] = (0.0, 0.0)


class Desks:
    """Makes connected desks (media with one worker, the stand-in microphone, recording) and closes them."""

    def __init__(self, url: str, folder: Path) -> None:
        from console.core.layout import layout_from_line
        from testbed.line import default_line_path, load_line

        self.url = url
        self.folder = folder
        self.layout = layout_from_line(load_line(default_line_path()))
        self.made = 0

    async def make(self, warm: int) -> Any:
        from console.core.desk import Desk
        from console.core.media_desk import MediaOptions
        from console.core.recordings import RecordingOptions

        self.made += 1
        desk = Desk(self.folder / f"events-{self.made}.db", layout=self.layout,
                    media=MediaOptions(allowed_addresses=LOOPBACK, workers=1, microphone=DESK_MICROPHONE,
                                       warm_voice_links=warm),
                    recording=RecordingOptions(self.folder / f"recordings-{self.made}"))
        await desk.connect(self.url, "chief", "demo")
        await until(lambda: len(desk.world.terminals) > 0 and all(
            desk.world.terminals[t].presence != "offline" for t in TERMINALS if t in desk.world.terminals),
                    WAIT, "the snapshot")
        await desk.monitor(list(GROUPS))
        await desk.select(GROUPS[0])
        return desk


def _warm_up(desk: Any, terminals: tuple[str, ...]) -> Callable[[], bool]:
    links = desk.media.voice.links
    return lambda: all(t in links and links[t].state == "connected" for t in terminals)


async def first_bursts(desks: Desks, world: Connection, numbers: dict[str, int], *, rounds: int, burst: float,
                       out: Result) -> None:
    for n in range(rounds):
        for mode, warm in (("cold", 0), ("warm", 8)):
            desk = await desks.make(warm)
            try:
                mine = await _round(desk, world, numbers, burst, mode)
            finally:
                await desk.close()
            out.bursts += mine
            print(f"  round {n + 1} {mode}: onsets " + ", ".join(
                "-" if b.onset is None else f"{b.onset * 1000:.0f} ms" for b in mine), flush=True)


async def _round(desk: Any, world: Connection, numbers: dict[str, int], burst: float, mode: str) -> list[Burst]:
    """Every talker's first burst to a new desk: onsets, then the recorded lengths from the event log."""
    from media.audio import AUDIO_RATE, tone_level
    from media.sources import tone_frequency

    if mode == "warm":
        await until(_warm_up(desk, tuple(TALKERS)), WAIT, "the warm links")
    else:
        await asyncio.sleep(2.0)  # as long as the warm links take, roughly: the same quiet start
    mixer = desk.media.voice.mixer
    links = desk.media.voice.links
    mine: list[Burst] = []
    for k, (talker, group) in enumerate(TALKERS.items()):
        tone = tone_frequency(numbers[talker])
        was_up = talker in links and links[talker].state == "connected"
        world.send(("talk", talker, burst, group))
        heard: float | None = None
        up: float | None = None
        while not world.poll():
            if heard is None and tone_level(mixer.output.last(0.02), tone, bandwidth=100) > 0.5:
                heard = time.monotonic()
            if up is None and not was_up and talker in links and links[talker].state == "connected":
                up = time.monotonic()
            await asyncio.sleep(0.005)
        _, outcome, granted, released = world.recv()
        if outcome != "granted":
            raise BenchError(f"{talker} was not granted the floor: {outcome}")
        mine.append(Burst(mode, talker, k == 0, None if heard is None else heard - granted, released - granted,
                          link_up=None if up is None else up - granted))
        await asyncio.sleep(1.0)
    await until(lambda: len(desk.log.search(kind="talk_burst")) >= len(TALKERS), 10, "the bursts in the event log")
    events = desk.log.search(kind="talk_burst")
    for entry in mine:
        samples = [e.data["samples"] for e in events if e.summary.get("talker") == entry.talker]
        entry.recorded = sum(samples) / AUDIO_RATE if samples else 0.0
    return mine


async def _cpu(pids: Callable[[], list[int]], seconds: float) -> list[float]:
    """Each process's CPU over ``seconds`` as a share of one core (the list of pids is read at both ends)."""
    before = [cpu_seconds(pid) for pid in pids()]
    began = time.monotonic()
    await asyncio.sleep(seconds)
    after = [cpu_seconds(pid) for pid in pids()]
    spent = time.monotonic() - began
    return [(b - a) / spent for a, b in zip(before, after, strict=True)]


async def idle_cost(desks: Desks, world_pid: int, links: int, seconds: float, out: Result) -> None:
    idle = out.idle = Idle(seconds)
    for warm in sorted({0, min(2, links), links}):
        desk = await desks.make(warm)
        try:
            shares = idle.shares[warm] = await _idle(desk, world_pid, warm, seconds)
        finally:
            await desk.close()
        print(f"  idle with {warm} links: worker {shares[0]:.1%}, desk {shares[1]:.1%}, world {shares[2]:.1%}",
              flush=True)


async def _idle(desk: Any, world_pid: int, links: int, seconds: float) -> tuple[float, float, float]:
    """CPU of (the desk's media worker, the desk process, the world) with ``links`` warm links up, nobody talking."""
    engine = await desk.media.start()
    voice = desk.media.voice
    await until(lambda: sum(link.state == "connected" for link in voice.links.values()) == links, WAIT,
                f"{links} warm links")
    await asyncio.sleep(3.0)
    worker = engine.worker_pids[0]
    shares = await _cpu(lambda: [worker, os.getpid(), world_pid], seconds)
    return shares[0], shares[1], shares[2]


async def measure(rounds: int, burst: float, links: int, idle_seconds: float, folder: Path) -> Result:
    out = Result(load=(os.getloadavg()[0], 0.0))
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    world = context.Process(target=run_world, args=(str(folder / "clips"), theirs), daemon=True)
    world.start()
    try:
        ready = await asyncio.get_running_loop().run_in_executor(None, receive, ours, WAIT, "the world")
        _, url, numbers = ready
        desks = Desks(url, folder)
        print("first bursts", flush=True)
        await first_bursts(desks, ours, numbers, rounds=rounds, burst=burst, out=out)
        print("idle cost", flush=True)
        assert world.pid is not None
        await idle_cost(desks, world.pid, links, idle_seconds, out)
    finally:
        with contextlib.suppress(Exception):
            await ask(ours, ("stop",), 30, "the world to stop")
        world.join(10)
        if world.is_alive():
            world.kill()
    out.load = (out.load[0], os.getloadavg()[0])
    return out


# ----- the report -----------------------------------------------------------------------------------------------------


def _ms(values: list[float], p: float) -> str:
    return f"{percentile(values, p) * 1000:.0f} ms" if values else "-"


def report_lines(result: Result, rounds: int, burst: float) -> list[str]:
    lines = [
        f"Desk core with media (1 worker, a stand-in microphone) and recording, monitoring {', '.join(GROUPS)}; the "
        f"platform and {len(TERMINALS)} simulated stations and handsets in another process; loopback WebRTC. "
        f"{rounds} rounds per mode, a desk started anew for each, every talker ({', '.join(TALKERS)}) talking once "
        f"for {burst:g} s: each burst is that talker's first for the desk.",
        "",
        "### First-burst clipping",
        "",
        "| mode | bursts | onset p50 | onset p95 | onset max | recorded / held (mean) | clipped (mean) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    onsets: dict[str, list[float]] = {}
    for mode, label, pick in (("cold", "cold, first talker after the desk's start (engine start included)",
                               lambda b: b.first),
                              ("cold", "cold, the other talkers (link set-up only)", lambda b: not b.first),
                              ("warm", "warm links (default)", lambda b: True)):
        chosen = [b for b in result.bursts if b.mode == mode and pick(b)]
        heard = [b.onset for b in chosen if b.onset is not None]
        onsets[label] = heard
        ratio = statistics.fmean((b.recorded or 0.0) / b.held for b in chosen) if chosen else float("nan")
        clipped = statistics.fmean(max(0.0, b.held - (b.recorded or 0.0)) for b in chosen) if chosen else 0.0
        missed = len(chosen) - len(heard)
        lines.append(f"| {label} | {len(chosen)}{f' ({missed} never heard)' if missed else ''} | {_ms(heard, 50)} | "
                     f"{_ms(heard, 95)} | {_ms(heard, 100)} | {ratio:.0%} | {clipped * 1000:.0f} ms |")
    cold = onsets["cold, the other talkers (link set-up only)"]
    warm = onsets["warm links (default)"]
    if cold and warm:
        lines += ["", f"A terminal buffering its microphone from the grant until its link is up would record the whole "
                      f"burst but be heard about {(statistics.median(cold) - statistics.median(warm)) * 1000:.0f} ms "
                      f"late (median cold onset minus median warm onset, engine already running), every first burst; "
                      f"warm links cost no delay."]
    ups = [b.link_up for b in result.bursts if b.mode == "cold" and not b.first and b.link_up is not None]
    if ups:
        lines += ["", f"Cold, engine running: the grant → the talker's new link connected (pull, offer and answer "
                      f"through the platform, ICE, DTLS): p50 {_ms(ups, 50)}, max {_ms(ups, 100)} on loopback; a "
                      f"radio network adds its round trips to that (several: signalling, ICE checks, DTLS)."]
    idle = result.idle
    if idle is not None and len(idle.shares) >= 2:
        counts = sorted(idle.shares)
        low, high = counts[-2], counts[-1]
        per = [(h - lo) / (high - low) for h, lo in zip(idle.shares[high], idle.shares[low], strict=True)]
        lines += [
            "",
            "### Idle cost of a warm link",
            "",
            f"Warm links up, nobody talking, {idle.seconds:g} s each, the desk's media engine running in every case "
            f"(share of one core); per link: the slope from {low} to {high} links (what does not grow with the links, "
            "such as the desk's reads of its links' audio, is left out of it):",
            "",
            "| | " + " | ".join(f"{n} links" for n in counts) + " | per warm link |",
            "| --- | " + " | ".join("---" for _ in counts) + " | --- |",
        ]
        for n, name in enumerate(("desk media worker", "desk process (event loop)",
                                  "platform + terminals (world process)")):
            lines.append(f"| {name} | " + " | ".join(f"{idle.shares[c][n]:.2%}" for c in counts)
                         + f" | {round(per[n], 5) + 0.0:.3%} |")  # + 0.0: no "-0.000 %"
    lines += ["", f"Load average (1 min): {result.load[0]:.2f} when the run began, {result.load[1]:.2f} when it ended "
                  "(other work shares the machine: onsets and CPU move with it)."]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5, help="desks started anew per mode (default 5)")
    parser.add_argument("--burst", type=float, default=1.5, help="seconds of each talk burst (default 1.5)")
    parser.add_argument("--links", type=int, default=8, help="warm links in the idle measurement (default 8)")
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of the idle measurement (default 30)")
    parser.add_argument("--quick", action="store_true", help="1 round, 10 s idle; records nothing")
    parser.add_argument("--no-record", action="store_true", help="print the results only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    if args.quick:
        args.rounds, args.idle = 1, 10.0
    if not 1 <= args.links <= len(TERMINALS):
        parser.error(f"--links must be 1..{len(TERMINALS)}")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-voice-warm-") as name:
        try:
            result = asyncio.run(measure(args.rounds, args.burst, args.links, args.idle, Path(name)))
        except BenchError as exc:
            print(f"bench_voice_warm: {exc}", file=sys.stderr)
            return 1
    lines = report_lines(result, args.rounds, args.burst)
    print("\n".join(lines))
    print(f"\n(run took {time.monotonic() - started:.0f} s)")
    if not (args.quick or args.no_record):
        record(SECTION, lines, packages=("aiortc", "av", "numpy", "msgspec", "websockets"))
        print("recorded in docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
