"""Recording and instant replay end to end: a simulated handset's talk burst reaches the desk over real WebRTC through
the real platform, is recorded as Ogg Opus with its talker and floor hold, is linked from the event log, replays
under live audio without touching the live call's floor, and is all there again for a desk started anew on the
same folder."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from console.core.desk import Desk
from console.core.layout import layout_from_line
from console.core.media_desk import MediaOptions
from console.core.recordings import RecordingOptions
from media.audio import AUDIO_RATE, tone_level
from media.recording import read_ogg_opus
from media.sources import tone_frequency
from testbed.line import Line
from testbed.platform.server import PlatformServer
from testbed.terminals import Fleet
from tests.integration.media_support import (  # noqa: F401 (fixtures)
    DISPATCHER_PASSWORD,
    LOOPBACK,
    StartFleet,
    feed_settings_fixture,
    media_clips_fixture,
    start_fleet_fixture,
    until,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

MakeDesk = Callable[..., Awaitable[Desk]]
#: how far a recorded burst may be from the time the handset held the floor (grant and release round trips,
#: the 40 ms reads, Opus framing)
DURATION_TOLERANCE = 0.4


@pytest.fixture(name="recording_desk")
async def recording_desk_fixture(platform: PlatformServer, sample_line: Line,
                                 tmp_path: Path) -> AsyncIterator[MakeDesk]:
    """``await recording_desk(folder, connect=True, **media_options)``: the chief's desk with media and recording into
    ``folder``."""
    desks: list[Desk] = []

    async def make(folder: Path, *, connect: bool = True, **options: object) -> Desk:
        desk = Desk(tmp_path / f"events-{len(desks)}.db", layout=layout_from_line(sample_line),
                    media=MediaOptions(allowed_addresses=LOOPBACK, workers=1, **options),  # type: ignore[arg-type]
                    recording=RecordingOptions(folder, keep_days=7))
        desks.append(desk)
        if connect:
            await desk.connect(platform.url, "chief", DISPATCHER_PASSWORD)
            assert await desk.wait_until(lambda: len(desk.world.terminals) == len(sample_line.terminals))
        return desk

    try:
        yield make
    finally:
        for desk in desks:
            await desk.close()


def tone_of(fleet: Fleet, terminal: str) -> float:
    return tone_frequency(fleet.media_numbers[terminal])


async def timed_burst(fleet: Fleet, terminal: str, seconds: float, group: str) -> float:
    """A talk burst; how long the handset held the floor (from the grant to the release)."""
    loop = asyncio.get_running_loop()
    handset = fleet.terminal(terminal)
    began = loop.time()
    outcome = await handset.talk(seconds, group)
    assert outcome.outcome == "granted"
    return loop.time() - began


async def test_a_handsets_talk_burst_is_recorded_linked_from_the_log_replayed_under_live_audio_and_kept(
        start_fleet: StartFleet, recording_desk: MakeDesk, platform: PlatformServer, tmp_path: Path) -> None:
    fleet = await start_fleet("HS-001", "HS-003")
    recorded, live = tone_of(fleet, "HS-001"), tone_of(fleet, "HS-003")
    assert abs(recorded - live) >= 100
    folder = tmp_path / "recordings"
    desk = await recording_desk(folder)
    await desk.monitor(["TG-S01", "TG-S02"])
    assert desk.recorder is not None and desk.media is not None

    def bursts() -> list[dict[str, object]]:
        return [e.summary for e in desk.log.search(kind="talk_burst") if e.group == "TG-S01"]

    # two bursts (the first one is whole too: the desk keeps a warm link to HS-001, test_voice_warm.py)
    await timed_burst(fleet, "HS-001", 1.5, "TG-S01")
    await until(lambda: len(bursts()) == 1, 8.0, "the first burst in the event log")
    held = await timed_burst(fleet, "HS-001", 2.5, "TG-S01")
    await until(lambda: len(bursts()) == 2, 8.0, "the second burst in the event log")

    # the event carries the recording; the index names the talker; the Ogg holds the handset's tone, as long as held
    newest = bursts()[0]
    assert newest["talker"] == "HS-001" and newest["call_kind"] == "group"
    segment = await asyncio.to_thread(desk.recorder.store.segment, str(newest["recording"]))
    assert segment is not None and segment.talker == "HS-001" and segment.group == "TG-S01"
    assert segment.state == "done"
    pcm = await asyncio.to_thread(read_ogg_opus, folder / segment.file, expected=segment.samples)
    assert tone_level(pcm, recorded) > 0.9, "the handset's tone"
    assert abs(len(pcm) / AUDIO_RATE - held) < DURATION_TOLERANCE, (len(pcm) / AUDIO_RATE, held)
    holds = [h for h in desk.recorder.store.holds(group="TG-S01") if h.to_ms is not None]
    assert [h.holder for h in holds] == ["HS-001", "HS-001"], "who held the floor, burst by burst"
    assert abs((holds[-1].to_ms - holds[-1].from_ms) / 1000 - held) < DURATION_TOLERANCE  # type: ignore[operator]

    # replay the last 15 s of TG-S01 while HS-003 talks live in TG-S02: both are heard, the live floor stays
    talking = asyncio.create_task(fleet.terminal("HS-003").talk(4.0, "TG-S02"))
    await until(lambda: tone_level(desk.media.voice.mixer.output.last(0.3), live) > 0.5, 8.0,  # type: ignore[union-attr]
                "HS-003 live at the desk")
    live_call = desk.world.call_of_group("TG-S02")
    assert live_call is not None and live_call.holder == "HS-003"
    replay = await desk.replay("TG-S01", 15)
    assert [s.talker for s in replay.segments] == ["HS-001", "HS-001"]
    assert tone_level(replay.pcm, recorded) > 0.9 and 2.5 < replay.seconds < 15
    assert desk.playback_left > 0, "the replay plays"
    await asyncio.sleep(0.6)
    mix = desk.media.voice.mixer.output.last(0.5)
    assert tone_level(mix, recorded) > 0.05 and tone_level(mix, live) > 0.05, "the replay under the live talker"
    now_call = desk.world.call_of_group("TG-S02")
    assert now_call is not None and now_call.holder == "HS-003", "the live call keeps its floor"
    assert platform.state.calls.calls[now_call.id].floor.holder == "HS-003"  # type: ignore[union-attr]
    assert desk.ptt_state == "has_no_permission"
    assert desk.stop_playback() and desk.playback_left == 0
    assert (await talking).outcome == "granted"
    [command] = [e for e in desk.log.search(kind="command") if e.summary.get("command") == "replay"]
    assert command.summary["outcome"] == "ok" and command.group == "TG-S01"
    await desk.close()

    # a desk started anew on the same folder: the index, the files, the replay and the log's links are all there
    again = await recording_desk(folder, connect=False)
    assert again.recorder is not None
    assert [s.talker for s in again.recorder.store.segments(group="TG-S01")] == ["HS-001", "HS-001"]
    replay_again = await again.replay("TG-S01", 15, play=False)
    assert abs(replay_again.seconds - replay.seconds) < 0.05
    assert tone_level(replay_again.pcm, recorded) > 0.9
    played = await again.play_recording(str(newest["recording"]))
    assert abs(len(played) - len(pcm)) <= 960 and again.playback_left > 0, "plays with no sound device"


#: the desk's stand-in microphone: a tone no terminal of these tests talks in
DESK_TONE = 1250.0


async def test_the_dispatchers_own_voice_is_recorded_under_its_name_and_replayed_in_order_with_a_handsets_burst(
        start_fleet: StartFleet, recording_desk: MakeDesk, tmp_path: Path) -> None:
    fleet = await start_fleet("HS-001")
    handset_tone = tone_of(fleet, "HS-001")
    folder = tmp_path / "recordings"
    desk = await recording_desk(folder, microphone=f"tone:{DESK_TONE:.0f}")
    assert desk.recorder is not None and desk.media is not None
    await desk.monitor(["TG-S01"])
    await desk.select("TG-S01")
    await until(lambda: desk.media is not None and desk.media.engine is not None, 15.0, "the media engine")

    def bursts() -> list[tuple[str, dict[str, object]]]:
        return [(e.actor, e.summary) for e in reversed(desk.log.search(kind="talk_burst")) if e.group == "TG-S01"]

    # the desk talks for 1.5 s in TG-S01 (its microphone: a 1250 Hz tone), then HS-001 answers
    loop = asyncio.get_running_loop()
    assert (await desk.ptt_press()).outcome == "granted"
    began = loop.time()
    await asyncio.sleep(1.5)
    await desk.ptt_release()
    held = loop.time() - began
    await until(lambda: len(bursts()) == 1, 8.0, "the desk's burst in the event log")
    await timed_burst(fleet, "HS-001", 1.5, "TG-S01")
    await until(lambda: len(bursts()) == 2, 8.0, "HS-001's burst in the event log")

    (actor, own), (_, answer) = bursts()
    assert actor == "chief" and own["talker"] == "chief" and answer["talker"] == "HS-001"
    segment = await asyncio.to_thread(desk.recorder.store.segment, str(own["recording"]))
    assert segment is not None and segment.talker == "chief" and segment.group == "TG-S01"
    assert segment.call_kind == "group" and segment.state == "done"
    pcm = await asyncio.to_thread(read_ogg_opus, folder / segment.file, expected=segment.samples)
    assert tone_level(pcm, DESK_TONE) > 0.9, "the desk's microphone"
    assert abs(len(pcm) / AUDIO_RATE - held) < DURATION_TOLERANCE, (len(pcm) / AUDIO_RATE, held)
    holds = desk.recorder.store.holds(group="TG-S01")
    assert [h.holder for h in holds] == ["chief", "HS-001"]

    # replay: the desk's words, then the handset's answer, in that order
    replay = await desk.replay("TG-S01", 15, play=False)
    assert [s.talker for s in replay.segments] == ["chief", "HS-001"]
    first = replay.pcm[: int(0.8 * len(pcm))]
    last = replay.pcm[-int(1.0 * AUDIO_RATE):]
    assert tone_level(first, DESK_TONE) > 0.9 and tone_level(last, handset_tone) > 0.9
