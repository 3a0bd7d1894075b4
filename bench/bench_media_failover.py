"""Media outage across failovers of the dual-live pair: how long the video wall and a voice link are dark when the
active instance is SIGKILLed, until the desk has set them up again on the new active (console/core/media_restore.py).

The pair runs as real processes (`testbed/pair.py`); simulated terminals (cameras and a talking handset, in this
process, connected to both instances) send stamped clips and a tone over real WebRTC on loopback to a desk with
media (its media workers in their own processes). The wall shows ``--feeds`` cameras, the last one focused in HD,
and the desk monitors the handset's group while it talks without pause. Each round SIGKILLs whichever instance is
active, waits until every tile shows its camera again and the talker is heard again, then restarts the killed
instance (it rejoins as standby) and waits for the pair to be healthy before the next round.

Per round it notes, for each tile, the **media outage** (the last picture of the session feeding the tile at the
kill to the first picture of the session that replaced it, from a 10 ms poll of the shared-memory wall), the time
from the kill to every tile showing again, when the desk saw the new epoch, how long the re-pulls took, and for the
voice link the time from the kill until the talker's tone is in the desk's mix again (20 ms poll). Timed on
loopback, so these are the platform's and the desk's own delays: detection, promotion, the terminals' return,
signalling and WebRTC set-up.

Run from the repository root: ``.venv/bin/python -m bench.bench_media_failover`` (``--rounds N``, default 10;
``--feeds K``, default 6; ``--quick``: 2 rounds, 3 feeds, records nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._report import record

logger = logging.getLogger(__name__)

SECTION = "Failover: media outage (video wall and voice)"
LOOPBACK = ("127.0.0.1",)
TALKER, TALK_GROUP = "HS-001", "TG-S01"
#: longest wait for the media to come back after a kill, and for the pair to be healthy again
BACK_WITHIN = 30.0
HEALTHY_WITHIN = 40.0


@dataclass
class Round:
    """One SIGKILL of the active instance and what the desk's media did."""

    killed: str
    outages: list[float] = field(default_factory=list)
    all_back: float | None = None
    epoch_seen: float | None = None
    restoring: float | None = None
    voice_back: float | None = None
    voice_outage: float | None = None
    note: str = ""


@dataclass
class Watch:
    """Polls the frame wall (10 ms) and the desk's mix (20 ms): when each tile got a picture and from which
    session (the tile's generation), and when the talker's tone was in the mix."""

    desk: Any
    tiles: list[int]
    tone: float
    pictures: dict[int, list[tuple[float, int]]] = field(default_factory=dict)
    #: (time, the talker's voice-link session then) whenever the talker's tone was in the mix
    heard: list[tuple[float, str | None]] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.tasks = [loop.create_task(self._pictures()), loop.create_task(self._voice())]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _pictures(self) -> None:
        seen: dict[int, int] = {}
        while True:
            engine = self.desk.media.engine
            wall = engine.wall if engine is not None else None
            if wall is not None:
                now = time.monotonic()
                for tile in self.tiles:
                    seq = wall.seq(tile)
                    if seq != seen.get(tile) and not seq & 1:
                        seen[tile] = seq
                        if wall.has_picture(tile):
                            self.pictures.setdefault(tile, []).append((now, wall.generation(tile)))
            await asyncio.sleep(0.01)

    async def _voice(self) -> None:
        from media.audio import tone_level

        voice = self.desk.media.voice
        while True:
            if tone_level(voice.mixer.output.last(0.1), self.tone) > 0.3:
                link = voice.links.get(TALKER)
                self.heard.append((time.monotonic(), link.session if link is not None else None))
            await asyncio.sleep(0.02)

    def voice_link(self) -> str | None:
        link = self.desk.media.voice.links.get(TALKER)
        return link.session if link is not None else None

    def heard_again(self, old: str | None, after: float) -> tuple[float, float] | None:
        """(first time after ``after`` the tone was heard on a voice link other than ``old``, last time heard on
        ``old``)."""
        new = [t for t, session in self.heard if t > after and session not in (None, old)]
        last_old = [t for t, session in self.heard if session == old]
        return (new[0], last_old[-1] if last_old else math.nan) if new else None

    def generation_at(self, tile: int, at: float) -> int | None:
        before = [g for t, g in self.pictures.get(tile, []) if t <= at]
        return before[-1] if before else None

    def back(self, tile: int, at: float, old: int | None) -> tuple[float, float] | None:
        """(first picture of a new session after ``at``, last picture of session ``old``), or None."""
        pictures = self.pictures.get(tile, [])
        new = [t for t, g in pictures if t > at and g != old]
        last_old = [t for t, g in pictures if g == old]
        return (new[0], last_old[-1] if last_old else at) if new else None


