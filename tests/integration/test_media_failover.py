"""The desk's media across a failover of the dual-live pair: the active instance is SIGKILLed while the wall shows
three feeds (one focused in HD, one hidden) and a handset talks in a monitored group. On the new active every shown
tile receives its own terminal's pictures again on the same tile at the same quality, the hidden tile stays hidden,
the talker is heard again, and the old era's sessions are gone everywhere: from the media workers (no orphan peer
connection), from the desk and from the new active.

Real processes for the pair (testbed/pair.py), real WebRTC on loopback between the simulated terminals (in this
process, connected to both instances) and the desk's media worker.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from console.core import media_restore
from console.core.desk import Desk
from console.core.layout import layout_from_line
from console.core.media_desk import MediaOptions
from media import ice
from testbed.line import Line
from testbed.pair import PairProcesses, free_port
from testbed.platform.server import PairConfig, PlatformServer
from testbed.platform.witness import WitnessServer
from testbed.terminals import Fleet
from testbed.terminals import link as link_module
from testbed.terminals.feeds import FeedSettings
from tests.integration.media_support import LOOPBACK, media_clips_fixture, until  # noqa: F401 (fixture)
from tests.integration.wall_scene import CAMERAS, TALKER, frame_size, set_up_wall, shown_terminal, wall_layout

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(120)]

#: from the SIGKILL to pictures on every shown tile again: detection (~1 s), promotion, the terminals' return,
#: the pulls and WebRTC set-up on a loaded 2-core machine
BACK_WITHIN = 10.0


@dataclass
class WallWatch:
    """Polls the desk's frame wall every 10 ms and notes when each tile got a new picture, and from which of the
    sessions that fed the tile (the wall's generation of the tile)."""

    desk: Desk
    tiles: list[int]
    pictures: dict[int, list[tuple[float, int]]] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        seen: dict[int, int] = {}
        while True:
            engine = self.desk.media.engine if self.desk.media is not None else None
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

    def outage(self, tile: int, at: float) -> float | None:
        """The tile's media outage across a switch at ``at``: the first picture of the session that fed it after
        the switch minus the last picture of the session feeding it at the switch (None without both)."""
        pictures = self.pictures.get(tile, [])
        old = [g for t, g in pictures if t <= at][-1:]
        if not old:
            return None
        last_old = max(t for t, g in pictures if g == old[0])
        first_new = [t for t, g in pictures if t > at and g != old[0]]
        return first_new[0] - last_old if first_new else None

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


@pytest.fixture
async def pair() -> AsyncIterator[PairProcesses]:
    pair = PairProcesses()
    try:
        await pair.start()
        yield pair
    finally:
        await pair.stop()


async def test_after_a_sigkill_of_the_active_the_wall_and_the_voice_come_back_on_the_new_active(
        pair: PairProcesses, sample_line: Line, media_clips: Path, tmp_path: Path) -> None:
    feeds = FeedSettings(allowed_addresses=LOOPBACK, clip_cache=media_clips, clip_seconds=4.0)
    fleet = Fleet(sample_line, pair.urls, rate=0, include=[*CAMERAS, TALKER], media=feeds)
    desk = Desk(tmp_path / "events.db", layout=layout_from_line(sample_line),
                media=MediaOptions(allowed_addresses=LOOPBACK, workers=1))
    watch = WallWatch(desk, [0, 1, 2])
    await fleet.start()
    try:
        await asyncio.gather(*(fleet.terminal(c).feeds.prepare("thumb", "hd") for c in CAMERAS))
        await desk.connect(pair.urls, "chief", "demo")
        assert desk.media is not None and desk.link is not None
        media = desk.media
        assert await desk.wait_until(lambda: len(desk.world.terminals) == len(sample_line.terminals))
        epoch = desk.link.epoch

        # the wall: three feeds, tile 1 focused (HD), tile 2 hidden; the desk monitors the talker's group
        scene = await set_up_wall(desk, fleet)
        before, voice_before = scene.before, scene.voice_before
        watch.start()
        await asyncio.sleep(0.5)

        # SIGKILL the active instance
        killed_at = time.monotonic()
        await pair.kill("A")
        await until(lambda: desk.link is not None and desk.link.epoch > epoch, 5.0, "the new epoch")

        await until(scene.restored, BACK_WITHIN, "tiles 0 and 1 with their own cameras' pictures again")
        took = time.monotonic() - killed_at
        # the wall is as the dispatcher left it: same tiles, sources, qualities, focus; the hidden tile still hidden
        assert wall_layout(desk) == scene.wall_before
        assert media.wall.focused == 1 and media.wall.tiles[2].session is None
        assert frame_size(desk, 0) == (320, 180) and media.read_tile(2) is None
        # pictures keep coming, and the talker is heard again on a new voice link
        outages = {tile: watch.outage(tile, killed_at) for tile in (0, 1)}
        assert all(o is not None and o < BACK_WITHIN for o in outages.values()), outages
        await scene.talker_heard_again("the talker heard again after the switch")

        # the old era is gone: from the media worker (no orphan peer connection), from the desk, from the new active
        engine = media.engine
        assert engine is not None
        new_sessions = {media.wall.tiles[0].session, media.wall.tiles[1].session, media.voice.links[TALKER].session}
        assert set(engine.sessions) == new_sessions
        assert set(await engine.stats()) == new_sessions  # what the worker itself runs
        old = {*before, voice_before}
        await until(lambda: not old & set(desk.world.video) and not old & set(desk.world.voice_links), 5.0,
                    "the old sessions stopped on the new active")

        # one event says what came back; the re-pulls are logged as commands with their outcome
        restoration = media.restorations[-1]
        assert restoration.epoch == desk.link.epoch and sorted(restoration.tiles) == [0, 1]
        assert restoration.lost == {} and set(restoration.restored.values()) <= set(new_sessions)
        events = desk.log.search(kind="media_restored")
        assert len(events) == 1 and events[0].summary["restored"] == 2 and events[0].summary["lost"] == {}
        print(f"media back {took:.2f} s after the SIGKILL; outage per tile {outages}; "
              f"restoring took {restoration.summary()['seconds']} s")
        await watch.stop()
        assert (await scene.burst).outcome == "granted"
    finally:
        await watch.stop()
        await desk.close()
        await fleet.stop()
        ice.lift_host_restriction()


@dataclass
class InProcessPair:
    witness: WitnessServer
    a: PlatformServer
    b: PlatformServer


@pytest.fixture
async def pair_here(sample_line: Line) -> AsyncIterator[InProcessPair]:
    """A dual-live pair in this process (quicker to start than processes): A active, B following it."""
    witness = WitnessServer()
    await witness.start()
    pa, pb, ca, cb = (free_port() for _ in range(4))
    peers = {"A": f"ws://127.0.0.1:{pa}", "B": f"ws://127.0.0.1:{pb}"}
    clients = {"A": f"ws://127.0.0.1:{ca}", "B": f"ws://127.0.0.1:{cb}"}
    a = PlatformServer(sample_line, instance="A", port=ca,
                       pair=PairConfig(witness=witness.url, peer_urls=peers, peer_port=pa, client_urls=clients))
    b = PlatformServer(sample_line, instance="B", port=cb,
                       pair=PairConfig(witness=witness.url, peer_urls=peers, peer_port=pb, client_urls=clients))
    await a.start()
    try:
        await until(lambda: a.role == "active", 5.0, "A active")
        await b.start()
        await until(lambda: a._standby is not None, 5.0, "B following A")
        yield InProcessPair(witness, a, b)
    finally:
        await a.stop()
        await b.stop()
        await witness.stop()


async def test_a_source_back_late_is_asked_again_and_one_never_back_leaves_its_tile_empty(
        pair_here: InProcessPair, sample_line: Line, media_clips: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media_restore, "RESTORE_FOR", 4.0)
    late, never, during = "CAM-S04-1", "CAM-S05-1", "CAM-S06-1"
    feeds = FeedSettings(allowed_addresses=LOOPBACK, clip_cache=media_clips, clip_seconds=4.0)
    fleet = Fleet(sample_line, [pair_here.a.url, pair_here.b.url], rate=0, include=[late, never, during], media=feeds)
    desk = Desk(tmp_path / "events.db", layout=layout_from_line(sample_line),
                media=MediaOptions(allowed_addresses=LOOPBACK, workers=1))
    await fleet.start()
    try:
        await desk.connect([pair_here.a.url, pair_here.b.url], "chief", "demo")
        assert desk.media is not None and desk.link is not None
        media = desk.media
        before = [await desk.pull_video(late), await desk.pull_video(never)]
        await until(lambda: shown_terminal(desk, fleet, 0) == late and shown_terminal(desk, fleet, 1) == never,
                    20.0, "both cameras on the wall")

        # once A is gone the cameras do not look for the platform by themselves until told to
        monkeypatch.setattr(link_module, "reconnect_delay", lambda _attempt, _rng: 3600.0)
        await pair_here.a.stop()
        # a pull given while no instance serves: sent before the switch, answered after it
        assert desk.link.epoch == 1
        pulled_during = asyncio.create_task(desk.pull_video(during))
        await until(lambda: desk.link is not None and desk.link.epoch == 2, 5.0, "B promoted")
        await asyncio.sleep(1.0)  # the desk asks B for both feeds meanwhile: refused, their sources are away
        assert media.wall.tiles[0].state == "restoring" and media.wall.tiles[0].session is None
        for terminal in (late, during):
            await fleet.terminal(terminal).drop_link()  # stop waiting...
            await fleet.terminal(terminal).restore_link(pair_here.b.url)  # ...and come back, to B

        await until(lambda: media.wall.tiles[0].session not in (None, before[0]) and media.wall.tiles[0].showing
                    and shown_terminal(desk, fleet, 0) == late, 10.0, "the late camera on its tile again")
        await until(lambda: 1 not in media.wall.tiles, 8.0, "the tile of the camera that never came back emptied")
        # the pull given during the switch: its tile shows the camera, fed by one session only
        session_during = await pulled_during  # the caller hears of the session the tile has after the switch
        await until(lambda: media.wall.tiles[2].showing and shown_terminal(desk, fleet, 2) == during, 10.0,
                    "the camera pulled during the switch on its tile")
        assert session_during == media.wall.tiles[2].session
        fed_by = {s.id for s in pair_here.b.state.video.sessions.values() if s.source == during}
        assert fed_by == {media.wall.tiles[2].session}
        await until(lambda: bool(media.restorations) and media.restorations[-1].finished is not None, 5.0, "done")
        restoration = media.restorations[-1]
        assert sorted(restoration.restored) == [0, 2] and list(restoration.lost) == [1]
        assert "not reachable" in restoration.lost[1]

        # each re-pull is one command in the log, with its outcome after several tries
        pulls = [e for e in desk.log.search(kind="command") if e.summary["command"] == "pull_video"]
        after = [e for e in pulls if e.data["result"] is None or e.data["result"].get("session") not in before]
        by_camera = {e.terminal: e for e in after}
        assert {late, never} <= set(by_camera)
        assert by_camera[late].summary["outcome"] == "ok" and by_camera[late].data["result"]["tries"] > 1
        assert by_camera[never].summary["outcome"] == "error" and by_camera[never].summary["code"] == 409
        assert "tries" in by_camera[never].summary["reason"]
        event = desk.log.search(kind="media_restored")[0]
        assert event.summary["restored"] == 2 and list(event.summary["lost"]) == ["1"]
        engine = media.engine
        assert engine is not None and set(engine.sessions) == {media.wall.tiles[0].session, media.wall.tiles[2].session}
    finally:
        await desk.close()
        await fleet.stop()
        ice.lift_host_restriction()
