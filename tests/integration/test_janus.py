"""Janus as the media plane, end to end with real WebRTC: a camera published once fans out to several tiles
(thumbnail or HD per tile by `switch`, hidden tiles paused), group voice with the floor enforced by Janus, and
Janus killed mid-call (reported at once, media back after a restart).

Janus cannot run ICE over loopback, so each test body runs in a network namespace of its own with a veth pair
(tests/integration/netns.py); the body returns what it measured as JSON and the test asserts on it here.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from media.audio import tone_level
from media.clips import clip_spec, ensure_clip
from media.janus import (
    HANGUP,
    MEDIA,
    WEBRTCUP,
    AudioBridgeAdmin,
    AudioBridgeParticipant,
    JanusClient,
    JanusConnectionLost,
    StreamRef,
    VideoRoomAdmin,
    VideoRoomPublisher,
    VideoRoomSubscriber,
)
from testbed.janus import INSTALL_COMMAND
from tests.integration.janus_support import (
    VETH,
    CameraPublisher,
    TileViewer,
    VoiceParty,
    janus_in_namespace,
    peers_on_veth,
    until,
)
from tests.integration.netns import require_netns, run_in_netns

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(120),
    pytest.mark.skipif(shutil.which("janus") is None, reason=f"janus not installed ({INSTALL_COMMAND})"),
]

SOURCE_ID = 7
CLIP_SECONDS = 4.0
CLIP_FRAMES = int(CLIP_SECONDS * 25)
BODY_TIMEOUT = 90.0


@pytest.fixture(autouse=True, scope="module")
def namespaces() -> None:
    """Every test here needs a network namespace: skip (with the reason) where they are not permitted."""
    require_netns()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The camera's thumbnail and HD clips (4-second loops), encoded once for the module."""
    cache = tmp_path_factory.mktemp("janus-clips")
    return {quality: str(ensure_clip(clip_spec(quality, SOURCE_ID, "CAM-7", seconds=CLIP_SECONDS), cache))
            for quality in ("thumb", "hd")}


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0


async def _publish_camera(session: Any, room: int, clips: dict[str, str]) -> tuple[CameraPublisher,
                                                                                   VideoRoomPublisher]:
    camera = CameraPublisher(Path(clips["thumb"]), Path(clips["hd"]))
    publisher = await VideoRoomPublisher.join(session, room, display="CAM-7")
    mark = publisher.handle.event_count
    await camera.accept(await publisher.publish(await camera.offer(), descriptions=camera.descriptions()))
    await publisher.handle.wait_event(lambda e: e.kind == WEBRTCUP, after=mark, timeout=10)
    return camera, publisher


async def _subscribe_tile(session: Any, room: int, feed: int, mid: str, name: str
                          ) -> tuple[TileViewer, VideoRoomSubscriber]:
    tile = TileViewer(name)
    subscription = await VideoRoomSubscriber.join(session, room, [StreamRef(feed, mid)])
    await subscription.start(await tile.answer(subscription.offer_sdp))
    return tile, subscription


# ----- bodies run inside the namespace -----------------------------------------------------------------------