async def _until(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def _finished(restoration: Any) -> bool:
    return restoration.finished is not None


def _active(desk: Any) -> str | None:
    for info in desk.link.links().values():
        if info.role == "active" and info.state == "up":
            return str(info.instance)
    return None


def _healthy(desk: Any) -> bool:
    infos = list(desk.link.links().values())
    return (len(infos) == 2 and all(i.state == "up" and i.peer_up for i in infos)
            and sorted(str(i.role) for i in infos) == ["active", "standby"])


async def run_rounds(rounds: int, feeds: int, folder: Path) -> tuple[list[Round], dict[str, Any]]:
    from console.core.desk import Desk
    from console.core.layout import layout_from_line
    from console.core.media_desk import MediaOptions, default_media_workers
    from media.sources import tone_frequency
    from testbed.line import default_line_path, load_line
    from testbed.pair import PairProcesses
    from testbed.terminals import Fleet
    from testbed.terminals.feeds import FeedSettings

    line = load_line(default_line_path())
    cameras = [t.id for t in line.terminals.values() if t.kind == "camera"][:feeds]
    pair = PairProcesses()
    await pair.start()
    fleet = Fleet(line, pair.urls, rate=0, include=[*cameras, TALKER],
                  media=FeedSettings(allowed_addresses=LOOPBACK, clip_cache=folder / "clips", clip_seconds=4.0))
    workers = default_media_workers()
    desk = Desk(folder / "events.db", layout=layout_from_line(line),
                media=MediaOptions(allowed_addresses=LOOPBACK, workers=workers))
    watch = Watch(desk, list(range(len(cameras))), tone_frequency(fleet.media_numbers.get(TALKER, 0) or 1))
    talking: asyncio.Task[None] | None = None
    results: list[Round] = []
    try:
        await fleet.start()
        watch.tone = tone_frequency(fleet.media_numbers[TALKER])
        await asyncio.gather(*(fleet.terminal(c).feeds.prepare("thumb", "hd") for c in cameras))
        await desk.connect(pair.urls, "chief", "demo")
        media = desk.media
        assert media is not None
        for camera in cameras:
            await desk.pull_video(camera)
        await media.focus(len(cameras) - 1)
        await desk.monitor([TALK_GROUP])

        async def talk_forever() -> None:
            while True:
                await fleet.terminal(TALKER).talk(60.0, TALK_GROUP)

        talking = asyncio.get_running_loop().create_task(talk_forever())
        watch.start()
        for number in range(rounds):
            ready = await _until(lambda: _healthy(desk) and all(t.showing for t in media.wall.tiles.values())
                                 and bool(watch.heard) and time.monotonic() - watch.heard[-1][0] < 0.2,
                                 HEALTHY_WITHIN)
            if not ready:
                logger.warning("round %d: the pair or the media is not healthy; stopping", number + 1)
                break
            await asyncio.sleep(1.0)
            victim = _active(desk)
            assert victim is not None and desk.link is not None
            epoch = desk.link.epoch
            seen_before = len(media.restorations)
            killed_at = time.monotonic()
            old = {tile: watch.generation_at(tile, killed_at) for tile in watch.tiles}
            old_voice = watch.voice_link()
            await pair.kill(victim)
            result = Round(victim)

            def new_epoch(before: int = epoch) -> bool:
                return desk.link is not None and desk.link.epoch > before

            def all_back(at: float = killed_at, tiles: dict[int, int | None] = old,
                         voice: str | None = old_voice) -> bool:
                return (all(watch.back(t, at, tiles[t]) for t in watch.tiles)
                        and watch.heard_again(voice, at) is not None)

            await _until(new_epoch, BACK_WITHIN)
            if new_epoch():
                result.epoch_seen = time.monotonic() - killed_at
            back = await _until(all_back, BACK_WITHIN)
            if not back:
                result.note = "not back within the bound"
            returns = [watch.back(tile, killed_at, old[tile]) for tile in watch.tiles]
            result.outages = [first - last for first, last in filter(None, returns)]
            if back:
                result.all_back = max(first for first, _ in filter(None, returns)) - killed_at
                heard = watch.heard_again(old_voice, killed_at)
                assert heard is not None
                result.voice_back = heard[0] - killed_at
                result.voice_outage = heard[0] - heard[1]
            if len(media.restorations) > seen_before:
                restoration = media.restorations[-1]
                await _until(functools.partial(_finished, restoration), BACK_WITHIN)
                if restoration.finished is not None:
                    result.restoring = restoration.finished - restoration.began
            results.append(result)
            logger.info("round %d: killed %s; tiles back after %s s, outages %s, voice back %s s %s", number + 1,
                        victim, result.all_back, [round(o, 3) for o in result.outages], result.voice_back, result.note)
            await pair.restart(victim)
        setup = {"feeds": len(cameras), "workers": workers, "talker": TALKER}
        return results, setup
    finally:
        await watch.stop()
        if talking is not None:
            talking.cancel()
            await asyncio.gather(talking, return_exceptions=True)
        await desk.close()
        await fleet.stop()
        await pair.stop()


def _stats(values: Sequence[float]) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return (f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {rank(95) * 1000:.0f} ms, "
            f"max {ordered[-1] * 1000:.0f} ms (n={len(ordered)})")


def report_lines(results: list[Round], setup: dict[str, Any], rounds: int) -> list[str]:
    done = [r for r in results if r.all_back is not None]
    load = setup.get("load")
    return [
        f"- setup: the pair as processes; {setup['feeds']} cameras on the wall ({setup['feeds'] - 1} thumbnails "
        f"320x180 + 1 focused HD 1280x720), one voice link to {setup['talker']} talking without pause in a "
        f"monitored group; the desk with {setup['workers']} media workers; the simulated terminals in the bench "
        "process; WebRTC over loopback",
        f"- rounds: {len(results)} of {rounds} SIGKILLs of the active instance "
        f"({', '.join(r.killed for r in results) or '-'}); media back in {len(done)}"
        + "".join(f"; round {i + 1}: {r.note}" for i, r in enumerate(results) if r.note),
        f"- **video outage per tile** (last picture of the old session → first picture of the new one): "
        f"{_stats([o for r in results for o in r.outages])}",
        f"- SIGKILL → every tile showing its camera again: {_stats([r.all_back for r in done if r.all_back])}",
        f"- SIGKILL → the desk sees the new epoch: {_stats([r.epoch_seen for r in results if r.epoch_seen])}",
        f"- new epoch → every tile's pull answered by the new active: "
        f"{_stats([r.restoring for r in results if r.restoring is not None])}",
        f"- **voice**: SIGKILL → the talker's tone in the desk's mix again: "
        f"{_stats([r.voice_back for r in done if r.voice_back])}; outage (last tone heard → first tone again): "
        f"{_stats([r.voice_outage for r in done if r.voice_outage])}",
        "- reading: most of the outage is the pair's own failover (the kill seen, the witness's lease run out, the "
        "standby promoted); the desk's part, from the new epoch to every pull answered, is tens of ms; the rest is "
        "WebRTC set-up (ICE, DTLS) and the first picture decoded",
        *([f"- machine load (1-minute average) at start and end: {load[0]:.1f}, {load[1]:.1f} (shared machine)"]
          if load else []),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=10, help="SIGKILLs of the active (default 10)")
    parser.add_argument("--feeds", type=int, default=6, help="cameras on the wall, the last in HD (default 6)")
    parser.add_argument("--quick", action="store_true", help="2 rounds, 3 feeds; records nothing")
    parser.add_argument("--no-record", action="store_true", help="print the results only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    logger.setLevel(logging.INFO)
    if args.quick:
        args.rounds, args.feeds, args.no_record = 2, 3, True
    if args.feeds < 1 or args.rounds < 1:
        parser.error("need at least one feed and one round")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-media-failover-") as name:
        results, setup = asyncio.run(run_rounds(args.rounds, args.feeds, Path(name)))
    setup["load"] = (load_before, os.getloadavg()[0])
    lines = report_lines(results, setup, args.rounds)
    print("\n".join(lines))
    if not args.no_record:
        record(SECTION, lines, packages=("aiortc", "av", "msgspec", "websockets"))
    return 0 if results and all(r.all_back is not None for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
