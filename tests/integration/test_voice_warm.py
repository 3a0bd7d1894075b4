"""The first syllable of a talk burst: the desk keeps voice links warm to the members of its monitored groups, so a
handset's first burst is heard from (near) its start and recorded whole; a talker whose link was not warm is still
heard, its link opened once it takes the floor, as before. Real WebRTC on loopback through the real platform."""

from __future__ import annotations

import asyncio
import time
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
#: longest time from the grant to the talker's tone in the desk's output over a warm link: the terminal's gate poll
#: (20 ms), Opus, loopback, the 40 ms audio reads, the mixer's 60 ms prebuffer; with room for a loaded machine.
#: Without a warm link it is the link's set-up, about a second.
ONSET_LIMIT = 0.4
#: how far a recorded burst may be from the time the handset held the floor
DURATION_TOLERANCE = 0.3


@pytest.fixture(name="voice_desk")
async def voice_desk_fixture(platform: PlatformServer, sample_line: Line, tmp_path: Path) -> AsyncIterator[MakeDesk]:
    """``await voice_desk(**media_options)``: the chief's desk with media and recording, connected."""
    desks: list[Desk] = []

    async def make(**options: object) -> Desk:
        desk = Desk(tmp_path / f"events-{len(desks)}.db", layout=layout_from_line(sample_line),
                    media=MediaOptions(allowed_addresses=LOOPBACK, workers=1, **options),  # type: ignore[arg-type]
                    recording=RecordingOptions(tmp_path / f"recordings-{len(desks)}"))
        desks.append(desk)
        await desk.connect(platform.url, "chief", DISPATCHER_PASSWORD)
        assert await desk.wait_until(lambda: len(desk.world.terminals) == len(sample_line.terminals))
        return desk

    try:
        yield make
    finally:
        for desk in desks:
            await desk.close()


async def burst_heard(fleet: Fleet, desk: Desk, terminal: str, group: str, seconds: float) -> tuple[float, float]:
    """``terminal`` talks for ``seconds`` in ``group``: (seconds from its grant to its tone first in the desk's
    output, seconds it held the floor). The output is polled every 5 ms over its last 20 ms."""
    assert desk.media is not None
    mixer = desk.media.voice.mixer
    tone = tone_frequency(fleet.media_numbers[terminal])
    handset = fleet.terminal(terminal)
    assert tone_level(mixer.output.last(0.2), tone, bandwidth=100) < 0.05, "silence before the burst"
    outcome = await handset.ptt_press(group)
    granted = time.monotonic()
    assert outcome.outcome == "granted"
    heard: float | None = None
    while time.monotonic() - granted < seconds:
        if heard is None and tone_level(mixer.output.last(0.02), tone, bandwidth=100) > 0.5:
            heard = time.monotonic()
        await asyncio.sleep(0.005)
    await handset.ptt_release()
    held = time.monotonic() - granted
    assert heard is not None, f"{terminal}'s tone never reached the desk during its {seconds} s burst"
    return heard - granted, held


async def test_the_first_burst_of_a_handset_in_a_monitored_group_is_heard_from_its_start_and_recorded_whole(
        start_fleet: StartFleet, voice_desk: MakeDesk) -> None:
    fleet = await start_fleet("HS-001", "HS-002", "HS-003")
    desk = await voice_desk()
    assert desk.media is not None and desk.recorder is not None
    await desk.monitor(["TG-S01"])
    voice = desk.media.voice
    # the desk opens warm links to the members of TG-S01 on its own (HS-003 is at S02: not a member)
    await until(lambda: all(voice.links.get(t) is not None and voice.links[t].state == "connected"
                            for t in ("HS-001", "HS-002")), 15.0, "warm links to HS-001 and HS-002")
    assert "HS-003" not in voice.links
    assert not any(link.keyed for link in voice.links.values()), "warm links carry nothing from the desk"
    await asyncio.sleep(0.5)
    assert not desk.media.voice.mixer.output.last(0.5).any(), "idle warm links bring no sound"

    onset, held = await burst_heard(fleet, desk, "HS-001", "TG-S01", 1.5)
    assert onset < ONSET_LIMIT, f"the first burst was heard {onset:.2f} s after the grant"

    def recorded() -> list[dict[str, object]]:
        return [e.summary for e in desk.log.search(kind="talk_burst") if e.group == "TG-S01"]

    await until(lambda: len(recorded()) == 1, 8.0, "the first burst in the event log")
    [event] = recorded()
    segment = await asyncio.to_thread(desk.recorder.store.segment, str(event["recording"]))
    assert segment is not None and segment.talker == "HS-001"
    pcm = await asyncio.to_thread(read_ogg_opus, desk.recorder.store.path_of(segment), expected=segment.samples)
    assert abs(len(pcm) / AUDIO_RATE - held) < DURATION_TOLERANCE, (len(pcm) / AUDIO_RATE, held)
    assert tone_level(pcm, tone_frequency(fleet.media_numbers["HS-001"])) > 0.9


async def test_a_talker_whose_link_was_not_warm_is_still_heard_once_it_takes_the_floor(
        start_fleet: StartFleet, voice_desk: MakeDesk) -> None:
    fleet = await start_fleet("HS-001")
    desk = await voice_desk(warm_voice_links=0)
    assert desk.media is not None
    await desk.monitor(["TG-S01"])
    await asyncio.sleep(2.0)  # a warm link would be up by now (the first test waits for one)
    assert desk.media.voice.links == {} and desk.media.engine is None, "no link, no engine until someone talks"

    onset, _held = await burst_heard(fleet, desk, "HS-001", "TG-S01", 3.0)
    assert onset < 3.0, "the link set up within the burst"
    assert "HS-001" in desk.media.voice.links


async def test_a_warm_link_does_not_let_the_desk_hear_a_call_it_does_not_monitor(
        start_fleet: StartFleet, voice_desk: MakeDesk) -> None:
    fleet = await start_fleet("HS-001")
    desk = await voice_desk()
    assert desk.media is not None
    await desk.monitor(["TG-S01"])
    voice = desk.media.voice
    await until(lambda: voice.links.get("HS-001") is not None and voice.links["HS-001"].state == "connected", 15.0,
                "a warm link to HS-001")
    handset = fleet.terminal("HS-001")
    tone = tone_frequency(fleet.media_numbers["HS-001"])
    # HS-001 talks in TG-ALL, which the desk does not monitor: its microphone is keyed on the warm link too
    other = next(g for g in handset.groups if g != "TG-S01")
    assert other not in desk.world.affiliations
    talking = asyncio.create_task(handset.talk(2.0, other))
    await until(lambda: voice.links["HS-001"].position > 0, 5.0, "HS-001's audio arriving on the warm link")
    assert (await talking).outcome == "granted"
    await asyncio.sleep(0.3)
    assert tone_level(voice.mixer.output.last(3.0), tone, bandwidth=100) < 0.01, "not played"
    assert desk.recorder is not None and not desk.recorder.recording, "not recorded"
