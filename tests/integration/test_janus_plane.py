"""The SFU media plane end to end: the platform brokers Janus for terminals and consoles that speak only TDP/1.

Everything is real: Janus (started by the test), the platform with its broker (testbed/platform/janus_plane.py),
simulated terminals publishing their stamped clips, desk cores with their media engines (worker processes), one
console as a process of its own that the test kills. Janus cannot do ICE over loopback, so each body runs in a
network namespace of its own (tests/integration/netns.py) and returns what it measured as JSON; the test asserts
on it here.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from console.core.desk import Desk
from console.core.layout import layout_from_line
from console.core.media_desk import MediaOptions
from console.core.world import media_plane_down
from media.audio import tone_level
from media.janus import JanusClient, VideoRoomAdmin
from media.sources import GatedTrack, tone_frequency
from testbed.janus import INSTALL_COMMAND
from testbed.line import default_line_path, load_line
from testbed.pair import PairProcesses
from testbed.platform.janus_plane import NO_GROUP_ROOM, room_number
from testbed.terminals import Fleet
from testbed.terminals.feeds import FeedSettings
from tests.integration.janus_plane_support import (
    janus_testbed,
    longest_gaps,
    shown_terminal,
    tile_seq,
    tile_size,
    until,
)
from tests.integration.janus_support import PEER_ADDRESS, VETH, janus_in_namespace, peers_on_veth
from tests.integration.netns import REPO_ROOT, require_netns, run_command_in_netns, run_in_netns

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(240),
    pytest.mark.skipif(shutil.which("janus") is None, reason=f"janus not installed ({INSTALL_COMMAND})"),
]

FEEDS = 30


@pytest.fixture(autouse=True, scope="module")
def namespaces() -> None:
    require_netns()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A clip cache shared by the bodies (each terminal's clips are encoded once for the module)."""
    return str(tmp_path_factory.mktemp("janus-plane-clips"))


def _cameras(line: Any, count: int) -> list[str]:
    return [t.id for t in line.terminals.values() if t.kind == "camera"][:count]


# ----- bodies run inside the namespace -----------------------------------------------------------------------