async def fan_out_body(clips: dict[str, str]) -> dict[str, Any]:
    peers_on_veth()
    out: dict[str, Any] = {}
    async with janus_in_namespace() as janus, await JanusClient.connect(janus.url) as client:
        session = await client.create_session()
        admin = await VideoRoomAdmin.attach(session)
        room = await admin.create(description="TG-S01", publishers=30)
        camera, publisher = await _publish_camera(session, room, clips)
        feed = publisher.as_publisher()
        out["published"] = [(s.mid, s.codec, s.description) for s in feed.streams]
        a, sub_a = await _subscribe_tile(session, room, feed.id, feed.mid_of("thumb"), "a")
        b, sub_b = await _subscribe_tile(session, room, feed.id, feed.mid_of("thumb"), "b")
        await until(lambda: len(a.stamped) >= 20 and len(b.stamped) >= 20, 10, "thumbnails on both tiles")
        out["thumb"] = [{"sizes": sorted(t.sizes_seen), "stamps": t.stamped[-20:]} for t in (a, b)]
        out["participants"] = [(p["display"], p["publisher"]) for p in await admin.participants(room)]

        # tile a focused: HD by switch, no renegotiation
        signalling = a.pc.signalingState, len(a.pc.getTransceivers())
        began = time.monotonic()
        await sub_a.switch(feed.id, feed.mid_of("hd"))
        await until(lambda: a.size == (1280, 720), 5, "HD on tile a")
        out["hd_after"] = time.monotonic() - began
        mark = len(a.stamped)
        await until(lambda: len(a.stamped) >= mark + 20, 5, "HD frames on tile a")
        out["hd"] = {"size": a.size, "stamps": a.stamped[mark:mark + 20], "b_size": b.size,
                     "same_pc": signalling == (a.pc.signalingState, len(a.pc.getTransceivers())),
                     "subscribed": [(s.feed_mid, s.mid) for s in sub_a.streams]}

        # tile a hidden: paused, tile b carries on
        await sub_a.pause()
        await asyncio.sleep(0.3)  # what was in flight arrives
        frames_a, frames_b = a.frames, b.frames
        await asyncio.sleep(1.0)
        out["paused"] = {"a": a.frames - frames_a, "b": b.frames - frames_b}
        frames_a = a.frames
        await sub_a.resume()
        out["resumed_after"] = await until(lambda: a.frames >= frames_a + 10, 5, "tile a again")

        # the uplink carries one copy of each track, whatever the number of tiles
        sent_before = await _bytes_sent(camera)
        await asyncio.sleep(2.0)
        out["uplink_bytes_2s"] = await _bytes_sent(camera) - sent_before
        out["publisher_events"] = sorted({e.kind for e in publisher.handle.events})

        # tile b's console goes away: Janus hangs up its subscription, tile a is undisturbed
        await b.close()
        hangup = await sub_b.handle.wait_event(lambda e: e.kind == HANGUP, timeout=10)
        out["hangup_reason"] = hangup.message.get("reason")
        frames_a = a.frames
        await asyncio.sleep(0.5)
        out["a_after_b_left"] = a.frames - frames_a
        await sub_a.leave()
        await a.close()
        await publisher.leave()
        await camera.close()
        await admin.destroy(room)
    return out


async def _bytes_sent(camera: CameraPublisher) -> int:
    report = await camera.pc.getStats()
    return sum(int(s.bytesSent) for s in report.values() if s.type == "outbound-rtp")


async def voice_floor_body() -> dict[str, Any]:
    """Voice as a VideoRoom: every party publishes its microphone once; the platform enforces the floor with
    ``moderate`` (Janus relays only the holder) and points each listener's one audio m-line at the holder."""
    peers_on_veth()
    out: dict[str, Any] = {}
    async with janus_in_namespace() as janus, await JanusClient.connect(janus.url) as client:
        session = await client.create_session()
        admin = await VideoRoomAdmin.attach(session)
        room = await admin.create(description="TG-S01 voice", audiocodec="opus")
        talkers = {}
        for name, tone in (("HS-001", 600.0), ("HS-003", 900.0)):
            party = VoiceParty(tone, name)  # the microphone sends all the time: Janus must hold it back
            publisher = await VideoRoomPublisher.join(session, room, display=name)
            mark = publisher.handle.event_count
            await party.accept(await publisher.publish(await party.offer()))
            await publisher.handle.wait_event(lambda e: e.kind == WEBRTCUP, after=mark, timeout=10)
            mid = publisher.streams[0].mid
            await admin.moderate(room, publisher.feed_id, mid, mute=True)  # nobody holds the floor
            talkers[name] = (party, publisher, mid)
        listener = VoiceParty(None, "console")
        first = talkers["HS-001"][1].feed_id
        subscription = await VideoRoomSubscriber.join(session, room, [StreamRef(first, talkers["HS-001"][2])])
        await subscription.start(await listener.answer(subscription.offer_sdp))
        await until(lambda: listener.pc.connectionState == "connected", 10, "listener connected")
        await asyncio.sleep(1.0)
        out["idle_frames"] = listener.frames_heard

        async def grant(name: str) -> float:
            _, publisher, mid = talkers[name]
            began = time.monotonic()
            await subscription.switch(publisher.feed_id, mid)
            await admin.moderate(room, publisher.feed_id, mid, mute=False)
            tone = 600.0 if name == "HS-001" else 900.0
            await until(lambda: tone_level(listener.heard.last(0.1), tone) > 0.8, 5, f"{name}'s voice")
            return time.monotonic() - began

        async def release(name: str) -> int:
            _, publisher, mid = talkers[name]
            await admin.moderate(room, publisher.feed_id, mid, mute=True)
            await asyncio.sleep(0.3)
            frames = listener.frames_heard
            await asyncio.sleep(1.0)
            return listener.frames_heard - frames

        out["grant_1"] = await grant("HS-001")
        await asyncio.sleep(0.5)
        heard = listener.heard.last(0.5)
        out["heard_1"] = {"600": tone_level(heard, 600.0), "900": tone_level(heard, 900.0)}
        out["after_release_1"] = await release("HS-001")
        out["grant_2"] = await grant("HS-003")
        await asyncio.sleep(0.5)
        heard = listener.heard.last(0.5)
        out["heard_2"] = {"600": tone_level(heard, 600.0), "900": tone_level(heard, 900.0)}
        out["after_release_2"] = await release("HS-003")
        for party, publisher, _ in talkers.values():
            await publisher.leave()
            await party.close()
        await subscription.leave()
        await listener.close()
    return out


async def audiobridge_body() -> dict[str, Any]:
    peers_on_veth()
    out: dict[str, Any] = {}
    async with janus_in_namespace() as janus, await JanusClient.connect(janus.url) as client:
        session = await client.create_session()
        admin = await AudioBridgeAdmin.attach(session)
        room = await admin.create(description="TG-S01")
        talker, listener = VoiceParty(700.0, "talker"), VoiceParty(None, "listener")
        # the talker negotiates within its join, the listener with a configure after joining
        joined = await AudioBridgeParticipant.join(session, room, display="HS-001", offer_sdp=await talker.offer())
        assert joined.answer_sdp is not None
        await talker.accept(joined.answer_sdp)
        hearing = await AudioBridgeParticipant.join(session, room, display="console")
        answer = await hearing.configure(offer_sdp=await listener.offer())
        assert answer is not None
        await listener.accept(answer)
        await until(lambda: listener.frames_heard > 25, 10, "the mix at the listener")
        await asyncio.sleep(0.5)
        out["participants"] = sorted((p["display"], p["muted"]) for p in await admin.participants(room))
        out["muted"] = rms(listener.heard.last(0.5))
        began = time.monotonic()
        await admin.unmute(room, joined.id)
        await until(lambda: tone_level(listener.heard.last(0.1), 700.0) > 0.8, 5, "the talker's tone")
        out["unmute_heard_after"] = time.monotonic() - began
        await asyncio.sleep(0.5)
        out["unmuted"] = {"level": tone_level(listener.heard.last(0.5), 700.0), "rms": rms(listener.heard.last(0.5))}
        await admin.mute(room, joined.id)
        await asyncio.sleep(0.5)
        out["muted_again"] = rms(listener.heard.last(0.3))
        out["talker_hears_itself"] = tone_level(talker.heard.last(1.0), 700.0)
        await joined.leave()
        await hearing.leave()
        await talker.close()
        await listener.close()
        await admin.destroy(room)
    return out


async def janus_killed_body(clips: dict[str, str]) -> dict[str, Any]:
    peers_on_veth()
    out: dict[str, Any] = {}
    async with janus_in_namespace() as janus:
        client = await JanusClient.connect(janus.url)
        session = await client.create_session()
        room = await (await VideoRoomAdmin.attach(session)).create()
        camera, publisher = await _publish_camera(session, room, clips)
        tile, subscription = await _subscribe_tile(session, room, publisher.feed_id, "0", "tile")
        await until(lambda: tile.frames >= 10, 10, "the tile before the crash")
        losses: list[float] = []
        client.on_lost(lambda reason: losses.append(time.monotonic()))
        waiting = asyncio.ensure_future(subscription.handle.wait_event(lambda e: e.kind == HANGUP, timeout=30))
        killed = time.monotonic()
        await janus.kill()
        await asyncio.wait_for(client.wait_lost(), 5)
        out["reported_after"] = losses[0] - killed if losses else None
        try:
            await waiting
            out["waiter"] = "returned"
        except JanusConnectionLost:
            out["waiter"] = "lost"
        await client.close()
        await tile.close()
        await camera.close()

        # back: the platform rebuilds rooms, publications and subscriptions from its own state
        began = time.monotonic()
        await janus.start()
        out["restart_took"] = time.monotonic() - began
        async with await JanusClient.connect(janus.url) as again:
            session = await again.create_session()
            room = await (await VideoRoomAdmin.attach(session)).create()
            camera, publisher = await _publish_camera(session, room, clips)
            tile, subscription = await _subscribe_tile(session, room, publisher.feed_id, "0", "tile")
            await until(lambda: len(tile.stamped) >= 10, 10, "the tile after the restart")
            out["media_back_after"] = time.monotonic() - began
            out["stamps_after"] = tile.stamped[-5:]
            await tile.close()
            await camera.close()
    return out