async def three_consoles_body(clips: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # 90 tiles and 30 cameras on two cores, with Janus: the clips run at 10 frames a second
    async with janus_testbed(clips, loss_after=4.0, clip_fps=10) as bed:
        cameras = _cameras(bed.line, FEEDS)
        fleet = await bed.start_fleet(*cameras)
        numbers = fleet.media_numbers
        # clips encoded ahead (a simulated camera encodes each on first need; the HD one takes seconds)
        await asyncio.gather(*(fleet.terminal(c).feeds.prepare("thumb") for c in cameras),
                             fleet.terminal(cameras[0]).feeds.prepare("hd"))
        a, b = await bed.desk("chief"), await bed.desk("train1")
        began = time.monotonic()
        c = await bed.console("train2", cameras, {cam: numbers[cam] for cam in cameras})
        for desk in (a, b):
            await asyncio.gather(*(desk.pull_video(camera) for camera in cameras))

        def everywhere() -> bool:
            return (all(shown_terminal(d, i, numbers) == cameras[i] for d in (a, b) for i in range(FEEDS))
                    and c.last.get("right") == FEEDS)

        await until(everywhere, 90.0, "every tile of the three consoles showing its own terminal")
        out["all_shown_after"] = time.monotonic() - began
        out["wrong_tiles"] = c.last.get("wrong")
        state = bed.platform.state.video
        out["publications"] = sorted(s.source for s in state.sessions.values() if s.publication)
        out["janus_publishers"] = await bed.publishers()
        out["subscriptions_per_feed"] = sorted({len(state.subscriptions_of(cam, "video")) for cam in cameras})

        # the uplink: each terminal sends its feed once, whatever the number of consoles
        publications = [p for cam in cameras for p in fleet.terminal(cam).feeds.sfu.publications.values()]
        before = [await p.publisher.bytes_sent() for p in publications if p.publisher is not None]
        await asyncio.sleep(2.0)
        after = [await p.publisher.bytes_sent() for p in publications if p.publisher is not None]
        out["thumb_bytes_per_s"] = (await fleet.terminal(cameras[0]).feeds._clip("thumb")).bitrate / 8
        out["uplink_bytes_per_s"] = sorted((x.get("thumb", 0) - y.get("thumb", 0)) / 2.0
                                           for x, y in zip(after, before, strict=True))
        out["hd_bytes_2s"] = sum(x.get("hd", 0) - y.get("hd", 0) for x, y in zip(after, before, strict=True))

        # focus on console a: HD there only
        assert a.media is not None
        focus_began = time.monotonic()
        await a.media.focus(0)
        try:
            await until(lambda: tile_size(a, 0) == (1280, 720), 20.0, "HD on console a's tile 0")
        except AssertionError:
            session = a.media.wall.tiles[0].session or ""
            stats = await a.media.engine.stats(session) if a.media.engine is not None else {}
            raise AssertionError(f"no HD on console a's tile 0 ({tile_size(a, 0)}): {stats}") from None
        out["hd_after"] = time.monotonic() - focus_began
        await asyncio.sleep(1.0)
        published = state.publication_of(cameras[0], "video")
        out["focus"] = {"a": tile_size(a, 0), "b": tile_size(b, 0), "c": c.last.get("sizes", [[0, 0]])[0],
                        "a_shows": shown_terminal(a, 0, numbers) == cameras[0],
                        "publication_quality": published.quality if published is not None else None}

        # console b hides tile 1: paused (nothing arrives), console a's tile 1 carries on; shown again, it resumes
        assert b.media is not None and b.media.wall.tiles[1].session is not None
        hidden = b.media.wall.tiles[1].session
        await b.media.hide(1)
        out["paused_on_platform"] = state.sessions[hidden].paused
        await asyncio.sleep(0.5)  # what was in flight arrives
        seq_b, seq_a = tile_seq(b, 1), tile_seq(a, 1)
        await asyncio.sleep(1.0)
        out["paused"] = {"b_new_pictures": tile_seq(b, 1) != seq_b, "a_new_pictures": tile_seq(a, 1) != seq_a,
                         "same_session": b.media.wall.tiles[1].session == hidden}
        shown_again = time.monotonic()
        await b.media.show(1)
        seq_b = tile_seq(b, 1)
        await until(lambda: tile_seq(b, 1) != seq_b and shown_terminal(b, 1, numbers) == cameras[1], 10.0,
                    "console b's tile 1 again")
        out["resumed_after"] = time.monotonic() - shown_again
        out["resumed_same_session"] = b.media.wall.tiles[1].session == hidden

        # console c dies (SIGKILL, its media workers too): the others do not notice. Every tile back to a thumbnail
        # first, and the longest gap between pictures measured over as long before the kill as after it
        await a.media.focus(None)
        await asyncio.sleep(1.5)
        out["gaps_before_kill"] = await longest_gaps([a, b], FEEDS, 3.0)
        await c.kill()
        killed = time.monotonic()
        out["gaps_after_kill"] = await longest_gaps([a, b], FEEDS, 3.0)
        await until(lambda: not any(s.sink == "train2" for s in state.sessions.values()), 20.0,
                    "console c's sessions ended on the platform")
        out["c_sessions_gone_after"] = time.monotonic() - killed
        out["publications_after_kill"] = len([s for s in state.sessions.values() if s.publication])
        out["still_shown"] = sum(shown_terminal(d, i, numbers) == cameras[i] for d in (a, b) for i in range(FEEDS))
    return out


async def janus_killed_body(clips: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with janus_testbed(clips) as bed:
        cameras = _cameras(bed.line, 3)
        fleet = await bed.start_fleet(*cameras)
        numbers = fleet.media_numbers
        desk = await bed.desk("chief")
        for camera in cameras:
            await desk.pull_video(camera)
        await until(lambda: all(shown_terminal(desk, i, numbers) == cameras[i] for i in range(3)), 30.0,
                    "three tiles before the crash")
        sessions = sorted(desk.world.video)
        out["alarm_before"] = media_plane_down(desk.world) is not None

        killed = time.monotonic()
        await bed.janus.kill()
        await until(lambda: media_plane_down(desk.world) is not None, 10.0, "the desk told the media plane is down")
        out["reported_after"] = time.monotonic() - killed
        alarm = media_plane_down(desk.world)
        assert alarm is not None
        out["alarm"] = {"severity": alarm.severity, "origin": alarm.origin, "text": alarm.text}
        await asyncio.sleep(1.5)
        assert desk.media is not None
        out["frozen_while_down"] = sorted(t.index for t in desk.media.wall.frozen)
        out["sessions_kept"] = sorted(desk.world.video) == sessions

        restarted = time.monotonic()
        await bed.janus.start()
        await until(lambda: media_plane_down(desk.world) is None, 20.0, "the alarm cleared")
        out["cleared_after_restart"] = time.monotonic() - restarted
        seqs = [tile_seq(desk, i) for i in range(3)]
        await until(lambda: all(tile_seq(desk, i) != seqs[i] and shown_terminal(desk, i, numbers) == cameras[i]
                                for i in range(3)), 30.0, "every tile's terminal again")
        out["media_back_after_restart"] = time.monotonic() - restarted
        out["same_sessions_after"] = sorted(desk.world.video) == sessions
        out["broker_connections"] = bed.platform.sfu.connections if bed.platform.sfu is not None else 0
    return out


async def voice_body(clips: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with janus_testbed(clips) as bed:
        fleet = await bed.start_fleet("HS-001", "HS-002")
        desk = await bed.desk("chief")
        await desk.monitor(["TG-S01"])
        first, second = fleet.terminal("HS-001"), fleet.terminal("HS-002")
        tones = {t.id: tone_frequency(fleet.media_numbers[t.id]) for t in (first, second)}
        out["tones"] = tones
        assert desk.media is not None

        def heard(frequency: float, seconds: float = 0.4) -> float:
            assert desk.media is not None
            return tone_level(desk.media.voice.mixer.output.last(seconds), frequency)

        began = time.monotonic()
        burst = asyncio.create_task(first.talk(4.0, "TG-S01"))
        await until(lambda: heard(tones["HS-001"]) > 0.8, 10.0, "HS-001's tone at the desk")
        out["first_heard_after"] = time.monotonic() - began
        out["first_outcome"] = (await burst).outcome
        await asyncio.sleep(1.0)
        out["silent_after_release"] = float(abs(desk.media.voice.mixer.output.last(0.3)).max(initial=0))

        # HS-001's microphone stays open (a faulty radio) while HS-002 holds the floor: only HS-002 is relayed
        microphones = [p.publisher.audio for p in first.feeds.sfu.publications.values()
                       if p.publisher is not None and isinstance(p.publisher.audio, GatedTrack)]
        for microphone in microphones:
            microphone.gate = lambda: True
        sent_before = sum(m.frames_sent for m in microphones)
        began = time.monotonic()
        burst = asyncio.create_task(second.talk(4.0, "TG-S01"))
        await until(lambda: heard(tones["HS-002"]) > 0.5, 10.0, "HS-002's tone at the desk")
        out["second_heard_after"] = time.monotonic() - began
        await asyncio.sleep(1.0)
        mix = desk.media.voice.mixer.output.last(1.0)
        out["during_second"] = {"HS-001": tone_level(mix, tones["HS-001"]), "HS-002": tone_level(mix, tones["HS-002"])}
        out["second_outcome"] = (await burst).outcome
        out["open_microphone_frames"] = sum(m.frames_sent for m in microphones) - sent_before
        state = bed.platform.state.video
        out["audio_publications"] = sorted(s.source for s in state.sessions.values()
                                           if s.publication and s.media == "audio")
        sfu = bed.platform.sfu
        assert sfu is not None
        out["muted"] = {p.source: p.muted for p in sfu.publications.values() if p.media == "audio"}
    return out


async def pair_body(clips: str) -> dict[str, Any]:
    """The dual-live pair as processes, both given the Janus; the active is SIGKILLed mid-wall."""
    peers_on_veth()
    out: dict[str, Any] = {}
    line = load_line(default_line_path())
    cameras = ["CAM-S01-1", "CAM-S02-1"]
    async with janus_in_namespace() as janus:
        pair = PairProcesses(extra=["--janus-url", janus.url])
        await pair.start()
        fleet = Fleet(line, pair.urls, rate=0, include=cameras,
                      media=FeedSettings(allowed_addresses=(PEER_ADDRESS,), clip_cache=Path(clips), clip_seconds=4.0))
        desk = Desk(Path(tempfile.mkdtemp()) / "events.db", layout=layout_from_line(line),
                    media=MediaOptions(allowed_addresses=(PEER_ADDRESS,), workers=1))
        try:
            await fleet.start()
            await desk.connect(pair.urls, "chief", "demo")
            assert desk.media is not None and desk.link is not None
            for camera in cameras:
                await desk.pull_video(camera)
            numbers = fleet.media_numbers
            await until(lambda: all(shown_terminal(desk, i, numbers) == cameras[i] for i in range(2)), 30.0,
                        "both tiles through the pair's Janus")
            out["publishers_before"] = await _publishers(janus.url)
            epoch = desk.link.epoch
            killed = time.monotonic()
            await pair.kill("A")
            await until(lambda: desk.link is not None and desk.link.epoch > epoch, 10.0, "the new active")
            seqs = [tile_seq(desk, i) for i in range(2)]
            await until(lambda: all(tile_seq(desk, i) != seqs[i] and shown_terminal(desk, i, numbers) == cameras[i]
                                    for i in range(2)), 30.0, "both tiles back through the new active")
            out["back_after"] = time.monotonic() - killed
            await asyncio.sleep(1.0)
            out["publishers_after"] = await _publishers(janus.url)
            out["tiles"] = [desk.media.wall.tiles[i].source for i in range(2)]
        finally:
            await desk.close()
            await fleet.stop()
            await pair.stop()
    return out


async def _publishers(url: str) -> list[str]:
    """Who publishes in the cameras' room, as Janus lists them."""
    async with await JanusClient.connect(url) as client:
        admin = await VideoRoomAdmin.attach(await client.create_session())
        participants = await admin.participants(room_number(NO_GROUP_ROOM))
        return sorted(str(p.get("display", "")).split(" ")[0] for p in participants if p.get("publisher"))


# ----- the tests ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_three_consoles_watch_thirty_feeds_each_terminal_publishing_once(clips: str) -> None:
    r = run_in_netns(three_consoles_body, clips, timeout=230)

    assert r["wrong_tiles"] == 0
    cameras = r["publications"]
    assert len(cameras) == FEEDS == len(set(cameras)), "one publication per terminal on the platform"
    assert r["janus_publishers"] == dict.fromkeys(cameras, 1), "Janus sees each terminal publish once"
    assert r["subscriptions_per_feed"] == [3], "three subscriptions to every feed"
    # the terminal's uplink carries its thumbnail once (not three times), and no HD while nobody watches HD
    rate = r["thumb_bytes_per_s"]
    assert all(0.5 * rate < sent < 1.6 * rate for sent in r["uplink_bytes_per_s"]), (rate, r["uplink_bytes_per_s"])
    assert r["hd_bytes_2s"] == 0

    focus = r["focus"]
    assert focus["a"] == [1280, 720] and focus["a_shows"], "console a's focused tile in HD, its own terminal"
    assert focus["b"] == [320, 180] and focus["c"] == [320, 180], "the other consoles keep the thumbnail"
    assert focus["publication_quality"] == "hd", "the terminal sends HD now that someone watches it"
    assert r["hd_after"] < 10

    assert r["paused_on_platform"] and r["paused"]["same_session"]
    assert not r["paused"]["b_new_pictures"], "a hidden tile is paused: no pictures"
    assert r["paused"]["a_new_pictures"], "the same feed carries on on console a"
    assert r["resumed_same_session"] and r["resumed_after"] < 3.0

    before, after = max(r["gaps_before_kill"]), max(r["gaps_after_kill"])
    assert after < max(1.0, before + 0.3), f"a console's death disturbed the others: gaps {before:.2f} s before, " \
        f"{after:.2f} s after"
    assert r["still_shown"] == 2 * FEEDS
    assert r["publications_after_kill"] == FEEDS, "the feeds are still published for the two consoles left"
    print(f"\n3 consoles x {FEEDS} feeds through Janus: every tile showing after {r['all_shown_after']:.1f} s; uplink "
          f"per terminal {sum(r['uplink_bytes_per_s']) / len(r['uplink_bytes_per_s']) * 8 / 1000:.0f} kbit/s "
          f"(thumbnail clip {rate * 8 / 1000:.0f} kbit/s); HD after {r['hd_after']:.1f} s; longest gap after "
          f"killing a console {after:.2f} s ({before:.2f} s before)")


def test_janus_killed_mid_call_is_reported_on_the_desk_and_media_recovers_by_itself(clips: str) -> None:
    r = run_in_netns(janus_killed_body, clips, timeout=150)

    assert not r["alarm_before"]
    assert r["reported_after"] < 3.0, "the desk learns at once that the media plane is down"
    assert r["alarm"]["severity"] == "critical" and r["alarm"]["origin"] == "sfu"
    assert r["alarm"]["text"].startswith("media plane down")
    assert r["frozen_while_down"] == [0, 1, 2], "the wall flags the tiles frozen while the media plane is down"
    assert r["sessions_kept"], "the desk keeps its sessions for the media plane's return"
    assert r["cleared_after_restart"] < 10
    assert r["media_back_after_restart"] < 20, "media recovers with no dispatcher action"
    assert r["same_sessions_after"], "the same sessions, negotiated afresh"
    assert r["broker_connections"] == 2


def test_a_talk_burst_is_heard_through_janus_and_only_the_floor_holder_is_relayed(clips: str) -> None:
    r = run_in_netns(voice_body, clips, timeout=150)

    assert r["first_outcome"] == "granted" and r["second_outcome"] == "granted"
    assert r["first_heard_after"] < 4.0
    assert r["silent_after_release"] < 50
    # each talker publishes its voice once; the desk, monitoring the group, is published ahead (warm talk, muted)
    assert r["audio_publications"] == ["HS-001", "HS-002", "chief"], r["audio_publications"]
    during = r["during_second"]
    assert during["HS-002"] > 0.5, during
    assert r["open_microphone_frames"] > 100, "HS-001 sent its tone all along (50 frames a second)"
    assert during["HS-001"] < 0.02, f"a microphone left open without the floor is not relayed: {during}"
    assert r["muted"]["HS-001"] is True
    assert r["muted"]["chief"] is True, "the desk's warm publication is not relayed while it does not hold a floor"


def _testbed(*options: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console.cli", "testbed", "--port", "0", *options],
                          capture_output=True, text=True, timeout=60, cwd=REPO_ROOT, env=env, check=False)


def test_after_a_switchover_the_new_active_brokers_janus_and_the_wall_comes_back(clips: str) -> None:
    r = run_in_netns(pair_body, clips, timeout=150)

    assert r["publishers_before"] == ["CAM-S01-1", "CAM-S02-1"]
    assert r["back_after"] < 15, "the wall is back through the new active's broker"
    assert r["tiles"] == ["CAM-S01-1", "CAM-S02-1"]
    assert r["publishers_after"] == ["CAM-S01-1", "CAM-S02-1"], "each camera published once, nothing stale"


def test_testbed_media_janus_starts_its_own_janus_and_stops_it() -> None:
    done = run_command_in_netns([sys.executable, "-m", "console.cli", "testbed", "--port", "0", "--media", "janus",
                                 "--media-address", VETH.ip, "--janus-port", "0", "--rtp-ports", "21000-21099",
                                 "--no-terminals", "--duration", "2"], timeout=60)

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    janus = next(line for line in lines if line.startswith("janus ws://127.0.0.1:"))
    assert f"media on {VETH.ip} RTP ports 21000-21099" in janus
    assert any(line.startswith("listening ws://127.0.0.1:") for line in lines)
    assert any("media plane up" in line for line in lines), "the platform brokers the Janus it started"
    assert lines[-2:] == ["janus stopped", "testbed stopped"]
    pid = int(janus.split(" pid ")[1].split()[0])
    assert not Path(f"/proc/{pid}").exists(), "no Janus left behind"


def test_testbed_media_janus_says_what_is_missing() -> None:
    no_janus = _testbed("--media", "janus", "--media-address", "10.1.1.1", "--no-terminals", "--duration", "1",
                        env={**os.environ, "PATH": "/nonexistent"})
    assert no_janus.returncode == 2
    assert INSTALL_COMMAND in no_janus.stderr and "listening" not in no_janus.stdout

    no_address = _testbed("--media", "janus", "--no-terminals", "--duration", "1")
    assert no_address.returncode == 2
    assert "--media-address" in no_address.stderr and "loopback" in no_address.stderr