# ----- the tests ---------------------------------------------------------------------------------------------


def _mostly_consecutive(stamps: list[list[int]]) -> bool:
    steps = [(b[1] - a[1]) % CLIP_FRAMES for a, b in itertools.pairwise(stamps)]
    return sum(step == 1 for step in steps) >= 0.8 * len(steps) and all(1 <= s <= 5 for s in steps)


def test_one_published_camera_fans_out_to_two_tiles_with_hd_by_switch_and_a_paused_hidden_tile(
        clips: dict[str, str]) -> None:
    r = run_in_netns(fan_out_body, clips, veth=VETH, timeout=BODY_TIMEOUT)

    assert r["published"] == [["0", "h264", "thumb"], ["1", "h264", "hd"]], "one PeerConnection, two H.264 tracks"
    assert r["participants"] == [["CAM-7", True]], "the camera published once"
    for tile in r["thumb"]:
        assert tile["sizes"] == [[320, 180]]
        assert {s[0] for s in tile["stamps"]} == {SOURCE_ID}, "each tile shows the camera's own frames"
        assert _mostly_consecutive(tile["stamps"]), tile["stamps"]

    hd = r["hd"]
    assert hd["size"] == [1280, 720] and hd["b_size"] == [320, 180], "only tile a switched"
    assert {s[0] for s in hd["stamps"]} == {SOURCE_ID} and _mostly_consecutive(hd["stamps"])
    assert hd["same_pc"] and hd["subscribed"] == [["1", "0"]], "the switch needed no renegotiation"
    assert r["hd_after"] < 2.5, "HD within a keyframe interval (clips have one every second)"

    assert r["paused"]["a"] == 0, "a paused tile receives nothing"
    assert r["paused"]["b"] >= 20, "the other tile carries on (25 frame/s)"
    assert r["resumed_after"] < 2.5

    # thumbnail (0.25 Mbit/s) + HD (2.5 Mbit/s) for 2 s is about 690 kB: two tiles did not double it
    assert 300_000 < r["uplink_bytes_2s"] < 1_000_000, r["uplink_bytes_2s"]
    assert {WEBRTCUP, MEDIA} <= set(r["publisher_events"])
    assert r["hangup_reason"], "Janus tells the platform a subscriber's PeerConnection is gone"
    assert r["a_after_b_left"] >= 8, "another console leaving does not disturb tile a"


def test_group_voice_through_a_videoroom_relays_only_the_floor_holder() -> None:
    r = run_in_netns(voice_floor_body, veth=VETH, timeout=BODY_TIMEOUT)

    assert r["idle_frames"] == 0, "nobody holds the floor: Janus relays nothing though both microphones send"
    assert r["grant_1"] < 3.0 and r["grant_2"] < 3.0  # bounds for a loaded CI machine; figures are benched
    assert r["heard_1"]["600"] > 0.9 and r["heard_1"]["900"] < 0.01
    assert r["heard_2"]["900"] > 0.9 and r["heard_2"]["600"] < 0.01
    assert r["after_release_1"] == 0 and r["after_release_2"] == 0, "released: silence, not a stale talker"


def test_audiobridge_mixes_a_participant_only_while_unmuted() -> None:
    r = run_in_netns(audiobridge_body, veth=VETH, timeout=BODY_TIMEOUT)

    assert r["participants"] == [["HS-001", True], ["console", True]], "everyone joins muted"
    assert r["muted"] < 50, "muted: the mix is silence"
    assert r["unmute_heard_after"] < 3.0
    assert r["unmuted"]["level"] > 0.95 and r["unmuted"]["rms"] > 1000
    assert r["muted_again"] < 50
    assert r["talker_hears_itself"] < 0.05, "the mix sent to a participant leaves its own voice out"


def test_janus_killed_mid_call_is_reported_at_once_and_media_flows_again_after_a_restart(
        clips: dict[str, str]) -> None:
    r = run_in_netns(janus_killed_body, clips, veth=VETH, timeout=BODY_TIMEOUT)

    # the closed connection is reported, not guessed from a missed keepalive (those take 10 s and more)
    assert r["reported_after"] is not None and r["reported_after"] < 2.0, r
    assert r["waiter"] == "lost", "whoever waits on Janus is told it is gone"
    assert r["restart_took"] < 5
    assert r["media_back_after"] < 10
    assert {s[0] for s in r["stamps_after"]} == {SOURCE_ID}
